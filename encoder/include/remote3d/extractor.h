/*
 * remote3d — extractors: get a source's pixels into CPU memory.
 *
 * One struct with an impl table per backend, chosen at run time:
 *   gl  (extract-gl.c)  a GL texture visible in the caller's current context
 *                       (a host with a dmabuf imports it into one first:
 *                       QEMU's egl_dmabuf_import_texture):
 *                       - extract() with a 32-bit out_format: FBO +
 *                         glReadPixels (synchronous), rows flipped on the CPU;
 *                       - extract() with NV12/I420: converted by a shader
 *                         (gl-convert.h), then glReadPixels (synchronous);
 *                       - begin()/poll(): asynchronous: shader conversion
 *                         into our targets, glReadPixels into a pixel buffer
 *                         object (a ring of R3D_EXTRACT_RING), a fence and a
 *                         flush; poll() tests the fence without waiting and
 *                         only then maps. Any out_format.
 *   cpu (extract-cpu.c) a copy from pointer + stride.
 */
#ifndef REMOTE3D_EXTRACTOR_H
#define REMOTE3D_EXTRACTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "remote3d/frame.h"

struct r3d_extractor;

struct r3d_extractor_impl {
	const char *name;
	/* Read src into out (out's storage is (re)allocated as needed). */
	bool (*extract)(struct r3d_extractor *ext, const struct r3d_source *src,
			struct r3d_raw_frame *out, char **error);
	void (*destroy)(struct r3d_extractor *ext);
	/* Optional (both or neither): asynchronous readback, see below. */
	bool (*begin)(struct r3d_extractor *ext, const struct r3d_source *src, char **error);
	int (*poll)(struct r3d_extractor *ext, struct r3d_raw_frame *out, char **error);
};

/* Readback buffers of the asynchronous GL path: a frame returned by poll()
 * stays valid while R3D_EXTRACT_RING - 1 further readbacks begin. */
#define R3D_EXTRACT_RING 3

struct r3d_extractor {
	const struct r3d_extractor_impl *impl;
	enum r3d_pixel_format out_format; /* what extract() produces */
	/* The asynchronous GL readback's buffers are persistently mapped (GL
	 * 4.4 / ARB_buffer_storage: poll() copies nothing); false: mapped and
	 * copied, or no such buffers (CPU). Set at create. */
	bool persistent_map;
	/* Calls so far that may have waited for the GPU: a glReadPixels (into
	 * memory, or into a pixel buffer object: a software rasterizer copies
	 * there), mapping a buffer the GPU wrote. Made on the thread whose
	 * context the extractor uses, as all its calls are. 0 for CPU. */
	uint64_t gpu_waits;
};

void r3d_extractor_init(struct r3d_extractor *ext, const struct r3d_extractor_impl *impl,
			enum r3d_pixel_format out_format);

/* GL: needs a current GL context (libepoxy) on the calling thread for
 * create, extract, begin, poll and destroy -- the same context each time
 * (FBOs and VAOs are not shared between contexts). GL >= 3.0 / GLES >= 3.0.
 * out_format: BGRX/BGRA/RGBA/RGBX, or NV12/I420 (BT.601 limited range,
 * chroma = mean of 2x2, odd sizes padded to even by edge replication: the
 * frame is then (w+1)&~1 x (h+1)&~1). NULL + error when built without GL. */
struct r3d_extractor *r3d_extractor_create_gl(enum r3d_pixel_format out_format, char **error);
/* How the asynchronous GL path maps its readback buffers. */
enum r3d_gl_mapping {
	R3D_GL_MAP_AUTO = 0, /* persistently where GL has buffer storage (4.4 or
				ARB_buffer_storage: poll() costs no copy), else mapped and copied */
	R3D_GL_MAP_COPY,     /* always mapped after the fence and copied (comparisons, tests) */
};
/* r3d_extractor_create_gl() is this with R3D_GL_MAP_AUTO. */
struct r3d_extractor *r3d_extractor_create_gl_mapped(enum r3d_pixel_format out_format,
						     enum r3d_gl_mapping mapping, char **error);
/* CPU: out_format = a 32-bit format; the source's must match (a plain copy). */
struct r3d_extractor *r3d_extractor_create_cpu(enum r3d_pixel_format out_format, char **error);

bool r3d_extractor_extract(struct r3d_extractor *ext, const struct r3d_source *src,
			   struct r3d_raw_frame *out, char **error);
void r3d_extractor_destroy(struct r3d_extractor *ext); /* NULL ok */

/* Asynchronous extraction (the GL backend). One readback in flight at a time:
 * begin() starts it and returns without waiting for the GPU (false + error
 * when one is in flight or the source is bad); poll() returns 1 when the
 * pixels are in CPU memory (*out then borrows them: storage NULL, see
 * R3D_EXTRACT_RING), 0 when not yet (call again later), -1 + error when the
 * readback failed (nothing is in flight any more). */
bool r3d_extractor_is_async(const struct r3d_extractor *ext);
bool r3d_extractor_begin(struct r3d_extractor *ext, const struct r3d_source *src, char **error);
int r3d_extractor_poll(struct r3d_extractor *ext, struct r3d_raw_frame *out, char **error);

/* Readback in another thread's context (the stream's encoder thread, an EGL
 * context shared with the caller's: remote3d/gl-reader.h). On the owner
 * thread r3d_extractor_gl_convert() only draws the conversion into the
 * extractor's targets, puts a fence after it and flushes: it waits for
 * nothing. The planes' textures belong to the owner's share group; they are
 * rewritten by the next convert (or resized: keep one conversion in flight
 * and start the next only after the reader has read it). The fence is the
 * reader's to delete (r3d_gl_reader_read), or r3d_gl_planes_discard() on the
 * owner thread when it is never read. */
struct r3d_gl_planes {
	void *fence; /* GLsync */
	unsigned textures[R3D_FRAME_MAX_PLANES];
	int n_textures;
	enum r3d_pixel_format format; /* the extractor's out_format */
	int width, height;            /* the converted size (even for YUV) */
};
bool r3d_extractor_gl_convert(struct r3d_extractor *ext, const struct r3d_source *src,
			      struct r3d_gl_planes *out, char **error);
void r3d_gl_planes_discard(struct r3d_gl_planes *planes); /* GL context current; NULL ok */

#endif
