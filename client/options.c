#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cli-number.h"
#include "options.h"

#define PROG "remote3d-client"
/* seconds, for --duration and --timeout: 1e6 s (11.6 days) in µs fits anywhere */
#define MAX_SECONDS 1000000.0
#define DEFAULT_KEY_TIMEOUT_MS 3000

/* Every refusal: one line naming the option. */
static bool refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool refuse(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

static bool number_option(const char *opt, const char *arg, long min, long max, int *out)
{
	long v;

	if (!arg)
		return true; /* not given: the default stays */
	if (!r3d_cli_parse_long(arg, min, max, &v))
		return refuse("bad %s '%s': expected a whole number, %ld..%ld", opt, arg, min, max);
	*out = (int)v;
	return true;
}

static bool seconds_option(const char *opt, const char *arg, double min, double *out)
{
	if (!arg)
		return true;
	if (!r3d_cli_parse_double(arg, min, MAX_SECONDS, out) || (min == 0 && *out <= 0))
		return refuse("bad %s '%s': expected seconds, more than 0 and at most %.0f", opt, arg,
			      MAX_SECONDS);
	return true;
}

static bool rect_option(const char *opt, const char *arg, struct r3d_rect *out)
{
	if (!r3d_change_parse_rect(arg, out))
		return refuse("bad %s '%s': expected X,Y,W,H in pixels (whole numbers, W and H at "
			      "least 1, e.g. 0,0,640,40)", opt, arg);
	return true;
}

/* The SPICE password: the first line of the file, without its line end. */
static bool read_password(const char *path, char **out)
{
	char *text = NULL;
	gsize len = 0;
	GError *err = NULL;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		refuse("cannot read --password-file %s: %s", path, err->message);
		g_error_free(err);
		return false;
	}
	text[strcspn(text, "\r\n")] = '\0';
	if (!*text) {
		bool empty = len == 0;
		g_free(text);
		return refuse("bad --password-file %s: %s", path,
			      empty ? "the file is empty (the password is its first line)"
				    : "the first line is empty (it holds the password)");
	}
	*out = text;
	return true;
}

struct type_args {
	char *text, *watch, **ignore, *threshold, *delta, *key_timeout;
};

/* --type and the options that only mean something with it */
static bool type_options(struct type_args *a, struct options *o)
{
	char error[R3D_KEYMAP_ERROR_SIZE];
	int threshold = R3D_CHANGE_DEFAULT_THRESHOLD;
	const char *orphan = a->watch ? "--watch" : a->ignore ? "--ignore"
			   : a->threshold ? "--threshold" : a->delta ? "--pixel-delta"
			   : a->key_timeout ? "--key-timeout" : NULL;

	o->change.delta = R3D_CHANGE_DEFAULT_DELTA;
	o->key_timeout_ms = DEFAULT_KEY_TIMEOUT_MS;
	if (!a->text)
		return orphan ? refuse("%s needs --type TEXT (it is about the typed keys)", orphan)
			      : true;
	if (o->keys)
		return refuse("--type and --keys: only one of them (both press keys)");
	if (!r3d_keymap_parse(a->text, &o->type_keys, &o->n_type_keys, error))
		return refuse("bad --type '%s': %s", a->text, error);
	if (a->watch && !rect_option("--watch", a->watch, &o->change.watch))
		return false;
	for (size_t i = 0; a->ignore && a->ignore[i]; i++) {
		if (i == R3D_CHANGE_MAX_IGNORE)
			return refuse("too many --ignore rectangles: at most %d", R3D_CHANGE_MAX_IGNORE);
		if (!rect_option("--ignore", a->ignore[i], &o->change.ignore[i]))
			return false;
		o->change.n_ignore = i + 1;
	}
	if (!number_option("--threshold", a->threshold, 1, 100000000, &threshold) ||
	    !number_option("--pixel-delta", a->delta, 0, 254, &o->change.delta) ||
	    !number_option("--key-timeout", a->key_timeout, 1, 3600000, &o->key_timeout_ms))
		return false;
	o->change.threshold = (uint64_t)threshold;
	o->watch_text = a->watch ? g_strdup(a->watch) : NULL;
	return true;
}

