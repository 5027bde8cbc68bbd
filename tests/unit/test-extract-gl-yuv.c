/*
 * GPU colour conversion (gl-convert.c) against a CPU reference: an RGBA
 * picture (noise, gradients, pure colours and a frame stamp) uploaded as a
 * texture in both orientations (y0_top true / false), converted to NV12 and
 * to I420 by the GL extractor through every path (synchronous extract(),
 * asynchronous begin/poll with persistently mapped PBOs, and with map+copy
 * PBOs), at an odd size (531x75: padded to 532x76 by edge replication) and
 * an even one. Every Y, Cb and Cr sample is within MAX_ERR levels of the
 * reference (BT.601 limited range, chroma = mean of the 2x2 block, clamped
 * coordinates at the padded edge), the stamp reads back from the Y plane,
 * and the host's GL state (program, framebuffers, viewport, pack state,
 * texture binding) is unchanged afterwards.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

#include "remote3d/extractor.h"
#include "egl-context.h"
#include "stamp.h"

#define MAX_ERR 1 /* levels (of 255) per channel: float rounding on the GPU */

static uint8_t *make_picture(int w, int h, unsigned seed)
{
	uint8_t *p = malloc((size_t)w * h * 4);
	assert(p);
	srand(seed);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *px = p + ((size_t)y * w + x) * 4;
			int band = (x / 37 + y / 11) % 4;
			if (band == 0) { /* noise */
				px[0] = (uint8_t)rand();
				px[1] = (uint8_t)rand();
				px[2] = (uint8_t)rand();
			} else if (band == 1) { /* gradients */
				px[0] = (uint8_t)(x * 255 / (w - 1));
				px[1] = (uint8_t)(y * 255 / (h - 1));
				px[2] = (uint8_t)((x + y) & 0xff);
			} else if (band == 2) { /* extremes */
				int c = (x / 5) % 4;
				px[0] = c == 0 || c == 3 ? 255 : 0;
				px[1] = c == 1 || c == 3 ? 255 : 0;
				px[2] = c == 2 || c == 3 ? 255 : 0;
			} else {
				px[0] = px[1] = px[2] = (uint8_t)(x ^ y);
			}
			px[3] = 0xff;
		}
	if (w >= R3D_STAMP_WIDTH && h >= R3D_STAMP_HEIGHT) {
		struct r3d_stamp st = { .frame = 4242, .time_us = 123456789 };
		r3d_stamp_draw_32(p, w, h, w * 4, 0, 0, &st);
	}
	return p;
}

static const uint8_t *px_at(const uint8_t *pic, int w, int h, int x, int y)
{
	x = x < w ? x : w - 1; /* edge replication */
	y = y < h ? y : h - 1;
	return pic + ((size_t)y * w + x) * 4;
}

static int ref_y(const uint8_t *c)
{
	return (int)lround(16.0 + (65.481 * c[0] + 128.553 * c[1] + 24.966 * c[2]) / 255.0);
}

static void ref_uv(const uint8_t *pic, int w, int h, int cx, int cy, int *u, int *v)
{
	double r = 0, g = 0, b = 0;
	for (int dy = 0; dy < 2; dy++)
		for (int dx = 0; dx < 2; dx++) {
			const uint8_t *c = px_at(pic, w, h, cx * 2 + dx, cy * 2 + dy);
			r += c[0] / 4.0 / 255.0;
			g += c[1] / 4.0 / 255.0;
			b += c[2] / 4.0 / 255.0;
		}
	*u = (int)lround(128.0 - 37.797 * r - 74.203 * g + 112.0 * b);
	*v = (int)lround(128.0 + 112.0 * r - 93.786 * g - 18.214 * b);
}

static int compare(const struct r3d_raw_frame *f, const uint8_t *pic, int w, int h, int *worst)
{
	int ew = (w + 1) & ~1, eh = (h + 1) & ~1, bad = 0;
	int err[3] = { 0, 0, 0 };
	assert(f->width == ew && f->height == eh);
	for (int y = 0; y < eh; y++)
		for (int x = 0; x < ew; x++) {
			int d = abs(f->planes[0][(size_t)y * f->strides[0] + x] - ref_y(px_at(pic, w, h, x, y)));
			err[0] = d > err[0] ? d : err[0];
		}
	for (int cy = 0; cy < eh / 2; cy++)
		for (int cx = 0; cx < ew / 2; cx++) {
			int u, v, gu, gv;
			ref_uv(pic, w, h, cx, cy, &u, &v);
			if (f->format == R3D_FORMAT_NV12) {
				gu = f->planes[1][(size_t)cy * f->strides[1] + cx * 2];
				gv = f->planes[1][(size_t)cy * f->strides[1] + cx * 2 + 1];
			} else {
				gu = f->planes[1][(size_t)cy * f->strides[1] + cx];
				gv = f->planes[2][(size_t)cy * f->strides[2] + cx];
			}
			err[1] = abs(gu - u) > err[1] ? abs(gu - u) : err[1];
			err[2] = abs(gv - v) > err[2] ? abs(gv - v) : err[2];
		}
	for (int i = 0; i < 3; i++) {
		worst[i] = err[i] > worst[i] ? err[i] : worst[i];
		bad |= err[i] > MAX_ERR;
	}
	return bad;
}

