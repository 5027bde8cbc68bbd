/*
 * The GStreamer encoder core:
 *   appsrc ! videoconvert ! <backend's encoder> ! h264parse !
 *   video/x-h264,stream-format=byte-stream,alignment=au ! appsink
 * Frames are pushed and their access unit pulled back synchronously (the
 * backends are set for one frame in, one out). A frame's timing is kept by
 * its PTS and put on the access unit that carries that PTS.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "encoder-backend.h"
#include "remote3d/log.h"
#include "priority.h"

GST_DEBUG_CATEGORY_STATIC(r3d_gst_debug);
#define GST_CAT_DEFAULT r3d_gst_debug

#define PENDING_MAX 16
#define PULL_TIMEOUT_NS (2 * GST_SECOND)

struct pending_timing {
	bool used;
	GstClockTime pts;
	struct r3d_frame_timing timing;
};

struct r3d_encoder {
	const struct r3d_encoder_backend *backend;
	struct r3d_encoder_config cfg;
	char *name;      /* backend name, "custom" for a pipeline string */
	char *pipeline_desc;
	const struct r3d_clock *clock;
	GstElement *pipeline, *appsrc, *appsink, *enc;
	GstClockTime frame_duration;
	uint64_t frame_index;
	atomic_bool force_key;
	atomic_uint bitrate_kbps;
	struct pending_timing pending[PENDING_MAX];
};

/* ---- GStreamer set-up shared with the backends ---- */

static pthread_once_t gst_once = PTHREAD_ONCE_INIT;
static char *gst_init_error;

static void gst_init_once(void)
{
	GError *err = NULL;
	if (!gst_init_check(NULL, NULL, &err)) {
		if (asprintf(&gst_init_error, "GStreamer initialization failed: %s",
			     err ? err->message : "unknown error") < 0)
			gst_init_error = NULL;
		g_clear_error(&err);
		return;
	}
	GST_DEBUG_CATEGORY_INIT(r3d_gst_debug, "remote3d", 0, "remote3d H.264 encoders");
}

bool r3d_gst_init(char **error)
{
	pthread_once(&gst_once, gst_init_once);
	if (gst_init_error) {
		r3d_set_error(error, "%s", gst_init_error);
		return false;
	}
	return true;
}

bool r3d_gst_have_element(const char *factory)
{
	GstElementFactory *f = gst_element_factory_find(factory);
	if (!f)
		return false;
	gst_object_unref(f);
	return true;
}

bool r3d_gst_set_uint_property(GstElement *el, const char *prop, guint64 value)
{
	GParamSpec *ps = g_object_class_find_property(G_OBJECT_GET_CLASS(el), prop);
	if (!ps)
		return false;
	switch (G_PARAM_SPEC_VALUE_TYPE(ps)) {
	case G_TYPE_UINT:
		g_object_set(el, prop, (guint)MIN(value, G_MAXUINT), NULL);
		return true;
	case G_TYPE_INT:
		g_object_set(el, prop, (gint)MIN(value, (guint64)G_MAXINT), NULL);
		return true;
	case G_TYPE_UINT64:
		g_object_set(el, prop, value, NULL);
		return true;
	case G_TYPE_INT64:
		g_object_set(el, prop, (gint64)MIN(value, (guint64)G_MAXINT64), NULL);
		return true;
	default:
		return false;
	}
}

/* ---- backend choice ---- */

static const struct r3d_encoder_backend *const named_backends[] = {
	&r3d_encoder_backend_x264,
	&r3d_encoder_backend_openh264,
	&r3d_encoder_backend_va,
};

/* What "auto" tries, in turn: the GPU's encoder first (it costs the CPU
 * the renderer shares nothing), then x264 (the lowest latency in
 * software), openh264 last. */
static const struct r3d_encoder_backend *const auto_order[] = {
	&r3d_encoder_backend_va,
	&r3d_encoder_backend_x264,
	&r3d_encoder_backend_openh264,
};

