/*
 * Encoders, each backend on its own (argv[1]):
 *   <backend>  : N frames of a moving test pattern with a frame stamp encode
 *                to H.264 that avdec_h264 decodes back to N pictures carrying
 *                the same stamps, in order; the first access unit is an IDR.
 *                Backends this machine lacks skip (77) with the reason.
 *   controls   : (x264) a lower bitrate set while PLAYING makes the frames
 *                smaller; a forced keyframe gives an IDR where none would be.
 *   errors     : an unknown encoder name, a missing element and a pipeline
 *                that does not make H.264 each fail with a clear message.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h264-decode.h"
#include "remote3d/encoder.h"
#include "stamp.h"

#define W 640
#define H 368

static void draw_pattern(struct r3d_raw_frame *f, uint32_t n, unsigned noise_seed)
{
	for (int y = 0; y < f->height; y++) {
		uint8_t *row = f->planes[0] + (size_t)y * f->strides[0];
		for (int x = 0; x < f->width; x++) {
			uint8_t *p = row + x * 4;
			p[0] = (uint8_t)(x + n * 4);
			p[1] = (uint8_t)(y * 2 + n * 3);
			p[2] = (uint8_t)((x ^ y) + n);
			p[3] = 0xFF;
			if (noise_seed) {
				noise_seed = noise_seed * 1103515245u + 12345u;
				p[0] ^= (uint8_t)(noise_seed >> 16);
				p[1] ^= (uint8_t)(noise_seed >> 20);
			}
		}
	}
	/* a moving box */
	int bx = (int)(n * 7) % (f->width - 64), by = 100 + (int)(n * 3) % 200;
	for (int y = by; y < by + 64 && y < f->height; y++)
		memset(f->planes[0] + (size_t)y * f->strides[0] + bx * 4, 0x30, 64 * 4);
	struct r3d_stamp st = { .frame = n, .time_us = 1000000ull * n + 17 };
	r3d_stamp_draw_32(f->planes[0], f->width, f->height, f->strides[0], 0, 0, &st);
}

static struct r3d_encoder *make(const char *name, unsigned kbps, char **error)
{
	struct r3d_encoder_config cfg = {
		.name = name, .width = W, .height = H, .fps = 60, .bitrate_kbps = kbps,
		.format = R3D_FORMAT_BGRX,
	};
	return r3d_encoder_create(&cfg, error);
}

static int test_backend_roundtrip(const char *name)
{
	const int n = 30;
	char *why = NULL;
	if (strcmp(name, "custom") != 0 && !r3d_encoder_available(name, &why)) {
		printf("SKIP: %s\n", why);
		free(why);
		return 77;
	}
	const char *desc = strcmp(name, "custom") == 0 ? "x264enc speed-preset=veryfast tune=zerolatency" : name;
	char *error = NULL;
	struct r3d_encoder *enc = make(desc, 3000, &error);
	if (!enc)
		fprintf(stderr, "create %s: %s\n", desc, error);
	assert(enc);
	printf("%s: %s\n", r3d_encoder_name(enc), r3d_encoder_pipeline(enc));
	struct h264_decoder *dec = h264_decoder_new();
	assert(dec);
	struct r3d_raw_frame f = { 0 };
	assert(r3d_raw_frame_alloc(&f, R3D_FORMAT_BGRX, W, H));
	size_t total = 0;
	for (int i = 0; i < n; i++) {
		draw_pattern(&f, (uint32_t)i, 0);
		struct r3d_frame_timing t = { .seq = (uint32_t)i + 1, .dirty_us = 100u + (uint64_t)i };
		struct r3d_access_unit *au = r3d_encoder_encode(enc, &f, &t, &error);
		if (!au)
			fprintf(stderr, "encode: %s\n", error);
		assert(au && au->size > 0);
		if (au->timing.seq != (uint32_t)i + 1)
			fprintf(stderr, "frame %d: pts %llu us, seq %u\n", i, (unsigned long long)au->pts_us, au->timing.seq);
		/* the frame's timing rides with its access unit */
		assert(au->timing.seq == (uint32_t)i + 1 && au->timing.dirty_us == 100u + (uint64_t)i);
		assert(au->timing.encoded_us > 0);
		/* Annex B: starts with a start code */
		assert(au->data[0] == 0 && au->data[1] == 0 && (au->data[2] == 1 || au->data[3] == 1));
		if (i == 0) {
			uint32_t types = h264_nal_types(au->data, au->size);
			assert(au->keyframe && (types & (1u << 5)) && (types & (1u << 7)) && (types & (1u << 8)));
		}
		total += au->size;
		assert(h264_decoder_push(dec, au->data, au->size));
		r3d_access_unit_free(au);
	}
	int count = 0;
	struct decoded_picture *pics = h264_decoder_finish(dec, &count);
	printf("%s: %d frames, %zu bytes, decoded %d\n", name, n, total, count);
	assert(count == n);
	for (int i = 0; i < count; i++) {
		struct r3d_image_view v = { pics[i].data, pics[i].width, pics[i].height, pics[i].stride, 4 };
		struct r3d_stamp st;
		assert(pics[i].width == W && pics[i].height == H);
		bool ok = r3d_stamp_read(&v, 0, 0, &st);
		if (!ok || st.frame != (uint32_t)i)
			fprintf(stderr, "picture %d: stamp %s frame %u\n", i, ok ? "ok" : "unreadable", ok ? st.frame : 0);
		assert(ok && st.frame == (uint32_t)i && st.time_us == 1000000ull * i + 17);
		free(pics[i].data);
	}
	free(pics);
	r3d_raw_frame_finish(&f);
	r3d_encoder_destroy(enc);
	return 0;
}

