/* GPU colour conversion passes (see gl-convert.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gl-convert.h"
#include "gl-util.h"
#include "remote3d/log.h"

/* A full-screen triangle from gl_VertexID: no vertex buffer needed. */
static const char vs_body[] =
	"void main() {\n"
	"  vec2 p = vec2(float((gl_VertexID & 1) * 4 - 1), float((gl_VertexID & 2) * 2 - 1));\n"
	"  gl_Position = vec4(p, 0.0, 1.0);\n"
	"}\n";

/* fetch(): picture coordinates (top-left origin), clamped (edge
 * replication for the even padding), turned into texel coordinates. */
static const char fs_common[] =
	"uniform sampler2D src;\n"
	"uniform ivec2 size;\n"
	"uniform int flip;\n"
	"vec3 fetch(ivec2 p) {\n"
	"  p = clamp(p, ivec2(0), size - ivec2(1));\n"
	"  if (flip != 0) p.y = size.y - 1 - p.y;\n"
	"  return texelFetch(src, p, 0).rgb;\n"
	"}\n"
	"float luma(vec3 c) {\n"
	"  return (16.0 + 65.481 * c.r + 128.553 * c.g + 24.966 * c.b) / 255.0;\n"
	"}\n"
	"vec2 chroma(vec3 c) {\n"
	"  return vec2(128.0 - 37.797 * c.r - 74.203 * c.g + 112.0 * c.b,\n"
	"              128.0 + 112.0 * c.r - 93.786 * c.g - 18.214 * c.b) / 255.0;\n"
	"}\n"
	"vec3 mean4(ivec2 p) {\n"
	"  return 0.25 * (fetch(p) + fetch(p + ivec2(1, 0)) + fetch(p + ivec2(0, 1)) + fetch(p + ivec2(1, 1)));\n"
	"}\n";

/* Output row r of a target is picture row r: gl_FragCoord.y - 0.5 = r, and
 * glReadPixels returns target row 0 first, so rows come out top-down. */
static const char fs_luma[] =
	"layout(location = 0) out float y;\n"
	"void main() { y = luma(fetch(ivec2(gl_FragCoord.xy))); }\n";
static const char fs_nv12_chroma[] =
	"layout(location = 0) out vec2 uv;\n"
	"void main() { uv = chroma(mean4(ivec2(gl_FragCoord.xy) * 2)); }\n";
static const char fs_i420_chroma[] =
	"layout(location = 0) out float u;\n"
	"layout(location = 1) out float v;\n"
	"void main() { vec2 c = chroma(mean4(ivec2(gl_FragCoord.xy) * 2)); u = c.x; v = c.y; }\n";
static const char fs_rgb[] =
	"layout(location = 0) out vec4 rgba;\n"
	"void main() { rgba = vec4(fetch(ivec2(gl_FragCoord.xy)), 1.0); }\n";

static bool is_yuv(enum r3d_pixel_format f)
{
	return f == R3D_FORMAT_NV12 || f == R3D_FORMAT_I420;
}

void gl_convert_out_size(enum r3d_pixel_format fmt, int src_w, int src_h, int *out_w, int *out_h)
{
	*out_w = is_yuv(fmt) ? (src_w + 1) & ~1 : src_w;
	*out_h = is_yuv(fmt) ? (src_h + 1) & ~1 : src_h;
}

