/* Built without GStreamer: every encoder says so. */
#include <stdlib.h>

#include "remote3d/encoder.h"
#include "remote3d/log.h"

struct r3d_encoder *r3d_encoder_create(const struct r3d_encoder_config *cfg, char **error)
{
	r3d_set_error(error, "encoder '%s': libremote3d was built without GStreamer (-Dgstreamer)",
		      cfg && cfg->name ? cfg->name : "auto");
	return NULL;
}

void r3d_encoder_destroy(struct r3d_encoder *enc) { (void)enc; }
const char *r3d_encoder_name(const struct r3d_encoder *enc) { (void)enc; return NULL; }
const char *r3d_encoder_pipeline(const struct r3d_encoder *enc) { (void)enc; return NULL; }
enum r3d_pixel_format r3d_encoder_native_format(const struct r3d_encoder *enc) { (void)enc; return R3D_FORMAT_NV12; }

struct r3d_access_unit *r3d_encoder_encode(struct r3d_encoder *enc, const struct r3d_raw_frame *frame,
					   const struct r3d_frame_timing *timing, char **error)
{
	(void)enc, (void)frame, (void)timing;
	r3d_set_error(error, "encode: built without GStreamer");
	return NULL;
}

bool r3d_encoder_set_bitrate(struct r3d_encoder *enc, unsigned kbps) { (void)enc, (void)kbps; return false; }
unsigned r3d_encoder_get_bitrate(const struct r3d_encoder *enc) { (void)enc; return 0; }
void r3d_encoder_force_keyframe(struct r3d_encoder *enc) { (void)enc; }

const char *r3d_encoder_list(void) { return ""; }

bool r3d_encoder_available(const char *name, char **why)
{
	r3d_set_error(why, "encoder '%s': built without GStreamer", name ? name : "auto");
	return false;
}
