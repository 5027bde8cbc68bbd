#include <string.h>

#include "stamp.h"

/* CRC-16/CCITT-FALSE of the payload (stamp.h) */
static uint16_t crc16(const uint8_t *data, size_t len)
{
	uint16_t crc = 0xFFFF;
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)data[i] << 8;
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

static void payload_bytes(uint32_t frame, uint64_t time_us, uint8_t out[12])
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(frame >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(time_us >> (56 - 8 * i));
}

static void put_bits(bool *cells, int *pos, uint64_t value, int nbits)
{
	for (int i = nbits - 1; i >= 0; i--)
		cells[(*pos)++] = (value >> i) & 1;
}

static uint64_t get_bits(const bool *cells, int *pos, int nbits)
{
	uint64_t v = 0;
	for (int i = 0; i < nbits; i++)
		v = (v << 1) | (cells[(*pos)++] ? 1 : 0);
	return v;
}

void r3d_stamp_cells(const struct r3d_stamp *stamp, bool cells[R3D_STAMP_BITS])
{
	uint8_t payload[12];
	int pos = 0;

	payload_bytes(stamp->frame, stamp->time_us, payload);
	put_bits(cells, &pos, R3D_STAMP_MAGIC, 16);
	put_bits(cells, &pos, stamp->frame, 32);
	put_bits(cells, &pos, stamp->time_us, 64);
	put_bits(cells, &pos, crc16(payload, sizeof(payload)), 16);
}

void r3d_stamp_draw_32(uint8_t *data, int width, int height, int stride,
		       int x, int y, const struct r3d_stamp *stamp)
{
	bool cells[R3D_STAMP_BITS];

	if (!data || width <= 0 || height <= 0 || (int64_t)stride < (int64_t)width * 4)
		return;
	r3d_stamp_cells(stamp, cells);
	for (int py = 0; py < R3D_STAMP_HEIGHT; py++) {
		int64_t iy = (int64_t)y + py; /* y near INT_MAX must not wrap */
		if (iy < 0 || iy >= height)
			continue;
		uint8_t *row = data + (size_t)iy * (size_t)stride;
		for (int px = 0; px < R3D_STAMP_WIDTH; px++) {
			int64_t ix = (int64_t)x + px;
			if (ix < 0 || ix >= width)
				continue;
			int cell = (py / R3D_STAMP_CELL) * R3D_STAMP_COLS + px / R3D_STAMP_CELL;
			memset(row + (size_t)ix * 4, cells[cell] ? 0xFF : 0x00, 4);
		}
	}
}

/* A view whose every pixel can be read: rows at least width * bpp bytes. */
static bool view_ok(const struct r3d_image_view *img)
{
	return img && img->data && (img->bpp == 1 || img->bpp == 3 || img->bpp == 4) &&
	       img->width > 0 && img->height > 0 &&
	       (int64_t)img->stride >= (int64_t)img->width * img->bpp;
}

static int luma(const struct r3d_image_view *img, int x, int y)
{
	const uint8_t *p = img->data + (size_t)y * (size_t)img->stride + (size_t)x * (size_t)img->bpp;
	if (img->bpp < 3)
		return p[0];
	return (p[0] + p[1] + p[2]) / 3;
}

/* Cell sizes are in 1/256 pixel so that a stamp shown scaled (a client
 * window smaller than the picture) can be read too. */
#define Q8 256

/* Average of the central half of a cell, so that ringing at the edges of
 * compressed blocks and a pixel of misalignment do not matter. */
static bool cell_white(const struct r3d_image_view *img, int x, int y, int cell_q8,
		       int col, int row)
{
	int x0 = x + (col * cell_q8 + cell_q8 / 4) / Q8, x1 = x + (col * cell_q8 + 3 * cell_q8 / 4) / Q8;
	int y0 = y + (row * cell_q8 + cell_q8 / 4) / Q8, y1 = y + (row * cell_q8 + 3 * cell_q8 / 4) / Q8;
	int sum = 0, n = 0;
	if (x1 <= x0)
		x1 = x0 + 1;
	if (y1 <= y0)
		y1 = y0 + 1;
	for (int py = y0; py < y1; py++)
		for (int px = x0; px < x1; px++, n++)
			sum += luma(img, px, py);
	return sum > 128 * n;
}

