/*
 * r3d-probe — EGL on GBM: a GLES2 context rendering into the KMS surface.
 */
#ifndef R3D_PROBE_EGL_H
#define R3D_PROBE_EGL_H

#include <stdbool.h>

#include <EGL/egl.h>
#include <gbm.h>

struct probe_egl {
	EGLDisplay display;
	EGLContext context;
	EGLSurface surface;
};

/* A GLES2 context current on the calling thread, drawing into `surface`
 * (XRGB8888: the config whose native visual is that format). */
bool probe_egl_init(struct probe_egl *egl, struct gbm_device *gbm,
		    struct gbm_surface *surface);
void probe_egl_finish(struct probe_egl *egl);

#endif
