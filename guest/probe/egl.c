#include <stdio.h>
#include <string.h>

#include "egl.h"

#include <EGL/eglext.h>

static bool has_ext(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static EGLDisplay get_display(struct gbm_device *gbm)
{
	const char *client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	if (has_ext(client, "EGL_KHR_platform_gbm") || has_ext(client, "EGL_MESA_platform_gbm")) {
		PFNEGLGETPLATFORMDISPLAYEXTPROC get =
			(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
		if (get)
			return get(EGL_PLATFORM_GBM_KHR, gbm, NULL);
	}
	return eglGetDisplay((EGLNativeDisplayType)gbm);
}

bool probe_egl_init(struct probe_egl *egl, struct gbm_device *gbm,
		    struct gbm_surface *surface)
{
	static const EGLint config_attrs[] = {
		EGL_SURFACE_TYPE, EGL_WINDOW_BIT,
		EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
		EGL_ALPHA_SIZE, 0, EGL_DEPTH_SIZE, 16,
		EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT,
		EGL_NONE,
	};
	static const EGLint context_attrs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
	EGLint major, minor, n = 0;
	EGLConfig configs[64], config = NULL;

	memset(egl, 0, sizeof(*egl));
	egl->display = get_display(gbm);
	if (egl->display == EGL_NO_DISPLAY || !eglInitialize(egl->display, &major, &minor)) {
		fprintf(stderr, "probe: no EGL display on GBM (0x%x)\n", eglGetError());
		return false;
	}
	if (!eglBindAPI(EGL_OPENGL_ES_API))
		goto err_terminate;
	if (!eglChooseConfig(egl->display, config_attrs, configs, 64, &n) || n == 0) {
		fprintf(stderr, "probe: no EGL config for GLES2 windows\n");
		goto err_terminate;
	}
	for (int i = 0; i < n && !config; i++) {
		EGLint id;
		if (eglGetConfigAttrib(egl->display, configs[i], EGL_NATIVE_VISUAL_ID, &id) &&
		    (uint32_t)id == GBM_FORMAT_XRGB8888)
			config = configs[i];
	}
	if (!config) {
		fprintf(stderr, "probe: no EGL config with an XRGB8888 visual\n");
		goto err_terminate;
	}
	egl->context = eglCreateContext(egl->display, config, EGL_NO_CONTEXT, context_attrs);
	if (egl->context == EGL_NO_CONTEXT) {
		fprintf(stderr, "probe: eglCreateContext: 0x%x\n", eglGetError());
		goto err_terminate;
	}
	egl->surface = eglCreateWindowSurface(egl->display, config,
					      (EGLNativeWindowType)surface, NULL);
	if (egl->surface == EGL_NO_SURFACE) {
		fprintf(stderr, "probe: eglCreateWindowSurface: 0x%x\n", eglGetError());
		goto err_context;
	}
	if (!eglMakeCurrent(egl->display, egl->surface, egl->surface, egl->context)) {
		fprintf(stderr, "probe: eglMakeCurrent: 0x%x\n", eglGetError());
		goto err_surface;
	}
	printf("R3D: probe EGL %d.%d\n", major, minor);
	return true;

err_surface:
	eglDestroySurface(egl->display, egl->surface);
err_context:
	eglDestroyContext(egl->display, egl->context);
err_terminate:
	eglTerminate(egl->display);
	egl->display = EGL_NO_DISPLAY;
	return false;
}

void probe_egl_finish(struct probe_egl *egl)
{
	if (egl->display == EGL_NO_DISPLAY)
		return;
	eglMakeCurrent(egl->display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroySurface(egl->display, egl->surface);
	eglDestroyContext(egl->display, egl->context);
	eglTerminate(egl->display);
	egl->display = EGL_NO_DISPLAY;
}
