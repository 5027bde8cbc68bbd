/*
 * Benchmark: per-frame cost of each stage at 1280x720 and 1920x1080 with
 * the test scene on EGL surfaceless (llvmpipe here):
 *   render (scene), extract (GL FBO + glReadPixels, synchronous, BGRx),
 *   encode (x264 backend incl. videoconvert BGRx->I420), and the whole
 *   r3d_stream path (mark -> dispatch -> encoder thread -> hand-off) whose
 *   stage figures come from r3d_stream_get_stats.
 * Prints median and p95 in microseconds; asserts nothing about speed.
 * argv: [frames] [encoder]  (default 120, x264)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <epoxy/gl.h>

#include "remote3d/encoder.h"
#include "remote3d/extractor.h"
#include "remote3d/stats.h"
#include "remote3d/stream.h"
#include "scene.h"

static void report(const char *what, struct r3d_stats_window *w)
{
	struct r3d_stage_stats s;
	r3d_stats_window_summary(w, &s);
	printf("  %-26s median %7u us   p95 %7u us   (n=%u)\n", what, s.median_us, s.p95_us, s.window);
}

struct bench_sink {
	atomic_int handed;
	atomic_bool wake;
};

static void on_au(void *opaque, struct r3d_access_unit *au)
{
	struct bench_sink *k = opaque;
	atomic_fetch_add(&k->handed, 1);
	r3d_access_unit_free(au);
}

static void on_wakeup(void *opaque)
{
	atomic_store(&((struct bench_sink *)opaque)->wake, true);
}

static int bench_size(int w, int h, int frames, const char *encoder)
{
	char *error = NULL;
	struct r3d_scene *sc = r3d_scene_create(w, h, &error);
	if (!sc) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	struct r3d_encoder_config ec = { .name = encoder, .width = w, .height = h, .fps = 60,
					 .format = R3D_FORMAT_BGRX };
	struct r3d_encoder *enc = r3d_encoder_create(&ec, &error);
	struct r3d_extractor *ext = r3d_extractor_create_gl(R3D_FORMAT_BGRX, &error);
	if (!enc || !ext) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	struct r3d_stats_window render, extract, encode;
	r3d_stats_window_reset(&render);
	r3d_stats_window_reset(&extract);
	r3d_stats_window_reset(&encode);
	struct r3d_raw_frame f = { 0 };
	struct r3d_source src = { .kind = R3D_SOURCE_GL_TEXTURE, .width = w, .height = h };
	size_t bytes = 0;
	for (int i = 0; i < frames; i++) {
		uint64_t t0 = r3d_time_us();
		src.u.gl.texture = r3d_scene_render(sc, (uint32_t)i, t0);
		glFinish();
		uint64_t t1 = r3d_time_us();
		if (!r3d_extractor_extract(ext, &src, &f, &error))
			return 1;
		uint64_t t2 = r3d_time_us();
		struct r3d_access_unit *au = r3d_encoder_encode(enc, &f, NULL, &error);
		uint64_t t3 = r3d_time_us();
		if (!au)
			return 1;
		bytes += au->size;
		r3d_access_unit_free(au);
		r3d_stats_window_add(&render, t1 - t0);
		r3d_stats_window_add(&extract, t2 - t1);
		r3d_stats_window_add(&encode, t3 - t2);
	}
	printf("%dx%d, %d frames, encoder %s (%u kbit/s), %.1f KiB/frame\n", w, h, frames,
	       r3d_encoder_name(enc), r3d_encoder_get_bitrate(enc), bytes / 1024.0 / frames);
	report("render (llvmpipe)", &render);
	report("extract (glReadPixels)", &extract);
	report("encode (convert+x264)", &encode);
	r3d_encoder_destroy(enc);
	r3d_extractor_destroy(ext);
	r3d_raw_frame_finish(&f);

	/* the stream path: the source renders as fast as it can, the sink takes
	 * every frame at once: how many get through, what each stage costs */
	struct bench_sink k;
	atomic_init(&k.handed, 0);
	atomic_init(&k.wake, false);
	struct r3d_stream_config sc_cfg = { .width = w, .height = h, .encoder = encoder,
					    .on_access_unit = on_au, .wakeup = on_wakeup, .opaque = &k };
	struct r3d_stream *s = r3d_stream_create(&sc_cfg, &error);
	if (!s)
		return 1;
	r3d_stream_set_source_gl(s, r3d_scene_texture(sc), w, h, r3d_scene_y0_top(sc));
	int seen = 0;
	uint64_t start = r3d_time_us();
	r3d_stream_sink_ready(s);
	for (int i = 0; i < frames * 2; i++) {
		r3d_scene_render(sc, (uint32_t)(i + frames), r3d_time_us());
		r3d_stream_mark_dirty(s, NULL);
		if (atomic_exchange(&k.wake, false))
			r3d_stream_dispatch(s);
		int n = atomic_load(&k.handed);
		if (n > seen) { /* an instant sink: room again as soon as it got one */
			seen = n;
			r3d_stream_sink_ready(s);
			if (atomic_exchange(&k.wake, false))
				r3d_stream_dispatch(s);
		}
	}
	double secs = (double)(r3d_time_us() - start) / 1e6;
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	struct r3d_stats st;
	r3d_stream_get_stats(s, &st);
	printf("  stream: rendered+marked %llu, extracted %llu, encoded %llu, dropped %llu in %.2f s "
	       "(%.1f rendered fps, %.1f encoded fps)\n",
	       (unsigned long long)st.marked, (unsigned long long)st.extracted, (unsigned long long)st.encoded,
	       (unsigned long long)st.dropped, secs, st.marked / secs, st.encoded / secs);
	for (int i = 0; i < R3D_STAGE_COUNT; i++)
		printf("  stream %-19s median %7u us   p95 %7u us\n", r3d_stage_name((enum r3d_stage)i),
		       st.stage[i].median_us, st.stage[i].p95_us);
	printf("  stream stats JSON: ");
	r3d_stats_print_json(&st, stdout);
	printf("\n");
	r3d_scene_make_current(sc);
	r3d_stream_destroy(s);
	r3d_scene_destroy(sc);
	return 0;
}

int main(int argc, char **argv)
{
	int frames = argc > 1 ? atoi(argv[1]) : 120;
	const char *encoder = argc > 2 ? argv[2] : "x264";
	int rc = bench_size(1280, 720, frames, encoder);
	if (rc)
		return rc;
	return bench_size(1920, 1080, frames, encoder);
}
