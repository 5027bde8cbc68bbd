/*
 * The GL extractor: attach the source texture to our own FBO and
 * glReadPixels it (synchronous). The caller's framebuffer bindings and pack
 * state are restored, so a host's renderer (virglrenderer in QEMU) is not
 * disturbed. A bottom-up texture (y0_top false, the GL convention) is flipped
 * so that the frame's rows are top-down.
 * Issue 3: a PBO ring with fences and an NV12 shader pass go here.
 */
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

#include "remote3d/extractor.h"
#include "remote3d/log.h"

struct gl_extractor {
	struct r3d_extractor base;
	GLuint fbo;
	uint8_t *row; /* scratch row for the flip */
	size_t row_size;
};

struct gl_saved_state {
	GLint read_fbo, draw_fbo, pack_alignment, pack_row_length, pack_buffer;
};

static void save_state(struct gl_saved_state *st)
{
	glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &st->read_fbo);
	glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &st->draw_fbo);
	glGetIntegerv(GL_PACK_ALIGNMENT, &st->pack_alignment);
	glGetIntegerv(GL_PACK_ROW_LENGTH, &st->pack_row_length);
	glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &st->pack_buffer);
}

static void restore_state(const struct gl_saved_state *st)
{
	glBindFramebuffer(GL_READ_FRAMEBUFFER, (GLuint)st->read_fbo);
	glBindFramebuffer(GL_DRAW_FRAMEBUFFER, (GLuint)st->draw_fbo);
	glPixelStorei(GL_PACK_ALIGNMENT, st->pack_alignment);
	glPixelStorei(GL_PACK_ROW_LENGTH, st->pack_row_length);
	glBindBuffer(GL_PIXEL_PACK_BUFFER, (GLuint)st->pack_buffer);
}

static void flip_rows(struct gl_extractor *g, uint8_t *data, int height, size_t stride)
{
	for (int top = 0, bottom = height - 1; top < bottom; top++, bottom--) {
		uint8_t *a = data + (size_t)top * stride, *b = data + (size_t)bottom * stride;
		memcpy(g->row, a, stride);
		memcpy(a, b, stride);
		memcpy(b, g->row, stride);
	}
}

static bool gl_extract(struct r3d_extractor *ext, const struct r3d_source *src,
		       struct r3d_raw_frame *out, char **error)
{
	struct gl_extractor *g = (struct gl_extractor *)ext;
	struct gl_saved_state st;
	bool ok = false;

	if (src->kind != R3D_SOURCE_GL_TEXTURE || !src->u.gl.texture) {
		r3d_set_error(error, "extract (gl): the source is not a GL texture");
		return false;
	}
	if (!r3d_raw_frame_alloc(out, ext->out_format, src->width, src->height)) {
		r3d_set_error(error, "extract (gl): out of memory for %dx%d", src->width, src->height);
		return false;
	}
	size_t stride = (size_t)out->strides[0];
	if (g->row_size < stride) {
		uint8_t *row = realloc(g->row, stride);
		if (!row) {
			r3d_set_error(error, "extract (gl): out of memory");
			return false;
		}
		g->row = row;
		g->row_size = stride;
	}

	while (glGetError() != GL_NO_ERROR)
		; /* errors of the host's own calls are not ours */
	save_state(&st);
	glBindFramebuffer(GL_READ_FRAMEBUFFER, g->fbo);
	glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
			       src->u.gl.texture, 0);
	GLenum status = glCheckFramebufferStatus(GL_READ_FRAMEBUFFER);
	if (status != GL_FRAMEBUFFER_COMPLETE) {
		r3d_set_error(error, "extract (gl): texture %u is not readable (framebuffer status 0x%x)",
			      src->u.gl.texture, status);
		goto out;
	}
	glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
	glPixelStorei(GL_PACK_ALIGNMENT, 4);
	glPixelStorei(GL_PACK_ROW_LENGTH, out->strides[0] / 4);
	GLenum format = ext->out_format == R3D_FORMAT_BGRA || ext->out_format == R3D_FORMAT_BGRX ? GL_BGRA
												  : GL_RGBA;
	glReadPixels(0, 0, src->width, src->height, format, GL_UNSIGNED_BYTE, out->planes[0]);
	GLenum err = glGetError();
	if (err != GL_NO_ERROR) {
		r3d_set_error(error, "extract (gl): glReadPixels failed (GL error 0x%x)", err);
		goto out;
	}
	/* glReadPixels returns texture row 0 first */
	if (!src->u.gl.y0_top)
		flip_rows(g, out->planes[0], src->height, stride);
	ok = true;
out:
	glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, 0, 0);
	restore_state(&st);
	return ok;
}

static void gl_destroy(struct r3d_extractor *ext)
{
	struct gl_extractor *g = (struct gl_extractor *)ext;
	if (g->fbo)
		glDeleteFramebuffers(1, &g->fbo);
	free(g->row);
	free(g);
}

static const struct r3d_extractor_impl gl_impl = {
	.name = "gl",
	.extract = gl_extract,
	.destroy = gl_destroy,
};

struct r3d_extractor *r3d_extractor_create_gl(enum r3d_pixel_format out_format, char **error)
{
	if (r3d_pixel_format_bpp(out_format) != 4) {
		r3d_set_error(error, "extract (gl): output format %s not supported yet (32-bit RGB only)",
			      r3d_pixel_format_name(out_format));
		return NULL;
	}
	if (epoxy_gl_version() < 30) {
		r3d_set_error(error, "extract (gl): needs a current GL >= 3.0 or GLES >= 3.0 context");
		return NULL;
	}
	if (!epoxy_is_desktop_gl() && out_format != R3D_FORMAT_RGBA && out_format != R3D_FORMAT_RGBX &&
	    !epoxy_has_gl_extension("GL_EXT_read_format_bgra")) {
		r3d_set_error(error, "extract (gl): GLES without GL_EXT_read_format_bgra: use RGBA output");
		return NULL;
	}
	struct gl_extractor *g = calloc(1, sizeof(*g));
	if (!g) {
		r3d_set_error(error, "extract (gl): out of memory");
		return NULL;
	}
	r3d_extractor_init(&g->base, &gl_impl, out_format);
	glGenFramebuffers(1, &g->fbo);
	if (!g->fbo) {
		r3d_set_error(error, "extract (gl): glGenFramebuffers failed");
		free(g);
		return NULL;
	}
	return &g->base;
}
