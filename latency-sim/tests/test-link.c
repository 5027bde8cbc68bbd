/*
 * Unit tests of the link scheduling (link.c) on a fake clock: every
 * expected time is computed from the configuration, to the microsecond.
 */
#include "link.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
			failures++;                                       \
		}                                                         \
	} while (0)

#define T0 1000000000ull /* arbitrary start time */

static struct r3d_link *mk(const struct r3d_link_config *c)
{
	struct r3d_link *l = r3d_link_create(c, 1500, 42, T0);
	if (!l) {
		fprintf(stderr, "r3d_link_create failed\n");
		exit(1);
	}
	return l;
}

static bool put(struct r3d_link *l, size_t len, uint64_t now)
{
	struct r3d_link_packet *p = r3d_link_packet_new(l);
	p->len = len;
	memset(p->data, 0, len);
	return r3d_link_enqueue(l, p, now);
}

/* Runs the link until empty, stepping to each deadline like the event
 * loop does; stores exit times. Returns the number of packets out. */
static size_t drain(struct r3d_link *l, uint64_t now, uint64_t *exits,
		    size_t max)
{
	size_t n = 0;
	for (;;) {
		struct r3d_link_packet *p;
		while ((p = r3d_link_dequeue(l, now))) {
			if (n < max)
				exits[n] = p->exit_us;
			n++;
			r3d_link_packet_free(l, p);
		}
		uint64_t next = r3d_link_next_deadline(l, now);
		if (next == R3D_LINK_NEVER)
			return n;
		now = next;
	}
}

static void test_delay_only_is_exact(void)
{
	struct r3d_link_config c = { .delay_us = 20000 };
	struct r3d_link *l = mk(&c);
	uint64_t ex[1];

	put(l, 100, T0 + 5);
	CHECK(r3d_link_next_deadline(l, T0 + 5) == T0 + 20005, "deadline");
	CHECK(r3d_link_dequeue(l, T0 + 20004) == NULL, "left early");
	CHECK(drain(l, T0 + 20005, ex, 1) == 1 && ex[0] == T0 + 20005, "exit");
	r3d_link_destroy(l);
}

static void test_rate_paces_with_overhead(void)
{
	/* 1000 + 18 bytes at 8 Mbit/s = 1018 us each */
	struct r3d_link_config c = {
		.delay_us = 10000, .rate_bps = 8000000, .overhead_bytes = 18,
	};
	struct r3d_link *l = mk(&c);
	uint64_t ex[10];

	for (int i = 0; i < 10; i++)
		CHECK(put(l, 1000, T0), "queued");
	CHECK(drain(l, T0, ex, 10) == 10, "count");
	for (int i = 0; i < 10; i++)
		CHECK(ex[i] == T0 + (uint64_t)(i + 1) * 1018 + 10000,
		      "packet %d exit %llu", i, (unsigned long long)(ex[i] - T0));
	r3d_link_destroy(l);
}

/* 1228 + 18 bytes at 50 Mbit/s take 199.36 us: exits are rounded up to
 * the microsecond but back-to-back packets keep the exact rate (no drift
 * of 0.64 us per packet, -0.3%). */
static void test_rate_exact_over_a_burst(void)
{
	struct r3d_link_config c = { .rate_bps = 50000000, .overhead_bytes = 18 };
	struct r3d_link *l = mk(&c);
	uint64_t ex[100];

	for (int i = 0; i < 100; i++)
		CHECK(put(l, 1228, T0), "queued");
	CHECK(drain(l, T0, ex, 100) == 100, "count");
	for (int i = 0; i < 100; i++) {
		/* ceil((i + 1) * 199.36) */
		uint64_t want = ((uint64_t)(i + 1) * 19936 + 99) / 100;
		CHECK(ex[i] == T0 + want, "packet %d exit %llu want %llu", i,
		      (unsigned long long)(ex[i] - T0), (unsigned long long)want);
	}
	r3d_link_destroy(l);
}

