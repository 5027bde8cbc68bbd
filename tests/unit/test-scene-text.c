/* testsrc's text scene (scene-text.c) on the CPU: a function of the frame
 * number alone; typing changes a glyph's worth of pixels, output lines
 * scroll the terminal, a window move repaints much of the picture. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scene-text.h"

#define W 1280
#define H 720

static size_t changed(const uint8_t *a, const uint8_t *b)
{
	size_t n = 0;
	for (size_t i = 0; i < (size_t)W * H; i++)
		n += memcmp(a + i * 4, b + i * 4, 4) != 0;
	return n;
}

int main(void)
{
	uint8_t *a = malloc((size_t)W * H * 4), *b = malloc((size_t)W * H * 4);
	assert(a && b);

	r3d_text_scene_draw(a, W, H, 100);
	r3d_text_scene_draw(b, W, H, 100);
	assert(changed(a, b) == 0);
	printf("frame 100 twice: identical\n");

	/* one key typed (6 frames apart while a command is typed) */
	r3d_text_scene_draw(a, W, H, 30);
	r3d_text_scene_draw(b, W, H, 36);
	size_t key = changed(a, b);
	printf("one key typed: %zu pixels changed\n", key);
	assert(key > 0 && key <= 2 * 6 * 13);

	/* output lines: the command (32 keys x 6 frames) done, lines appear */
	r3d_text_scene_draw(a, W, H, 32 * 6 + 1);
	r3d_text_scene_draw(b, W, H, 32 * 6 + 9);
	size_t out = changed(a, b);
	printf("four output lines: %zu pixels changed\n", out);
	assert(out > 4 * 6 * 13 && out < (size_t)W * H / 10);

	/* mid-drag of the window (frames 240..270) against the frame before */
	r3d_text_scene_draw(a, W, H, R3D_TEXT_SCENE_HOLD_FRAMES - 1);
	r3d_text_scene_draw(b, W, H, R3D_TEXT_SCENE_HOLD_FRAMES + R3D_TEXT_SCENE_MOVE_FRAMES / 2);
	size_t move = changed(a, b);
	printf("window dragged: %zu pixels changed (%.0f%%)\n", move, 100.0 * move / (W * H));
	assert(move > (size_t)W * H / 5);

	/* a long run: the terminal scrolled, still text on a dark background */
	r3d_text_scene_draw(a, W, H, 100000);
	size_t lit = 0;
	for (size_t i = 0; i < (size_t)W * H; i++)
		lit += a[i * 4] > 0xc0;
	printf("frame 100000: %zu bright (text) pixels\n", lit);
	assert(lit > 1000);
	free(a);
	free(b);
	printf("OK\n");
	return 0;
}
