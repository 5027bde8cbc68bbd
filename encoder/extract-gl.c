/*
 * The GL extractor.
 *  - extract(), 32-bit output:
 *    attach the source texture to our own FBO and glReadPixels it
 *    (synchronous); a bottom-up texture (y0_top false, the GL convention) is
 *    flipped on the CPU so that the frame's rows are top-down.
 *  - extract(), NV12/I420: the shader conversion (gl-convert.c), then a
 *    synchronous glReadPixels of the planes.
 *  - begin()/poll(): the shader conversion (any output format), glFenceSync +
 *    glFlush, return. poll() asks the fence with a zero timeout; once the
 *    conversion is done it issues glReadPixels into a pixel buffer object of
 *    a ring of R3D_EXTRACT_RING with a second fence, and maps only when that
 *    one has signalled (at once on llvmpipe, whose reads are CPU copies).
 *    The ring's buffers are persistently mapped where
 *    GL 4.4 / ARB_buffer_storage allows (CLIENT_STORAGE: cached system
 *    memory), so poll() then copies nothing; else (or with R3D_GL_MAP_COPY)
 *    poll() maps and copies.
 * The caller's GL state is restored, so a host's renderer (virglrenderer in
 * QEMU) is not disturbed.
 */
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

#include "gl-convert.h"
#include "gl-util.h"
#include "remote3d/extractor.h"
#include "remote3d/log.h"

struct readback_slot {
	GLuint pbo;
	GLsync fence;
	bool read_issued; /* false: fence guards the conversion draw; true: the glReadPixels */
	void *map;     /* persistent mapping */
	uint8_t *copy; /* without persistent mapping: the CPU copy */
	size_t size;
	int width, height; /* of the converted frame */
};

struct gl_extractor {
	struct r3d_extractor base;
	GLuint fbo;
	uint8_t *row; /* scratch row for the flip */
	size_t row_size;
	struct gl_convert conv;
	bool conv_ready;
	struct readback_slot ring[R3D_EXTRACT_RING];
	unsigned next;
	int inflight; /* ring index, -1 = none */
};

/* The texture to read for src. */
static bool source_texture(const struct r3d_source *src, GLuint *tex, bool *y0_top, char **error)
{
	if (src->kind != R3D_SOURCE_GL_TEXTURE || !src->u.gl.texture) {
		r3d_set_error(error, "extract (gl): the source is not a GL texture");
		return false;
	}
	*tex = src->u.gl.texture;
	*y0_top = src->u.gl.y0_top;
	return true;
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

static bool ensure_conv(struct gl_extractor *g, char **error)
{
	if (!g->conv_ready)
		g->conv_ready = gl_convert_init(&g->conv, g->base.out_format, error);
	return g->conv_ready;
}

/* NV12/I420 synchronously: convert, read the planes straight into out. */
static bool extract_yuv(struct gl_extractor *g, GLuint tex, int w, int h, bool y0_top,
			struct r3d_raw_frame *out, char **error)
{
	int ow, oh;
	gl_convert_out_size(g->base.out_format, w, h, &ow, &oh);
	if (!r3d_raw_frame_alloc(out, g->base.out_format, ow, oh)) {
		r3d_set_error(error, "extract (gl): out of memory for %dx%d", ow, oh);
		return false;
	}
	while (glGetError() != GL_NO_ERROR)
		; /* errors of the host's own calls are not ours */
	return ensure_conv(g, error) && gl_convert_draw(&g->conv, tex, w, h, y0_top, error) &&
	       gl_convert_read(&g->conv, 0, out->planes[0], &g->base.gpu_waits, error);
}

static bool gl_extract(struct r3d_extractor *ext, const struct r3d_source *src,
		       struct r3d_raw_frame *out, char **error)
{
	struct gl_extractor *g = (struct gl_extractor *)ext;
	struct gl_host_state st;
	bool ok = false;
	GLuint tex;
	bool y0_top;

	if (!source_texture(src, &tex, &y0_top, error))
		return false;
	if (r3d_pixel_format_bpp(ext->out_format) != 4)
		return extract_yuv(g, tex, src->width, src->height, y0_top, out, error);
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
	gl_host_state_save(&st);
	glBindFramebuffer(GL_READ_FRAMEBUFFER, g->fbo);
	glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
	GLenum status = glCheckFramebufferStatus(GL_READ_FRAMEBUFFER);
	if (status != GL_FRAMEBUFFER_COMPLETE) {
		r3d_set_error(error, "extract (gl): texture %u is not readable (framebuffer status 0x%x)",
			      tex, status);
		goto out;
	}
	glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
	glPixelStorei(GL_PACK_ALIGNMENT, 4);
	glPixelStorei(GL_PACK_ROW_LENGTH, out->strides[0] / 4);
	GLenum format = ext->out_format == R3D_FORMAT_BGRA || ext->out_format == R3D_FORMAT_BGRX ? GL_BGRA
												  : GL_RGBA;
	ext->gpu_waits++;
	glReadPixels(0, 0, src->width, src->height, format, GL_UNSIGNED_BYTE, out->planes[0]);
	GLenum err = glGetError();
	if (err != GL_NO_ERROR) {
		r3d_set_error(error, "extract (gl): glReadPixels failed (GL error 0x%x)", err);
		goto out;
	}
	/* glReadPixels returns texture row 0 first */
	if (!y0_top)
		flip_rows(g, out->planes[0], src->height, stride);
	ok = true;
out:
	glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, 0, 0);
	gl_host_state_restore(&st);
	return ok;
}

