/*
 * remote3d-client — a headless, measuring SPICE client.
 *
 *   remote3d-client spice://HOST:PORT [--duration S | --frames N] [--timeout S]
 *                   [--json FILE] [--csv FILE] [--dump-png DIR [--dump-max N]]
 *                   [--keys N | --type TEXT [--watch X,Y,W,H] [--ignore X,Y,W,H]...
 *                    [--threshold N] [--pixel-delta N] [--key-timeout MS]
 *                    [--plot FILE.png]] [--key-interval MS]
 *                   [--codec C] [--password-file FILE] [--ca-file FILE]
 *
 * It connects with spice-client-glib, asks for H.264, lets spice-gtk decode
 * the stream with GStreamer exactly as remote-viewer would, and measures any
 * picture: display updates, fps, bitrate, the time to the first picture.
 * When the picture carries remote3d's frame stamp (tests/lib/stamp.h) at
 * (0, 0), each new stamp is one displayed frame: latency = display time -
 * stamp time, both CLOCK_MONOTONIC on this host, and the measuring window
 * starts at the first stamped frame; without stamps the frames are the
 * display updates, the window starts at the first picture, and the report
 * says "stamps": false.
 *
 * --keys N: input-to-photon against remote3d-testsrc's marker (key-probe.c).
 * --type TEXT: key-to-glyph on any picture (type-probe.c): each key, sent
 * through the inputs channel, is timed to the first display update that
 * changed the --watch rectangle. Options: options.c.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <spice-client.h>

#include "decoder-watch.h"
#include "key-probe.h"
#include "options.h"
#include "plot.h"
#include "quality.h"
#include "png-io.h"
#include "report.h"
#include "type-probe.h"
#include "stamp.h"

#define PROG "remote3d-client"
#define TICK_MS 20

struct client {
	struct options opt;
	const char *uri;
	GMainLoop *loop;
	SpiceSession *session;
	SpiceChannel *main_ch, *display;
	SpiceInputsChannel *inputs;
	bool opened;        /* main channel got linked */
	bool inputs_ready;  /* inputs channel linked: keys sent now arrive */
	bool finishing;
	bool debug;         /* R3D_DEBUG=1 */

	/* primary surface (spice-gtk's canvas memory, 32 bpp xRGB) */
	const uint8_t *primary;
	int width, height, stride;

	uint64_t connect_us, first_us, last_update_us, end_us;
	guint64 bytes_at_first, bytes_at_end;
	GArray *recs;       /* struct r3d_frame_rec */
	uint64_t updates, unstamped; /* touching the stamp area; of them without a stamp */
	/* any picture: from the first display update on */
	uint64_t first_picture_us, display_updates;
	guint64 bytes_at_picture;

	int dumped;
	uint64_t last_dump_us;

	struct r3d_key_probe *probe;
	struct r3d_type_probe *type;
	struct r3d_quality *quality; /* --quality */
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

static uint64_t frames_shown(const struct client *c)
{
	return c->recs->len ? c->recs->len : c->display_updates;
}

static struct r3d_image_view surface_view(const struct client *c)
{
	return (struct r3d_image_view){
		.data = c->primary, .width = c->width, .height = c->height,
		.stride = c->stride, .bpp = 4,
	};
}

/* --watch and --ignore, once the first picture's size is known */
static bool rects_fit(struct client *c)
{
	const struct r3d_change_params *p = &c->opt.change;

	if (!c->opt.type_keys)
		return true;
	if (p->watch.width && !r3d_change_rect_inside(p->watch, c->width, c->height)) {
		fail(c, 2, g_strdup_printf("bad --watch %s: outside the %dx%d picture of %s",
					   c->opt.watch_text, c->width, c->height, c->uri));
		return false;
	}
	for (size_t i = 0; i < p->n_ignore; i++) {
		const struct r3d_rect *r = &p->ignore[i];

		if (!r3d_change_rect_inside(*r, c->width, c->height)) {
			fail(c, 2, g_strdup_printf("bad --ignore %d,%d,%d,%d: outside the %dx%d picture "
						   "of %s", r->x, r->y, r->width, r->height, c->width,
						   c->height, c->uri));
			return false;
		}
	}
	return true;
}

