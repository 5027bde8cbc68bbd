#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include "kms.h"

static uint32_t find_crtc(int fd, drmModeRes *res, drmModeConnector *conn)
{
	for (int i = 0; i < conn->count_encoders; i++) {
		drmModeEncoder *enc = drmModeGetEncoder(fd, conn->encoders[i]);
		if (!enc)
			continue;
		if (enc->crtc_id) {
			uint32_t id = enc->crtc_id;
			drmModeFreeEncoder(enc);
			return id;
		}
		for (int c = 0; c < res->count_crtcs; c++) {
			if (enc->possible_crtcs & (1u << c)) {
				uint32_t id = res->crtcs[c];
				drmModeFreeEncoder(enc);
				return id;
			}
		}
		drmModeFreeEncoder(enc);
	}
	return 0;
}

bool probe_kms_open(struct probe_kms *kms, const char *device)
{
	drmModeRes *res = NULL;
	drmModeConnector *conn = NULL;

	memset(kms, 0, sizeof(*kms));
	kms->fd = open(device ? device : "/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (kms->fd < 0) {
		fprintf(stderr, "probe: open %s: %s\n", device ? device : "/dev/dri/card0",
			strerror(errno));
		return false;
	}
	res = drmModeGetResources(kms->fd);
	if (!res) {
		fprintf(stderr, "probe: drmModeGetResources: %s\n", strerror(errno));
		goto err_close;
	}
	for (int i = 0; i < res->count_connectors && !conn; i++) {
		conn = drmModeGetConnector(kms->fd, res->connectors[i]);
		if (conn && (conn->connection != DRM_MODE_CONNECTED || conn->count_modes == 0)) {
			drmModeFreeConnector(conn);
			conn = NULL;
		}
	}
	if (!conn) {
		fprintf(stderr, "probe: no connected connector with a mode\n");
		goto err_res;
	}
	kms->connector_id = conn->connector_id;
	kms->mode = conn->modes[0];
	for (int i = 0; i < conn->count_modes; i++) {
		if (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
			kms->mode = conn->modes[i];
			break;
		}
	}
	kms->crtc_id = find_crtc(kms->fd, res, conn);
	drmModeFreeConnector(conn);
	drmModeFreeResources(res);
	if (!kms->crtc_id) {
		fprintf(stderr, "probe: no CRTC for the connector\n");
		goto err_close;
	}

	kms->gbm = gbm_create_device(kms->fd);
	if (!kms->gbm) {
		fprintf(stderr, "probe: gbm_create_device failed\n");
		goto err_close;
	}
	kms->surface = gbm_surface_create(kms->gbm, kms->mode.hdisplay, kms->mode.vdisplay,
					  GBM_FORMAT_XRGB8888,
					  GBM_BO_USE_SCANOUT | GBM_BO_USE_RENDERING);
	if (!kms->surface) {
		fprintf(stderr, "probe: gbm_surface_create %ux%u failed\n",
			kms->mode.hdisplay, kms->mode.vdisplay);
		goto err_gbm;
	}
	return true;

err_gbm:
	gbm_device_destroy(kms->gbm);
	kms->gbm = NULL;
	goto err_close;
err_res:
	drmModeFreeResources(res);
err_close:
	close(kms->fd);
	kms->fd = -1;
	return false;
}

/* The DRM framebuffer of a GBM buffer, made on first use and kept with the
 * buffer (GBM recycles a handful of them). */
struct fb {
	int fd;
	uint32_t id;
};

static void fb_destroy(struct gbm_bo *bo, void *data)
{
	struct fb *fb = data;
	if (fb->id)
		drmModeRmFB(fb->fd, fb->id);
	free(fb);
}

static uint32_t bo_fb(int fd, struct gbm_bo *bo)
{
	struct fb *fb = gbm_bo_get_user_data(bo);
	if (fb)
		return fb->id;
	fb = calloc(1, sizeof(*fb));
	if (!fb)
		return 0;
	fb->fd = fd;
	uint32_t handles[4] = {gbm_bo_get_handle(bo).u32};
	uint32_t strides[4] = {gbm_bo_get_stride(bo)};
	uint32_t offsets[4] = {0};
	if (drmModeAddFB2(fd, gbm_bo_get_width(bo), gbm_bo_get_height(bo),
			  DRM_FORMAT_XRGB8888, handles, strides, offsets, &fb->id, 0)) {
		fprintf(stderr, "probe: drmModeAddFB2: %s\n", strerror(errno));
		free(fb);
		return 0;
	}
	gbm_bo_set_user_data(bo, fb, fb_destroy);
	return fb->id;
}

static void flip_done(int fd, unsigned frame, unsigned sec, unsigned usec, void *data)
{
	struct probe_kms *kms = data;
	kms->flip_pending = false;
}

bool probe_kms_present(struct probe_kms *kms)
{
	struct gbm_bo *bo = gbm_surface_lock_front_buffer(kms->surface);
	if (!bo) {
		fprintf(stderr, "probe: gbm_surface_lock_front_buffer failed\n");
		return false;
	}
	uint32_t fb = bo_fb(kms->fd, bo);
	if (!fb)
		goto err_release;

	if (!kms->crtc_set) {
		if (drmModeSetCrtc(kms->fd, kms->crtc_id, fb, 0, 0, &kms->connector_id, 1,
				   &kms->mode)) {
			fprintf(stderr, "probe: drmModeSetCrtc: %s\n", strerror(errno));
			goto err_release;
		}
		kms->crtc_set = true;
	} else {
		if (drmModePageFlip(kms->fd, kms->crtc_id, fb, DRM_MODE_PAGE_FLIP_EVENT, kms)) {
			fprintf(stderr, "probe: drmModePageFlip: %s\n", strerror(errno));
			goto err_release;
		}
		kms->flip_pending = true;
		drmEventContext ev = {.version = 2, .page_flip_handler = flip_done};
		while (kms->flip_pending) {
			struct pollfd p = {.fd = kms->fd, .events = POLLIN};
			int r = poll(&p, 1, 5000);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				fprintf(stderr, "probe: no page flip event in 5 s\n");
				goto err_release;
			}
			drmHandleEvent(kms->fd, &ev);
		}
	}
	if (kms->front)
		gbm_surface_release_buffer(kms->surface, kms->front);
	kms->front = bo;
	return true;

err_release:
	gbm_surface_release_buffer(kms->surface, bo);
	return false;
}

void probe_kms_close(struct probe_kms *kms)
{
	if (kms->fd < 0)
		return;
	if (kms->front)
		gbm_surface_release_buffer(kms->surface, kms->front);
	if (kms->surface)
		gbm_surface_destroy(kms->surface);
	if (kms->gbm)
		gbm_device_destroy(kms->gbm);
	close(kms->fd);
	kms->fd = -1;
}
