#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "plot.h"
#include "report.h"

#define W R3D_STAGE_PLOT_WIDTH
#define H R3D_STAGE_PLOT_HEIGHT
#define X0 110 /* the time axis of both panels */
#define X1 (W - 40)
#define BAR_Y 110
#define BAR_H 34
#define BAR_GAP 14
#define LEGEND_Y (BAR_Y + 2 * BAR_H + BAR_GAP + 40)
#define FALL_Y0 (LEGEND_Y + 70)
#define FALL_Y1 (H - 50)
#define FALL_ROWS 16

#define BLACK 0x000000
#define TEXT 0x222222
#define GRID 0xdddddd
#define LIGHT 0x777777
#define TO_CLIENT_RGB 0xaaaaaa /* stamp -> client without the source's stages */

/* A stage as drawn: one of stages.h's, or stamp -> client in one. */
struct seg {
	int from, to; /* points */
	const char *name;
	uint32_t rgb;
	const struct r3d_dist *d;
};

static size_t segments(const struct r3d_client_report *r, struct seg *out)
{
	size_t n = 0;
	bool source = false;
	for (int k = 0; k < R3D_PT_FIRST_CLIENT; k++)
		source |= r->stage[k].n > 0;
	if (!source && r->to_client.n)
		out[n++] = (struct seg){ R3D_PT_STAMP, R3D_PT_IN, "source+network", TO_CLIENT_RGB,
					 &r->to_client };
	for (int k = source ? 0 : R3D_PT_FIRST_CLIENT; k < R3D_STAGES; k++)
		if (r->stage[k].n)
			out[n++] = (struct seg){ k, k + 1, r3d_stage_info[k].name,
						 r3d_stage_info[k].rgb, &r->stage[k] };
	return n;
}

struct axis {
	double max_ms;
	int x0, x1;
};

/* the axis' end: the first tick at or after max_ms */
static double axis_max(double max_ms)
{
	double step = r3d_nice_step(max_ms / 8);
	double end = ceil(max_ms / step) * step;
	return end > 0 ? end : 1;
}

static int x_at(const struct axis *a, double ms)
{
	if (ms < 0)
		ms = 0;
	return a->x0 + (int)lround(ms / a->max_ms * (a->x1 - a->x0));
}

static void draw_axis(struct r3d_canvas *c, const struct axis *a, int y0, int y1, const char *label)
{
	char buf[32];
	double step = r3d_nice_step(a->max_ms / 10);
	for (double v = 0; v <= a->max_ms + 1e-9; v += step) {
		int x = x_at(a, v);
		r3d_canvas_fill(c, x, y0, x + 1, y1, GRID);
		r3d_canvas_fill(c, x, y1, x + 1, y1 + 5, BLACK);
		r3d_format_tick(buf, sizeof(buf), v, step);
		r3d_canvas_text_centred(c, x, y1 + 8, buf, 1, TEXT);
	}
	r3d_canvas_fill(c, a->x0, y1, a->x1, y1 + 1, BLACK);
	r3d_canvas_text(c, a->x1 - r3d_canvas_text_width(label, 1), y1 + 22, label, 1, LIGHT, false);
}

/* One stacked bar of the stages' p50 (or p95) and the measured total. */
static void stacked_bar(struct r3d_canvas *c, const struct axis *a, int y, const struct seg *s,
			size_t n, bool p95, double measured)
{
	char buf[48];
	double at = 0;
	for (size_t i = 0; i < n; i++) {
		double v = p95 ? s[i].d->p95 : s[i].d->p50;
		int xa = x_at(a, at), xb = x_at(a, at + v);
		r3d_canvas_fill(c, xa, y, xb > xa ? xb : xa + 1, y + BAR_H, s[i].rgb);
		snprintf(buf, sizeof(buf), "%.1f", v);
		if (r3d_canvas_text_width(buf, 1) + 4 <= xb - xa)
			r3d_canvas_text_centred(c, (xa + xb) / 2, y + BAR_H / 2 - 4, buf, 1, BLACK);
		at += v;
	}
	snprintf(buf, sizeof(buf), "%s", p95 ? "p95" : "p50");
	r3d_canvas_text(c, X0 - 12 - r3d_canvas_text_width(buf, 2), y + BAR_H / 2 - 8, buf, 2, BLACK,
			false);
	/* the end-to-end figure itself: stages' percentiles do not add up to
	 * it; its label goes right of both the bar and the mark */
	int xm = x_at(a, measured), xe = x_at(a, at);
	r3d_canvas_fill(c, xm - 1, y - 6, xm + 2, y + BAR_H + 6, BLACK);
	snprintf(buf, sizeof(buf), "end to end %.1f (stages add up to %.1f)", measured, at);
	int tx = (xm > xe ? xm : xe) + 8;
	if (tx + r3d_canvas_text_width(buf, 1) > W - 4)
		tx = W - 4 - r3d_canvas_text_width(buf, 1);
	r3d_canvas_text(c, tx, y + BAR_H / 2 - 4, buf, 1, BLACK, false);
}

static void legend(struct r3d_canvas *c, const struct seg *s, size_t n)
{
	int x = X0, y = LEGEND_Y;
	for (size_t i = 0; i < n; i++) {
		int w = 18 + r3d_canvas_text_width(s[i].name, 1) + 22;
		if (x + w > X1) {
			x = X0;
			y += 20;
		}
		r3d_canvas_fill(c, x, y, x + 14, y + 12, s[i].rgb);
		r3d_canvas_text(c, x + 18, y + 2, s[i].name, 1, TEXT, false);
		x += w;
	}
}