/* A new stamp in an update that touched the stamp area: one displayed frame. */
static void read_stamp(struct client *c, const struct r3d_image_view *view, uint64_t t)
{
	struct r3d_stamp st;

	c->updates++;
	if (!r3d_stamp_read(view, 0, 0, &st)) {
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
	struct r3d_decode_times dt;
	rec.psnr_y = rec.ssim_y = NAN;
	rec.at[R3D_PT_STAMP] = st.time_us;
	rec.at[R3D_PT_DISPLAY] = t;
	if (r3d_decoder_watch_frame(st.frame, &dt)) {
		rec.at[R3D_PT_IN] = dt.in_us;
		rec.at[R3D_PT_PARSED] = dt.parsed_us;
		rec.at[R3D_PT_DECODED] = dt.decoded_us;
		rec.at[R3D_PT_CONVERTED] = dt.converted_us;
	}
	g_array_append_val(c->recs, rec);
	r3d_quality_offer(c->quality, st.frame, view);
	maybe_dump_png(c, st.frame, t);
}

static void on_invalidate(SpiceChannel *ch, gint x, gint y, gint w, gint h, gpointer data)
{
	struct client *c = data;
	uint64_t t = now_us();

	if (!c->primary || c->finishing)
		return;
	if (!c->first_picture_us) {
		if (!rects_fit(c))
			return;
		c->first_picture_us = t;
		c->bytes_at_picture = display_bytes(c);
	}
	c->last_update_us = t;
	c->display_updates++;

	const struct r3d_image_view view = surface_view(c);
	if (c->probe)
		r3d_key_probe_update(c->probe, &view, x, y, w, h, t);
	if (c->type)
		r3d_type_probe_update(c->type, &view, x, y, w, h, t);
	/* only updates that touch the stamp can show a new frame number */
	if (x < R3D_STAMP_WIDTH && y < R3D_STAMP_HEIGHT)
		read_stamp(c, &view, t);
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
		if (ch == (SpiceChannel *)c->inputs)
			c->inputs_ready = true;
		return;
	}
	if (ch == (SpiceChannel *)c->inputs)
		c->inputs_ready = false;
	if (event == SPICE_CHANNEL_SWITCHING || c->finishing)
		return;
	bool typing = c->probe || c->type;
	if (ch != c->main_ch && ch != c->display && !(typing && ch == (SpiceChannel *)c->inputs))
		return; /* other channels are not needed to measure */
	char *reason = reason_of(c, ch, event);
	if (!c->opened)
		fail(c, 1, g_strdup_printf("cannot connect to %s: %s", c->uri, reason));
	else
		fail(c, 1, g_strdup_printf("connection to %s dropped after %" PRIu64 " %s: %s",
					   c->uri, frames_shown(c),
					   c->recs->len ? "frames" : "display updates", reason));
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

	if (c->finishing)
		return G_SOURCE_CONTINUE;
	if (!c->first_picture_us) {
		if (t - c->connect_us > timeout) {
			if (!c->opened)
				fail(c, 1, g_strdup_printf("cannot connect to %s: no answer within %.0f s",
							   c->uri, c->opt.timeout_s));
			else if (!c->primary)
				fail(c, 1, g_strdup_printf("%s: no display surface within %.0f s",
							   c->uri, c->opt.timeout_s));
			else
				fail(c, 1, g_strdup_printf("%s: no picture within %.0f s (a %dx%d surface, "
							   "never drawn)", c->uri, c->opt.timeout_s,
							   c->width, c->height));
		}
		return G_SOURCE_CONTINUE;
	}
	/* a stamped source that stops is stalled; an idle desktop without
	 * stamps draws nothing, and that is fine */
	if (c->recs->len > 0 && t - c->last_update_us > timeout) {
		fail(c, 1, g_strdup_printf("%s: stream stalled: no frame for %.0f s after %" PRIu64
					   " %s", c->uri, c->opt.timeout_s, frames_shown(c),
					   c->recs->len ? "frames" : "display updates"));
		return G_SOURCE_CONTINUE;
	}
	if (c->opt.frames > 0 && c->recs->len == 0 && t - c->first_picture_us > timeout) {
		fail(c, 1, g_strdup_printf("%s: --frames counts stamped frames: none within %.0f s of "
					   "the first picture (%" PRIu64 " display updates; --duration "
					   "measures any picture)", c->uri, c->opt.timeout_s,
					   c->display_updates));
		return G_SOURCE_CONTINUE;
	}
	bool typing = c->probe || c->type;
	if (typing && !c->inputs_ready) {
		if (t - c->first_picture_us > timeout)
			fail(c, 1, g_strdup_printf("%s: no SPICE inputs channel within %.0f s of the "
						   "first picture: cannot send keys", c->uri,
						   c->opt.timeout_s));
		return G_SOURCE_CONTINUE;
	}
	/* --keys reads testsrc's marker: it starts with the stamps, as before */
	if (c->probe && c->recs->len > 0)
		r3d_key_probe_tick(c->probe, c->inputs, t);
	else if (c->probe && t - c->first_picture_us > timeout) {
		fail(c, 1, g_strdup_printf("%s: --keys needs remote3d's stamped picture (testsrc, the "
					   "probe guest): no stamped frame within %.0f s of the first "
					   "picture; --type TEXT measures any picture", c->uri,
					   c->opt.timeout_s));
		return G_SOURCE_CONTINUE;
	}
	if (c->type && c->primary) {
		const struct r3d_image_view view = surface_view(c);
		r3d_type_probe_tick(c->type, c->inputs, &view, t);
	}
	bool probes_done = (!c->probe || r3d_key_probe_done(c->probe)) &&
			   (!c->type || r3d_type_probe_done(c->type));
	/* the window: from the first stamped frame, or the first picture without stamps */
	uint64_t start = c->recs->len ? c->first_us : c->first_picture_us;
	if (c->opt.duration_s > 0 && t - start >= (uint64_t)(c->opt.duration_s * 1e6) && probes_done)
		finish(c);
	else if (c->opt.duration_s <= 0 && c->opt.frames <= 0 && typing && probes_done)
		finish(c);
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	finish(data);
	return G_SOURCE_CONTINUE;
}

