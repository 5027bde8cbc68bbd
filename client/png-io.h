/*
 * remote3d-client — PNG frame dumps and screenshots (libpng).
 */
#ifndef REMOTE3D_CLIENT_PNG_IO_H
#define REMOTE3D_CLIENT_PNG_IO_H

#include <stdbool.h>
#include <stdint.h>

/* Write a 32-bit little-endian xRGB image (B, G, R, x bytes: the layout of
 * spice's SPICE_SURFACE_FMT_32_xRGB) as an RGB PNG. Fast compression. */
bool r3d_png_write_xrgb(const char *path, const uint8_t *data, int width, int height, int stride);

/* Read pictures up to this size (a 16384x16384 RGBA copy is 1 GiB). */
#define R3D_PNG_MAX_SIDE 16384
#define R3D_PNG_ERROR_SIZE 160

/* Read any PNG as 8-bit RGBA. *data is malloc'ed, stride = width * 4.
 * On failure returns false with one line in error[R3D_PNG_ERROR_SIZE]
 * (the caller's buffer: libpng's own message lives in its image struct,
 * which is gone when this returns). */
bool r3d_png_read_rgba(const char *path, uint8_t **data, int *width, int *height,
		       char error[R3D_PNG_ERROR_SIZE]);

#endif
