/*
 * latency-sim — integer arithmetic for periodic patterns: when two
 * repeating patterns (a trace and an outage, a rate schedule and an
 * outage) line up, computed in a bounded number of steps instead of by
 * walking period after period.
 */
#ifndef LATENCY_SIM_PERIODIC_H
#define LATENCY_SIM_PERIODIC_H

#include <stdbool.h>
#include <stdint.h>

#define R3D_PERIODIC_NONE UINT64_MAX

uint64_t r3d_periodic_gcd(uint64_t a, uint64_t b);

/* lcm(a, b) of a, b > 0 in *out; false when it does not fit. */
bool r3d_periodic_lcm(uint64_t a, uint64_t b, uint64_t *out);

/* The smallest c >= 0 with lo <= (a + b * c) mod m <= hi, or
 * R3D_PERIODIC_NONE when there is none. Needs a < m, b < m,
 * lo <= hi < m and m <= 2^62. O(log m) steps (Euclid's). */
uint64_t r3d_periodic_first_in_range(uint64_t a, uint64_t b, uint64_t m,
				     uint64_t lo, uint64_t hi);

/* a + b and a * b, saturating at UINT64_MAX */
static inline uint64_t r3d_sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t r3d_sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

#endif
