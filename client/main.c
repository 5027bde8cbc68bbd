/*
 * remote3d-client — a headless, measuring SPICE client.
 *
 *   remote3d-client spice://HOST:PORT [--duration S | --frames N] [--json FILE]
 *                   [--csv FILE] [--dump-png DIR] [--keys N --key-interval MS]
 *                   [--password-file FILE] [--ca-file FILE]
 *
 * It connects with spice-client-glib, asks for H.264, lets spice-gtk decode
 * the stream with GStreamer exactly as remote-viewer would, and reads the
 * frame stamp (remote3d/stamp.h) at (0, 0) of the primary surface each time
 * the surface changes. Each new stamp is one displayed frame:
 * latency = display time - stamp time, both CLOCK_MONOTONIC on this host.
 * The measuring window starts at the first stamped frame.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <spice-client.h>

#include "cli-number.h"
#include "decoder-watch.h"
#include "key-probe.h"
#include "png-io.h"
#include "report.h"
#include "remote3d/stamp.h"

#define PROG "remote3d-client"
#define TICK_MS 20
/* seconds, for --duration and --timeout: 1e6 s (11.6 days) in µs fits anywhere */
#define MAX_SECONDS 1000000.0

struct options {
	double duration_s;
	int frames;
	double timeout_s;
	char *json, *csv, *png_dir;
	int dump_max;
	int keys, key_interval_ms;
	char *codec;
	char *password;     /* from --password-file */
	char *ca_file;      /* CA certificates for TLS (spice-gtk's "ca-file") */
};

struct client {
	struct options opt;
	const char *uri;
	GMainLoop *loop;
	SpiceSession *session;
	SpiceChannel *main_ch, *display;
	SpiceInputsChannel *inputs;
	bool opened;        /* main channel got linked */
	bool finishing;
	bool debug;         /* R3D_DEBUG=1 */

	/* primary surface (spice-gtk's canvas memory, 32 bpp xRGB) */
	const uint8_t *primary;
	int width, height, stride;

	uint64_t connect_us, first_us, last_update_us, end_us;
	guint64 bytes_at_first, bytes_at_end;
	GArray *recs;       /* struct r3d_frame_rec */
	uint64_t updates, unstamped;

	int dumped;
	uint64_t last_dump_us;

