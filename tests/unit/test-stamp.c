/* A stamp drawn into an image reads back exactly, also after noise that an
 * H.264 encoder at a low bitrate would add, and is found when the picture is
 * not at the origin (a client window in a screenshot); positions near
 * INT_MAX and inconsistent views are refused without overflow. */
#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stamp.h"

static void test_roundtrip(void)
{
	const int w = 640, h = 96, stride = w * 4;
	uint8_t *img = calloc((size_t)stride * h, 1);
	struct r3d_stamp in = { .frame = 0xDEADBEEF, .time_us = 0x0123456789ABCDEFull }, out = { 0 };
	assert(img);
	r3d_stamp_draw_32(img, w, h, stride, 0, 0, &in);
	struct r3d_image_view v = { img, w, h, stride, 4 };
	assert(r3d_stamp_read(&v, 0, 0, &out));
	assert(out.frame == in.frame && out.time_us == in.time_us);
	/* an empty picture holds no stamp */
	memset(img, 0, (size_t)stride * h);
	assert(!r3d_stamp_read(&v, 0, 0, &out));
	free(img);
}

static void test_noise_and_bad_crc(void)
{
	const int w = 512, h = 64, stride = w * 4;
	uint8_t *img = malloc((size_t)stride * h);
	struct r3d_stamp in = { .frame = 77, .time_us = 123456789 }, out;
	assert(img);
	r3d_stamp_draw_32(img, w, h, stride, 0, 0, &in);
	srand(1);
	for (size_t i = 0; i < (size_t)stride * h; i++) {
		int n = img[i] + rand() % 161 - 80; /* +-80 of noise */
		img[i] = (uint8_t)(n < 0 ? 0 : n > 255 ? 255 : n);
	}
	struct r3d_image_view v = { img, w, h, stride, 4 };
	assert(r3d_stamp_read(&v, 0, 0, &out));
	assert(out.frame == 77 && out.time_us == 123456789);
	/* flip one payload cell (frame bit): the CRC rejects it */
	int cell = 20, cx = (cell % R3D_STAMP_COLS) * R3D_STAMP_CELL, cy = 0;
	for (int y = cy; y < cy + R3D_STAMP_CELL; y++)
		for (int x = cx; x < cx + R3D_STAMP_CELL; x++)
			img[y * stride + x * 4] = img[y * stride + x * 4 + 1] =
				img[y * stride + x * 4 + 2] = (uint8_t)(255 - img[y * stride + x * 4]);
	assert(!r3d_stamp_read(&v, 0, 0, &out));
	free(img);
}

static void test_find_offset_and_luma(void)
{
	const int w = 800, h = 200, stride = w * 4;
	uint8_t *img = calloc((size_t)stride * h, 1);
	struct r3d_stamp in = { .frame = 5, .time_us = 42 }, out;
	int x = -1, y = -1;
	assert(img);
	for (size_t i = 0; i < (size_t)stride * h; i++)
		img[i] = 0x40; /* a dark grey window background */
	r3d_stamp_draw_32(img, w, h, stride, 37, 91, &in);
	struct r3d_image_view v = { img, w, h, stride, 4 };
	assert(r3d_stamp_find(&v, &out, &x, &y, NULL));
	/* cells are sampled in their central half: the position found is
	 * within a quarter cell of the true one */
	assert(abs(x - 37) <= R3D_STAMP_CELL / 4 && abs(y - 91) <= R3D_STAMP_CELL / 4);
	assert(out.frame == 5 && out.time_us == 42);

	/* the same stamp in a luma plane (what an NV12 frame's Y holds) */
	uint8_t *y8 = malloc((size_t)w * h);
	assert(y8);
	for (int i = 0; i < w * h; i++)
		y8[i] = img[i * 4];
	struct r3d_image_view vy = { y8, w, h, w, 1 };
	assert(r3d_stamp_read(&vy, 37, 91, &out) && out.frame == 5);
	free(y8);
	free(img);
}

