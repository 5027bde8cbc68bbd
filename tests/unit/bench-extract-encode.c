/*
 * Benchmark: frame extraction, the three readback modes side by side, at
 * 1280x720 and 1920x1080, with the test scene on EGL surfaceless (llvmpipe
 * here, a GPU elsewhere):
 *   sync    (baseline) synchronous glReadPixels to BGRx + rows flipped on
 *           the CPU, x264 pipeline with videoconvert (BGRx -> I420 on the CPU)
 *   poll    GPU conversion to NV12 + fence (begin); polls with a zero
 *           timeout issue the glReadPixels into a PBO and map it, all on the
 *           owner thread; x264 on NV12 without videoconvert
 *   thread  GPU conversion to NV12 + fence + flush on the owner thread; a
 *           second thread with an EGL context shared with the scene's waits
 *           for the fence and reads the planes (gl-reader); x264 on NV12
 * Per frame (the scene rendered and glFinish'ed first, so rendering is not
 * counted): cost on the owner (marking) thread (sync: the whole readback;
 * poll: begin + every poll; thread: the convert call), begin to pixels in
 * CPU memory, bytes read back, encode time. Median and p95 in microseconds,
 * ratio to the baseline. Then the render-rate experiment: the scene renders
 * as fast as it can for a few seconds with streaming off, then streamed
 * through r3d_stream at max-fps 60 in each mode: rendered fps on vs off,
 * readbacks vs encoded vs rendered, mark and dispatch costs from the stream.
 * The experiment runs at max-fps 60 and again at a low rate every mode
 * sustains here (argv[3], 0 = skip), so that each streams the same frames.
 * Asserts nothing about speed. argv: [frames] [seconds] [fps] (120, 3, 10)
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
#include "remote3d/gl-reader.h"
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

static double ratio(uint32_t a, uint32_t b)
{
	return b ? (double)a / b : 0.0;
}

static void row(const char *what, struct fig *base, struct fig *poll, struct fig *thr)
{
	struct r3d_stage_stats b = sum(base), p = sum(poll), t = sum(thr);
	printf("  %-30s %8u %8u  %8u %8u %5.2f  %8u %8u %5.2f\n", what, b.median_us, b.p95_us, p.median_us,
	       p.p95_us, ratio(p.median_us, b.median_us), t.median_us, t.p95_us,
	       ratio(t.median_us, b.median_us));
}

/* The thread mode's reader: a thread of its own with the shared context. */
struct reader_job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct r3d_gl_reader *reader;
	struct r3d_gl_planes planes;
	struct r3d_raw_frame frame;
	bool has_job, done, quit, ok;
	uint64_t done_us;
	char *error;
};

