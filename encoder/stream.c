/*
 * The stream: one frame source (pure logic) under a mutex, readback on the
 * owner thread in dispatch(), one encoder thread fed through a single
 * slot. Pipelined (the default; cfg.serial restores the serial
 * schedule): the next frame is read back while the encoder encodes the
 * current one (frame-source.h says when; at most one reading back, one
 * waiting in the slot, one encoding, and a handed frame follows at most one
 * unwritten in the sink). How a frame is read back is the readback
 * strategy's (readback.h): chosen for GL sources at the first GL dispatch,
 * replaced by its fallback when it stops working; each keeps the frame the
 * encoder reads apart from the one it reads next. The sink's feedback and
 * rate control are stream-rate.c's; the state both share, stream-private.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/extractor.h"
#include "remote3d/log.h"
#include "priority.h"
#include "stream-private.h"

/* the size the encoder is made for when the config gives none: the first
 * source resizes it */
#define DEFAULT_WIDTH 640
#define DEFAULT_HEIGHT 480

static void collect_stats(struct r3d_stream *s, struct r3d_stats *out);

void stream_call_wakeup(struct r3d_stream *s)
{
	if (s->cfg.wakeup)
		s->cfg.wakeup(s->cfg.opaque);
}

/* Under lock: ask for a dispatch in `us` (the timer thread calls
 * wakeup(); an earlier deadline stays). */
static void wake_in(struct r3d_stream *s, uint64_t us)
{
	uint64_t at = r3d_time_us() + us;
	if (!s->pace_deadline_us || at < s->pace_deadline_us) {
		s->pace_deadline_us = at;
		stream_timer_poke(&s->timer);
	}
}

bool stream_extraction_due(struct r3d_stream *s)
{
	uint64_t wait_us = 0;
	if (r3d_frame_source_should_extract(&s->fs, &wait_us))
		return true;
	if (wait_us)
		wake_in(s, wait_us);
	return false;
}

static struct r3d_encoder *make_encoder(struct r3d_stream *s, int w, int h, enum r3d_pixel_format fmt,
					unsigned kbps, char **error)
{
	struct r3d_encoder_config ec = {
		.name = s->encoder_name,
		.width = w,
		.height = h,
		.fps = r3d_fps_or_default(s->cfg.max_fps),
		.bitrate_kbps = kbps,
		.format = fmt,
		.clock = s->clock,
		.nice = s->encoder_nice,
	};
	return r3d_encoder_create(&ec, error);
}

/* ---- encoder thread ---- */

static bool ensure_encoder(struct r3d_stream *s, const struct r3d_raw_frame *f, unsigned kbps)
{
	if (s->enc && s->enc_width == f->width && s->enc_height == f->height && s->enc_format == f->format)
		return true;
	char *error = NULL;
	r3d_encoder_destroy(s->enc);
	s->enc = make_encoder(s, f->width, f->height, f->format, kbps, &error);
	if (!s->enc) {
		r3d_log(R3D_LOG_ERROR, "stream: %s", error ? error : "cannot create the encoder");
		free(error);
		return false;
	}
	s->enc_width = f->width;
	s->enc_height = f->height;
	s->enc_format = f->format;
	return true;
}

static void record_frame_stats(struct r3d_stream *s, const struct r3d_frame_timing *t)
{
	if (t->extract_start_us >= t->dirty_us)
		r3d_stats_window_add(&s->win[R3D_STAGE_WAIT], t->extract_start_us - t->dirty_us);
	if (t->encoded_us >= t->extracted_us)
		r3d_stats_window_add(&s->win[R3D_STAGE_ENCODE], t->encoded_us - t->extracted_us);
	if (t->handed_us >= t->encoded_us)
		r3d_stats_window_add(&s->win[R3D_STAGE_HANDOFF], t->handed_us - t->encoded_us);
	if (t->handed_us >= t->dirty_us)
		r3d_stats_window_add(&s->win[R3D_STAGE_TOTAL], t->handed_us - t->dirty_us);
}

