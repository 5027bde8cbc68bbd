#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot-font.h"
#include "plot.h"
#include "png-io.h"

#define W R3D_PLOT_WIDTH
#define H R3D_PLOT_HEIGHT
/* the plot area inside the picture */
#define AREA_X0 90
#define AREA_X1 (W - 30)
#define AREA_Y0 86
#define AREA_Y1 (H - 76)
#define MIN_BINS 10
#define TARGET_BINS 30

#define WHITE 0xffffff
#define BLACK 0x000000
#define GRID 0xdddddd
#define BAR 0x4c72b0
#define TEXT 0x222222

struct canvas {
	uint8_t *px; /* B, G, R, x */
};

static void put(struct canvas *c, int x, int y, uint32_t rgb)
{
	if (x < 0 || y < 0 || x >= W || y >= H)
		return;
	uint8_t *p = c->px + ((size_t)y * W + (size_t)x) * 4;
	p[0] = rgb & 0xff;
	p[1] = (rgb >> 8) & 0xff;
	p[2] = (rgb >> 16) & 0xff;
	p[3] = 0xff;
}

static void fill(struct canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb)
{
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			put(c, x, y, rgb);
}

static int text_width(const char *s, int scale)
{
	return (int)strlen(s) * PLOT_FONT_W * scale;
}

/* Text with its top-left corner at (x, y); vertical: read bottom to top,
 * (x, y) then being its bottom-left corner. */
static void text(struct canvas *c, int x, int y, const char *s, int scale, uint32_t rgb,
		 bool vertical)
{
	for (int i = 0; s[i]; i++) {
		unsigned ch = (unsigned char)s[i];

		if (ch < PLOT_FONT_FIRST || ch > PLOT_FONT_LAST)
			ch = '?';
		const uint8_t *glyph = plot_font[ch - PLOT_FONT_FIRST];
		for (int gy = 0; gy < PLOT_FONT_H; gy++)
			for (int gx = 0; gx < PLOT_FONT_W; gx++) {
				if (!(glyph[gy] & (0x20 >> gx)))
					continue;
				int u = (i * PLOT_FONT_W + gx) * scale, v = gy * scale;
				if (vertical)
					fill(c, x + v, y - u - scale, x + v + scale, y - u, rgb);
				else
					fill(c, x + u, y + v, x + u + scale, y + v + scale, rgb);
			}
	}
}

static void text_centred(struct canvas *c, int cx, int y, const char *s, int scale, uint32_t rgb)
{
	text(c, cx - text_width(s, scale) / 2, y, s, scale, rgb, false);
}

/* 1, 2, 2.5 or 5 times a power of ten, at least raw */
static double nice_step(double raw)
{
	static const double mult[] = { 1, 2, 2.5, 5, 10 };
	double p;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	p = pow(10, floor(log10(raw)));
	for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
		if (mult[i] * p >= raw * (1 - 1e-9))
			return mult[i] * p;
	return 10 * p;
}

static void format_tick(char *buf, size_t size, double v, double step)
{
	int decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;

	if (step >= 1 && fabs(v - round(v)) > 1e-9)
		decimals = 1; /* 2.5 steps */
	snprintf(buf, size, "%.*f", decimals, v);
}

struct bins {
	double lo, width;
	int n;
	unsigned *count;
	unsigned max_count;
};

static bool make_bins(const struct r3d_histogram *h, struct bins *b)
{
	double min = h->values[0], max = h->values[0];

	for (size_t i = 1; i < h->n; i++) {
		if (h->values[i] < min)
			min = h->values[i];
		if (h->values[i] > max)
			max = h->values[i];
	}
	b->width = nice_step((max - min) / TARGET_BINS);
	if (b->width < 0.1)
		b->width = 0.1;
	b->lo = floor(min / b->width) * b->width;
	if (b->lo < 0 && min >= 0)
		b->lo = 0;
	b->n = (int)floor((max - b->lo) / b->width) + 1;
	if (b->n < MIN_BINS) {
		/* a narrow spread: centre it in a wider range */
		b->lo -= floor((MIN_BINS - b->n) / 2.0) * b->width;
		if (b->lo < 0 && min >= 0)
			b->lo = 0;
		b->n = MIN_BINS;
	}
	b->count = calloc((size_t)b->n, sizeof(*b->count));
	if (!b->count)
		return false;
	b->max_count = 0;
	for (size_t i = 0; i < h->n; i++) {
		int k = (int)floor((h->values[i] - b->lo) / b->width);
		k = k < 0 ? 0 : k >= b->n ? b->n - 1 : k;
		if (++b->count[k] > b->max_count)
			b->max_count = b->count[k];
	}
	return true;
}

static int x_of(const struct bins *b, double v)
{
	double f = (v - b->lo) / (b->width * b->n);
	return AREA_X0 + (int)lround(f * (AREA_X1 - AREA_X0));
}

