/*
 * The guest probe's frame pacing (guest/probe/pace.c) on a fake clock:
 * frames start on an absolute grid (no drift from frame times), a late
 * frame skips to the next grid point after "now" (the ones passed over
 * count as missed, the next frames are not early), fps 0 never waits, and
 * probe_pace_wait() really sleeps until the deadline on CLOCK_MONOTONIC.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pace.h"

static int failures;

static void expect_u64(const char *what, uint64_t got, uint64_t want)
{
	if (got != want) {
		printf("FAIL: %s: got %llu, want %llu\n", what, (unsigned long long)got,
		       (unsigned long long)want);
		failures++;
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	struct probe_pace p;
	const uint64_t t0 = 1000000000000u; /* arbitrary origin */

	/* 50 fps: a 20 ms grid from the first frame on */
	probe_pace_init(&p, 50, t0);
	expect_u64("period at 50 fps", p.period_ns, 20000000u);
	expect_u64("first frame starts at once", p.next_ns, t0);

	/* frames that take 5 ms (or 19.9 ms) keep the grid: no drift */
	expect_u64("on-time frame misses nothing", probe_pace_advance(&p, t0 + 5000000u), 0);
	expect_u64("next start one period on", p.next_ns, t0 + 20000000u);
	expect_u64("slow but on time", probe_pace_advance(&p, t0 + 39900000u), 0);
	expect_u64("grid kept", p.next_ns, t0 + 40000000u);

	/* a frame ending exactly on the next grid point is on time */
	expect_u64("ends on the grid point", probe_pace_advance(&p, t0 + 60000000u), 0);
	expect_u64("starts on that point", p.next_ns, t0 + 60000000u);

	/* a frame started at 60 ms that ends at 85 ms missed the 80 ms point:
	 * the next starts at 100 ms, not at once, not at 80 */
	expect_u64("late by 5 ms skips one", probe_pace_advance(&p, t0 + 85000000u), 1);
	expect_u64("next is the first point after now", p.next_ns, t0 + 100000000u);

	/* a frame started at 100 ms that ends at 171 ms: 120, 140, 160 gone */
	expect_u64("late by 51 ms skips three", probe_pace_advance(&p, t0 + 171000000u), 3);
	expect_u64("then 180 ms", p.next_ns, t0 + 180000000u);
	expect_u64("missed in total", p.missed, 4);

	/* and then on time again, on the original grid */
	expect_u64("back on time", probe_pace_advance(&p, t0 + 181000000u), 0);
	expect_u64("200 ms", p.next_ns, t0 + 200000000u);

	/* 60 fps rounds the period to the nearest nanosecond */
	probe_pace_init(&p, 60, t0);
	expect_u64("period at 60 fps", p.period_ns, 16666667u);

	/* unpaced: never a deadline, never missed */
	probe_pace_init(&p, 0, t0);
	expect_u64("fps 0: no period", p.period_ns, 0);
	expect_u64("fps 0: no deadline", probe_pace_advance(&p, t0 + 999000000u), 0);
	expect_u64("fps 0: deadline stays 0", p.next_ns, 0);
	volatile sig_atomic_t stop = 0;
	if (!probe_pace_wait(&p, &stop)) {
		printf("FAIL: fps 0: wait returned false\n");
		failures++;
	}

	/* the real sleep: the wake-ups are never before their deadline, so
	 * the 10th of 10 grid points at 100 fps starts >= 90 ms after the
	 * grid's origin (the first starts at once; a busy machine may wake
	 * late, never early) */
	const uint64_t origin = mono_ns();
	probe_pace_init(&p, 100, origin);
	uint64_t last = 0, early = 0;
	for (int i = 0; i < 10; i++) {
		uint64_t deadline = p.next_ns;
		if (!probe_pace_wait(&p, &stop)) {
			printf("FAIL: wait %d returned false\n", i);
			failures++;
		}
		last = mono_ns();
		if (last < deadline)
			early++;
		probe_pace_advance(&p, mono_ns());
	}
	uint64_t spent = last - origin;
	printf("10 frames at 100 fps: the last started %.1f ms after the origin (>= 90), %llu missed\n",
	       spent / 1e6, (unsigned long long)p.missed);
	expect_u64("woken before a deadline", early, 0);
	if (spent < 90000000u) {
		printf("FAIL: the 10th paced frame at 100 fps started after only %.1f ms\n", spent / 1e6);
		failures++;
	}

	if (failures)
		return 1;
	printf("ok: probe pacing\n");
	return 0;
}