static void *reader_main(void *opaque)
{
	struct reader_job *j = opaque;
	char *error = NULL;
	bool bound = r3d_gl_reader_bind(j->reader, &error);
	pthread_mutex_lock(&j->lock);
	for (;;) {
		while (!j->has_job && !j->quit)
			pthread_cond_wait(&j->cond, &j->lock);
		if (j->quit)
			break;
		j->has_job = false;
		pthread_mutex_unlock(&j->lock);
		bool ok = bound && r3d_gl_reader_read(j->reader, &j->planes, 2000000, &j->frame, &error);
		uint64_t now = r3d_time_us();
		pthread_mutex_lock(&j->lock);
		j->ok = ok;
		j->error = error;
		j->done_us = now;
		j->done = true;
		pthread_cond_broadcast(&j->cond);
	}
	pthread_mutex_unlock(&j->lock);
	if (bound)
		r3d_gl_reader_unbind(j->reader);
	r3d_raw_frame_finish(&j->frame);
	return NULL;
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
	struct r3d_extractor *ext_thr = r3d_extractor_create_gl(R3D_FORMAT_NV12, &error);
	if (!enc_base || !enc_new || !ext_base || !ext_new || !ext_thr) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	struct reader_job job = { .reader = r3d_gl_reader_create(&error) };
	pthread_t reader_thread;
	if (!job.reader || pthread_mutex_init(&job.lock, NULL) || pthread_cond_init(&job.cond, NULL) ||
	    pthread_create(&reader_thread, NULL, reader_main, &job)) {
		printf("FAIL: %s\n", error ? error : "cannot start the reader thread");
		return 1;
	}
	printf("%dx%d, %d frames; baseline pipeline: %s\n  new pipeline: %s\n  PBOs persistently mapped: %s\n",
	       w, h, frames, r3d_encoder_pipeline(enc_base), r3d_encoder_pipeline(enc_new),
	       ext_new->persistent_map ? "yes" : "no (map + copy)");
	struct fig owner_b = { 0 }, owner_n = { 0 }, rb_b = { 0 }, rb_n = { 0 }, enc_b = { 0 }, enc_n = { 0 },
		   polls = { 0 }, begin_n = { 0 }, owner_t = { 0 }, rb_t = { 0 }, enc_t = { 0 };
	struct r3d_raw_frame fb = { 0 }, fn = { 0 };
	struct r3d_source src = { .kind = R3D_SOURCE_GL_TEXTURE, .width = w, .height = h };
	src.u.gl.y0_top = r3d_scene_y0_top(sc);
	size_t bytes_b = 0, bytes_n = 0, bytes_t = 0;
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

		/* thread: convert + fence + flush here; the reader thread waits and reads */
		src.u.gl.texture = r3d_scene_render(sc, (uint32_t)i, r3d_time_us());
		glFinish();
		struct r3d_gl_planes planes;
		t0 = r3d_time_us();
		if (!r3d_extractor_gl_convert(ext_thr, &src, &planes, &error))
			goto fail;
		r3d_stats_window_add(&owner_t.w, r3d_time_us() - t0);
		pthread_mutex_lock(&job.lock);
		job.planes = planes;
		job.has_job = true;
		job.done = false;
		pthread_cond_broadcast(&job.cond);
		while (!job.done)
			pthread_cond_wait(&job.cond, &job.lock);
		pthread_mutex_unlock(&job.lock);
		if (!job.ok) {
			error = job.error;
			goto fail;
		}
		r3d_stats_window_add(&rb_t.w, job.done_us - t0);
		t1 = r3d_time_us();
		au = r3d_encoder_encode(enc_new, &job.frame, NULL, &error);
		t2 = r3d_time_us();
		if (!au)
			goto fail;
		r3d_access_unit_free(au);
		r3d_stats_window_add(&enc_t.w, t2 - t1);
		bytes_t += job.frame.size;
	}
	printf("  %-30s %17s  %23s  %23s\n", "", "sync (baseline)", "poll (owner thread)", "thread (shared ctx)");
	printf("  %-30s %8s %8s  %8s %8s %5s  %8s %8s %5s\n", "per frame (us)", "median", "p95", "median", "p95",
	       "/base", "median", "p95", "/base");
	row("owner-thread GL cost", &owner_b, &owner_n, &owner_t);
	row("begin -> pixels in CPU memory", &rb_b, &rb_n, &rb_t);
	row("encode x264 (sync: +videoconv.)", &enc_b, &enc_n, &enc_t);
	printf("  %-30s %8zu %8s  %8zu %8s %5.2f  %8zu %8s %5.2f\n", "bytes read back per frame", bytes_b / frames,
	       "", bytes_n / frames, "", (double)bytes_n / bytes_b, bytes_t / frames, "", (double)bytes_t / bytes_b);
	struct r3d_stage_stats bs = sum(&begin_n);
	printf("  poll: begin() alone median %u p95 %u us; polls per frame (every 250 us) median %u\n",
	       bs.median_us, bs.p95_us, sum(&polls).median_us);
	pthread_mutex_lock(&job.lock);
	job.quit = true;
	pthread_cond_broadcast(&job.cond);
	pthread_mutex_unlock(&job.lock);
	pthread_join(reader_thread, NULL);
	r3d_gl_reader_destroy(job.reader);
	r3d_extractor_destroy(ext_thr);
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
static double render_rate(struct r3d_scene *sc, int w, int h, double secs, const char *mode, unsigned max_fps)
{
	char *error = NULL;
	struct sink k;
	atomic_init(&k.handed, 0);
	atomic_init(&k.wake, false);
	struct r3d_stream *s = NULL;
	if (strcmp(mode, "off") != 0) {
		struct r3d_stream_config cfg = { .width = w, .height = h, .encoder = "x264", .max_fps = max_fps,
						 .on_access_unit = on_au, .wakeup = on_wakeup, .opaque = &k };
		if (!r3d_readback_from_name(mode, &cfg.readback)) {
			printf("FAIL: readback mode %s\n", mode);
			return 0;
		}
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
	printf("  streaming on (%-6s, mode used %s): rendered %5u in %.2f s = %6.1f fps; readbacks %llu, encoded %llu "
	       "(%.1f fps), dropped unread %llu\n", mode, r3d_stream_readback_mode(s), rendered, took, fps,
	       (unsigned long long)st.readbacks,
	       (unsigned long long)st.encoded, st.encoded / took, (unsigned long long)st.dropped);
	printf("      mark_dirty us median %u p95 %u; dispatch GL cost per frame us median %u p95 %u; "
	       "readback (begin to mapped) median %u p95 %u; encode median %u p95 %u; %.0f bytes/frame read\n",
	       st.stage[R3D_STAGE_MARK].median_us, st.stage[R3D_STAGE_MARK].p95_us,
	       st.stage[R3D_STAGE_DISPATCH].median_us, st.stage[R3D_STAGE_DISPATCH].p95_us,
	       st.stage[R3D_STAGE_EXTRACT].median_us, st.stage[R3D_STAGE_EXTRACT].p95_us,
	       st.stage[R3D_STAGE_ENCODE].median_us, st.stage[R3D_STAGE_ENCODE].p95_us,
	       st.extracted ? (double)st.readback_bytes / st.extracted : 0.0);
	r3d_stream_destroy(s);
	return fps;
}

static int bench_size(int w, int h, int frames, double secs, unsigned fair_fps)
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
	/* at max-fps 60 (the experiment; on a slow machine each mode
	 * encodes as many frames as it can, so a faster mode also takes more
	 * CPU from the renderer), then at a rate every mode sustains (the same
	 * number of frames streamed: the cost per streamed frame compares) */
	unsigned rates[2] = { 60, fair_fps };
	for (int r = 0; r < (fair_fps ? 2 : 1); r++) {
		printf("  render-rate experiment (%.0f s each, max-fps %u, instant sink):\n", secs, rates[r]);
		double off = render_rate(sc, w, h, secs, "off", 0);
		double thr = render_rate(sc, w, h, secs, "thread", rates[r]);
		double poll = render_rate(sc, w, h, secs, "poll", rates[r]);
		double base = render_rate(sc, w, h, secs, "sync", rates[r]);
		printf("  max-fps %u: rendered fps streaming on / off: thread %.1f%%, poll %.1f%%, sync (baseline) "
		       "%.1f%% (target >= 95%%)\n", rates[r], off > 0 ? 100 * thr / off : 0,
		       off > 0 ? 100 * poll / off : 0, off > 0 ? 100 * base / off : 0);
	}
	r3d_scene_destroy(sc);
	return 0;
}

int main(int argc, char **argv)
{
	int frames = argc > 1 ? atoi(argv[1]) : 120;
	double secs = argc > 2 ? atof(argv[2]) : 3;
	unsigned fair_fps = argc > 3 ? (unsigned)atoi(argv[3]) : 10;
	char *error = NULL;
	if (!r3d_encoder_available("x264", &error)) {
		printf("SKIP: %s\n", error);
		return 77;
	}
	loadavg("start");
	int rc = bench_size(1280, 720, frames, secs, fair_fps);
	if (!rc)
		rc = bench_size(1920, 1080, frames, secs, fair_fps);
	loadavg("end");
	return rc;
}