bool gl_convert_init(struct gl_convert *c, enum r3d_pixel_format fmt, char **error)
{
	memset(c, 0, sizeof(*c));
	c->format = fmt;
	if (is_yuv(fmt)) {
		c->prog_luma = gl_program_build(vs_body, fs_common, fs_luma, error);
		c->prog_chroma = c->prog_luma ? gl_program_build(vs_body, fs_common,
								   fmt == R3D_FORMAT_NV12 ? fs_nv12_chroma : fs_i420_chroma, error)
					      : 0;
		if (!c->prog_chroma)
			goto fail;
	} else {
		c->prog_rgb = gl_program_build(vs_body, fs_common, fs_rgb, error);
		if (!c->prog_rgb)
			goto fail;
	}
	GLuint progs[3] = { c->prog_luma, c->prog_chroma, c->prog_rgb };
	for (int i = 0; i < 3; i++) {
		c->loc_src[i] = progs[i] ? glGetUniformLocation(progs[i], "src") : -1;
		c->loc_size[i] = progs[i] ? glGetUniformLocation(progs[i], "size") : -1;
		c->loc_flip[i] = progs[i] ? glGetUniformLocation(progs[i], "flip") : -1;
	}
	glGenVertexArrays(1, &c->vao);
	glGenSamplers(1, &c->sampler);
	glGenFramebuffers(2, c->fbo);
	if (!c->vao || !c->sampler || !c->fbo[0] || !c->fbo[1]) {
		r3d_set_error(error, "extract (gl): cannot create GL objects for the conversion");
		goto fail;
	}
	/* NEAREST: texelFetch ignores filtering, but a sampler with a
	 * mipmap-less min filter keeps a texture without mipmaps complete */
	glSamplerParameteri(c->sampler, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glSamplerParameteri(c->sampler, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glSamplerParameteri(c->sampler, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
	glSamplerParameteri(c->sampler, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
	return true;
fail:
	gl_convert_finish(c);
	return false;
}

void gl_convert_finish(struct gl_convert *c)
{
	if (c->prog_luma)
		glDeleteProgram(c->prog_luma);
	if (c->prog_chroma)
		glDeleteProgram(c->prog_chroma);
	if (c->prog_rgb)
		glDeleteProgram(c->prog_rgb);
	if (c->vao)
		glDeleteVertexArrays(1, &c->vao);
	if (c->sampler)
		glDeleteSamplers(1, &c->sampler);
	if (c->fbo[0] || c->fbo[1])
		glDeleteFramebuffers(2, c->fbo);
	for (int i = 0; i < GL_CONVERT_MAX_TARGETS; i++)
		if (c->tex[i])
			glDeleteTextures(1, &c->tex[i]);
	memset(c, 0, sizeof(*c));
}

/* ---- targets ---- */

struct plane_desc {
	GLenum internal, format;
	int div; /* 1 luma/rgb, 2 chroma */
};

static int plane_count(enum r3d_pixel_format f)
{
	return f == R3D_FORMAT_NV12 ? 2 : f == R3D_FORMAT_I420 ? 3 : 1;
}

static struct plane_desc plane(enum r3d_pixel_format f, int i)
{
	if (f == R3D_FORMAT_NV12)
		return i == 0 ? (struct plane_desc){ GL_R8, GL_RED, 1 } : (struct plane_desc){ GL_RG8, GL_RG, 2 };
	if (f == R3D_FORMAT_I420)
		return (struct plane_desc){ GL_R8, GL_RED, i ? 2 : 1 };
	return (struct plane_desc){ GL_RGBA8, GL_RGBA, 1 };
}

static bool ensure_targets(struct gl_convert *c, int w, int h, char **error)
{
	if (c->tex[0] && c->width == w && c->height == h)
		return true;
	int n = plane_count(c->format);
	for (int i = 0; i < n; i++) {
		struct plane_desc p = plane(c->format, i);
		if (c->tex[i])
			glDeleteTextures(1, &c->tex[i]);
		glGenTextures(1, &c->tex[i]);
		glBindTexture(GL_TEXTURE_2D, c->tex[i]);
		glTexStorage2D(GL_TEXTURE_2D, 1, p.internal, w / p.div, h / p.div);
	}
	glBindFramebuffer(GL_DRAW_FRAMEBUFFER, c->fbo[0]);
	glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, c->tex[0], 0);
	GLenum st0 = glCheckFramebufferStatus(GL_DRAW_FRAMEBUFFER), st1 = GL_FRAMEBUFFER_COMPLETE;
	if (n > 1) {
		glBindFramebuffer(GL_DRAW_FRAMEBUFFER, c->fbo[1]);
		for (int i = 1; i < n; i++)
			glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_COLOR_ATTACHMENT0 + (GLenum)(i - 1),
					       GL_TEXTURE_2D, c->tex[i], 0);
		static const GLenum bufs[2] = { GL_COLOR_ATTACHMENT0, GL_COLOR_ATTACHMENT1 };
		glDrawBuffers(n - 1, bufs);
		st1 = glCheckFramebufferStatus(GL_DRAW_FRAMEBUFFER);
	}
	if (st0 != GL_FRAMEBUFFER_COMPLETE || st1 != GL_FRAMEBUFFER_COMPLETE) {
		r3d_set_error(error, "extract (gl): conversion targets %dx%d incomplete (0x%x, 0x%x)", w, h,
			      st0, st1);
		c->width = c->height = 0;
		return false;
	}
	c->width = w;
	c->height = h;
	return true;
}

static void draw_pass(struct gl_convert *c, int idx, GLuint prog, GLuint fbo, int w, int h, int src_w,
		      int src_h, bool y0_top)
{
	glBindFramebuffer(GL_DRAW_FRAMEBUFFER, fbo);
	glViewport(0, 0, w, h);
	glUseProgram(prog);
	glUniform1i(c->loc_src[idx], 0);
	glUniform2i(c->loc_size[idx], src_w, src_h);
	/* texture row 0 is the bottom unless y0_top: picture row r is texel row h-1-r */
	glUniform1i(c->loc_flip[idx], y0_top ? 0 : 1);
	glDrawArrays(GL_TRIANGLES, 0, 3);
}

bool gl_convert_draw(struct gl_convert *c, GLuint texture, int src_w, int src_h, bool y0_top, char **error)
{
	struct gl_host_state st;
	int w, h;
	bool ok = false;

	gl_convert_out_size(c->format, src_w, src_h, &w, &h);
	gl_host_state_save(&st);
	if (!ensure_targets(c, w, h, error))
		goto out;
	glDisable(GL_BLEND);
	glDisable(GL_SCISSOR_TEST);
	glDisable(GL_DEPTH_TEST);
	glDisable(GL_STENCIL_TEST);
	glDisable(GL_CULL_FACE);
	glDisable(GL_DITHER);
	glDisable(GL_RASTERIZER_DISCARD);
	if (epoxy_is_desktop_gl())
		glDisable(GL_FRAMEBUFFER_SRGB);
	glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
	glBindVertexArray(c->vao);
	glActiveTexture(GL_TEXTURE0);
	glBindTexture(GL_TEXTURE_2D, texture);
	glBindSampler(0, c->sampler);
	if (is_yuv(c->format)) {
		draw_pass(c, 0, c->prog_luma, c->fbo[0], w, h, src_w, src_h, y0_top);
		draw_pass(c, 1, c->prog_chroma, c->fbo[1], w / 2, h / 2, src_w, src_h, y0_top);
	} else {
		draw_pass(c, 2, c->prog_rgb, c->fbo[0], w, h, src_w, src_h, y0_top);
	}
	ok = true;
out:
	gl_host_state_restore(&st);
	return ok;
}

int gl_convert_plane_count(enum r3d_pixel_format fmt)
{
	return plane_count(fmt);
}

/* glReadPixels of one plane from the bound read framebuffer (the pack
 * state set by the caller) into the bound pack buffer or memory. */
static void read_plane(enum r3d_pixel_format f, int i, int w, int h, int stride, void *at)
{
	struct plane_desc p = plane(f, i);
	GLenum format = p.format;
	int bpp = format == GL_RG ? 2 : format == GL_RED ? 1 : 4;
	if (!is_yuv(f) && (f == R3D_FORMAT_BGRA || f == R3D_FORMAT_BGRX))
		format = GL_BGRA;
	glPixelStorei(GL_PACK_ROW_LENGTH, stride / bpp);
	glReadPixels(0, 0, w / p.div, h / p.div, format, GL_UNSIGNED_BYTE, at);
}

bool gl_convert_read_planes(enum r3d_pixel_format fmt, const GLuint *textures, int w, int h, GLuint fbo,
			    void *dst, char **error)
{
	int strides[R3D_FRAME_MAX_PLANES];
	size_t offsets[R3D_FRAME_MAX_PLANES], size;
	int n_planes;

	if (!r3d_raw_frame_layout(fmt, w, h, strides, offsets, &n_planes, &size) || n_planes != plane_count(fmt)) {
		r3d_set_error(error, "extract (gl): bad converted frame %dx%d", w, h);
		return false;
	}
	while (glGetError() != GL_NO_ERROR)
		;
	glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	glPixelStorei(GL_PACK_SKIP_ROWS, 0);
	glPixelStorei(GL_PACK_SKIP_PIXELS, 0);
	if (epoxy_is_desktop_gl()) {
		/* desktop GL: glGetTexImage, no framebuffer in this context at
		 * all (llvmpipe: no scene, no rasterizer work on this thread) */
		for (int i = 0; i < n_planes; i++) {
			struct plane_desc p = plane(fmt, i);
			GLenum format = p.format;
			int bpp = format == GL_RG ? 2 : format == GL_RED ? 1 : 4;
			if (!is_yuv(fmt) && (fmt == R3D_FORMAT_BGRA || fmt == R3D_FORMAT_BGRX))
				format = GL_BGRA;
			glPixelStorei(GL_PACK_ROW_LENGTH, strides[i] / bpp);
			glBindTexture(GL_TEXTURE_2D, textures[i]);
			glGetTexImage(GL_TEXTURE_2D, 0, format, GL_UNSIGNED_BYTE, (uint8_t *)dst + offsets[i]);
		}
		glBindTexture(GL_TEXTURE_2D, 0);
		GLenum err = glGetError();
		if (err != GL_NO_ERROR) {
			r3d_set_error(error, "extract (gl): reading the converted planes in the shared context "
				      "failed (GL error 0x%x)", err);
			return false;
		}
		return true;
	}
	glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
	glReadBuffer(GL_COLOR_ATTACHMENT0);
	GLenum status = GL_FRAMEBUFFER_COMPLETE;
	for (int i = 0; i < n_planes && status == GL_FRAMEBUFFER_COMPLETE; i++) {
		/* attached afresh each time: the owner's writes (fenced) are
		 * seen by this context once the texture is re-attached */
		glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, textures[i], 0);
		status = glCheckFramebufferStatus(GL_READ_FRAMEBUFFER);
		if (status == GL_FRAMEBUFFER_COMPLETE)
			read_plane(fmt, i, w, h, strides[i], (uint8_t *)dst + offsets[i]);
	}
	glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, 0, 0);
	GLenum err = glGetError();
	if (status != GL_FRAMEBUFFER_COMPLETE || err != GL_NO_ERROR) {
		r3d_set_error(error, "extract (gl): reading the converted planes in the shared context failed "
			      "(framebuffer status 0x%x, GL error 0x%x)", status, err);
		return false;
	}
	return true;
}

