/* remote3d-client's PSNR/SSIM (client/picture-quality.c) on synthetic
 * pictures whose figures follow from the definitions by hand. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picture-quality.h"

#define W 64
#define H 48

static uint8_t pa[W * H], pb[W * H];
static const struct r3d_plane A = { pa, W, H, W }, B = { pb, W, H, W };

static void near(double got, double want, double tol, const char *what)
{
	printf("%-40s %.6f (expected %.6f)\n", what, got, want);
	assert(fabs(got - want) <= tol);
}

int main(void)
{
	const double c1 = 6.5025, c2 = 58.5225;

	/* identical: the cap and 1 */
	for (int i = 0; i < W * H; i++)
		pa[i] = pb[i] = (uint8_t)(i * 7);
	near(r3d_psnr_y(&A, &B, 0), R3D_PSNR_IDENTICAL, 0, "identical: PSNR");
	near(r3d_ssim_y(&A, &B, 0), 1.0, 1e-12, "identical: SSIM");

	/* flat 100 vs flat 105: MSE 25; variances 0, so SSIM is the mean term */
	memset(pa, 100, sizeof(pa));
	memset(pb, 105, sizeof(pb));
	near(r3d_psnr_y(&A, &B, 0), 20 * log10(255.0 / 5), 1e-9, "offset 5: PSNR");
	near(r3d_ssim_y(&A, &B, 0), (2 * 100.0 * 105 + c1) / (100.0 * 100 + 105.0 * 105 + c1), 1e-12,
	     "offset 5: SSIM");

	/* a checkerboard 100/140 against flat 120: MSE 400; every 8x8 window
	 * has variance 400 on one side, 0 on the other, no covariance */
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			pa[y * W + x] = (x + y) % 2 ? 140 : 100;
	memset(pb, 120, sizeof(pb));
	near(r3d_psnr_y(&A, &B, 0), 20 * log10(255.0 / 20), 1e-9, "checkerboard vs flat: PSNR");
	near(r3d_ssim_y(&A, &B, 0), c2 / (400 + c2), 1e-12, "checkerboard vs flat: SSIM");

	/* rows above y0 are not compared: damage only there changes nothing */
	memcpy(pb, pa, sizeof(pa));
	memset(pb, 0, 16 * W);
	near(r3d_psnr_y(&A, &B, 16), R3D_PSNR_IDENTICAL, 0, "damage above y0: PSNR");
	near(r3d_ssim_y(&A, &B, 16), 1.0, 1e-12, "damage above y0: SSIM");
	assert(r3d_psnr_y(&A, &B, 0) < 20 && r3d_ssim_y(&A, &B, 0) < 0.9);

	/* one pixel of 255 in a black 64x48: MSE 255^2 / 3072 */
	memset(pa, 0, sizeof(pa));
	memset(pb, 0, sizeof(pb));
	pb[10 * W + 10] = 255;
	near(r3d_psnr_y(&A, &B, 0), 10 * log10(W * H), 1e-9, "one white pixel: PSNR");

	/* BT.601 studio range: black 16, white 235, grey in between */
	uint8_t bgrx[3 * 4] = { 0, 0, 0, 0, 255, 255, 255, 0, 128, 128, 128, 0 }, y[3];
	r3d_luma_from_bgrx(bgrx, 3, 1, 12, y);
	printf("luma of black, white, grey: %u %u %u\n", y[0], y[1], y[2]);
	assert(y[0] == 16 && y[1] == 235 && y[2] == 126);
	printf("OK\n");
	return 0;
}
