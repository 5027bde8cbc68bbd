/*
 * remote3d-testsrc — serves an animated, stamped GL scene as an H.264
 * stream through the patched spice-server.
 *
 *   remote3d-testsrc [--port N] [--addr A] [--password-file FILE]
 *                    [--tls-port N --x509-dir DIR] [--size WxH] [--fps N]
 *                    [--encoder x264|openh264|va|auto|'<gst pipeline>']
 *                    [--bitrate KBPS] [--rate-control on|off]
 *                    [--min-bitrate KBPS] [--max-bitrate KBPS] [--duration S]
 *                    [--stats-json FILE] [--stats-log FILE [--stats-interval S]]
 *                    [--frames-csv FILE] [--scene cube|text] [--no-stamp]
 *
 * Options: options.c (every value is checked there, before anything starts).
 *
 * Threads: the main thread runs the GLib main loop (spice-server's core
 * interface, the render timer, libremote3d dispatch with the scene's GL
 * context current); spice's display worker calls the stream callbacks;
 * libremote3d's encoder thread hands access units to spice.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "remote3d/clock.h"
#include "remote3d/log.h"
#include "remote3d/spice-sink.h"
#include "remote3d/stats.h"
#include "remote3d/stream.h"
#include "frame-log.h"
#include "options.h"
#include "scene.h"
#include "spice-host.h"

#define PROG "remote3d-testsrc"

struct app {
	struct options opt;
	GMainLoop *loop;
	struct r3d_scene *scene;
	struct r3d_spice_sink *sink; /* the stream on spice-server's external stream */
	struct r3d_stream *stream;   /* the sink's */
	struct r3d_spice_host *host;
	int timer_fd;
	uint32_t frame;
	int marker;
	atomic_bool dispatch_pending;
	unsigned long key_presses, pointer_events, timer_overruns;
	struct r3d_stats_window render_us;
	uint64_t started_us;
	FILE *stats_log;
	struct frame_log *frames; /* --frames-csv */
	bool stats_log_failed;
};

/* ---- the stream's dispatch on the main loop (the sink: remote3d/spice-sink.h) ---- */

static gboolean dispatch_idle(gpointer data)
{
	struct app *app = data;

	atomic_store(&app->dispatch_pending, false);
	r3d_stream_dispatch(app->stream);
	return G_SOURCE_REMOVE;
}

/* any thread */
static void stream_wakeup(void *opaque)
{
	struct app *app = opaque;

	if (!atomic_exchange(&app->dispatch_pending, true))
		g_idle_add_full(G_PRIORITY_DEFAULT, dispatch_idle, app, NULL);
}

/* any thread: spice-server wrote (or dropped) the frame for every client */
static void frame_written(void *opaque, const struct r3d_access_unit *au)
{
	struct app *app = opaque;

	frame_log_written(app->frames, &au->timing, au->size, au->keyframe, r3d_time_us());
}

/* ---- rendering and input (main thread) ---- */

static void render_frame(struct app *app)
{
	uint64_t t0 = r3d_time_us();

	frame_log_rendered(app->frames, app->frame, t0);
	r3d_scene_render(app->scene, app->frame++, t0);
	r3d_stats_window_add(&app->render_us, r3d_time_us() - t0);
	/* the stream calls stream_wakeup() when this frame can go: dispatch
	 * runs from that idle source, once, as in QEMU */
	r3d_stream_mark_dirty(app->stream, NULL);
}

static gboolean render_tick(gint fd, GIOCondition cond, gpointer data)
{
	struct app *app = data;
	uint64_t expirations = 0;

	if (read(fd, &expirations, sizeof(expirations)) == sizeof(expirations) && expirations > 1)
		app->timer_overruns += expirations - 1;
	render_frame(app);
	return G_SOURCE_CONTINUE;
}

static void on_key(void *opaque, uint8_t scancode, bool pressed)
{
	struct app *app = opaque;

	/* a modifier alone draws nothing, as in a terminal: Shift+A is one change */
	bool modifier = scancode == 0x2a || scancode == 0x36 || scancode == 0x1d ||
			scancode == 0x38;

	if (!pressed || modifier)
		return;
	/* every other press changes the marker's colour; render it at once */
	app->key_presses++;
	app->marker = (int)(app->key_presses % 1000) + 1;
	r3d_scene_set_marker(app->scene, app->marker);
	render_frame(app);
}