static void test_queue_limits_drop_tail(void)
{
	struct r3d_link_config c = { .rate_bps = 1000000, .queue_packets = 5 };
	struct r3d_link *l = mk(&c);
	struct r3d_link_stats s;
	int ok = 0;

	for (int i = 0; i < 8; i++)
		ok += put(l, 1000, T0);
	CHECK(ok == 5, "packet limit kept %d", ok);
	r3d_link_get_stats(l, T0, &s);
	CHECK(s.queue_packets == 5 && s.queue_bytes == 5000, "queue %llu",
	      (unsigned long long)s.queue_packets);
	CHECK(s.drop_queue_packets == 3, "drops");
	r3d_link_destroy(l);

	/* bytes: 3000 bytes hold two 1400-byte packets, not three */
	struct r3d_link_config cb = { .rate_bps = 1000000, .queue_bytes = 3000,
				      .overhead_bytes = 18 };
	l = mk(&cb);
	CHECK(put(l, 1400, T0) && put(l, 1400, T0) && !put(l, 1400, T0),
	      "byte limit");
	/* once the first left the wire (1418 bytes at 1 Mbit/s = 11344 us)
	 * there is room again */
	CHECK(!put(l, 1400, T0 + 11343), "still full");
	CHECK(put(l, 1400, T0 + 11344), "room after serialisation");
	r3d_link_destroy(l);
}

static void test_random_loss_rate(void)
{
	struct r3d_link_config c = { .loss = 0.10 };
	struct r3d_link *l = mk(&c);
	size_t out = 0, n = 100000;

	for (size_t i = 0; i < n; i++) {
		put(l, 100, T0 + i);
		struct r3d_link_packet *p;
		while ((p = r3d_link_dequeue(l, T0 + i))) {
			out++;
			r3d_link_packet_free(l, p);
		}
	}
	double loss = 1.0 - (double)out / (double)n;
	CHECK(fabs(loss - 0.10) < 0.005, "loss %.4f", loss);
	r3d_link_destroy(l);
}

static void test_gilbert_elliott_bursts(void)
{
	/* p = 2%, r = 20%, all lost in bad: loss = p/(p+r) = 9.1%,
	 * mean burst = 1/r = 5 packets */
	struct r3d_link_config c = { .ge_p = 0.02, .ge_r = 0.20,
				     .ge_bad_loss = 1.0 };
	struct r3d_link *l = mk(&c);
	size_t n = 200000, lost = 0, bursts = 0;
	bool prev_lost = false;

	for (size_t i = 0; i < n; i++) {
		put(l, 100, T0 + i);
		struct r3d_link_packet *p = r3d_link_dequeue(l, T0 + i);
		bool is_lost = p == NULL;
		r3d_link_packet_free(l, p);
		lost += is_lost;
		bursts += is_lost && !prev_lost;
		prev_lost = is_lost;
	}
	double loss = (double)lost / (double)n;
	double burst = (double)lost / (double)bursts;
	CHECK(fabs(loss - 0.02 / 0.22) < 0.01, "loss %.4f", loss);
	CHECK(fabs(burst - 5.0) < 0.5, "mean burst %.2f", burst);
	r3d_link_destroy(l);
}

static void test_schedule_step_integrates_rate(void)
{
	/* 8 Mbit/s then 80 Mbit/s at 1 s; a 1000-byte packet that starts
	 * 500 us before the step sends 4000 bits before it and 4000 after
	 * (50 us) */
	struct r3d_rate_step st[] = { { 0, 8000000 }, { 1000000, 80000000 } };
	struct r3d_link_config c = { .schedule = st, .schedule_len = 2 };
	struct r3d_link *l = mk(&c);
	uint64_t ex[2];

	put(l, 1000, T0 + 999500);
	CHECK(drain(l, T0 + 999500, ex, 1) == 1 && ex[0] == T0 + 1000050,
	      "exit %llu", (unsigned long long)(ex[0] - T0));
	r3d_link_destroy(l);

	/* repeating: 0s:8mbit,1s:0 (stalled)@2s: a packet at 1.5 s waits
	 * for 2 s, then takes 1000 us */
	struct r3d_rate_step st2[] = { { 0, 8000000 }, { 1000000, 0 } };
	struct r3d_link_config c2 = { .schedule = st2, .schedule_len = 2,
				      .schedule_period_us = 2000000 };
	l = mk(&c2);
	CHECK(r3d_link_rate_at(l, T0 + 1500000) == 0, "stalled");
	CHECK(r3d_link_rate_at(l, T0 + 2100000) == 8000000, "repeated");
	put(l, 1000, T0 + 1500000);
	CHECK(drain(l, T0 + 1500000, ex, 1) == 1 && ex[0] == T0 + 2001000,
	      "exit %llu", (unsigned long long)(ex[0] - T0));
	r3d_link_destroy(l);
}

