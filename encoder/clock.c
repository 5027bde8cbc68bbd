#include "remote3d/clock.h"

static uint64_t monotonic_now(void *opaque)
{
	(void)opaque;
	return r3d_time_us();
}

static const struct r3d_clock monotonic_clock = { .now_us = monotonic_now, .opaque = 0 };

const struct r3d_clock *r3d_clock_monotonic(void)
{
	return &monotonic_clock;
}
