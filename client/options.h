/*
 * remote3d-client — command line options: every value is checked before
 * the client connects; a bad one is refused with one line naming the
 * option (the caller exits 2).
 */
#ifndef REMOTE3D_CLIENT_OPTIONS_H
#define REMOTE3D_CLIENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "keymap.h"
#include "pixel-change.h"

struct options {
	const char *uri;
	double duration_s;
	int frames;
	double timeout_s;
	char *json, *csv, *png_dir;
	int dump_max;
	int keys, key_interval_ms;
	char *codec;
	char *password;     /* from --password-file */
	char *ca_file;      /* CA certificates for TLS (spice-gtk's "ca-file") */
	int quality;        /* --quality N: every Nth frame's PSNR/SSIM; 0 = off */
	char *scene;        /* --scene: the source's scene for --quality ("cube" | "text") */
	char *source_frames; /* remote3d-testsrc --frames-csv, read at the end */
	int stock_parser;   /* gboolean for GOption: leave spice-gtk's unaligned H.264 caps alone */

	/* --type: key-to-glyph */
	struct r3d_key_stroke *type_keys; /* malloc'ed; NULL without --type */
	size_t n_type_keys;
	char *watch_text;   /* as given, for messages; NULL = the whole picture */
	struct r3d_change_params change;
	int key_timeout_ms;
	char *plot;         /* --type: key-to-glyph histogram; else the stage plot */
};

/* Parses argv (GOption: --help prints the usage and exits 0). False with
 * one line on stderr for a bad value; client_options_finish frees what *o
 * holds either way. */
bool client_options_parse(int *argc, char ***argv, struct options *o);
void client_options_finish(struct options *o);

#endif
