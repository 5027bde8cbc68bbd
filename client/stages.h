/*
 * remote3d-client — one frame's path from its render to the display, as a
 * chain of points in time (CLOCK_MONOTONIC microseconds, the stamp's
 * clock): the source's (remote3d-testsrc --frames-csv, read with
 * --source-frames) and the client's own (decoder-watch.h, the display
 * update). Stage k is the time from point k to point k + 1.
 *
 * Not a point: the first byte of a frame at the client. spice-gtk reads
 * the display channel inside its coroutine and hands over whole messages
 * only; "network" therefore ends when the appsrc pushes the access unit
 * (spice-gtk had read its last byte) and holds the transfer, the kernel's
 * receive path and spice-gtk's message handling.
 */
#ifndef REMOTE3D_CLIENT_STAGES_H
#define REMOTE3D_CLIENT_STAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum r3d_point {
	R3D_PT_STAMP,         /* the source began rendering (the stamp's time) */
	R3D_PT_MARKED,        /* rendered, marked dirty */
	R3D_PT_EXTRACT_START, /* readback started */
	R3D_PT_EXTRACTED,     /* pixels in CPU memory */
	R3D_PT_ENCODE_START,  /* the encoder thread took it */
	R3D_PT_ENCODED,       /* access unit out of the encoder */
	R3D_PT_HANDED,        /* given to spice-server */
	R3D_PT_WRITTEN,       /* spice-server wrote it to the socket */
	R3D_PT_IN,            /* spice-gtk's appsrc pushed it (whole message read) */
	R3D_PT_PARSED,        /* out of the parser */
	R3D_PT_DECODED,       /* out of the decoder */
	R3D_PT_CONVERTED,     /* BGRx picture into spice-gtk's appsink */
	R3D_PT_DISPLAY,       /* on the client's surface (display update) */
	R3D_PT_COUNT
};

#define R3D_STAGES (R3D_PT_COUNT - 1)
#define R3D_PT_FIRST_CLIENT R3D_PT_IN

/* stage k: from point k to point k + 1 */
struct r3d_stage_info {
	const char *name;  /* "encode" */
	const char *what;  /* one line for people */
	uint32_t rgb;      /* its colour in plots */
};
extern const struct r3d_stage_info r3d_stage_info[R3D_STAGES];
/* "extract_start": CSV column names are these + "_us" */
extern const char *const r3d_point_name[R3D_PT_COUNT];

/* The source's times of its frames, by frame number (--source-frames). */
struct r3d_source_frames;

/* Reads remote3d-testsrc's --frames-csv (a run still writing it is fine:
 * an incomplete last line is skipped). NULL + *why (malloc'ed) when the
 * file cannot be read or is not such a file. */
struct r3d_source_frames *r3d_source_frames_load(const char *path, char **why);
void r3d_source_frames_free(struct r3d_source_frames *sf);
/* Fills at[R3D_PT_MARKED .. R3D_PT_WRITTEN] of frame `frame` whose stamp
 * time is stamp_us (a frame number of another run does not match); false
 * when the file has no such frame. */
bool r3d_source_frames_fill(const struct r3d_source_frames *sf, uint32_t frame, uint64_t stamp_us,
			    uint64_t at[R3D_PT_COUNT]);

#endif
