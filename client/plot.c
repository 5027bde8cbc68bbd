#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "plot-font.h"
#include "plot.h"

#define W R3D_PLOT_WIDTH
#define H R3D_PLOT_HEIGHT
/* the plot area inside the picture */
#define AREA_X0 90
#define AREA_X1 (W - 30)
#define AREA_Y0 86
#define AREA_Y1 (H - 76)
#define MIN_BINS 10
#define TARGET_BINS 30

#define BLACK 0x000000
#define GRID 0xdddddd
#define BAR 0x4c72b0
#define TEXT 0x222222

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
	b->width = r3d_nice_step((max - min) / TARGET_BINS);
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

static void draw_axes(struct r3d_canvas *c, const struct r3d_histogram *h, const struct bins *b,
		      unsigned ymax, unsigned ystep)
{
	char buf[32];

	/* y: grid and counts */
	for (unsigned v = 0; v <= ymax; v += ystep) {
		int y = AREA_Y1 - (int)((double)v / ymax * (AREA_Y1 - AREA_Y0));
		if (v)
			r3d_canvas_fill(c, AREA_X0, y, AREA_X1, y + 1, GRID);
		r3d_canvas_fill(c, AREA_X0 - 5, y, AREA_X0, y + 1, BLACK);
		snprintf(buf, sizeof(buf), "%u", v);
		r3d_canvas_text(c, AREA_X0 - 8 - r3d_canvas_text_width(buf, 1), y - PLOT_FONT_H / 2, buf, 1, TEXT, false);
	}
	/* x: ticks at nice values */
	double span = b->width * b->n, step = r3d_nice_step(span / 8);
	for (double v = ceil(b->lo / step) * step; v <= b->lo + span + 1e-9; v += step) {
		int x = x_of(b, v);
		r3d_canvas_fill(c, x, AREA_Y1, x + 1, AREA_Y1 + 5, BLACK);
		r3d_format_tick(buf, sizeof(buf), v, step);
		r3d_canvas_text_centred(c, x, AREA_Y1 + 8, buf, 1, TEXT);
	}
	r3d_canvas_fill(c, AREA_X0, AREA_Y0, AREA_X0 + 1, AREA_Y1 + 1, BLACK);
	r3d_canvas_fill(c, AREA_X0, AREA_Y1, AREA_X1, AREA_Y1 + 1, BLACK);
	r3d_canvas_text_centred(c, (AREA_X0 + AREA_X1) / 2, H - 2 * PLOT_FONT_H - 16, h->xlabel, 1, BLACK);
	snprintf(buf, sizeof(buf), "bins of %g ms", b->width);
	r3d_canvas_text(c, AREA_X1 - r3d_canvas_text_width(buf, 1), H - PLOT_FONT_H - 8, buf, 1, 0x777777, false);
	r3d_canvas_text(c, 20, (AREA_Y0 + AREA_Y1) / 2 + r3d_canvas_text_width(h->ylabel, 2) / 2, h->ylabel, 2, BLACK,
	     true);
}

static void draw_bars(struct r3d_canvas *c, const struct bins *b, unsigned ymax)
{
	char buf[16];

	for (int k = 0; k < b->n; k++) {
		if (!b->count[k])
			continue;
		int x0 = x_of(b, b->lo + k * b->width) + 1, x1 = x_of(b, b->lo + (k + 1) * b->width);
		int y = AREA_Y1 - (int)((double)b->count[k] / ymax * (AREA_Y1 - AREA_Y0));
		r3d_canvas_fill(c, x0, y, x1 > x0 + 1 ? x1 - 1 : x1, AREA_Y1, BAR);
		snprintf(buf, sizeof(buf), "%u", b->count[k]);
		if (r3d_canvas_text_width(buf, 1) <= x1 - x0 + 4)
			r3d_canvas_text_centred(c, (x0 + x1) / 2, y - PLOT_FONT_H - 2, buf, 1, TEXT);
	}
}

static void draw_marks(struct r3d_canvas *c, const struct r3d_histogram *h, const struct bins *b)
{
	char buf[64];

	for (size_t i = 0; i < h->n_marks && i < R3D_PLOT_MAX_MARKS; i++) {
		const struct r3d_plot_mark *m = &h->marks[i];
		int x = x_of(b, m->x);

		for (int y = AREA_Y0; y < AREA_Y1; y += 8)
			r3d_canvas_fill(c, x - 1, y, x + 1, y + 5, m->rgb);
		snprintf(buf, sizeof(buf), "%s %.1f", m->label, m->x);
		int tx = x + 4;
		if (tx + r3d_canvas_text_width(buf, 1) > AREA_X1)
			tx = x - 4 - r3d_canvas_text_width(buf, 1);
		r3d_canvas_text(c, tx, AREA_Y0 + 4 + (int)i * (PLOT_FONT_H + 4), buf, 1, m->rgb, false);
	}
}

bool r3d_plot_histogram_png(const struct r3d_histogram *h, const char *path, char **why)
{
	struct r3d_canvas c;
	struct bins b = { 0 };
	bool ok = false;

	*why = NULL;
	if (!r3d_canvas_init(&c, W, H)) {
		*why = strdup("out of memory");
		return false;
	}
	r3d_canvas_text_centred(&c, W / 2, 12, h->title, 2, BLACK);
	if (h->subtitle)
		r3d_canvas_text_centred(&c, W / 2, 12 + 2 * PLOT_FONT_H + 8, h->subtitle, 1, TEXT);
	if (h->n == 0) {
		b = (struct bins){ .lo = 0, .width = 10, .n = MIN_BINS };
		draw_axes(&c, h, &b, 1, 1);
		r3d_canvas_text_centred(&c, W / 2, (AREA_Y0 + AREA_Y1) / 2, "no values", 2, 0x777777);
	} else {
		if (!make_bins(h, &b)) {
			*why = strdup("out of memory");
			goto out;
		}
		unsigned ystep = (unsigned)r3d_nice_step(b.max_count / 5.0);
		ystep = ystep ? ystep : 1;
		unsigned ymax = (b.max_count + ystep - 1) / ystep * ystep;
		if (ymax == b.max_count)
			ymax += ystep; /* room for the counts over the tallest bar */
		draw_axes(&c, h, &b, ymax, ystep);
		draw_bars(&c, &b, ymax);
		draw_marks(&c, h, &b);
	}
	ok = r3d_canvas_write_png(&c, path, why);
out:
	free(b.count);
	r3d_canvas_free(&c);
	return ok;
}
