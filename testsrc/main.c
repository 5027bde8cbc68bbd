/*
 * remote3d-testsrc — serves an animated, stamped GL scene as an H.264
 * stream through the patched spice-server.
 *
 *   remote3d-testsrc [--port N] [--addr A] [--size WxH] [--fps N]
 *                    [--encoder x264|openh264|va|auto|'<gst pipeline>']
 *                    [--bitrate KBPS] [--duration S] [--stats-json FILE]
 *
 * Threads: the main thread runs the GLib main loop (spice-server's core
 * interface, the render timer, libremote3d dispatch with the scene's GL
 * context current); spice's display worker calls the stream callbacks;
 * libremote3d's encoder thread hands access units to spice.
 */
#include <errno.h>
#include <getopt.h>
#include <glib-unix.h>
#include <glib.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "remote3d/clock.h"
#include "remote3d/log.h"
#include "remote3d/stats.h"
#include "remote3d/stream.h"
#include "scene.h"
#include "spice-host.h"

#define PROG "remote3d-testsrc"
#define MIN_WIDTH (R3D_STAMP_WIDTH + 16 + R3D_SCENE_MARKER_SIZE)
#define MIN_HEIGHT R3D_STAMP_HEIGHT
#define MAX_SIZE 8192

struct options {
	const char *addr;
	int port;
	int width, height;
	int fps;
	const char *encoder;
	unsigned bitrate_kbps;
	double duration_s;
	const char *stats_json;
};

struct app {
	struct options opt;
	GMainLoop *loop;
	struct r3d_scene *scene;
	struct r3d_stream *stream;
	struct r3d_spice_host *host;
	int timer_fd;
	uint32_t frame;
	int marker;
	atomic_bool dispatch_pending;
	/* counters (atomic: some are bumped on spice's or the encoder's thread) */
	atomic_ulong ready, keyframe_requests, reports, pushed, push_errors, bytes_pushed;
	atomic_uint clients, clients_max;
	unsigned long key_presses, pointer_events, timer_overruns;
	struct r3d_stats_window render_us;
	uint64_t started_us;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"  --port N          TCP port to serve SPICE on (default 5900)\n"
		"  --addr A          address to listen on (default: all)\n"
		"  --size WxH        picture size (default 1280x720; %dx%d..%dx%d, even)\n"
		"  --fps N           frames rendered per second (default 60)\n"
		"  --encoder E       x264|openh264|va|auto|'<gst pipeline>' (default x264)\n"
		"  --bitrate KBPS    initial bitrate (default: chosen for the size)\n"
		"  --duration S      stop after S seconds (default 0: run until SIGINT/SIGTERM)\n"
		"  --stats-json FILE write timings and counters at exit\n",
		MIN_WIDTH, MIN_HEIGHT, MAX_SIZE, MAX_SIZE);
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void parse_size(const char *s, struct options *o)
{
	char *end;
	long w, h;

	errno = 0;
	w = strtol(s, &end, 10);
	if (errno || end == s || (*end != 'x' && *end != 'X'))
		die_usage("bad --size '%s': expected WxH, e.g. 1280x720", s);
	s = end + 1;
	h = strtol(s, &end, 10);
	if (errno || end == s || *end)
		die_usage("bad --size '%s': expected WxH, e.g. 1280x720", s);
	if (w < MIN_WIDTH || h < MIN_HEIGHT || w > MAX_SIZE || h > MAX_SIZE || (w | h) & 1) {
		fprintf(stderr, PROG ": error: bad --size %ldx%ld: width and height must be even, "
			"from %dx%d (the stamp and input marker) to %dx%d\n",
			w, h, MIN_WIDTH, MIN_HEIGHT, MAX_SIZE, MAX_SIZE);
		exit(2);
	}
	o->width = (int)w;
	o->height = (int)h;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "addr", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' },
		{ "fps", required_argument, NULL, 'f' },
		{ "encoder", required_argument, NULL, 'e' },
		{ "bitrate", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "stats-json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	long v;
	int c;

	*o = (struct options){ .port = 5900, .width = 1280, .height = 720, .fps = 60,
			       .encoder = "x264" };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_long(optarg, 1, 65535, &v))
				die_usage("bad --port '%s': expected 1..65535", optarg);
			o->port = (int)v;
			break;
		case 'a':
			o->addr = optarg;
			break;
		case 's':
			parse_size(optarg, o);
			break;
		case 'f':
			if (!parse_long(optarg, 1, 240, &v))
				die_usage("bad --fps '%s': expected 1..240", optarg);
			o->fps = (int)v;
			break;
		case 'e':
			if (!*optarg)
				die_usage("bad --encoder '%s': empty", optarg);
			o->encoder = optarg;
			break;
		case 'b':
			if (!parse_long(optarg, 1, 1000000, &v))
				die_usage("bad --bitrate '%s': expected 1..1000000 kbit/s", optarg);
			o->bitrate_kbps = (unsigned)v;
			break;
		case 'd': {
			char *end;
			errno = 0;
			o->duration_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || o->duration_s < 0 || o->duration_s > 1e7)
				die_usage("bad --duration '%s': expected seconds >= 0", optarg);
			break;
		}
		case 'j':
			o->stats_json = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die_usage("unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s' (see --help)", argv[optind]);
}

