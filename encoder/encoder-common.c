/* What every build of the encoder has, GStreamer or not. */
#include <stdlib.h>

#include "remote3d/encoder.h"

/* About 0.1 bit per pixel per frame: a picture x264's fast presets keep
 * clean at typical desktop and 3D content; clamped to what any link and
 * encoder here handle. */
#define DEFAULT_BITS_PER_PIXEL 0.1
#define DEFAULT_MIN_KBPS 500
#define DEFAULT_MAX_KBPS 50000

unsigned r3d_encoder_default_bitrate(int width, int height, unsigned fps)
{
	double kbps = (double)width * height * r3d_fps_or_default(fps) * DEFAULT_BITS_PER_PIXEL / 1000.0;
	return kbps < DEFAULT_MIN_KBPS ? DEFAULT_MIN_KBPS : kbps > DEFAULT_MAX_KBPS ? DEFAULT_MAX_KBPS : (unsigned)kbps;
}

void r3d_access_unit_free(struct r3d_access_unit *au)
{
	if (!au)
		return;
	free(au->data);
	free(au);
}