static void test_outage_holds_queue(void)
{
	struct r3d_link_config c = { .rate_bps = 8000000,
				     .outage_start_us = 1000000,
				     .outage_len_us = 500000 };
	struct r3d_link *l = mk(&c);
	uint64_t ex[1];

	CHECK(r3d_link_rate_at(l, T0 + 1200000) == 0, "outage rate");
	put(l, 1000, T0 + 1200000);
	CHECK(drain(l, T0 + 1200000, ex, 1) == 1 && ex[0] == T0 + 1501000,
	      "exit %llu", (unsigned long long)(ex[0] - T0));
	r3d_link_destroy(l);
}

static void test_mahimahi_trace(void)
{
	/* opportunities at 2, 2, 5 ms; repeats every 5 ms */
	uint64_t tr[] = { 2, 2, 5 };
	struct r3d_link_config c = { .trace_ms = tr, .trace_len = 3 };
	struct r3d_link *l = mk(&c);
	uint64_t ex[5];

	/* 500 + 1000 share the first 1500-byte slot; 1500 takes the second
	 * at the same ms, the next the 5 ms one; a 3000-byte (over MTU-less
	 * test max) is not used */
	put(l, 482, T0);
	put(l, 982, T0);
	put(l, 1482, T0);
	put(l, 1482, T0);
	put(l, 1482, T0);
	CHECK(drain(l, T0, ex, 5) == 5, "count");
	CHECK(ex[0] == T0 + 2000 && ex[1] == T0 + 2000, "shared slot %llu %llu",
	      (unsigned long long)(ex[0] - T0), (unsigned long long)(ex[1] - T0));
	CHECK(ex[2] == T0 + 2000, "second slot %llu",
	      (unsigned long long)(ex[2] - T0));
	CHECK(ex[3] == T0 + 5000, "third slot %llu",
	      (unsigned long long)(ex[3] - T0));
	CHECK(ex[4] == T0 + 7000, "next period %llu",
	      (unsigned long long)(ex[4] - T0));
	r3d_link_destroy(l);
}

static void test_jitter_without_reordering(void)
{
	struct r3d_link_config c = { .delay_us = 20000, .jitter_us = 5000 };
	struct r3d_link *l = mk(&c);
	uint64_t prev = 0;
	double sum = 0;
	int n = 20000, inorder = 1;
	uint64_t lo = UINT64_MAX, hi = 0;

	/* packets 10 ms apart never catch up with each other */
	for (int i = 0; i < n; i++) {
		uint64_t t = T0 + (uint64_t)i * 10000;
		put(l, 100, t);
		uint64_t e[1];
		drain(l, t, e, 1);
		uint64_t d = e[0] - t;
		sum += (double)d;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		inorder &= e[0] >= prev;
		prev = e[0];
	}
	CHECK(inorder, "order");
	CHECK(fabs(sum / n - 20000) < 100, "mean %.1f", sum / n);
	CHECK(lo >= 15000 && hi <= 25000 && lo < 15500 && hi > 24500,
	      "uniform bounds %llu..%llu", (unsigned long long)lo,
	      (unsigned long long)hi);
	r3d_link_destroy(l);

	/* back to back packets with jitter stay in order unless asked */
	for (int reorder = 0; reorder < 2; reorder++) {
		struct r3d_link_config cr = { .delay_us = 20000, .jitter_us = 5000,
					      .jitter_dist = R3D_JITTER_NORMAL,
					      .reorder = reorder };
		int swaps = 0, got = 0, last = -1;
		l = mk(&cr);
		for (int i = 0; i < 1000; i++) {
			struct r3d_link_packet *p = r3d_link_packet_new(l);
			p->len = 100;
			memcpy(p->data, &i, sizeof(i));
			r3d_link_enqueue(l, p, T0 + (uint64_t)i * 100);
		}
		/* delivery order vs. sending order */
		for (uint64_t now = T0; got < 1000;
		     now = r3d_link_next_deadline(l, now)) {
			struct r3d_link_packet *p;
			while ((p = r3d_link_dequeue(l, now))) {
				int seq;
				memcpy(&seq, p->data, sizeof(seq));
				swaps += seq < last;
				last = seq;
				got++;
				r3d_link_packet_free(l, p);
			}
		}
		CHECK(reorder ? swaps > 0 : swaps == 0, "reorder=%d swaps=%d",
		      reorder, swaps);
		r3d_link_destroy(l);
	}
}

