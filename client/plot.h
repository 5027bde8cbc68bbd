/*
 * remote3d-client — a histogram as a PNG a person reads at a glance:
 * a title (with the figures that matter), bars over nicely rounded bins,
 * labelled axes with ticks, counts over the bars, and vertical marks (p50,
 * p95). Drawn in C into an xRGB buffer (plot-font.h's bitmap font) and
 * written with png-io.c: no Python, no fonts on the system.
 */
#ifndef REMOTE3D_CLIENT_PLOT_H
#define REMOTE3D_CLIENT_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define R3D_PLOT_MAX_MARKS 4

struct r3d_plot_mark {
	double x;
	const char *label;
	uint32_t rgb;        /* 0xRRGGBB */
};

struct r3d_histogram {
	const double *values;   /* any order, not changed */
	size_t n;               /* 0: an empty plot that says so */
	const char *title, *subtitle, *xlabel, *ylabel; /* ASCII; subtitle may be NULL */
	struct r3d_plot_mark marks[R3D_PLOT_MAX_MARKS];
	size_t n_marks;
};

#define R3D_PLOT_WIDTH 960
#define R3D_PLOT_HEIGHT 560

/* Draw h and write it as an R3D_PLOT_WIDTH x R3D_PLOT_HEIGHT RGB PNG at
 * path. False with *why (malloc'ed, one line) on failure. */
bool r3d_plot_histogram_png(const struct r3d_histogram *h, const char *path, char **why);

struct r3d_client_report;
struct r3d_frame_rec;

#define R3D_STAGE_PLOT_WIDTH 1200
#define R3D_STAGE_PLOT_HEIGHT 760

/* Where the time of the frames in recs goes (r: the computed report): the
 * p50 and the p95 of each stage as two stacked bars against the measured
 * end-to-end p50 / p95, and a waterfall of consecutive frames from the
 * middle of the run through their stages on one time axis. Stages without
 * figures are left out; without the source's stages, stamp -> client is
 * one grey segment. False with *why (malloc'ed) on failure. */
bool r3d_plot_stages_png(const struct r3d_client_report *r, const struct r3d_frame_rec *recs,
			 size_t n, const char *path, char **why);

#endif
