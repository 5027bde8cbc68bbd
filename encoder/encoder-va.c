/* VA-API: vah264enc (gstreamer1.0-plugins-bad, preferred) or vaapih264enc
 * (gstreamer1.0-vaapi). Both register their elements only when a VA device
 * works, so the probe first looks for a render node to say why not. */
#include <glob.h>

#include "encoder-backend.h"
#include "remote3d/log.h"

static bool have_render_node(void)
{
	glob_t g;
	bool found = glob("/dev/dri/renderD*", 0, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return found;
}

static const char *va_element(void)
{
	if (r3d_gst_have_element("vah264enc"))
		return "vah264enc";
	if (r3d_gst_have_element("vah264lpenc"))
		return "vah264lpenc";
	if (r3d_gst_have_element("vaapih264enc"))
		return "vaapih264enc";
	return NULL;
}

static bool va_probe(char **why)
{
	if (!r3d_gst_init(why))
		return false;
	if (!have_render_node()) {
		r3d_set_error(why, "encoder 'va': no VA-API device (no /dev/dri render node)");
		return false;
	}
	if (!va_element()) {
		r3d_set_error(why, "encoder 'va': no VA H.264 encoder for the render node "
				   "(neither vah264enc from gstreamer1.0-plugins-bad nor vaapih264enc "
				   "from gstreamer1.0-vaapi registered: VA driver missing or no H.264 "
				   "encode entrypoint)");
		return false;
	}
	return true;
}

static char *va_describe(const struct r3d_encoder_config *cfg, unsigned kbps, char **error)
{
	unsigned fps = cfg->fps;
	const char *el = va_element();
	if (!el) {
		r3d_set_error(error, "encoder 'va': no VA H.264 encoder element");
		return NULL;
	}
	if (g_str_equal(el, "vaapih264enc"))
		return g_strdup_printf("vaapih264enc name=r3denc"
				       " rate-control=cbr bitrate=%u" /* kbit/s */
				       " max-bframes=0 keyframe-period=%u"
				       " cpb-length=%u", /* ms of coded picture buffer: one frame */
				       kbps, fps * R3D_GOP_SECONDS, (1000 + fps - 1) / fps);
	return g_strdup_printf("%s name=r3denc"
			       " rate-control=cbr bitrate=%u" /* kbit/s */
			       " b-frames=0 key-int-max=%u"
			       " cpb-size=%u"       /* kbits: one frame's share */
			       " target-usage=7",   /* fastest */
			       el, kbps, fps * R3D_GOP_SECONDS, (kbps + fps - 1) / fps);
}

static bool va_set_bitrate(GstElement *enc, unsigned kbps)
{
	return r3d_gst_set_uint_property(enc, "bitrate", kbps);
}

/* vah264enc and vaapih264enc: NV12 is the surface format every driver has */
static const enum r3d_pixel_format va_formats[] = { R3D_FORMAT_NV12, R3D_FORMAT_COUNT };

const struct r3d_encoder_backend r3d_encoder_backend_va = {
	.name = "va",
	.probe = va_probe,
	.describe = va_describe,
	.set_bitrate = va_set_bitrate,
	.native_formats = va_formats,
};
