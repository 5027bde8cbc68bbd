/*
 * Benchmark: frame extraction, spine baseline vs issue 3, side by side, at
 * 1280x720 and 1920x1080, with the test scene on EGL surfaceless (llvmpipe
 * here, a GPU elsewhere):
 *   baseline  synchronous glReadPixels to BGRx + rows flipped on the CPU,
 *             x264 pipeline with videoconvert (BGRx -> I420 on the CPU)
 *   new       GPU conversion to NV12 + glReadPixels into a PBO + fence
 *             (begin), fence polled with a zero timeout (poll), x264 on NV12
 *             without videoconvert
 * Per frame (the scene rendered and glFinish'ed first, so rendering is not
 * counted): cost on the marking thread (baseline: the whole readback;
 * new: begin + every poll), readback+conversion (begin to mapped), bytes
 * read back, encode time. Median and p95 in microseconds, ratio new/baseline.
 * Then the render-rate experiment: the scene renders as fast as it can for
 * a few seconds with streaming off, then streamed through r3d_stream at
 * max-fps 60 (new path, then the baseline path): rendered fps on vs off,
 * readbacks vs encoded vs rendered, mark and dispatch costs from the stream.
 * Asserts nothing about speed. argv: [frames] [seconds] (default 120, 3)
 */
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

struct fig {
	struct r3d_stats_window w;
};

static struct r3d_stage_stats sum(struct fig *f)
{
	struct r3d_stage_stats s;
	r3d_stats_window_summary(&f->w, &s);
	return s;
}

static void row(const char *what, struct fig *base, struct fig *new)
{
	struct r3d_stage_stats b = sum(base), n = sum(new);
	printf("  %-34s %9u %9u   %9u %9u   %6.2f\n", what, b.median_us, b.p95_us, n.median_us, n.p95_us,
	       b.median_us ? (double)n.median_us / b.median_us : 0.0);
}

static void loadavg(const char *when)
{
	char buf[128] = "?";
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "?\n");
		fclose(f);
	}
	printf("load average (%s): %s", when, buf);
}