/* ---- asynchronous: PBO ring + fence ---- */

static void slot_release(struct readback_slot *sl)
{
	if (sl->fence)
		glDeleteSync(sl->fence);
	if (sl->pbo) {
		if (sl->map) {
			GLuint old = gl_pack_buffer_bind(sl->pbo);
			glUnmapBuffer(GL_PIXEL_PACK_BUFFER);
			gl_pack_buffer_bind(old);
		}
		glDeleteBuffers(1, &sl->pbo);
	}
	free(sl->copy);
	memset(sl, 0, sizeof(*sl));
}

static bool slot_prepare(struct gl_extractor *g, struct readback_slot *sl, size_t size, char **error)
{
	if (sl->pbo && sl->size == size)
		return true;
	slot_release(sl);
	glGenBuffers(1, &sl->pbo);
	GLuint old = gl_pack_buffer_bind(sl->pbo);
	if (g->base.persistent_map) {
		GLbitfield flags = GL_MAP_READ_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
		glBufferStorage(GL_PIXEL_PACK_BUFFER, (GLsizeiptr)size, NULL, flags | GL_CLIENT_STORAGE_BIT);
		sl->map = glMapBufferRange(GL_PIXEL_PACK_BUFFER, 0, (GLsizeiptr)size, flags);
	} else {
		glBufferData(GL_PIXEL_PACK_BUFFER, (GLsizeiptr)size, NULL, GL_STREAM_READ);
		sl->copy = malloc(size);
	}
	gl_pack_buffer_bind(old);
	GLenum err = glGetError();
	if (!sl->pbo || err != GL_NO_ERROR || (g->base.persistent_map ? !sl->map : !sl->copy)) {
		r3d_set_error(error, "extract (gl): cannot make a %zu-byte readback buffer (GL error 0x%x)",
			      size, err);
		slot_release(sl);
		return false;
	}
	sl->size = size;
	return true;
}

