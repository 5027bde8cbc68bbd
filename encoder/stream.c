/*
 * The stream: one frame source (pure logic) under a mutex, extraction on
 * the owner thread in dispatch(), one encoder thread fed through a single
 * slot. Pipelined (the default; cfg.serial restores the serial
 * schedule): the next frame is extracted while the encoder encodes the
 * current one (frame-source.h says when; at most one extracting, one
 * waiting in the slot, one encoding, and a handed frame follows at most one
 * unwritten in the sink). The encoder reads its frame from a buffer the
 * next extraction does not write: synchronous readbacks alternate between
 * two buffers, asynchronous ones borrow the GL extractor's ring (3 deep),
 * thread mode reads into the encoder thread's own buffer.
 *
 * GL and dmabuf sources: four readback modes (cfg.readback):
 *  - thread (default on a GPU): dispatch() converts the texture to the
 *    encoder's YUV format on the GPU, fences and flushes, and hands the
 *    fenced planes to the encoder thread, which waits for the fence and
 *    reads them in an EGL context shared with the host's (gl-reader.c),
 *    then encodes. The owner thread (QEMU's main loop, virgl's render
 *    thread) makes no call that waits for the GPU. The context is made from
 *    the one current at the first GL dispatch (no adapter change); without
 *    a current EGL context (a GLX host) the stream falls back to poll,
 *    saying why. Mesa 22.3's llvmpipe crashes now and then when the
 *    reader's context flushes while the host's renders (seen here);
 *    R3D_READBACK_THREAD forces it there (measurements).
 *  - sync (default on llvmpipe): the synchronous BGRx readback in
 *    dispatch(), converted by the encoder's videoconvert. On llvmpipe the
 *    read is a CPU copy (~1 ms at 720p on the owner thread) and, measured
 *    end to end with make bench (2 cores), it beat poll: 1080p 28-30 fps
 *    against 19-22, stamp-to-display p50 88-98 ms against 109-112, the
 *    source's render rate unharmed; at 720p the two were within noise.
 *  - poll: dispatch() converts, fences and returns; dispatches that the
 *    stream's timer asks for poll the fence with a zero timeout, issue the
 *    read into a PBO, and hand the frame over when it is mapped (on
 *    llvmpipe that read runs on the owner thread after all rendering the
 *    host queued meanwhile: the frame waits for it).
 *  - sync-yuv: the GPU conversion of poll/thread, read back synchronously
 *    in dispatch() (on llvmpipe the owner waits for the rasterized
 *    conversion: it cost the source's render rate at 1080p).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/extractor.h"
#include "remote3d/frame-source.h"
#include "remote3d/gl-reader.h"
#include "remote3d/log.h"
#include "remote3d/priority.h"
#include "remote3d/rate-control.h"
#include "remote3d/stream.h"

#define STREAM_FORMAT R3D_FORMAT_BGRX /* GL readback format: native on Mesa */
#define READ_TIMEOUT_US 2000000       /* a conversion not done by then is an error */
#define RATE_TICK_US 50000            /* rate control looks at the link this often without input */
/* the size the encoder is made for when the config gives none: the first
 * source resizes it */
#define DEFAULT_WIDTH 640
#define DEFAULT_HEIGHT 480

struct r3d_stream {
	struct r3d_stream_config cfg;
	const struct r3d_clock *clock;
	char *encoder_name;
	char backend[32]; /* the backend chosen at create ("auto" resolved) */

	pthread_mutex_t lock;
	pthread_cond_t cond;       /* the encoder thread: slot filled, quit */
	pthread_cond_t timer_cond; /* the timer thread (CLOCK_MONOTONIC): deadline moved, quit */
	pthread_t thread, timer;
	bool thread_started, timer_started;