static const struct r3d_encoder_backend *find_backend(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(named_backends); i++)
		if (strcmp(named_backends[i]->name, name) == 0)
			return named_backends[i];
	return NULL;
}

/* A plain word that is no backend is a typo, not a pipeline: a pipeline
 * description names an element with properties or links ("x264enc ..."). */
static bool looks_like_pipeline(const char *name)
{
	if (strpbrk(name, " !=,"))
		return true;
	/* a bare element name: accept it if such an element exists */
	return r3d_gst_init(NULL) && r3d_gst_have_element(name);
}

static pthread_once_t list_once = PTHREAD_ONCE_INIT;
static char list_buf[64];

static void list_init(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(named_backends); i++) {
		char *why = NULL;
		if (named_backends[i]->probe(&why)) {
			if (list_buf[0])
				g_strlcat(list_buf, " ", sizeof(list_buf));
			g_strlcat(list_buf, named_backends[i]->name, sizeof(list_buf));
		}
		free(why);
	}
}

const char *r3d_encoder_list(void)
{
	pthread_once(&list_once, list_init);
	return list_buf;
}

bool r3d_encoder_available(const char *name, char **why)
{
	const struct r3d_encoder_backend *b = name ? find_backend(name) : NULL;
	if (!b) {
		r3d_set_error(why, "encoder '%s': unknown (known: x264, openh264, va, auto, or a "
				   "GStreamer encoder description)", name ? name : "(null)");
		return false;
	}
	return b->probe(why);
}

/* ---- pipeline ---- */

static GstElement *find_encoder_element(GstElement *pipeline)
{
	GstElement *found = gst_bin_get_by_name(GST_BIN(pipeline), "r3denc");
	if (found)
		return found;
	GstIterator *it = gst_bin_iterate_recurse(GST_BIN(pipeline));
	GValue item = G_VALUE_INIT;
	while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
		GstElement *el = g_value_get_object(&item);
		GstElementFactory *f = gst_element_get_factory(el);
		const char *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : NULL;
		if (klass && strstr(klass, "Encoder") && strstr(klass, "Video"))
			found = gst_object_ref(el);
		g_value_reset(&item);
	}
	g_value_unset(&item);
	gst_iterator_free(it);
	return found;
}

/* The first error on the bus, if any (g_free). */
static char *bus_error(GstElement *pipeline)
{
	GstBus *bus = gst_element_get_bus(pipeline);
	GstMessage *msg = bus ? gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR) : NULL;
	char *text = NULL;
	if (msg) {
		GError *err = NULL;
		gchar *dbg = NULL;
		gst_message_parse_error(msg, &err, &dbg);
		text = g_strdup_printf("%s: %s%s%s", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
				       err ? err->message : "error", dbg ? " — " : "", dbg ? dbg : "");
		g_clear_error(&err);
		g_free(dbg);
		gst_message_unref(msg);
	}
	if (bus)
		gst_object_unref(bus);
	return text;
}

static bool takes_natively(const struct r3d_encoder_backend *b, enum r3d_pixel_format fmt)
{
	for (const enum r3d_pixel_format *f = b->native_formats; f && *f != R3D_FORMAT_COUNT; f++)
		if (*f == fmt)
			return true;
	return false;
}

enum r3d_pixel_format r3d_encoder_native_format(const struct r3d_encoder *enc)
{
	if (!enc || !enc->backend->native_formats)
		return R3D_FORMAT_NV12; /* a custom pipeline: videoconvert from the smallest input */
	return enc->backend->native_formats[0];
}

/* GStreamer posts STREAM_STATUS "enter" from each streaming thread before
 * it runs the pipeline's loop, "leave" when it stops: set that thread's
 * priority there (x264's slice threads, started from it, inherit it), and
 * give a pooled thread back at the process's priority where permitted.
 * (videoconvert's helper threads come from GLib's shared pool and keep
 * theirs: a small share of a core.) */
