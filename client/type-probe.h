/*
 * remote3d-client — key-to-glyph probe (--type TEXT).
 *
 * Types TEXT through the SPICE inputs channel, one key at a time, and times
 * each key from its press to the first display update whose pixels changed
 * inside the watched rectangle (pixel-change.h: against a copy taken when
 * the key went down). One clock: the client's CLOCK_MONOTONIC. The next key
 * goes `interval_ms` after the previous one was answered (or given up as
 * missed after `timeout_ms`), so that every change belongs to one key. A
 * key is held for about 30 ms, as a quick typist's is, then released (a
 * key held until its echo would auto-repeat in a guest's X server).
 */
#ifndef REMOTE3D_CLIENT_TYPE_PROBE_H
#define REMOTE3D_CLIENT_TYPE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice-client.h>

#include "keymap.h"
#include "pixel-change.h"
#include "report.h"

struct r3d_type_params {
	int interval_ms;
	int timeout_ms;
	struct r3d_change_params change;
	bool debug;
};

struct r3d_type_result {
	size_t keys, sent, answered, missed;
	struct r3d_dist latency; /* key-to-glyph of the answered keys */
};

struct r3d_type_probe;

/* Copies keys[0..n) and params; NULL when out of memory. */
struct r3d_type_probe *r3d_type_probe_create(const struct r3d_key_stroke *keys, size_t n,
					     const struct r3d_type_params *params);
void r3d_type_probe_destroy(struct r3d_type_probe *p); /* NULL ok */

/* A display update of (x, y, w, h) at time t; view is the whole picture. */
void r3d_type_probe_update(struct r3d_type_probe *p, const struct r3d_image_view *view,
			   int x, int y, int w, int h, uint64_t t);
/* Periodically, once a picture is shown and inputs is ready: releases the
 * held key, gives up on an unanswered one, sends the next one when due. */
void r3d_type_probe_tick(struct r3d_type_probe *p, SpiceInputsChannel *inputs,
			 const struct r3d_image_view *view, uint64_t t);
bool r3d_type_probe_done(const struct r3d_type_probe *p);

void r3d_type_probe_result(const struct r3d_type_probe *p, struct r3d_type_result *out);
/* One row per key: index,char,scancode,shift,sent_us,glyph_us,latency_ms,
 * changed_pixels (glyph_us and latency_ms empty for a missed key). */
bool r3d_type_probe_write_csv(const struct r3d_type_probe *p, const char *path);
/* The histogram of the latencies (plot.h); false with *why (malloc'ed). */
bool r3d_type_probe_plot(const struct r3d_type_probe *p, const char *path, char **why);

#endif
