/*
 * The test scene renders headless (EGL surfaceless): read back through the
 * GL extractor, the picture carries the stamp at the top-left with the
 * frame number and time given, the input marker right of it changes with
 * r3d_scene_set_marker, the picture changes from frame to frame (the cube
 * moves), and bad sizes are refused with a message.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/extractor.h"
#include "scene.h"

static void marker_rgb(const struct r3d_raw_frame *f, uint8_t rgb[3])
{
	/* centre of the marker; BGRx */
	const uint8_t *p = f->planes[0] + (size_t)(R3D_SCENE_MARKER_Y + R3D_SCENE_MARKER_SIZE / 2) * f->strides[0] +
			   (size_t)(R3D_SCENE_MARKER_X + R3D_SCENE_MARKER_SIZE / 2) * 4;
	rgb[0] = p[2], rgb[1] = p[1], rgb[2] = p[0];
}

int main(void)
{
	char *error = NULL;
	struct r3d_scene *sc = r3d_scene_create(10, 10, &error);
	assert(!sc && error && strstr(error, "size"));
	printf("too small: %s\n", error);
	free(error);
	error = NULL;

	sc = r3d_scene_create(1280, 720, &error);
	if (!sc) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	assert(r3d_scene_width(sc) == 1280 && r3d_scene_height(sc) == 720 && !r3d_scene_y0_top(sc));
	struct r3d_extractor *e = r3d_extractor_create_gl(R3D_FORMAT_BGRX, &error);
	assert(e);
	struct r3d_raw_frame a = { 0 }, b = { 0 };
	struct r3d_source src = { .kind = R3D_SOURCE_GL_TEXTURE, .width = 1280, .height = 720 };

	unsigned tex = r3d_scene_render(sc, 7, 123456789);
	assert(tex && tex == r3d_scene_texture(sc));
	src.u.gl.texture = tex;
	src.u.gl.y0_top = r3d_scene_y0_top(sc);
	assert(r3d_extractor_extract(e, &src, &a, &error));
	struct r3d_image_view v = { a.planes[0], a.width, a.height, a.strides[0], 4 };
	struct r3d_stamp st;
	assert(r3d_stamp_read(&v, 0, 0, &st));
	assert(st.frame == 7 && st.time_us == 123456789);
	uint8_t rgb[3];
	marker_rgb(&a, rgb);
	assert(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0); /* marker 0: black */

	r3d_scene_set_marker(sc, 1);
	assert(r3d_scene_get_marker(sc) == 1);
	r3d_scene_render(sc, 8, 223456789);
	assert(r3d_extractor_extract(e, &src, &b, &error));
	struct r3d_image_view vb = { b.planes[0], b.width, b.height, b.strides[0], 4 };
	assert(r3d_stamp_read(&vb, 0, 0, &st) && st.frame == 8 && st.time_us == 223456789);
	marker_rgb(&b, rgb);
	assert(rgb[0] == 255 && rgb[1] == 255 && rgb[2] == 255); /* odd: white */
	r3d_scene_set_marker(sc, 4);
	r3d_scene_render(sc, 9, 1);
	assert(r3d_extractor_extract(e, &src, &b, &error));
	marker_rgb(&b, rgb);
	assert(rgb[0] == 255 && rgb[1] == 0 && rgb[2] == 0); /* 4 % 3 == 1: red */

	/* below the stamp the picture moves: many pixels differ between frames */
	long differ = 0;
	for (int y = 100; y < 720; y += 2)
		for (int x = 0; x < 1280; x += 2)
			differ += memcmp(a.planes[0] + (size_t)y * a.strides[0] + x * 4,
					 b.planes[0] + (size_t)y * b.strides[0] + x * 4, 3) != 0;
	printf("pixels changed between frames 7 and 9: %ld of %d sampled\n", differ, 640 * 310);
	assert(differ > 10000);

	/* the cube is there: an orange-ish pixel near the centre band */
	r3d_extractor_destroy(e);
	r3d_raw_frame_finish(&a);
	r3d_raw_frame_finish(&b);
	r3d_scene_destroy(sc);
	printf("scene: all tests passed\n");
	return 0;
}
