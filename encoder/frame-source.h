/*
 * The frame source: lazy, newest-wins (libremote3d's own; not installed).
 *
 * Pure logic (no GL, no threads, injected clock) deciding WHEN a frame is
 * read back. A dirty mark costs nothing: it records the time and damage.
 * A newer dirty mark replaces an older one not yet extracted: that frame is
 * dropped, never read back. A frame is extracted only when it will be
 * encoded and handed to the sink without queueing behind more than the
 * sink's bound (with max_fps, also when the pacing interval has passed).
 *
 * Lifecycle of one frame:
 *   mark_dirty ... should_extract -> begin_extract (ticket) ->
 *   [host reads back] extracted / extract_failed ->
 *   [encoder takes it] encode_started ->
 *   [encoder] encoded / encode_failed -> [sink] handed -> [sink] ready
 *
 * Two schedules (cfg.serial):
 *  - pipelined (default): the extraction of the next frame overlaps the
 *    encoding of the current one. At most one frame is extracting, one is
 *    read back and waits for the encoder (kept: once read back it is
 *    encoded), one is encoding. An extraction starts only when the frame it
 *    yields can be handed to the sink with at most cfg.sink_depth (default
 *    1) earlier frames still unwritten there: frames encoding, being handed
 *    and handed-but-unwritten count ahead of it. Frames are superseded
 *    before extraction, never queued. While the encoder is busy, the start
 *    is timed so that the readback completes about when the encoder frees
 *    (from the measured extract and encode times), so the frame read is
 *    the newest one that could be.
 *    The sink's ready means "every frame handed so far is written": it
 *    clears the unwritten count (a ready that races a hand-off can leave
 *    one phantom unwritten frame until the next ready: safe, never over the
 *    bound).
 *  - serial (the old schedule): one frame from begin_extract to written;
 *    the sink's ready is a level consumed by begin_extract, the encoder is
 *    busy from begin_extract to encoded.
 *
 * Invariant: marked == extracted + dropped + (pending ? 1 : 0) + extracting
 * and extracted == encoded + encode_errors + in the encoder (waiting or
 * encoding), encoded == handed + being handed.
 * The caller serializes calls (the stream holds a mutex).
 */
#ifndef R3D_FRAME_SOURCE_H
#define R3D_FRAME_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "remote3d/clock.h"
#include "remote3d/frame.h"

struct r3d_frame_source_config {
	int width, height;              /* for full-frame damage */
	unsigned max_fps;               /* 0 = no cap */
	const struct r3d_clock *clock;  /* NULL = monotonic */
	bool serial;                    /* the old one-frame-at-a-time schedule */
	unsigned sink_depth;            /* unwritten frames a handed one may follow; 0 = 1 */
};

struct r3d_frame_counters {
	uint64_t marked, extracted, encoded, dropped, handed;
	uint64_t refreshes, partial_damage, extract_errors, encode_errors;
	uint64_t full_damage;        /* extracted frames with whole-frame damage */
	double damage_fraction_sum;  /* sum over extracted frames of damaged area / frame area */
	uint64_t begun;              /* begin_extract calls that handed out a ticket */
	uint64_t overlapped;         /* extractions begun while the encoder held a frame */
};

/* What begin_extract hands out: one frame to read back. */
struct r3d_frame_ticket {
	struct r3d_frame_timing timing; /* seq, dirty_us, extract_start_us set */
	struct r3d_rect damage;         /* union of the damage since the last extraction */
	bool full_damage;               /* damage covers the whole frame */
	bool keyframe;                  /* a keyframe was requested for this frame */
};

struct r3d_frame_source {
	struct r3d_frame_source_config cfg;
	const struct r3d_clock *clock;
	bool pending;        /* a dirty frame waits to be extracted */
	bool has_content;    /* something was ever marked: a new sink gets a refresh */
	bool sink_ready;     /* serial: the sink has room for one more frame */
	bool sink_present;   /* a sink said it had room, once */
	bool extracting;     /* begin_extract .. extracted / extract_failed */
	bool queued;         /* read back, the encoder has not taken it yet */
	bool encoding;       /* encode_started .. encoded / encode_failed */
	bool handing;        /* encoded .. handed */
	unsigned unwritten;  /* handed frames the sink has not said are written */
	unsigned max_unwritten_ahead; /* the most unwritten frames a hand-off ever followed */
	bool keyframe_wanted;
	uint64_t pending_dirty_us;
	struct r3d_rect damage;
	uint64_t last_extract_us;
	bool extracted_once;
	uint64_t encode_start_us;     /* when the encoder took its frame */
	uint64_t extract_estimate_us; /* running mean of begin -> extracted */
	uint64_t encode_estimate_us;  /* running mean of encode_started -> encoded */
	uint32_t next_seq;
	struct r3d_frame_counters counters;
};

void r3d_frame_source_init(struct r3d_frame_source *fs, const struct r3d_frame_source_config *cfg);
/* The size changed: the next frame is full damage. */
void r3d_frame_source_resize(struct r3d_frame_source *fs, int width, int height);
void r3d_frame_source_set_max_fps(struct r3d_frame_source *fs, unsigned max_fps);

/* damage NULL = whole frame. Returns true when an extraction can start now
 * (the host should dispatch). */
bool r3d_frame_source_mark_dirty(struct r3d_frame_source *fs, const struct r3d_rect *damage);

/* The sink has written every frame handed to it and has room (serial: a
 * level consumed by begin_extract); before the first, nothing is
 * extracted. A sink that stops saying so (spice-server with no client)
 * gets at most the frames its depth allows. Returns should_extract. */
bool r3d_frame_source_sink_ready(struct r3d_frame_source *fs);
/* The next frame must be a keyframe; repaints the current picture if
 * nothing is pending. Returns should_extract. */
bool r3d_frame_source_request_keyframe(struct r3d_frame_source *fs);

/* Would begin_extract succeed now? When only time holds a pending frame
 * back (max_fps pacing, or a pipelined start timed to the encoder's end),
 * *wait_us (may be NULL) gets the microseconds until it may go; else 0. */
bool r3d_frame_source_should_extract(struct r3d_frame_source *fs, uint64_t *wait_us);
/* Take the pending frame. False (ticket untouched) when should_extract is false. */
bool r3d_frame_source_begin_extract(struct r3d_frame_source *fs, struct r3d_frame_ticket *t);
/* Readback done: sets t->timing.extracted_us; the frame waits for the encoder. */
void r3d_frame_source_extracted(struct r3d_frame_source *fs, struct r3d_frame_ticket *t);
/* Readback failed: the sink keeps its room, the frame is pending again (it
 * will be retried with the next dispatch). */
void r3d_frame_source_extract_failed(struct r3d_frame_source *fs, struct r3d_frame_ticket *t);
/* The encoder took the read-back frame (an extraction may start now:
 * returns should_extract). Optional: encoded() implies it. */
bool r3d_frame_source_encode_started(struct r3d_frame_source *fs);
/* The encoder is done with the frame (timing->encoded_us set if 0). */
void r3d_frame_source_encoded(struct r3d_frame_source *fs, struct r3d_frame_timing *timing);
void r3d_frame_source_encode_failed(struct r3d_frame_source *fs, struct r3d_frame_timing *timing);
/* The access unit went to the sink (timing->handed_us set if 0); it is
 * unwritten there until the sink's next ready. */
void r3d_frame_source_handed(struct r3d_frame_source *fs, struct r3d_frame_timing *timing);

void r3d_frame_source_get_counters(const struct r3d_frame_source *fs, struct r3d_frame_counters *out);

#endif
