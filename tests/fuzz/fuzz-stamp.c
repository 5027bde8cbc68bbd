/*
 * Fuzz target: the stamp reader (tests/lib/stamp.c) on arbitrary raw
 * pictures. The first 12 bytes say the picture's shape, the rest are its
 * pixels (repeated to fill it):
 *   0-1 width (% 641), 2-3 height (% 73), 4 bytes per pixel (1, 3, 4 or
 *   a bad value), 5 row padding (a bad stride when flags bit 1),
 *   6-7 x, 8-9 y (signed), 10 flags (bit 0: draw a stamp at x, y first),
 *   11 the stamp's frame number.
 * The picture is allocated to its last byte, so that any read outside it
 * is an ASan error. A stamp drawn fully inside a 4-byte picture must read
 * back exactly there, and r3d_stamp_find (when it searches) must find one.
 */
#include <stdlib.h>
#include <string.h>

#include "stamp.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static unsigned u16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int bpps[] = { 1, 3, 4, 4, 0, 2, 5, -4 };
	struct r3d_stamp st = { 0 }, got;
	int fx, fy, cell;

	if (size < 12)
		return 0;
	int w = (int)(u16(data) % 641), h = (int)(u16(data + 2) % 73);
	int bpp = bpps[data[4] % 8];
	uint8_t flags = data[10];
	int stride = (flags & 2) ? w * bpp - data[5] : w * bpp + data[5];
	int x = (int16_t)u16(data + 6), y = (int16_t)u16(data + 8);
	bool good = w > 0 && h > 0 && bpp > 0 && stride >= w * bpp;
	size_t len = good ? (size_t)(h - 1) * (size_t)stride + (size_t)w * (size_t)bpp : 1;
	uint8_t *pixels = malloc(len);
	const uint8_t *src = data + 12;
	size_t n = size - 12;

	check(pixels != NULL);
	if (!n)
		memset(pixels, 0, len);
	for (size_t done = 0; n && done < len; done += n)
		memcpy(pixels + done, src, len - done < n ? len - done : n);
	st.frame = data[11] * 0x01010101u;
	st.time_us = (uint64_t)u16(data + 6) << 32 | u16(data + 8);
	bool drawn = good && bpp == 4 && (flags & 1);
	if (drawn)
		r3d_stamp_draw_32(pixels, w, h, stride, x, y, &st);

	struct r3d_image_view img = { .data = pixels, .width = w, .height = h, .stride = stride,
				      .bpp = bpp };
	bool read = r3d_stamp_read(&img, x, y, &got);
	/* the search costs ~100 scales x every position: only on pictures of
	 * at most 4096 pixels (r3d_stamp_read covers the large ones) */
	bool search = (size_t)w * (size_t)h <= 4096;
	bool found = search && r3d_stamp_find(&img, &got, &fx, &fy, &cell);
	if (drawn && x >= 0 && y >= 0 && x + R3D_STAMP_WIDTH <= w && y + R3D_STAMP_HEIGHT <= h) {
		check(r3d_stamp_read(&img, x, y, &got) && got.frame == st.frame &&
		      got.time_us == st.time_us);
		check(!search || found);
	}
	/* (a stamp read at x, y on noise need not be found: the search
	 * rejects a place by one pixel of each of two cells first) */
	check(!found || (fx >= 0 && fy >= 0 && fx < w && fy < h && cell >= 4 && cell <= 32));
	check(good || !read);
	free(pixels);
	return 0;
}
