/*
 * Fuzz target: latency-sim's command line (latency-sim/options.c: units,
 * queues, loss models, schedules, outages, the link's own checks). One
 * argument per input line. A parse either refuses with a message, or
 * gives a configuration that r3d_link_create() accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "options.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_argv a;
	struct r3d_ls_options o;
	char err[256];

	/* --trace reads a file: not a device or /proc file that never ends
	 * (the trace target feeds that parser its bytes) */
	if (fuzz_argv_init(&a, "latency-sim", data, size) && !fuzz_argv_contains(&a, "/dev") &&
	    !fuzz_argv_contains(&a, "/proc")) {
		err[0] = '\0';
		if (r3d_ls_options_parse(&o, a.argc, a.argv, err, sizeof(err))) {
			check(err[0] == '\0');
			check(o.mtu >= 576 && o.mtu <= 9000 && o.coalesce_us <= 1000);
			check(o.help || o.command || (o.netns_a && o.netns_b));
			for (int d = 0; d < 2 && !o.help; d++) {
				struct r3d_link *link = r3d_link_create(&o.link[d], o.mtu, o.seed, 0);
				check(link != NULL);
				r3d_link_destroy(link);
			}
		} else {
			/* one line that says what is wrong */
			check(err[0] != '\0' && !strchr(err, '\n'));
		}
		r3d_ls_options_finish(&o);
	}
	fuzz_argv_finish(&a);
	return 0;
}