static bool gl_begin(struct r3d_extractor *ext, const struct r3d_source *src, char **error)
{
	struct gl_extractor *g = (struct gl_extractor *)ext;
	int strides[R3D_FRAME_MAX_PLANES], n_planes, ow, oh;
	size_t offsets[R3D_FRAME_MAX_PLANES], size;
	GLuint tex;
	bool y0_top;

	if (g->inflight >= 0) {
		r3d_set_error(error, "extract (gl): a readback is in flight already (poll it first)");
		return false;
	}
	while (glGetError() != GL_NO_ERROR)
		; /* errors of the host's own calls are not ours */
	if (!source_texture(src, &tex, &y0_top, error) || !ensure_conv(g, error))
		return false;
	gl_convert_out_size(ext->out_format, src->width, src->height, &ow, &oh);
	if (!r3d_raw_frame_layout(ext->out_format, ow, oh, strides, offsets, &n_planes, &size)) {
		r3d_set_error(error, "extract (gl): bad size %dx%d", src->width, src->height);
		return false;
	}
	struct readback_slot *sl = &g->ring[g->next];
	if (!slot_prepare(g, sl, size, error) || !gl_convert_draw(&g->conv, tex, src->width, src->height, y0_top, error))
		return false;
	/* With a GPU the glReadPixels into the PBO could go here too (it is
	 * queued like a draw), but a software rasterizer (llvmpipe) performs
	 * it at once, waiting for the conversion to be rasterized: the caller
	 * would wait. So: fence the draw now, issue the read when it signalled. */
	sl->read_issued = false;
	sl->fence = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	if (!sl->fence) {
		r3d_set_error(error, "extract (gl): glFenceSync failed (GL error 0x%x)", glGetError());
		return false;
	}
	glFlush(); /* the GPU starts now; poll() waits for nothing */
	sl->width = ow;
	sl->height = oh;
	g->inflight = (int)g->next;
	g->next = (g->next + 1) % R3D_EXTRACT_RING;
	return true;
}

static int gl_poll(struct r3d_extractor *ext, struct r3d_raw_frame *out, char **error)
{
	struct gl_extractor *g = (struct gl_extractor *)ext;

	if (g->inflight < 0) {
		r3d_set_error(error, "extract (gl): no readback in flight");
		return -1;
	}
	struct readback_slot *sl = &g->ring[g->inflight];
	GLenum r = glClientWaitSync(sl->fence, 0, 0);
	if (r == GL_TIMEOUT_EXPIRED)
		return 0;
	glDeleteSync(sl->fence);
	sl->fence = NULL;
	if (r != GL_WAIT_FAILED && !sl->read_issued) {
		/* converted: now the (asynchronous on a GPU) read into the PBO */
		while (glGetError() != GL_NO_ERROR)
			;
		if (!gl_convert_read(&g->conv, sl->pbo, NULL, &g->base.gpu_waits, error)) {
			g->inflight = -1;
			return -1;
		}
		sl->read_issued = true;
		sl->fence = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
		if (!sl->fence) {
			g->inflight = -1;
			r3d_set_error(error, "extract (gl): glFenceSync failed (GL error 0x%x)", glGetError());
			return -1;
		}
		glFlush();
		r = glClientWaitSync(sl->fence, 0, 0); /* done at once on llvmpipe */
		if (r == GL_TIMEOUT_EXPIRED)
			return 0;
		glDeleteSync(sl->fence);
		sl->fence = NULL;
	}
	g->inflight = -1;
	if (r == GL_WAIT_FAILED) {
		r3d_set_error(error, "extract (gl): waiting for the readback fence failed (GL error 0x%x)",
			      glGetError());
		return -1;
	}
	if (!g->base.persistent_map) {
		GLuint old = gl_pack_buffer_bind(sl->pbo);
		g->base.gpu_waits++;
		void *p = glMapBufferRange(GL_PIXEL_PACK_BUFFER, 0, (GLsizeiptr)sl->size, GL_MAP_READ_BIT);
		if (p) {
			memcpy(sl->copy, p, sl->size);
			glUnmapBuffer(GL_PIXEL_PACK_BUFFER);
		}
		gl_pack_buffer_bind(old);
		if (!p) {
			r3d_set_error(error, "extract (gl): cannot map the readback buffer (GL error 0x%x)",
				      glGetError());
			return -1;
		}
	}
	uint8_t *pixels = g->base.persistent_map ? sl->map : sl->copy;
	if (!r3d_raw_frame_wrap(out, ext->out_format, sl->width, sl->height, pixels)) {
		r3d_set_error(error, "extract (gl): bad frame layout");
		return -1;
	}
	return 1;
}

/* ---- convert only: the planes are read in another context ---- */

