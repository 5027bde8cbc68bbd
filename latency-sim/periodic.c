/*
 * latency-sim — integer arithmetic for periodic patterns (see periodic.h).
 */
#include "periodic.h"

uint64_t r3d_periodic_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;
		a = b;
		b = r;
	}
	return a;
}

bool r3d_periodic_lcm(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a / r3d_periodic_gcd(a, b), b, out);
}

/*
 * The smallest x >= 0 with l <= a*x - m*y <= r for some y >= 0, that is
 * l <= (a*x) mod m <= r; 0 <= a < m, 0 <= l <= r < m. Also gives that y
 * and v = a*x - m*y. When no multiple of a lands in [l, r] directly, the
 * interval is shorter than a, one x at most fits each y, and the smallest
 * y is the smallest y with (m*y) mod a in [a - r%a, a - l%a]: the same
 * problem for (m mod a, a), as in Euclid's algorithm. Every value stays
 * below 2m: no 128-bit products.
 */
static uint64_t mod_min(uint64_t a, uint64_t m, uint64_t l, uint64_t r,
			uint64_t *y, uint64_t *v)
{
	uint64_t x, z, w, t;

	if (l == 0) {
		*y = *v = 0;
		return 0;
	}
	if (a == 0)
		return R3D_PERIODIC_NONE;
	x = (l + a - 1) / a;
	if (a * x <= r) {
		*y = 0;
		*v = a * x;
		return x;
	}
	/* here 1 <= l % a <= r % a: else a multiple of a would be in [l, r] */
	*y = mod_min(m % a, a, a - r % a, a - l % a, &z, &w);
	if (*y == R3D_PERIODIC_NONE)
		return R3D_PERIODIC_NONE;
	/* (m % a) * y = a * z + w, so m * y = (m / a) * a * y + a * z + w */
	t = (l + w + a - 1) / a;
	*v = a * t - w;
	return m / a * *y + z + t;
}

uint64_t r3d_periodic_first_in_range(uint64_t a, uint64_t b, uint64_t m,
				     uint64_t lo, uint64_t hi)
{
	uint64_t y, v;

	if (a >= lo && a <= hi)
		return 0;
	/* b*c mod m in [lo - a, hi - a] (mod m): an interval without 0,
	 * since c = 0 does not fit, so it does not wrap */
	return mod_min(b, m, (lo + m - a) % m, (hi + m - a) % m, &y, &v);
}
