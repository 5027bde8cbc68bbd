#include <errno.h>
#include <time.h>

#include "pace.h"

void probe_pace_init(struct probe_pace *pace, double fps, uint64_t now_ns)
{
	pace->period_ns = fps > 0 ? (uint64_t)(1e9 / fps + 0.5) : 0;
	pace->next_ns = pace->period_ns ? now_ns : 0;
	pace->missed = 0;
}

uint64_t probe_pace_advance(struct probe_pace *pace, uint64_t now_ns)
{
	if (!pace->period_ns)
		return 0;
	pace->next_ns += pace->period_ns;
	if (pace->next_ns >= now_ns)
		return 0;
	/* late: the grid points at or before now are gone, like vblanks a
	 * slow frame missed; start at the first one after now */
	uint64_t skipped = (now_ns - pace->next_ns) / pace->period_ns + 1;
	pace->next_ns += skipped * pace->period_ns;
	pace->missed += skipped;
	return skipped;
}

bool probe_pace_wait(const struct probe_pace *pace, const volatile sig_atomic_t *stop)
{
	if (!pace->period_ns)
		return true;
	struct timespec ts = {
		.tv_sec = (time_t)(pace->next_ns / 1000000000u),
		.tv_nsec = (long)(pace->next_ns % 1000000000u),
	};
	int r;
	while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR) {
		if (*stop)
			return false;
	}
	return r == 0;
}
