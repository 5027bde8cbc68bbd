#include <string.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "remote3d/clock.h"
#include "stamp.h"
#include "decoder-watch.h"

/* access units timed at once: frames in spice-gtk's pipeline plus enough
 * history for a display update that comes a few frames later */
#define TIMES_MAX 256

struct au_times {
	GstClockTime key; /* spice-gtk's timestamp of the buffer */
	struct r3d_decode_times t;
	uint32_t frame;
	bool used, stamped;
};

/* where in the pipeline a buffer is pushed from */
enum push_point { POINT_NONE, POINT_APPSRC, POINT_PARSER, POINT_DECODER, POINT_APPSINK };

/* A GstTracer subclass: GStreamer's only way to see elements and buffers
 * inside a pipeline that another library (spice-gtk) owns. */
typedef struct {
	GstTracer parent;
	GMutex lock;
	struct r3d_decoder_info info;
	gboolean want_first; /* next access unit is the first of a stream */
	gboolean align_au;   /* tell the parser every appsrc buffer is one access unit */
	struct au_times times[TIMES_MAX];
	size_t next_times;   /* slot of the next access unit */
} R3dDecoderTracer;

typedef struct {
	GstTracerClass parent_class;
} R3dDecoderTracerClass;

static GType r3d_decoder_tracer_get_type(void);
G_DEFINE_TYPE(R3dDecoderTracer, r3d_decoder_tracer, GST_TYPE_TRACER)

/* GStreamer's tracers are process-wide; so is this one. */
static R3dDecoderTracer *the_tracer;

static const char *factory_name(GstElement *element)
{
	GstElementFactory *f = element ? gst_element_get_factory(element) : NULL;
	return f ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)) : NULL;
}

static const char *codec_from_caps(const char *name)
{
	static const struct { const char *caps, *codec; } map[] = {
		{ "video/x-h264", "h264" }, { "video/x-h265", "h265" },
		{ "video/x-vp8", "vp8" },   { "video/x-vp9", "vp9" },
		{ "image/jpeg", "mjpeg" },  { "video/x-av1", "av1" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (strcmp(map[i].caps, name) == 0)
			return map[i].codec;
	return NULL;
}

/* spice-gtk 0.42 gives its appsrc "video/x-h264,stream-format=byte-stream"
 * without an alignment, though each buffer it pushes is one whole frame.
 * h264parse (h265parse alike) then cannot know a frame ended until the next
 * frame's first start code arrives, so every picture reaches the decoder one
 * frame interval late (100 ms at 10 fps; measured by a push-to-decoded probe:
 * 102 ms unaligned, 2.5 ms aligned). Saying alignment=au in the caps event
 * lets the parser hand each frame on as it comes. */
static GstPadProbeReturn align_caps_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
	R3dDecoderTracer *t = data;
	GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
	if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS)
		return GST_PAD_PROBE_OK;
	GstCaps *caps;
	gst_event_parse_caps(ev, &caps);
	const GstStructure *s = gst_caps_get_structure(caps, 0);
	const char *name = s ? gst_structure_get_name(s) : "";
	if ((strcmp(name, "video/x-h264") != 0 && strcmp(name, "video/x-h265") != 0) ||
	    gst_structure_has_field(s, "alignment"))
		return GST_PAD_PROBE_OK;
	GstCaps *aligned = gst_caps_copy(caps);
	gst_caps_set_simple(aligned, "alignment", G_TYPE_STRING, "au", NULL);
	info->data = gst_event_new_caps(aligned);
	gst_caps_unref(aligned);
	gst_event_unref(ev);
	g_mutex_lock(&t->lock);
	t->info.aligned = true;
	g_mutex_unlock(&t->lock);
	return GST_PAD_PROBE_OK;
}

/* "element-new": note the video decoder playbin plugs in. */
static void on_element_new(GObject *self, GstClockTime ts, GstElement *element)
{
	R3dDecoderTracer *t = (R3dDecoderTracer *)self;
	GstElementFactory *f = gst_element_get_factory(element);
	if (!f)
		return;
	const char *klass = gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS);
	const char *name = gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f));
	if (strcmp(name, "appsrc") == 0) {
		g_mutex_lock(&t->lock);
		t->want_first = TRUE;
		t->info.aligned = false;
		gboolean align = t->align_au;
		g_mutex_unlock(&t->lock);
		GstPad *src = align ? gst_element_get_static_pad(element, "src") : NULL;
		if (src) {
			gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
					  align_caps_probe, t, NULL);
			gst_object_unref(src);
		}
		return;
	}
	if (!klass || !strstr(klass, "Decoder") || !strstr(klass, "Video"))
		return;
	g_mutex_lock(&t->lock);
	g_strlcpy(t->info.decoder, name, sizeof(t->info.decoder));
	g_mutex_unlock(&t->lock);
}

