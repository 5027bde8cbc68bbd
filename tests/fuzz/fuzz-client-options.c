/*
 * Fuzz target: remote3d-client's command line (client/options.c: GOption,
 * the numbers, --type's keys, --watch/--ignore rectangles, the files it
 * checks). One argument per input line. A parse either refuses (false,
 * one line on stderr) or gives options inside the ranges --help promises;
 * client_options_finish frees everything either way (LSan checks).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz-input.h"
#include "options.h"

/* GOption's --help exits; --dump-png creates its directory */
static const char *const not_driven[] = { "--help", "--dump-png", NULL };

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool rect_ok(struct r3d_rect r)
{
	return r.x >= 0 && r.y >= 0 && r.width >= 1 && r.height >= 1 &&
	       r.x + r.width <= 65536 && r.y + r.height <= 65536;
}

static void check_options(const struct options *o)
{
	check(strncmp(o->uri, "spice://", 8) == 0 || strncmp(o->uri, "spice+tls://", 12) == 0);
	check(o->codec && g_strv_contains((const char *const[]){ "h264", "vp8", "vp9", "h265",
								 "mjpeg", NULL }, o->codec));
	check(isfinite(o->duration_s) && o->duration_s >= 0 && o->duration_s <= 1e6);
	check(isfinite(o->timeout_s) && o->timeout_s > 0 && o->timeout_s <= 1e6);
	check(!(o->duration_s > 0 && o->frames > 0));
	check(o->duration_s > 0 || o->frames > 0 || o->keys > 0 || o->type_keys);
	check(o->frames >= 0 && o->dump_max >= 1 && o->keys >= 0 && o->key_interval_ms >= 1);
	check(o->quality >= 0 && o->quality <= 1000);
	check(!o->scene || (o->quality && (strcmp(o->scene, "cube") == 0 ||
					   strcmp(o->scene, "text") == 0)));
	check(!o->password || (*o->password && !strpbrk(o->password, "\r\n")));
	if (!o->type_keys) {
		check(o->n_type_keys == 0 && !o->watch_text && o->change.n_ignore == 0);
		return;
	}
	check(o->keys == 0);
	check(!o->watch_text || rect_ok(o->change.watch));
	check(o->change.n_ignore <= R3D_CHANGE_MAX_IGNORE);
	for (size_t i = 0; i < o->change.n_ignore; i++)
		check(rect_ok(o->change.ignore[i]));
	check(o->change.delta >= 0 && o->change.delta <= 254);
	check(o->change.threshold >= 1 && o->key_timeout_ms >= 1);
	for (size_t i = 0; i < o->n_type_keys; i++)
		check(o->type_keys[i].scancode > 0 && o->type_keys[i].scancode < 0x80);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_argv a;
	struct options o = { 0 };

	if (fuzz_argv_init(&a, "remote3d-client", data, size) &&
	    !fuzz_argv_has_prefix(&a, not_driven)) {
		int argc = a.argc;
		char **argv = a.argv;
		/* GOption's short help is -h or -? (also inside a group: -dh) */
		bool short_help = false;
		for (int i = 1; i < argc; i++)
			short_help |= argv[i][0] == '-' && argv[i][1] != '-' && strpbrk(argv[i], "h?");
		if (!short_help) {
			if (client_options_parse(&argc, &argv, &o))
				check_options(&o);
			client_options_finish(&o);
		}
	}
	fuzz_argv_finish(&a);
	return 0;
}