	struct r3d_key_probe *probe;
	guint tick_id;
	int exit_code;
	char *error;        /* the one line printed on failure */
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static guint64 display_bytes(struct client *c)
{
	guint64 bytes = 0;
	if (c->display)
		g_object_get(c->display, "total-read-bytes", &bytes, NULL);
	return bytes;
}

static void finish(struct client *c)
{
	if (c->finishing)
		return;
	c->finishing = true;
	c->end_us = now_us();
	c->bytes_at_end = display_bytes(c);
	g_main_loop_quit(c->loop);
}

static void fail(struct client *c, int code, char *msg /* owned */)
{
	if (c->finishing) {
		g_free(msg);
		return;
	}
	c->exit_code = code;
	c->error = msg;
	finish(c);
}

static void maybe_dump_png(struct client *c, uint32_t frame, uint64_t t)
{
	if (!c->opt.png_dir || c->dumped >= c->opt.dump_max)
		return;
	if (c->dumped > 0 && t - c->last_dump_us < 1000000)
		return;
	char *path = g_strdup_printf("%s/frame-%08" PRIu32 ".png", c->opt.png_dir, frame);
	if (!r3d_png_write_xrgb(path, c->primary, c->width, c->height, c->stride))
		fprintf(stderr, PROG ": warning: cannot write %s\n", path);
	c->dumped++;
	c->last_dump_us = t;
	g_free(path);
}

/* ---- display channel ---- */

static void on_primary_create(SpiceChannel *ch, gint format, gint width, gint height,
			      gint stride, gint shmid, gpointer imgdata, gpointer data)
{
	struct client *c = data;
	if (format != SPICE_SURFACE_FMT_32_xRGB && format != SPICE_SURFACE_FMT_32_ARGB) {
		fail(c, 1, g_strdup_printf("%s: unsupported primary surface format %d", c->uri, format));
		return;
	}
	c->primary = imgdata;
	c->width = width;
	c->height = height;
	c->stride = stride;
}

static void on_primary_destroy(SpiceChannel *ch, gpointer data)
{
	struct client *c = data;
	c->primary = NULL;
}

static void on_invalidate(SpiceChannel *ch, gint x, gint y, gint w, gint h, gpointer data)
{
	struct client *c = data;
	uint64_t t = now_us();

	if (!c->primary || c->finishing)
		return;
	c->last_update_us = t;

	const struct r3d_image_view view = {
		.data = c->primary, .width = c->width, .height = c->height,
		.stride = c->stride, .bpp = 4,
	};
	if (c->probe)
		r3d_key_probe_update(c->probe, &view, x, y, w, h, t);

	/* only updates that touch the stamp can show a new frame number */
	if (x >= R3D_STAMP_WIDTH || y >= R3D_STAMP_HEIGHT)
		return;
	c->updates++;

	struct r3d_stamp st;
	if (!r3d_stamp_read(&view, 0, 0, &st)) {
		c->unstamped++;
		return;
	}
	if (c->recs->len > 0) {
		const struct r3d_frame_rec *last =
			&g_array_index(c->recs, struct r3d_frame_rec, c->recs->len - 1);
		if (last->frame == st.frame)
			return; /* same picture redrawn */
	} else {
		c->first_us = t;
		c->bytes_at_first = display_bytes(c);
	}
	struct r3d_frame_rec rec = { .frame = st.frame, .stamp_us = st.time_us, .display_us = t };
	g_array_append_val(c->recs, rec);
	maybe_dump_png(c, st.frame, t);

	if (c->opt.frames > 0 && c->recs->len >= (guint)c->opt.frames)
		finish(c);
}

static void prefer_codec(struct client *c)
{
	static const struct { const char *name; gint type; } codecs[] = {
		{ "h264", SPICE_VIDEO_CODEC_TYPE_H264 }, { "vp8", SPICE_VIDEO_CODEC_TYPE_VP8 },
		{ "vp9", SPICE_VIDEO_CODEC_TYPE_VP9 },   { "h265", SPICE_VIDEO_CODEC_TYPE_H265 },
		{ "mjpeg", SPICE_VIDEO_CODEC_TYPE_MJPEG },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(codecs); i++) {
		if (strcmp(codecs[i].name, c->opt.codec) != 0)
			continue;
		GError *err = NULL;
		if (!spice_display_channel_change_preferred_video_codec_types(c->display,
				&codecs[i].type, 1, &err)) {
			fprintf(stderr, PROG ": warning: cannot announce %s preference: %s\n",
				c->opt.codec, err ? err->message : "?");
			g_clear_error(&err);
		}
		return;
	}
}

/* ---- channel events, connection errors ---- */

static char *reason_of(struct client *c, SpiceChannel *ch, SpiceChannelEvent event)
{
	const GError *e = spice_channel_get_error(ch);

	if (event == SPICE_CHANNEL_ERROR_AUTH)
		return g_strdup(c->opt.password ? "authentication failed: wrong password"
				: "authentication failed: the server requires a password "
				  "(--password-file FILE)");
	if (event == SPICE_CHANNEL_ERROR_TLS && !e)
		return c->opt.ca_file
			? g_strdup_printf("TLS error: the server's certificate does not verify against "
					  "--ca-file %s (or does not name this host)", c->opt.ca_file)
			: g_strdup("TLS error: the server's certificate is not signed by a CA this "
				   "system trusts (--ca-file FILE names one)");
	if (e && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
		return g_strdup("connection refused");
	if (e && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		return g_strdup("timed out");
	if (e)
		return g_strdup(e->message);
	switch (event) {
	case SPICE_CHANNEL_CLOSED: return g_strdup("closed by the server");
	case SPICE_CHANNEL_ERROR_CONNECT: return g_strdup("connection failed");
	case SPICE_CHANNEL_ERROR_TLS: return g_strdup("TLS error");
	case SPICE_CHANNEL_ERROR_LINK: return g_strdup("SPICE link failed (not a SPICE server, or it refused the channel)");
	case SPICE_CHANNEL_ERROR_AUTH: return g_strdup("authentication failed");
	case SPICE_CHANNEL_ERROR_IO: return g_strdup("I/O error");
	default: return g_strdup_printf("channel event %d", event);
	}
}

static void on_channel_event(SpiceChannel *ch, SpiceChannelEvent event, gpointer data)
{
	struct client *c = data;
	if (c->debug)
		fprintf(stderr, PROG ": debug: %s event %d\n", G_OBJECT_TYPE_NAME(ch), event);
	if (event == SPICE_CHANNEL_OPENED) {
		if (ch == c->main_ch)
			c->opened = true;
		if (ch == c->display)
			prefer_codec(c);
		return;
	}
	if (event == SPICE_CHANNEL_SWITCHING || c->finishing)
		return;
	if (ch != c->main_ch && ch != c->display)
		return; /* other channels are not needed to measure */
	char *reason = reason_of(c, ch, event);
	if (!c->opened)
		fail(c, 1, g_strdup_printf("cannot connect to %s: %s", c->uri, reason));
	else
		fail(c, 1, g_strdup_printf("connection to %s dropped after %u frames: %s",
					   c->uri, c->recs->len, reason));
	g_free(reason);
}

static void on_channel_new(SpiceSession *s, SpiceChannel *ch, gpointer data)
{
	struct client *c = data;
	int id;

	g_object_get(ch, "channel-id", &id, NULL);
	if (SPICE_IS_MAIN_CHANNEL(ch)) {
		c->main_ch = ch;
		g_signal_connect(ch, "channel-event", G_CALLBACK(on_channel_event), c);
		return; /* spice_session_connect() connects it */
	}
	if (SPICE_IS_DISPLAY_CHANNEL(ch)) {
		if (id != 0)
			return;
		c->display = ch;
		g_signal_connect(ch, "channel-event", G_CALLBACK(on_channel_event), c);
		g_signal_connect(ch, "display-primary-create", G_CALLBACK(on_primary_create), c);
		g_signal_connect(ch, "display-primary-destroy", G_CALLBACK(on_primary_destroy), c);
		g_signal_connect(ch, "display-invalidate", G_CALLBACK(on_invalidate), c);
		spice_channel_connect(ch);
		return;
	}
	if (SPICE_IS_INPUTS_CHANNEL(ch)) {
		c->inputs = SPICE_INPUTS_CHANNEL(ch);
		g_signal_connect(ch, "channel-event", G_CALLBACK(on_channel_event), c);
		spice_channel_connect(ch);
		return;
	}
	/* cursor, playback, usbredir...: not needed; left unconnected */
}

static void on_channel_destroy(SpiceSession *s, SpiceChannel *ch, gpointer data)
{
	struct client *c = data;
	if (ch == c->display) {
		c->display = NULL;
		c->primary = NULL;
	}
	if (ch == (SpiceChannel *)c->inputs)
		c->inputs = NULL;
	if (ch == c->main_ch)
		c->main_ch = NULL;
}

/* ---- timers ---- */

static gboolean on_tick(gpointer data)
{
	struct client *c = data;
	uint64_t t = now_us();
	uint64_t timeout = (uint64_t)(c->opt.timeout_s * 1e6);

	if (c->recs->len == 0) {
		if (t - c->connect_us > timeout) {
			if (!c->opened)
				fail(c, 1, g_strdup_printf("cannot connect to %s: no answer within %.0f s",
							   c->uri, c->opt.timeout_s));
			else if (!c->primary)
				fail(c, 1, g_strdup_printf("%s: no display surface within %.0f s",
							   c->uri, c->opt.timeout_s));
			else
				fail(c, 1, g_strdup_printf("%s: no stamped frame within %.0f s (%" PRIu64
							   " updates, %" PRIu64 " without a stamp)",
							   c->uri, c->opt.timeout_s, c->updates, c->unstamped));
		}
		return G_SOURCE_CONTINUE;
	}
	if (t - c->last_update_us > timeout) {
		fail(c, 1, g_strdup_printf("%s: stream stalled: no frame for %.0f s after %u frames",
					   c->uri, c->opt.timeout_s, c->recs->len));
		return G_SOURCE_CONTINUE;
	}
	if (c->probe && c->inputs)
		r3d_key_probe_tick(c->probe, c->inputs, t);
	bool probe_done = !c->probe || r3d_key_probe_done(c->probe);
	if (c->opt.duration_s > 0 && t - c->first_us >= (uint64_t)(c->opt.duration_s * 1e6) &&
	    probe_done)
		finish(c);
	else if (c->opt.duration_s <= 0 && c->opt.frames <= 0 && c->probe && probe_done)
		finish(c);
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	finish(data);
	return G_SOURCE_CONTINUE;
}

/* ---- main ---- */

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

static bool parse_options(int *argc, char ***argv, struct client *c)
{
	struct options *o = &c->opt;
	GError *err = NULL;
	char *duration = NULL, *frames = NULL, *timeout = NULL, *dump_max = NULL;
	char *keys = NULL, *key_interval = NULL, *password_file = NULL;
	GOptionEntry entries[] = {
		{ "duration", 'd', 0, G_OPTION_ARG_STRING, &duration,
		  "Measure for S seconds from the first frame (default 10)", "S" },
		{ "frames", 'n', 0, G_OPTION_ARG_STRING, &frames, "Stop after N frames", "N" },
		{ "timeout", 't', 0, G_OPTION_ARG_STRING, &timeout,
		  "Fail when no frame arrives for S seconds (default 10)", "S" },
		{ "json", 0, 0, G_OPTION_ARG_FILENAME, &o->json, "Write the summary as JSON ('-': stdout)", "FILE" },
		{ "csv", 0, 0, G_OPTION_ARG_FILENAME, &o->csv, "Write one line per displayed frame", "FILE" },
		{ "dump-png", 0, 0, G_OPTION_ARG_FILENAME, &o->png_dir,
		  "Write the first frame and then one per second as PNG", "DIR" },
		{ "dump-max", 0, 0, G_OPTION_ARG_STRING, &dump_max, "At most N PNG files (default 5)", "N" },
		{ "keys", 'k', 0, G_OPTION_ARG_STRING, &keys,
		  "Input-to-photon probe: send N key presses", "N" },
		{ "key-interval", 0, 0, G_OPTION_ARG_STRING, &key_interval,
		  "Time between key presses (default 500)", "MS" },
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
				     "measures frames, fps, bitrate and stamp-to-display latency.");
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
	c->uri = (*argv)[1];
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
	    !number_option("--key-interval", key_interval, 1, 3600000, &o->key_interval_ms))
		goto out;
	if (duration && frames) {
		refuse("--duration and --frames: only one of them");
		goto out;
	}
	if (o->duration_s == 0 && o->frames == 0 && o->keys == 0)
		o->duration_s = 10;
	if (password_file && !read_password(password_file, &o->password))
		goto out;
	if (o->ca_file && g_access(o->ca_file, R_OK) != 0) {
		refuse("cannot read --ca-file %s: %s", o->ca_file, strerror(errno));
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
	return ok;
}

/* Load the decoder's plugins before connecting. spice-gtk loads them when
 * the first stream starts; in a fresh process that costs ~250 ms of CPU
 * (libav registers hundreds of elements), which would count as the server's
 * time to first frame. A viewer pays it once per process, not per stream. */
static void preload_decoder_plugins(void)
{
	static const char *const features[] = { "playbin", "decodebin", "h264parse",
						"avdec_h264", "videoconvert", "appsink" };

	for (size_t i = 0; i < G_N_ELEMENTS(features); i++) {
		GstPluginFeature *f =
			GST_PLUGIN_FEATURE(gst_element_factory_find(features[i]));
		GstPluginFeature *loaded = f ? gst_plugin_feature_load(f) : NULL;

		/* a missing one is spice-gtk's to report when it needs it */
		if (loaded)
			gst_object_unref(loaded);
		if (f)
			gst_object_unref(f);
	}
}

int main(int argc, char **argv)
{
	struct client c = { .exit_code = 0 };
	GError *err = NULL;

	if (!parse_options(&argc, &argv, &c))
		return 2;
	if (!gst_init_check(NULL, NULL, &err)) {
		fprintf(stderr, PROG ": GStreamer: %s\n", err->message);
		return 1;
	}
	preload_decoder_plugins();
	if (!r3d_decoder_watch_install())
		fprintf(stderr, PROG ": warning: no GStreamer tracer: the codec will not be known\n");
	if (c.opt.keys > 0) {
		char *why = NULL;
		c.probe = r3d_key_probe_create(c.opt.keys, c.opt.key_interval_ms, &why);
		if (!c.probe) {
			fprintf(stderr, PROG ": --keys: %s\n", why);
			g_free(why);
			return 2;
		}
	}

	c.debug = g_strcmp0(g_getenv("R3D_DEBUG"), "1") == 0;
	c.recs = g_array_new(FALSE, FALSE, sizeof(struct r3d_frame_rec));
	c.loop = g_main_loop_new(NULL, FALSE);
	c.session = spice_session_new();
	g_object_set(c.session, "uri", c.uri, "enable-audio", FALSE, NULL);
	if (c.opt.password)
		g_object_set(c.session, "password", c.opt.password, NULL);
	if (c.opt.ca_file)
		g_object_set(c.session, "ca-file", c.opt.ca_file, NULL);
	g_signal_connect(c.session, "channel-new", G_CALLBACK(on_channel_new), &c);
	g_signal_connect(c.session, "channel-destroy", G_CALLBACK(on_channel_destroy), &c);
	g_unix_signal_add(SIGINT, on_signal, &c);
	g_unix_signal_add(SIGTERM, on_signal, &c);

	c.connect_us = now_us();
	if (!spice_session_connect(c.session)) {
		fprintf(stderr, PROG ": cannot connect to %s: invalid address\n", c.uri);
		return 1;
	}
	c.tick_id = g_timeout_add(TICK_MS, on_tick, &c);
	g_main_loop_run(c.loop);
	g_source_remove(c.tick_id);

	/* nothing stamped to dump: keep what the surface showed, to see why */
	if (c.opt.png_dir && c.dumped == 0 && c.primary) {
		char *path = g_strdup_printf("%s/last.png", c.opt.png_dir);
		if (!r3d_png_write_xrgb(path, c.primary, c.width, c.height, c.stride))
			fprintf(stderr, PROG ": warning: cannot write %s\n", path);
		g_free(path);
	}

	struct r3d_client_report r = {
		.uri = c.uri, .width = c.width, .height = c.height,
		.updates = c.updates, .unstamped = c.unstamped,
	};
	r3d_decoder_watch_get(&r.dec);
	if (c.recs->len > 0) {
		r.seconds = (double)(c.end_us - c.first_us) / 1e6;
		r.bytes = c.bytes_at_end - c.bytes_at_first;
		r.time_to_first_frame_ms = (double)(c.first_us - c.connect_us) / 1000.0;
	}
	if (c.probe)
		r.keys_sent = r3d_key_probe_result(c.probe, &r.input_to_photon);
	const struct r3d_frame_rec *recs = (const struct r3d_frame_rec *)c.recs->data;
	if (!r3d_report_compute(&r, recs, c.recs->len)) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	if (c.recs->len > 0 || !c.error) {
		r3d_report_print_text(&r, stdout);
		fflush(stdout);
		if (c.opt.json && !r3d_report_write_json(&r, c.opt.json))
			fprintf(stderr, PROG ": cannot write %s\n", c.opt.json);
		if (c.opt.csv && !r3d_report_write_csv(recs, c.recs->len, c.opt.csv))
			fprintf(stderr, PROG ": cannot write %s\n", c.opt.csv);
	}
	if (c.error)
		fprintf(stderr, PROG ": %s\n", c.error);

	spice_session_disconnect(c.session);
	g_object_unref(c.session);
	r3d_key_probe_destroy(c.probe);
	g_array_free(c.recs, TRUE);
	g_main_loop_unref(c.loop);
	g_free(c.error);
	if (c.opt.password) {
		memset(c.opt.password, 0, strlen(c.opt.password));
		g_free(c.opt.password);
	}
	return c.exit_code;
}