static GstBusSyncReply on_stream_status(GstBus *bus, GstMessage *msg, gpointer data)
{
	const struct r3d_encoder *enc = data;
	GstStreamStatusType type;

	(void)bus;
	if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_STREAM_STATUS)
		return GST_BUS_PASS;
	gst_message_parse_stream_status(msg, &type, NULL);
	if (type == GST_STREAM_STATUS_TYPE_ENTER && !r3d_thread_set_nice(enc->cfg.nice))
		r3d_log(R3D_LOG_DEBUG, "encoder '%s': cannot lower a streaming thread's priority", enc->name);
	else if (type == GST_STREAM_STATUS_TYPE_LEAVE)
		r3d_thread_set_nice(0);
	return GST_BUS_DROP; /* nobody reads them */
}

static bool build_pipeline(struct r3d_encoder *enc, char **error)
{
	unsigned fps = enc->cfg.fps;
	unsigned kbps = atomic_load(&enc->bitrate_kbps);
	char *part = enc->backend->describe(&enc->cfg, kbps, error);
	GError *err = NULL;

	if (!part)
		return false;
	/* videoconvert only where the encoder does not take the frames as
	 * they are (RGB frames; I420 for openh264 when given NV12) */
	char *convert = takes_natively(enc->backend, enc->cfg.format)
				? g_strdup("")
				: g_strdup_printf(" ! videoconvert n-threads=%u", g_get_num_processors() > 1 ? 2u : 1u);
	enc->pipeline_desc = g_strdup_printf(
		"appsrc name=r3dsrc format=time is-live=false block=false emit-signals=false"
		"%s"
		" ! %s"
		" ! h264parse config-interval=-1" /* SPS/PPS before every IDR: late joiners decode */
		" ! video/x-h264,stream-format=byte-stream,alignment=au"
		" ! appsink name=r3dsink sync=false emit-signals=false max-buffers=0",
		convert, part);
	g_free(convert);
	g_free(part);
	GST_INFO("pipeline: %s", enc->pipeline_desc);
	enc->pipeline = gst_parse_launch_full(enc->pipeline_desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &err);
	if (!enc->pipeline) {
		r3d_set_error(error, "encoder '%s': bad pipeline: %s (pipeline: %s)", enc->name,
			      err ? err->message : "unknown error", enc->pipeline_desc);
		g_clear_error(&err);
		return false;
	}
	if (enc->cfg.nice > 0) {
		GstBus *bus = gst_element_get_bus(enc->pipeline);
		if (bus) {
			gst_bus_set_sync_handler(bus, on_stream_status, enc, NULL);
			gst_object_unref(bus);
		}
	}
	enc->appsrc = gst_bin_get_by_name(GST_BIN(enc->pipeline), "r3dsrc");
	enc->appsink = gst_bin_get_by_name(GST_BIN(enc->pipeline), "r3dsink");
	enc->enc = find_encoder_element(enc->pipeline);
	if (!enc->appsrc || !enc->appsink) {
		r3d_set_error(error, "encoder '%s': pipeline lacks appsrc/appsink", enc->name);
		return false;
	}
	if (!enc->enc)
		r3d_log(R3D_LOG_WARN, "encoder '%s': no encoder element found: bitrate changes ignored",
			enc->name);

	GstCaps *caps = gst_caps_new_simple("video/x-raw",
		"format", G_TYPE_STRING, r3d_pixel_format_name(enc->cfg.format),
		"width", G_TYPE_INT, enc->cfg.width, "height", G_TYPE_INT, enc->cfg.height,
		"framerate", GST_TYPE_FRACTION, (int)fps, 1,
		"pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
	if (caps && r3d_pixel_format_bpp(enc->cfg.format) != 4)
		/* what our GPU conversion produces (gl-convert.h): BT.601 limited
		 * range, chroma centred in its 2x2 block; said explicitly so that
		 * the encoder writes the same matrix into the VUI (GStreamer would
		 * otherwise assume BT.709 for HD sizes) */
		gst_caps_set_simple(caps, "colorimetry", G_TYPE_STRING, "bt601", "chroma-site", G_TYPE_STRING,
				    "jpeg", NULL);
	if (!caps) {
		r3d_set_error(error, "encoder '%s': cannot make caps", enc->name);
		return false;
	}
	gst_app_src_set_caps(GST_APP_SRC(enc->appsrc), caps);
	gst_caps_unref(caps);

	if (gst_element_set_state(enc->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		char *why = bus_error(enc->pipeline);
		r3d_set_error(error, "encoder '%s': pipeline does not start%s%s", enc->name,
			      why ? ": " : "", why ? why : "");
		g_free(why);
		return false;
	}
	return true;
}

static struct r3d_encoder *create_with(const struct r3d_encoder_backend *b, const char *name,
				       const struct r3d_encoder_config *cfg, char **error)
{
	if (!b->probe(error))
		return NULL;
	struct r3d_encoder *enc = calloc(1, sizeof(*enc));
	if (!enc) {
		r3d_set_error(error, "encoder '%s': out of memory", name);
		return NULL;
	}
	enc->backend = b;
	enc->cfg = *cfg;
	enc->cfg.name = NULL; /* not kept: the caller owns it */
	enc->cfg.fps = r3d_fps_or_default(cfg->fps); /* the backends see it filled */
	enc->name = strdup(b == &r3d_encoder_backend_custom ? "custom" : b->name);
	enc->clock = cfg->clock ? cfg->clock : r3d_clock_monotonic();
	enc->frame_duration = gst_util_uint64_scale_int(GST_SECOND, 1, (int)enc->cfg.fps);
	atomic_init(&enc->force_key, false);
	atomic_init(&enc->bitrate_kbps, cfg->bitrate_kbps ? cfg->bitrate_kbps
					   : r3d_encoder_default_bitrate(cfg->width, cfg->height, enc->cfg.fps));
	if (!enc->name)
		goto fail;
	/* the custom backend describes itself from cfg->name */
	struct r3d_encoder_config with_name = enc->cfg;
	with_name.name = name;
	enc->cfg = with_name;
	bool ok = build_pipeline(enc, error);
	enc->cfg.name = NULL;
	if (!ok)
		goto fail;
	r3d_log(R3D_LOG_INFO, "encoder '%s': %dx%d@%u, %u kbit/s", enc->name, cfg->width, cfg->height,
		enc->cfg.fps, atomic_load(&enc->bitrate_kbps));
	return enc;
fail:
	r3d_encoder_destroy(enc);
	return NULL;
}

struct r3d_encoder *r3d_encoder_create(const struct r3d_encoder_config *cfg, char **error)
{
	const char *name = cfg && cfg->name && *cfg->name ? cfg->name : "auto";

	if (!cfg || cfg->width <= 0 || cfg->height <= 0 || cfg->width > R3D_ENCODE_MAX_SIDE ||
	    cfg->height > R3D_ENCODE_MAX_SIDE) {
		r3d_set_error(error, "encoder '%s': bad size %dx%d (1..%d)", name, cfg ? cfg->width : 0,
			      cfg ? cfg->height : 0, R3D_ENCODE_MAX_SIDE);
		return NULL;
	}
	if ((unsigned)cfg->format >= R3D_FORMAT_COUNT) {
		r3d_set_error(error, "encoder '%s': bad input format", name);
		return NULL;
	}
	if (!r3d_gst_init(error))
		return NULL;
	if (strcmp(name, "auto") == 0) {
		char *why = NULL;
		for (size_t i = 0; i < G_N_ELEMENTS(auto_order); i++) {
			const struct r3d_encoder_backend *b = auto_order[i];
			char *err = NULL;
			struct r3d_encoder *enc = create_with(b, b->name, cfg, &err);
			if (enc) {
				free(why);
				return enc;
			}
			r3d_log(R3D_LOG_DEBUG, "encoder auto: %s", err ? err : "?");
			if (!why)
				why = err;
			else
				free(err);
		}
		r3d_set_error(error, "encoder 'auto': no H.264 encoder works here (first cause: %s)",
			      why ? why : "?");
		free(why);
		return NULL;
	}
	const struct r3d_encoder_backend *b = find_backend(name);
	if (b)
		return create_with(b, name, cfg, error);
	if (!looks_like_pipeline(name)) {
		r3d_set_error(error, "encoder '%s': unknown encoder (use x264, openh264, va, auto, or a "
				     "GStreamer encoder description such as 'x264enc speed-preset=veryfast')",
			      name);
		return NULL;
	}
	return create_with(&r3d_encoder_backend_custom, name, cfg, error);
}

void r3d_encoder_destroy(struct r3d_encoder *enc)
{
	if (!enc)
		return;
	if (enc->pipeline)
		gst_element_set_state(enc->pipeline, GST_STATE_NULL);
	if (enc->enc)
		gst_object_unref(enc->enc);
	if (enc->appsrc)
		gst_object_unref(enc->appsrc);
	if (enc->appsink)
		gst_object_unref(enc->appsink);
	if (enc->pipeline)
		gst_object_unref(enc->pipeline);
	g_free(enc->pipeline_desc);
	free(enc->name);
	free(enc);
}

const char *r3d_encoder_name(const struct r3d_encoder *enc)
{
	return enc ? enc->name : NULL;
}

const char *r3d_encoder_pipeline(const struct r3d_encoder *enc)
{
	return enc ? enc->pipeline_desc : NULL;
}

bool r3d_encoder_set_bitrate(struct r3d_encoder *enc, unsigned kbps)
{
	if (!enc || !kbps)
		return false;
	atomic_store(&enc->bitrate_kbps, kbps);
	if (!enc->enc || !enc->backend->set_bitrate(enc->enc, kbps)) {
		r3d_log(R3D_LOG_WARN, "encoder '%s': cannot change the bitrate", enc->name);
		return false;
	}
	GST_DEBUG("bitrate now %u kbit/s", kbps);
	return true;
}

unsigned r3d_encoder_get_bitrate(const struct r3d_encoder *enc)
{
	return enc ? atomic_load(&((struct r3d_encoder *)enc)->bitrate_kbps) : 0;
}

void r3d_encoder_force_keyframe(struct r3d_encoder *enc)
{
	if (enc)
		atomic_store(&enc->force_key, true);
}

/* ---- encoding ---- */

static bool has_idr(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++) {
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
			if ((d[i + 3] & 0x1F) == 5)
				return true;
			i += 2;
		}
	}
	return false;
}

