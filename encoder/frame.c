#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "remote3d/frame.h"

static const char *const format_names[R3D_FORMAT_COUNT] = {
	[R3D_FORMAT_RGBA] = "RGBA", [R3D_FORMAT_BGRA] = "BGRA", [R3D_FORMAT_RGBX] = "RGBx",
	[R3D_FORMAT_BGRX] = "BGRx", [R3D_FORMAT_NV12] = "NV12", [R3D_FORMAT_I420] = "I420",
};

const char *r3d_pixel_format_name(enum r3d_pixel_format fmt)
{
	return (unsigned)fmt < R3D_FORMAT_COUNT ? format_names[fmt] : "?";
}

int r3d_pixel_format_bpp(enum r3d_pixel_format fmt)
{
	switch (fmt) {
	case R3D_FORMAT_RGBA:
	case R3D_FORMAT_BGRA:
	case R3D_FORMAT_RGBX:
	case R3D_FORMAT_BGRX:
		return 4;
	default:
		return 0;
	}
}

static int align4(int v)
{
	return (v + 3) & ~3;
}

bool r3d_raw_frame_layout(enum r3d_pixel_format fmt, int width, int height,
			  int strides[R3D_FRAME_MAX_PLANES], size_t offsets[R3D_FRAME_MAX_PLANES],
			  int *n_planes, size_t *size)
{
	if (width <= 0 || height <= 0 || width > R3D_FRAME_MAX_SIDE || height > R3D_FRAME_MAX_SIDE)
		return false;
	for (int i = 0; i < R3D_FRAME_MAX_PLANES; i++) {
		strides[i] = 0;
		offsets[i] = 0;
	}
	int cw = (width + 1) / 2, ch = (height + 1) / 2;
	switch (fmt) {
	case R3D_FORMAT_NV12:
		*n_planes = 2;
		strides[0] = align4(width);
		strides[1] = align4(cw * 2);
		offsets[1] = (size_t)strides[0] * (size_t)height;
		*size = offsets[1] + (size_t)strides[1] * (size_t)ch;
		return true;
	case R3D_FORMAT_I420:
		*n_planes = 3;
		strides[0] = align4(width);
		strides[1] = strides[2] = align4(cw);
		offsets[1] = (size_t)strides[0] * (size_t)height;
		offsets[2] = offsets[1] + (size_t)strides[1] * (size_t)ch;
		*size = offsets[2] + (size_t)strides[2] * (size_t)ch;
		return true;
	default:
		if (r3d_pixel_format_bpp(fmt) != 4)
			return false;
		*n_planes = 1;
		strides[0] = width * 4;
		*size = (size_t)strides[0] * (size_t)height;
		return true;
	}
}

static void set_planes(struct r3d_raw_frame *frame, enum r3d_pixel_format fmt, int width, int height,
		       uint8_t *base, const int *strides, const size_t *offsets, int n_planes, size_t size)
{
	frame->format = fmt;
	frame->width = width;
	frame->height = height;
	frame->n_planes = n_planes;
	frame->size = size;
	for (int i = 0; i < R3D_FRAME_MAX_PLANES; i++) {
		frame->planes[i] = i < n_planes ? base + offsets[i] : NULL;
		frame->strides[i] = i < n_planes ? strides[i] : 0;
	}
}

bool r3d_raw_frame_alloc(struct r3d_raw_frame *frame, enum r3d_pixel_format fmt, int width, int height)
{
	int strides[R3D_FRAME_MAX_PLANES];
	size_t offsets[R3D_FRAME_MAX_PLANES];
	int n_planes;
	size_t size;

	if (!r3d_raw_frame_layout(fmt, width, height, strides, offsets, &n_planes, &size))
		return false;
	if (!frame->storage || frame->capacity < size) {
		uint8_t *mem = malloc(size);
		if (!mem)
			return false;
		free(frame->storage);
		frame->storage = mem;
		frame->capacity = size;
	}
	set_planes(frame, fmt, width, height, frame->storage, strides, offsets, n_planes, size);
	return true;
}

bool r3d_raw_frame_wrap(struct r3d_raw_frame *frame, enum r3d_pixel_format fmt, int width, int height,
			uint8_t *base)
{
	int strides[R3D_FRAME_MAX_PLANES];
	size_t offsets[R3D_FRAME_MAX_PLANES];
	int n_planes;
	size_t size;

	if (!base || !r3d_raw_frame_layout(fmt, width, height, strides, offsets, &n_planes, &size))
		return false;
	memset(frame, 0, sizeof(*frame));
	set_planes(frame, fmt, width, height, base, strides, offsets, n_planes, size);
	return true;
}

void r3d_raw_frame_finish(struct r3d_raw_frame *frame)
{
	if (!frame)
		return;
	free(frame->storage);
	memset(frame, 0, sizeof(*frame));
}

/* Rectangles' far edges (x + width) can pass INT_MAX: they are computed in
 * 64 bits, and a union wider than INT_MAX saturates. */
static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int clamp_int(int64_t v)
{
	return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

struct r3d_rect r3d_rect_union(struct r3d_rect a, struct r3d_rect b)
{
	if (r3d_rect_empty(a))
		return b;
	if (r3d_rect_empty(b))
		return a;
	int64_t x0 = min64(a.x, b.x), y0 = min64(a.y, b.y);
	int64_t x1 = max64((int64_t)a.x + a.width, (int64_t)b.x + b.width);
	int64_t y1 = max64((int64_t)a.y + a.height, (int64_t)b.y + b.height);
	return (struct r3d_rect){ (int)x0, (int)y0, clamp_int(x1 - x0), clamp_int(y1 - y0) };
}

struct r3d_rect r3d_rect_clip(struct r3d_rect r, int width, int height)
{
	int64_t x0 = max64(r.x, 0), y0 = max64(r.y, 0);
	int64_t x1 = min64((int64_t)r.x + r.width, width);
	int64_t y1 = min64((int64_t)r.y + r.height, height);
	if (x1 <= x0 || y1 <= y0)
		return (struct r3d_rect){ 0, 0, 0, 0 };
	/* inside [0, width] x [0, height]: every value fits an int */
	return (struct r3d_rect){ (int)x0, (int)y0, (int)(x1 - x0), (int)(y1 - y0) };
}
