/* Choosing a readback strategy, and falling back (see readback.h). */
#include <stdlib.h>

#include "readback.h"
#include "remote3d/gl-reader.h"
#include "remote3d/log.h"

static const struct readback_impl *impl_of(enum r3d_readback mode)
{
	switch (mode) {
	case R3D_READBACK_SYNC:
		return &readback_gl_sync_impl;
	case R3D_READBACK_SYNC_YUV:
		return &readback_gl_sync_yuv_impl;
	case R3D_READBACK_POLL:
		return &readback_gl_pbo_impl;
	case R3D_READBACK_THREAD:
		return &readback_gl_shared_context_impl;
	default:
		return NULL;
	}
}

bool readback_converts(enum r3d_readback mode)
{
	return mode != R3D_READBACK_SYNC;
}

struct readback *readback_create(const struct readback_impl *impl, const struct readback_params *p,
				    char **error)
{
	for (;;) {
		char *why = NULL;
		struct readback *rb = impl->create(p, &why);
		if (rb) {
			rb->impl = impl;
			return rb;
		}
		const struct readback_impl *next = impl_of(impl->fallback);
		if (!next) {
			r3d_set_error(error, "%s", why ? why : "no readback works here");
			free(why);
			return NULL;
		}
		r3d_log(R3D_LOG_WARN, "stream: no %s readback (%s): %s instead", r3d_readback_name(impl->mode),
			why ? why : "?", r3d_readback_name(next->mode));
		free(why);
		impl = next;
	}
}

struct readback *readback_choose(enum r3d_readback mode, const struct readback_params *p, char **error)
{
	if (mode == R3D_READBACK_AUTO) {
		char *why = NULL;
		mode = R3D_READBACK_THREAD;
		if (!r3d_gl_reader_driver_safe(&why)) {
			/* on a software rasterizer the synchronous BGRx read was the
			 * fastest end to end (README: make bench-extract) */
			r3d_log(R3D_LOG_INFO, "stream: %s: reading back synchronously on the owner thread (sync); "
				"readback thread|poll (R3D_GL_READBACK) picks another mode", why ? why : "?");
			mode = R3D_READBACK_SYNC;
		}
		free(why);
	}
	const struct readback_impl *impl = impl_of(mode);
	if (!impl) {
		r3d_set_error(error, "stream: bad readback mode %d", (int)mode);
		return NULL;
	}
	return readback_create(impl, p, error);
}

struct readback *readback_fall_back(struct readback *rb, const struct readback_params *p, char **error)
{
	const struct readback_impl *next = impl_of(rb->impl->fallback);
	enum r3d_readback was = rb->impl->mode;
	readback_destroy(rb);
	if (!next) {
		r3d_set_error(error, "stream: %s readback failed and has no fallback", r3d_readback_name(was));
		return NULL;
	}
	r3d_log(R3D_LOG_WARN, "stream: %s readback from now on", r3d_readback_name(next->mode));
	return readback_create(next, p, error);
}

void readback_destroy(struct readback *rb)
{
	if (rb)
		rb->impl->destroy(rb);
}

struct readback *readback_sync_create(enum r3d_pixel_format format, char **error)
{
	struct readback_sync *rs = calloc(1, sizeof(*rs));
	if (!rs) {
		r3d_set_error(error, "stream: out of memory");
		return NULL;
	}
	rs->format = format;
	return &rs->base;
}

enum readback_status readback_sync_extract(struct readback_sync *rs, const struct r3d_source *src,
					   struct readback_out *out, char **error)
{
	struct r3d_raw_frame *f = &rs->frame[rs->next];
	uint64_t waits = rs->ext->gpu_waits;
	bool ok = r3d_extractor_extract(rs->ext, src, f, error);
	out->gpu_waits = rs->ext->gpu_waits - waits;
	if (!ok)
		return READBACK_FAILED;
	out->frame = *f;
	rs->next ^= 1; /* the encoder may read this one while the next is extracted */
	return READBACK_DONE;
}

void readback_sync_destroy(struct readback *rb)
{
	struct readback_sync *rs = (struct readback_sync *)rb;
	r3d_extractor_destroy(rs->ext);
	r3d_raw_frame_finish(&rs->frame[0]);
	r3d_raw_frame_finish(&rs->frame[1]);
	free(rs);
}