static void draw_axes(struct canvas *c, const struct r3d_histogram *h, const struct bins *b,
		      unsigned ymax, unsigned ystep)
{
	char buf[32];

	/* y: grid and counts */
	for (unsigned v = 0; v <= ymax; v += ystep) {
		int y = AREA_Y1 - (int)((double)v / ymax * (AREA_Y1 - AREA_Y0));
		if (v)
			fill(c, AREA_X0, y, AREA_X1, y + 1, GRID);
		fill(c, AREA_X0 - 5, y, AREA_X0, y + 1, BLACK);
		snprintf(buf, sizeof(buf), "%u", v);
		text(c, AREA_X0 - 8 - text_width(buf, 1), y - PLOT_FONT_H / 2, buf, 1, TEXT, false);
	}
	/* x: ticks at nice values */
	double span = b->width * b->n, step = nice_step(span / 8);
	for (double v = ceil(b->lo / step) * step; v <= b->lo + span + 1e-9; v += step) {
		int x = x_of(b, v);
		fill(c, x, AREA_Y1, x + 1, AREA_Y1 + 5, BLACK);
		format_tick(buf, sizeof(buf), v, step);
		text_centred(c, x, AREA_Y1 + 8, buf, 1, TEXT);
	}
	fill(c, AREA_X0, AREA_Y0, AREA_X0 + 1, AREA_Y1 + 1, BLACK);
	fill(c, AREA_X0, AREA_Y1, AREA_X1, AREA_Y1 + 1, BLACK);
	text_centred(c, (AREA_X0 + AREA_X1) / 2, H - 2 * PLOT_FONT_H - 16, h->xlabel, 1, BLACK);
	snprintf(buf, sizeof(buf), "bins of %g ms", b->width);
	text(c, AREA_X1 - text_width(buf, 1), H - PLOT_FONT_H - 8, buf, 1, 0x777777, false);
	text(c, 20, (AREA_Y0 + AREA_Y1) / 2 + text_width(h->ylabel, 2) / 2, h->ylabel, 2, BLACK,
	     true);
}

static void draw_bars(struct canvas *c, const struct bins *b, unsigned ymax)
{
	char buf[16];

	for (int k = 0; k < b->n; k++) {
		if (!b->count[k])
			continue;
		int x0 = x_of(b, b->lo + k * b->width) + 1, x1 = x_of(b, b->lo + (k + 1) * b->width);
		int y = AREA_Y1 - (int)((double)b->count[k] / ymax * (AREA_Y1 - AREA_Y0));
		fill(c, x0, y, x1 > x0 + 1 ? x1 - 1 : x1, AREA_Y1, BAR);
		snprintf(buf, sizeof(buf), "%u", b->count[k]);
		if (text_width(buf, 1) <= x1 - x0 + 4)
			text_centred(c, (x0 + x1) / 2, y - PLOT_FONT_H - 2, buf, 1, TEXT);
	}
}

static void draw_marks(struct canvas *c, const struct r3d_histogram *h, const struct bins *b)
{
	char buf[64];

	for (size_t i = 0; i < h->n_marks && i < R3D_PLOT_MAX_MARKS; i++) {
		const struct r3d_plot_mark *m = &h->marks[i];
		int x = x_of(b, m->x);

		for (int y = AREA_Y0; y < AREA_Y1; y += 8)
			fill(c, x - 1, y, x + 1, y + 5, m->rgb);
		snprintf(buf, sizeof(buf), "%s %.1f", m->label, m->x);
		int tx = x + 4;
		if (tx + text_width(buf, 1) > AREA_X1)
			tx = x - 4 - text_width(buf, 1);
		text(c, tx, AREA_Y0 + 4 + (int)i * (PLOT_FONT_H + 4), buf, 1, m->rgb, false);
	}
}

bool r3d_plot_histogram_png(const struct r3d_histogram *h, const char *path, char **why)
{
	struct canvas c = { .px = malloc((size_t)W * H * 4) };
	struct bins b = { 0 };
	bool ok = false;

	*why = NULL;
	if (!c.px) {
		*why = strdup("out of memory");
		return false;
	}
	fill(&c, 0, 0, W, H, WHITE);
	text_centred(&c, W / 2, 12, h->title, 2, BLACK);
	if (h->subtitle)
		text_centred(&c, W / 2, 12 + 2 * PLOT_FONT_H + 8, h->subtitle, 1, TEXT);
	if (h->n == 0) {
		b = (struct bins){ .lo = 0, .width = 10, .n = MIN_BINS };
		draw_axes(&c, h, &b, 1, 1);
		text_centred(&c, W / 2, (AREA_Y0 + AREA_Y1) / 2, "no values", 2, 0x777777);
	} else {
		if (!make_bins(h, &b)) {
			*why = strdup("out of memory");
			goto out;
		}
		unsigned ystep = (unsigned)nice_step(b.max_count / 5.0);
		ystep = ystep ? ystep : 1;
		unsigned ymax = (b.max_count + ystep - 1) / ystep * ystep;
		if (ymax == b.max_count)
			ymax += ystep; /* room for the counts over the tallest bar */
		draw_axes(&c, h, &b, ymax, ystep);
		draw_bars(&c, &b, ymax);
		draw_marks(&c, h, &b);
	}
	errno = 0;
	if (!r3d_png_write_xrgb(path, c.px, W, H, W * 4)) {
		char buf[300];
		snprintf(buf, sizeof(buf), "cannot write %s: %s", path,
			 errno ? strerror(errno) : "PNG error");
		*why = strdup(buf);
		goto out;
	}
	ok = true;
out:
	free(b.count);
	free(c.px);
	return ok;
}