static size_t encode_span(struct r3d_encoder *enc, struct r3d_raw_frame *f, uint32_t from, int n, int *keyframes)
{
	size_t bytes = 0;
	for (int i = 0; i < n; i++) {
		char *error = NULL;
		draw_pattern(f, from + (uint32_t)i, 0x1234u + from + (uint32_t)i);
		struct r3d_access_unit *au = r3d_encoder_encode(enc, f, NULL, &error);
		assert(au);
		bytes += au->size;
		if (keyframes)
			*keyframes += au->keyframe;
		r3d_access_unit_free(au);
	}
	return bytes;
}

static int test_controls(void)
{
	char *why = NULL;
	if (!r3d_encoder_available("x264", &why)) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	char *error = NULL;
	struct r3d_encoder *enc = make("x264", 4000, &error);
	assert(enc);
	struct r3d_raw_frame f = { 0 };
	assert(r3d_raw_frame_alloc(&f, R3D_FORMAT_BGRX, W, H));

	/* bitrate: noisy frames fill whatever budget they get */
	int keys = 0;
	encode_span(enc, &f, 0, 10, &keys);
	size_t high = encode_span(enc, &f, 10, 20, &keys);
	assert(r3d_encoder_set_bitrate(enc, 400));
	assert(r3d_encoder_get_bitrate(enc) == 400);
	encode_span(enc, &f, 30, 10, &keys);
	size_t low = encode_span(enc, &f, 40, 20, &keys);
	printf("bitrate 4000 kbps: %zu bytes/20 frames; 400 kbps: %zu bytes/20 frames\n", high, low);
	assert(low * 3 < high);
	assert(keys == 1); /* only the first frame: key-int-max is large */

	/* keyframe on request */
	struct r3d_access_unit *au;
	draw_pattern(&f, 70, 0);
	au = r3d_encoder_encode(enc, &f, NULL, &error);
	assert(au && !au->keyframe && !(h264_nal_types(au->data, au->size) & (1u << 5)));
	r3d_access_unit_free(au);
	r3d_encoder_force_keyframe(enc);
	draw_pattern(&f, 71, 0);
	au = r3d_encoder_encode(enc, &f, NULL, &error);
	assert(au && au->keyframe);
	uint32_t types = h264_nal_types(au->data, au->size);
	printf("forced keyframe: %zu bytes, NAL types mask 0x%x\n", au->size, types);
	assert(types & (1u << 5)); /* IDR slice */
	assert((types & (1u << 7)) && (types & (1u << 8))); /* SPS, PPS repeated for late joiners */
	r3d_access_unit_free(au);
	draw_pattern(&f, 72, 0);
	au = r3d_encoder_encode(enc, &f, NULL, &error);
	assert(au && !au->keyframe); /* only one */
	r3d_access_unit_free(au);

	r3d_raw_frame_finish(&f);
	r3d_encoder_destroy(enc);
	return 0;
}

static int test_errors(void)
{
	char *error = NULL;
	struct r3d_encoder *enc = make("nosuchenc", 1000, &error);
	printf("unknown: %s\n", error);
	assert(!enc && error && strstr(error, "nosuchenc") && strstr(error, "unknown"));
	free(error);

	error = NULL;
	enc = make("nosuchelement bitrate=5", 1000, &error);
	printf("missing element: %s\n", error);
	assert(!enc && error && strstr(error, "nosuchelement"));
	free(error);

	/* a custom part that does not output H.264 */
	error = NULL;
	enc = make("videoscale", 1000, &error);
	if (enc) {
		struct r3d_raw_frame f = { 0 };
		assert(r3d_raw_frame_alloc(&f, R3D_FORMAT_BGRX, W, H));
		draw_pattern(&f, 0, 0);
		struct r3d_access_unit *au = r3d_encoder_encode(enc, &f, NULL, &error);
		assert(!au);
		r3d_raw_frame_finish(&f);
		r3d_encoder_destroy(enc);
	}
	printf("not H.264: %s\n", error);
	assert(error && strstr(error, "custom"));
	free(error);

	/* VA without a device says so */
	error = NULL;
	if (!r3d_encoder_available("va", &error)) {
		printf("va: %s\n", error);
		assert(strstr(error, "encoder 'va'"));
		enc = make("va", 1000, NULL);
		assert(!enc);
	}
	free(error);

	/* a bad size */
	error = NULL;
	struct r3d_encoder_config cfg = { .name = "x264", .width = 0, .height = 100000 };
	assert(!r3d_encoder_create(&cfg, &error) && error && strstr(error, "size"));
	free(error);
	printf("available here: '%s'\n", r3d_encoder_list());
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "x264";
	if (strcmp(what, "controls") == 0)
		return test_controls();
	if (strcmp(what, "errors") == 0)
		return test_errors();
	return test_backend_roundtrip(what);
}
