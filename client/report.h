/*
 * remote3d-client — per-frame records and the run's summary: what was shown,
 * how late, what went missing; printed as text, JSON and CSV.
 */
#ifndef REMOTE3D_CLIENT_REPORT_H
#define REMOTE3D_CLIENT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decoder-watch.h"
#include "stages.h"

/* One displayed frame: a NEW stamp seen on the primary surface. */
struct r3d_frame_rec {
	uint32_t frame;      /* stamp frame number */
	uint64_t stamp_us;   /* stamp render time, CLOCK_MONOTONIC of the source */
	uint64_t display_us; /* when the client had it on its surface, CLOCK_MONOTONIC */
	/* every point of its path (stages.h); 0 = not known. at[R3D_PT_STAMP]
	 * is stamp_us and at[R3D_PT_DISPLAY] display_us. */
	uint64_t at[R3D_PT_COUNT];
	double psnr_y, ssim_y; /* --quality: this frame against the source's; NAN = not sampled */
};

/* Distribution of a set of values, in milliseconds (nearest-rank percentiles). */
struct r3d_dist {
	size_t n;
	double min, mean, p50, p95, p99, max;
};

struct r3d_client_report {
	/* filled by the caller */
	const char *uri;
	struct r3d_decoder_info dec;
	int width, height;           /* primary surface */
	bool stamps;                 /* the picture carried frame stamps */
	uint64_t display_updates;    /* every display update from the first picture on */
	uint64_t updates;            /* display updates that touched the stamp area */
	uint64_t unstamped;          /* of them without a readable stamp */
	uint64_t bytes;              /* display channel bytes read while measuring */
	double seconds;              /* measuring window: first frame (stamped, else any) to the end */
	double time_to_first_picture_ms; /* connect call to the first display update */
	double time_to_first_frame_ms; /* connect call to the first stamped frame (no stamps: picture) */
	uint64_t keys_sent;
	struct r3d_dist input_to_photon; /* filled by the caller when --keys ran */
	bool typed;                  /* --type ran: */
	uint64_t keys_typed, keys_missed;
	struct r3d_dist key_to_glyph;

	/* filled by r3d_report_compute() from the frame records */
	uint64_t frames;             /* distinct stamped frames shown; no stamps: display updates */
	uint32_t first_frame, last_frame;
	uint64_t missing;            /* frame numbers between first and last never shown */
	uint64_t non_increasing;     /* a stamp not greater than the one before it */
	double fps;                  /* frames / seconds */
	double bitrate_kbps;
	struct r3d_dist latency;     /* display - stamp time */
	/* stage k: at[k + 1] - at[k] over the frames that know both (a
	 * negative difference, a race between two threads' clocks reads, is 0) */
	struct r3d_dist stage[R3D_STAGES];
	struct r3d_dist to_client;   /* stamp -> spice-gtk's appsrc: source + network */
	uint64_t source_matched;     /* frames found in --source-frames */
	bool source_joined;          /* --source-frames was given */
	/* --quality: PSNR (dB) and SSIM of the Y plane over the sampled frames */
	bool quality;
	size_t quality_n;
	double psnr_mean, psnr_p5, ssim_mean, ssim_p5;
};

/* Summarise values (any order; the array is sorted in place). */
void r3d_dist_compute(struct r3d_dist *d, double *values_ms, size_t n);

/* Fill the computed fields of r from the records (in display order). */
bool r3d_report_compute(struct r3d_client_report *r, const struct r3d_frame_rec *recs, size_t n);

void r3d_report_print_text(const struct r3d_client_report *r, FILE *f);
bool r3d_report_write_json(const struct r3d_client_report *r, const char *path);
bool r3d_report_write_csv(const struct r3d_frame_rec *recs, size_t n, const char *path);

#endif
