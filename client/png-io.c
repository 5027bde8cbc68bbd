#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <png.h>

#include "png-io.h"

#define STR_(x) #x
#define STR(x) STR_(x)

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

static void set_error(char error[R3D_PNG_ERROR_SIZE], const char *what, const char *detail)
{
	snprintf(error, R3D_PNG_ERROR_SIZE, "%s%s%s", what, detail && *detail ? ": " : "",
		 detail ? detail : "");
}

bool r3d_png_read_rgba(const char *path, uint8_t **data, int *width, int *height,
		       char error[R3D_PNG_ERROR_SIZE])
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	struct stat sb;
	uint8_t *buf = NULL;
	size_t size;

	*data = NULL;
	error[0] = '\0';
	/* libpng says "Not a PNG file" for what it cannot even open */
	if (stat(path, &sb) != 0) {
		set_error(error, "cannot read", strerror(errno));
		return false;
	}
	if (!S_ISREG(sb.st_mode)) {
		set_error(error, "not a regular file", NULL);
		return false;
	}
	if (sb.st_size == 0) {
		set_error(error, "empty file (0 bytes), not a PNG", NULL);
		return false;
	}
	/* on failure libpng frees img itself, its message stays in img */
	if (!png_image_begin_read_from_file(&img, path)) {
		set_error(error, "not a readable PNG", img.message);
		return false;
	}
	if (img.width == 0 || img.height == 0 || img.width > R3D_PNG_MAX_SIDE ||
	    img.height > R3D_PNG_MAX_SIDE) {
		char what[64];

		snprintf(what, sizeof(what), "picture of %ux%u pixels", (unsigned)img.width,
			 (unsigned)img.height);
		png_image_free(&img);
		set_error(error, what, "more than " STR(R3D_PNG_MAX_SIDE) " a side is not read");
		return false;
	}
	img.format = PNG_FORMAT_RGBA;
	/* in size_t: PNG_IMAGE_SIZE() computes in 32 bits */
	size = (size_t)img.width * (size_t)img.height * 4u;
	buf = malloc(size);
	if (!buf) {
		png_image_free(&img);
		set_error(error, "out of memory", NULL);
		return false;
	}
	if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
		free(buf);
		set_error(error, "corrupt or truncated PNG", img.message);
		png_image_free(&img);
		return false;
	}
	*data = buf;
	*width = (int)img.width;
	*height = (int)img.height;
	return true;
}
