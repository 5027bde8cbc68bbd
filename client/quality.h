/*
 * remote3d-client --quality N: PSNR and SSIM (Y) of every Nth frame shown
 * against the source's own picture of the same frame number.
 *
 * remote3d-testsrc's scenes are a function of the frame number alone (the
 * animation advances one step per frame; tests/lib/scene.h), so the client
 * renders the reference itself, with the same scene code, after the run:
 * nothing but the stream crosses the network. While measuring, a sampled
 * frame only costs its luma conversion (a copy of the Y plane is kept);
 * the rendering and the comparison come at the end. The reference passes
 * through the stream's colour conversions (BGRx -> I420 -> BGRx), so that
 * the figures are the codec's loss. The rows of the frame
 * stamp and the input marker (y < R3D_STAMP_HEIGHT) are left out.
 * Needs GL (the scene renders on EGL surfaceless, as in testsrc).
 */
#ifndef REMOTE3D_CLIENT_QUALITY_H
#define REMOTE3D_CLIENT_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stamp.h"

#define R3D_QUALITY_MAX_FRAMES 120 /* kept Y planes: 250 MB at 1080p */

struct r3d_quality;

/* NULL when built without GL (*why says so) or out of memory. */
/* scene: "cube" or "text" (testsrc --scene), NULL = cube */
struct r3d_quality *r3d_quality_create(unsigned every, const char *scene, char **why);
void r3d_quality_destroy(struct r3d_quality *q);

/* A new stamped frame on the surface (BGRx): kept when it is every Nth one. */
void r3d_quality_offer(struct r3d_quality *q, uint32_t frame, const struct r3d_image_view *bgrx);

/* Renders the kept frames' references and compares. Then
 * r3d_quality_result() gives each kept frame's figures. False + *why on a
 * GL error (no scene context). */
bool r3d_quality_compute(struct r3d_quality *q, char **why);
size_t r3d_quality_count(const struct r3d_quality *q);
/* i-th kept frame: its number, PSNR (dB) and SSIM */
void r3d_quality_result(const struct r3d_quality *q, size_t i, uint32_t *frame, double *psnr,
			double *ssim);

#endif
