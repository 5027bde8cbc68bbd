/*
 * Benchmark helper for `make bench`: what each stage of the stream costs in
 * isolation, one frame at a time on an otherwise idle pipeline, at one
 * size. The same work as remote3d-testsrc -> remote3d-client, stage by
 * stage: the test scene rendered (+ glFinish), the readback the stream uses
 * on this renderer (synchronous BGRx on llvmpipe: r3d_extractor_extract),
 * the stream's encoder (x264 with its default bitrate for the size, BGRx in,
 * videoconvert included), and the client's decoding path (appsrc with
 * alignment=au ! h264parse ! avdec_h264 ! videoconvert ! BGRx appsink:
 * spice-gtk's pipeline with the parser told about access units), each
 * frame pushed and its picture awaited before the next.
 *
 *   bench-stage-costs WxH [frames]   (default 1280x720, 120 frames)
 *
 * Prints one JSON object: {"width":..,"height":..,"frames":..,
 * "render_ms":{"p50":..,"p95":..}, "readback_ms":.., "encode_ms":..,
 * "decode_ms":..}. Asserts nothing about speed (exit 77 without GL or
 * x264, 1 on an error).
 */
#include <stdio.h>
#include <stdlib.h>

#include <epoxy/gl.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include "remote3d/clock.h"
#include "remote3d/encoder.h"
#include "remote3d/extractor.h"
#include "remote3d/stats.h"
#include "scene.h"

#define DECODE_PIPELINE                                                                  \
	"appsrc name=src is-live=true format=time "                                      \
	"caps=video/x-h264,stream-format=byte-stream,alignment=au ! h264parse ! "        \
	"avdec_h264 ! videoconvert ! video/x-raw,format=BGRx ! appsink name=sink sync=false"

static void print_fig(const char *name, struct r3d_stats_window *w, const char *sep)
{
	struct r3d_stage_stats s;
	r3d_stats_window_summary(w, &s);
	printf("\"%s\":{\"p50\":%.3f,\"p95\":%.3f}%s", name, s.median_us / 1000.0, s.p95_us / 1000.0,
	       sep);
}

int main(int argc, char **argv)
{
	int w = 1280, h = 720, frames = argc > 2 ? atoi(argv[2]) : 120;
	char *error = NULL;
	GError *gerr = NULL;

	if (argc > 1 && sscanf(argv[1], "%dx%d", &w, &h) != 2) {
		fprintf(stderr, "usage: bench-stage-costs WxH [frames]\n");
		return 2;
	}
	if (frames < 10)
		frames = 10;
	gst_init(NULL, NULL);
	if (!r3d_encoder_available("x264", &error)) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	struct r3d_scene *sc = r3d_scene_create(w, h, &error);
	if (!sc) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	struct r3d_encoder_config ec = { .name = "x264", .width = w, .height = h, .fps = 60,
					 .format = R3D_FORMAT_BGRX };
	struct r3d_encoder *enc = r3d_encoder_create(&ec, &error);
	struct r3d_extractor *ext = enc ? r3d_extractor_create_gl(R3D_FORMAT_BGRX, &error) : NULL;
	GstElement *dec = gst_parse_launch(DECODE_PIPELINE, &gerr);
	if (!enc || !ext || !dec) {
		printf("SKIP: %s\n", error ? error : gerr ? gerr->message : "?");
		return 77;
	}
	GstElement *src = gst_bin_get_by_name(GST_BIN(dec), "src");
	GstElement *sink = gst_bin_get_by_name(GST_BIN(dec), "sink");
	gst_element_set_state(dec, GST_STATE_PLAYING);

	struct r3d_stats_window render = { 0 }, readback = { 0 }, encode = { 0 }, decode = { 0 };
	struct r3d_raw_frame raw = { 0 };
	struct r3d_source s = { .kind = R3D_SOURCE_GL_TEXTURE, .width = w, .height = h };
	s.u.gl.y0_top = r3d_scene_y0_top(sc);
	for (int i = 0; i < frames; i++) {
		uint64_t t0 = r3d_time_us();
		s.u.gl.texture = r3d_scene_render(sc, (uint32_t)i, t0);
		glFinish();
		uint64_t t1 = r3d_time_us();
		if (!r3d_extractor_extract(ext, &s, &raw, &error))
			goto fail;
		uint64_t t2 = r3d_time_us();
		struct r3d_access_unit *au = r3d_encoder_encode(enc, &raw, NULL, &error);
		uint64_t t3 = r3d_time_us();
		if (!au)
			goto fail;
		GstBuffer *buf = gst_buffer_new_memdup(au->data, au->size);
		GST_BUFFER_PTS(buf) = (GstClockTime)i * GST_SECOND / 60;
		r3d_access_unit_free(au);
		if (gst_app_src_push_buffer(GST_APP_SRC(src), buf) != GST_FLOW_OK) {
			error = "decoder: push failed";
			goto fail;
		}
		GstSample *pic = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 2 * GST_SECOND);
		uint64_t t4 = r3d_time_us();
		if (!pic) {
			error = "decoder: no picture within 2 s";
			goto fail;
		}
		gst_sample_unref(pic);
		if (i < 5)
			continue; /* warm-up: first allocations, the keyframe */
		r3d_stats_window_add(&render, t1 - t0);
		r3d_stats_window_add(&readback, t2 - t1);
		r3d_stats_window_add(&encode, t3 - t2);
		r3d_stats_window_add(&decode, t4 - t3);
	}
	printf("{\"width\":%d,\"height\":%d,\"frames\":%d,", w, h, frames - 5);
	print_fig("render_ms", &render, ",");
	print_fig("readback_ms", &readback, ",");
	print_fig("encode_ms", &encode, ",");
	print_fig("decode_ms", &decode, "}\n");
	gst_element_set_state(dec, GST_STATE_NULL);
	gst_object_unref(src);
	gst_object_unref(sink);
	gst_object_unref(dec);
	r3d_raw_frame_finish(&raw);
	r3d_extractor_destroy(ext);
	r3d_encoder_destroy(enc);
	r3d_scene_destroy(sc);
	return 0;
fail:
	printf("FAIL: %s\n", error ? error : "?");
	return 1;
}