/* ---- main ---- */

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

static void fill_report(struct client *c, struct r3d_client_report *r)
{
	*r = (struct r3d_client_report){
		.uri = c->uri, .width = c->width, .height = c->height,
		.updates = c->updates, .unstamped = c->unstamped,
		.stamps = c->recs->len > 0, .display_updates = c->display_updates,
	};
	r3d_decoder_watch_get(&r->dec);
	if (c->first_picture_us)
		r->time_to_first_picture_ms = (double)(c->first_picture_us - c->connect_us) / 1000.0;
	if (r->stamps) {
		r->seconds = (double)(c->end_us - c->first_us) / 1e6;
		r->bytes = c->bytes_at_end - c->bytes_at_first;
		r->time_to_first_frame_ms = (double)(c->first_us - c->connect_us) / 1000.0;
	} else if (c->first_picture_us) {
		r->seconds = (double)(c->end_us - c->first_picture_us) / 1e6;
		r->bytes = c->bytes_at_end - c->bytes_at_picture;
		r->time_to_first_frame_ms = r->time_to_first_picture_ms;
	}
	if (c->probe)
		r->keys_sent = r3d_key_probe_result(c->probe, &r->input_to_photon);
	if (c->type) {
		struct r3d_type_result tr;

		r3d_type_probe_result(c->type, &tr);
		r->typed = true;
		r->keys_typed = tr.sent;
		r->keys_missed = tr.missed;
		r->key_to_glyph = tr.latency;
	}
}

/* The source's stages of every frame shown, from its --frames-csv. */
static void join_source_frames(struct client *c, struct r3d_client_report *r)
{
	char *why = NULL;
	struct r3d_source_frames *sf = r3d_source_frames_load(c->opt.source_frames, &why);

	if (!sf) {
		fprintf(stderr, PROG ": %s\n", why ? why : "--source-frames: out of memory");
		free(why);
		if (c->exit_code == 0)
			c->exit_code = 1;
		return;
	}
	r->source_joined = true;
	for (guint i = 0; i < c->recs->len; i++) {
		struct r3d_frame_rec *rec = &g_array_index(c->recs, struct r3d_frame_rec, i);
		r->source_matched += r3d_source_frames_fill(sf, rec->frame, rec->stamp_us, rec->at);
	}
	r3d_source_frames_free(sf);
}

/* --quality: the sampled frames against their references, into the
 * records and the summary (after the run: this renders). */
static void compute_quality(struct client *c, struct r3d_client_report *r)
{
	char *why = NULL;
	size_t n = r3d_quality_count(c->quality);

	if (!r3d_quality_compute(c->quality, &why)) {
		fprintf(stderr, PROG ": --quality: %s\n", why ? why : "failed");
		free(why);
		if (c->exit_code == 0)
			c->exit_code = 1;
		return;
	}
	double *psnr = g_new(double, n ? n : 1), *ssim = g_new(double, n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		uint32_t frame;
		r3d_quality_result(c->quality, i, &frame, &psnr[i], &ssim[i]);
		for (guint k = 0; k < c->recs->len; k++) {
			struct r3d_frame_rec *rec = &g_array_index(c->recs, struct r3d_frame_rec, k);
			if (rec->frame == frame) {
				rec->psnr_y = psnr[i];
				rec->ssim_y = ssim[i];
			}
		}
	}
	struct r3d_dist dp, ds;
	r3d_dist_compute(&dp, psnr, n);
	r3d_dist_compute(&ds, ssim, n);
	/* p5: the nearest rank from the bottom */
	size_t k5 = n ? (size_t)ceil(0.05 * (double)n) - 1 : 0;
	r->quality = true;
	r->quality_n = n;
	r->psnr_mean = dp.mean;
	r->ssim_mean = ds.mean;
	r->psnr_p5 = n ? psnr[k5] : 0; /* sorted by r3d_dist_compute */
	r->ssim_p5 = n ? ssim[k5] : 0;
	g_free(psnr);
	g_free(ssim);
}