/* ---- libremote3d <-> spice glue ---- */

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

static void release_access_unit(void *opaque, const uint8_t *data)
{
	r3d_access_unit_free(opaque);
}

/* encoder thread */
static void stream_on_access_unit(void *opaque, struct r3d_access_unit *au)
{
	struct app *app = opaque;
	size_t size = au->size;
	SpiceExternalStreamFrame frame = {
		.data = au->data,
		.size = au->size,
		.keyframe = au->keyframe,
		.timestamp_us = au->timing.dirty_us,
		.release = release_access_unit,
		.release_opaque = au,
	};

	/* au is released by spice from here on, also on error */
	if (r3d_spice_host_stream_push(app->host, &frame) < 0) {
		atomic_fetch_add(&app->push_errors, 1);
		return;
	}
	atomic_fetch_add(&app->pushed, 1);
	atomic_fetch_add(&app->bytes_pushed, size);
}

/* spice's display worker thread */
static void sink_ready(void *opaque)
{
	struct app *app = opaque;

	atomic_fetch_add(&app->ready, 1);
	r3d_stream_sink_ready(app->stream);
}

static void sink_keyframe_request(void *opaque)
{
	struct app *app = opaque;

	atomic_fetch_add(&app->keyframe_requests, 1);
	r3d_stream_request_keyframe(app->stream);
}

static void sink_client_report(void *opaque, const SpiceExternalStreamReport *r)
{
	struct app *app = opaque;

	atomic_fetch_add(&app->reports, 1);
	r3d_stream_client_report(app->stream, r->num_frames, r->num_drops, r->last_frame_delay_ms);
}

static void sink_queue_state(void *opaque, const SpiceExternalStreamQueueState *qs)
{
	struct app *app = opaque;
	unsigned max = atomic_load(&app->clients_max);

	atomic_store(&app->clients, qs->clients);
	while (qs->clients > max && !atomic_compare_exchange_weak(&app->clients_max, &max, qs->clients))
		;
	r3d_stream_queue_state(app->stream, qs->frames_queued, qs->bytes_queued);
	if (qs->clients == 0)
		r3d_stream_sink_gone(app->stream);
}

/* the display socket of the client furthest behind: for rate control */
static void sink_transport(void *opaque, const SpiceExternalStreamTransport *tr)
{
	struct app *app = opaque;
	struct r3d_transport_sample t = {
		.srtt_us = tr->rtt_us,
		.rttvar_us = tr->rttvar_us,
		.min_rtt_us = tr->min_rtt_us,
		.delivery_rate_bps = tr->delivery_rate,
		.app_limited = tr->app_limited,
		.unacked_bytes = tr->unacked_bytes,
		.notsent_bytes = tr->notsent_bytes,
		.retransmits_total = tr->total_retrans,
		.cwnd_bytes = tr->cwnd_bytes,
	};

	r3d_stream_transport_sample(app->stream, &t);
}

static const SpiceExternalStreamCallbacks sink_callbacks = {
	.ready = sink_ready,
	.keyframe_request = sink_keyframe_request,
	.client_report = sink_client_report,
	.queue_state = sink_queue_state,
	.transport = sink_transport,
};

/* ---- rendering and input (main thread) ---- */

