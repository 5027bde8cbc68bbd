/* The argument checks of a dmabuf source, without GL (r3d_dmabuf_check). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dmabuf-formats.h"
#include "remote3d/extractor.h"
#include "remote3d/log.h"

const struct r3d_dmabuf_format *r3d_dmabuf_format_find(uint32_t fourcc)
{
	static const struct r3d_dmabuf_format formats[] = {
		{ R3D_DRM_FORMAT_XRGB8888, "XRGB8888" },
		{ R3D_DRM_FORMAT_ARGB8888, "ARGB8888" },
		{ R3D_DRM_FORMAT_XBGR8888, "XBGR8888" },
		{ R3D_DRM_FORMAT_ABGR8888, "ABGR8888" },
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

static void fourcc_text(uint32_t f, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((f >> (8 * i)) & 0xff);
		out[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	out[4] = 0;
}

bool r3d_dmabuf_check(const struct r3d_source *src, char **error)
{
	char fcc[5];

	if (!src || src->kind != R3D_SOURCE_DMABUF) {
		r3d_set_error(error, "dmabuf: the source is not a dmabuf");
		return false;
	}
	if (src->width <= 0 || src->height <= 0 || src->width > R3D_FRAME_MAX_SIDE ||
	    src->height > R3D_FRAME_MAX_SIDE) {
		r3d_set_error(error, "dmabuf: bad size %dx%d (1..%d)", src->width, src->height, R3D_FRAME_MAX_SIDE);
		return false;
	}
	if (src->u.dmabuf.fd < 0 || fcntl(src->u.dmabuf.fd, F_GETFD) < 0) {
		r3d_set_error(error, "dmabuf: bad fd %d (%s)", src->u.dmabuf.fd,
			      src->u.dmabuf.fd < 0 ? "negative" : strerror(errno));
		return false;
	}
	if (!r3d_dmabuf_format_find(src->u.dmabuf.fourcc)) {
		fourcc_text(src->u.dmabuf.fourcc, fcc);
		r3d_set_error(error, "dmabuf: unsupported fourcc '%s' (0x%08x): XR24, AR24, XB24 or AB24 "
				     "(DRM_FORMAT_[AX]RGB8888, [AX]BGR8888)", fcc, src->u.dmabuf.fourcc);
		return false;
	}
	uint64_t row = (uint64_t)src->width * 4;
	if (src->u.dmabuf.stride < row || src->u.dmabuf.stride % 4) {
		r3d_set_error(error, "dmabuf: stride %u for width %d (needs >= %llu and a multiple of 4)",
			      src->u.dmabuf.stride, src->width, (unsigned long long)row);
		return false;
	}
	uint64_t need = (uint64_t)src->u.dmabuf.offset + (uint64_t)src->u.dmabuf.stride * (uint64_t)(src->height - 1) + row;
	off_t size = lseek(src->u.dmabuf.fd, 0, SEEK_END); /* dmabufs tell their size */
	if (size >= 0)
		lseek(src->u.dmabuf.fd, 0, SEEK_SET);
	if (size > 0 && (uint64_t)size < need) {
		r3d_set_error(error, "dmabuf: %dx%d at offset %u, stride %u needs %llu bytes; the buffer "
				     "has %lld", src->width, src->height, src->u.dmabuf.offset,
			      src->u.dmabuf.stride, (unsigned long long)need, (long long)size);
		return false;
	}
	return true;
}
