/*
 * The GL extractor on an EGL surfaceless context (llvmpipe here) reads a
 * texture's known content exactly: channel order (BGRx and RGBA output),
 * orientation (y0_top false = GL's bottom-up rows are flipped to top-down;
 * true = kept), a size that is not a multiple of 4, and it leaves the
 * caller's framebuffer bindings and pack state as they were.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

#include "remote3d/extractor.h"
#include "egl-context.h"

#define W 61
#define H 37

int main(void)
{
	char *error = NULL;
	struct r3d_egl *egl = r3d_egl_create_surfaceless(&error);
	if (!egl) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	printf("renderer: %s\n", r3d_egl_renderer(egl));

	/* texel (x, row) = R x, G row, B 0x55, A 0xFF; row 0 is the first row
	 * given to glTexImage2D, which GL calls the bottom */
	uint8_t *texels = malloc(W * H * 4);
	assert(texels);
	for (int row = 0; row < H; row++)
		for (int x = 0; x < W; x++) {
			uint8_t *p = texels + (row * W + x) * 4;
			p[0] = (uint8_t)(x * 4);
			p[1] = (uint8_t)(row * 6);
			p[2] = 0x55;
			p[3] = 0xFF;
		}
	GLuint tex;
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, W, H, 0, GL_RGBA, GL_UNSIGNED_BYTE, texels);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	assert(glGetError() == GL_NO_ERROR);

	/* the caller's own state, which must survive */
	GLuint own_fbo;
	glGenFramebuffers(1, &own_fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, own_fbo);
	glPixelStorei(GL_PACK_ALIGNMENT, 1);

	struct r3d_extractor *e = r3d_extractor_create_gl(R3D_FORMAT_BGRX, &error);
	if (!e)
		fprintf(stderr, "%s\n", error);
	assert(e && strcmp(e->impl->name, "gl") == 0);
	struct r3d_raw_frame out = { 0 };
	struct r3d_source src = { .kind = R3D_SOURCE_GL_TEXTURE, .width = W, .height = H };
	src.u.gl.texture = tex;

	/* bottom-up texture: out row y is texel row H-1-y */
	src.u.gl.y0_top = false;
	assert(r3d_extractor_extract(e, &src, &out, &error));
	assert(out.format == R3D_FORMAT_BGRX && out.width == W && out.height == H);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			const uint8_t *p = out.planes[0] + y * out.strides[0] + x * 4;
			assert(p[0] == 0x55 && p[1] == (uint8_t)((H - 1 - y) * 6) && p[2] == (uint8_t)(x * 4));
		}
	/* top-down texture: kept */
	src.u.gl.y0_top = true;
	assert(r3d_extractor_extract(e, &src, &out, &error));
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			const uint8_t *p = out.planes[0] + y * out.strides[0] + x * 4;
			assert(p[0] == 0x55 && p[1] == (uint8_t)(y * 6) && p[2] == (uint8_t)(x * 4));
		}
	GLint fbo = -1, align = -1;
	glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &fbo);
	glGetIntegerv(GL_PACK_ALIGNMENT, &align);
	assert(fbo == (GLint)own_fbo && align == 1);
	r3d_extractor_destroy(e);

	/* RGBA output */
	e = r3d_extractor_create_gl(R3D_FORMAT_RGBA, &error);
	assert(e && r3d_extractor_extract(e, &src, &out, &error));
	const uint8_t *p = out.planes[0] + 3 * out.strides[0] + 9 * 4;
	assert(p[0] == 36 && p[1] == 18 && p[2] == 0x55 && p[3] == 0xFF);

	/* not a texture */
	src.u.gl.texture = 9999;
	assert(!r3d_extractor_extract(e, &src, &out, &error) && error);
	printf("bad texture: %s\n", error);
	free(error);
	r3d_extractor_destroy(e);

	r3d_raw_frame_finish(&out);
	glDeleteTextures(1, &tex);
	glDeleteFramebuffers(1, &own_fbo);
	free(texels);
	r3d_egl_destroy(egl);
	printf("extract-gl: all tests passed\n");
	return 0;
}
