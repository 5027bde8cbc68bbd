/*
 * remote3d-testsrc --frames-csv: one line per frame sent, with the time of
 * every server stage on CLOCK_MONOTONIC (the clock of the frame stamp), so
 * that remote3d-client --source-frames can join them to its own stages by
 * the stamp's frame number.
 *
 * Columns: frame, stamp_us (render start, the time in the stamp),
 * marked_us (render done, marked dirty), extract_start_us, extracted_us,
 * encode_start_us, encoded_us, handed_us (given to spice-server),
 * written_us (spice-server released the frame: every client's copy was
 * written to its socket, or dropped), bytes, keyframe.
 */
#ifndef REMOTE3D_TESTSRC_FRAME_LOG_H
#define REMOTE3D_TESTSRC_FRAME_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remote3d/frame.h"

struct frame_log;

/* Opens path for writing (the header line goes out now, so a bad path
 * fails before anything starts). NULL + *error (malloc'ed) on failure. */
struct frame_log *frame_log_create(const char *path, char **error);

/* main thread: frame number `frame` was rendered with stamp time stamp_us
 * (frames are rendered in order, so stamp times increase) */
void frame_log_rendered(struct frame_log *fl, uint32_t frame, uint64_t stamp_us);

/* any thread: the access unit of a frame with this timing was released by
 * spice-server at written_us */
void frame_log_written(struct frame_log *fl, const struct r3d_frame_timing *t, size_t bytes,
		       bool keyframe, uint64_t written_us);

/* Flushes and closes (NULL ok). False (logged) when the file could not be
 * written completely. */
bool frame_log_finish(struct frame_log *fl);

#endif
