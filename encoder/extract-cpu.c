/* The CPU extractor: a copy from pointer + stride, converting between the
 * 32-bit channel orders when source and output differ. */
#include <stdlib.h>
#include <string.h>

#include "remote3d/extractor.h"
#include "remote3d/log.h"

struct cpu_extractor {
	struct r3d_extractor base;
};

/* Byte positions of R, G, B, A in a 32-bit format (A = -1: padding). */
static void channel_offsets(enum r3d_pixel_format fmt, int off[4])
{
	static const int rgba[4] = { 0, 1, 2, 3 }, bgra[4] = { 2, 1, 0, 3 };
	const int *o = fmt == R3D_FORMAT_BGRA || fmt == R3D_FORMAT_BGRX ? bgra : rgba;
	memcpy(off, o, sizeof(int) * 4);
	if (fmt == R3D_FORMAT_RGBX || fmt == R3D_FORMAT_BGRX)
		off[3] = -1;
}

static bool same_order(enum r3d_pixel_format a, enum r3d_pixel_format b)
{
	int oa[4], ob[4];
	channel_offsets(a, oa);
	channel_offsets(b, ob);
	return oa[0] == ob[0] && oa[2] == ob[2];
}

static bool cpu_extract(struct r3d_extractor *ext, const struct r3d_source *src,
			struct r3d_raw_frame *out, char **error)
{
	if (src->kind != R3D_SOURCE_CPU || !src->u.cpu.pixels) {
		r3d_set_error(error, "extract (cpu): the source is not CPU memory");
		return false;
	}
	enum r3d_pixel_format sf = src->u.cpu.format, of = ext->out_format;
	if (r3d_pixel_format_bpp(sf) != 4) {
		r3d_set_error(error, "extract (cpu): source format %s is not a 32-bit RGB format",
			      r3d_pixel_format_name(sf));
		return false;
	}
	if (src->u.cpu.stride < src->width * 4) {
		r3d_set_error(error, "extract (cpu): stride %d < width %d * 4", src->u.cpu.stride,
			      src->width);
		return false;
	}
	if (!r3d_raw_frame_alloc(out, of, src->width, src->height)) {
		r3d_set_error(error, "extract (cpu): out of memory for %dx%d", src->width, src->height);
		return false;
	}
	const uint8_t *in = src->u.cpu.pixels;
	size_t row_bytes = (size_t)src->width * 4;
	if (same_order(sf, of)) {
		for (int y = 0; y < src->height; y++)
			memcpy(out->planes[0] + (size_t)y * out->strides[0],
			       in + (size_t)y * src->u.cpu.stride, row_bytes);
		return true;
	}
	int so[4], oo[4];
	channel_offsets(sf, so);
	channel_offsets(of, oo);
	for (int y = 0; y < src->height; y++) {
		const uint8_t *s = in + (size_t)y * src->u.cpu.stride;
		uint8_t *d = out->planes[0] + (size_t)y * out->strides[0];
		for (int x = 0; x < src->width; x++, s += 4, d += 4) {
			d[oo[0]] = s[so[0]];
			d[oo[1]] = s[so[1]];
			d[oo[2]] = s[so[2]];
			if (oo[3] >= 0)
				d[oo[3]] = so[3] >= 0 ? s[so[3]] : 0xFF;
		}
	}
	return true;
}

static void cpu_destroy(struct r3d_extractor *ext)
{
	free(ext);
}

static const struct r3d_extractor_impl cpu_impl = {
	.name = "cpu",
	.extract = cpu_extract,
	.destroy = cpu_destroy,
};

struct r3d_extractor *r3d_extractor_create_cpu(enum r3d_pixel_format out_format, char **error)
{
	if (r3d_pixel_format_bpp(out_format) != 4) {
		r3d_set_error(error, "extract (cpu): output format %s not supported (32-bit RGB only)",
			      r3d_pixel_format_name(out_format));
		return NULL;
	}
	struct cpu_extractor *c = calloc(1, sizeof(*c));
	if (!c) {
		r3d_set_error(error, "extract (cpu): out of memory");
		return NULL;
	}
	r3d_extractor_init(&c->base, &cpu_impl, out_format);
	return &c->base;
}
