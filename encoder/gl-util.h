/* Private: the GL helpers the GL code shares. Context current on the
 * calling thread for each. */
#ifndef REMOTE3D_GL_UTIL_H
#define REMOTE3D_GL_UTIL_H

#include <stdbool.h>

#include <epoxy/gl.h>

/* The host's GL state that our passes and reads touch, saved before and
 * restored after, so that a host's renderer (virglrenderer in QEMU) is not
 * disturbed. */
struct gl_host_state {
	GLint program, vao, read_fbo, draw_fbo, active_texture, texture, sampler;
	GLint viewport[4];
	GLboolean blend, scissor, depth, stencil, cull, dither, srgb, rasterizer_discard;
	GLboolean color_mask[4];
	GLint pack_alignment, pack_row_length, pack_skip_rows, pack_skip_pixels, pack_buffer;
};
void gl_host_state_save(struct gl_host_state *st);
void gl_host_state_restore(const struct gl_host_state *st);

/* Bind pbo to GL_PIXEL_PACK_BUFFER; returns the binding it replaced. */
GLuint gl_pack_buffer_bind(GLuint pbo);

/* A program from a vertex shader and a fragment shader made of common +
 * body, each after the #version line of the context's API (GL 3.3 core,
 * GLES 3.0). 0 + *error with the compiler's or linker's log. */
GLuint gl_program_build(const char *vs_body, const char *fs_common, const char *fs_body, char **error);

#endif
