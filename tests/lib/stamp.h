/*
 * remote3d — frame stamps that survive H.264.
 *
 * Every test frame (remote3d-testsrc, the guest probe) carries its frame
 * number and its render time as a grid of large black and white cells at a
 * known place (the top-left corner). A receiver reads them back from the
 * decoded picture, which gives per-frame latency on one clock and frames
 * missing from the sequence, without any side channel.
 *
 * Layout: R3D_STAMP_COLS x R3D_STAMP_ROWS cells of R3D_STAMP_CELL pixels,
 * 128 bits in row-major order, most significant bit first:
 *   16 bits magic (R3D_STAMP_MAGIC), 32 bits frame number,
 *   64 bits time in microseconds (CLOCK_MONOTONIC), 16 bits CRC-16/CCITT
 *   of the 12 payload bytes (frame, time; big-endian).
 * A white cell is a 1, a black cell a 0.
 */
#ifndef R3D_TESTS_LIB_STAMP_H
#define R3D_TESTS_LIB_STAMP_H

#include <stdbool.h>
#include <stdint.h>

#define R3D_STAMP_CELL 16
#define R3D_STAMP_COLS 32
#define R3D_STAMP_ROWS 4
#define R3D_STAMP_BITS (R3D_STAMP_COLS * R3D_STAMP_ROWS)
#define R3D_STAMP_WIDTH (R3D_STAMP_CELL * R3D_STAMP_COLS)
#define R3D_STAMP_HEIGHT (R3D_STAMP_CELL * R3D_STAMP_ROWS)
#define R3D_STAMP_MAGIC 0xD35Au

struct r3d_stamp {
	uint32_t frame;
	uint64_t time_us;
};

/* A read-only view of a CPU image: 1 byte per pixel (a luma plane) or
 * 3/4 bytes per pixel (RGB-like; the first three bytes are averaged). */
struct r3d_image_view {
	const uint8_t *data;
	int width, height;
	int stride; /* bytes per row */
	int bpp;    /* bytes per pixel: 1, 3 or 4 */
};

/* The 128 cells of a stamp: cells[i] is true for white. Cell i sits at
 * column i % R3D_STAMP_COLS, row i / R3D_STAMP_COLS. */
void r3d_stamp_cells(const struct r3d_stamp *stamp, bool cells[R3D_STAMP_BITS]);

/* Draw a stamp into a 32-bit-per-pixel image (any channel order) with its
 * top-left corner at (x, y). Pixels outside the image are not touched. */
void r3d_stamp_draw_32(uint8_t *data, int width, int height, int stride,
		       int x, int y, const struct r3d_stamp *stamp);

/* Read a stamp whose top-left corner is at (x, y). Returns false when the
 * cells there do not hold a stamp (no magic, bad CRC, out of the image). */
bool r3d_stamp_read(const struct r3d_image_view *img, int x, int y,
		    struct r3d_stamp *out);

/* Search the image for a stamp (e.g. a screenshot of a client window, where
 * the picture is not at the origin and may be shown scaled: cells of 4 to
 * 32 pixels are tried, unscaled first). On success stores the stamp, its
 * position (exact to a quarter cell) and the cell size found in pixels; any
 * of the pointers may be NULL. */
bool r3d_stamp_find(const struct r3d_image_view *img, struct r3d_stamp *out,
		    int *x, int *y, int *cell_px);

#endif
