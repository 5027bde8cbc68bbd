/*
 * remote3d-testsrc --scene text: what a remote desktop mostly shows. A
 * terminal window on a flat desktop: commands typed at about ten keys a
 * second, each followed by a burst of output lines that scroll the
 * terminal, and every four seconds the window dragged to a new place
 * within half a second. Drawn on the CPU in the 6x13 bitmap font (as
 * xterm's "fixed"), a function of the frame number alone, so that a client
 * can render the same picture to compare with (remote3d-client --quality).
 */
#ifndef R3D_TESTS_LIB_SCENE_TEXT_H
#define R3D_TESTS_LIB_SCENE_TEXT_H

#include <stdint.h>

/* Frames of one window position: a move takes TEXT_SCENE_MOVE_FRAMES of them. */
#define R3D_TEXT_SCENE_HOLD_FRAMES 240
#define R3D_TEXT_SCENE_MOVE_FRAMES 30

/* Draws frame `frame` into rgba (R, G, B, A bytes; width * 4 bytes a row),
 * rows bottom-up as GL textures are (row 0 is the bottom of the picture). */
void r3d_text_scene_draw(uint8_t *rgba, int width, int height, uint32_t frame);

#endif
