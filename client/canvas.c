#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "plot-font.h"
#include "png-io.h"

bool r3d_canvas_init(struct r3d_canvas *c, int w, int h)
{
	c->w = w;
	c->h = h;
	c->px = malloc((size_t)w * (size_t)h * 4);
	if (c->px)
		memset(c->px, 0xff, (size_t)w * (size_t)h * 4);
	return c->px != NULL;
}

void r3d_canvas_free(struct r3d_canvas *c)
{
	free(c->px);
	c->px = NULL;
}

void r3d_canvas_fill(struct r3d_canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb)
{
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > c->w ? c->w : x1;
	y1 = y1 > c->h ? c->h : y1;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++) {
			uint8_t *p = c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 4;
			p[0] = rgb & 0xff;
			p[1] = (rgb >> 8) & 0xff;
			p[2] = (rgb >> 16) & 0xff;
			p[3] = 0xff;
		}
}

int r3d_canvas_text_width(const char *s, int scale)
{
	return (int)strlen(s) * PLOT_FONT_W * scale;
}

int r3d_canvas_font_height(void)
{
	return PLOT_FONT_H;
}

void r3d_canvas_text(struct r3d_canvas *c, int x, int y, const char *s, int scale, uint32_t rgb,
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
					r3d_canvas_fill(c, x + v, y - u - scale, x + v + scale, y - u, rgb);
				else
					r3d_canvas_fill(c, x + u, y + v, x + u + scale, y + v + scale, rgb);
			}
	}
}

void r3d_canvas_text_centred(struct r3d_canvas *c, int cx, int y, const char *s, int scale,
			     uint32_t rgb)
{
	r3d_canvas_text(c, cx - r3d_canvas_text_width(s, scale) / 2, y, s, scale, rgb, false);
}

bool r3d_canvas_write_png(const struct r3d_canvas *c, const char *path, char **why)
{
	errno = 0;
	if (r3d_png_write_xrgb(path, c->px, c->w, c->h, c->w * 4))
		return true;
	char buf[300];
	snprintf(buf, sizeof(buf), "cannot write %s: %s", path, errno ? strerror(errno) : "PNG error");
	*why = strdup(buf);
	return false;
}

double r3d_nice_step(double raw)
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

void r3d_format_tick(char *buf, size_t size, double v, double step)
{
	int decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;

	if (step >= 1 && fabs(v - round(v)) > 1e-9)
		decimals = 1; /* 2.5 steps */
	snprintf(buf, size, "%.*f", decimals, v);
}
