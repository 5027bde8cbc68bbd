/*
 * Fuzz target: remote3d-stamp-read's path, a PNG file to a stamp
 * (client/png-io.c with libpng's simplified API, then r3d_stamp_find).
 * The input is the file. A picture that reads is inside the size
 * r3d_png_read_rgba promises; one that does not says why in one line.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "png-io.h"
#include "stamp.h"

/* the search on a huge picture is slow, not wrong: read it, search less */
#define MAX_SEARCH_PIXELS (1024 * 256)

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	char err[R3D_PNG_ERROR_SIZE];
	uint8_t *pixels;
	int w, h, x, y, cell;
	struct r3d_stamp st;

	check(path != NULL);
	if (!r3d_png_read_rgba(path, &pixels, &w, &h, err)) {
		check(pixels == NULL && err[0] && strlen(err) < sizeof(err) && !strchr(err, '\n'));
		return 0;
	}
	check(w >= 1 && h >= 1 && w <= R3D_PNG_MAX_SIDE && h <= R3D_PNG_MAX_SIDE);
	if ((size_t)w * (size_t)h <= MAX_SEARCH_PIXELS) {
		struct r3d_image_view img = { .data = pixels, .width = w, .height = h,
					      .stride = w * 4, .bpp = 4 };
		if (r3d_stamp_find(&img, &st, &x, &y, &cell))
			check(x >= 0 && y >= 0 && x < w && y < h);
	}
	free(pixels);
	return 0;
}
