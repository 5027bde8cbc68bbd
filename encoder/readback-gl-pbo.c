/* The gl-pbo readback ("poll"): dispatch() converts on the GPU, fences and
 * returns; the dispatches the stream's timer asks for poll the fence with
 * a zero timeout, issue the read into a pixel buffer object, and hand the
 * frame over once it is mapped (extractor.h: begin/poll). On a software
 * rasterizer that read runs on the owner thread after all the rendering
 * the host queued meanwhile: the frame waits for it. The frame borrows the
 * extractor's ring (R3D_EXTRACT_RING deep). */
#include <stdlib.h>

#include "readback.h"
#include "remote3d/clock.h"
#include "remote3d/log.h"

/* When to look at a readback in flight: first after about as long as the
 * last one took, then every quarter of that; bounded so that a slow
 * readback is not polled in a busy loop and a fast one not left waiting. */
#define FIRST_LOOK_MIN_US 200
#define FIRST_LOOK_MAX_US 8000
#define NEXT_LOOK_MIN_US 200
#define NEXT_LOOK_MAX_US 2000

struct gl_pbo_readback {
	struct readback base;
	enum r3d_pixel_format format;
	enum r3d_gl_mapping mapping;
	struct r3d_extractor *ext; /* made at the first start: the context is current there */
	uint64_t begun_us;         /* the readback in flight began */
	uint64_t estimate_us;      /* the last readback's begin -> mapped time */
};

static uint64_t clamp_us(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static struct readback *pbo_create(const struct readback_params *p, char **error)
{
	struct gl_pbo_readback *g = calloc(1, sizeof(*g));
	if (!g) {
		r3d_set_error(error, "stream: out of memory");
		return NULL;
	}
	g->format = p->yuv_format;
	g->mapping = p->gl_mapping;
	return &g->base;
}

static enum readback_status pbo_start(struct readback *rb, const struct r3d_source *src, struct readback_out *out,
				      char **error)
{
	struct gl_pbo_readback *g = (struct gl_pbo_readback *)rb;

	if (!g->ext) {
		g->ext = r3d_extractor_create_gl_mapped(g->format, g->mapping, error);
		if (!g->ext)
			return READBACK_FAILED;
		r3d_log(R3D_LOG_INFO, "stream: poll readback into %s buffers (R3D_GL_PERSISTENT)",
			g->ext->persistent_map ? "persistently mapped" : "mapped and copied");
	}
	if (!r3d_extractor_is_async(g->ext)) {
		r3d_set_error(error, "stream: the %s extractor has no asynchronous readback", g->ext->impl->name);
		return READBACK_FAILED;
	}
	g->begun_us = r3d_time_us();
	uint64_t waits = g->ext->gpu_waits;
	bool ok = r3d_extractor_begin(g->ext, src, error);
	out->gpu_waits = g->ext->gpu_waits - waits;
	if (!ok)
		return READBACK_FAILED;
	out->again_us = clamp_us(g->estimate_us, FIRST_LOOK_MIN_US, FIRST_LOOK_MAX_US);
	return READBACK_PENDING;
}

static enum readback_status pbo_poll(struct readback *rb, struct readback_out *out, char **error)
{
	struct gl_pbo_readback *g = (struct gl_pbo_readback *)rb;

	uint64_t waits = g->ext->gpu_waits;
	int r = r3d_extractor_poll(g->ext, &out->frame, error);
	out->gpu_waits = g->ext->gpu_waits - waits;
	if (r < 0)
		return READBACK_FAILED;
	if (r == 0) {
		out->again_us = clamp_us(g->estimate_us / 4, NEXT_LOOK_MIN_US, NEXT_LOOK_MAX_US);
		return READBACK_PENDING;
	}
	g->estimate_us = r3d_time_us() - g->begun_us;
	return READBACK_DONE;
}

static void pbo_destroy(struct readback *rb)
{
	struct gl_pbo_readback *g = (struct gl_pbo_readback *)rb;
	r3d_extractor_destroy(g->ext);
	free(g);
}

const struct readback_impl readback_gl_pbo_impl = {
	.mode = R3D_READBACK_POLL,
	.fallback = R3D_READBACK_AUTO,
	.create = pbo_create,
	.start = pbo_start,
	.poll = pbo_poll,
	.destroy = pbo_destroy,
};
