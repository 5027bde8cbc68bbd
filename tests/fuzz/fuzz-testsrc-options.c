/*
 * Fuzz target: remote3d-testsrc's command line (testsrc/options.c). One
 * argument per input line. A parse either refuses (false, one line on
 * stderr) or gives options inside the ranges the usage promises.
 */
#include <stdlib.h>
#include <string.h>

#include <spice/protocol.h>

#include "fuzz-input.h"
#include "options.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_options(const struct options *o)
{
	check(o->addr && *o->addr);
	check(o->port >= 1 && o->port <= 65535);
	check(o->tls_port >= 0 && o->tls_port <= 65535 && o->tls_port != o->port);
	check(!o->tls_port == !o->x509_dir);
	check(o->width >= 592 && o->width <= 8192 && o->height >= 64 && o->height <= 8192);
	check(!((o->width | o->height) & 1));
	check(o->fps >= 1 && o->fps <= 240);
	check(o->encoder && *o->encoder);
	check(o->bitrate_kbps <= 1000000 && o->min_bitrate_kbps <= 1000000 &&
	      o->max_bitrate_kbps <= 1000000);
	check(!o->min_bitrate_kbps || !o->max_bitrate_kbps ||
	      o->min_bitrate_kbps <= o->max_bitrate_kbps);
	check(!o->bitrate_kbps || !o->min_bitrate_kbps || o->bitrate_kbps >= o->min_bitrate_kbps);
	check(!o->bitrate_kbps || !o->max_bitrate_kbps || o->bitrate_kbps <= o->max_bitrate_kbps);
	check(o->rate_control || (!o->min_bitrate_kbps && !o->max_bitrate_kbps));
	check(o->duration_s >= 0 && o->duration_s <= 1000000.0);
	check(o->stats_interval_s >= 0.01 && o->stats_interval_s <= 3600.0);
	check(!o->scene || strcmp(o->scene, "cube") == 0 || strcmp(o->scene, "text") == 0);
	if (o->password) {
		size_t len = strlen(o->password);
		check(len > 0 && len <= SPICE_MAX_PASSWORD_LENGTH && !strpbrk(o->password, "\r\n"));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_argv a;
	struct options o;

	if (fuzz_argv_init(&a, "remote3d-testsrc", data, size)) {
		if (testsrc_options_parse(a.argc, a.argv, &o) && !o.help)
			check_options(&o);
		testsrc_options_finish(&o);
	}
	fuzz_argv_finish(&a);
	return 0;
}
