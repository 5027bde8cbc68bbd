/* A surfaceless EGL context. On Mesa's surfaceless platform only pbuffer
 * configs exist (no EGL_WINDOW_BIT), so the config asks for EGL_PBUFFER_BIT
 * and the context is made current with EGL_NO_SURFACE. */
#include <stdlib.h>

#include <epoxy/egl.h>
#include <epoxy/gl.h>

#include "remote3d/log.h"

#include "egl-context.h"

struct r3d_egl {
	EGLDisplay dpy;
	EGLContext ctx;
};

struct r3d_egl *r3d_egl_create_surfaceless(char **error)
{
	struct r3d_egl *egl = calloc(1, sizeof(*egl));
	EGLint major, minor, n = 0;
	EGLConfig config;

	if (!egl) {
		r3d_set_error(error, "EGL: out of memory");
		return NULL;
	}
	if (!epoxy_has_egl_extension(EGL_NO_DISPLAY, "EGL_MESA_platform_surfaceless")) {
		r3d_set_error(error, "EGL: no EGL_MESA_platform_surfaceless (Mesa's EGL is needed)");
		goto fail;
	}
	egl->dpy = eglGetPlatformDisplayEXT(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
	if (egl->dpy == EGL_NO_DISPLAY || !eglInitialize(egl->dpy, &major, &minor)) {
		r3d_set_error(error, "EGL: cannot initialize the surfaceless display (0x%x)", eglGetError());
		egl->dpy = EGL_NO_DISPLAY;
		goto fail;
	}
	if (!eglBindAPI(EGL_OPENGL_API)) {
		r3d_set_error(error, "EGL: no desktop OpenGL API");
		goto fail;
	}
	static const EGLint cfg_attrs[] = {
		EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,
		EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
		EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
		EGL_NONE,
	};
	if (!eglChooseConfig(egl->dpy, cfg_attrs, &config, 1, &n) || n < 1) {
		r3d_set_error(error, "EGL: no pbuffer config with desktop GL");
		goto fail;
	}
	static const EGLint ctx_attrs[] = {
		EGL_CONTEXT_MAJOR_VERSION, 3,
		EGL_CONTEXT_MINOR_VERSION, 3,
		EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
		EGL_NONE,
	};
	egl->ctx = eglCreateContext(egl->dpy, config, EGL_NO_CONTEXT, ctx_attrs);
	if (egl->ctx == EGL_NO_CONTEXT) {
		r3d_set_error(error, "EGL: cannot create a GL 3.3 core context (0x%x)", eglGetError());
		goto fail;
	}
	if (!r3d_egl_make_current(egl)) {
		r3d_set_error(error, "EGL: cannot make the context current without a surface (0x%x)",
			      eglGetError());
		goto fail;
	}
	r3d_log(R3D_LOG_DEBUG, "EGL %d.%d surfaceless: %s", major, minor, r3d_egl_renderer(egl));
	return egl;
fail:
	r3d_egl_destroy(egl);
	return NULL;
}

bool r3d_egl_make_current(struct r3d_egl *egl)
{
	return egl && eglMakeCurrent(egl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, egl->ctx);
}

const char *r3d_egl_renderer(struct r3d_egl *egl)
{
	(void)egl;
	const char *r = (const char *)glGetString(GL_RENDERER);
	return r ? r : "?";
}

void r3d_egl_destroy(struct r3d_egl *egl)
{
	if (!egl)
		return;
	if (egl->dpy != EGL_NO_DISPLAY) {
		if (eglGetCurrentContext() == egl->ctx)
			eglMakeCurrent(egl->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
		if (egl->ctx != EGL_NO_CONTEXT)
			eglDestroyContext(egl->dpy, egl->ctx);
		/* no eglTerminate: the display is shared by every user in the
		 * process (a scene and a test's own context) */
	}
	free(egl);
}
