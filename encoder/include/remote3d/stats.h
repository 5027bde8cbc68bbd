/*
 * remote3d — per-stage timings and counters.
 *
 * A window keeps the last R3D_STATS_WINDOW samples of one stage (bounded
 * memory, recent behaviour) and summarizes them as median/p95/max. Pure: no
 * clock, no threads (the stream locks around it).
 */
#ifndef REMOTE3D_STATS_H
#define REMOTE3D_STATS_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "remote3d/rate-control.h"

#define R3D_STATS_WINDOW 512

enum r3d_stage {
	R3D_STAGE_WAIT,    /* dirty mark -> extraction start (pacing, busy sink/encoder) */
	R3D_STAGE_EXTRACT, /* extraction start -> pixels in CPU memory */
	R3D_STAGE_ENCODE,  /* pixels in CPU memory -> access unit out of the encoder */
	R3D_STAGE_HANDOFF, /* access unit out -> handed to the sink (callback returned) */
	R3D_STAGE_TOTAL,   /* dirty mark -> handed */
	R3D_STAGE_MARK,    /* cost of one mark-dirty call on the owner thread */
	R3D_STAGE_DISPATCH, /* cost of one dispatch that started or collected a readback
			     * (its GL calls, on the owner thread) */
	R3D_STAGE_COUNT
};

struct r3d_stats_window {
	uint32_t samples[R3D_STATS_WINDOW];
	unsigned n;     /* valid samples, <= R3D_STATS_WINDOW */
	unsigned next;  /* ring position */
	uint64_t count; /* samples ever added */
};

struct r3d_stage_stats {
	uint64_t count;   /* samples ever added */
	uint32_t window;  /* samples the figures are over */
	uint32_t median_us, p95_us, max_us;
	double mean_us;
};

struct r3d_stats {
	/* frame source counters */
	uint64_t marked, extracted, encoded, dropped, handed;
	uint64_t refreshes;       /* full-frame repaints the source asked for itself */
	uint64_t partial_damage;  /* extracted frames whose damage was not the whole frame */
	uint64_t full_damage;     /* extracted frames whose damage covered the whole frame */
	double damage_fraction_mean; /* mean damaged area / frame area over extracted frames */
	uint64_t readbacks;       /* readbacks started (GPU/CPU reads of the source) */
	uint64_t extract_errors, encode_errors;
	uint64_t keyframes;       /* access units that are IDR frames */
	uint64_t keyframe_requests;
	uint64_t bytes;           /* access unit bytes handed */
	uint64_t readback_bytes;  /* bytes read back from the source */
	uint64_t owner_gpu_waits; /* the readbacks' calls on the owner thread that may have
				     waited for the GPU (extractor.h: gpu_waits); none in
				     the thread readback mode */
	/* sink feedback, latest */
	uint32_t client_frames, client_drops;
	int32_t client_margin_ms;
	uint32_t queue_frames;
	uint64_t queue_bytes;
	unsigned bitrate_kbps;
	bool rate_control;           /* the controller below is in charge */
	struct r3d_rate_state rate;  /* its state (zero without rate control) */
	struct r3d_stage_stats stage[R3D_STAGE_COUNT];
};

void r3d_stats_window_add(struct r3d_stats_window *w, uint64_t us); /* clamps to UINT32_MAX */
void r3d_stats_window_summary(const struct r3d_stats_window *w, struct r3d_stage_stats *out);

const char *r3d_stage_name(enum r3d_stage stage); /* "extract" */

/* One JSON object, no trailing newline. */
void r3d_stats_print_json(const struct r3d_stats *st, FILE *f);

#endif
