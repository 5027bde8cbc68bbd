/* Private: the dmabuf formats the GL extractor imports, and the import
 * itself (dmabuf-egl.c, GL builds only). */
#ifndef REMOTE3D_DMABUF_FORMATS_H
#define REMOTE3D_DMABUF_FORMATS_H

#include <stdbool.h>
#include <stdint.h>

#include "remote3d/frame.h"

#define R3D_FOURCC(a, b, c, d) \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
/* the values of drm_fourcc.h (no libdrm needed to check arguments) */
#define R3D_DRM_FORMAT_XRGB8888 R3D_FOURCC('X', 'R', '2', '4')
#define R3D_DRM_FORMAT_ARGB8888 R3D_FOURCC('A', 'R', '2', '4')
#define R3D_DRM_FORMAT_XBGR8888 R3D_FOURCC('X', 'B', '2', '4')
#define R3D_DRM_FORMAT_ABGR8888 R3D_FOURCC('A', 'B', '2', '4')
#define R3D_DRM_FORMAT_MOD_LINEAR 0ull
#define R3D_DRM_FORMAT_MOD_INVALID 0x00ffffffffffffffull

struct r3d_dmabuf_format {
	uint32_t fourcc;
	const char *name;
};

const struct r3d_dmabuf_format *r3d_dmabuf_format_find(uint32_t fourcc);

/* An imported dmabuf: an EGLImage bound to a texture of the current context.
 * Kept while the source's fd and parameters stay the same. */
struct gl_dmabuf_import {
	void *display; /* EGLDisplay */
	void *image;   /* EGLImageKHR */
	unsigned texture;
	int fd, width, height;
	uint32_t fourcc, stride, offset;
	uint64_t modifier;
};

/* (Re)import src unless it is the one imported already. */
bool gl_dmabuf_import(struct gl_dmabuf_import *imp, const struct r3d_source *src, char **error);
void gl_dmabuf_release(struct gl_dmabuf_import *imp);

#endif
