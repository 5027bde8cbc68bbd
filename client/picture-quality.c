#include <math.h>
#include <stddef.h>

#include "picture-quality.h"

#define WIN 8
#define STEP 4

double r3d_psnr_y(const struct r3d_plane *a, const struct r3d_plane *b, int y0)
{
	double sum = 0;
	uint64_t n = 0;

	for (int y = y0 < 0 ? 0 : y0; y < a->height; y++) {
		const uint8_t *pa = a->data + (size_t)y * a->stride, *pb = b->data + (size_t)y * b->stride;
		uint64_t row = 0;
		for (int x = 0; x < a->width; x++) {
			int d = pa[x] - pb[x];
			row += (uint64_t)(d * d);
		}
		sum += (double)row;
		n += (uint64_t)a->width;
	}
	if (n == 0 || sum == 0)
		return R3D_PSNR_IDENTICAL;
	double psnr = 10.0 * log10(255.0 * 255.0 / (sum / (double)n));
	return psnr < R3D_PSNR_IDENTICAL ? psnr : R3D_PSNR_IDENTICAL;
}

static double window_ssim(const struct r3d_plane *a, const struct r3d_plane *b, int x0, int y0)
{
	const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
	uint64_t sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;

	for (int y = y0; y < y0 + WIN; y++) {
		const uint8_t *pa = a->data + (size_t)y * a->stride + x0;
		const uint8_t *pb = b->data + (size_t)y * b->stride + x0;
		for (int x = 0; x < WIN; x++) {
			sa += pa[x];
			sb += pb[x];
			saa += (uint64_t)pa[x] * pa[x];
			sbb += (uint64_t)pb[x] * pb[x];
			sab += (uint64_t)pa[x] * pb[x];
		}
	}
	const double n = WIN * WIN;
	double ma = sa / n, mb = sb / n;
	double va = saa / n - ma * ma, vb = sbb / n - mb * mb, cov = sab / n - ma * mb;
	return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
}

double r3d_ssim_y(const struct r3d_plane *a, const struct r3d_plane *b, int y0)
{
	double sum = 0;
	uint64_t n = 0;

	for (int y = y0 < 0 ? 0 : y0; y + WIN <= a->height; y += STEP)
		for (int x = 0; x + WIN <= a->width; x += STEP) {
			sum += window_ssim(a, b, x, y);
			n++;
		}
	return n ? sum / (double)n : 1.0;
}

void r3d_luma_from_bgrx(const uint8_t *bgrx, int width, int height, int stride, uint8_t *y)
{
	for (int r = 0; r < height; r++) {
		const uint8_t *p = bgrx + (size_t)r * stride;
		uint8_t *o = y + (size_t)r * width;
		for (int x = 0; x < width; x++, p += 4)
			o[x] = (uint8_t)((66 * p[2] + 129 * p[1] + 25 * p[0] + 128 + (16 << 8)) >> 8);
	}
}
