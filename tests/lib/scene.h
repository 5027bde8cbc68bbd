/*
 * The test scene (remote3d-testsrc, tests, benchmarks, remote3d-client's
 * --quality reference): an animated 3D GL scene with frame stamps.
 *
 * The scene makes its own EGL surfaceless context (llvmpipe here; any GPU
 * with EGL_MESA_platform_surfaceless elsewhere) and renders into a texture
 * through an FBO:
 *  - a lit, rotating cube that also moves across a gradient background, so
 *    that H.264 has real work every frame;
 *  - the frame stamp (stamp.h) at the top-left corner (0, 0):
 *    the frame number and the render time (CLOCK_MONOTONIC µs);
 *  - the input marker: a block of R3D_SCENE_MARKER_SIZE pixels at
 *    (R3D_SCENE_MARKER_X, R3D_SCENE_MARKER_Y) in picture coordinates (top-left
 *    origin), just right of the stamp. Value 0: black. Any other value: a
 *    solid colour (value & 1: white, else red/green/blue by value % 3), so an
 *    input-to-photon probe sees the change in the decoded picture.
 * The texture is y0_top = false (GL convention: texture row 0 is the bottom
 * of the picture); r3d_scene_y0_top() says so for the extractor.
 */
#ifndef R3D_TESTS_LIB_SCENE_H
#define R3D_TESTS_LIB_SCENE_H

#include <stdbool.h>
#include <stdint.h>

#include "stamp.h"

#define R3D_SCENE_MARKER_SIZE 64
#define R3D_SCENE_MARKER_X (R3D_STAMP_WIDTH + 16)
#define R3D_SCENE_MARKER_Y 0

struct r3d_scene;

/* What the scene shows (the stamp and the marker are drawn over either). */
enum r3d_scene_kind {
	R3D_SCENE_CUBE, /* the lit cube over a moving gradient: 3D, every pixel changes */
	R3D_SCENE_TEXT, /* a terminal window: typing, scrolling, moves (scene-text.h) */
};
/* "cube" / "text"; false for anything else */
bool r3d_scene_kind_parse(const char *name, enum r3d_scene_kind *out);

/* Makes its own EGL context and leaves it current on the calling thread.
 * Size at least R3D_STAMP_WIDTH+16+R3D_SCENE_MARKER_SIZE x R3D_STAMP_HEIGHT
 * and at most the GL max texture size; NULL + *error (malloc'ed) otherwise. */
struct r3d_scene *r3d_scene_create(int width, int height, char **error);
void r3d_scene_destroy(struct r3d_scene *scene); /* NULL ok */

/* The default is R3D_SCENE_CUBE. False when out of memory (text). */
bool r3d_scene_set_kind(struct r3d_scene *scene, enum r3d_scene_kind kind);

/* Make the scene's context current on the calling thread. */
bool r3d_scene_make_current(struct r3d_scene *scene);

/* Render frame `frame` of the animation (time_us goes into the stamp: pass
 * r3d_time_us()). Returns the texture name (also r3d_scene_texture()).
 * The context must be current. Finishes with glFlush, not glFinish. */
unsigned r3d_scene_render(struct r3d_scene *scene, uint32_t frame, uint64_t time_us);

void r3d_scene_set_marker(struct r3d_scene *scene, int value);
/* Draw the stamp (the default) or not: the stamp's corner then shows the
 * scene like the rest, as a picture from any other source would. */
void r3d_scene_set_stamp(struct r3d_scene *scene, bool on);
int r3d_scene_get_marker(const struct r3d_scene *scene);

unsigned r3d_scene_texture(const struct r3d_scene *scene);
int r3d_scene_width(const struct r3d_scene *scene);
int r3d_scene_height(const struct r3d_scene *scene);
bool r3d_scene_y0_top(const struct r3d_scene *scene);

#endif