static int per_frame(struct r3d_scene *sc, int w, int h, int frames)
{
	char *error = NULL;
	struct r3d_encoder_config ec = { .name = "x264", .width = w, .height = h, .fps = 60,
					 .format = R3D_FORMAT_BGRX };
	struct r3d_encoder *enc_base = r3d_encoder_create(&ec, &error);
	ec.format = R3D_FORMAT_NV12;
	struct r3d_encoder *enc_new = enc_base ? r3d_encoder_create(&ec, &error) : NULL;
	struct r3d_extractor *ext_base = r3d_extractor_create_gl(R3D_FORMAT_BGRX, &error);
	struct r3d_extractor *ext_new = r3d_extractor_create_gl(R3D_FORMAT_NV12, &error);
	if (!enc_base || !enc_new || !ext_base || !ext_new) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	printf("%dx%d, %d frames; baseline pipeline: %s\n  new pipeline: %s\n  PBOs persistently mapped: %s\n",
	       w, h, frames, r3d_encoder_pipeline(enc_base), r3d_encoder_pipeline(enc_new),
	       r3d_extractor_gl_persistent(ext_new) ? "yes" : "no (map + copy)");
	struct fig owner_b = { 0 }, owner_n = { 0 }, rb_b = { 0 }, rb_n = { 0 }, enc_b = { 0 }, enc_n = { 0 },
		   polls = { 0 }, begin_n = { 0 };
	struct r3d_raw_frame fb = { 0 }, fn = { 0 };
	struct r3d_source src = { .kind = R3D_SOURCE_GL_TEXTURE, .width = w, .height = h };
	src.u.gl.y0_top = r3d_scene_y0_top(sc);
	size_t bytes_b = 0, bytes_n = 0;
	for (int i = 0; i < frames; i++) {
		src.u.gl.texture = r3d_scene_render(sc, (uint32_t)i, r3d_time_us());
		glFinish();
		/* baseline: everything on the marking thread */
		uint64_t t0 = r3d_time_us();
		if (!r3d_extractor_extract(ext_base, &src, &fb, &error))
			goto fail;
		uint64_t t1 = r3d_time_us();
		struct r3d_access_unit *au = r3d_encoder_encode(enc_base, &fb, NULL, &error);
		uint64_t t2 = r3d_time_us();
		if (!au)
			goto fail;
		r3d_access_unit_free(au);
		r3d_stats_window_add(&owner_b.w, t1 - t0);
		r3d_stats_window_add(&rb_b.w, t1 - t0);
		r3d_stats_window_add(&enc_b.w, t2 - t1);
		bytes_b += fb.size;

		/* new: begin, then poll as a host woken by the stream would: every
		 * 250 us (the stream's re-poll interval is 200..2000 us) */
		src.u.gl.texture = r3d_scene_render(sc, (uint32_t)i, r3d_time_us());
		glFinish();
		t0 = r3d_time_us();
		if (!r3d_extractor_begin(ext_new, &src, &error))
			goto fail;
		uint64_t owner = r3d_time_us() - t0;
		r3d_stats_window_add(&begin_n.w, owner);
		int r, n = 0;
		do {
			if (n) {
				struct timespec ts = { 0, 250 * 1000 };
				nanosleep(&ts, NULL);
			}
			uint64_t p0 = r3d_time_us();
			r = r3d_extractor_poll(ext_new, &fn, &error);
			owner += r3d_time_us() - p0;
			n++;
		} while (r == 0);
		if (r < 0)
			goto fail;
		t1 = r3d_time_us();
		au = r3d_encoder_encode(enc_new, &fn, NULL, &error);
		t2 = r3d_time_us();
		if (!au)
			goto fail;
		r3d_access_unit_free(au);
		r3d_stats_window_add(&owner_n.w, owner);
		r3d_stats_window_add(&rb_n.w, t1 - t0);
		r3d_stats_window_add(&enc_n.w, t2 - t1);
		r3d_stats_window_add(&polls.w, (uint64_t)n);
		bytes_n += fn.size;
	}
	printf("  %-34s %9s %9s   %9s %9s   %6s\n", "per frame (us)", "base med", "base p95", "new med",
	       "new p95", "new/base");
	row("marking-thread GL cost (all calls)", &owner_b, &owner_n);
	row("readback+conversion (to mapped)", &rb_b, &rb_n);
	row("encode x264 (base: +videoconvert)", &enc_b, &enc_n);
	printf("  %-34s %9zu %9s   %9zu %9s   %6.2f\n", "bytes read back per frame", bytes_b / frames, "",
	       bytes_n / frames, "", (double)bytes_n / bytes_b);
	struct r3d_stage_stats bs = sum(&begin_n);
	printf("  new: begin() alone median %u p95 %u us; polls per frame (every 250 us) median %u\n",
	       bs.median_us, bs.p95_us, sum(&polls).median_us);
	r3d_raw_frame_finish(&fb);
	r3d_extractor_destroy(ext_base);
	r3d_extractor_destroy(ext_new);
	r3d_encoder_destroy(enc_base);
	r3d_encoder_destroy(enc_new);
	return 0;
fail:
	printf("FAIL: %s\n", error ? error : "?");
	return 1;
}

struct sink {
	atomic_int handed;
	atomic_bool wake;
};

static void on_au(void *opaque, struct r3d_access_unit *au)
{
	atomic_fetch_add(&((struct sink *)opaque)->handed, 1);
	r3d_access_unit_free(au);
}

static void on_wakeup(void *opaque)
{
	atomic_store(&((struct sink *)opaque)->wake, true);
}