/* Early hand-out (the loop's wake-up compensation) gives out packets due
 * by the horizon, in exit order, with their exact exit times, and does not
 * move serialisation ahead: a packet entering after the early pass is
 * still paced behind the one on the wire. */
static void test_early_dequeue_keeps_schedule(void)
{
	/* 1000 + 0 bytes at 8 Mbit/s = 1000 us each, 5 ms delay */
	struct r3d_link_config c = { .delay_us = 5000, .rate_bps = 8000000 };
	struct r3d_link *l = mk(&c);
	struct r3d_link_packet *p;
	uint64_t ex[4];

	put(l, 1000, T0);
	put(l, 1000, T0);
	/* serialisation ends at T0 + 1000 and 2000, exits at 6000 and 7000 */
	CHECK(r3d_link_dequeue_by(l, T0 + 1500, T0 + 5900) == NULL,
	      "nothing due by the horizon");
	p = r3d_link_dequeue_by(l, T0 + 1500, T0 + 6100);
	CHECK(p && p->exit_us == T0 + 6000, "first handed out early, exit kept");
	r3d_link_packet_free(l, p);
	CHECK(r3d_link_dequeue_by(l, T0 + 1500, T0 + 7100) == NULL,
	      "second still on the wire at now");
	/* the wire is busy until T0 + 2000: a third packet entering at
	 * T0 + 1500 ends serialisation at T0 + 3000 */
	put(l, 1000, T0 + 1500);
	CHECK(drain(l, T0 + 1500, ex, 4) == 2 && ex[0] == T0 + 7000 &&
	      ex[1] == T0 + 8000, "rest on schedule: %llu %llu",
	      (unsigned long long)(ex[0] - T0), (unsigned long long)(ex[1] - T0));
	r3d_link_destroy(l);
}

/* busy_until is when the wire goes idle, and a packet handed in any time
 * before then gets the schedule it would have had on entry: what lets the
 * loop leave input unread while the wire is busy. */
static void test_busy_until_late_entry_same_schedule(void)
{
	struct r3d_link_config c = { .delay_us = 5000, .rate_bps = 8000000 };
	struct r3d_link *a = mk(&c), *b = mk(&c);
	uint64_t ea[3], eb[3];

	for (int i = 0; i < 2; i++) {
		put(a, 1000, T0);
		put(b, 1000, T0);
	}
	CHECK(r3d_link_busy_until(a, T0 + 10) == T0 + 2000, "busy until 2000");
	put(a, 500, T0 + 100);  /* on time */
	put(b, 500, T0 + 1900); /* read late, still before the wire idles */
	CHECK(drain(a, T0 + 100, ea, 3) == 3 && drain(b, T0 + 1900, eb, 3) == 3,
	      "counts");
	CHECK(ea[2] == T0 + 2500 + 5000 && eb[2] == ea[2],
	      "third exits at %llu and %llu", (unsigned long long)(ea[2] - T0),
	      (unsigned long long)(eb[2] - T0));
	CHECK(r3d_link_busy_until(a, T0 + 9000) == T0 + 9000, "idle");
	r3d_link_destroy(a);
	r3d_link_destroy(b);
}