static void encode_slot(struct r3d_stream *s, struct r3d_frame_ticket *t, const struct r3d_raw_frame *f,
			unsigned kbps, bool bitrate_changed)
{
	char *error = NULL;
	struct r3d_access_unit *au = NULL;
	bool fresh = !s->enc || s->enc_width != f->width || s->enc_height != f->height ||
		     s->enc_format != f->format;

	if (ensure_encoder(s, f, kbps)) {
		if (bitrate_changed && !fresh)
			r3d_encoder_set_bitrate(s->enc, kbps);
		if (t->keyframe)
			r3d_encoder_force_keyframe(s->enc);
		t->timing.encode_start_us = r3d_clock_now(s->clock);
		au = r3d_encoder_encode(s->enc, f, &t->timing, &error);
		if (!au) {
			r3d_log(R3D_LOG_ERROR, "stream: %s", error ? error : "encode failed");
			free(error);
			/* a broken pipeline: start over with a new one next time */
			r3d_encoder_destroy(s->enc);
			s->enc = NULL;
		}
	}

	pthread_mutex_lock(&s->lock);
	if (!au) {
		r3d_frame_source_encode_failed(&s->fs, &t->timing);
		pthread_mutex_unlock(&s->lock);
		stream_call_wakeup(s); /* the sink still has room */
		return;
	}
	r3d_frame_source_encoded(&s->fs, &au->timing);
	if (au->keyframe)
		s->extra.keyframes++;
	pthread_mutex_unlock(&s->lock);

	struct r3d_frame_timing timing;
	size_t size = au->size;
	bool keyframe = au->keyframe;
	au->timing.handed_us = r3d_clock_now(s->clock);
	timing = au->timing;
	if (s->cfg.on_access_unit)
		s->cfg.on_access_unit(s->cfg.opaque, au); /* ownership passes */
	else
		r3d_access_unit_free(au);

	pthread_mutex_lock(&s->lock);
	r3d_frame_source_handed(&s->fs, &timing);
	s->extra.bytes += size;
	record_frame_stats(s, &timing);
	stream_rate_on_frame(s, &timing, size, keyframe);
	bool go = stream_extraction_due(s);
	pthread_mutex_unlock(&s->lock);
	if (go)
		stream_call_wakeup(s);
}

/* READBACK_ON_ENCODER: the strategy waits for the owner's conversion and
 * reads it here. Without the lock; takes it to record the outcome. False:
 * nothing to encode. */
static bool read_planes(struct r3d_stream *s, struct r3d_frame_ticket *t, struct readback *rb,
			struct r3d_gl_planes *p, const struct r3d_raw_frame **f)
{
	char *error = NULL;
	bool broken = false;
	bool ok = rb->impl->read(rb, p, f, &broken, &error);

	if (!broken)
		s->enc_rb = rb;
	pthread_mutex_lock(&s->lock);
	if (!ok) {
		r3d_log(R3D_LOG_ERROR, "stream: %s%s", error ? error : "readback failed",
			broken ? " (reading on the owner thread from now on)" : "");
		if (broken) {
			s->rb_broken = true;
			s->stale_planes = *p; /* its fence: deleted by the owner */
		}
		r3d_frame_source_extract_failed(&s->fs, t);
		pthread_mutex_unlock(&s->lock);
		free(error);
		stream_call_wakeup(s);
		return false;
	}
	r3d_frame_source_extracted(&s->fs, t);
	r3d_stats_window_add(&s->win[R3D_STAGE_EXTRACT], t->timing.extracted_us - t->timing.extract_start_us);
	s->extra.readback_bytes += (*f)->size;
	/* read: the owner may convert the next frame into the same targets */
	r3d_frame_source_encode_started(&s->fs);
	bool go = stream_extraction_due(s);
	pthread_mutex_unlock(&s->lock);
	if (go)
		stream_call_wakeup(s);
	return true;
}