/* Does this Annex B access unit hold an IDR (H.264) / IRAP (H.265) slice? */
static bool annexb_has_keyframe(const guint8 *d, gsize n, bool h265)
{
	for (gsize i = 0; i + 3 < n; i++) {
		if (d[i] != 0 || d[i + 1] != 0 || d[i + 2] != 1)
			continue;
		guint8 h = d[i + 3];
		if (!h265 && (h & 0x1f) == 5)
			return true;
		if (h265 && ((h >> 1) & 0x3f) >= 16 && ((h >> 1) & 0x3f) <= 23)
			return true;
		i += 2;
	}
	return false;
}

/* spice-gtk matches decoded pictures to their frames by the reference
 * timestamp meta it puts on each buffer, or else the PTS; so do we. */
static GstClockTime buffer_key(GstBuffer *buffer)
{
	static GstStaticCaps reference = GST_STATIC_CAPS("timestamp/spice-stream");
	GstReferenceTimestampMeta *meta =
		gst_buffer_get_reference_timestamp_meta(buffer, gst_static_caps_get(&reference));
	return meta ? meta->timestamp : GST_BUFFER_PTS(buffer);
}

static bool klass_has(GstElement *element, const char *a, const char *b)
{
	GstElementFactory *f = gst_element_get_factory(element);
	const char *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : NULL;
	return klass && strstr(klass, a) && strstr(klass, b);
}

/* The element a pad pushes into, through ghost pads. */
static GstElement *peer_element(GstPad *pad)
{
	GstPad *peer = gst_pad_get_peer(pad);
	GstElement *e = NULL;
	while (peer && GST_IS_GHOST_PAD(peer)) {
		GstPad *target = gst_ghost_pad_get_target(GST_GHOST_PAD(peer));
		gst_object_unref(peer);
		peer = target;
	}
	if (peer) {
		GstObject *parent = gst_object_get_parent(GST_OBJECT(peer));
		if (parent && GST_IS_ELEMENT(parent))
			e = GST_ELEMENT(parent);
		else if (parent)
			gst_object_unref(parent);
		gst_object_unref(peer);
	}
	return e; /* a reference, or NULL */
}

static enum push_point point_of(GstPad *pad)
{
	GstObject *parent = GST_OBJECT_PARENT(pad);
	if (!parent || !GST_IS_ELEMENT(parent) || GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
		return POINT_NONE;
	GstElement *e = GST_ELEMENT(parent);
	const char *fname = factory_name(e);
	if (fname && strcmp(fname, "appsrc") == 0)
		return POINT_APPSRC;
	if (klass_has(e, "Parser", "Video"))
		return POINT_PARSER;
	if (klass_has(e, "Decoder", "Video"))
		return POINT_DECODER;
	GstElement *next = peer_element(pad);
	const char *nname = next ? factory_name(next) : NULL;
	bool into_appsink = nname && strcmp(nname, "appsink") == 0;
	if (next)
		gst_object_unref(next);
	return into_appsink ? POINT_APPSINK : POINT_NONE;
}

/* lock held */
static struct au_times *times_find(R3dDecoderTracer *t, GstClockTime key)
{
	for (size_t i = 1; i <= TIMES_MAX; i++) {
		struct au_times *a = &t->times[(t->next_times + TIMES_MAX - i) % TIMES_MAX];
		if (a->used && a->key == key)
			return a;
	}
	return NULL;
}

/* The stamp of a BGRx picture on its way into the appsink. */
static bool read_picture_stamp(GstPad *pad, GstBuffer *buffer, struct r3d_stamp *st)
{
	GstCaps *caps = gst_pad_get_current_caps(pad);
	GstVideoInfo info;
	bool ok = caps && gst_video_info_from_caps(&info, caps) &&
		  GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_FORMAT_BGRx;
	if (caps)
		gst_caps_unref(caps);
	if (!ok)
		return false;
	GstVideoFrame frame;
	if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ))
		return false;
	const struct r3d_image_view view = {
		.data = GST_VIDEO_FRAME_PLANE_DATA(&frame, 0),
		.width = GST_VIDEO_FRAME_WIDTH(&frame),
		.height = GST_VIDEO_FRAME_HEIGHT(&frame),
		.stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0),
		.bpp = 4,
	};
	ok = r3d_stamp_read(&view, 0, 0, st);
	gst_video_frame_unmap(&frame);
	return ok;
}