static void on_pointer(void *opaque, int x, int y, uint32_t buttons)
{
	struct app *app = opaque;

	app->pointer_events++;
}

static gboolean on_quit(gpointer data)
{
	struct app *app = data;

	g_main_loop_quit(app->loop);
	return G_SOURCE_CONTINUE;
}

/* ---- stats ---- */

static void print_stage(FILE *f, const char *name, const struct r3d_stats_window *w)
{
	struct r3d_stage_stats s;

	r3d_stats_window_summary(w, &s);
	fprintf(f, "\"%s\":{\"count\":%llu,\"median_us\":%u,\"p95_us\":%u,\"max_us\":%u}",
		name, (unsigned long long)s.count, s.median_us, s.p95_us, s.max_us);
}

static bool write_stats(struct app *app, const char *path)
{
	struct r3d_stats st;
	struct r3d_spice_sink_counters c;
	FILE *f = fopen(path, "w");

	if (!f) {
		r3d_log(R3D_LOG_ERROR, "cannot write --stats-json %s: %s", path, strerror(errno));
		return false;
	}
	r3d_stream_get_stats(app->stream, &st);
	r3d_spice_sink_get_counters(app->sink, &c);
	fprintf(f, "{\"testsrc\":{\"width\":%d,\"height\":%d,\"fps\":%d,\"encoder\":\"%s\","
		"\"seconds\":%.3f,\"frames_rendered\":%u,\"timer_overruns\":%lu,",
		app->opt.width, app->opt.height, app->opt.fps,
		r3d_stream_encoder_name(app->stream),
		(r3d_time_us() - app->started_us) / 1e6, app->frame, app->timer_overruns);
	print_stage(f, "render", &app->render_us);
	fprintf(f, ",\"key_presses\":%lu,\"pointer_events\":%lu,\"sink_ready\":%lu,"
		"\"keyframe_requests\":%lu,\"client_reports\":%lu,\"frames_pushed\":%lu,"
		"\"bytes_pushed\":%lu,\"push_errors\":%lu,\"clients_max\":%u},\"stream\":",
		app->key_presses, app->pointer_events, c.ready, c.keyframe_requests,
		c.client_reports, c.pushed, c.bytes_pushed, c.push_errors, c.clients_max);
	r3d_stats_print_json(&st, f);
	fputs("}\n", f);
	return fclose(f) == 0;
}

/* --stats-log: one JSON object per line, flushed at once (a benchmark
 * reads the file after a SIGTERM or the end of --duration). */
static void stats_log_line(struct app *app)
{
	struct r3d_stats st;
	FILE *f = app->stats_log;

	if (!f || app->stats_log_failed)
		return;
	r3d_stream_get_stats(app->stream, &st);
	fprintf(f, "{\"t\":%.3f,\"encoded\":%llu,\"dropped\":%llu,\"bytes\":%llu,"
		"\"queue_frames\":%u,\"queue_bytes\":%llu,\"bitrate_kbps\":%u,\"rate_control\":%s",
		(r3d_time_us() - app->started_us) / 1e6, (unsigned long long)st.encoded,
		(unsigned long long)st.dropped, (unsigned long long)st.bytes, st.queue_frames,
		(unsigned long long)st.queue_bytes, st.bitrate_kbps,
		st.rate_control ? "true" : "false");
	if (st.rate_control) {
		const struct r3d_rate_state *r = &st.rate;

		fprintf(f, ",\"phase\":\"%s\",\"target_kbps\":%u,\"encoder_kbps\":%u,\"fps_cap\":%u,"
			"\"sent_kbps\":%.1f,\"sent_fps\":%.2f,\"delivery_kbps\":%.1f,"
			"\"srtt_ms\":%.3f,\"min_rtt_ms\":%.3f,\"queue_delay_ms\":%.3f,"
			"\"socket_unsent_bytes\":%u,\"inflight_bytes\":%u,\"inflight_cap_bytes\":%u,"
			"\"holds\":%llu,\"capacity_kbps\":%.1f,\"tcp_dips\":%llu",
			r3d_rate_phase_name(r->phase), r->target_kbps, r->encoder_kbps, r->fps_cap,
			r->sent_kbps, r->sent_fps, r->delivery_kbps, r->srtt_us / 1e3,
			r->min_rtt_us / 1e3, r->queue_delay_us / 1e3, r->socket_unsent_bytes,
			r->inflight_bytes, r->inflight_cap_bytes, (unsigned long long)r->holds,
			r->capacity_kbps, (unsigned long long)r->tcp_dips);
	}
	fputs("}\n", f);
	if (fflush(f) != 0 || ferror(f)) {
		r3d_log(R3D_LOG_ERROR, "cannot write --stats-log %s: %s (no more lines)",
			app->opt.stats_log, strerror(errno));
		app->stats_log_failed = true;
	}
}

