#include "remote3d-config.h"

#include <stdlib.h>

#include "remote3d/extractor.h"
#include "remote3d/log.h"

void r3d_extractor_init(struct r3d_extractor *ext, const struct r3d_extractor_impl *impl,
			enum r3d_pixel_format out_format)
{
	/* every backend fills the whole table */
	if (!impl || !impl->name || !impl->extract || !impl->destroy || !impl->begin != !impl->poll)
		abort();
	ext->impl = impl;
	ext->out_format = out_format;
	ext->persistent_map = false;
	ext->gpu_waits = 0;
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

bool r3d_extractor_is_async(const struct r3d_extractor *ext)
{
	return ext && ext->impl->begin;
}

bool r3d_extractor_begin(struct r3d_extractor *ext, const struct r3d_source *src, char **error)
{
	if (!ext || !src) {
		r3d_set_error(error, "extract: missing argument");
		return false;
	}
	if (!ext->impl->begin) {
		r3d_set_error(error, "extract (%s): no asynchronous readback", ext->impl->name);
		return false;
	}
	if (src->width <= 0 || src->height <= 0) {
		r3d_set_error(error, "extract (%s): bad source size %dx%d", ext->impl->name, src->width,
			      src->height);
		return false;
	}
	return ext->impl->begin(ext, src, error);
}

int r3d_extractor_poll(struct r3d_extractor *ext, struct r3d_raw_frame *out, char **error)
{
	if (!ext || !out || !ext->impl->poll) {
		r3d_set_error(error, "extract: no asynchronous readback to poll");
		return -1;
	}
	return ext->impl->poll(ext, out, error);
}

void r3d_extractor_destroy(struct r3d_extractor *ext)
{
	if (ext)
		ext->impl->destroy(ext);
}

struct r3d_extractor *r3d_extractor_create_gl(enum r3d_pixel_format out_format, char **error)
{
	return r3d_extractor_create_gl_mapped(out_format, R3D_GL_MAP_AUTO, error);
}

#if !R3D_HAVE_GL
struct r3d_extractor *r3d_extractor_create_gl_mapped(enum r3d_pixel_format out_format,
						     enum r3d_gl_mapping mapping, char **error)
{
	(void)out_format;
	(void)mapping;
	r3d_set_error(error, "GL extraction: libremote3d was built without GL (-Dgl=disabled or no libepoxy)");
	return NULL;
}

bool r3d_extractor_gl_convert(struct r3d_extractor *ext, const struct r3d_source *src,
			      struct r3d_gl_planes *out, char **error)
{
	(void)ext;
	(void)src;
	(void)out;
	r3d_set_error(error, "GL extraction: libremote3d was built without GL");
	return false;
}

void r3d_gl_planes_discard(struct r3d_gl_planes *planes)
{
	(void)planes;
}
#endif
