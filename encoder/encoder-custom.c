/* A custom encoder part given by the user, e.g. "x264enc speed-preset=veryfast".
 * The core checks that it parses and that it outputs H.264. Bitrate changes
 * go to a "bitrate" property if the encoder has one, in kbit/s unless the
 * property's range says bit/s (openh264enc). */
#include "encoder-backend.h"
#include "remote3d/log.h"

static bool custom_probe(char **why)
{
	return r3d_gst_init(why);
}

static char *custom_describe(const struct r3d_encoder_config *cfg, unsigned kbps, char **error)
{
	(void)kbps;
	(void)error;
	return g_strdup(cfg->name);
}

static bool custom_set_bitrate(GstElement *enc, unsigned kbps)
{
	GstElementFactory *f = gst_element_get_factory(enc);
	const char *fname = f ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)) : "";
	/* the encoders whose bitrate is in bit/s */
	guint64 scale = g_str_equal(fname, "openh264enc") || g_str_equal(fname, "avenc_h264_omx") ? 1000 : 1;
	return r3d_gst_set_uint_property(enc, "bitrate", (guint64)kbps * scale);
}

const struct r3d_encoder_backend r3d_encoder_backend_custom = {
	.name = "custom",
	.probe = custom_probe,
	.describe = custom_describe,
	.set_bitrate = custom_set_bitrate,
};
