#include <string.h>

#include "remote3d/stamp.h"

uint16_t r3d_stamp_crc16(const uint8_t *data, size_t len)
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
	put_bits(cells, &pos, r3d_stamp_crc16(payload, sizeof(payload)), 16);
}

void r3d_stamp_draw_32(uint8_t *data, int width, int height, int stride,
		       int x, int y, const struct r3d_stamp *stamp)
{
	bool cells[R3D_STAMP_BITS];

	r3d_stamp_cells(stamp, cells);
	for (int py = 0; py < R3D_STAMP_HEIGHT; py++) {
		int iy = y + py;
		if (iy < 0 || iy >= height)
			continue;
		uint8_t *row = data + (size_t)iy * (size_t)stride;
		for (int px = 0; px < R3D_STAMP_WIDTH; px++) {
			int ix = x + px;
			if (ix < 0 || ix >= width)
				continue;
			int cell = (py / R3D_STAMP_CELL) * R3D_STAMP_COLS + px / R3D_STAMP_CELL;
			memset(row + (size_t)ix * 4, cells[cell] ? 0xFF : 0x00, 4);
		}
	}
}

static int luma(const struct r3d_image_view *img, int x, int y)
{
	const uint8_t *p = img->data + (size_t)y * (size_t)img->stride + (size_t)x * (size_t)img->bpp;
	if (img->bpp < 3)
		return p[0];
	return (p[0] + p[1] + p[2]) / 3;
}

/* Average of the central half of a cell, so that ringing at the edges of
 * compressed blocks and a pixel of misalignment do not matter. */
static bool cell_white(const struct r3d_image_view *img, int x, int y)
{
	const int q = R3D_STAMP_CELL / 4;
	int sum = 0, n = 0;
	for (int py = y + q; py < y + R3D_STAMP_CELL - q; py++)
		for (int px = x + q; px < x + R3D_STAMP_CELL - q; px++, n++)
			sum += luma(img, px, py);
	return sum > 128 * n;
}

bool r3d_stamp_read(const struct r3d_image_view *img, int x, int y,
		    struct r3d_stamp *out)
{
	bool cells[R3D_STAMP_BITS];
	uint8_t payload[12];
	int pos = 0;

	if (!img || !img->data || (img->bpp != 1 && img->bpp != 3 && img->bpp != 4))
		return false;
	if (x < 0 || y < 0 || x + R3D_STAMP_WIDTH > img->width ||
	    y + R3D_STAMP_HEIGHT > img->height)
		return false;

	/* the magic is in the first 16 cells: check those before the rest */
	for (int i = 0; i < R3D_STAMP_BITS; i++) {
		cells[i] = cell_white(img, x + (i % R3D_STAMP_COLS) * R3D_STAMP_CELL,
				      y + (i / R3D_STAMP_COLS) * R3D_STAMP_CELL);
		if (i == 15 && get_bits(cells, &pos, 16) != R3D_STAMP_MAGIC)
			return false;
	}
	uint32_t frame = (uint32_t)get_bits(cells, &pos, 32);
	uint64_t time_us = get_bits(cells, &pos, 64);
	uint16_t crc = (uint16_t)get_bits(cells, &pos, 16);
	payload_bytes(frame, time_us, payload);
	if (crc != r3d_stamp_crc16(payload, sizeof(payload)))
		return false;
	if (out) {
		out->frame = frame;
		out->time_us = time_us;
	}
	return true;
}

bool r3d_stamp_find(const struct r3d_image_view *img, struct r3d_stamp *out,
		    int *x, int *y)
{
	if (!img || !img->data)
		return false;
	for (int py = 0; py + R3D_STAMP_HEIGHT <= img->height; py++) {
		for (int px = 0; px + R3D_STAMP_WIDTH <= img->width; px++) {
			/* cheap reject: the first magic cell is white, the third black */
			if (luma(img, px + R3D_STAMP_CELL / 2, py + R3D_STAMP_CELL / 2) < 128 ||
			    luma(img, px + 2 * R3D_STAMP_CELL + R3D_STAMP_CELL / 2,
				 py + R3D_STAMP_CELL / 2) >= 128)
				continue;
			if (r3d_stamp_read(img, px, py, out)) {
				/* the first hit is up to half a cell up and left of
				 * the stamp: take the middle of the run that reads */
				int ex = px, ey = py;
				while (ex + 1 - px < R3D_STAMP_CELL && r3d_stamp_read(img, ex + 1, py, NULL))
					ex++;
				while (ey + 1 - py < R3D_STAMP_CELL && r3d_stamp_read(img, px, ey + 1, NULL))
					ey++;
				if (x)
					*x = (px + ex + 1) / 2;
				if (y)
					*y = (py + ey + 1) / 2;
				return true;
			}
		}
	}
	return false;
}
