/* Private: colour conversion on the GPU for the GL extractor.
 *
 * A source texture (any RGB(A) GL_TEXTURE_2D the current context can
 * sample) is drawn into our own render targets, one per output plane:
 *   NV12: Y (R8, w x h) + CbCr (RG8, w/2 x h/2)
 *   I420: Y (R8) + Cb (R8) + Cr (R8), the chroma pass writes both at once
 *   RGBA/RGBX/BGRA/BGRX: one RGBA8 target (a copy that only reorients)
 * Output rows are top-down whatever the source orientation (y0_top), so a
 * readback needs no CPU flip. YUV is BT.601 limited range ("bt601" in
 * GStreamer's caps): Y = 16 + 65.481 R + 128.553 G + 24.966 B,
 * Cb = 128 - 37.797 R - 74.203 G + 112 B, Cr = 128 + 112 R - 93.786 G - 18.214 B
 * (R, G, B in 0..1), each chroma sample from the mean of its 2x2 pixels
 * (chroma-site "jpeg": centred). Odd sizes are padded to even by edge
 * replication (the last column/row repeats): 4:2:0 encoders need even sizes.
 * The host's GL state that the passes touch is saved and restored.
 */
#ifndef REMOTE3D_GL_CONVERT_H
#define REMOTE3D_GL_CONVERT_H

#include <stdbool.h>

#include <epoxy/gl.h>

#include "remote3d/frame.h"

#define GL_CONVERT_MAX_TARGETS 3

struct gl_convert {
	enum r3d_pixel_format format;
	GLuint prog_luma, prog_chroma, prog_rgb;
	GLint loc_size[3], loc_flip[3], loc_src[3];
	GLuint vao, sampler;
	GLuint tex[GL_CONVERT_MAX_TARGETS];
	GLuint fbo[2]; /* luma (or rgb), chroma */
	int width, height; /* output size (even for YUV) */
};

/* The output size for a source size: even for YUV formats. */
void gl_convert_out_size(enum r3d_pixel_format fmt, int src_w, int src_h, int *out_w, int *out_h);

/* Compile the programs for fmt. Context current. */
bool gl_convert_init(struct gl_convert *c, enum r3d_pixel_format fmt, char **error);
void gl_convert_finish(struct gl_convert *c);

/* Draw texture (src_w x src_h, y0_top) into the targets, (re)sized to the
 * output size. The host's state is restored on return. */
bool gl_convert_draw(struct gl_convert *c, GLuint texture, int src_w, int src_h, bool y0_top,
		     char **error);

/* glReadPixels every plane into the bound GL_PIXEL_PACK_BUFFER (offsets
 * from 0) or into memory at dst (no PBO), laid out as r3d_raw_frame_layout
 * says for the output size, adding each read (it may wait for the GPU) to
 * *gpu_waits. Saves/restores the pack state and read FBO. */
bool gl_convert_read(struct gl_convert *c, GLuint pbo, void *dst, uint64_t *gpu_waits, char **error);

/* The number of planes (targets) of fmt: 1..3. */
int gl_convert_plane_count(enum r3d_pixel_format fmt);

/* In ANOTHER context of the share group (the encoder thread's): attach
 * each converted plane texture in turn to fbo (that context's own) and
 * glReadPixels it into dst, laid out as r3d_raw_frame_layout says for fmt
 * at w x h (the output size). The caller has waited for the conversion's
 * fence. The read framebuffer binding and pack state are left changed. */
bool gl_convert_read_planes(enum r3d_pixel_format fmt, const GLuint *textures, int w, int h, GLuint fbo,
			    void *dst, char **error);

#endif
