/*
 * remote3d-client — picture quality of a decoded frame against its source:
 * PSNR and SSIM of the luma (Y) planes, over rows [y0, height) (the frame
 * stamp and the input marker sit in the rows above R3D_STAMP_HEIGHT and
 * differ between any two frames by design).
 *
 * PSNR: 10 log10(255^2 / MSE) in dB; identical planes give
 * R3D_PSNR_IDENTICAL (a cap instead of infinity).
 * SSIM: the mean over 8x8 windows placed every 4 pixels of
 *   ((2 mx my + C1)(2 sxy + C2)) / ((mx^2 + my^2 + C1)(sx^2 + sy^2 + C2)),
 * population (co)variances, C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2 (Wang
 * et al. 2004 with square windows, as video encoders' own SSIM figures).
 */
#ifndef REMOTE3D_CLIENT_PICTURE_QUALITY_H
#define REMOTE3D_CLIENT_PICTURE_QUALITY_H

#include <stdint.h>

#define R3D_PSNR_IDENTICAL 100.0

struct r3d_plane {
	const uint8_t *data;
	int width, height, stride;
};

/* a and b of the same size; rows y0 .. height - 1. */
double r3d_psnr_y(const struct r3d_plane *a, const struct r3d_plane *b, int y0);
double r3d_ssim_y(const struct r3d_plane *a, const struct r3d_plane *b, int y0);

/* BT.601 luma (studio range, as the encoder's RGB -> I420 conversion) of a
 * 4-byte-per-pixel B, G, R, x picture into y (width bytes per row). */
void r3d_luma_from_bgrx(const uint8_t *bgrx, int width, int height, int stride, uint8_t *y);

#endif
