/* The gl-sync readback: the GL extractor's synchronous read in dispatch(),
 * into two buffers in turn.
 *  - sync: BGRx, converted by the encoder's videoconvert. On a software
 *    rasterizer (llvmpipe) the read is a CPU copy on the owner thread, and
 *    end to end it was the fastest there (README: make bench-extract).
 *  - sync-yuv: the GPU conversion to the encoder's YUV, read the same way
 *    (on llvmpipe the owner waits for the rasterized conversion). */
#include <stdlib.h>

#include "readback.h"
#include "remote3d/log.h"

struct gl_sync_readback {
	struct readback base;
	enum r3d_pixel_format format;
	struct r3d_extractor *ext; /* made at the first start: the context is current there */
	struct readback_buffers bufs;
};

static struct readback *make(enum r3d_pixel_format format, char **error)
{
	struct gl_sync_readback *g = calloc(1, sizeof(*g));
	if (!g) {
		r3d_set_error(error, "stream: out of memory");
		return NULL;
	}
	g->format = format;
	return &g->base;
}

static struct readback *sync_create(const struct readback_params *p, char **error)
{
	(void)p;
	return make(READBACK_RGB_FORMAT, error);
}

static struct readback *sync_yuv_create(const struct readback_params *p, char **error)
{
	return make(p->yuv_format, error);
}

static enum readback_status gl_sync_start(struct readback *rb, const struct r3d_source *src,
					  struct readback_out *out, char **error)
{
	struct gl_sync_readback *g = (struct gl_sync_readback *)rb;

	if (!g->ext)
		g->ext = r3d_extractor_create_gl(g->format, error);
	if (!g->ext)
		return READBACK_FAILED;
	return readback_buffers_extract(&g->bufs, g->ext, src, out, error);
}

static void gl_sync_destroy(struct readback *rb)
{
	struct gl_sync_readback *g = (struct gl_sync_readback *)rb;
	r3d_extractor_destroy(g->ext);
	readback_buffers_finish(&g->bufs);
	free(g);
}

const struct readback_impl readback_gl_sync_impl = {
	.mode = R3D_READBACK_SYNC,
	.fallback = R3D_READBACK_AUTO,
	.create = sync_create,
	.start = gl_sync_start,
	.destroy = gl_sync_destroy,
};

const struct readback_impl readback_gl_sync_yuv_impl = {
	.mode = R3D_READBACK_SYNC_YUV,
	.fallback = R3D_READBACK_AUTO,
	.create = sync_yuv_create,
	.start = gl_sync_start,
	.destroy = gl_sync_destroy,
};
