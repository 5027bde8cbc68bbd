/*
 * remote3d-client — did the picture change where we look?
 *
 * The key-to-glyph probe keeps a copy of the watched rectangle as it was
 * when a key was sent and counts, in each later display update, the pixels
 * that now differ from it: a pixel counts when one of its three colour
 * channels moved by more than `delta` (codec noise moves them by a few
 * units; a glyph by a hundred), pixels inside an ignored rectangle (a clock,
 * a blinking cursor) never count, and the picture has changed once at least
 * `threshold` pixels count. Pure logic on 32-bit pixels (B, G, R, x).
 */
#ifndef REMOTE3D_CLIENT_PIXEL_CHANGE_H
#define REMOTE3D_CLIENT_PIXEL_CHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remote3d/frame.h" /* struct r3d_rect */
#include "stamp.h" /* struct r3d_image_view */

#define R3D_CHANGE_MAX_IGNORE 16
#define R3D_CHANGE_DEFAULT_DELTA 32
#define R3D_CHANGE_DEFAULT_THRESHOLD 8

struct r3d_change_params {
	struct r3d_rect watch;  /* width == 0: the whole picture */
	struct r3d_rect ignore[R3D_CHANGE_MAX_IGNORE];
	size_t n_ignore;
	int delta;              /* per channel, 0..254: a change is more than this */
	uint64_t threshold;     /* changed pixels that make a change, >= 1 */
};

/* "X,Y,W,H": whole decimal numbers, X, Y >= 0, W, H >= 1, X+W and Y+H at
 * most 65536. */
bool r3d_change_parse_rect(const char *s, struct r3d_rect *out);
struct r3d_rect r3d_change_intersect(struct r3d_rect a, struct r3d_rect b);
bool r3d_change_rect_inside(struct r3d_rect r, int width, int height);

/* The watch rectangle for a width x height picture (the whole of it when
 * watch.width == 0), clipped to it. */
struct r3d_rect r3d_change_watch(const struct r3d_change_params *p, int width, int height);

/* Copy the watch rectangle of img (from r3d_change_watch) into base, packed
 * (stride watch.width * 4). */
void r3d_change_snapshot(const struct r3d_image_view *img, struct r3d_rect watch, uint8_t *base);

/* Count the changed pixels of img inside area ∩ watch (outside the ignored
 * rectangles) against base, the snapshot of watch. Returns whether the
 * count reaches the threshold; *changed gets the count. */
bool r3d_change_check(const struct r3d_change_params *p, const struct r3d_image_view *img,
		      struct r3d_rect watch, const uint8_t *base, struct r3d_rect area,
		      uint64_t *changed);

#endif
