/* Test helper: decode H.264 access units back to BGRx pictures with
 * GStreamer's avdec_h264, to check what an encoder produced. */
#ifndef REMOTE3D_TESTS_H264_DECODE_H
#define REMOTE3D_TESTS_H264_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct h264_decoder;

struct decoded_picture {
	uint8_t *data; /* BGRx, top-down */
	int width, height, stride;
};

/* NULL (and a message printed) when avdec_h264 is missing. */
struct h264_decoder *h264_decoder_new(void);
bool h264_decoder_push(struct h264_decoder *d, const uint8_t *au, size_t size);
/* Ends the stream and returns all decoded pictures (caller frees each .data
 * and the array). */
struct decoded_picture *h264_decoder_finish(struct h264_decoder *d, int *count);

/* Bit mask of the NAL unit types in an Annex B buffer (1 << type). */
uint32_t h264_nal_types(const uint8_t *data, size_t size);

#endif
