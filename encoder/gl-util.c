/* The GL helpers the GL code shares (see gl-util.h). */
#include "gl-util.h"
#include "remote3d/log.h"

void gl_host_state_save(struct gl_host_state *st)
{
	glGetIntegerv(GL_CURRENT_PROGRAM, &st->program);
	glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &st->vao);
	glGetIntegerv(GL_READ_FRAMEBUFFER_BINDING, &st->read_fbo);
	glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &st->draw_fbo);
	glGetIntegerv(GL_ACTIVE_TEXTURE, &st->active_texture);
	glActiveTexture(GL_TEXTURE0);
	glGetIntegerv(GL_TEXTURE_BINDING_2D, &st->texture);
	glGetIntegerv(GL_SAMPLER_BINDING, &st->sampler);
	glGetIntegerv(GL_VIEWPORT, st->viewport);
	st->blend = glIsEnabled(GL_BLEND);
	st->scissor = glIsEnabled(GL_SCISSOR_TEST);
	st->depth = glIsEnabled(GL_DEPTH_TEST);
	st->stencil = glIsEnabled(GL_STENCIL_TEST);
	st->cull = glIsEnabled(GL_CULL_FACE);
	st->dither = glIsEnabled(GL_DITHER);
	st->rasterizer_discard = glIsEnabled(GL_RASTERIZER_DISCARD);
	st->srgb = epoxy_is_desktop_gl() ? glIsEnabled(GL_FRAMEBUFFER_SRGB) : GL_FALSE;
	glGetBooleanv(GL_COLOR_WRITEMASK, st->color_mask);
	glGetIntegerv(GL_PACK_ALIGNMENT, &st->pack_alignment);
	glGetIntegerv(GL_PACK_ROW_LENGTH, &st->pack_row_length);
	glGetIntegerv(GL_PACK_SKIP_ROWS, &st->pack_skip_rows);
	glGetIntegerv(GL_PACK_SKIP_PIXELS, &st->pack_skip_pixels);
	glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &st->pack_buffer);
}

static void set_cap(GLenum cap, GLboolean on)
{
	if (on)
		glEnable(cap);
	else
		glDisable(cap);
}

void gl_host_state_restore(const struct gl_host_state *st)
{
	glUseProgram((GLuint)st->program);
	glBindVertexArray((GLuint)st->vao);
	glBindFramebuffer(GL_READ_FRAMEBUFFER, (GLuint)st->read_fbo);
	glBindFramebuffer(GL_DRAW_FRAMEBUFFER, (GLuint)st->draw_fbo);
	glActiveTexture(GL_TEXTURE0);
	glBindTexture(GL_TEXTURE_2D, (GLuint)st->texture);
	glBindSampler(0, (GLuint)st->sampler);
	glActiveTexture((GLenum)st->active_texture);
	glViewport(st->viewport[0], st->viewport[1], st->viewport[2], st->viewport[3]);
	set_cap(GL_BLEND, st->blend);
	set_cap(GL_SCISSOR_TEST, st->scissor);
	set_cap(GL_DEPTH_TEST, st->depth);
	set_cap(GL_STENCIL_TEST, st->stencil);
	set_cap(GL_CULL_FACE, st->cull);
	set_cap(GL_DITHER, st->dither);
	set_cap(GL_RASTERIZER_DISCARD, st->rasterizer_discard);
	if (epoxy_is_desktop_gl())
		set_cap(GL_FRAMEBUFFER_SRGB, st->srgb);
	glColorMask(st->color_mask[0], st->color_mask[1], st->color_mask[2], st->color_mask[3]);
	glPixelStorei(GL_PACK_ALIGNMENT, st->pack_alignment);
	glPixelStorei(GL_PACK_ROW_LENGTH, st->pack_row_length);
	glPixelStorei(GL_PACK_SKIP_ROWS, st->pack_skip_rows);
	glPixelStorei(GL_PACK_SKIP_PIXELS, st->pack_skip_pixels);
	glBindBuffer(GL_PIXEL_PACK_BUFFER, (GLuint)st->pack_buffer);
}

GLuint gl_pack_buffer_bind(GLuint pbo)
{
	GLint old = 0;
	glGetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &old);
	glBindBuffer(GL_PIXEL_PACK_BUFFER, pbo);
	return (GLuint)old;
}

static GLuint compile(GLenum type, const char *common, const char *body, char **error)
{
	const char *header = epoxy_is_desktop_gl()
				     ? "#version 330 core\n"
				     : "#version 300 es\nprecision highp float;\nprecision highp int;\n"
				       "precision highp sampler2D;\n";
	const char *parts[3] = { header, common, body };
	GLuint sh = glCreateShader(type);
	GLint ok = 0;

	if (!sh) {
		r3d_set_error(error, "extract (gl): glCreateShader failed");
		return 0;
	}
	glShaderSource(sh, 3, parts, NULL);
	glCompileShader(sh);
	glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		char log[512] = "";
		glGetShaderInfoLog(sh, sizeof(log), NULL, log);
		r3d_set_error(error, "extract (gl): conversion shader does not compile: %s", log);
		glDeleteShader(sh);
		return 0;
	}
	return sh;
}

GLuint gl_program_build(const char *vs_body, const char *fs_common, const char *fs_body, char **error)
{
	GLuint vs = compile(GL_VERTEX_SHADER, "", vs_body, error);
	GLuint fs = vs ? compile(GL_FRAGMENT_SHADER, fs_common, fs_body, error) : 0;
	GLuint prog = 0;
	GLint ok = 0;

	if (!vs || !fs)
		goto out;
	prog = glCreateProgram();
	if (!prog) {
		r3d_set_error(error, "extract (gl): glCreateProgram failed");
		goto out;
	}
	glAttachShader(prog, vs);
	glAttachShader(prog, fs);
	glLinkProgram(prog);
	glGetProgramiv(prog, GL_LINK_STATUS, &ok);
	if (!ok) {
		char log[512] = "";
		glGetProgramInfoLog(prog, sizeof(log), NULL, log);
		r3d_set_error(error, "extract (gl): conversion program does not link: %s", log);
		glDeleteProgram(prog);
		prog = 0;
	}
out:
	if (vs)
		glDeleteShader(vs);
	if (fs)
		glDeleteShader(fs);
	return prog;
}
