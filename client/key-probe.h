/*
 * remote3d-client — input-to-photon probe.
 *
 * Presses a key through the SPICE inputs channel and waits until the input
 * marker of the scene (tests/lib/scene.h: a block right of the stamp that the
 * source recolours on each key press) changes colour in the displayed
 * picture. One clock: the client's CLOCK_MONOTONIC at the press and at the
 * display update that shows the change.
 */
#ifndef REMOTE3D_CLIENT_KEY_PROBE_H
#define REMOTE3D_CLIENT_KEY_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <spice-client.h>

#include "report.h"
#include "stamp.h"

struct r3d_key_probe;

/* keys presses, interval_ms apart (measured from the previous answer). */
struct r3d_key_probe *r3d_key_probe_create(int keys, int interval_ms, char **why);
void r3d_key_probe_destroy(struct r3d_key_probe *p); /* NULL ok */

/* A display update of the rectangle (x, y, w, h) at time t. */
void r3d_key_probe_update(struct r3d_key_probe *p, const struct r3d_image_view *view,
			  int x, int y, int w, int h, uint64_t t);
/* Called periodically once frames flow: sends the next press when due. */
void r3d_key_probe_tick(struct r3d_key_probe *p, SpiceInputsChannel *inputs, uint64_t t);
bool r3d_key_probe_done(const struct r3d_key_probe *p);
/* Latencies of the answered presses; returns the presses sent. */
uint64_t r3d_key_probe_result(struct r3d_key_probe *p, struct r3d_dist *out);

#endif
