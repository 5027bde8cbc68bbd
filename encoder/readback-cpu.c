/* The cpu readback: a CPU source copied in dispatch(), keeping its own
 * channel order (a plain copy), into two buffers in turn. */
#include <stdlib.h>

#include "readback.h"
#include "remote3d/log.h"

struct cpu_readback {
	struct readback base;
	struct r3d_extractor *ext; /* for the source's format */
	struct readback_buffers bufs;
};

static struct readback *cpu_create(const struct readback_params *p, char **error)
{
	(void)p;
	struct cpu_readback *c = calloc(1, sizeof(*c));
	if (!c) {
		r3d_set_error(error, "stream: out of memory");
		return NULL;
	}
	return &c->base;
}

static enum readback_status cpu_start(struct readback *rb, const struct r3d_source *src, struct readback_out *out,
				      char **error)
{
	struct cpu_readback *c = (struct cpu_readback *)rb;
	enum r3d_pixel_format f = src->u.cpu.format;

	if (c->ext && c->ext->out_format != f) {
		r3d_extractor_destroy(c->ext);
		c->ext = NULL;
	}
	if (!c->ext)
		c->ext = r3d_extractor_create_cpu(f, error);
	if (!c->ext)
		return READBACK_FAILED;
	return readback_buffers_extract(&c->bufs, c->ext, src, out, error);
}

static void cpu_destroy(struct readback *rb)
{
	struct cpu_readback *c = (struct cpu_readback *)rb;
	r3d_extractor_destroy(c->ext);
	readback_buffers_finish(&c->bufs);
	free(c);
}

const struct readback_impl readback_cpu_impl = {
	.mode = R3D_READBACK_SYNC,
	.fallback = R3D_READBACK_AUTO,
	.create = cpu_create,
	.start = cpu_start,
	.destroy = cpu_destroy,
};
