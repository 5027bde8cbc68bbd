/* openh264enc (gstreamer1.0-plugins-bad with Debian's libopenh264). */
#include "encoder-backend.h"
#include "remote3d/log.h"

static bool openh264_probe(char **why)
{
	if (!r3d_gst_init(why))
		return false;
	if (!r3d_gst_have_element("openh264enc")) {
		r3d_set_error(why, "encoder 'openh264': GStreamer element openh264enc not found "
				   "(install gstreamer1.0-plugins-bad and libopenh264-7)");
		return false;
	}
	return true;
}

static char *openh264_describe(const struct r3d_encoder_config *cfg, unsigned kbps, char **error)
{
	unsigned fps = cfg->fps;
	(void)error;
	return g_strdup_printf(
		"openh264enc name=r3denc"
		" rate-control=bitrate"    /* hold the bitrate, not a quality */
		" bitrate=%llu"            /* bit/s, not kbit/s */
		" complexity=low"          /* speed over compression */
		" usage-type=screen"       /* desktop/3D content, fast motion search */
		" gop-size=%u"             /* IDRs on request, else rarely */
		" enable-frame-skip=false" /* the frame source drops, not the encoder */
		" slice-mode=n-slices num-slices=1",
		(unsigned long long)kbps * 1000ull, fps * R3D_GOP_SECONDS);
}

static bool openh264_set_bitrate(GstElement *enc, unsigned kbps)
{
	return r3d_gst_set_uint_property(enc, "bitrate", (guint64)kbps * 1000u);
}

/* openh264enc takes I420 only */
static const enum r3d_pixel_format openh264_formats[] = { R3D_FORMAT_I420, R3D_FORMAT_COUNT };

const struct r3d_encoder_backend r3d_encoder_backend_openh264 = {
	.name = "openh264",
	.probe = openh264_probe,
	.describe = openh264_describe,
	.set_bitrate = openh264_set_bitrate,
	.native_formats = openh264_formats,
};