bool client_options_parse(int *argc, char ***argv, struct options *o)
{
	GError *err = NULL;
	char *duration = NULL, *frames = NULL, *timeout = NULL, *dump_max = NULL;
	char *keys = NULL, *key_interval = NULL, *password_file = NULL, *quality = NULL;
	struct type_args ta = { 0 };
	GOptionEntry entries[] = {
		{ "duration", 'd', 0, G_OPTION_ARG_STRING, &duration,
		  "Measure for S seconds from the first stamped frame, or the first picture "
		  "without stamps (default 10)", "S" },
		{ "frames", 'n', 0, G_OPTION_ARG_STRING, &frames, "Stop after N stamped frames", "N" },
		{ "timeout", 't', 0, G_OPTION_ARG_STRING, &timeout,
		  "Fail when no picture comes, or a stamped stream stops, for S seconds "
		  "(default 10)", "S" },
		{ "json", 0, 0, G_OPTION_ARG_FILENAME, &o->json, "Write the summary as JSON ('-': stdout)", "FILE" },
		{ "csv", 0, 0, G_OPTION_ARG_FILENAME, &o->csv,
		  "Write one line per displayed frame (with --type: per typed key)", "FILE" },
		{ "dump-png", 0, 0, G_OPTION_ARG_FILENAME, &o->png_dir,
		  "Write the first frame and then one per second as PNG", "DIR" },
		{ "dump-max", 0, 0, G_OPTION_ARG_STRING, &dump_max, "At most N PNG files (default 5)", "N" },
		{ "keys", 'k', 0, G_OPTION_ARG_STRING, &keys,
		  "Input-to-photon probe: send N space presses, watch testsrc's marker", "N" },
		{ "key-interval", 0, 0, G_OPTION_ARG_STRING, &key_interval,
		  "Time from a key's answer to the next key (default 500)", "MS" },
		/* FILENAME: the bytes as given, whatever the locale (a character
		 * without a key is refused by keymap.c, naming it) */
		{ "type", 0, 0, G_OPTION_ARG_FILENAME, &ta.text,
		  "Key-to-glyph: type TEXT (US keys; \\n Enter, \\t Tab, \\\\ backslash) and time "
		  "each key to the first change in --watch", "TEXT" },
		{ "watch", 0, 0, G_OPTION_ARG_STRING, &ta.watch,
		  "Where a typed key's glyph appears (default: the whole picture)", "X,Y,W,H" },
		{ "ignore", 0, 0, G_OPTION_ARG_STRING_ARRAY, &ta.ignore,
		  "Changes here never count (a clock, a cursor); repeatable", "X,Y,W,H" },
		{ "threshold", 0, 0, G_OPTION_ARG_STRING, &ta.threshold,
		  "Changed pixels that make a glyph (default 8)", "N" },
		{ "pixel-delta", 0, 0, G_OPTION_ARG_STRING, &ta.delta,
		  "A pixel changed when a colour channel moved by more than N, 0..254 (default 32: "
		  "above codec noise)", "N" },
		{ "key-timeout", 0, 0, G_OPTION_ARG_STRING, &ta.key_timeout,
		  "A key without a change this long is missed (default 3000)", "MS" },
		{ "plot", 0, 0, G_OPTION_ARG_FILENAME, &o->plot,
		  "Write a plot: with --type a histogram of the key-to-glyph latencies, else each "
		  "stage's p50/p95 stacked and a waterfall of frames through the stages",
		  "FILE.png" },
		{ "quality", 0, 0, G_OPTION_ARG_STRING, &quality,
		  "PSNR and SSIM (Y) of every Nth frame shown against remote3d-testsrc's own "
		  "picture of that frame, rendered here after the run (1..1000; at most 120 frames)",
		  "N" },
		{ "scene", 0, 0, G_OPTION_ARG_STRING, &o->scene,
		  "The scene remote3d-testsrc shows, for --quality (default cube)", "cube|text" },
		{ "source-frames", 0, 0, G_OPTION_ARG_FILENAME, &o->source_frames,
		  "The source's stage times (remote3d-testsrc --frames-csv FILE, same machine "
		  "or clock), joined by frame stamp into the report, CSV and plot", "FILE" },
		{ "stock-parser", 0, 0, G_OPTION_ARG_NONE, &o->stock_parser,
		  "Decode as stock spice-gtk 0.42 does: its H.264/H.265 caps lack alignment=au, so "
		  "the parser holds each frame until the next one starts (one frame interval "
		  "later; what remote-viewer shows)", NULL },
		{ "codec", 0, 0, G_OPTION_ARG_STRING, &o->codec,
		  "Preferred video codec to announce (default h264)", "h264|vp8|vp9|h265|mjpeg" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
		  "The server's password: the first line of FILE", "FILE" },
		{ "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &o->ca_file,
		  "CA certificates (PEM) to check a TLS server with "
		  "(spice://HOST?tls-port=N; default: the system's)", "FILE" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("spice://HOST:PORT");
	g_option_context_set_summary(ctx, "Connects to a SPICE server, decodes its stream and "
				     "measures what a viewer gets: codec, frames, fps, bitrate, time to "
				     "the first picture; stamp-to-display latency when the picture "
				     "carries remote3d's frame stamp; key-to-glyph latency with --type.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	bool ok = g_option_context_parse(ctx, argc, argv, &err);
	g_option_context_free(ctx);
	if (!ok) {
		fprintf(stderr, PROG ": %s\n", err->message);
		g_error_free(err);
		goto out;
	}
	ok = false;
	if (*argc != 2 || (strncmp((*argv)[1], "spice://", 8) != 0 &&
			   strncmp((*argv)[1], "spice+tls://", 12) != 0)) {
		refuse("expected one spice://HOST:PORT argument (see --help)");
		goto out;
	}
	o->uri = (*argv)[1];
	if (!o->codec)
		o->codec = g_strdup("h264");
	if (!g_strv_contains((const char *const[]){ "h264", "vp8", "vp9", "h265", "mjpeg", NULL },
			     o->codec)) {
		refuse("bad --codec '%s': expected h264, vp8, vp9, h265 or mjpeg", o->codec);
		goto out;
	}
	o->timeout_s = 10;
	o->key_interval_ms = 500;
	o->dump_max = 5;
	if (!seconds_option("--duration", duration, 0, &o->duration_s) ||
	    !number_option("--frames", frames, 1, INT_MAX, &o->frames) ||
	    !seconds_option("--timeout", timeout, 0, &o->timeout_s) ||
	    !number_option("--dump-max", dump_max, 1, 1000000, &o->dump_max) ||
	    !number_option("--keys", keys, 0, 1000000, &o->keys) ||
	    !number_option("--key-interval", key_interval, 1, 3600000, &o->key_interval_ms) ||
	    !number_option("--quality", quality, 1, 1000, &o->quality))
		goto out;
	if (duration && frames) {
		refuse("--duration and --frames: only one of them");
		goto out;
	}
	if (!type_options(&ta, o))
		goto out;
	if (o->duration_s == 0 && o->frames == 0 && o->keys == 0 && !o->type_keys)
		o->duration_s = 10;
	if (password_file && !read_password(password_file, &o->password))
		goto out;
	if (o->ca_file && g_access(o->ca_file, R_OK) != 0) {
		refuse("cannot read --ca-file %s: %s", o->ca_file, strerror(errno));
		goto out;
	}
	if (o->scene && strcmp(o->scene, "cube") != 0 && strcmp(o->scene, "text") != 0) {
		refuse("bad --scene '%s': expected cube or text", o->scene);
		goto out;
	}
	if (o->scene && !o->quality) {
		refuse("--scene needs --quality N (it says what to compare with)");
		goto out;
	}
	if (o->source_frames && g_access(o->source_frames, R_OK) != 0) {
		refuse("cannot read --source-frames %s: %s", o->source_frames, strerror(errno));
		goto out;
	}
	if (o->png_dir && g_mkdir_with_parents(o->png_dir, 0755) != 0) {
		refuse("cannot create %s: %s", o->png_dir, strerror(errno));
		goto out;
	}
	ok = true;
out:
	g_free(duration);
	g_free(frames);
	g_free(timeout);
	g_free(dump_max);
	g_free(keys);
	g_free(key_interval);
	g_free(password_file);
	g_free(quality);
	g_free(ta.text);
	g_free(ta.watch);
	g_strfreev(ta.ignore);
	g_free(ta.threshold);
	g_free(ta.delta);
	g_free(ta.key_timeout);
	return ok;
}

void client_options_finish(struct options *o)
{
	if (o->password) {
		memset(o->password, 0, strlen(o->password));
		g_free(o->password);
		o->password = NULL;
	}
	free(o->type_keys);
	o->type_keys = NULL;
	/* GOption's strings (and the --codec default) */
	char **strings[] = { &o->watch_text, &o->scene, &o->json, &o->csv, &o->png_dir, &o->codec,
			     &o->ca_file, &o->source_frames, &o->plot };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		g_free(*strings[i]);
		*strings[i] = NULL;
	}
}
