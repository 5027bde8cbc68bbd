/*
 * remote3d-stamp-read FILE.png — find a remote3d frame stamp anywhere in a
 * picture (e.g. a screenshot of a stock client's window) and print it:
 *   frame 123 time_us 4567890 at 12,40
 * Exit 0 when a valid stamp (magic and CRC) was found, 1 when none, 2 on a
 * bad argument or an unreadable file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png-io.h"
#include "stamp.h"

int main(int argc, char **argv)
{
	uint8_t *data;
	int w, h, x, y;
	char err[R3D_PNG_ERROR_SIZE];
	struct r3d_stamp st;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: remote3d-stamp-read FILE.png\n");
		return 2;
	}
	if (!r3d_png_read_rgba(argv[1], &data, &w, &h, err)) {
		fprintf(stderr, "remote3d-stamp-read: %s: %s\n", argv[1], err);
		return 2;
	}
	struct r3d_image_view view = { .data = data, .width = w, .height = h,
				       .stride = w * 4, .bpp = 4 };
	int cell = 0;
	bool found = r3d_stamp_find(&view, &st, &x, &y, &cell);
	free(data);
	if (!found) {
		fprintf(stderr, "remote3d-stamp-read: %s: no frame stamp found in %dx%d picture\n",
			argv[1], w, h);
		return 1;
	}
	printf("frame %" PRIu32 " time_us %" PRIu64 " at %d,%d cell %d\n", st.frame, st.time_us, x, y,
	       cell);
	return 0;
}
