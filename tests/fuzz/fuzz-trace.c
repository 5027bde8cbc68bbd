/*
 * Fuzz target: latency-sim's --trace file (Mahimahi: one ms per line,
 * sorted, # comments). The input is the file. An accepted trace is sorted
 * and ends after 0 ms; a link built from it keeps its promises
 * (fuzz-link.h).
 */
#include <stdlib.h>

#include "fuzz-input.h"
#include "fuzz-link.h"
#include "options.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sizes[] = { 255, 255, 0, 128, 255, 255, 255, 255, 64, 255 };
	const char *path = fuzz_file(data, size);
	char *argv[] = { "latency-sim", "--up-trace", (char *)path, "--", "true", NULL };
	struct r3d_ls_options o = { 0 };
	char err[256];

	check(path != NULL);
	if (r3d_ls_options_parse(&o, 5, argv, err, sizeof(err))) {
		const struct r3d_link_config *c = &o.link[R3D_LS_UP];
		check(c->trace_len > 0 && c->trace_ms[c->trace_len - 1] > 0);
		for (size_t i = 1; i < c->trace_len; i++)
			check(c->trace_ms[i] >= c->trace_ms[i - 1]);
		fuzz_link_drive(c, sizes, sizeof(sizes));
	}
	r3d_ls_options_finish(&o);
	return 0;
}
