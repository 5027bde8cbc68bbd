/*
 * remote3d — an injectable clock, so that pacing, dropping and rate control
 * are pure logic that unit tests drive with a fake clock.
 */
#ifndef REMOTE3D_CLOCK_H
#define REMOTE3D_CLOCK_H

#include <stdint.h>
#include <time.h>

struct r3d_clock {
	uint64_t (*now_us)(void *opaque);
	void *opaque;
};

/* CLOCK_MONOTONIC in microseconds: the clock of frame stamps too. */
static inline uint64_t r3d_time_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A process-wide clock reading r3d_time_us() (never NULL). */
const struct r3d_clock *r3d_clock_monotonic(void);

static inline uint64_t r3d_clock_now(const struct r3d_clock *clock)
{
	return clock ? clock->now_us(clock->opaque) : r3d_time_us();
}

#endif