/* Frames that know every drawn point: up to FALL_ROWS of them from the
 * middle of the run, as indices into recs. Returns how many. */
static size_t waterfall_rows(const struct r3d_frame_rec *recs, size_t n, const struct seg *s,
			     size_t ns, size_t rows[FALL_ROWS])
{
	size_t complete = 0, skip, m = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t seen = 0;
		skip = complete > FALL_ROWS ? (complete - FALL_ROWS) / 2 : 0;
		for (size_t i = 0; i < n && m < FALL_ROWS; i++) {
			bool all = true;
			for (size_t k = 0; k < ns && all; k++)
				all = recs[i].at[s[k].from] && recs[i].at[s[k].to];
			if (!all)
				continue;
			if (pass == 0)
				complete++;
			else if (seen++ >= skip)
				rows[m++] = i;
		}
	}
	return m;
}

static void waterfall(struct r3d_canvas *c, const struct r3d_frame_rec *recs, size_t n,
		      const struct seg *s, size_t ns)
{
	size_t rows[FALL_ROWS];
	size_t m = waterfall_rows(recs, n, s, ns, rows);
	char buf[64];
	int fh = r3d_canvas_font_height();

	r3d_canvas_text(c, 20, FALL_Y0 - 26, "frames through the stages (one row per frame, "
			"time from the first row's render start)", 1, BLACK, false);
	if (m == 0) {
		r3d_canvas_text_centred(c, W / 2, (FALL_Y0 + FALL_Y1) / 2,
					"no frame has every stage's times", 2, LIGHT);
		return;
	}
	uint64_t t0 = recs[rows[0]].at[s[0].from], t1 = t0;
	for (size_t i = 0; i < m; i++)
		if (recs[rows[i]].at[s[ns - 1].to] > t1)
			t1 = recs[rows[i]].at[s[ns - 1].to];
	struct axis a = { axis_max((double)(t1 - t0) / 1000.0), X0, X1 };
	draw_axis(c, &a, FALL_Y0, FALL_Y1, "ms");
	int row_h = (FALL_Y1 - FALL_Y0) / FALL_ROWS;
	for (size_t i = 0; i < m; i++) {
		const struct r3d_frame_rec *f = &recs[rows[i]];
		int y = FALL_Y0 + (int)i * row_h + 2;
		for (size_t k = 0; k < ns; k++) {
			double a_ms = ((double)f->at[s[k].from] - (double)t0) / 1000.0;
			double b_ms = ((double)f->at[s[k].to] - (double)t0) / 1000.0;
			int xa = x_at(&a, a_ms), xb = x_at(&a, b_ms);
			r3d_canvas_fill(c, xa, y, xb > xa ? xb : xa + 1, y + row_h - 4, s[k].rgb);
		}
		snprintf(buf, sizeof(buf), "%u", f->frame);
		r3d_canvas_text(c, X0 - 8 - r3d_canvas_text_width(buf, 1), y + (row_h - 4 - fh) / 2,
				buf, 1, TEXT, false);
	}
	r3d_canvas_text(c, 20, (FALL_Y0 + FALL_Y1) / 2 + r3d_canvas_text_width("frame", 2) / 2,
			"frame", 2, BLACK, true);
}

bool r3d_plot_stages_png(const struct r3d_client_report *r, const struct r3d_frame_rec *recs,
			 size_t n, const char *path, char **why)
{
	struct r3d_canvas c;
	struct seg s[R3D_STAGES + 1];
	char buf[256];

	*why = NULL;
	if (!r3d_canvas_init(&c, W, H)) {
		*why = strdup("out of memory");
		return false;
	}
	size_t ns = segments(r, s);
	r3d_canvas_text_centred(&c, W / 2, 12, "Where a frame's time goes: render to display", 2,
				BLACK);
	snprintf(buf, sizeof(buf), "%s: %llu frames, %.1f fps; stamp-to-display p50 %.1f ms, "
		 "p95 %.1f ms%s", r->uri, (unsigned long long)r->frames, r->fps, r->latency.p50,
		 r->latency.p95, r->source_joined ? "" : " (no --source-frames: source in one)");
	r3d_canvas_text_centred(&c, W / 2, 44, buf, 1, TEXT);
	if (ns == 0) {
		r3d_canvas_text_centred(&c, W / 2, H / 2, "no stage times (no stamped frames?)", 2,
					LIGHT);
	} else {
		double total = 0;
		for (size_t i = 0; i < ns; i++)
			total += s[i].d->p95;
		if (r->latency.p95 > total)
			total = r->latency.p95;
		/* room on the right for the end-to-end labels */
		struct axis a = { axis_max(total * 1.45), X0, X1 };
		r3d_canvas_text(&c, 20, BAR_Y - 30, "each stage's p50 and p95, stacked; the black "
				"mark is the measured end-to-end figure", 1, BLACK, false);
		draw_axis(&c, &a, BAR_Y - 8, BAR_Y + 2 * BAR_H + BAR_GAP + 6, "ms");
		stacked_bar(&c, &a, BAR_Y, s, ns, false, r->latency.p50);
		stacked_bar(&c, &a, BAR_Y + BAR_H + BAR_GAP, s, ns, true, r->latency.p95);
		legend(&c, s, ns);
		waterfall(&c, recs, n, s, ns);
	}
	bool ok = r3d_canvas_write_png(&c, path, why);
	r3d_canvas_free(&c);
	return ok;
}