static GLuint upload(const uint8_t *pic, int w, int h, bool y0_top)
{
	uint8_t *rows = malloc((size_t)w * h * 4);
	assert(rows);
	for (int r = 0; r < h; r++) /* texture row r = picture row (y0_top ? r : h-1-r) */
		memcpy(rows + (size_t)r * w * 4, pic + (size_t)(y0_top ? r : h - 1 - r) * w * 4, (size_t)w * 4);
	GLuint tex;
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, rows);
	/* left at the default mipmapping min filter: the texture is incomplete
	 * for plain sampling; the extractor's sampler must cope */
	free(rows);
	assert(glGetError() == GL_NO_ERROR);
	return tex;
}

enum mode { SYNC, ASYNC_PERSISTENT, ASYNC_COPY, MODE_COUNT };
static const char *const mode_names[] = { "sync", "async-persistent", "async-copy" };

static void run(int w, int h, enum r3d_pixel_format fmt, bool y0_top, enum mode mode, const uint8_t *pic)
{
	char *error = NULL;
	GLuint tex = upload(pic, w, h, y0_top);
	struct r3d_extractor *e =
		r3d_extractor_create_gl_mapped(fmt, mode == ASYNC_COPY ? R3D_GL_MAP_COPY : R3D_GL_MAP_AUTO, &error);
	if (!e)
		fprintf(stderr, "%s\n", error);
	assert(e && r3d_extractor_is_async(e));
	if (mode == ASYNC_PERSISTENT)
		assert(e->persistent_map); /* GL 4.5 core on llvmpipe */

	/* host state that must survive */
	GLuint host_fbo, host_tex;
	glGenFramebuffers(1, &host_fbo);
	glGenTextures(1, &host_tex);
	glBindFramebuffer(GL_FRAMEBUFFER, host_fbo);
	glBindTexture(GL_TEXTURE_2D, host_tex);
	glViewport(3, 4, 50, 60);
	glPixelStorei(GL_PACK_ALIGNMENT, 2);

	struct r3d_source src = { .kind = R3D_SOURCE_GL_TEXTURE, .width = w, .height = h };
	src.u.gl.texture = tex;
	src.u.gl.y0_top = y0_top;
	struct r3d_raw_frame f = { 0 };
	int worst[3] = { 0, 0, 0 };
	for (int round = 0; round < 4; round++) { /* every ring slot, and one reused */
		if (mode == SYNC) {
			assert(r3d_extractor_extract(e, &src, &f, &error));
		} else {
			assert(r3d_extractor_begin(e, &src, &error));
			assert(!r3d_extractor_begin(e, &src, NULL)); /* one in flight at a time */
			int r, polls = 0;
			while ((r = r3d_extractor_poll(e, &f, &error)) == 0)
				polls++;
			assert(r == 1 && f.storage == NULL);
			(void)polls;
		}
		assert(f.format == fmt);
		assert(compare(&f, pic, w, h, worst) == 0);
	}
	if (w >= R3D_STAMP_WIDTH) {
		struct r3d_image_view v = { f.planes[0], f.width, f.height, f.strides[0], 1 };
		struct r3d_stamp st;
		assert(r3d_stamp_read(&v, 0, 0, &st) && st.frame == 4242 && st.time_us == 123456789);
	}
	printf("%3dx%-3d %s y0_top=%d %-16s max error Y %d Cb %d Cr %d (limit %d)\n", w, h,
	       r3d_pixel_format_name(fmt), y0_top, mode_names[mode], worst[0], worst[1], worst[2], MAX_ERR);

	GLint v[4], fb, t, pa;
	glGetIntegerv(GL_VIEWPORT, v);
	glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &fb);
	glGetIntegerv(GL_TEXTURE_BINDING_2D, &t);
	glGetIntegerv(GL_PACK_ALIGNMENT, &pa);
	assert(v[0] == 3 && v[1] == 4 && v[2] == 50 && v[3] == 60);
	assert((GLuint)fb == host_fbo && (GLuint)t == host_tex && pa == 2);
	assert(glGetError() == GL_NO_ERROR);

	if (mode == SYNC)
		r3d_raw_frame_finish(&f);
	r3d_extractor_destroy(e);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	glDeleteFramebuffers(1, &host_fbo);
	glDeleteTextures(1, &host_tex);
	glDeleteTextures(1, &tex);
}

int main(void)
{
	char *error = NULL;
	struct r3d_egl *egl = r3d_egl_create_surfaceless(&error);
	if (!egl) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	printf("renderer: %s\n", r3d_egl_renderer(egl));
	static const int sizes[][2] = { { 531, 75 }, { 64, 48 }, { 3, 1 } };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int w = sizes[s][0], h = sizes[s][1];
		uint8_t *pic = make_picture(w, h, (unsigned)s + 1);
		for (int fmt = 0; fmt < 2; fmt++)
			for (int top = 0; top < 2; top++)
				for (int mode = 0; mode < MODE_COUNT; mode++)
					run(w, h, fmt ? R3D_FORMAT_I420 : R3D_FORMAT_NV12, top, (enum mode)mode, pic);
		free(pic);
	}
	r3d_egl_destroy(egl);
	printf("GPU NV12/I420 within %d level(s) of the CPU reference in every case\n", MAX_ERR);
	return 0;
}
