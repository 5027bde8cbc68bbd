/* The gl-sync readback: the GL extractor's synchronous read in dispatch(),
 * into two buffers in turn.
 *  - sync: BGRx, converted by the encoder's videoconvert. On a software
 *    rasterizer (llvmpipe) the read is a CPU copy on the owner thread, and
 *    end to end it was the fastest there (README: make bench-extract).
 *  - sync-yuv: the GPU conversion to the encoder's YUV, read the same way
 *    (on llvmpipe the owner waits for the rasterized conversion). */
#include "readback.h"

static struct readback *sync_create(const struct readback_params *p, char **error)
{
	(void)p;
	return readback_sync_create(READBACK_RGB_FORMAT, error);
}

static struct readback *sync_yuv_create(const struct readback_params *p, char **error)
{
	return readback_sync_create(p->yuv_format, error);
}

/* The extractor at the first start: the GL context is current there. */
static enum readback_status gl_sync_start(struct readback *rb, const struct r3d_source *src,
					  struct readback_out *out, char **error)
{
	struct readback_sync *rs = (struct readback_sync *)rb;

	if (!rs->ext)
		rs->ext = r3d_extractor_create_gl(rs->format, error);
	if (!rs->ext)
		return READBACK_FAILED;
	return readback_sync_extract(rs, src, out, error);
}

const struct readback_impl readback_gl_sync_impl = {
	.mode = R3D_READBACK_SYNC,
	.fallback = R3D_READBACK_AUTO,
	.create = sync_create,
	.start = gl_sync_start,
	.destroy = readback_sync_destroy,
};

const struct readback_impl readback_gl_sync_yuv_impl = {
	.mode = R3D_READBACK_SYNC_YUV,
	.fallback = R3D_READBACK_AUTO,
	.create = sync_yuv_create,
	.start = gl_sync_start,
	.destroy = readback_sync_destroy,
};
