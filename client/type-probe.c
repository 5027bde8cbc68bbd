#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"
#include "type-probe.h"

#define PROG "remote3d-client"
#define HOLD_US 30000

struct key_rec {
	struct r3d_key_stroke key;
	uint64_t sent_us, glyph_us;
	uint64_t changed;    /* pixels changed at the answer; the most seen when missed */
	bool answered, missed;
};

struct r3d_type_probe {
	struct r3d_type_params params;
	struct key_rec *recs;
	size_t n, next;      /* keys; the next one to send */
	bool waiting;        /* recs[next - 1] sent, not answered yet */
	bool held;           /* recs[next - 1] is down (with Shift when it needs it) */
	uint64_t next_us;    /* earliest time of the next key, 0 = not set */
	SpiceInputsChannel *held_on;
	struct r3d_rect watch, dirty;   /* watched at the press; updated since */
	uint8_t *base;       /* the watch rectangle at the press */
	size_t base_size;
};

struct r3d_type_probe *r3d_type_probe_create(const struct r3d_key_stroke *keys, size_t n,
					     const struct r3d_type_params *params)
{
	struct r3d_type_probe *p = calloc(1, sizeof(*p));

	if (!p || !(p->recs = calloc(n ? n : 1, sizeof(*p->recs)))) {
		free(p);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		p->recs[i].key = keys[i];
	p->n = n;
	p->params = *params;
	return p;
}

void r3d_type_probe_destroy(struct r3d_type_probe *p)
{
	if (!p)
		return;
	free(p->base);
	free(p->recs);
	free(p);
}

void r3d_type_probe_update(struct r3d_type_probe *p, const struct r3d_image_view *view,
			   int x, int y, int w, int h, uint64_t t)
{
	struct r3d_rect upd = { x, y, w, h };
	struct key_rec *k;
	uint64_t changed = 0;

	if (!p->waiting || w <= 0 || h <= 0)
		return;
	k = &p->recs[p->next - 1];
	p->dirty = r3d_rect_union(p->dirty, upd);
	if (r3d_change_intersect(upd, p->watch).width == 0)
		return;
	/* everything updated since the press: a change may come in pieces */
	bool seen = r3d_change_check(&p->params.change, view, p->watch, p->base, p->dirty, &changed);
	if (changed > k->changed)
		k->changed = changed;
	if (!seen)
		return;
	k->changed = changed;
	k->glyph_us = t;
	k->answered = true;
	p->waiting = false;
	p->next_us = t + (uint64_t)p->params.interval_ms * 1000u;
	if (p->params.debug)
		fprintf(stderr, PROG ": debug: key %zu answered after %.1f ms (%" PRIu64 " pixels)\n",
			p->next, (double)(t - k->sent_us) / 1000.0, changed);
}

static void release(struct r3d_type_probe *p)
{
	const struct r3d_key_stroke *key = &p->recs[p->next - 1].key;

	if (p->held_on) {
		spice_inputs_channel_key_release(p->held_on, key->scancode);
		if (key->shift)
			spice_inputs_channel_key_release(p->held_on, R3D_SCANCODE_LSHIFT);
	}
	p->held = false;
	p->held_on = NULL;
}

static bool press(struct r3d_type_probe *p, SpiceInputsChannel *inputs,
		  const struct r3d_image_view *view, uint64_t t)
{
	struct key_rec *k = &p->recs[p->next];
	struct r3d_rect watch = r3d_change_watch(&p->params.change, view->width, view->height);
	size_t size = (size_t)watch.width * (size_t)watch.height * 4;

	if (size == 0)
		return false; /* nothing to watch in this picture (yet) */
	if (size > p->base_size) {
		uint8_t *base = realloc(p->base, size);

		if (!base)
			return false;
		p->base = base;
		p->base_size = size;
	}
	r3d_change_snapshot(view, watch, p->base);
	p->watch = watch;
	p->dirty = (struct r3d_rect){ 0, 0, 0, 0 };
	if (k->key.shift)
		spice_inputs_channel_key_press(inputs, R3D_SCANCODE_LSHIFT);
	k->sent_us = t;
	spice_inputs_channel_key_press(inputs, k->key.scancode);
	p->next++;
	p->waiting = p->held = true;
	p->held_on = inputs;
	return true;
}

void r3d_type_probe_tick(struct r3d_type_probe *p, SpiceInputsChannel *inputs,
			 const struct r3d_image_view *view, uint64_t t)
{
	if (p->held && t - p->recs[p->next - 1].sent_us >= HOLD_US)
		release(p);
	if (p->waiting && t - p->recs[p->next - 1].sent_us >= (uint64_t)p->params.timeout_ms * 1000u) {
		struct key_rec *k = &p->recs[p->next - 1];
		char name[2];

		fprintf(stderr, PROG ": key %zu '%s' (scancode 0x%02x%s): no change in the watched "
			"area within %d ms (at most %" PRIu64 " pixels changed, --threshold %" PRIu64
			"): missed\n", p->next, r3d_keymap_name(k->key.ch, name), k->key.scancode,
			k->key.shift ? " with shift" : "", p->params.timeout_ms, k->changed,
			p->params.change.threshold);
		k->missed = true;
		p->waiting = false;
		p->next_us = t + (uint64_t)p->params.interval_ms * 1000u;
	}
	if (p->next_us == 0) /* the first picture may still be settling */
		p->next_us = t + (uint64_t)p->params.interval_ms * 1000u;
	if (p->waiting || p->held || p->next >= p->n || t < p->next_us)
		return;
	if (press(p, inputs, view, t) && p->params.debug)
		fprintf(stderr, PROG ": debug: key %zu (0x%02x%s) at %" PRIu64 " us\n", p->next,
			p->recs[p->next - 1].key.scancode,
			p->recs[p->next - 1].key.shift ? "+shift" : "", t);
}

bool r3d_type_probe_done(const struct r3d_type_probe *p)
{
	return p->next >= p->n && !p->waiting && !p->held;
}

/* The answered keys' latencies, malloc'ed (n may be 0). */
static double *latencies(const struct r3d_type_probe *p, size_t *n)
{
	double *v = malloc((p->n ? p->n : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (p->recs[i].answered)
			v[(*n)++] = (double)(p->recs[i].glyph_us - p->recs[i].sent_us) / 1000.0;
	return v;
}

void r3d_type_probe_result(const struct r3d_type_probe *p, struct r3d_type_result *out)
{
	size_t n = 0;
	double *v = latencies(p, &n);

	*out = (struct r3d_type_result){ .keys = p->n };
	for (size_t i = 0; i < p->n; i++) {
		out->sent += p->recs[i].sent_us != 0;
		out->missed += p->recs[i].missed;
	}
	out->answered = n;
	r3d_dist_compute(&out->latency, v, v ? n : 0);
	free(v);
}

bool r3d_type_probe_write_csv(const struct r3d_type_probe *p, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fprintf(f, "index,char,scancode,shift,sent_us,glyph_us,latency_ms,changed_pixels\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct key_rec *k = &p->recs[i];
		char name[2];

		fprintf(f, "%zu,%s,0x%02x,%d,", i + 1, r3d_keymap_name(k->key.ch, name),
			k->key.scancode, k->key.shift);
		if (k->sent_us)
			fprintf(f, "%" PRIu64, k->sent_us);
		fputc(',', f);
		if (k->answered)
			fprintf(f, "%" PRIu64 ",%.3f", k->glyph_us,
				(double)(k->glyph_us - k->sent_us) / 1000.0);
		else
			fputc(',', f);
		fprintf(f, ",%" PRIu64 "\n", k->changed);
	}
	bool ok = !ferror(f);
	return (fclose(f) == 0) && ok;
}

bool r3d_type_probe_plot(const struct r3d_type_probe *p, const char *path, char **why)
{
	struct r3d_type_result r;
	size_t n = 0;
	double *v = latencies(p, &n);
	char title[160], subtitle[200];

	if (!v) {
		*why = strdup("out of memory");
		return false;
	}
	r3d_type_probe_result(p, &r);
	if (n)
		snprintf(title, sizeof(title), "key-to-glyph latency: p50 %.1f ms, p95 %.1f ms",
			 r.latency.p50, r.latency.p95);
	else
		snprintf(title, sizeof(title), "key-to-glyph latency: no key answered");
	snprintf(subtitle, sizeof(subtitle),
		 "%zu keys typed, %zu answered, %zu missed; p99 %.1f, min %.1f, max %.1f ms",
		 r.sent, r.answered, r.missed, r.latency.p99, r.latency.min, r.latency.max);
	struct r3d_histogram h = {
		.values = v, .n = n,
		.title = title, .subtitle = subtitle,
		.xlabel = "key-to-glyph latency (ms): key press sent -> first changed picture",
		.ylabel = "keys",
		.marks = { { r.latency.p50, "p50", 0x1f77b4 }, { r.latency.p95, "p95", 0xd62728 } },
		.n_marks = n ? 2 : 0,
	};
	bool ok = r3d_plot_histogram_png(&h, path, why);
	free(v);
	return ok;
}
