/*
 * remote3d — extractors: get a source's pixels into CPU memory.
 *
 * One struct with an impl table per backend, chosen at run time:
 *   gl  (extract-gl.c)  a GL texture visible in the caller's current context:
 *                       FBO + glReadPixels (synchronous), rows flipped so the
 *                       result is top-down whatever y0_top says.
 *   cpu (extract-cpu.c) a copy from pointer + stride.
 * Issue 3 adds async PBO readback (begin/finish entries), GPU NV12
 * conversion (out_format NV12) and dmabuf import; existing callers keep
 * working through extract().
 */
#ifndef REMOTE3D_EXTRACTOR_H
#define REMOTE3D_EXTRACTOR_H

#include <stdbool.h>

#include "remote3d/frame.h"

struct r3d_extractor;

struct r3d_extractor_impl {
	const char *name;
	/* Read src into out (out's storage is (re)allocated as needed). */
	bool (*extract)(struct r3d_extractor *ext, const struct r3d_source *src,
			struct r3d_raw_frame *out, char **error);
	void (*destroy)(struct r3d_extractor *ext);
};

struct r3d_extractor {
	const struct r3d_extractor_impl *impl;
	enum r3d_pixel_format out_format; /* what extract() produces */
};

void r3d_extractor_init(struct r3d_extractor *ext, const struct r3d_extractor_impl *impl,
			enum r3d_pixel_format out_format);

/* GL: needs a current GL context (libepoxy) on the calling thread for
 * create, extract and destroy. out_format: R3D_FORMAT_BGRX/BGRA/RGBA/RGBX.
 * NULL + error when built without GL. */
struct r3d_extractor *r3d_extractor_create_gl(enum r3d_pixel_format out_format, char **error);
/* CPU: out_format = a 32-bit format; the source's must match (a plain copy). */
struct r3d_extractor *r3d_extractor_create_cpu(enum r3d_pixel_format out_format, char **error);

bool r3d_extractor_extract(struct r3d_extractor *ext, const struct r3d_source *src,
			   struct r3d_raw_frame *out, char **error);
void r3d_extractor_destroy(struct r3d_extractor *ext); /* NULL ok */

#endif
