#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d-config.h"
#include "picture-quality.h"
#include "quality.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#if R3D_HAVE_GL
#include <epoxy/gl.h>

#include "remote3d/extractor.h"
#include "scene.h"
#endif

struct kept {
	uint32_t frame;
	uint8_t *y;
	double psnr, ssim;
};

struct r3d_quality {
	unsigned every, seen;
	bool text;
	int width, height;
	struct kept kept[R3D_QUALITY_MAX_FRAMES];
	size_t n;
};

struct r3d_quality *r3d_quality_create(unsigned every, const char *scene, char **why)
{
#if R3D_HAVE_GL
	struct r3d_quality *q = calloc(1, sizeof(*q));
	if (!q) {
		*why = strdup("out of memory");
		return NULL;
	}
	q->every = every ? every : 1;
	q->text = scene && strcmp(scene, "text") == 0;
	return q;
#else
	(void)every, (void)scene;
	*why = strdup("--quality needs GL (this remote3d-client was built without epoxy/EGL)");
	return NULL;
#endif
}

void r3d_quality_destroy(struct r3d_quality *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->kept[i].y);
	free(q);
}

void r3d_quality_offer(struct r3d_quality *q, uint32_t frame, const struct r3d_image_view *bgrx)
{
	if (!q || q->n == R3D_QUALITY_MAX_FRAMES || q->seen++ % q->every != 0)
		return;
	if (q->n && (bgrx->width != q->width || bgrx->height != q->height))
		return; /* the first size counts */
	uint8_t *y = malloc((size_t)bgrx->width * (size_t)bgrx->height);
	if (!y)
		return;
	q->width = bgrx->width;
	q->height = bgrx->height;
	r3d_luma_from_bgrx(bgrx->data, bgrx->width, bgrx->height, bgrx->stride, y);
	q->kept[q->n++] = (struct kept){ .frame = frame, .y = y };
}

#if R3D_HAVE_GL /* the reference is rendered with GL */
/* The reference goes through the stream's colour conversions without the
 * codec: BGRx -> 4:2:0 (the encoder's videoconvert) -> BGRx (playbin's),
 * so that the figures measure what the codec lost, not chroma subsampling
 * (which alone caps a picture with coloured edges near 38 dB). */
#define ROUNDTRIP "appsrc name=src format=time caps=video/x-raw,format=BGRx,width=%d,height=%d," \
		  "framerate=0/1 ! videoconvert ! video/x-raw,format=I420 ! videoconvert ! " \
		  "video/x-raw,format=BGRx ! appsink name=sink sync=false"

struct roundtrip {
	GstElement *pipe, *src, *sink;
};

static bool roundtrip_start(struct roundtrip *r, int w, int h, char **why)
{
	GError *err = NULL;
	char *desc = g_strdup_printf(ROUNDTRIP, w, h);
	r->pipe = gst_parse_launch(desc, &err);
	g_free(desc);
	if (!r->pipe) {
		*why = g_strdup_printf("colour conversion: %s", err ? err->message : "?");
		g_clear_error(&err);
		return false;
	}
	r->src = gst_bin_get_by_name(GST_BIN(r->pipe), "src");
	r->sink = gst_bin_get_by_name(GST_BIN(r->pipe), "sink");
	gst_element_set_state(r->pipe, GST_STATE_PLAYING);
	return true;
}

/* BGRx in (top-down, stride), the round-tripped luma out */
static bool roundtrip(struct roundtrip *r, const uint8_t *bgrx, int w, int h, int stride, uint8_t *y)
{
	GstBuffer *buf = gst_buffer_new_allocate(NULL, (gsize)w * (gsize)h * 4, NULL);
	GstMapInfo map;
	if (!buf || !gst_buffer_map(buf, &map, GST_MAP_WRITE))
		return false;
	for (int row = 0; row < h; row++)
		memcpy(map.data + (size_t)row * (size_t)w * 4, bgrx + (size_t)row * (size_t)stride,
		       (size_t)w * 4);
	gst_buffer_unmap(buf, &map);
	if (gst_app_src_push_buffer(GST_APP_SRC(r->src), buf) != GST_FLOW_OK)
		return false;
	GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(r->sink), 5 * GST_SECOND);
	if (!s)
		return false;
	GstBuffer *out = gst_sample_get_buffer(s);
	bool ok = out && gst_buffer_map(out, &map, GST_MAP_READ) && map.size >= (gsize)w * (gsize)h * 4;
	if (ok) {
		r3d_luma_from_bgrx(map.data, w, h, w * 4, y);
		gst_buffer_unmap(out, &map);
	}
	gst_sample_unref(s);
	return ok;
}

static void roundtrip_stop(struct roundtrip *r)
{
	if (!r->pipe)
		return;
	gst_element_set_state(r->pipe, GST_STATE_NULL);
	gst_object_unref(r->src);
	gst_object_unref(r->sink);
	gst_object_unref(r->pipe);
}
#endif

bool r3d_quality_compute(struct r3d_quality *q, char **why)
{
	if (!q || q->n == 0)
		return true;
#if R3D_HAVE_GL
	struct r3d_scene *sc = r3d_scene_create(q->width, q->height, why);
	struct r3d_extractor *ext = sc ? r3d_extractor_create_gl(R3D_FORMAT_BGRX, why) : NULL;
	uint8_t *ref = malloc((size_t)q->width * (size_t)q->height);
	struct r3d_raw_frame raw = { 0 };
	struct roundtrip rt = { 0 };
	bool ok = sc && ext && ref &&
		  r3d_scene_set_kind(sc, q->text ? R3D_SCENE_TEXT : R3D_SCENE_CUBE) &&
		  roundtrip_start(&rt, q->width, q->height, why);
	if (ok)
		r3d_scene_set_stamp(sc, false); /* its rows are not compared */
	for (size_t i = 0; ok && i < q->n; i++) {
		struct r3d_source src = { .kind = R3D_SOURCE_GL_TEXTURE, .width = q->width,
					  .height = q->height };
		src.u.gl.texture = r3d_scene_render(sc, q->kept[i].frame, 0);
		src.u.gl.y0_top = r3d_scene_y0_top(sc);
		glFinish();
		if (!r3d_extractor_extract(ext, &src, &raw, why)) {
			ok = false;
			break;
		}
		if (!roundtrip(&rt, raw.planes[0], q->width, q->height, raw.strides[0], ref)) {
			*why = strdup("colour conversion of the reference failed");
			ok = false;
			break;
		}
		const struct r3d_plane a = { ref, q->width, q->height, q->width };
		const struct r3d_plane b = { q->kept[i].y, q->width, q->height, q->width };
		q->kept[i].psnr = r3d_psnr_y(&a, &b, R3D_STAMP_HEIGHT);
		q->kept[i].ssim = r3d_ssim_y(&a, &b, R3D_STAMP_HEIGHT);
	}
	if (!ok && !*why)
		*why = strdup("out of memory");
	roundtrip_stop(&rt);
	r3d_raw_frame_finish(&raw);
	r3d_extractor_destroy(ext);
	r3d_scene_destroy(sc);
	free(ref);
	return ok;
#else
	*why = strdup("no GL");
	return false;
#endif
}

size_t r3d_quality_count(const struct r3d_quality *q)
{
	return q ? q->n : 0;
}

void r3d_quality_result(const struct r3d_quality *q, size_t i, uint32_t *frame, double *psnr,
			double *ssim)
{
	*frame = q->kept[i].frame;
	*psnr = q->kept[i].psnr;
	*ssim = q->kept[i].ssim;
}
