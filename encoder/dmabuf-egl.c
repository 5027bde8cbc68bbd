/* Import a dmabuf into a GL texture of the current context:
 * eglCreateImageKHR(EGL_LINUX_DMA_BUF_EXT) + glEGLImageTargetTexture2DOES.
 * EGL dups the fd for the image: the caller keeps ownership of its fd. */
#include <string.h>

#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include "dmabuf-formats.h"
#include "remote3d/extractor.h"
#include "remote3d/log.h"

static bool same_source(const struct gl_dmabuf_import *imp, const struct r3d_source *src)
{
	return imp->image && imp->display == (void *)eglGetCurrentDisplay() && imp->fd == src->u.dmabuf.fd &&
	       imp->width == src->width && imp->height == src->height &&
	       imp->fourcc == src->u.dmabuf.fourcc && imp->stride == src->u.dmabuf.stride &&
	       imp->offset == src->u.dmabuf.offset && imp->modifier == src->u.dmabuf.modifier;
}

bool gl_dmabuf_import(struct gl_dmabuf_import *imp, const struct r3d_source *src, char **error)
{
	if (same_source(imp, src))
		return true;
	gl_dmabuf_release(imp);
	if (!r3d_dmabuf_check(src, error))
		return false;

	EGLDisplay dpy = eglGetCurrentDisplay();
	if (dpy == EGL_NO_DISPLAY) {
		r3d_set_error(error, "dmabuf: no current EGL display (the GL context must be an EGL one)");
		return false;
	}
	uint64_t mod = src->u.dmabuf.modifier;
	bool explicit_mod = mod != R3D_DRM_FORMAT_MOD_INVALID;
	bool have_mods = epoxy_has_egl_extension(dpy, "EGL_EXT_image_dma_buf_import_modifiers");
	if (explicit_mod && mod != R3D_DRM_FORMAT_MOD_LINEAR && !have_mods) {
		r3d_set_error(error, "dmabuf: modifier 0x%016llx needs EGL_EXT_image_dma_buf_import_modifiers, "
				     "which this EGL display lacks (only LINEAR or INVALID/implicit work here)",
			      (unsigned long long)mod);
		return false;
	}
	if (!epoxy_has_egl_extension(dpy, "EGL_EXT_image_dma_buf_import")) {
		r3d_set_error(error, "dmabuf: the EGL display has no EGL_EXT_image_dma_buf_import "
				     "(no GPU driver behind it?)");
		return false;
	}
	if (!epoxy_has_gl_extension("GL_OES_EGL_image")) {
		r3d_set_error(error, "dmabuf: the GL context has no GL_OES_EGL_image");
		return false;
	}
	EGLint attrs[32];
	int n = 0;
	attrs[n++] = EGL_WIDTH;
	attrs[n++] = src->width;
	attrs[n++] = EGL_HEIGHT;
	attrs[n++] = src->height;
	attrs[n++] = EGL_LINUX_DRM_FOURCC_EXT;
	attrs[n++] = (EGLint)src->u.dmabuf.fourcc;
	attrs[n++] = EGL_DMA_BUF_PLANE0_FD_EXT;
	attrs[n++] = src->u.dmabuf.fd;
	attrs[n++] = EGL_DMA_BUF_PLANE0_OFFSET_EXT;
	attrs[n++] = (EGLint)src->u.dmabuf.offset;
	attrs[n++] = EGL_DMA_BUF_PLANE0_PITCH_EXT;
	attrs[n++] = (EGLint)src->u.dmabuf.stride;
	if (explicit_mod && have_mods) {
		attrs[n++] = EGL_DMA_BUF_PLANE0_MODIFIER_LO_EXT;
		attrs[n++] = (EGLint)(mod & 0xffffffffu);
		attrs[n++] = EGL_DMA_BUF_PLANE0_MODIFIER_HI_EXT;
		attrs[n++] = (EGLint)(mod >> 32);
	}
	attrs[n++] = EGL_NONE;
	EGLImageKHR image = eglCreateImageKHR(dpy, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL, attrs);
	if (image == EGL_NO_IMAGE_KHR) {
		r3d_set_error(error, "dmabuf: eglCreateImageKHR refused fd %d (%dx%d, fourcc 0x%08x, "
				     "modifier 0x%llx, stride %u, offset %u): EGL error 0x%x",
			      src->u.dmabuf.fd, src->width, src->height, src->u.dmabuf.fourcc,
			      (unsigned long long)mod, src->u.dmabuf.stride, src->u.dmabuf.offset, eglGetError());
		return false;
	}
	GLint old_tex = 0;
	GLuint tex = 0;
	glGetIntegerv(GL_TEXTURE_BINDING_2D, &old_tex);
	while (glGetError() != GL_NO_ERROR)
		;
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glEGLImageTargetTexture2DOES(GL_TEXTURE_2D, (GLeglImageOES)image);
	GLenum err = glGetError();
	glBindTexture(GL_TEXTURE_2D, (GLuint)old_tex);
	if (err != GL_NO_ERROR) {
		r3d_set_error(error, "dmabuf: glEGLImageTargetTexture2DOES failed (GL error 0x%x)", err);
		glDeleteTextures(1, &tex);
		eglDestroyImageKHR(dpy, image);
		return false;
	}
	imp->display = dpy;
	imp->image = image;
	imp->texture = tex;
	imp->fd = src->u.dmabuf.fd;
	imp->width = src->width;
	imp->height = src->height;
	imp->fourcc = src->u.dmabuf.fourcc;
	imp->stride = src->u.dmabuf.stride;
	imp->offset = src->u.dmabuf.offset;
	imp->modifier = mod;
	return true;
}

void gl_dmabuf_release(struct gl_dmabuf_import *imp)
{
	if (imp->texture)
		glDeleteTextures(1, &imp->texture);
	if (imp->image)
		eglDestroyImageKHR((EGLDisplay)imp->display, (EGLImageKHR)imp->image);
	memset(imp, 0, sizeof(*imp));
	imp->fd = -1;
}
