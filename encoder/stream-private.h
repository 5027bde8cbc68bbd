/* Private: the stream's state, shared by stream.c (the threads, the slot,
 * the frame source, readback) and stream-rate.c (the sink's feedback and
 * rate control). Fields marked "under lock" are read and written with
 * lock held. */
#ifndef REMOTE3D_STREAM_PRIVATE_H
#define REMOTE3D_STREAM_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "readback.h"
#include "frame-source.h"
#include "remote3d/rate-control.h"
#include "remote3d/stats.h"
#include "remote3d/stream.h"
#include "stream-summary.h"
#include "stream-timer.h"

struct r3d_stream {
	struct r3d_stream_config cfg;
	const struct r3d_clock *clock;
	char *encoder_name;
	char backend[32]; /* the backend chosen at create ("auto" resolved) */

	pthread_mutex_t lock;
	pthread_cond_t cond;       /* the encoder thread: slot filled, quit */
	pthread_t thread;
	bool thread_started;
	struct stream_timer timer; /* pacing, looks at a pending readback, rate control, the summary */

	/* under lock */
	struct r3d_frame_source fs;
	bool slot_full;
	struct r3d_frame_ticket slot;
	struct r3d_raw_frame slot_frame;  /* the pixels (a descriptor: not owned) */
	bool quit;
	uint64_t pace_deadline_us; /* real monotonic time; 0 = none */
	unsigned bitrate_kbps;       /* the encoder's (stream-rate.c sets it) */
	bool bitrate_changed;        /* the encoder thread applies it before its next frame */
	/* rate control (stream-rate.c) */
	bool rate_on;                /* cfg.rate_control */
	struct r3d_rate_control rc;  /* rate-control.h: bitrate and fps cap from the link */
	uint64_t rate_tick_us;       /* real monotonic time of the next timer look; 0 = none */
	uint32_t socket_unsent;      /* the last transport sample's unsent bytes */
	bool sink_held;              /* the sink has room, held back while too much is in flight */
	uint64_t hold_until_us;      /* real monotonic time to look again; 0 = none */
	struct r3d_stats_window win[R3D_STAGE_COUNT];
	struct r3d_stats extra; /* the counters not in the frame source */
	int encoder_nice;         /* cfg.encoder_nice resolved: the encoding threads' nice increment */
	struct stream_summary summary; /* cfg.stats_interval_ms */

	/* owner thread */
	struct r3d_source source;
	struct readback *gl_rb;            /* GL sources: chosen at the first GL dispatch */
	struct readback *cpu_rb;           /* CPU sources */
	struct readback_params rb_params;
	enum r3d_readback mode;            /* under lock: gl_rb's, or before it the one asked for (never AUTO) */
	bool inflight;                     /* a readback is pending (under lock) */
	struct readback *inflight_rb;
	struct r3d_frame_ticket inflight_ticket;
	uint64_t inflight_owner_us;        /* owner-thread time spent on it so far */

	/* READBACK_ON_ENCODER: the slot holds fenced planes the encoder thread reads */
	bool slot_gpu;
	struct r3d_gl_planes slot_planes;
	struct readback *slot_rb;          /* the strategy that reads them */
	bool rb_broken;                    /* under lock: gl_rb cannot read; its fallback from now on */
	struct r3d_gl_planes stale_planes; /* under lock: a fence for the owner to delete */
	struct readback *enc_rb;           /* encoder thread: the strategy it read with */

	/* encoder thread (created in create() so errors surface there) */
	struct r3d_encoder *enc;
	int enc_width, enc_height;
	enum r3d_pixel_format enc_format;
};

/* The earlier of two deadlines, 0 being none. */
static inline uint64_t stream_earliest_us(uint64_t a, uint64_t b)
{
	return !a || (b && b < a) ? b : a;
}

/* ---- stream.c ---- */

/* Not under lock: the host's wakeup(), if it gave one. */
void stream_call_wakeup(struct r3d_stream *s);
/* Under lock: true when a dispatch should come now (the caller calls
 * wakeup() once unlocked); a frame held back only by time gets the timer. */
bool stream_extraction_due(struct r3d_stream *s);

/* ---- stream-rate.c ---- */

/* At create, before the threads: the start bitrate (s->bitrate_kbps), and
 * rate control when cfg.rate_control asks for it (w x h: the size). */
bool stream_rate_setup(struct r3d_stream *s, int w, int h, char **error);
/* At create, the timer made: rate control's first look at the link. */
void stream_rate_start(struct r3d_stream *s);
/* Under lock, the encoder thread: an access unit of size bytes was handed. */
void stream_rate_on_frame(struct r3d_stream *s, const struct r3d_frame_timing *timing, size_t size,
			  bool keyframe);
/* Under lock: the sink asked for a keyframe. */
void stream_rate_keyframe_requested(struct r3d_stream *s);
/* The timer, under lock (it may unlock to call wakeup()): rate control's
 * look at the link without input, the sink offered again when a hold
 * ends. True when it did one at now. */
bool stream_rate_timer(struct r3d_stream *s, uint64_t now);
/* Under lock: the timer's next rate deadline (real monotonic), 0 = none. */
uint64_t stream_rate_next_us(const struct r3d_stream *s);
/* Under lock: the bitrate and rate control's state into a stats snapshot. */
void stream_rate_stats(const struct r3d_stream *s, struct r3d_stats *out);

#endif