static gboolean stats_log_tick(gpointer data)
{
	stats_log_line(data);
	return G_SOURCE_CONTINUE;
}

/* ---- main ---- */

static int fail(const char *what, char *error)
{
	fprintf(stderr, PROG ": error: %s%s%s\n", what ? what : "", what && error ? ": " : "",
		error ? error : "");
	free(error);
	return 1;
}

/* milliseconds for g_timeout_add (options.c bounds s to what a guint holds) */
static guint ms_of(double s)
{
	guint ms = (guint)llround(s * 1000.0);

	return ms ? ms : 1;
}

int main(int argc, char **argv)
{
	static struct app app_storage; /* large; zero-initialised */
	struct app *app = &app_storage;
	struct r3d_spice_host_listen listen, tls_listen;
	struct itimerspec its = { 0 };
	char *error = NULL;
	int rc = 1;

	if (!testsrc_options_parse(argc, argv, &app->opt)) {
		testsrc_options_finish(&app->opt);
		return 2;
	}
	if (app->opt.help)
		return 0;

	/* checks that can fail come first, so that a bad input prints one line */
	struct r3d_stream_config scfg = {
		.width = app->opt.width,
		.height = app->opt.height,
		.encoder = app->opt.encoder,
		.bitrate_kbps = app->opt.bitrate_kbps,
		.rate_control = app->opt.rate_control,
		.min_bitrate_kbps = app->opt.min_bitrate_kbps,
		.max_bitrate_kbps = app->opt.max_bitrate_kbps,
	};
	/* R3D_GL_READBACK, R3D_PIPELINE, R3D_GL_PERSISTENT, R3D_ENCODER_NICE, R3D_STATS */
	if (!r3d_stream_config_from_env(&scfg, &error)) {
		fail(NULL, error);
		rc = 2;
		goto out;
	}
	if (!r3d_spice_host_check_listen(app->opt.addr, app->opt.port, &listen, &error)) {
		rc = fail("cannot serve", error);
		goto out;
	}
	if (app->opt.tls_port &&
	    !r3d_spice_host_check_listen(app->opt.addr, app->opt.tls_port, &tls_listen, &error)) {
		rc = fail("cannot serve TLS", error);
		goto out;
	}
	if (app->opt.stats_log) {
		app->stats_log = fopen(app->opt.stats_log, "w");
		if (!app->stats_log) {
			fprintf(stderr, PROG ": error: cannot write --stats-log %s: %s\n",
				app->opt.stats_log, strerror(errno));
			goto out;
		}
	}

	if (app->opt.frames_csv) {
		app->frames = frame_log_create(app->opt.frames_csv, &error);
		if (!app->frames) {
			rc = fail(NULL, error);
			goto out;
		}
	}

	app->scene = r3d_scene_create(app->opt.width, app->opt.height, &error);
	if (!app->scene) {
		rc = fail("GL scene", error);
		goto out;
	}
	r3d_scene_set_stamp(app->scene, !app->opt.no_stamp);
	enum r3d_scene_kind kind = R3D_SCENE_CUBE;
	if (app->opt.scene && (!r3d_scene_kind_parse(app->opt.scene, &kind) ||
			       !r3d_scene_set_kind(app->scene, kind))) {
		rc = fail("GL scene", strdup("out of memory for the text scene"));
		goto out;
	}

	struct r3d_spice_host_config hcfg = {
		.addr = app->opt.addr,
		.port = app->opt.port,
		.password = app->opt.password,
		.tls_port = app->opt.tls_port,
		.x509_dir = app->opt.x509_dir,
		.width = app->opt.width,
		.height = app->opt.height,
		.on_key = on_key,
		.on_pointer = on_pointer,
		.opaque = app,
	};
	app->host = r3d_spice_host_create(&hcfg, &error);
	if (!app->host) {
		rc = fail("spice", error);
		goto out;
	}

	/* QEMU's glue: the stream on spice-server's external stream */
	struct r3d_spice_sink_config kcfg = {
		.qxl = r3d_spice_host_qxl(app->host),
		.stream = scfg,
		.wakeup = stream_wakeup,
		.written = frame_written,
		.opaque = app,
	};
	app->sink = r3d_spice_sink_start(&kcfg, &error);
	if (!app->sink) {
		rc = fail(NULL, error);
		goto out;
	}
	app->stream = r3d_spice_sink_stream(app->sink);
	if (!r3d_stream_set_source_gl(app->stream, r3d_scene_texture(app->scene),
				      app->opt.width, app->opt.height, r3d_scene_y0_top(app->scene))) {
		rc = fail("cannot use the scene's texture as the stream source", NULL);
		goto out;
	}

	app->loop = g_main_loop_new(NULL, FALSE);
	app->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (app->timer_fd < 0) {
		rc = fail("timerfd", strdup(strerror(errno)));
		goto out;
	}
	its.it_value.tv_nsec = 1;
	its.it_interval.tv_sec = 0;
	its.it_interval.tv_nsec = 1000000000L / app->opt.fps;
	if (app->opt.fps == 1) {
		its.it_interval.tv_sec = 1;
		its.it_interval.tv_nsec = 0;
	}
	timerfd_settime(app->timer_fd, 0, &its, NULL);
	g_unix_fd_add(app->timer_fd, G_IO_IN, render_tick, app);
	g_unix_signal_add(SIGINT, on_quit, app);
	g_unix_signal_add(SIGTERM, on_quit, app);
	if (app->opt.duration_s > 0)
		g_timeout_add(ms_of(app->opt.duration_s), on_quit, app);
	if (app->stats_log)
		g_timeout_add(ms_of(app->opt.stats_interval_s), stats_log_tick, app);

	/* the address spice-server bound, as a client would write it */
	const char *lb = listen.ipv6 ? "[" : "", *rb = listen.ipv6 ? "]" : "";
	printf(PROG ": serving %dx%d at %d fps, encoder %s, on spice://%s%s%s:%d%s%s\n",
	       app->opt.width, app->opt.height, app->opt.fps, r3d_stream_encoder_name(app->stream),
	       lb, listen.host, rb, app->opt.port,
	       listen.wildcard ? " (all addresses)" : listen.loopback ? " (this machine only)" : "",
	       app->opt.password ? ", password required" : "");
	if (app->opt.tls_port)
		printf(PROG ": TLS on spice://%s%s%s?tls-port=%d\n", lb, tls_listen.host, rb,
		       app->opt.tls_port);
	fflush(stdout);
	if (!listen.loopback && !app->opt.password)
		fprintf(stderr, PROG ": warning: listening on %s%s%s:%d without a password: anyone "
			"who reaches this address can connect (--password-file FILE to require one)\n",
			lb, listen.host, rb, app->opt.port);
	app->started_us = r3d_time_us();
	g_main_loop_run(app->loop);
	rc = 0;

	stats_log_line(app); /* the state at the end */
	if (app->opt.stats_json && !write_stats(app, app->opt.stats_json))
		rc = 1;
out:
	/* no spice callback and no access unit after this */
	if (app->scene)
		r3d_scene_make_current(app->scene);
	r3d_spice_sink_stop(app->sink);
	r3d_spice_host_destroy(app->host);
	if (!frame_log_finish(app->frames))
		rc = 1;
	r3d_scene_destroy(app->scene);
	if (app->timer_fd > 0)
		close(app->timer_fd);
	if (app->loop)
		g_main_loop_unref(app->loop);
	if (app->stats_log && fclose(app->stats_log) != 0 && rc == 0) {
		fprintf(stderr, PROG ": error: cannot write --stats-log %s: %s\n",
			app->opt.stats_log, strerror(errno));
		rc = 1;
	}
	testsrc_options_finish(&app->opt);
	return rc;
}
