/*
 * Fuzz target: the stream's key=value options (encoder/stream-config.c),
 * the validators behind QEMU's -spice video-codec=, max-refresh-rate=,
 * encoder=, bitrate=, rate-control=, min-bitrate=, max-bitrate=. One
 * option per input line, split at the first '=' (a line without one is a
 * key with an empty value), applied in order as QEMU's adapter does, then
 * the combinations checked. Each option is taken or refused with one line
 * naming it; a refused option leaves the config as it was; a config the
 * check takes is inside the ranges the header promises.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "remote3d/stream.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool same(const struct r3d_stream_config *a, const struct r3d_stream_config *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct r3d_stream_config cfg = { .rate_control = true };
	struct fuzz_argv a;
	char *error = NULL;

	if (!fuzz_argv_init(&a, "qemu -spice", data, size)) {
		fuzz_argv_finish(&a);
		return 0;
	}
	for (int i = 1; i < a.argc; i++) {
		char *line = a.argv[i], *eq = strchr(line, '=');
		const char *value = "";
		struct r3d_stream_config before = cfg;

		if (eq) {
			*eq = 0;
			value = eq + 1;
		}
		if (r3d_stream_config_set(&cfg, line, value, &error)) {
			check(!error);
			if (strcmp(line, "encoder") == 0)
				check(cfg.encoder == (*value ? value : NULL));
		} else {
			check(error && *error && !strchr(error, '\n') && strlen(error) < 256);
			check(same(&cfg, &before));
			free(error);
			error = NULL;
		}
	}
	if (r3d_stream_config_check(&cfg, &error)) {
		check(!error);
		check(cfg.max_fps <= R3D_MAX_FPS_CAP);
		check(cfg.bitrate_kbps <= R3D_MAX_BITRATE_KBPS &&
		      cfg.min_bitrate_kbps <= R3D_MAX_BITRATE_KBPS &&
		      cfg.max_bitrate_kbps <= R3D_MAX_BITRATE_KBPS);
		check(cfg.rate_control || (!cfg.min_bitrate_kbps && !cfg.max_bitrate_kbps));
		check(!cfg.min_bitrate_kbps || !cfg.max_bitrate_kbps ||
		      cfg.min_bitrate_kbps <= cfg.max_bitrate_kbps);
		check(!cfg.bitrate_kbps || !cfg.min_bitrate_kbps ||
		      cfg.bitrate_kbps >= cfg.min_bitrate_kbps);
		check(!cfg.bitrate_kbps || !cfg.max_bitrate_kbps ||
		      cfg.bitrate_kbps <= cfg.max_bitrate_kbps);
	} else {
		check(error && *error && !strchr(error, '\n'));
		free(error);
	}
	fuzz_argv_finish(&a);
	return 0;
}
