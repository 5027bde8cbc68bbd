#include "remote3d-config.h"

#include <stdlib.h>

#include "remote3d/extractor.h"
#include "remote3d/log.h"

void r3d_extractor_init(struct r3d_extractor *ext, const struct r3d_extractor_impl *impl,
			enum r3d_pixel_format out_format)
{
	/* every backend fills the whole table */
	if (!impl || !impl->name || !impl->extract || !impl->destroy)
		abort();
	ext->impl = impl;
	ext->out_format = out_format;
}

bool r3d_extractor_extract(struct r3d_extractor *ext, const struct r3d_source *src,
			   struct r3d_raw_frame *out, char **error)
{
	if (!ext || !src || !out) {
		r3d_set_error(error, "extract: missing argument");
		return false;
	}
	if (src->width <= 0 || src->height <= 0) {
		r3d_set_error(error, "extract (%s): bad source size %dx%d", ext->impl->name, src->width,
			      src->height);
		return false;
	}
	return ext->impl->extract(ext, src, out, error);
}

void r3d_extractor_destroy(struct r3d_extractor *ext)
{
	if (ext)
		ext->impl->destroy(ext);
}

#if !R3D_HAVE_GL
struct r3d_extractor *r3d_extractor_create_gl(enum r3d_pixel_format out_format, char **error)
{
	(void)out_format;
	r3d_set_error(error, "GL extraction: libremote3d was built without GL (-Dgl=disabled or no libepoxy)");
	return NULL;
}
#endif