/* A buffer left a parser, a decoder or the converter before the appsink. */
static void time_point(R3dDecoderTracer *t, enum push_point point, GstPad *pad, GstBuffer *buffer)
{
	uint64_t now = r3d_time_us();
	struct r3d_stamp st;
	bool stamped = point == POINT_APPSINK && read_picture_stamp(pad, buffer, &st);
	GstClockTime key = buffer_key(buffer);

	g_mutex_lock(&t->lock);
	struct au_times *a = times_find(t, key);
	if (a) {
		uint64_t *slot = point == POINT_PARSER    ? &a->t.parsed_us
				 : point == POINT_DECODER ? &a->t.decoded_us
							  : &a->t.converted_us;
		if (!*slot)
			*slot = now;
		if (stamped) {
			a->frame = st.frame;
			a->stamped = true;
		}
	}
	g_mutex_unlock(&t->lock);
}

/* "pad-push-pre": every buffer spice-gtk's appsrc pushes is one access unit
 * as it came over the wire; later points of the pipeline are timed too. */
static void on_pad_push_pre(GObject *self, GstClockTime ts, GstPad *pad, GstBuffer *buffer)
{
	R3dDecoderTracer *t = (R3dDecoderTracer *)self;
	enum push_point point = point_of(pad);
	if (point == POINT_NONE)
		return;
	if (point != POINT_APPSRC) {
		time_point(t, point, pad, buffer);
		return;
	}
	uint64_t now = r3d_time_us();

	GstCaps *caps = gst_pad_get_current_caps(pad);
	const char *codec = NULL;
	gchar *caps_str = NULL;
	if (caps) {
		const GstStructure *s = gst_caps_get_structure(caps, 0);
		codec = s ? codec_from_caps(gst_structure_get_name(s)) : NULL;
		caps_str = gst_caps_to_string(caps);
		gst_caps_unref(caps);
	}
	if (!codec) { /* not a video stream (e.g. audio playback) */
		g_free(caps_str);
		return;
	}

	bool key = false;
	if (strcmp(codec, "h264") == 0 || strcmp(codec, "h265") == 0) {
		GstMapInfo map;
		if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
			key = annexb_has_keyframe(map.data, map.size, codec[2] == '6' && codec[3] == '5');
			gst_buffer_unmap(buffer, &map);
		}
	} else {
		key = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
	}

	g_mutex_lock(&t->lock);
	struct r3d_decoder_info *i = &t->info;
	g_strlcpy(i->codec, codec, sizeof(i->codec));
	g_strlcpy(i->caps, caps_str, sizeof(i->caps));
	if (t->want_first) {
		t->want_first = FALSE;
		i->streams++;
		i->first_is_keyframe = key;
	}
	i->access_units++;
	i->bytes += gst_buffer_get_size(buffer);
	i->keyframes += key;
	t->times[t->next_times] = (struct au_times){
		.key = buffer_key(buffer), .t = { .in_us = now }, .used = true,
	};
	t->next_times = (t->next_times + 1) % TIMES_MAX;
	g_mutex_unlock(&t->lock);
	g_free(caps_str);
}

static void r3d_decoder_tracer_init(R3dDecoderTracer *t)
{
	g_mutex_init(&t->lock);
	gst_tracing_register_hook(GST_TRACER(t), "element-new", G_CALLBACK(on_element_new));
	gst_tracing_register_hook(GST_TRACER(t), "pad-push-pre", G_CALLBACK(on_pad_push_pre));
}

static void r3d_decoder_tracer_class_init(R3dDecoderTracerClass *klass)
{
}

bool r3d_decoder_watch_install(bool align_au)
{
	if (the_tracer)
		return true;
	the_tracer = g_object_new(r3d_decoder_tracer_get_type(), NULL);
	if (!the_tracer)
		return false;
	the_tracer->align_au = align_au;
	/* the tracing framework keeps its own references (one per hook) */
	gst_object_ref_sink(the_tracer);
	return true;
}

void r3d_decoder_watch_get(struct r3d_decoder_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!the_tracer)
		return;
	g_mutex_lock(&the_tracer->lock);
	*out = the_tracer->info;
	g_mutex_unlock(&the_tracer->lock);
}

bool r3d_decoder_watch_frame(uint32_t frame, struct r3d_decode_times *out)
{
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (!the_tracer)
		return false;
	g_mutex_lock(&the_tracer->lock);
	for (size_t i = 1; i <= TIMES_MAX && !found; i++) {
		const struct au_times *a =
			&the_tracer->times[(the_tracer->next_times + TIMES_MAX - i) % TIMES_MAX];
		if (a->used && a->stamped && a->frame == frame) {
			*out = a->t;
			found = true;
		}
	}
	g_mutex_unlock(&the_tracer->lock);
	return found;
}
