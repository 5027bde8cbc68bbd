/*
 * r3d-probe — frame pacing to a fixed rate, the way a display's vblank
 * paces a vsync'd app: frame k starts at origin + k * period on
 * CLOCK_MONOTONIC. A frame that runs past its successor's start does not
 * make the following ones early: the next start is the first grid point
 * after "now" and the grid points passed over count as missed.
 *
 * Pure logic on nanosecond times the caller passes in (tests feed their
 * own clock); probe_pace_wait() is the only part that sleeps.
 */
#ifndef R3D_PROBE_PACE_H
#define R3D_PROBE_PACE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct probe_pace {
	uint64_t period_ns; /* 0: unpaced */
	uint64_t next_ns;   /* when the next frame may start */
	uint64_t missed;    /* grid points passed over, in total */
};

/* fps <= 0: unpaced (next_ns stays 0: never wait). The first frame may
 * start at now_ns. */
void probe_pace_init(struct probe_pace *pace, double fps, uint64_t now_ns);

/* A frame ended at now_ns: set next_ns to the next start (one period after
 * the last one, or the first grid point after now_ns when that is already
 * past) and return how many grid points were passed over this time. */
uint64_t probe_pace_advance(struct probe_pace *pace, uint64_t now_ns);

/* Sleep on CLOCK_MONOTONIC until next_ns (TIMER_ABSTIME); returns early
 * with false when *stop becomes non-zero (a signal interrupted the sleep). */
bool probe_pace_wait(const struct probe_pace *pace, const volatile sig_atomic_t *stop);

#endif