	/* under lock */
	struct r3d_frame_source fs;
	bool slot_full;
	struct r3d_frame_ticket slot;
	struct r3d_raw_frame slot_frame;  /* the pixels (a descriptor: not owned) */
	bool quit;
	uint64_t pace_deadline_us; /* real monotonic time; 0 = none */
	unsigned bitrate_kbps;
	bool bitrate_changed;
	bool rate_on;                /* cfg.rate_control */
	struct r3d_rate_control rc;  /* rate-control.h: bitrate and fps cap from the link */
	uint64_t rate_tick_us;       /* real monotonic time of the next timer look; 0 = none */
	uint32_t socket_unsent;      /* the last transport sample's unsent bytes */
	bool sink_held;              /* the sink has room, held back while too much is in flight */
	uint64_t hold_until_us;      /* real monotonic time to look again; 0 = none */
	struct r3d_stats_window win[R3D_STAGE_COUNT];
	struct r3d_stats extra; /* the counters not in the frame source */
	int encoder_nice;         /* cfg.encoder_nice resolved: the encoding threads' nice increment */
	uint64_t stats_every_us;  /* cfg.stats_interval_ms: log a summary this often; 0 = never */
	uint64_t stats_since_us;     /* when the last summary (or the stream) began */
	struct r3d_stats stats_last; /* the counters at the last summary */

	/* owner thread */
	struct r3d_source source;
	struct r3d_extractor *ext_gl, *ext_cpu;
	struct r3d_raw_frame frame[2];    /* synchronous extraction's own buffers, alternating */
	int next_frame;                   /* the one the next synchronous extraction writes */
	struct r3d_raw_frame async_frame; /* borrowed from the GL extractor's ring */
	enum r3d_pixel_format gl_format;  /* what GL/dmabuf sources are converted to */
	enum r3d_readback mode;           /* cfg.readback, never AUTO; thread falls back to poll */
	bool mode_auto;                   /* R3D_READBACK_AUTO: thread unless the driver is unsafe */
	bool inflight;                    /* an async readback was begun (under lock) */
	struct r3d_frame_ticket inflight_ticket;
	uint64_t inflight_owner_us;       /* owner-thread time spent on it so far */
	uint64_t readback_estimate_us;    /* the last readback's begin->mapped time */

	/* thread mode: the slot holds fenced planes the encoder thread reads */
	bool slot_gpu;
	struct r3d_gl_planes slot_planes;
	struct r3d_gl_reader *reader;      /* made on the owner thread, bound on the encoder's */
	bool reader_failed;                /* under lock: bind failed, poll from now on */
	struct r3d_gl_planes stale_planes; /* under lock: a fence for the owner to delete */
	bool reader_bound;                 /* encoder thread */
	struct r3d_raw_frame thread_frame; /* encoder thread: the planes read there */

	/* encoder thread (created in create() so errors surface there) */
	struct r3d_encoder *enc;
	int enc_width, enc_height;
	enum r3d_pixel_format enc_format;
};

static void collect_stats(struct r3d_stream *s, struct r3d_stats *out);

static void call_wakeup(struct r3d_stream *s)
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
		pthread_cond_signal(&s->timer_cond);
	}
}

/* Under lock: true when a dispatch should come now (the caller calls
 * wakeup() once unlocked); a frame held back only by time gets the timer. */
static bool extraction_due(struct r3d_stream *s)
{
	uint64_t wait_us = 0;
	if (r3d_frame_source_should_extract(&s->fs, &wait_us))
		return true;
	if (wait_us)
		wake_in(s, wait_us);
	return false;
}

/* Under lock: let the controller decide, and apply what changed: the
 * encoder's bitrate (by the encoder thread before its next frame) and the
 * frame source's fps cap. */
static void rate_decide(struct r3d_stream *s)
{
	struct r3d_rate_state st;

	if (!s->rate_on || !r3d_rate_control_decide(&s->rc, r3d_clock_now(s->clock), &st))
		return;
	if (st.encoder_kbps && st.encoder_kbps != s->bitrate_kbps) {
		s->bitrate_kbps = st.encoder_kbps;
		s->bitrate_changed = true;
	}
	unsigned nominal = r3d_fps_or_default(s->cfg.max_fps);
	unsigned cap = st.fps_cap && st.fps_cap < nominal ? st.fps_cap : s->cfg.max_fps;
	if (cap != s->fs.cfg.max_fps)
		r3d_frame_source_set_max_fps(&s->fs, cap);
}

/* Under lock: the sink has room (or had, held back). Hand it to the frame
 * source unless the controller holds it while too much is in flight;
 * then look again when it expects the bytes drained (the timer) or at the
 * next transport sample. True when a dispatch should come now. */