static void test_invalid_config_rejected(void)
{
	struct r3d_rate_step bad[] = { { 5, 1000 } };
	struct r3d_link_config c1 = { .loss = 1.5 };
	struct r3d_link_config c2 = { .schedule = bad, .schedule_len = 1 };
	struct r3d_link_config c3 = { .outage_len_us = 10, .outage_period_us = 5 };

	CHECK(!r3d_link_create(&c1, 1500, 1, 0), "loss > 1");
	CHECK(!r3d_link_create(&c2, 1500, 1, 0), "schedule not at 0");
	CHECK(!r3d_link_create(&c3, 1500, 1, 0), "outage longer than period");
}


/* Reference outage: the rule of link.h, written out. */
static bool ref_in_outage(const struct r3d_link_config *c, uint64_t rel)
{
	if (!c->outage_len_us || rel < c->outage_start_us)
		return false;
	uint64_t since = rel - c->outage_start_us;
	return c->outage_period_us ? since % c->outage_period_us < c->outage_len_us
				   : since < c->outage_len_us;
}

static uint64_t ref_rate(const struct r3d_link_config *c, uint64_t rel)
{
	if (ref_in_outage(c, rel))
		return 0;
	if (!c->schedule_len)
		return c->rate_bps;
	uint64_t off = c->schedule_period_us ? rel % c->schedule_period_us : rel;
	size_t i = 0;
	while (i + 1 < c->schedule_len && c->schedule[i + 1].at_us <= off)
		i++;
	return c->schedule[i].rate_bps;
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* The attack of issue 17: one opportunity every 10 ms, an outage of
 * 1 ms every 10 ms from 0: every opportunity is in an outage. This spun
 * forever; it is refused now. */
static void test_trace_always_in_outage_refused(void)
{
	uint64_t tr[] = { 10 };
	struct r3d_link_config c = { .trace_ms = tr, .trace_len = 1,
				     .outage_len_us = 1000,
				     .outage_period_us = 10000 };

	CHECK(r3d_link_check(&c) == R3D_LINK_TRACE_ALWAYS_OUT, "check %d",
	      (int)r3d_link_check(&c));
	errno = 0;
	CHECK(!r3d_link_create(&c, 1500, 1, T0) && errno == EINVAL, "created");
	/* one more microsecond of period and the opportunities drift out */
	c.outage_period_us = 10001;
	CHECK(r3d_link_check(&c) == R3D_LINK_OK, "10001 us period refused");
}

/* Opportunities every 1 ms, outage 998 us every 999 us: opportunity k is
 * at offset k mod 999 into the pattern, outside only when k = 998
 * (mod 999): the first two are at 998 ms and 1997 ms, found by solving,
 * not by stepping over 998 outages. */
static void test_trace_resonating_with_outage(void)
{
	uint64_t tr[] = { 1 };
	struct r3d_link_config c = { .trace_ms = tr, .trace_len = 1,
				     .outage_len_us = 998,
				     .outage_period_us = 999 };
	struct r3d_link *l = mk(&c);
	uint64_t ex[2];

	put(l, 1482, T0);
	put(l, 1482, T0);
	CHECK(drain(l, T0, ex, 2) == 2, "count");
	CHECK(ex[0] == T0 + 998000 && ex[1] == T0 + 1997000, "exits %llu %llu",
	      (unsigned long long)(ex[0] - T0), (unsigned long long)(ex[1] - T0));
	r3d_link_destroy(l);

	/* 1 ms opportunities, outages of a 10^15 - 1 us period with 1 us
	 * between them: opportunity j (at j ms) is out when
	 * 1000 j = -1 (mod 10^15 - 1), first at j = 998999999999999
	 * (python: (10**15 - 2) * pow(1000, -1, 10**15 - 1) % (10**15 - 1)):
	 * stepping from opportunity to opportunity took 10^15 steps */
	uint64_t tr2[] = { 1 };
	struct r3d_link_config c2 = { .trace_ms = tr2, .trace_len = 1,
				      .outage_len_us = 999999999999998ull,
				      .outage_period_us = 999999999999999ull };
	l = mk(&c2);
	put(l, 1482, T0);
	CHECK(drain(l, T0, ex, 1) == 1 && ex[0] == T0 + 998999999999999000ull,
	      "far exit %llu", (unsigned long long)(ex[0] - T0));
	r3d_link_destroy(l);
}

/* Random small traces and periodic outages: the exit of one packet is
 * the first opportunity outside an outage, found by brute force. */
static void test_trace_outage_matches_brute_force(void)
{
	uint64_t seed = 17;
	int refused = 0, far = 0;

	for (int it = 0; it < 3000; it++) {
		uint64_t tr[3];
		size_t n = 1 + lcg(&seed) % 3;
		for (size_t i = 0; i < n; i++)
			tr[i] = 1 + lcg(&seed) % 20;
		for (size_t i = 1; i < n; i++)
			if (tr[i] < tr[i - 1])
				tr[i] = tr[i - 1];
		struct r3d_link_config c = { .trace_ms = tr, .trace_len = n };
		c.outage_period_us = 2 + lcg(&seed) % 30000;
		c.outage_len_us = 1 + lcg(&seed) % (c.outage_period_us - 1);
		c.outage_start_us = lcg(&seed) % 20000;
		uint64_t at = lcg(&seed) % 50000, want = R3D_LINK_NEVER;
		uint64_t p = tr[n - 1] * 1000;
		/* opportunities from `at` on; one joint period of both
		 * patterns holds at most 3 * 30000 of them */
		for (uint64_t k = 0; k < 200000 + 3 * (at / p + 1); k++) {
			uint64_t t = k / n * p + tr[k % n] * 1000;
			if (t >= at && !ref_in_outage(&c, t)) {
				want = t;
				break;
			}
		}
		struct r3d_link *l = r3d_link_create(&c, 1500, 1, T0);
		if (!l) {
			/* refused: nothing after the outage began gets out */
			uint64_t late = R3D_LINK_NEVER;
			for (uint64_t k = 0; k < 200000; k++) {
				uint64_t t = k / n * p + tr[k % n] * 1000;
				if (t >= c.outage_start_us && !ref_in_outage(&c, t)) {
					late = t;
					break;
				}
			}
			CHECK(late == R3D_LINK_NEVER, "refused, yet %llu is out",
			      (unsigned long long)late);
			refused++;
			continue;
		}
		uint64_t ex[1] = { 0 };
		put(l, 1482, T0 + at);
		size_t got = drain(l, T0 + at, ex, 1);
		CHECK(want == R3D_LINK_NEVER ? got == 0 : got == 1 && ex[0] == T0 + want,
		      "trace %llu,%llu,%llu outage %llu+%llu@%llu at %llu: want %llu, "
		      "got %zu at %llu", (unsigned long long)tr[0],
		      (unsigned long long)(n > 1 ? tr[1] : 0),
		      (unsigned long long)(n > 2 ? tr[2] : 0),
		      (unsigned long long)c.outage_start_us,
		      (unsigned long long)c.outage_len_us,
		      (unsigned long long)c.outage_period_us,
		      (unsigned long long)at, (unsigned long long)want, got,
		      (unsigned long long)(ex[0] - T0));
		far += want != R3D_LINK_NEVER && want > at + 40 * c.outage_period_us;
		r3d_link_destroy(l);
	}
	CHECK(refused > 0 && far > 0, "cases not covered: %d refused, %d far",
	      refused, far);
}

/* Random schedules and outages, periodic or not, and a slow rate: the
 * end of serialisation is where the capacity, summed microsecond by
 * microsecond, reaches the packet's bits (a period that the packet
 * outlasts is skipped by the link, not walked). */
static void test_pacing_matches_brute_force(void)
{
	uint64_t seed = 5;
	int skipped = 0;

	for (int it = 0; it < 400; it++) {
		struct r3d_rate_step st[4];
		size_t n = 1 + lcg(&seed) % 4;
		struct r3d_link_config c = { .overhead_bytes = 0 };
		uint64_t at = 0;
		for (size_t i = 0; i < n; i++) {
			st[i].at_us = at;
			st[i].rate_bps = lcg(&seed) % 3 ? 100000 + lcg(&seed) % 2000000 : 0;
			at += 1 + lcg(&seed) % 300;
		}
		if (lcg(&seed) % 4) {
			c.schedule = st;
			c.schedule_len = n;
			if (lcg(&seed) % 3)
				c.schedule_period_us = at + lcg(&seed) % 100;
		} else {
			c.rate_bps = 100000 + lcg(&seed) % 2000000;
		}
		if (lcg(&seed) % 4) {
			c.outage_start_us = lcg(&seed) % 3000;
			c.outage_len_us = 1 + lcg(&seed) % 400;
			if (lcg(&seed) % 3)
				c.outage_period_us = c.outage_len_us + 1 + lcg(&seed) % 400;
		}
		struct r3d_link *l = r3d_link_create(&c, 1500, 1, T0);
		if (!l)
			continue; /* periods too far apart, or never out */
		uint64_t start = lcg(&seed) % 5000, bytes = 200 + lcg(&seed) % 1300;
		uint64_t left = bytes * 8 * 1000000, want = R3D_LINK_NEVER;
		for (uint64_t u = start; u < start + 20000000; u++) {
			uint64_t r = ref_rate(&c, u);
			if (r >= left) {
				want = u + 1;
				break;
			}
			left -= r;
		}
		put(l, bytes, T0 + start);
		uint64_t ex[1] = { 0 };
		size_t got = drain(l, T0 + start, ex, 1);
		if (want == R3D_LINK_NEVER) {
			CHECK(got == 0 || ex[0] - T0 >= start + 20000000,
			      "case %d: want none by 20 s, got %llu", it,
			      (unsigned long long)(ex[0] - T0));
		} else {
			CHECK(got == 1 && ex[0] == T0 + want, "case %d: want %llu got %llu",
			      it, (unsigned long long)want,
			      (unsigned long long)(ex[0] - T0));
		}
		skipped += want != R3D_LINK_NEVER && want - start > 5000;
		r3d_link_destroy(l);
	}
	CHECK(skipped > 20, "only %d cases outlast a period", skipped);

	/* 1 bit/s and 2 bit/s alternating each microsecond: 8000 bits take
	 * 2666666666 periods of 2 us (3 bit-us/s each) and 2 us more */
	struct r3d_rate_step slow[] = { { 0, 1 }, { 1, 2 } };
	struct r3d_link_config cs = { .schedule = slow, .schedule_len = 2,
				      .schedule_period_us = 2 };
	struct r3d_link *l = mk(&cs);
	uint64_t ex[1];
	put(l, 1000, T0);
	CHECK(drain(l, T0, ex, 1) == 1 && ex[0] == T0 + 5333333334ull,
	      "slow exit %llu", (unsigned long long)(ex[0] - T0));
	r3d_link_destroy(l);

	/* the same with an outage of 1 us every 3 us from 1 us: joint period
	 * 6 us; and a stalled 0 bit/s link in a periodic outage never ends */
	struct r3d_link_config co = cs;
	co.outage_start_us = 1;
	co.outage_len_us = 1;
	co.outage_period_us = 3;
	l = mk(&co);
	put(l, 1000, T0);
	CHECK(drain(l, T0, ex, 1) == 1, "slow with outage");
	r3d_link_destroy(l);
	struct r3d_rate_step stall[] = { { 0, 1000000 }, { 1000, 0 } };
	struct r3d_link_config cz = { .schedule = stall, .schedule_len = 2,
				      .outage_start_us = 2000,
				      .outage_len_us = 1, .outage_period_us = 2 };
	l = mk(&cz);
	put(l, 1000, T0 + 1500);
	CHECK(drain(l, T0 + 1500, ex, 1) == 0, "stalled link delivered");
	r3d_link_destroy(l);
}

static void test_schedule_outage_conflicts_refused(void)
{
	/* above 0 only from 1 ms to 2 ms of every 10 ms, the outage covers
	 * exactly that */
	struct r3d_rate_step st[] = { { 0, 0 }, { 1000, 1000000 }, { 2000, 0 } };
	struct r3d_link_config c = { .schedule = st, .schedule_len = 3,
				     .schedule_period_us = 10000,
				     .outage_start_us = 1000,
				     .outage_len_us = 1000,
				     .outage_period_us = 10000 };

	CHECK(r3d_link_check(&c) == R3D_LINK_SCHEDULE_ALWAYS_OUT, "always out");
	/* 10 ms against 10.001 ms: they line up every 100 s, 10^4 periods */
	c.outage_period_us = 10001;
	CHECK(r3d_link_check(&c) == R3D_LINK_PERIODS_APART, "periods apart");
	/* every 20 ms: the second 1 ms of each 20 gets through */
	c.outage_period_us = 20000;
	CHECK(r3d_link_check(&c) == R3D_LINK_OK, "20 ms");
	/* every 5 ms: covers it again */
	c.outage_period_us = 5000;
	CHECK(r3d_link_check(&c) == R3D_LINK_SCHEDULE_ALWAYS_OUT, "5 ms");
	c.outage_start_us = 1500;
	CHECK(r3d_link_check(&c) == R3D_LINK_OK, "half covered");
	c.outage_len_us = 20000;
	CHECK(r3d_link_check(&c) == R3D_LINK_OUTAGE_PERIOD, "length = period");
}

static void test_out_of_range_values_refused(void)
{
	uint64_t tr[] = { 2305843009213693952ull }; /* * 1000 wraps to 0 */
	struct r3d_link_config c1 = { .trace_ms = tr, .trace_len = 1 };
	struct r3d_link_config c2 = { .delay_us = R3D_LINK_MAX_TIME_US + 1 };
	struct r3d_link_config c3 = { .rate_bps = R3D_LINK_MAX_RATE_BPS + 1 };
	struct r3d_link_config c4 = { .loss = NAN };

	CHECK(r3d_link_check(&c1) == R3D_LINK_BAD_VALUE, "trace overflow");
	CHECK(r3d_link_check(&c2) == R3D_LINK_BAD_VALUE, "delay");
	CHECK(r3d_link_check(&c3) == R3D_LINK_BAD_VALUE, "rate");
	CHECK(r3d_link_check(&c4) == R3D_LINK_BAD_VALUE, "NaN loss");
	/* the largest values still work */
	tr[0] = R3D_LINK_MAX_TIME_US / 1000;
	struct r3d_link_config c5 = { .trace_ms = tr, .trace_len = 1,
				      .delay_us = R3D_LINK_MAX_TIME_US };
	struct r3d_link *l = mk(&c5);
	uint64_t ex[1];
	put(l, 100, T0);
	CHECK(drain(l, T0, ex, 1) == 1 &&
	      ex[0] == T0 + 2 * R3D_LINK_MAX_TIME_US, "largest");
	r3d_link_destroy(l);
}

int main(void)
{
	test_delay_only_is_exact();
	test_rate_paces_with_overhead();
	test_rate_exact_over_a_burst();
	test_queue_limits_drop_tail();
	test_random_loss_rate();
	test_gilbert_elliott_bursts();
	test_schedule_step_integrates_rate();
	test_outage_holds_queue();
	test_mahimahi_trace();
	test_jitter_without_reordering();
	test_early_dequeue_keeps_schedule();
	test_busy_until_late_entry_same_schedule();
	test_invalid_config_rejected();
	test_trace_always_in_outage_refused();
	test_trace_resonating_with_outage();
	test_trace_outage_matches_brute_force();
	test_pacing_matches_brute_force();
	test_schedule_outage_conflicts_refused();
	test_out_of_range_values_refused();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("all link checks passed\n");
	return failures ? 1 : 0;
}