static bool is_gl(const struct r3d_extractor *ext)
{
	return ext && strcmp(ext->impl->name, "gl") == 0;
}

bool r3d_extractor_gl_convert(struct r3d_extractor *ext, const struct r3d_source *src,
			      struct r3d_gl_planes *out, char **error)
{
	struct gl_extractor *g = (struct gl_extractor *)ext;
	GLuint tex;
	bool y0_top;

	if (!is_gl(ext) || !src || !out) {
		r3d_set_error(error, "extract (gl): convert needs the GL extractor and a source");
		return false;
	}
	if (src->width <= 0 || src->height <= 0) {
		r3d_set_error(error, "extract (gl): bad source size %dx%d", src->width, src->height);
		return false;
	}
	while (glGetError() != GL_NO_ERROR)
		; /* errors of the host's own calls are not ours */
	if (!source_texture(src, &tex, &y0_top, error) || !ensure_conv(g, error) ||
	    !gl_convert_draw(&g->conv, tex, src->width, src->height, y0_top, error))
		return false;
	GLsync fence = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
	if (!fence) {
		r3d_set_error(error, "extract (gl): glFenceSync failed (GL error 0x%x)", glGetError());
		return false;
	}
	glFlush(); /* the fence must reach the GPU before another context waits on it */
	memset(out, 0, sizeof(*out));
	out->fence = fence;
	out->format = ext->out_format;
	out->width = g->conv.width;
	out->height = g->conv.height;
	out->n_textures = gl_convert_plane_count(ext->out_format);
	for (int i = 0; i < out->n_textures; i++)
		out->textures[i] = g->conv.tex[i];
	return true;
}

void r3d_gl_planes_discard(struct r3d_gl_planes *planes)
{
	if (planes && planes->fence) {
		glDeleteSync((GLsync)planes->fence);
		planes->fence = NULL;
	}
}

static void gl_destroy(struct r3d_extractor *ext)
{
	struct gl_extractor *g = (struct gl_extractor *)ext;
	for (int i = 0; i < R3D_EXTRACT_RING; i++)
		slot_release(&g->ring[i]);
	if (g->conv_ready)
		gl_convert_finish(&g->conv);
	if (g->fbo)
		glDeleteFramebuffers(1, &g->fbo);
	free(g->row);
	free(g);
}

static const struct r3d_extractor_impl gl_impl = {
	.name = "gl",
	.extract = gl_extract,
	.destroy = gl_destroy,
	.begin = gl_begin,
	.poll = gl_poll,
};

static bool want_persistent(enum r3d_gl_mapping mapping)
{
	if (mapping == R3D_GL_MAP_COPY)
		return false;
	return epoxy_is_desktop_gl() && (epoxy_gl_version() >= 44 || epoxy_has_gl_extension("GL_ARB_buffer_storage"));
}

struct r3d_extractor *r3d_extractor_create_gl_mapped(enum r3d_pixel_format out_format,
						     enum r3d_gl_mapping mapping, char **error)
{
	if ((unsigned)out_format >= R3D_FORMAT_COUNT) {
		r3d_set_error(error, "extract (gl): bad output format");
		return NULL;
	}
	if (mapping != R3D_GL_MAP_AUTO && mapping != R3D_GL_MAP_COPY) {
		r3d_set_error(error, "extract (gl): bad readback mapping %d", (int)mapping);
		return NULL;
	}
	if (epoxy_gl_version() < 30) {
		r3d_set_error(error, "extract (gl): needs a current GL >= 3.0 or GLES >= 3.0 context");
		return NULL;
	}
	if (!epoxy_is_desktop_gl() && (out_format == R3D_FORMAT_BGRA || out_format == R3D_FORMAT_BGRX) &&
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
	g->inflight = -1;
	g->base.persistent_map = want_persistent(mapping);
	glGenFramebuffers(1, &g->fbo);
	if (!g->fbo) {
		r3d_set_error(error, "extract (gl): glGenFramebuffers failed");
		free(g);
		return NULL;
	}
	return &g->base;
}
