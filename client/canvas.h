/*
 * remote3d-client — a small xRGB canvas for the plots: filled rectangles
 * and text in plot-font.h's bitmap font, written as PNG (png-io.c). No
 * Python, no fonts on the system.
 */
#ifndef REMOTE3D_CLIENT_CANVAS_H
#define REMOTE3D_CLIENT_CANVAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct r3d_canvas {
	uint8_t *px; /* B, G, R, x */
	int w, h;
};

/* A white canvas; false when out of memory. */
bool r3d_canvas_init(struct r3d_canvas *c, int w, int h);
void r3d_canvas_free(struct r3d_canvas *c);
/* [x0, x1) x [y0, y1), clipped */
void r3d_canvas_fill(struct r3d_canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb);
/* Text with its top-left corner at (x, y); vertical: read bottom to top,
 * (x, y) then being its bottom-left corner. scale: pixels per font pixel. */
void r3d_canvas_text(struct r3d_canvas *c, int x, int y, const char *s, int scale, uint32_t rgb,
		     bool vertical);
void r3d_canvas_text_centred(struct r3d_canvas *c, int cx, int y, const char *s, int scale,
			     uint32_t rgb);
int r3d_canvas_text_width(const char *s, int scale);
int r3d_canvas_font_height(void);
/* False with *why (malloc'ed, one line) when the PNG cannot be written. */
bool r3d_canvas_write_png(const struct r3d_canvas *c, const char *path, char **why);

/* 1, 2, 2.5 or 5 times a power of ten, at least raw: axis steps */
double r3d_nice_step(double raw);
/* v as an axis label for ticks `step` apart */
void r3d_format_tick(char *buf, size_t size, double v, double step);

#endif