static bool offer_room(struct r3d_stream *s)
{
	uint64_t hold = s->rate_on ? r3d_rate_control_hold_us(&s->rc, r3d_clock_now(s->clock)) : 0;
	if (hold) {
		s->sink_held = true;
		s->hold_until_us = r3d_time_us() + hold;
		pthread_cond_signal(&s->timer_cond);
		return false;
	}
	s->sink_held = false;
	s->hold_until_us = 0;
	r3d_frame_source_sink_ready(&s->fs);
	return extraction_due(s);
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
		call_wakeup(s); /* the sink still has room */
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
	if (s->rate_on) {
		r3d_rate_control_on_frame(&s->rc, timing.handed_us, size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
					  keyframe);
		rate_decide(s);
	}
	bool go = extraction_due(s);
	pthread_mutex_unlock(&s->lock);
	if (go)
		call_wakeup(s);
}

/* Thread mode: wait for the owner's conversion and read it here. Without
 * the lock; takes it to record the outcome. False: nothing to encode. */
static bool read_planes(struct r3d_stream *s, struct r3d_frame_ticket *t, struct r3d_gl_planes *p)
{
	char *error = NULL;
	bool ok = false;

	if (!s->reader_bound)
		s->reader_bound = r3d_gl_reader_bind(s->reader, &error);
	if (s->reader_bound)
		ok = r3d_gl_reader_read(s->reader, p, READ_TIMEOUT_US, &s->thread_frame, &error);

	pthread_mutex_lock(&s->lock);
	if (!ok) {
		r3d_log(R3D_LOG_ERROR, "stream: %s%s", error ? error : "readback failed",
			s->reader_bound ? "" : " (reading on the owner thread from now on)");
		if (!s->reader_bound) {
			s->reader_failed = true;
			s->stale_planes = *p; /* its fence: deleted by the owner */
		}
		r3d_frame_source_extract_failed(&s->fs, t);
		pthread_mutex_unlock(&s->lock);
		free(error);
		call_wakeup(s);
		return false;
	}
	r3d_frame_source_extracted(&s->fs, t);
	r3d_stats_window_add(&s->win[R3D_STAGE_EXTRACT], t->timing.extracted_us - t->timing.extract_start_us);
	s->extra.readback_bytes += s->thread_frame.size;
	/* read: the owner may convert the next frame into the same targets */
	r3d_frame_source_encode_started(&s->fs);
	bool go = extraction_due(s);
	pthread_mutex_unlock(&s->lock);
	if (go)
		call_wakeup(s);
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
			s->slot_gpu = false;
			unsigned kbps = s->bitrate_kbps;
			bool changed = s->bitrate_changed;
			s->bitrate_changed = false;
			/* Free the slot as the ticket is taken, not after encoding:
			 * once the access unit is handed over, the sink may be ready
			 * again and the owner thread may fill the slot with the next
			 * frame before encode_slot() returns; clearing it afterwards
			 * would lose that frame and leave the source busy for good.
			 * The pixels in s->frame stay guarded by the frame source
			 * until encoded: the next extraction writes another buffer. */
			s->slot_full = false;
			bool go = false;
			if (!gpu) {
				r3d_frame_source_encode_started(&s->fs);
				go = extraction_due(s);
			}
			pthread_mutex_unlock(&s->lock);
			if (go)
				call_wakeup(s); /* the next frame's readback overlaps this encode */
			if (!gpu)
				encode_slot(s, &t, &frame, kbps, changed);
			else if (read_planes(s, &t, &planes))
				encode_slot(s, &t, &s->thread_frame, kbps, changed);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		pthread_cond_wait(&s->cond, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	if (s->reader_bound)
		r3d_gl_reader_unbind(s->reader);
	r3d_raw_frame_finish(&s->thread_frame);
	return NULL;
}

/* Under lock, then unlocked for the log call: one line on what the
 * stream did since the last one (cfg.stats_interval_ms). */
static void log_summary(struct r3d_stream *s, uint64_t now)
{
	struct r3d_stats st, prev = s->stats_last;
	double secs = (double)(now - s->stats_since_us) / 1e6;

	collect_stats(s, &st);
	s->stats_last = st;
	s->stats_since_us = now;
	pthread_mutex_unlock(&s->lock);
	if (secs <= 0)
		secs = 1e-6;
	const struct r3d_stage_stats *d = &st.stage[R3D_STAGE_DISPATCH], *x = &st.stage[R3D_STAGE_EXTRACT],
				     *e = &st.stage[R3D_STAGE_ENCODE], *t = &st.stage[R3D_STAGE_TOTAL];
	r3d_log(R3D_LOG_INFO,
		"stream stats, last %.1f s: marked %.1f/s, read back %.1f/s, encoded %.1f/s, dropped %.1f/s, "
		"%.2f Mbit/s; last %u frames (ms p50/p95/max): owner thread per readback %.2f/%.2f/%.2f, "
		"extract %.2f/%.2f, encode %.2f/%.2f, mark->handed %.2f/%.2f",
		secs, (double)(st.marked - prev.marked) / secs, (double)(st.readbacks - prev.readbacks) / secs,
		(double)(st.encoded - prev.encoded) / secs, (double)(st.dropped - prev.dropped) / secs,
		(double)(st.bytes - prev.bytes) * 8 / secs / 1e6, (unsigned)d->window, d->median_us / 1e3,
		d->p95_us / 1e3, d->max_us / 1e3, x->median_us / 1e3, x->p95_us / 1e3, e->median_us / 1e3,
		e->p95_us / 1e3, t->median_us / 1e3, t->p95_us / 1e3);
	if (st.rate_control) {
		const struct r3d_rate_state *r = &st.rate;
		r3d_log(R3D_LOG_INFO,
			"rate control: %s, target %u kbit/s (encoder %u), fps cap %u, sent %.0f kbit/s at %.1f fps, "
			"delivery %.0f kbit/s, rtt %.1f ms (min %.1f), queueing %.1f ms, unsent %u B, "
			"in flight %u B (cap %u), held %llu times, TCP window dips %llu",
			r3d_rate_phase_name(r->phase), r->target_kbps, r->encoder_kbps, r->fps_cap, r->sent_kbps,
			r->sent_fps, r->delivery_kbps, r->srtt_us / 1e3, r->min_rtt_us / 1e3, r->queue_delay_us / 1e3,
			r->socket_unsent_bytes, r->inflight_bytes, r->inflight_cap_bytes, (unsigned long long)r->holds,
			(unsigned long long)r->tcp_dips);
	}
	pthread_mutex_lock(&s->lock);
}

/* The timer: wakeup() at pace_deadline_us (max_fps pacing, a pipelined
 * start, the next look at a readback in flight), and the periodic
 * summary. Its own thread, so that it fires while the encoder thread
 * encodes. */
static void *timer_thread(void *opaque)
{
	struct r3d_stream *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->stats_since_us = r3d_time_us();
	if (s->rate_on)
		s->rate_tick_us = s->stats_since_us + RATE_TICK_US;
	while (!s->quit) {
		uint64_t now = r3d_time_us(), stats_at = s->stats_since_us + s->stats_every_us;
		if (s->stats_every_us && now >= stats_at) {
			log_summary(s, now);
			continue;
		}
		if (s->rate_tick_us && now >= s->rate_tick_us) {
			s->rate_tick_us = now + RATE_TICK_US;
			rate_decide(s);
			continue;
		}
		if (s->hold_until_us && now >= s->hold_until_us) {
			s->hold_until_us = 0;
			if (s->sink_held && offer_room(s)) {
				pthread_mutex_unlock(&s->lock);
				call_wakeup(s);
				pthread_mutex_lock(&s->lock);
			}
			continue;
		}
		if (s->pace_deadline_us && now >= s->pace_deadline_us) {
			s->pace_deadline_us = 0;
			pthread_mutex_unlock(&s->lock);
			call_wakeup(s);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		uint64_t at = s->pace_deadline_us;
		if (s->stats_every_us && (!at || stats_at < at))
			at = stats_at;
		if (s->rate_tick_us && (!at || s->rate_tick_us < at))
			at = s->rate_tick_us;
		if (s->hold_until_us && (!at || s->hold_until_us < at))
			at = s->hold_until_us;
		if (!at) {
			pthread_cond_wait(&s->timer_cond, &s->lock);
			continue;
		}
		struct timespec ts = { .tv_sec = (time_t)(at / 1000000u), .tv_nsec = (long)(at % 1000000u) * 1000 };
		pthread_cond_timedwait(&s->timer_cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* ---- life cycle ---- */

struct r3d_stream *r3d_stream_create(const struct r3d_stream_config *cfg, char **error)
{
	struct r3d_stream *s;
	pthread_condattr_t ca;

	if (!cfg || cfg->width < 0 || cfg->height < 0 || cfg->width > R3D_ENCODE_MAX_SIDE ||
	    cfg->height > R3D_ENCODE_MAX_SIDE) {
		r3d_set_error(error, "stream: bad size %dx%d (1..%d)", cfg ? cfg->width : 0, cfg ? cfg->height : 0,
			      R3D_ENCODE_MAX_SIDE);
		return NULL;
	}
	if (!r3d_readback_name(cfg->readback)) {
		r3d_set_error(error, "stream: bad readback mode %d", (int)cfg->readback);
		return NULL;
	}
	if (cfg->gl_mapping != R3D_GL_MAP_AUTO && cfg->gl_mapping != R3D_GL_MAP_COPY) {
		r3d_set_error(error, "stream: bad GL readback mapping %d", (int)cfg->gl_mapping);
		return NULL;
	}
	if (cfg->encoder_nice > R3D_ENCODER_NICE_MAX ||
	    (cfg->encoder_nice < 0 && cfg->encoder_nice != R3D_ENCODER_NICE_UNSET)) {
		r3d_set_error(error, "stream: encoder nice %d is not 0..%d", cfg->encoder_nice,
			      R3D_ENCODER_NICE_MAX);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
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
	s->bitrate_kbps = cfg->bitrate_kbps ? cfg->bitrate_kbps
					    : r3d_encoder_default_bitrate(w, h, r3d_fps_or_default(cfg->max_fps));
	if (cfg->rate_control) {
		unsigned min = cfg->min_bitrate_kbps;
		struct r3d_rate_config rcfg = {
			.start_kbps = s->bitrate_kbps,
			.min_kbps = min,
			/* a good link keeps the start bitrate: it is the quality asked for */
			.max_kbps = cfg->max_bitrate_kbps ? cfg->max_bitrate_kbps
							  : (min > s->bitrate_kbps ? min : s->bitrate_kbps),
			.max_fps = r3d_fps_or_default(cfg->max_fps),
			.width = w,
			.height = h,
		};
		/* the size's default start goes inside the range; a given one must be in it */
		if (!cfg->bitrate_kbps && rcfg.start_kbps < min)
			rcfg.start_kbps = min;
		if (!cfg->bitrate_kbps && rcfg.start_kbps > rcfg.max_kbps)
			rcfg.start_kbps = rcfg.max_kbps;
		const char *why = NULL;
		if (!r3d_rate_config_check(&rcfg, &why)) {
			r3d_set_error(error, "stream: rate control: %s", why ? why : "bad configuration");
			free(s->encoder_name);
			free(s);
			return NULL;
		}
		r3d_rate_control_init(&s->rc, &rcfg, r3d_clock_now(s->clock));
		s->rate_on = true;
		s->bitrate_kbps = rcfg.start_kbps;
	}
	s->encoder_nice = cfg->encoder_nice == R3D_ENCODER_NICE_UNSET ? R3D_ENCODER_NICE_DEFAULT : cfg->encoder_nice;
	s->stats_every_us = (uint64_t)cfg->stats_interval_ms * 1000;
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
		free(s->encoder_name);
		free(s);
		return NULL;
	}
	if (pthread_cond_init(&s->cond, NULL)) {
		r3d_set_error(error, "stream: cannot make a condition variable");
		pthread_mutex_destroy(&s->lock);
		free(s->encoder_name);
		free(s);
		return NULL;
	}
	if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&s->timer_cond, &ca)) {
		r3d_set_error(error, "stream: cannot make a condition variable");
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s->encoder_name);
		free(s);
		return NULL;
	}
	pthread_condattr_destroy(&ca);

	/* the encoder now, so that a bad name or a missing element is an
	 * error of create, not a log line at the first frame; made for what a
	 * GL source will give it: the YUV format it takes without videoconvert */
	s->mode_auto = cfg->readback == R3D_READBACK_AUTO;
	s->mode = s->mode_auto ? R3D_READBACK_THREAD : cfg->readback;
	s->gl_format = STREAM_FORMAT;
	int ew = w, eh = h;
	if (s->mode != R3D_READBACK_SYNC) {
		s->gl_format = R3D_FORMAT_NV12;
		ew = (w + 1) & ~1; /* the GPU conversion pads odd sizes */
		eh = (h + 1) & ~1;
	}
	s->enc = make_encoder(s, ew, eh, s->gl_format, s->bitrate_kbps, error);
	if (s->enc && s->mode != R3D_READBACK_SYNC && r3d_encoder_native_format(s->enc) != s->gl_format) {
		s->gl_format = r3d_encoder_native_format(s->enc); /* I420 for openh264 */
		r3d_encoder_destroy(s->enc);
		s->enc = make_encoder(s, ew, eh, s->gl_format, s->bitrate_kbps, error);
	}
	if (!s->enc)
		goto fail;
	s->enc_width = ew;
	s->enc_height = eh;
	s->enc_format = s->gl_format;
	snprintf(s->backend, sizeof(s->backend), "%s", r3d_encoder_name(s->enc));
	int rc = pthread_create(&s->thread, NULL, encoder_thread, s);
	if (rc) {
		r3d_set_error(error, "stream: cannot start the encoder thread: %s", strerror(rc));
		goto fail;
	}
	s->thread_started = true;
	rc = pthread_create(&s->timer, NULL, timer_thread, s);
	if (rc) {
		r3d_set_error(error, "stream: cannot start the timer thread: %s", strerror(rc));
		goto fail;
	}
	s->timer_started = true;
	return s;
fail:
	r3d_stream_destroy(s);
	return NULL;
}

void r3d_stream_destroy(struct r3d_stream *s)
{
	if (!s)
		return;
	if (s->thread_started || s->timer_started) {
		pthread_mutex_lock(&s->lock);
		s->quit = true;
		pthread_cond_broadcast(&s->cond);
		pthread_cond_broadcast(&s->timer_cond);
		pthread_mutex_unlock(&s->lock);
	}
	if (s->thread_started)
		pthread_join(s->thread, NULL);
	if (s->timer_started)
		pthread_join(s->timer, NULL);
	r3d_encoder_destroy(s->enc);
	/* owner thread, its GL context current: fences never read */
	if (s->slot_full && s->slot_gpu)
		r3d_gl_planes_discard(&s->slot_planes);
	r3d_gl_planes_discard(&s->stale_planes);
	r3d_gl_reader_destroy(s->reader); /* unbound by the encoder thread */
	r3d_extractor_destroy(s->ext_gl);
	r3d_extractor_destroy(s->ext_cpu);
	r3d_raw_frame_finish(&s->frame[0]);
	r3d_raw_frame_finish(&s->frame[1]);
	pthread_cond_destroy(&s->cond);
	pthread_cond_destroy(&s->timer_cond);
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

bool r3d_stream_set_source_dmabuf(struct r3d_stream *s, int fd, int width, int height, uint32_t fourcc,
				  uint64_t modifier, uint32_t stride, uint32_t offset, bool y0_top)
{
	char *error = NULL;
	if (!s)
		return false;
	struct r3d_source src = { .kind = R3D_SOURCE_DMABUF, .width = width, .height = height };
	src.u.dmabuf.fd = fd;
	src.u.dmabuf.fourcc = fourcc;
	src.u.dmabuf.modifier = modifier;
	src.u.dmabuf.stride = stride;
	src.u.dmabuf.offset = offset;
	src.u.dmabuf.y0_top = y0_top;
	if (!r3d_dmabuf_check(&src, &error)) {
		r3d_log(R3D_LOG_ERROR, "stream: %s", error ? error : "bad dmabuf");
		free(error);
		return false;
	}
	return set_source(s, &src);
}

void r3d_stream_mark_dirty(struct r3d_stream *s, const struct r3d_rect *damage)
{
	if (!s)
		return;
	uint64_t t0 = r3d_time_us();
	pthread_mutex_lock(&s->lock);
	r3d_frame_source_mark_dirty(&s->fs, damage);
	bool go = extraction_due(s);
	r3d_stats_window_add(&s->win[R3D_STAGE_MARK], r3d_time_us() - t0);
	pthread_mutex_unlock(&s->lock);
	if (go)
		call_wakeup(s);
}

static struct r3d_extractor *extractor_for(struct r3d_stream *s, char **error)
{
	switch (s->source.kind) {
	case R3D_SOURCE_GL_TEXTURE:
	case R3D_SOURCE_DMABUF:
		if (!s->ext_gl)
			s->ext_gl = r3d_extractor_create_gl_mapped(s->gl_format, s->cfg.gl_mapping, error);
		return s->ext_gl;
	case R3D_SOURCE_CPU: {
		/* keep the source's own channel order: a plain copy */
		enum r3d_pixel_format f = s->source.u.cpu.format;
		if (s->ext_cpu && s->ext_cpu->out_format != f) {
			r3d_extractor_destroy(s->ext_cpu);
			s->ext_cpu = NULL;
		}
		if (!s->ext_cpu)
			s->ext_cpu = r3d_extractor_create_cpu(f, error);
		return s->ext_cpu;
	}
	default:
		r3d_set_error(error, "stream: no source set");
		return NULL;
	}
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

/* The async readback in flight: collect it if its fence has signalled. */
static void poll_inflight(struct r3d_stream *s)
{
	char *error = NULL;
	uint64_t t0 = r3d_time_us();
	int r = r3d_extractor_poll(s->ext_gl, &s->async_frame, &error);
	uint64_t spent = r3d_time_us() - t0;

	pthread_mutex_lock(&s->lock);
	s->inflight_owner_us += spent;
	if (r == 0) {
		/* not yet: look again soon (a quarter of the last readback) */
		uint64_t again = s->readback_estimate_us / 4;
		wake_in(s, again < 200 ? 200 : again > 2000 ? 2000 : again);
	} else if (r < 0) {
		r3d_log(R3D_LOG_ERROR, "stream: %s", error ? error : "readback failed");
		s->inflight = false;
		r3d_frame_source_extract_failed(&s->fs, &s->inflight_ticket);
	} else {
		s->inflight = false;
		hand_to_encoder(s, &s->inflight_ticket, &s->async_frame, s->inflight_owner_us);
		s->readback_estimate_us = s->inflight_ticket.timing.extracted_us -
					  s->inflight_ticket.timing.extract_start_us;
	}
	pthread_mutex_unlock(&s->lock);
	free(error);
}

/* Owner thread, thread mode, before the GL extractor exists: the reader
 * exists (made from the current context at the first GL dispatch), else
 * sync (the default on an unsafe driver: llvmpipe) or poll from now on. */
static bool use_reader(struct r3d_stream *s)
{
	char *error = NULL;
	if (s->reader)
		return true;
	if (s->mode_auto && !r3d_gl_reader_driver_safe(&error)) {
		r3d_log(R3D_LOG_INFO, "stream: %s: reading back synchronously on the owner thread (sync, "
			"fastest end to end there); readback thread|poll (R3D_GL_READBACK) picks another mode",
			error ? error : "?");
		free(error);
		pthread_mutex_lock(&s->lock);
		s->mode = R3D_READBACK_SYNC;
		pthread_mutex_unlock(&s->lock);
		s->gl_format = STREAM_FORMAT; /* the encoder is remade for it at the first frame */
		return false;
	}
	s->reader = r3d_gl_reader_create(&error);
	if (s->reader)
		return true;
	r3d_log(R3D_LOG_WARN, "stream: no readback on the encoder thread (%s): polling on the owner "
		"thread instead", error ? error : "?");
	free(error);
	pthread_mutex_lock(&s->lock);
	s->mode = R3D_READBACK_POLL;
	pthread_mutex_unlock(&s->lock);
	return false;
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
			pthread_cond_signal(&s->timer_cond);
		}
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->extra.readbacks++;
	struct r3d_gl_planes stale = s->stale_planes;
	memset(&s->stale_planes, 0, sizeof(s->stale_planes));
	if (s->reader_failed) {
		s->reader_failed = false;
		s->mode = R3D_READBACK_POLL;
	}
	pthread_mutex_unlock(&s->lock);
	r3d_gl_planes_discard(&stale);

	/* the readback, without the lock: sink feedback must not wait for it */
	uint64_t t0 = r3d_time_us();
	/* thread mode settles at the first GL dispatch (the format may change) */
	if (s->mode == R3D_READBACK_THREAD && !s->ext_gl &&
	    (s->source.kind == R3D_SOURCE_GL_TEXTURE || s->source.kind == R3D_SOURCE_DMABUF))
		use_reader(s);
	struct r3d_extractor *ext = extractor_for(s, &error);
	bool async = ext && (s->mode == R3D_READBACK_POLL || s->mode == R3D_READBACK_THREAD) && r3d_extractor_is_async(ext);
	bool gpu = async && s->mode == R3D_READBACK_THREAD && use_reader(s);
	struct r3d_gl_planes planes;
	struct r3d_raw_frame *buf = &s->frame[s->next_frame];
	bool ok = ext && (gpu     ? r3d_extractor_gl_convert(ext, &s->source, &planes, &error)
			  : async ? r3d_extractor_begin(ext, &s->source, &error)
				  : r3d_extractor_extract(ext, &s->source, buf, &error));
	uint64_t spent = r3d_time_us() - t0;

	pthread_mutex_lock(&s->lock);
	if (ok && gpu) {
		/* to the encoder thread, which waits for the fence and reads */
		r3d_stats_window_add(&s->win[R3D_STAGE_DISPATCH], spent);
		s->slot = t;
		s->slot_planes = planes;
		s->slot_gpu = true;
		s->slot_full = true;
		pthread_cond_broadcast(&s->cond);
	} else if (!ok) {
		r3d_log(R3D_LOG_ERROR, "stream: %s", error ? error : "extraction failed");
		free(error);
		r3d_frame_source_extract_failed(&s->fs, &t);
	} else if (async) {
		s->inflight = true;
		s->inflight_ticket = t;
		s->inflight_owner_us = spent;
		/* the first look when the last readback took its time */
		uint64_t first = s->readback_estimate_us;
		wake_in(s, first < 200 ? 200 : first > 8000 ? 8000 : first);
	} else {
		hand_to_encoder(s, &t, buf, spent);
		s->next_frame ^= 1; /* the encoder may read this one while the next is extracted */
	}
	pthread_mutex_unlock(&s->lock);
}

/* ---- any thread ---- */

void r3d_stream_sink_ready(struct r3d_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->rate_on) {
		r3d_rate_control_on_written(&s->rc, r3d_clock_now(s->clock), s->extra.queue_frames,
					    s->extra.queue_bytes, s->socket_unsent);
		rate_decide(s);
	}
	bool go = offer_room(s);
	pthread_mutex_unlock(&s->lock);
	if (go)
		call_wakeup(s);
}

void r3d_stream_sink_gone(struct r3d_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	r3d_frame_source_sink_gone(&s->fs);
	s->sink_held = false;
	s->hold_until_us = 0;
	pthread_mutex_unlock(&s->lock);
}

void r3d_stream_request_keyframe(struct r3d_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->extra.keyframe_requests++;
	r3d_frame_source_request_keyframe(&s->fs);
	if (s->rate_on)
		r3d_rate_control_on_keyframe_request(&s->rc, r3d_clock_now(s->clock));
	bool go = extraction_due(s);
	pthread_mutex_unlock(&s->lock);
	if (go)
		call_wakeup(s);
}

void r3d_stream_client_report(struct r3d_stream *s, uint32_t frames, uint32_t drops, int32_t margin_ms)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->extra.client_frames = frames;
	s->extra.client_drops = drops;
	s->extra.client_margin_ms = margin_ms;
	if (s->rate_on) {
		r3d_rate_control_on_client_report(&s->rc, r3d_clock_now(s->clock), frames, drops, margin_ms);
		rate_decide(s);
	}
	pthread_mutex_unlock(&s->lock);
}

void r3d_stream_queue_state(struct r3d_stream *s, uint32_t frames, uint64_t bytes)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->extra.queue_frames = frames;
	s->extra.queue_bytes = bytes;
	pthread_mutex_unlock(&s->lock);
}

void r3d_stream_transport_sample(struct r3d_stream *s, const struct r3d_transport_sample *t)
{
	if (!s || !t)
		return;
	pthread_mutex_lock(&s->lock);
	s->socket_unsent = t->notsent_bytes;
	bool go = false;
	if (s->rate_on) {
		r3d_rate_control_on_transport(&s->rc, r3d_clock_now(s->clock), t);
		rate_decide(s);
		go = s->sink_held && offer_room(s);
	}
	pthread_mutex_unlock(&s->lock);
	if (go)
		call_wakeup(s);
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
	out->bitrate_kbps = s->bitrate_kbps;
	out->rate_control = s->rate_on;
	if (s->rate_on)
		out->rate = s->rc.st;
	for (int i = 0; i < R3D_STAGE_COUNT; i++)
		r3d_stats_window_summary(&s->win[i], &out->stage[i]);
}