/* A client window smaller than the picture shows it scaled down (spicy
 * does): a stamp shrunk to 0.8 with averaging is still found and read. */
static void test_find_scaled(void)
{
	const int w = 800, h = 120, stride = w * 4;
	const int sw = 640, sh = 96, sstride = sw * 4;
	uint8_t *img = calloc((size_t)stride * h, 1), *small = calloc((size_t)sstride * sh, 1);
	struct r3d_stamp in = { .frame = 4242, .time_us = 987654321 }, out = { 0 };
	int cell = 0;
	assert(img && small);
	r3d_stamp_draw_32(img, w, h, stride, 10, 20, &in);
	/* box-filter resample by 4/5 */
	for (int y = 0; y < sh; y++)
		for (int x = 0; x < sw; x++)
			for (int c = 0; c < 4; c++) {
				int sum = 0, n = 0;
				for (int yy = y * 5 / 4; yy <= (y * 5 + 4) / 4 && yy < h; yy++)
					for (int xx = x * 5 / 4; xx <= (x * 5 + 4) / 4 && xx < w; xx++, n++)
						sum += img[yy * stride + xx * 4 + c];
				small[y * sstride + x * 4 + c] = (uint8_t)(sum / n);
			}
	struct r3d_image_view v = { small, sw, sh, sstride, 4 };
	assert(!r3d_stamp_read(&v, 8, 16, &out)); /* not at the unscaled size */
	assert(r3d_stamp_find(&v, &out, NULL, NULL, &cell));
	assert(out.frame == 4242 && out.time_us == 987654321);
	assert(cell >= 12 && cell <= 14);
	free(small);
	free(img);
}

/* Positions near INT_MAX and views that do not describe their memory
 * (negative sizes, a stride shorter than a row) are refused, not wrapped
 * into reads and writes outside the image. */
static void test_extreme_positions_and_bad_views(void)
{
	const int w = 640, h = 96, stride = w * 4;
	uint8_t *img = calloc((size_t)stride * h, 1), *copy = malloc((size_t)stride * h);
	struct r3d_stamp in = { .frame = 9, .time_us = 99 }, out = { 0 };
	assert(img && copy);
	r3d_stamp_draw_32(img, w, h, stride, 0, 0, &in);
	struct r3d_image_view v = { img, w, h, stride, 4 };
	assert(!r3d_stamp_read(&v, INT_MAX, 0, &out));
	assert(!r3d_stamp_read(&v, 0, INT_MAX, &out));
	assert(!r3d_stamp_read(&v, INT_MAX - 100, INT_MAX - 10, &out));
	assert(!r3d_stamp_read(&v, INT_MIN, 0, &out));

	/* drawing far outside touches nothing */
	memcpy(copy, img, (size_t)stride * h);
	r3d_stamp_draw_32(img, w, h, stride, INT_MAX - 5, INT_MAX - 5, &in);
	r3d_stamp_draw_32(img, w, h, stride, INT_MIN, INT_MIN, &in);
	r3d_stamp_draw_32(img, w, h, w, 0, 0, &in); /* stride shorter than a row */
	assert(memcmp(copy, img, (size_t)stride * h) == 0);

	struct r3d_image_view bad[] = {
		{ img, -w, h, stride, 4 }, { img, w, -h, stride, 4 }, { img, w, h, w, 4 },
		{ img, w, h, stride, 2 }, { NULL, w, h, stride, 4 }, { img, 0, 0, stride, 4 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert(!r3d_stamp_read(&bad[i], 0, 0, &out));
		assert(!r3d_stamp_find(&bad[i], &out, NULL, NULL, NULL));
	}
	assert(r3d_stamp_read(&v, 0, 0, &out) && out.frame == 9);
	free(copy);
	free(img);
}

int main(void)
{
	test_extreme_positions_and_bad_views();
	test_find_scaled();
	test_roundtrip();
	test_noise_and_bad_crc();
	test_find_offset_and_luma();
	printf("stamp: ok\n");
	return 0;
}
