/* x264enc (gstreamer1.0-plugins-ugly), set for the lowest latency. */
#include <stdlib.h>

#include "encoder-backend.h"
#include "remote3d/log.h"

#define LOW_BPP 0.05 /* bits per pixel per frame */

static bool x264_probe(char **why)
{
	if (!r3d_gst_init(why))
		return false;
	if (!r3d_gst_have_element("x264enc")) {
		r3d_set_error(why, "encoder 'x264': GStreamer element x264enc not found "
				   "(install gstreamer1.0-plugins-ugly)");
		return false;
	}
	return true;
}

static char *x264_describe(const struct r3d_encoder_config *cfg, unsigned kbps, char **error)
{
	unsigned fps = cfg->fps;
	/* One frame of VBV: no frame may be much larger than its share of the
	 * bitrate, so no frame waits behind a big one in the network. */
	unsigned vbv_ms = (1000 + fps - 1) / fps;
	/* ultrafast: its encode takes about half superfast's, and on a CPU the
	 * renderer shares that decides the latency. Below LOW_BPP bits per
	 * pixel per frame ultrafast (no CABAC, no deblocking) breaks the
	 * picture up (README, Tuning): superfast there. */
	(void)error;
	double bpp = kbps * 1000.0 / ((double)cfg->width * cfg->height * fps);
	const char *preset = cfg->width > 0 && cfg->height > 0 && bpp < LOW_BPP ? "superfast" : "ultrafast";
	return g_strdup_printf(
		"x264enc name=r3denc"
		" tune=zerolatency"      /* no lookahead, no frame threads: one frame in, one out */
		" speed-preset=%s"
		" bframes=0"             /* B-frames need future frames: latency */
		" b-adapt=false"
		" sliced-threads=true"   /* threads split one frame, not several frames */
		" threads=%d"
		" bitrate=%u"            /* kbit/s, mutable while PLAYING */
		" vbv-buf-capacity=%u"   /* ms: one frame */
		" key-int-max=%u"        /* IDRs on request (force-key-unit), else rarely */
		" byte-stream=true"      /* Annex B start codes */
		" aud=false"
		" insert-vui=true",
		preset, 0, kbps, vbv_ms, fps * R3D_GOP_SECONDS);
}

static bool x264_set_bitrate(GstElement *enc, unsigned kbps)
{
	return r3d_gst_set_uint_property(enc, "bitrate", kbps);
}

/* x264enc's sink caps (GStreamer 1.22): I420, YV12, NV12, Y42B, Y444 (+10-bit) */
static const enum r3d_pixel_format x264_formats[] = { R3D_FORMAT_NV12, R3D_FORMAT_I420, R3D_FORMAT_COUNT };

const struct r3d_encoder_backend r3d_encoder_backend_x264 = {
	.name = "x264",
	.probe = x264_probe,
	.describe = x264_describe,
	.set_bitrate = x264_set_bitrate,
	.native_formats = x264_formats,
};
