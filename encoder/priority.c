#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "priority.h"

bool r3d_thread_set_nice(int delta)
{
	/* the nice value is per thread on Linux: name this one by its tid;
	 * the target is the process's (its first thread's) plus delta, so a
	 * thread started by one already set is not lowered twice, and a
	 * pooled thread reused from another pipeline gets this one's value */
	id_t tid = (id_t)syscall(SYS_gettid);
	int base, cur, want;

	if (delta < 0)
		delta = 0;
	errno = 0;
	base = getpriority(PRIO_PROCESS, (id_t)getpid());
	if (base == -1 && errno)
		return false;
	cur = getpriority(PRIO_PROCESS, tid);
	if (cur == -1 && errno)
		return false;
	want = base + delta > 19 ? 19 : base + delta;
	return cur == want || setpriority(PRIO_PROCESS, tid, want) == 0;
}