static bool read_scaled(const struct r3d_image_view *img, int x, int y, int cell_q8,
			struct r3d_stamp *out)
{
	bool cells[R3D_STAMP_BITS];
	uint8_t payload[12];
	int pos = 0;

	if (!view_ok(img))
		return false;
	/* in 64 bits: x or y near INT_MAX must not wrap to inside the image */
	if (x < 0 || y < 0 || (int64_t)x + (R3D_STAMP_COLS * cell_q8 + Q8 - 1) / Q8 > img->width ||
	    (int64_t)y + (R3D_STAMP_ROWS * cell_q8 + Q8 - 1) / Q8 > img->height)
		return false;

	/* the magic is in the first 16 cells: check those before the rest */
	for (int i = 0; i < R3D_STAMP_BITS; i++) {
		cells[i] = cell_white(img, x, y, cell_q8, i % R3D_STAMP_COLS, i / R3D_STAMP_COLS);
		if (i == 15 && get_bits(cells, &pos, 16) != R3D_STAMP_MAGIC)
			return false;
	}
	uint32_t frame = (uint32_t)get_bits(cells, &pos, 32);
	uint64_t time_us = get_bits(cells, &pos, 64);
	uint16_t crc = (uint16_t)get_bits(cells, &pos, 16);
	payload_bytes(frame, time_us, payload);
	if (crc != crc16(payload, sizeof(payload)))
		return false;
	if (out) {
		out->frame = frame;
		out->time_us = time_us;
	}
	return true;
}

bool r3d_stamp_read(const struct r3d_image_view *img, int x, int y,
		    struct r3d_stamp *out)
{
	return read_scaled(img, x, y, R3D_STAMP_CELL * Q8, out);
}

/* Scan every position for one cell size. The first hit is up to half a cell
 * up and left of the stamp: report the middle of the run that reads. */
static bool find_at_scale(const struct r3d_image_view *img, int cell_q8,
			  struct r3d_stamp *out, int *x, int *y)
{
	int w = (R3D_STAMP_COLS * cell_q8 + Q8 - 1) / Q8, h = (R3D_STAMP_ROWS * cell_q8 + Q8 - 1) / Q8;
	int half = cell_q8 / 2 / Q8, third = (5 * cell_q8 / 2) / Q8;

	for (int py = 0; py + h <= img->height; py++) {
		for (int px = 0; px + w <= img->width; px++) {
			/* cheap reject: the first magic cell is white, the third black */
			if (luma(img, px + half, py + half) < 128 ||
			    luma(img, px + third, py + half) >= 128)
				continue;
			if (!read_scaled(img, px, py, cell_q8, out))
				continue;
			int ex = px, ey = py, cell = cell_q8 / Q8;
			while (ex + 1 - px < cell && read_scaled(img, ex + 1, py, cell_q8, NULL))
				ex++;
			while (ey + 1 - py < cell && read_scaled(img, px, ey + 1, cell_q8, NULL))
				ey++;
			if (x)
				*x = (px + ex + 1) / 2;
			if (y)
				*y = (py + ey + 1) / 2;
			return true;
		}
	}
	return false;
}

bool r3d_stamp_find(const struct r3d_image_view *img, struct r3d_stamp *out,
		    int *x, int *y, int *cell_px)
{
	if (!view_ok(img))
		return false;
	/* unscaled first, then larger and smaller cells in quarter-pixel steps */
	for (int i = 0; i <= 4 * (R3D_STAMP_CELL * 2 - R3D_STAMP_CELL / 4); i++) {
		int q = R3D_STAMP_CELL * Q8 + ((i & 1) ? -1 : 1) * ((i + 1) / 2) * (Q8 / 4);
		if (q < R3D_STAMP_CELL * Q8 / 4 || q > R3D_STAMP_CELL * Q8 * 2)
			continue;
		if (find_at_scale(img, q, out, x, y)) {
			if (cell_px)
				*cell_px = (q + Q8 / 2) / Q8;
			return true;
		}
	}
	return false;
}
