/*
 * r3d-probe — KMS output: one connector, its preferred mode, a GBM surface
 * whose buffers are page-flipped onto the CRTC.
 */
#ifndef R3D_PROBE_KMS_H
#define R3D_PROBE_KMS_H

#include <stdbool.h>
#include <stdint.h>

#include <gbm.h>
#include <xf86drmMode.h>

struct probe_kms {
	int fd;
	uint32_t connector_id, crtc_id;
	drmModeModeInfo mode;
	struct gbm_device *gbm;
	struct gbm_surface *surface;
	struct gbm_bo *front; /* on screen */
	bool crtc_set;
	bool flip_pending;
};

/* Opens `device` (NULL: /dev/dri/card0), picks the first connected
 * connector and its preferred mode (else the first one), makes a GBM
 * surface of that size in XRGB8888. */
bool probe_kms_open(struct probe_kms *kms, const char *device);
void probe_kms_close(struct probe_kms *kms);

/* After eglSwapBuffers: puts the new front buffer on screen (a mode set the
 * first time, a page flip after) and waits for the flip to complete. */
bool probe_kms_present(struct probe_kms *kms);

#endif
