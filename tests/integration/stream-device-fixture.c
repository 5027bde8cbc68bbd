/*
 * r3d-stream-device-fixture — a tiny SPICE server for testing clients
 * without remote3d-testsrc: stock spice-server's stream device path
 * (the "org.spice-space.stream.0" port that spice-streaming-agent feeds)
 * carrying H.264 of a CPU-drawn moving picture with frame stamps.
 *
 *   r3d-stream-device-fixture PORT WIDTHxHEIGHT FPS
 *
 * It is a fixture, not the product: no GL, no lazy extraction; it checks
 * that remote3d-client reads stamps from a real spice-gtk H.264 decode.
 * Frames go through spice-server's regular mm_time scheduling, so their
 * latency includes the client's playout margin.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <glib-unix.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <spice.h>
#include <spice/protocol.h>
#include <spice/stream-device.h>

#include "scene.h" /* the input marker's place and colours */
#include "spice-core-glib.h"
#include "stamp.h"

struct fixture {
	SpiceServer *server;
	SpiceCharDeviceInstance dev;
	GMutex lock;
	GByteArray *out;      /* device -> server bytes */
	GByteArray *in;       /* server -> device bytes */
	bool streaming;
	int width, height, fps;
	uint32_t frame;
	int marker;           /* key presses seen, drawn like testsrc's marker */
	SpiceKbdInstance kbd;
	uint8_t *pixels;
	GstElement *pipeline, *appsrc, *appsink;
};

static struct fixture fx; /* the char device callbacks carry no opaque */

/* ---- the stream device ---- */

static void queue_msg(uint16_t type, const void *payload, uint32_t size)
{
	StreamDevHeader h = { .protocol_version = STREAM_DEVICE_PROTOCOL,
			      .type = GUINT16_TO_LE(type), .size = GUINT32_TO_LE(size) };
	g_mutex_lock(&fx.lock);
	g_byte_array_append(fx.out, (const guint8 *)&h, sizeof(h));
	g_byte_array_append(fx.out, payload, size);
	g_mutex_unlock(&fx.lock);
}

static void start_stream(void)
{
	StreamMsgFormat fmt = { .width = GUINT32_TO_LE((uint32_t)fx.width),
				.height = GUINT32_TO_LE((uint32_t)fx.height),
				.codec = SPICE_VIDEO_CODEC_TYPE_H264 };
	queue_msg(STREAM_TYPE_FORMAT, &fmt, sizeof(fmt));
	fx.streaming = true;
	/* the new client needs a keyframe */
	gst_element_send_event(fx.pipeline, gst_video_event_new_upstream_force_key_unit(
		GST_CLOCK_TIME_NONE, TRUE, 0));
	spice_server_char_device_wakeup(&fx.dev);
}

static int dev_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
	g_byte_array_append(fx.in, buf, (guint)len);
	while (fx.in->len >= sizeof(StreamDevHeader)) {
		StreamDevHeader h;
		memcpy(&h, fx.in->data, sizeof(h));
		uint32_t size = GUINT32_FROM_LE(h.size);
		if (fx.in->len < sizeof(h) + size)
			break;
		if (GUINT16_FROM_LE(h.type) == STREAM_TYPE_START_STOP) {
			uint8_t n = fx.in->data[sizeof(h)];
			if (n > 0)
				start_stream();
			else
				fx.streaming = false;
		}
		g_byte_array_remove_range(fx.in, 0, (guint)(sizeof(h) + size));
	}
	return len;
}

static int dev_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
	g_mutex_lock(&fx.lock);
	int n = MIN(len, (int)fx.out->len);
	memcpy(buf, fx.out->data, (size_t)n);
	g_byte_array_remove_range(fx.out, 0, (guint)n);
	g_mutex_unlock(&fx.lock);
	return n;
}

static void dev_state(SpiceCharDeviceInstance *sin, int connected)
{
}

static SpiceCharDeviceInterface dev_sif = {
	.base = { .type = SPICE_INTERFACE_CHAR_DEVICE, .description = "r3d fixture stream device",
		  .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
		  .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR },
	.state = dev_state, .write = dev_write, .read = dev_read,
};

/* ---- keyboard: each key press changes the input marker ---- */

static void kbd_push(SpiceKbdInstance *sin, uint8_t frag)
{
	/* set 1 scancodes: 0xe0 prefixes extended keys, bit 7 marks a release */
	if (frag != 0xe0 && !(frag & 0x80))
		fx.marker++;
}

static uint8_t kbd_leds(SpiceKbdInstance *sin)
{
	return 0;
}

static SpiceKbdInterface kbd_sif = {
	.base = { .type = SPICE_INTERFACE_KEYBOARD, .description = "r3d fixture keyboard",
		  .major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
		  .minor_version = SPICE_INTERFACE_KEYBOARD_MINOR },
	.push_scan_freg = kbd_push, .get_leds = kbd_leds,
};

static uint32_t marker_colour(int v)
{
	if (v == 0)
		return 0xff000000u;
	if (v & 1)
		return 0xffffffffu;
	static const uint32_t rgb[3] = { 0xffff0000u, 0xff00ff00u, 0xff0000ffu };
	return rgb[v % 3];
}

/* ---- the picture and its encoder ---- */

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static gboolean on_encoded_idle(gpointer data)
{
	spice_server_char_device_wakeup(&fx.dev);
	return G_SOURCE_REMOVE;
}

