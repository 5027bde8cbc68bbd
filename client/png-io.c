#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <png.h>

#include "png-io.h"

/* libpng reports errors by longjmp: keep that in a frame whose locals do
 * not change after setjmp. */
static bool encode(FILE *f, png_structp png, png_infop info, const uint8_t *data,
		   int width, int height, int stride)
{
	if (setjmp(png_jmpbuf(png)))
		return false;
	png_init_io(png, f);
	png_set_compression_level(png, 1);
	png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	/* memory is B,G,R,x: let libpng drop the filler and swap to R,G,B */
	png_set_filler(png, 0, PNG_FILLER_AFTER);
	png_set_bgr(png);
	for (int y = 0; y < height; y++)
		png_write_row(png, (png_const_bytep)(data + (size_t)y * (size_t)stride));
	png_write_end(png, NULL);
	return true;
}

bool r3d_png_write_xrgb(const char *path, const uint8_t *data, int width, int height, int stride)
{
	png_structp png = NULL;
	png_infop info = NULL;
	bool ok = false;

	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png)
		goto out;
	info = png_create_info_struct(png);
	if (!info)
		goto out;
	ok = encode(f, png, info, data, width, height, stride);
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	if (fclose(f) != 0)
		ok = false;
	return ok;
}

bool r3d_png_read_rgba(const char *path, uint8_t **data, int *width, int *height,
		       const char **error)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	uint8_t *buf = NULL;

	*data = NULL;
	if (!png_image_begin_read_from_file(&img, path)) {
		*error = img.message[0] ? img.message : "cannot read PNG";
		return false;
	}
	img.format = PNG_FORMAT_RGBA;
	buf = malloc(PNG_IMAGE_SIZE(img));
	if (!buf) {
		png_image_free(&img);
		*error = "out of memory";
		return false;
	}
	if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		free(buf);
		png_image_free(&img);
		*error = "cannot decode PNG";
		return false;
	}
	*data = buf;
	*width = (int)img.width;
	*height = (int)img.height;
	return true;
}
