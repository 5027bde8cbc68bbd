/*
 * remote3d — the frame source: lazy, newest-wins.
 *
 * Pure logic (no GL, no threads, injected clock) deciding WHEN a frame is
 * read back. A dirty mark costs nothing: it records the time and damage.
 * A frame is extracted only when the sink has room, the encoder is idle and
 * (with max_fps) the pacing interval has passed. A newer dirty mark replaces
 * an older one not yet extracted: that frame is dropped, never read back.
 *
 * Lifecycle of one frame:
 *   mark_dirty ... should_extract -> begin_extract (ticket) ->
 *   [host reads back] extracted / extract_failed ->
 *   [encoder] encoded / encode_failed -> [sink] handed
 * Invariant: marked == extracted + dropped + (pending ? 1 : 0) and
 * extracted >= encoded >= handed.
 * The caller serializes calls (the stream holds a mutex).
 */
#ifndef REMOTE3D_FRAME_SOURCE_H
#define REMOTE3D_FRAME_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "remote3d/clock.h"
#include "remote3d/frame.h"

struct r3d_frame_source_config {
	int width, height;              /* for full-frame damage */
	unsigned max_fps;               /* 0 = no cap */
	const struct r3d_clock *clock;  /* NULL = monotonic */
};

struct r3d_frame_counters {
	uint64_t marked, extracted, encoded, dropped, handed;
	uint64_t refreshes, partial_damage, extract_errors, encode_errors;
	uint64_t full_damage;        /* extracted frames with whole-frame damage */
	double damage_fraction_sum;  /* sum over extracted frames of damaged area / frame area */
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
	bool sink_ready;     /* the sink has room for one more frame */
	bool sink_present;   /* a sink exists at all */
	bool encoder_busy;   /* a frame is being extracted or encoded */
	bool keyframe_wanted;
	uint64_t pending_dirty_us;
	struct r3d_rect damage;
	uint64_t last_extract_us;
	bool extracted_once;
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

/* The sink has room for one frame (a level: consumed by begin_extract).
 * A sink that appears after none was there gets the current picture
 * again (a refresh) if anything was ever marked. Returns should_extract. */
bool r3d_frame_source_sink_ready(struct r3d_frame_source *fs);
/* No sink any more: nothing is extracted until sink_ready. */
void r3d_frame_source_sink_gone(struct r3d_frame_source *fs);
/* The next frame must be a keyframe; repaints the current picture if
 * nothing is pending. Returns should_extract. */
bool r3d_frame_source_request_keyframe(struct r3d_frame_source *fs);

/* Would begin_extract succeed now? When only pacing holds a pending frame
 * back, *wait_us (may be NULL) gets the microseconds until it may go; else 0. */
bool r3d_frame_source_should_extract(struct r3d_frame_source *fs, uint64_t *wait_us);
/* Take the pending frame: the sink's room and the encoder are now busy.
 * False (ticket untouched) when should_extract is false. */
bool r3d_frame_source_begin_extract(struct r3d_frame_source *fs, struct r3d_frame_ticket *t);
/* Readback done: sets t->timing.extracted_us. */
void r3d_frame_source_extracted(struct r3d_frame_source *fs, struct r3d_frame_ticket *t);
/* Readback failed: encoder idle again, the sink keeps its room, the frame
 * is pending again (it will be retried with the next dispatch). */
void r3d_frame_source_extract_failed(struct r3d_frame_source *fs, struct r3d_frame_ticket *t);
/* The encoder is done with the frame (timing->encoded_us set if 0): it is idle. */
void r3d_frame_source_encoded(struct r3d_frame_source *fs, struct r3d_frame_timing *timing);
void r3d_frame_source_encode_failed(struct r3d_frame_source *fs, struct r3d_frame_timing *timing);
/* The access unit went to the sink (timing->handed_us set if 0). */
void r3d_frame_source_handed(struct r3d_frame_source *fs, struct r3d_frame_timing *timing);

void r3d_frame_source_get_counters(const struct r3d_frame_source *fs, struct r3d_frame_counters *out);

#endif
