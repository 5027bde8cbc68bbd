/* Private: the encoder backends behind r3d_encoder_create(). Each backend
 * describes its GStreamer encoder element; encode-gst.c builds and runs the
 * pipeline around it. Adding a backend touches one file and the table in
 * encode-gst.c. */
#ifndef REMOTE3D_ENCODER_BACKEND_H
#define REMOTE3D_ENCODER_BACKEND_H

#include <stdbool.h>

#include <gst/gst.h>

#include "remote3d/encoder.h"

/* IDRs come when asked for (force-key-unit); besides, one at least this
 * often, so that a stream never goes without one for long. */
#define R3D_GOP_SECONDS 60

struct r3d_encoder_backend {
	const char *name;
	/* Usable here? Else false and *why (malloc'ed) names the cause. */
	bool (*probe)(char **why);
	/* The GStreamer description of the encoder part (g_malloc'ed), or NULL
	 * and *error. cfg->fps is filled (never 0). */
	char *(*describe)(const struct r3d_encoder_config *cfg, unsigned bitrate_kbps, char **error);
	/* Set the bitrate on the encoder element while PLAYING. */
	bool (*set_bitrate)(GstElement *enc, unsigned kbps);
	/* Raw formats the element takes as they are (no videoconvert in front),
	 * the preferred one first; ends with R3D_FORMAT_COUNT. NULL: always
	 * videoconvert (a custom pipeline). */
	const enum r3d_pixel_format *native_formats;
};

extern const struct r3d_encoder_backend r3d_encoder_backend_x264;
extern const struct r3d_encoder_backend r3d_encoder_backend_openh264;
extern const struct r3d_encoder_backend r3d_encoder_backend_va;
extern const struct r3d_encoder_backend r3d_encoder_backend_custom;

/* Shared helpers for backends. */
bool r3d_gst_init(char **error);
bool r3d_gst_have_element(const char *factory);
/* Set "bitrate" in the unit the element's property takes (scale: 1 for kbps,
 * 1000 for bit/s); false when the element has no such property. */
bool r3d_gst_set_uint_property(GstElement *el, const char *prop, guint64 value);

#endif