static struct r3d_access_unit *sample_to_au(struct r3d_encoder *enc, GstSample *sample)
{
	GstBuffer *buf = gst_sample_get_buffer(sample);
	GstMapInfo map;
	struct r3d_access_unit *au;

	if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ))
		return NULL;
	au = calloc(1, sizeof(*au));
	if (au)
		au->data = malloc(map.size ? map.size : 1);
	if (!au || !au->data) {
		gst_buffer_unmap(buf, &map);
		free(au);
		return NULL;
	}
	memcpy(au->data, map.data, map.size);
	au->size = map.size;
	au->keyframe = has_idr(map.data, map.size);
	gst_buffer_unmap(buf, &map);

	/* Encoders may shift timestamps (x264enc adds 1000 hours so that DTS
	 * stays positive) and say so in the segment: the running time is
	 * what we pushed. */
	GstClockTime pts = GST_BUFFER_PTS(buf);
	const GstSegment *seg = gst_sample_get_segment(sample);
	if (seg && seg->format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID(pts))
		pts = gst_segment_to_running_time(seg, GST_FORMAT_TIME, pts);
	au->pts_us = GST_CLOCK_TIME_IS_VALID(pts) ? pts / 1000 : 0;
	for (int i = 0; i < PENDING_MAX; i++) {
		if (enc->pending[i].used && enc->pending[i].pts == pts) {
			au->timing = enc->pending[i].timing;
			enc->pending[i].used = false;
			break;
		}
	}
	au->timing.encoded_us = r3d_clock_now(enc->clock);
	return au;
}

