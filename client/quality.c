#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d-config.h"
#include "picture-quality.h"
#include "quality.h"

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

bool r3d_quality_compute(struct r3d_quality *q, char **why)
{
	if (!q || q->n == 0)
		return true;
#if R3D_HAVE_GL
	struct r3d_scene *sc = r3d_scene_create(q->width, q->height, why);
	struct r3d_extractor *ext = sc ? r3d_extractor_create_gl(R3D_FORMAT_BGRX, why) : NULL;
	uint8_t *ref = malloc((size_t)q->width * (size_t)q->height);
	struct r3d_raw_frame raw = { 0 };
	bool ok = sc && ext && ref &&
		  r3d_scene_set_kind(sc, q->text ? R3D_SCENE_TEXT : R3D_SCENE_CUBE);
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
		r3d_luma_from_bgrx(raw.planes[0], q->width, q->height, raw.strides[0], ref);
		const struct r3d_plane a = { ref, q->width, q->height, q->width };
		const struct r3d_plane b = { q->kept[i].y, q->width, q->height, q->width };
		q->kept[i].psnr = r3d_psnr_y(&a, &b, R3D_STAMP_HEIGHT);
		q->kept[i].ssim = r3d_ssim_y(&a, &b, R3D_STAMP_HEIGHT);
	}
	if (!ok && !*why)
		*why = strdup("out of memory");
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
