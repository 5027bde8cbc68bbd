/*
 * r3d-probe — what each frame shows (picture coordinates, origin top-left):
 *  - an animated scene: a lit cube that rotates and travels across a
 *    background gradient that shifts with time (every pixel changes);
 *  - the frame stamp (tests/lib/stamp.h) at (0, 0): frame number and render
 *    time, CLOCK_MONOTONIC microseconds of the GUEST;
 *  - the input stamp at (0, R3D_STAMP_HEIGHT): same format, "frame" is the
 *    number of key presses seen so far, time the guest time of the last one;
 *  - the input marker, the same convention as remote3d-testsrc (tests/lib/scene.h):
 *    R3D_SCENE_MARKER_SIZE pixels square at (R3D_SCENE_MARKER_X,
 *    R3D_SCENE_MARKER_Y); value = key presses: 0 black, odd white, else
 *    red/green/blue by value % 3.
 * Stamps and marker are drawn with glScissor + glClear, cell by cell.
 */
#ifndef R3D_PROBE_RENDER_H
#define R3D_PROBE_RENDER_H

#include <stdbool.h>
#include <stdint.h>

struct probe_render;

struct probe_render *probe_render_create(int width, int height);
void probe_render_destroy(struct probe_render *r); /* NULL ok */

/* Draw frame `frame` at guest time `time_us`; `presses` key presses so far,
 * the last at guest time `press_us`. */
void probe_render_frame(struct probe_render *r, uint32_t frame, uint64_t time_us,
			uint32_t presses, uint64_t press_us);

#endif