static void *encoder_thread(void *opaque)
{
	struct r3d_stream *s = opaque;

	if (s->encoder_nice > 0 && !r3d_thread_set_nice(s->encoder_nice))
		r3d_log(R3D_LOG_DEBUG, "stream: cannot lower the encoder thread's priority");
	pthread_mutex_lock(&s->lock);
	while (!s->quit) {
		if (s->slot_full) {
			struct r3d_frame_ticket t = s->slot;
			struct r3d_raw_frame frame = s->slot_frame;
			bool gpu = s->slot_gpu;
			struct r3d_gl_planes planes = s->slot_planes;
			struct readback *rb = s->slot_rb;
			s->slot_gpu = false;
			unsigned kbps = s->bitrate_kbps;
			bool changed = s->bitrate_changed;
			s->bitrate_changed = false;
			/* Free the slot as the ticket is taken, not after encoding:
			 * once the access unit is handed over, the sink may be ready
			 * again and the owner thread may fill the slot with the next
			 * frame before encode_slot() returns; clearing it afterwards
			 * would lose that frame and leave the source busy for good.
			 * The pixels stay guarded by the frame source until encoded:
			 * the next readback writes another buffer (readback.h). */
			s->slot_full = false;
			bool go = false;
			if (!gpu) {
				r3d_frame_source_encode_started(&s->fs);
				go = stream_extraction_due(s);
			}
			pthread_mutex_unlock(&s->lock);
			if (go)
				stream_call_wakeup(s); /* the next frame's readback overlaps this encode */
			const struct r3d_raw_frame *read = NULL;
			if (!gpu)
				encode_slot(s, &t, &frame, kbps, changed);
			else if (read_planes(s, &t, rb, &planes, &read))
				encode_slot(s, &t, read, kbps, changed);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		pthread_cond_wait(&s->cond, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	if (s->enc_rb && s->enc_rb->impl->encoder_exit)
		s->enc_rb->impl->encoder_exit(s->enc_rb);
	return NULL;
}

/* Under lock, then unlocked for the log call: the summary (cfg.stats_interval_ms). */
static void log_summary(struct r3d_stream *s, uint64_t now)
{
	struct r3d_stats st, prev;
	double secs;

	collect_stats(s, &st);
	stream_summary_advance(&s->summary, &st, now, &prev, &secs);
	pthread_mutex_unlock(&s->lock);
	stream_summary_log(&st, &prev, secs);
	pthread_mutex_lock(&s->lock);
}

/* The timer (stream-timer.h), under lock: wakeup() at pace_deadline_us
 * (max_fps pacing, a pipelined start, the next look at a pending
 * readback), rate control's (stream-rate.c), and the summary. */
static uint64_t timer_fire(void *opaque, uint64_t now)
{
	struct r3d_stream *s = opaque;
	uint64_t stats_at = stream_summary_due_us(&s->summary);

	if (stats_at && now >= stats_at) {
		log_summary(s, now);
		return now;
	}
	if (stream_rate_timer(s, now))
		return now;
	if (s->pace_deadline_us && now >= s->pace_deadline_us) {
		s->pace_deadline_us = 0;
		pthread_mutex_unlock(&s->lock);
		stream_call_wakeup(s);
		pthread_mutex_lock(&s->lock);
		return now;
	}
	return stream_earliest_us(stream_earliest_us(s->pace_deadline_us, stats_at), stream_rate_next_us(s));
}

/* ---- life cycle ---- */

static bool config_ok(const struct r3d_stream_config *cfg, char **error)
{
	if (!cfg || cfg->width < 0 || cfg->height < 0 || cfg->width > R3D_ENCODE_MAX_SIDE ||
	    cfg->height > R3D_ENCODE_MAX_SIDE) {
		r3d_set_error(error, "stream: bad size %dx%d (1..%d)", cfg ? cfg->width : 0, cfg ? cfg->height : 0,
			      R3D_ENCODE_MAX_SIDE);
		return false;
	}
	if (!r3d_readback_name(cfg->readback)) {
		r3d_set_error(error, "stream: bad readback mode %d", (int)cfg->readback);
		return false;
	}
	if (cfg->gl_mapping != R3D_GL_MAP_AUTO && cfg->gl_mapping != R3D_GL_MAP_COPY) {
		r3d_set_error(error, "stream: bad GL readback mapping %d", (int)cfg->gl_mapping);
		return false;
	}
	if (cfg->encoder_nice > R3D_ENCODER_NICE_MAX ||
	    (cfg->encoder_nice < 0 && cfg->encoder_nice != R3D_ENCODER_NICE_UNSET)) {
		r3d_set_error(error, "stream: encoder nice %d is not 0..%d", cfg->encoder_nice,
			      R3D_ENCODER_NICE_MAX);
		return false;
	}
	return true;
}

/* The encoder now, so that a bad name or a missing element is an error of
 * create, not a log line at the first frame; made for what a GL source
 * will give it in the mode asked for: the YUV format it takes without
 * videoconvert, or the unconverted read. */
static bool first_encoder(struct r3d_stream *s, int w, int h, char **error)
{
	enum r3d_pixel_format fmt = READBACK_RGB_FORMAT;
	int ew = w, eh = h;

	s->mode = s->cfg.readback == R3D_READBACK_AUTO ? R3D_READBACK_THREAD : s->cfg.readback;
	s->rb_params.yuv_format = R3D_FORMAT_NV12;
	s->rb_params.gl_mapping = s->cfg.gl_mapping;
	if (readback_converts(s->mode)) {
		fmt = R3D_FORMAT_NV12;
		ew = (w + 1) & ~1; /* the GPU conversion pads odd sizes */
		eh = (h + 1) & ~1;
	}
	s->enc = make_encoder(s, ew, eh, fmt, s->bitrate_kbps, error);
	if (s->enc && fmt != READBACK_RGB_FORMAT && r3d_encoder_native_format(s->enc) != fmt) {
		fmt = r3d_encoder_native_format(s->enc); /* I420 for openh264 */
		r3d_encoder_destroy(s->enc);
		s->enc = make_encoder(s, ew, eh, fmt, s->bitrate_kbps, error);
	}
	if (!s->enc)
		return false;
	if (readback_converts(s->mode))
		s->rb_params.yuv_format = fmt;
	s->enc_width = ew;
	s->enc_height = eh;
	s->enc_format = fmt;
	snprintf(s->backend, sizeof(s->backend), "%s", r3d_encoder_name(s->enc));
	return true;
}

struct r3d_stream *r3d_stream_create(const struct r3d_stream_config *cfg, char **error)
{
	if (!config_ok(cfg, error))
		return NULL;
	struct r3d_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		r3d_set_error(error, "stream: out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->clock = cfg->clock ? cfg->clock : r3d_clock_monotonic();
	s->cfg.clock = s->clock;
	s->encoder_name = strdup(cfg->encoder && *cfg->encoder ? cfg->encoder : "auto");
	s->cfg.encoder = s->encoder_name;
	int w = cfg->width ? cfg->width : DEFAULT_WIDTH, h = cfg->height ? cfg->height : DEFAULT_HEIGHT;
	if (!stream_rate_setup(s, w, h, error))
		goto fail_alloc;
	s->encoder_nice = cfg->encoder_nice == R3D_ENCODER_NICE_UNSET ? R3D_ENCODER_NICE_DEFAULT : cfg->encoder_nice;
	struct r3d_frame_source_config fc = {
		.width = w,
		.height = h,
		.max_fps = cfg->max_fps,
		.clock = s->clock,
		.serial = cfg->serial, /* the old schedule, for comparisons */
	};
	r3d_frame_source_init(&s->fs, &fc);
	if (!s->encoder_name || pthread_mutex_init(&s->lock, NULL)) {
		r3d_set_error(error, "stream: out of memory");
		goto fail_alloc;
	}
	if (pthread_cond_init(&s->cond, NULL)) {
		r3d_set_error(error, "stream: cannot make a condition variable");
		goto fail_lock;
	}
	if (!stream_timer_init(&s->timer, &s->lock, timer_fire, s, error))
		goto fail_cond;
	stream_summary_init(&s->summary, cfg->stats_interval_ms, r3d_time_us());
	stream_rate_start(s);

	/* from here on r3d_stream_destroy() undoes what was done */
	if (!first_encoder(s, w, h, error))
		goto fail;
	int rc = pthread_create(&s->thread, NULL, encoder_thread, s);
	if (rc) {
		r3d_set_error(error, "stream: cannot start the encoder thread: %s", strerror(rc));
		goto fail;
	}
	s->thread_started = true;
	if (!stream_timer_start(&s->timer, error))
		goto fail;
	return s;
fail:
	r3d_stream_destroy(s);
	return NULL;
fail_cond:
	stream_timer_finish(&s->timer);
	pthread_cond_destroy(&s->cond);
fail_lock:
	pthread_mutex_destroy(&s->lock);
fail_alloc:
	free(s->encoder_name);
	free(s);
	return NULL;
}

void r3d_stream_destroy(struct r3d_stream *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->quit = true;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	stream_timer_finish(&s->timer); /* after the encoder thread, which pokes it */
	r3d_encoder_destroy(s->enc);
	/* owner thread, its GL context current: fences never read */
	if (s->slot_full && s->slot_gpu)
		r3d_gl_planes_discard(&s->slot_planes);
	r3d_gl_planes_discard(&s->stale_planes);
	readback_destroy(s->gl_rb); /* after the encoder thread's encoder_exit */
	readback_destroy(s->cpu_rb);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->encoder_name);
	free(s);
}

const char *r3d_stream_readback_mode(struct r3d_stream *s)
{
	if (!s)
		return NULL;
	pthread_mutex_lock(&s->lock);
	enum r3d_readback m = s->mode;
	pthread_mutex_unlock(&s->lock);
	return r3d_readback_name(m);
}

const char *r3d_stream_encoder_name(struct r3d_stream *s)
{
	/* a copy: the encoder thread may replace its encoder (new size) */
	return s ? s->backend : NULL;
}

/* ---- owner thread ---- */

static bool set_source(struct r3d_stream *s, const struct r3d_source *src)
{
	if (src->width <= 0 || src->height <= 0 || src->width > R3D_ENCODE_MAX_SIDE ||
	    src->height > R3D_ENCODE_MAX_SIDE) {
		r3d_log(R3D_LOG_ERROR, "stream: bad source size %dx%d", src->width, src->height);
		return false;
	}
	pthread_mutex_lock(&s->lock);
	if (src->width != s->fs.cfg.width || src->height != s->fs.cfg.height)
		r3d_frame_source_resize(&s->fs, src->width, src->height);
	pthread_mutex_unlock(&s->lock);
	s->source = *src;
	return true;
}

bool r3d_stream_set_source_gl(struct r3d_stream *s, unsigned texture, int width, int height, bool y0_top)
{
	if (!s || !texture)
		return false;
	struct r3d_source src = { .kind = R3D_SOURCE_GL_TEXTURE, .width = width, .height = height };
	src.u.gl.texture = texture;
	src.u.gl.y0_top = y0_top;
	return set_source(s, &src);
}

bool r3d_stream_set_source_cpu(struct r3d_stream *s, const void *pixels, int width, int height, int stride,
			       enum r3d_pixel_format fmt)
{
	if (!s || !pixels || r3d_pixel_format_bpp(fmt) != 4 || stride < width * 4)
		return false;
	struct r3d_source src = { .kind = R3D_SOURCE_CPU, .width = width, .height = height };
	src.u.cpu.pixels = pixels;
	src.u.cpu.stride = stride;
	src.u.cpu.format = fmt;
	return set_source(s, &src);
}

void r3d_stream_mark_dirty(struct r3d_stream *s, const struct r3d_rect *damage)
{
	if (!s)
		return;
	uint64_t t0 = r3d_time_us();
	pthread_mutex_lock(&s->lock);
	r3d_frame_source_mark_dirty(&s->fs, damage);
	bool go = stream_extraction_due(s);
	r3d_stats_window_add(&s->win[R3D_STAGE_MARK], r3d_time_us() - t0);
	pthread_mutex_unlock(&s->lock);
	if (go)
		stream_call_wakeup(s);
}

/* The strategy for the source: for GL, chosen at the first GL dispatch
 * (its context current), its fallback once the encoder thread found it
 * broken. */
static struct readback *readback_for(struct r3d_stream *s, bool broken, char **error)
{
	if (s->source.kind == R3D_SOURCE_CPU) {
		if (!s->cpu_rb)
			s->cpu_rb = readback_create(&readback_cpu_impl, &s->rb_params, error);
		return s->cpu_rb;
	}
	if (s->source.kind != R3D_SOURCE_GL_TEXTURE) {
		r3d_set_error(error, "stream: no source set");
		return NULL;
	}
	if (broken && s->gl_rb)
		s->gl_rb = readback_fall_back(s->gl_rb, &s->rb_params, error);
	else if (!s->gl_rb)
		s->gl_rb = readback_choose(s->cfg.readback, &s->rb_params, error);
	if (s->gl_rb) {
		pthread_mutex_lock(&s->lock);
		s->mode = s->gl_rb->impl->mode;
		pthread_mutex_unlock(&s->lock);
	}
	return s->gl_rb;
}

/* Under lock: the frame is in CPU memory: to the encoder thread. */
static void hand_to_encoder(struct r3d_stream *s, struct r3d_frame_ticket *t, const struct r3d_raw_frame *f,
			    uint64_t owner_us)
{
	r3d_frame_source_extracted(&s->fs, t);
	r3d_stats_window_add(&s->win[R3D_STAGE_EXTRACT], t->timing.extracted_us - t->timing.extract_start_us);
	r3d_stats_window_add(&s->win[R3D_STAGE_DISPATCH], owner_us);
	s->extra.readback_bytes += f->size;
	s->slot_frame = *f;
	s->slot = *t;
	s->slot_full = true;
	pthread_cond_broadcast(&s->cond);
}

/* Under lock: what a readback's start or poll came to. */
static void readback_outcome(struct r3d_stream *s, struct readback *rb, struct r3d_frame_ticket *t,
			     enum readback_status st, const struct readback_out *out, uint64_t owner_us,
			     char *error)
{
	s->extra.owner_gpu_waits += out->gpu_waits;
	switch (st) {
	case READBACK_ON_ENCODER:
		/* to the encoder thread, which waits for the fence and reads */
		r3d_stats_window_add(&s->win[R3D_STAGE_DISPATCH], owner_us);
		s->slot = *t;
		s->slot_planes = out->planes;
		s->slot_rb = rb;
		s->slot_gpu = true;
		s->slot_full = true;
		pthread_cond_broadcast(&s->cond);
		break;
	case READBACK_PENDING:
		s->inflight = true;
		s->inflight_rb = rb;
		s->inflight_ticket = *t;
		s->inflight_owner_us = owner_us;
		wake_in(s, out->again_us);
		break;
	case READBACK_DONE:
		s->inflight = false;
		hand_to_encoder(s, t, &out->frame, owner_us);
		break;
	default:
		r3d_log(R3D_LOG_ERROR, "stream: %s", error ? error : "readback failed");
		s->inflight = false;
		r3d_frame_source_extract_failed(&s->fs, t);
		break;
	}
}

/* The readback pending: collect it if it is done. */
static void poll_inflight(struct r3d_stream *s)
{
	char *error = NULL;
	struct readback_out out = { 0 };
	uint64_t t0 = r3d_time_us();
	enum readback_status st = s->inflight_rb->impl->poll(s->inflight_rb, &out, &error);
	uint64_t spent = r3d_time_us() - t0;

	pthread_mutex_lock(&s->lock);
	s->inflight_owner_us += spent;
	struct r3d_frame_ticket t = s->inflight_ticket;
	readback_outcome(s, s->inflight_rb, &t, st, &out, s->inflight_owner_us, error);
	pthread_mutex_unlock(&s->lock);
	free(error);
}

void r3d_stream_dispatch(struct r3d_stream *s)
{
	struct r3d_frame_ticket t;
	uint64_t wait_us = 0;
	char *error = NULL;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->inflight) {
		pthread_mutex_unlock(&s->lock);
		poll_inflight(s);
		return;
	}
	if (s->source.kind == R3D_SOURCE_NONE ||
	    !r3d_frame_source_begin_extract(&s->fs, &t)) {
		if (!r3d_frame_source_should_extract(&s->fs, &wait_us) && wait_us) {
			/* held back by max_fps: the encoder thread wakes us up */
			s->pace_deadline_us = r3d_time_us() + wait_us;
			stream_timer_poke(&s->timer);
		}
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->extra.readbacks++;
	struct r3d_gl_planes stale = s->stale_planes;
	memset(&s->stale_planes, 0, sizeof(s->stale_planes));
	bool broken = s->rb_broken;
	s->rb_broken = false;
	pthread_mutex_unlock(&s->lock);
	r3d_gl_planes_discard(&stale);

	/* the readback, without the lock: sink feedback must not wait for it */
	uint64_t t0 = r3d_time_us();
	struct readback_out out = { 0 };
	struct readback *rb = readback_for(s, broken, &error);
	enum readback_status st = rb ? rb->impl->start(rb, &s->source, &out, &error) : READBACK_FAILED;
	uint64_t spent = r3d_time_us() - t0;

	pthread_mutex_lock(&s->lock);
	readback_outcome(s, rb, &t, st, &out, spent, error);
	pthread_mutex_unlock(&s->lock);
	free(error);
}

/* ---- any thread ---- */

void r3d_stream_request_keyframe(struct r3d_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->extra.keyframe_requests++;
	r3d_frame_source_request_keyframe(&s->fs);
	stream_rate_keyframe_requested(s);
	bool go = stream_extraction_due(s);
	pthread_mutex_unlock(&s->lock);
	if (go)
		stream_call_wakeup(s);
}

void r3d_stream_get_stats(struct r3d_stream *s, struct r3d_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	collect_stats(s, out);
	pthread_mutex_unlock(&s->lock);
}

/* Under lock. */
static void collect_stats(struct r3d_stream *s, struct r3d_stats *out)
{
	struct r3d_frame_counters c;

	*out = s->extra;
	r3d_frame_source_get_counters(&s->fs, &c);
	out->marked = c.marked;
	out->extracted = c.extracted;
	out->encoded = c.encoded;
	out->dropped = c.dropped;
	out->handed = c.handed;
	out->refreshes = c.refreshes;
	out->partial_damage = c.partial_damage;
	out->full_damage = c.full_damage;
	out->damage_fraction_mean = c.extracted ? c.damage_fraction_sum / (double)c.extracted : 0;
	out->extract_errors = c.extract_errors;
	out->encode_errors = c.encode_errors;
	stream_rate_stats(s, out);
	for (int i = 0; i < R3D_STAGE_COUNT; i++)
		r3d_stats_window_summary(&s->win[i], &out->stage[i]);
}
