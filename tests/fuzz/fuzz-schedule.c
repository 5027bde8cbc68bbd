/*
 * Fuzz target: latency-sim's --rate-schedule (TIME:RATE,...[@PERIOD]),
 * with an --outage beside it: line 1 of the input is the schedule, line 2
 * (if any) the outage, the bytes after it the sizes of the packets sent
 * through the link built from them (fuzz-link.h). An accepted schedule is
 * sorted, starts at 0 and ends before its period; the link keeps its
 * promises on it.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "fuzz-link.h"
#include "options.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static char *line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t len = nl ? (size_t)(nl - *data) : *size;
	char *s = strndup((const char *)*data, len);

	*data += nl ? len + 1 : len;
	*size -= nl ? len + 1 : len;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t full[] = { 255, 255, 255, 255, 255, 255, 255, 255 };
	char *schedule = line(&data, &size);
	char *outage = size ? line(&data, &size) : NULL;
	char *argv[] = { "latency-sim", "--rate-schedule", schedule, "--outage", outage,
			 "--", "true", NULL };
	struct r3d_ls_options o = { 0 };
	char err[256];

	if (!outage) {
		argv[3] = "--";
		argv[4] = "true";
		argv[5] = NULL;
	}
	if (schedule && r3d_ls_options_parse(&o, outage ? 7 : 5, argv, err, sizeof(err))) {
		const struct r3d_link_config *c = &o.link[R3D_LS_UP];
		check(c->schedule_len > 0 && c->schedule[0].at_us == 0);
		for (size_t i = 1; i < c->schedule_len; i++)
			check(c->schedule[i].at_us > c->schedule[i - 1].at_us);
		check(!c->schedule_period_us ||
		      c->schedule_period_us > c->schedule[c->schedule_len - 1].at_us);
		for (size_t i = 0; i < c->schedule_len; i++)
			check(c->schedule[i].rate_bps <= R3D_LINK_MAX_RATE_BPS);
		fuzz_link_drive(c, size ? data : full, size ? size : sizeof(full));
	}
	r3d_ls_options_finish(&o);
	free(schedule);
	free(outage);
	return 0;
}
