/*
 * remote3d-client — text to key strokes, as a US keyboard types them.
 *
 * SPICE's inputs channel takes PC AT set-1 scan codes (what
 * spice_inputs_channel_key_press() wants; 0xe0-prefixed keys would be
 * code | 0x100, none is needed here). A character is one key, with the left
 * Shift held for upper case and the shifted symbols. Pure logic: no SPICE.
 */
#ifndef REMOTE3D_CLIENT_KEYMAP_H
#define REMOTE3D_CLIENT_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

#define R3D_SCANCODE_LSHIFT 0x2a
#define R3D_KEYMAP_ERROR_SIZE 200

struct r3d_key_stroke {
	char ch;            /* the character typed ('\n' Enter, '\t' Tab) */
	unsigned scancode;  /* set 1, make code */
	bool shift;
};

/* The key for one ASCII character; false when it has none. */
bool r3d_keymap_lookup(char ch, struct r3d_key_stroke *out);

/* Every key of text: printable ASCII, a newline or the escape \n (Enter),
 * a tab or \t (Tab), \\ (a backslash). *keys is malloc'ed. On failure
 * returns false with one line in error (which character, where, why). */
bool r3d_keymap_parse(const char *text, struct r3d_key_stroke **keys, size_t *n,
		      char error[R3D_KEYMAP_ERROR_SIZE]);

/* A name for the CSV and messages: "a", "space", "enter", "tab", "comma",
 * "quote" (no field ever needs quoting). */
const char *r3d_keymap_name(char ch, char buf[2]);

#endif