static void render_frame(struct app *app)
{
	uint64_t t0 = r3d_time_us();

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

	if (!pressed)
		return;
	/* every press changes the marker's colour; render it at once */
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
	FILE *f = fopen(path, "w");

	if (!f) {
		r3d_log(R3D_LOG_ERROR, "cannot write --stats-json %s: %s", path, strerror(errno));
		return false;
	}
	r3d_stream_get_stats(app->stream, &st);
	fprintf(f, "{\"testsrc\":{\"width\":%d,\"height\":%d,\"fps\":%d,\"encoder\":\"%s\","
		"\"seconds\":%.3f,\"frames_rendered\":%u,\"timer_overruns\":%lu,",
		app->opt.width, app->opt.height, app->opt.fps,
		r3d_stream_encoder_name(app->stream),
		(r3d_time_us() - app->started_us) / 1e6, app->frame, app->timer_overruns);
	print_stage(f, "render", &app->render_us);
	fprintf(f, ",\"key_presses\":%lu,\"pointer_events\":%lu,\"sink_ready\":%lu,"
		"\"keyframe_requests\":%lu,\"client_reports\":%lu,\"frames_pushed\":%lu,"
		"\"bytes_pushed\":%lu,\"push_errors\":%lu,\"clients_max\":%u},\"stream\":",
		app->key_presses, app->pointer_events, atomic_load(&app->ready),
		atomic_load(&app->keyframe_requests), atomic_load(&app->reports),
		atomic_load(&app->pushed), atomic_load(&app->bytes_pushed),
		atomic_load(&app->push_errors), atomic_load(&app->clients_max));
	r3d_stats_print_json(&st, f);
	fputs("}\n", f);
	return fclose(f) == 0;
}

/* ---- main ---- */

static int fail(const char *what, char *error)
{
	fprintf(stderr, PROG ": error: %s%s%s\n", what ? what : "", what && error ? ": " : "",
		error ? error : "");
	free(error);
	return 1;
}

int main(int argc, char **argv)
{
	static struct app app_storage; /* large; zero-initialised */
	struct app *app = &app_storage;
	struct itimerspec its = { 0 };
	char *error = NULL;
	int rc = 1;

	parse_options(argc, argv, &app->opt);

	/* checks that can fail come first, so that a bad input prints one line */
	if (!r3d_spice_host_port_free(app->opt.addr, app->opt.port, &error))
		return fail("cannot serve", error);

	struct r3d_stream_config scfg = {
		.width = app->opt.width,
		.height = app->opt.height,
		.encoder = app->opt.encoder,
		.bitrate_kbps = app->opt.bitrate_kbps,
		.on_access_unit = stream_on_access_unit,
		.wakeup = stream_wakeup,
		.opaque = app,
	};
	app->stream = r3d_stream_create(&scfg, &error);
	if (!app->stream)
		return fail(NULL, error);

	app->scene = r3d_scene_create(app->opt.width, app->opt.height, &error);
	if (!app->scene) {
		rc = fail("GL scene", error);
		goto out;
	}
	if (!r3d_stream_set_source_gl(app->stream, r3d_scene_texture(app->scene),
				      app->opt.width, app->opt.height, r3d_scene_y0_top(app->scene))) {
		rc = fail("cannot use the scene's texture as the stream source", NULL);
		goto out;
	}

	struct r3d_spice_host_config hcfg = {
		.addr = app->opt.addr,
		.port = app->opt.port,
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
	int err = r3d_spice_host_stream_start(app->host, app->opt.width, app->opt.height,
					      &sink_callbacks, app);
	if (err < 0) {
		rc = fail("spice external stream", strdup(strerror(-err)));
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
		g_timeout_add((guint)(app->opt.duration_s * 1000), on_quit, app);

	printf(PROG ": serving %dx%d at %d fps, encoder %s, on spice://%s:%d\n",
	       app->opt.width, app->opt.height, app->opt.fps, r3d_stream_encoder_name(app->stream),
	       app->opt.addr ? app->opt.addr : "127.0.0.1", app->opt.port);
	fflush(stdout);
	app->started_us = r3d_time_us();
	g_main_loop_run(app->loop);
	rc = 0;

	if (app->opt.stats_json && !write_stats(app, app->opt.stats_json))
		rc = 1;
out:
	/* no spice callback after this; pushes from the encoder thread now fail cleanly */
	if (app->host)
		r3d_spice_host_stream_stop(app->host);
	if (app->scene)
		r3d_scene_make_current(app->scene);
	r3d_stream_destroy(app->stream); /* joins the encoder thread */
	r3d_spice_host_destroy(app->host);
	r3d_scene_destroy(app->scene);
	if (app->timer_fd > 0)
		close(app->timer_fd);
	if (app->loop)
		g_main_loop_unref(app->loop);
	return rc;
}