static GstFlowReturn on_sample(GstAppSink *sink, gpointer data)
{
	GstSample *s = gst_app_sink_pull_sample(sink);
	if (!s)
		return GST_FLOW_ERROR;
	GstBuffer *b = gst_sample_get_buffer(s);
	GstMapInfo map;
	if (fx.streaming && gst_buffer_map(b, &map, GST_MAP_READ)) {
		/* StreamMsgData is the access unit alone: the server stamps its mm_time */
		queue_msg(STREAM_TYPE_DATA, map.data, (uint32_t)map.size);
		gst_buffer_unmap(b, &map);
		g_idle_add(on_encoded_idle, NULL);
	}
	gst_sample_unref(s);
	return GST_FLOW_OK;
}

static gboolean on_frame(gpointer data)
{
	if (!fx.streaming)
		return G_SOURCE_CONTINUE;
	int w = fx.width, h = fx.height, stride = w * 4;
	int bar = (int)(fx.frame * 8 % (uint32_t)w);
	for (int y = 0; y < h; y++) {
		uint32_t *row = (uint32_t *)(fx.pixels + (size_t)y * (size_t)stride);
		for (int x = 0; x < w; x++)
			row[x] = (x >= bar && x < bar + 64) ? 0xffe0a020u : (uint32_t)(0xff000000u | (uint32_t)((x ^ y) & 0xff) << 8);
	}
	for (int y = R3D_SCENE_MARKER_Y; y < R3D_SCENE_MARKER_Y + R3D_SCENE_MARKER_SIZE && y < h; y++) {
		uint32_t *row = (uint32_t *)(fx.pixels + (size_t)y * (size_t)stride);
		for (int x = R3D_SCENE_MARKER_X; x < R3D_SCENE_MARKER_X + R3D_SCENE_MARKER_SIZE && x < w; x++)
			row[x] = marker_colour(fx.marker);
	}
	struct r3d_stamp st = { .frame = fx.frame++, .time_us = now_us() };
	r3d_stamp_draw_32(fx.pixels, w, h, stride, 0, 0, &st);
	GstBuffer *b = gst_buffer_new_memdup(fx.pixels, (gsize)stride * (gsize)h);
	if (gst_app_src_push_buffer(GST_APP_SRC(fx.appsrc), b) != GST_FLOW_OK)
		fprintf(stderr, "fixture: push failed\n");
	return G_SOURCE_CONTINUE;
}

static gboolean on_quit(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	GError *err = NULL;
	if (argc != 4 || sscanf(argv[2], "%dx%d", &fx.width, &fx.height) != 2 ||
	    (fx.fps = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: r3d-stream-device-fixture PORT WIDTHxHEIGHT FPS\n");
		return 2;
	}
	gst_init(NULL, NULL);
	g_mutex_init(&fx.lock);
	fx.out = g_byte_array_new();
	fx.in = g_byte_array_new();
	fx.pixels = g_malloc0((size_t)fx.width * (size_t)fx.height * 4);

	char *desc = g_strdup_printf(
		"appsrc name=src format=time do-timestamp=true is-live=true "
		"caps=video/x-raw,format=BGRx,width=%d,height=%d,framerate=%d/1 ! videoconvert ! "
		"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d bframes=0 ! "
		"video/x-h264,stream-format=byte-stream,alignment=au,profile=constrained-baseline ! "
		"appsink name=sink sync=false", fx.width, fx.height, fx.fps, fx.fps * 2);
	fx.pipeline = gst_parse_launch(desc, &err);
	g_free(desc);
	if (!fx.pipeline) {
		fprintf(stderr, "fixture: %s\n", err->message);
		return 1;
	}
	fx.appsrc = gst_bin_get_by_name(GST_BIN(fx.pipeline), "src");
	fx.appsink = gst_bin_get_by_name(GST_BIN(fx.pipeline), "sink");
	GstAppSinkCallbacks cbs = { .new_sample = on_sample };
	gst_app_sink_set_callbacks(GST_APP_SINK(fx.appsink), &cbs, NULL, NULL);
	gst_element_set_state(fx.pipeline, GST_STATE_PLAYING);

	fx.server = spice_server_new();
	spice_server_set_port(fx.server, atoi(argv[1]));
	spice_server_set_addr(fx.server, "127.0.0.1", 0);
	spice_server_set_noauth(fx.server);
	if (spice_server_init(fx.server, r3d_spice_core_glib_get(NULL)) != 0) {
		fprintf(stderr, "fixture: cannot listen on port %s\n", argv[1]);
		return 1;
	}
	fx.dev.base.sif = &dev_sif.base;
	fx.dev.subtype = "port";
	fx.dev.portname = "org.spice-space.stream.0";
	if (spice_server_add_interface(fx.server, &fx.dev.base) != 0) {
		fprintf(stderr, "fixture: cannot add the stream device\n");
		return 1;
	}
	spice_server_port_event(&fx.dev, SPICE_PORT_EVENT_OPENED);
	fx.kbd.base.sif = &kbd_sif.base;
	if (spice_server_add_interface(fx.server, &fx.kbd.base) != 0) {
		fprintf(stderr, "fixture: cannot add the keyboard\n");
		return 1;
	}
	printf("fixture: listening on 127.0.0.1:%s\n", argv[1]);
	fflush(stdout);

	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	g_timeout_add(1000 / (guint)fx.fps, on_frame, NULL);
	g_unix_signal_add(SIGTERM, on_quit, loop);
	g_unix_signal_add(SIGINT, on_quit, loop);
	g_main_loop_run(loop);
	gst_element_set_state(fx.pipeline, GST_STATE_NULL);
	spice_server_destroy(fx.server);
	return 0;
}
