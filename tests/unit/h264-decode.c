#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "h264-decode.h"

struct h264_decoder {
	GstElement *pipeline, *src, *sink;
	uint64_t n;
};

struct h264_decoder *h264_decoder_new(void)
{
	GError *err = NULL;
	gst_init(NULL, NULL);
	struct h264_decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->pipeline = gst_parse_launch(
		"appsrc name=src format=time caps=video/x-h264,stream-format=byte-stream,alignment=au"
		" ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=BGRx"
		" ! appsink name=sink sync=false", &err);
	if (!d->pipeline) {
		fprintf(stderr, "decoder: %s\n", err ? err->message : "?");
		g_clear_error(&err);
		free(d);
		return NULL;
	}
	d->src = gst_bin_get_by_name(GST_BIN(d->pipeline), "src");
	d->sink = gst_bin_get_by_name(GST_BIN(d->pipeline), "sink");
	gst_element_set_state(d->pipeline, GST_STATE_PLAYING);
	return d;
}

bool h264_decoder_push(struct h264_decoder *d, const uint8_t *au, size_t size)
{
	GstBuffer *b = gst_buffer_new_memdup(au, size);
	GST_BUFFER_PTS(b) = d->n * GST_SECOND / 60;
	GST_BUFFER_DTS(b) = GST_BUFFER_PTS(b);
	d->n++;
	return gst_app_src_push_buffer(GST_APP_SRC(d->src), b) == GST_FLOW_OK;
}

struct decoded_picture *h264_decoder_finish(struct h264_decoder *d, int *count)
{
	struct decoded_picture *pics = NULL;
	int n = 0;
	GstSample *s;

	gst_app_src_end_of_stream(GST_APP_SRC(d->src));
	while ((s = gst_app_sink_try_pull_sample(GST_APP_SINK(d->sink), 10 * GST_SECOND))) {
		GstVideoInfo info;
		GstVideoFrame vf;
		if (gst_video_info_from_caps(&info, gst_sample_get_caps(s)) &&
		    gst_video_frame_map(&vf, &info, gst_sample_get_buffer(s), GST_MAP_READ)) {
			struct decoded_picture p = {
				.width = GST_VIDEO_FRAME_WIDTH(&vf),
				.height = GST_VIDEO_FRAME_HEIGHT(&vf),
				.stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0),
			};
			p.data = malloc((size_t)p.stride * p.height);
			memcpy(p.data, GST_VIDEO_FRAME_PLANE_DATA(&vf, 0), (size_t)p.stride * p.height);
			gst_video_frame_unmap(&vf);
			pics = realloc(pics, sizeof(*pics) * (size_t)(n + 1));
			pics[n++] = p;
		}
		gst_sample_unref(s);
		if (gst_app_sink_is_eos(GST_APP_SINK(d->sink)))
			break;
	}
	gst_element_set_state(d->pipeline, GST_STATE_NULL);
	gst_object_unref(d->src);
	gst_object_unref(d->sink);
	gst_object_unref(d->pipeline);
	free(d);
	*count = n;
	return pics;
}

uint32_t h264_nal_types(const uint8_t *d, size_t n)
{
	uint32_t mask = 0;
	for (size_t i = 0; i + 3 < n; i++) {
		if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
			mask |= 1u << (d[i + 3] & 0x1F);
			i += 2;
		}
	}
	return mask;
}
