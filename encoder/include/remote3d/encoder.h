/*
 * remote3d — H.264 encoders, chosen at run time by name.
 *
 * One GStreamer core (encode-gst.c):
 *   appsrc ! [videoconvert] ! <encoder> ! h264parse !
 * (videoconvert only when the encoder element does not take the input
 * format as it is: x264/va take NV12, openh264 I420; YUV input is BT.601
 * limited range, caps colorimetry=bt601, chroma-site=jpeg)
 *   video/x-h264,stream-format=byte-stream,alignment=au ! appsink
 * with backends (encoder-*.c, one struct with an impl table each):
 *   "x264"      x264enc, low latency (zerolatency, no B-frames, one-frame VBV)
 *   "openh264"  openh264enc
 *   "va"        vah264enc (gst-plugins-bad) or vaapih264enc (gstreamer-vaapi)
 *   "auto"      va if a VA device works, else x264, else openh264
 *   anything else: a custom GStreamer description of the encoder part,
 *               e.g. "x264enc speed-preset=veryfast" (must output H.264)
 * Output: Annex B byte-stream, one access unit per frame. Timings ride
 * through the pipeline (mapped by PTS). GStreamer debug category "remote3d".
 */
#ifndef REMOTE3D_ENCODER_H
#define REMOTE3D_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remote3d/clock.h"
#include "remote3d/frame.h"

/* The largest side a stream or encoder takes: H.264's largest level (6.2)
 * holds 8192 x 4320. */
#define R3D_ENCODE_MAX_SIDE 8192

struct r3d_encoder_config {
	const char *name;               /* see above; NULL = "auto" */
	int width, height;
	unsigned fps;                   /* hint for VBV and timestamps; 0 = R3D_DEFAULT_FPS */
	unsigned bitrate_kbps;          /* 0 = a default from the size */
	enum r3d_pixel_format format;   /* input frames */
	const struct r3d_clock *clock;  /* for timing.encoded_us; NULL = monotonic */
	int nice;                       /* > 0: GStreamer's streaming threads (and the
					 * encoder threads they start) run this much
					 * nicer (stream.h: encoder_nice) */
};

struct r3d_access_unit {
	uint8_t *data;
	size_t size;
	bool keyframe; /* holds an IDR picture */
	uint64_t pts_us;
	struct r3d_frame_timing timing;
};

struct r3d_encoder;

/* NULL + *error (malloc'ed, caller frees) naming the cause: unknown name,
 * missing GStreamer element/plugin, no VA device, a bad custom pipeline. */
struct r3d_encoder *r3d_encoder_create(const struct r3d_encoder_config *cfg, char **error);
void r3d_encoder_destroy(struct r3d_encoder *enc); /* NULL ok */

/* The backend actually used ("x264" for "auto" on a machine without VA). */
const char *r3d_encoder_name(const struct r3d_encoder *enc);
/* The YUV format the backend takes without a CPU conversion (NV12 for
 * x264 and va, I420 for openh264; NV12 for a custom pipeline, which keeps
 * its videoconvert). */
enum r3d_pixel_format r3d_encoder_native_format(const struct r3d_encoder *enc);
/* The full GStreamer pipeline description in use. */
const char *r3d_encoder_pipeline(const struct r3d_encoder *enc);

/* Encode one frame (same format/size as configured) and return its access
 * unit (the caller owns it), waiting up to ~2 s for it. NULL + *error on
 * failure. An encoder with internal delay may return the AU of an earlier
 * frame: timing always belongs to the AU returned. */
struct r3d_access_unit *r3d_encoder_encode(struct r3d_encoder *enc, const struct r3d_raw_frame *frame,
					   const struct r3d_frame_timing *timing, char **error);

/* Any time, also while PLAYING; takes effect from the next frames. */
bool r3d_encoder_set_bitrate(struct r3d_encoder *enc, unsigned kbps);
unsigned r3d_encoder_get_bitrate(const struct r3d_encoder *enc);
/* The next encoded frame is an IDR (force-key-unit event). */
void r3d_encoder_force_keyframe(struct r3d_encoder *enc);

void r3d_access_unit_free(struct r3d_access_unit *au); /* NULL ok */

/* Backend names usable here, e.g. "x264 openh264" ("" if none; built without
 * GStreamer: ""). Static string, computed once. */
const char *r3d_encoder_list(void);
/* Is the named backend usable here? *why gets the reason when not. */
bool r3d_encoder_available(const char *name, char **why);

/* Default bitrate for a size and fps (kbps). */
unsigned r3d_encoder_default_bitrate(int width, int height, unsigned fps);

#endif
