/* The cpu readback: a CPU source copied in dispatch(), keeping its own
 * channel order (a plain copy), into two buffers in turn. */
#include "readback.h"

static struct readback *cpu_create(const struct readback_params *p, char **error)
{
	(void)p;
	return readback_sync_create(READBACK_RGB_FORMAT, error); /* the first source's decides */
}

static enum readback_status cpu_start(struct readback *rb, const struct r3d_source *src, struct readback_out *out,
				      char **error)
{
	struct readback_sync *rs = (struct readback_sync *)rb;

	if (rs->ext && rs->format != src->u.cpu.format) {
		r3d_extractor_destroy(rs->ext);
		rs->ext = NULL;
	}
	rs->format = src->u.cpu.format;
	if (!rs->ext)
		rs->ext = r3d_extractor_create_cpu(rs->format, error);
	if (!rs->ext)
		return READBACK_FAILED;
	return readback_sync_extract(rs, src, out, error);
}

const struct readback_impl readback_cpu_impl = {
	.mode = R3D_READBACK_SYNC,
	.fallback = R3D_READBACK_AUTO,
	.create = cpu_create,
	.start = cpu_start,
	.destroy = readback_sync_destroy,
};
