/* The gl-shared-context readback ("thread", the default with a GPU):
 * dispatch() converts the texture to the encoder's YUV on the GPU, fences
 * and flushes, and hands the fenced planes to the encoder thread, which
 * waits for the fence and reads them in an EGL context shared with the
 * host's (gl-reader.h). The owner thread (QEMU's main loop, virgl's render
 * thread) makes no call that waits for the GPU. The shared context is made
 * from the one current at the first GL dispatch (no host change); without
 * a current EGL context (a GLX host) it cannot be made, and gl-pbo takes
 * over. Not the default on llvmpipe: Mesa 22.3 crashes now and then when
 * the reader's context flushes while the host's renders
 * (r3d_gl_reader_driver_safe). */
#include <stdlib.h>

#include "readback.h"
#include "remote3d/gl-reader.h"
#include "remote3d/log.h"

#define READ_TIMEOUT_US 2000000 /* a conversion not done by then is an error */

struct gl_shared_context_readback {
	struct readback base;
	enum r3d_pixel_format format;
	struct r3d_extractor *ext;    /* owner thread: the conversion; made at the first start */
	struct r3d_gl_reader *reader; /* made on the owner thread, bound on the encoder's */
	bool bound;                   /* encoder thread */
	struct r3d_raw_frame frame;   /* encoder thread: the planes read there */
};

static struct readback *shared_create(const struct readback_params *p, char **error)
{
	struct gl_shared_context_readback *g = calloc(1, sizeof(*g));
	if (!g) {
		r3d_set_error(error, "stream: out of memory");
		return NULL;
	}
	g->format = p->yuv_format;
	g->reader = r3d_gl_reader_create(error);
	if (!g->reader) {
		free(g);
		return NULL;
	}
	return &g->base;
}

static enum readback_status shared_start(struct readback *rb, const struct r3d_source *src,
					 struct readback_out *out, char **error)
{
	struct gl_shared_context_readback *g = (struct gl_shared_context_readback *)rb;

	if (!g->ext)
		g->ext = r3d_extractor_create_gl(g->format, error);
	if (!g->ext)
		return READBACK_FAILED;
	uint64_t waits = g->ext->gpu_waits; /* none: the conversion is only drawn and fenced */
	bool ok = r3d_extractor_gl_convert(g->ext, src, &out->planes, error);
	out->gpu_waits = g->ext->gpu_waits - waits;
	return ok ? READBACK_ON_ENCODER : READBACK_FAILED;
}

static bool shared_read(struct readback *rb, struct r3d_gl_planes *planes, const struct r3d_raw_frame **out,
			bool *broken, char **error)
{
	struct gl_shared_context_readback *g = (struct gl_shared_context_readback *)rb;

	if (!g->bound)
		g->bound = r3d_gl_reader_bind(g->reader, error);
	if (!g->bound) {
		*broken = true; /* the fence stays: the owner deletes it */
		return false;
	}
	if (!r3d_gl_reader_read(g->reader, planes, READ_TIMEOUT_US, &g->frame, error))
		return false;
	*out = &g->frame;
	return true;
}

static void shared_encoder_exit(struct readback *rb)
{
	struct gl_shared_context_readback *g = (struct gl_shared_context_readback *)rb;
	if (g->bound)
		r3d_gl_reader_unbind(g->reader);
	g->bound = false;
	r3d_raw_frame_finish(&g->frame);
}

static void shared_destroy(struct readback *rb)
{
	struct gl_shared_context_readback *g = (struct gl_shared_context_readback *)rb;
	r3d_gl_reader_destroy(g->reader); /* unbound by the encoder thread */
	r3d_extractor_destroy(g->ext);
	r3d_raw_frame_finish(&g->frame);
	free(g);
}

const struct readback_impl readback_gl_shared_context_impl = {
	.mode = R3D_READBACK_THREAD,
	.fallback = R3D_READBACK_POLL,
	.create = shared_create,
	.start = shared_start,
	.read = shared_read,
	.encoder_exit = shared_encoder_exit,
	.destroy = shared_destroy,
};