/* Render as fast as possible for `secs`; with mode "off" no stream. */
static double render_rate(struct r3d_scene *sc, int w, int h, double secs, const char *mode)
{
	char *error = NULL;
	struct sink k;
	atomic_init(&k.handed, 0);
	atomic_init(&k.wake, false);
	struct r3d_stream *s = NULL;
	if (strcmp(mode, "off") != 0) {
		setenv("R3D_GL_READBACK", strcmp(mode, "baseline") == 0 ? "sync" : "async", 1);
		struct r3d_stream_config cfg = { .width = w, .height = h, .encoder = "x264", .max_fps = 60,
						 .on_access_unit = on_au, .wakeup = on_wakeup, .opaque = &k };
		s = r3d_stream_create(&cfg, &error);
		if (!s) {
			printf("FAIL: %s\n", error);
			return 0;
		}
		r3d_stream_set_source_gl(s, r3d_scene_texture(sc), w, h, r3d_scene_y0_top(sc));
		r3d_stream_sink_ready(s);
	}
	int seen = 0;
	uint32_t rendered = 0;
	uint64_t start = r3d_time_us(), end = start + (uint64_t)(secs * 1e6);
	while (r3d_time_us() < end) {
		r3d_scene_render(sc, rendered++, r3d_time_us());
		if (!s)
			continue;
		r3d_stream_mark_dirty(s, NULL);
		if (atomic_exchange(&k.wake, false))
			r3d_stream_dispatch(s);
		int n = atomic_load(&k.handed);
		if (n > seen) { /* an instant sink */
			seen = n;
			r3d_stream_sink_ready(s);
		}
	}
	glFinish();
	double took = (double)(r3d_time_us() - start) / 1e6, fps = rendered / took;
	if (!s) {
		printf("  streaming off:            rendered %5u in %.2f s = %6.1f fps\n", rendered, took, fps);
		return fps;
	}
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	if (atomic_exchange(&k.wake, false))
		r3d_stream_dispatch(s);
	struct r3d_stats st;
	r3d_stream_get_stats(s, &st);
	printf("  streaming on (%-8s):   rendered %5u in %.2f s = %6.1f fps; readbacks %llu, encoded %llu "
	       "(%.1f fps), dropped unread %llu\n", mode, rendered, took, fps, (unsigned long long)st.readbacks,
	       (unsigned long long)st.encoded, st.encoded / took, (unsigned long long)st.dropped);
	printf("      mark_dirty us median %u p95 %u; dispatch GL cost per frame us median %u p95 %u; "
	       "readback (begin to mapped) median %u p95 %u; encode median %u p95 %u; %.0f bytes/frame read\n",
	       st.stage[R3D_STAGE_MARK].median_us, st.stage[R3D_STAGE_MARK].p95_us,
	       st.stage[R3D_STAGE_DISPATCH].median_us, st.stage[R3D_STAGE_DISPATCH].p95_us,
	       st.stage[R3D_STAGE_EXTRACT].median_us, st.stage[R3D_STAGE_EXTRACT].p95_us,
	       st.stage[R3D_STAGE_ENCODE].median_us, st.stage[R3D_STAGE_ENCODE].p95_us,
	       st.extracted ? (double)st.readback_bytes / st.extracted : 0.0);
	r3d_stream_destroy(s);
	unsetenv("R3D_GL_READBACK");
	return fps;
}

static int bench_size(int w, int h, int frames, double secs)
{
	char *error = NULL;
	struct r3d_scene *sc = r3d_scene_create(w, h, &error);
	if (!sc) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	int rc = per_frame(sc, w, h, frames);
	if (rc)
		return rc;
	printf("  render-rate experiment (%.0f s each, max-fps 60, instant sink):\n", secs);
	double off = render_rate(sc, w, h, secs, "off");
	double on = render_rate(sc, w, h, secs, "new");
	double base = render_rate(sc, w, h, secs, "baseline");
	printf("  rendered fps streaming on / off: new %.1f%%, baseline %.1f%% (target >= 95%%)\n",
	       off > 0 ? 100 * on / off : 0, off > 0 ? 100 * base / off : 0);
	r3d_scene_destroy(sc);
	return 0;
}

int main(int argc, char **argv)
{
	int frames = argc > 1 ? atoi(argv[1]) : 120;
	double secs = argc > 2 ? atof(argv[2]) : 3;
	char *error = NULL;
	if (!r3d_encoder_available("x264", &error)) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	loadavg("start");
	int rc = bench_size(1280, 720, frames, secs);
	if (!rc)
		rc = bench_size(1920, 1080, frames, secs);
	loadavg("end");
	return rc;
}