static void remember_timing(struct r3d_encoder *enc, GstClockTime pts, const struct r3d_frame_timing *t)
{
	int slot = 0;
	for (int i = 0; i < PENDING_MAX; i++) {
		if (!enc->pending[i].used) {
			slot = i;
			break;
		}
		if (enc->pending[i].pts < enc->pending[slot].pts)
			slot = i; /* all used: forget the oldest */
	}
	enc->pending[slot] = (struct pending_timing){ true, pts, t ? *t : (struct r3d_frame_timing){ 0 } };
}

struct r3d_access_unit *r3d_encoder_encode(struct r3d_encoder *enc, const struct r3d_raw_frame *frame,
					   const struct r3d_frame_timing *timing, char **error)
{
	if (!enc || !frame || !frame->planes[0]) {
		r3d_set_error(error, "encode: missing argument");
		return NULL;
	}
	if (frame->width != enc->cfg.width || frame->height != enc->cfg.height ||
	    frame->format != enc->cfg.format) {
		r3d_set_error(error, "encoder '%s': frame %dx%d %s does not match the configured %dx%d %s",
			      enc->name, frame->width, frame->height, r3d_pixel_format_name(frame->format),
			      enc->cfg.width, enc->cfg.height, r3d_pixel_format_name(enc->cfg.format));
		return NULL;
	}
	if (atomic_exchange(&enc->force_key, false)) {
		GstEvent *ev = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0);
		if (!ev || !gst_element_send_event(enc->appsink, ev))
			r3d_log(R3D_LOG_WARN, "encoder '%s': force-key-unit event not handled", enc->name);
		else
			GST_DEBUG("keyframe requested");
	}

	GstBuffer *buf = gst_buffer_new_allocate(NULL, frame->size, NULL);
	if (!buf) {
		r3d_set_error(error, "encoder '%s': out of memory for a %zu-byte buffer", enc->name, frame->size);
		return NULL;
	}
	gst_buffer_fill(buf, 0, frame->planes[0], frame->size);
	gsize offsets[GST_VIDEO_MAX_PLANES] = { 0 };
	gint strides[GST_VIDEO_MAX_PLANES] = { 0 };
	for (int i = 0; i < frame->n_planes; i++) {
		offsets[i] = (gsize)(frame->planes[i] - frame->planes[0]);
		strides[i] = frame->strides[i];
	}
	GstVideoFormat vf = gst_video_format_from_string(r3d_pixel_format_name(frame->format));
	gst_buffer_add_video_meta_full(buf, GST_VIDEO_FRAME_FLAG_NONE, vf, (guint)frame->width,
				       (guint)frame->height, (guint)frame->n_planes, offsets, strides);
	GstClockTime pts = enc->frame_index++ * enc->frame_duration;
	GST_BUFFER_PTS(buf) = pts;
	GST_BUFFER_DTS(buf) = pts;
	GST_BUFFER_DURATION(buf) = enc->frame_duration;
	remember_timing(enc, pts, timing);

	GstFlowReturn ret = gst_app_src_push_buffer(GST_APP_SRC(enc->appsrc), buf); /* takes buf */
	if (ret != GST_FLOW_OK) {
		char *why = bus_error(enc->pipeline);
		r3d_set_error(error, "encoder '%s': push failed (%s)%s%s", enc->name, gst_flow_get_name(ret),
			      why ? ": " : "", why ? why : "");
		g_free(why);
		return NULL;
	}
	GstSample *sample = gst_app_sink_try_pull_sample(GST_APP_SINK(enc->appsink), PULL_TIMEOUT_NS);
	if (!sample) {
		char *why = bus_error(enc->pipeline);
		r3d_set_error(error, "encoder '%s': no access unit within 2 s%s%s", enc->name,
			      why ? ": " : "", why ? why : "");
		g_free(why);
		return NULL;
	}
	struct r3d_access_unit *au = sample_to_au(enc, sample);
	gst_sample_unref(sample);
	if (!au)
		r3d_set_error(error, "encoder '%s': out of memory for an access unit", enc->name);
	return au;
}