/* The report files; a file that cannot be written makes the exit non-zero. */
static void write_files(struct client *c, const struct r3d_client_report *r)
{
	const struct r3d_frame_rec *recs = (const struct r3d_frame_rec *)c->recs->data;
	char *why = NULL;
	bool ok = true;

	if (c->opt.json && !r3d_report_write_json(r, c->opt.json)) {
		fprintf(stderr, PROG ": cannot write --json %s\n", c->opt.json);
		ok = false;
	}
	if (c->opt.csv && !(c->type ? r3d_type_probe_write_csv(c->type, c->opt.csv)
				    : r3d_report_write_csv(recs, c->recs->len, c->opt.csv))) {
		fprintf(stderr, PROG ": cannot write --csv %s\n", c->opt.csv);
		ok = false;
	}
	if (c->opt.plot && !(c->type ? r3d_type_probe_plot(c->type, c->opt.plot, &why)
				     : r3d_plot_stages_png(r, recs, c->recs->len, c->opt.plot, &why))) {
		fprintf(stderr, PROG ": --plot: %s\n", why ? why : "failed");
		free(why);
		ok = false;
	}
	if (!ok && c->exit_code == 0)
		c->exit_code = 1;
}

int main(int argc, char **argv)
{
	struct client c = { .exit_code = 0 };
	GError *err = NULL;

	if (!client_options_parse(&argc, &argv, &c.opt)) {
		client_options_finish(&c.opt);
		return 2;
	}
	c.uri = c.opt.uri;
	c.debug = g_strcmp0(g_getenv("R3D_DEBUG"), "1") == 0;
	if (!gst_init_check(NULL, NULL, &err)) {
		fprintf(stderr, PROG ": GStreamer: %s\n", err->message);
		return 1;
	}
	preload_decoder_plugins();
	if (!r3d_decoder_watch_install(!c.opt.stock_parser))
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
	if (c.opt.type_keys) {
		const struct r3d_type_params tp = {
			.interval_ms = c.opt.key_interval_ms, .timeout_ms = c.opt.key_timeout_ms,
			.change = c.opt.change, .debug = c.debug,
		};
		c.type = r3d_type_probe_create(c.opt.type_keys, c.opt.n_type_keys, &tp);
		if (!c.type) {
			fprintf(stderr, PROG ": --type: out of memory\n");
			return 1;
		}
	}

	if (c.opt.quality) {
		char *why = NULL;
		c.quality = r3d_quality_create((unsigned)c.opt.quality, c.opt.scene, &why);
		if (!c.quality) {
			fprintf(stderr, PROG ": %s\n", why ? why : "--quality: out of memory");
			free(why);
			return 2;
		}
	}
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

	struct r3d_client_report r;
	fill_report(&c, &r);
	if (c.opt.source_frames)
		join_source_frames(&c, &r);
	if (c.quality)
		compute_quality(&c, &r);
	const struct r3d_frame_rec *recs = (const struct r3d_frame_rec *)c.recs->data;
	if (!r3d_report_compute(&r, recs, c.recs->len)) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	/* a picture was measured, and the error (if any) is not about the options */
	if ((c.first_picture_us && c.exit_code != 2) || !c.error) {
		r3d_report_print_text(&r, stdout);
		fflush(stdout);
		write_files(&c, &r);
	}
	if (c.error)
		fprintf(stderr, PROG ": %s\n", c.error);

	spice_session_disconnect(c.session);
	g_object_unref(c.session);
	r3d_key_probe_destroy(c.probe);
	r3d_type_probe_destroy(c.type);
	r3d_quality_destroy(c.quality);
	g_array_free(c.recs, TRUE);
	g_main_loop_unref(c.loop);
	g_free(c.error);
	client_options_finish(&c.opt);
	return c.exit_code;
}
