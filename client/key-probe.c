#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "key-probe.h"
#include "scene.h"

#define SCANCODE_SPACE 0x39     /* PC AT set 1, what spice sends */
#define ANSWER_TIMEOUT_US 3000000

enum probe_state { PROBE_IDLE, PROBE_WAITING, PROBE_DONE };

struct r3d_key_probe {
	int keys, sent, answered;
	uint64_t interval_us;
	enum probe_state state;
	int marker;          /* colour class shown now, -1 unknown */
	int baseline;        /* colour class when the key went down */
	uint64_t press_us, next_us;
	double *lat_ms;
	SpiceInputsChannel *pressed_on;
};

struct r3d_key_probe *r3d_key_probe_create(int keys, int interval_ms, char **why)
{
	struct r3d_key_probe *p = calloc(1, sizeof(*p));
	if (!p || !(p->lat_ms = calloc((size_t)keys, sizeof(double)))) {
		free(p);
		*why = g_strdup("out of memory");
		return NULL;
	}
	p->keys = keys;
	p->interval_us = (uint64_t)interval_ms * 1000u;
	p->marker = p->baseline = -1;
	return p;
}

void r3d_key_probe_destroy(struct r3d_key_probe *p)
{
	if (!p)
		return;
	free(p->lat_ms);
	free(p);
}

/* Colour class of the marker's centre: one bit per channel (bright or not). */
static int marker_class(const struct r3d_image_view *v)
{
	const int q = R3D_SCENE_MARKER_SIZE / 4;
	const int x0 = R3D_SCENE_MARKER_X + q, y0 = R3D_SCENE_MARKER_Y + q;
	if (x0 + 2 * q > v->width || y0 + 2 * q > v->height)
		return -1;
	uint64_t sum[3] = { 0, 0, 0 };
	for (int y = y0; y < y0 + 2 * q; y++) {
		const uint8_t *row = v->data + (size_t)y * (size_t)v->stride + (size_t)x0 * 4;
		for (int x = 0; x < 2 * q; x++)
			for (int ch = 0; ch < 3; ch++)
				sum[ch] += row[x * 4 + ch];
	}
	int cls = 0;
	for (int ch = 0; ch < 3; ch++)
		cls |= (sum[ch] / (uint64_t)(4 * q * q) > 128) << ch;
	return cls;
}

static void release(struct r3d_key_probe *p)
{
	if (p->pressed_on)
		spice_inputs_channel_key_release(p->pressed_on, SCANCODE_SPACE);
	p->pressed_on = NULL;
}

void r3d_key_probe_update(struct r3d_key_probe *p, const struct r3d_image_view *view,
			  int x, int y, int w, int h, uint64_t t)
{
	if (x >= R3D_SCENE_MARKER_X + R3D_SCENE_MARKER_SIZE || x + w <= R3D_SCENE_MARKER_X ||
	    y >= R3D_SCENE_MARKER_Y + R3D_SCENE_MARKER_SIZE || y + h <= R3D_SCENE_MARKER_Y)
		return;
	int cls = marker_class(view);
	if (getenv("R3D_DEBUG") && cls != p->marker)
		fprintf(stderr, "remote3d-client: debug: marker %d -> %d at %" PRIu64 " us\n", p->marker, cls, t);
	p->marker = cls;
	if (p->state == PROBE_WAITING && p->marker != p->baseline) {
		p->lat_ms[p->answered++] = (double)(t - p->press_us) / 1000.0;
		release(p);
		p->state = PROBE_IDLE;
		p->next_us = t + p->interval_us;
	}
}

void r3d_key_probe_tick(struct r3d_key_probe *p, SpiceInputsChannel *inputs, uint64_t t)
{
	if (p->state == PROBE_WAITING && t - p->press_us > ANSWER_TIMEOUT_US) {
		fprintf(stderr, "remote3d-client: key press %d: no marker change within %d ms\n",
			p->sent, ANSWER_TIMEOUT_US / 1000);
		release(p);
		p->state = PROBE_IDLE;
		p->next_us = t + p->interval_us;
	}
	if (p->state != PROBE_IDLE || t < p->next_us || p->marker < 0)
		return;
	if (p->sent == p->keys) {
		p->state = PROBE_DONE;
		return;
	}
	p->baseline = p->marker;
	p->press_us = t;
	p->sent++;
	p->pressed_on = inputs;
	spice_inputs_channel_key_press(inputs, SCANCODE_SPACE);
	if (getenv("R3D_DEBUG"))
		fprintf(stderr, "remote3d-client: debug: key press %d (marker %d) at %" PRIu64 " us\n", p->sent, p->marker, t);
	p->state = PROBE_WAITING;
}

bool r3d_key_probe_done(const struct r3d_key_probe *p)
{
	return p->state == PROBE_DONE;
}

uint64_t r3d_key_probe_result(struct r3d_key_probe *p, struct r3d_dist *out)
{
	r3d_dist_compute(out, p->lat_ms, (size_t)p->answered);
	return (uint64_t)p->sent;
}