bool gl_convert_read(struct gl_convert *c, GLuint pbo, void *dst, uint64_t *gpu_waits, char **error)
{
	int strides[R3D_FRAME_MAX_PLANES];
	size_t offsets[R3D_FRAME_MAX_PLANES], size;
	int n_planes;
	struct gl_host_state st;
	enum r3d_pixel_format f = c->format;

	if (!c->width || !r3d_raw_frame_layout(f, c->width, c->height, strides, offsets, &n_planes, &size)) {
		r3d_set_error(error, "extract (gl): nothing converted to read");
		return false;
	}
	gl_host_state_save(&st);
	glBindBuffer(GL_PIXEL_PACK_BUFFER, pbo);
	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	glPixelStorei(GL_PACK_SKIP_ROWS, 0);
	glPixelStorei(GL_PACK_SKIP_PIXELS, 0);
	for (int i = 0; i < n_planes; i++) {
		if (i == 0 || f == R3D_FORMAT_I420 || f == R3D_FORMAT_NV12) {
			GLuint fbo = i == 0 ? c->fbo[0] : c->fbo[1];
			glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
			glReadBuffer(i <= 1 ? GL_COLOR_ATTACHMENT0 : GL_COLOR_ATTACHMENT1);
		}
		/* with a PBO bound the pointer is an offset into it */
		void *at = pbo ? (void *)(uintptr_t)offsets[i] : (uint8_t *)dst + offsets[i];
		(*gpu_waits)++; /* a software rasterizer copies here, waiting for the pass */
		read_plane(f, i, c->width, c->height, strides[i], at);
	}
	GLenum err = glGetError();
	gl_host_state_restore(&st);
	if (err != GL_NO_ERROR) {
		r3d_set_error(error, "extract (gl): reading the converted planes failed (GL error 0x%x)", err);
		return false;
	}
	return true;
}
