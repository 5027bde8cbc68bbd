/*
 * latency-sim — one direction of an emulated link (see link.h).
 */
#include "link.h"
#include "periodic.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_OPPORTUNITY_BYTES 1500
/* Times at or past this are never reached (292,000 years): adding a few
 * configured times to a time below it cannot overflow. */
#define HORIZON_US (R3D_LINK_NEVER / 2)
/* opportunities of a trace tried one outage after the other before
 * solving for the first one outside the outages */
#define TRACE_SCAN 32

struct pkt_list {
	struct r3d_link_packet *head, *tail;
};

struct r3d_link {
	struct r3d_link_config cfg;
	struct r3d_rate_step *schedule;
	uint64_t *trace_us;
	uint64_t trace_period_us;
	size_t max_packet;
	uint64_t start_us;
	/* capacity (bit/s x us, saturating) of one period of a periodic
	 * schedule, and of one joint period of a periodic schedule and a
	 * periodic outage (0 when not both periodic) */
	uint64_t sched_cap, joint_period_us, joint_cap;
	/* more steps than paced_finish() can take (a safety net) */
	uint64_t pace_guard;
	uint64_t rng;
	bool ge_bad;

	/* queue: entered, serialisation not finished; the head is on the
	 * wire. Every packet's times are computed when it enters (they
	 * depend only on the order and times of entry and on the
	 * configuration), so the tail's tx_end is when the wire goes idle. */
	struct pkt_list queue;
	uint64_t queue_bytes, queue_packets;
	/* delay line, sorted by exit time */
	struct pkt_list delay;
	uint64_t last_exit_us;
	/* pacing: times are whole microseconds, rounded up; the wire really
	 * finished the last packet pace_credit / pace_rate us before
	 * pace_at_us, which a packet starting then gets back */
	uint64_t pace_credit, pace_rate, pace_at_us;
	/* Mahimahi: bytes left from the opportunity at credit_at_us */
	uint64_t trace_credit, trace_credit_at_us;
	uint64_t trace_next_k; /* first opportunity not used */

	struct r3d_link_packet *free_list;
	struct r3d_link_stats stats;
};

/* splitmix64: small, fast, good enough for loss and jitter draws */
static uint64_t rng_next(struct r3d_link *link)
{
	uint64_t z = (link->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double rng_unit(struct r3d_link *link)
{
	return (double)(rng_next(link) >> 11) * (1.0 / 9007199254740992.0);
}

static bool chance(struct r3d_link *link, double p)
{
	return p > 0 && rng_unit(link) < p;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Outage state at t: returns true while in an outage; *until is when that
 * state may change (R3D_LINK_NEVER if never). */
static bool outage_at(const struct r3d_link *link, uint64_t t, uint64_t *until)
{
	const struct r3d_link_config *c = &link->cfg;
	uint64_t rel = t - link->start_us;

	*until = R3D_LINK_NEVER;
	if (c->outage_len_us == 0)
		return false;
	if (rel < c->outage_start_us) {
		*until = link->start_us + c->outage_start_us;
		return false;
	}
	uint64_t since = rel - c->outage_start_us;
	uint64_t base = link->start_us + c->outage_start_us;
	if (c->outage_period_us) {
		uint64_t k = since / c->outage_period_us;
		uint64_t off = since % c->outage_period_us;
		base += k * c->outage_period_us;
		if (off < c->outage_len_us) {
			*until = base + c->outage_len_us;
			return true;
		}
		*until = base + c->outage_period_us;
		return false;
	}
	if (since < c->outage_len_us) {
		*until = base + c->outage_len_us;
		return true;
	}
	return false;
}

/* The scheduled (or fixed) rate at t, before outages; *until as above.
 * 0 with !*unlimited means the link is stalled. */
static uint64_t base_rate_at(const struct r3d_link *link, uint64_t t,
			     uint64_t *until, bool *unlimited)
{
	const struct r3d_link_config *c = &link->cfg;

	*until = R3D_LINK_NEVER;
	*unlimited = false;
	if (c->schedule_len == 0) {
		*unlimited = c->rate_bps == 0;
		return c->rate_bps;
	}
	uint64_t rel = t - link->start_us;
	uint64_t base = link->start_us;
	uint64_t off = rel;
	uint64_t period = c->schedule_period_us;
	if (period) {
		base += rel / period * period;
		off = rel % period;
	}
	/* the last step at or before off (the first is at 0) */
	size_t i = 0, hi = c->schedule_len;
	while (hi - i > 1) {
		size_t mid = i + (hi - i) / 2;
		if (link->schedule[mid].at_us <= off)
			i = mid;
		else
			hi = mid;
	}
	if (i + 1 < c->schedule_len)
		*until = base + link->schedule[i + 1].at_us;
	else if (period)
		*until = base + period;
	return link->schedule[i].rate_bps;
}

uint64_t r3d_link_rate_at(const struct r3d_link *link, uint64_t now_us)
{
	uint64_t until;
	bool unlimited;

	if (outage_at(link, now_us, &until))
		return 0;
	if (link->trace_us)
		return (uint64_t)((double)link->cfg.trace_len *
				  TRACE_OPPORTUNITY_BYTES * 8 * 1e6 /
				  (double)link->trace_period_us);
	return base_rate_at(link, now_us, &until, &unlimited);
}

/*
 * Skipping periods. Where the rate, outages included, repeats with a
 * period over [t, end), every period from t on has the same capacity: a
 * packet that needs more skips as many whole periods at once as leave it
 * something to send. Such stretches: before the outage (or with none
 * left), a periodic schedule; during a periodic outage, the constant rate
 * of a step (or --rate), or a periodic schedule together with the outage
 * (their joint period). Returns false when the packet never finishes.
 */
static bool skip_periods(struct r3d_link *link, uint64_t *tp, uint64_t *left)
{
	const struct r3d_link_config *c = &link->cfg;
	uint64_t t = *tp, rel = t - link->start_us, period, cap, end = HORIZON_US;
	bool sched_periodic = c->schedule_len && c->schedule_period_us;

	if (c->outage_len_us && rel < c->outage_start_us) {
		if (!sched_periodic)
			return true;
		period = c->schedule_period_us;
		cap = link->sched_cap;
		end = link->start_us + c->outage_start_us;
	} else if (c->outage_len_us && c->outage_period_us) {
		if (sched_periodic) {
			period = link->joint_period_us;
			cap = link->joint_cap;
		} else {
			uint64_t until;
			bool unlimited;
			uint64_t rate = base_rate_at(link, t, &until, &unlimited);
			if (unlimited)
				return true;
			if (until < end)
				end = until;
			period = c->outage_period_us;
			cap = r3d_sat_mul(rate, c->outage_period_us - c->outage_len_us);
		}
	} else {
		/* no outage, or a single one: over once t is past it */
		if (!sched_periodic || (c->outage_len_us &&
					rel - c->outage_start_us < c->outage_len_us))
			return true;
		period = c->schedule_period_us;
		cap = link->sched_cap;
	}
	if (t >= end)
		return true;
	if (cap == 0) {
		/* nothing gets through until the stretch ends */
		*tp = end;
		return end < HORIZON_US;
	}
	if (*left <= cap)
		return true;
	uint64_t n = (*left - 1) / cap, most = (end - t) / period;
	if (n > most) {
		if (end == HORIZON_US)
			return false;
		n = most;
	}
	*tp = t + n * period;
	*left -= n * cap;
	return true;
}

/* When a packet of `bytes` whose serialisation starts at t finishes, with
 * the rate integrated over schedule steps and outages, rounded up to the
 * microsecond; back-to-back packets keep the exact rate. */
static uint64_t paced_finish(struct r3d_link *link, uint64_t t, uint64_t bytes)
{
	/* remaining work in bit-microseconds: bits * 1e6 */
	uint64_t left = bytes * 8 * 1000000;
	uint64_t credit = link->pace_at_us == t ? link->pace_credit : 0;
	uint64_t credit_rate = link->pace_rate;

	for (uint64_t steps = 0; steps < link->pace_guard; steps++) {
		uint64_t o_until, r_until;
		bool unlimited;

		if (t >= HORIZON_US)
			return R3D_LINK_NEVER;
		if (outage_at(link, t, &o_until)) {
			/* nothing moves until it ends, whatever the schedule */
			t = o_until;
			credit = 0;
		} else {
			uint64_t rate = base_rate_at(link, t, &r_until, &unlimited);
			uint64_t until = min_u64(o_until, r_until);

			if (unlimited)
				return t;
			if (rate > 0) {
				if (credit && rate == credit_rate)
					left = left > credit ? left - credit : 0;
				credit = 0;
				uint64_t need = (left + rate - 1) / rate; /* us */
				if (until == R3D_LINK_NEVER || need <= until - t) {
					if (need >= HORIZON_US - t)
						return R3D_LINK_NEVER;
					link->pace_credit = need * rate - left;
					link->pace_rate = rate;
					link->pace_at_us = t + need;
					return t + need;
				}
				left -= (until - t) * rate;
			} else if (until == R3D_LINK_NEVER) {
				return R3D_LINK_NEVER;
			}
			credit = 0;
			t = until;
		}
		if (!skip_periods(link, &t, &left))
			return R3D_LINK_NEVER;
	}
	return R3D_LINK_NEVER;
}

/* Delivery opportunities are numbered from the start: opportunity k is
 * at start + (k / len) * period + trace[k % len]. */
static uint64_t trace_time(const struct r3d_link *link, uint64_t k)
{
	size_t len = link->cfg.trace_len;

	return link->start_us + k / len * link->trace_period_us +
	       link->trace_us[k % len];
}

/* The number of the first opportunity at or after t. */
static uint64_t trace_first_at(const struct r3d_link *link, uint64_t t)
{
	uint64_t rel = t - link->start_us;
	uint64_t cycle = rel / link->trace_period_us;
	uint64_t off = rel % link->trace_period_us;
	size_t lo = 0, hi = link->cfg.trace_len;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (link->trace_us[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cycle * link->cfg.trace_len + lo;
}

/*
 * The first opportunity from k on outside a periodic outage, k's own
 * being inside it (so every one from k on is after the outage began), or
 * R3D_PERIODIC_NONE. Entry i of the trace is at offset
 * (trace[i] + cycle * trace period - outage start) into the outage
 * pattern, an arithmetic progression modulo the outage period: the first
 * cycle at which it falls outside is solved for, entry by entry.
 */
static uint64_t trace_next_periodic(const struct r3d_link *link, uint64_t k)
{
	const struct r3d_link_config *c = &link->cfg;
	uint64_t n = c->trace_len, p = link->trace_period_us;
	uint64_t q = c->outage_period_us, best = R3D_PERIODIC_NONE;
	uint64_t max_cycle = (HORIZON_US - link->start_us) / p;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t c0 = k <= i ? 0 : (k - i + n - 1) / n, kk;
		uint64_t off = trace_time(link, c0 * n + i) - link->start_us -
			       c->outage_start_us;
		uint64_t d = r3d_periodic_first_in_range(off % q, p % q, q,
							 c->outage_len_us, q - 1);
		if (d == R3D_PERIODIC_NONE || c0 + d > max_cycle ||
		    __builtin_mul_overflow(c0 + d, n, &kk) || kk + i < kk)
			continue;
		if (kk + i < best)
			best = kk + i;
	}
	return best;
}

/* The next unused opportunity at or after t, skipping outages, or
 * R3D_PERIODIC_NONE when none comes. */
static uint64_t trace_next(struct r3d_link *link, uint64_t t)
{
	uint64_t k = trace_first_at(link, t), until;

	if (k < link->trace_next_k)
		k = link->trace_next_k;
	/* a few outages are stepped over (a single outage takes one step) */
	for (int i = 0; i < TRACE_SCAN; i++) {
		if (!outage_at(link, trace_time(link, k), &until))
			return k;
		if (until >= HORIZON_US)
			return R3D_PERIODIC_NONE;
		k = trace_first_at(link, until);
	}
	return trace_next_periodic(link, k);
}

static uint64_t trace_finish(struct r3d_link *link, uint64_t t, uint64_t bytes)
{
	uint64_t have = 0, at = t;

	if (link->trace_credit && link->trace_credit_at_us == t)
		have = link->trace_credit;
	while (have < bytes) {
		uint64_t k = trace_next(link, at);
		if (k == R3D_PERIODIC_NONE)
			return R3D_LINK_NEVER;
		at = trace_time(link, k);
		link->trace_next_k = k + 1;
		have += TRACE_OPPORTUNITY_BYTES;
	}
	link->trace_credit = have - bytes;
	link->trace_credit_at_us = at;
	return at;
}

static int64_t jitter_draw(struct r3d_link *link)
{
	double j = (double)link->cfg.jitter_us;

	if (j <= 0)
		return 0;
	if (link->cfg.jitter_dist == R3D_JITTER_NORMAL) {
		double x;
		do {
			/* Box-Muller */
			double u1 = 1.0 - rng_unit(link), u2 = rng_unit(link);
			x = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		} while (x < -3.0 || x > 3.0);
		return (int64_t)llround(x * j);
	}
	return (int64_t)llround((rng_unit(link) * 2.0 - 1.0) * j);
}

static bool loss_draw(struct r3d_link *link)
{
	const struct r3d_link_config *c = &link->cfg;
	bool lost = chance(link, c->loss);

	if (c->ge_p > 0) {
		if (link->ge_bad ? chance(link, c->ge_r) : chance(link, c->ge_p))
			link->ge_bad = !link->ge_bad;
		if (chance(link, link->ge_bad ? c->ge_bad_loss : c->ge_good_loss))
			lost = true;
	}
	return lost;
}

static void start_tx(struct r3d_link *link, struct r3d_link_packet *pkt,
		     uint64_t t)
{
	uint64_t bytes = pkt->len + link->cfg.overhead_bytes;

	pkt->tx_start_us = t;
	if (t == R3D_LINK_NEVER) {
		/* behind a packet that never finishes */
		pkt->tx_end_us = pkt->exit_us = R3D_LINK_NEVER;
		return;
	}
	pkt->tx_end_us = link->trace_us ? trace_finish(link, t, bytes) :
					  paced_finish(link, t, bytes);
	pkt->lost = loss_draw(link);
	if (pkt->tx_end_us == R3D_LINK_NEVER) {
		pkt->exit_us = R3D_LINK_NEVER;
		return;
	}
	int64_t d = (int64_t)link->cfg.delay_us + jitter_draw(link);
	pkt->exit_us = r3d_sat_add(pkt->tx_end_us, (uint64_t)(d > 0 ? d : 0));
	if (!pkt->lost && !link->cfg.reorder) {
		if (pkt->exit_us < link->last_exit_us)
			pkt->exit_us = link->last_exit_us;
		link->last_exit_us = pkt->exit_us;
	}
}

static void list_push(struct pkt_list *l, struct r3d_link_packet *pkt)
{
	pkt->next = NULL;
	if (l->tail)
		l->tail->next = pkt;
	else
		l->head = pkt;
	l->tail = pkt;
}

static struct r3d_link_packet *list_pop(struct pkt_list *l)
{
	struct r3d_link_packet *pkt = l->head;

	if (pkt) {
		l->head = pkt->next;
		if (!l->head)
			l->tail = NULL;
		pkt->next = NULL;
	}
	return pkt;
}

static void delay_insert(struct r3d_link *link, struct r3d_link_packet *pkt)
{
	struct pkt_list *l = &link->delay;

	if (!l->tail || l->tail->exit_us <= pkt->exit_us) {
		list_push(l, pkt);
		return;
	}
	struct r3d_link_packet **pp = &l->head;
	while ((*pp)->exit_us <= pkt->exit_us)
		pp = &(*pp)->next;
	pkt->next = *pp;
	*pp = pkt;
}

/* Finish every serialisation that ends by now. */
static void advance(struct r3d_link *link, uint64_t now)
{
	struct r3d_link_packet *pkt;

	while ((pkt = link->queue.head) && pkt->tx_end_us <= now) {
		list_pop(&link->queue);
		link->queue_bytes -= pkt->len;
		link->queue_packets--;
		if (pkt->lost) {
			link->stats.drop_loss_packets++;
			r3d_link_packet_free(link, pkt);
		} else {
			delay_insert(link, pkt);
		}
	}
}

static bool unit_range(double p)
{
	return p >= 0 && p <= 1; /* false for NaN too */
}

static enum r3d_link_problem check_values(const struct r3d_link_config *c)
{
	const uint64_t max_t = R3D_LINK_MAX_TIME_US;

	if (!unit_range(c->loss) || !unit_range(c->ge_p) || !unit_range(c->ge_r) ||
	    !unit_range(c->ge_bad_loss) || !unit_range(c->ge_good_loss) ||
	    c->delay_us > max_t || c->jitter_us > max_t ||
	    c->rate_bps > R3D_LINK_MAX_RATE_BPS || c->outage_start_us > max_t ||
	    c->outage_len_us > max_t || c->outage_period_us > max_t)
		return R3D_LINK_BAD_VALUE;
	if (c->schedule_len) {
		if (!c->schedule || c->schedule[0].at_us != 0 ||
		    c->schedule_period_us > max_t)
			return R3D_LINK_BAD_VALUE;
		for (size_t i = 0; i < c->schedule_len; i++)
			if ((i && c->schedule[i].at_us <= c->schedule[i - 1].at_us) ||
			    c->schedule[i].at_us > max_t ||
			    c->schedule[i].rate_bps > R3D_LINK_MAX_RATE_BPS)
				return R3D_LINK_BAD_VALUE;
		if (c->schedule_period_us &&
		    c->schedule_period_us <= c->schedule[c->schedule_len - 1].at_us)
			return R3D_LINK_BAD_VALUE;
	}
	if (c->trace_len) {
		if (!c->trace_ms || c->trace_ms[c->trace_len - 1] == 0 ||
		    c->trace_ms[c->trace_len - 1] > max_t / 1000)
			return R3D_LINK_BAD_VALUE;
		for (size_t i = 1; i < c->trace_len; i++)
			if (c->trace_ms[i] < c->trace_ms[i - 1])
				return R3D_LINK_BAD_VALUE;
	}
	if (c->outage_period_us && c->outage_period_us <= c->outage_len_us)
		return R3D_LINK_OUTAGE_PERIOD;
	return R3D_LINK_OK;
}

/* The capacity (bit/s x us, saturating) of [from, to) of a scheduled link
 * (no unlimited rate), outages included; bounded by the caller. */
static uint64_t capacity(const struct r3d_link *link, uint64_t from,
			 uint64_t to)
{
	uint64_t cap = 0;

	while (from < to) {
		uint64_t o_until, r_until;
		bool unlimited;
		if (outage_at(link, from, &o_until)) {
			from = o_until;
			continue;
		}
		uint64_t rate = base_rate_at(link, from, &r_until, &unlimited);
		uint64_t until = min_u64(min_u64(o_until, r_until), to);
		cap = r3d_sat_add(cap, r3d_sat_mul(rate, until - from));
		from = until;
	}
	return cap;
}

/* Whether some opportunity of the trace falls outside the periodic
 * outage forever (entry i's offsets into the outage pattern are the
 * values congruent to (trace[i] - outage start) modulo g, the gcd of the
 * two periods: one must be in [outage length, outage period)). */
static bool trace_escapes_outage(const struct r3d_link *link)
{
	const struct r3d_link_config *c = &link->cfg;
	uint64_t q = c->outage_period_us, len = c->outage_len_us;
	uint64_t g = r3d_periodic_gcd(link->trace_period_us, q);

	for (size_t i = 0; i < c->trace_len; i++) {
		uint64_t r = (link->trace_us[i] % g + g - c->outage_start_us % g) % g;
		if (len + (r + g - len % g) % g < q)
			return true;
	}
	return false;
}

/* What the pacing needs computed once; checks what could never work. */
static enum r3d_link_problem prepare(struct r3d_link *link)
{
	const struct r3d_link_config *c = &link->cfg;
	bool out_periodic = c->outage_len_us && c->outage_period_us;
	uint64_t joint_steps = 0;

	if (c->schedule_len && c->schedule_period_us) {
		for (size_t i = 0; i < c->schedule_len; i++) {
			uint64_t next = i + 1 < c->schedule_len ?
				link->schedule[i + 1].at_us : c->schedule_period_us;
			link->sched_cap = r3d_sat_add(link->sched_cap,
				r3d_sat_mul(link->schedule[i].rate_bps,
					    next - link->schedule[i].at_us));
		}
	}
	if (c->schedule_len && c->schedule_period_us && out_periodic) {
		uint64_t l;
		if (!r3d_periodic_lcm(c->schedule_period_us, c->outage_period_us, &l) ||
		    l > R3D_LINK_MAX_TIME_US)
			return R3D_LINK_PERIODS_APART;
		joint_steps = r3d_sat_add(
			r3d_sat_mul(c->schedule_len, l / c->schedule_period_us),
			r3d_sat_mul(2, l / c->outage_period_us));
		if (joint_steps > R3D_LINK_MAX_JOINT_STEPS)
			return R3D_LINK_PERIODS_APART;
		link->joint_period_us = l;
		uint64_t from = link->start_us + c->outage_start_us;
		link->joint_cap = capacity(link, from, from + l);
		if (link->joint_cap == 0 && link->sched_cap > 0)
			return R3D_LINK_SCHEDULE_ALWAYS_OUT;
	}
	if (c->trace_len && out_periodic && !trace_escapes_outage(link))
		return R3D_LINK_TRACE_ALWAYS_OUT;
	/* paced_finish() takes, per stretch of skip_periods(), at most two
	 * periods' steps and edges; stretches end at schedule steps */
	link->pace_guard = 64 + 8 * ((uint64_t)c->schedule_len + joint_steps);
	return R3D_LINK_OK;
}

/* A link for cfg, or NULL with *why (R3D_LINK_NO_MEMORY included). */
static struct r3d_link *link_new(const struct r3d_link_config *cfg,
				 size_t max_packet, uint64_t seed,
				 uint64_t start_us, enum r3d_link_problem *why)
{
	struct r3d_link *link;

	*why = check_values(cfg);
	if (*why != R3D_LINK_OK)
		return NULL;
	*why = R3D_LINK_NO_MEMORY;
	link = calloc(1, sizeof(*link));
	if (!link)
		return NULL;
	link->cfg = *cfg;
	link->max_packet = max_packet;
	link->start_us = start_us;
	link->rng = seed;
	if (cfg->schedule_len) {
		link->schedule = calloc(cfg->schedule_len, sizeof(*link->schedule));
		if (!link->schedule)
			goto err;
		memcpy(link->schedule, cfg->schedule,
		       cfg->schedule_len * sizeof(*link->schedule));
	}
	link->cfg.schedule = link->schedule;
	if (cfg->trace_len) {
		link->trace_us = calloc(cfg->trace_len, sizeof(*link->trace_us));
		if (!link->trace_us)
			goto err;
		/* at most R3D_LINK_MAX_TIME_US (check_values) */
		for (size_t i = 0; i < cfg->trace_len; i++)
			link->trace_us[i] = cfg->trace_ms[i] * 1000;
		link->trace_period_us = link->trace_us[cfg->trace_len - 1];
	}
	link->cfg.trace_ms = NULL;
	*why = prepare(link);
	if (*why != R3D_LINK_OK)
		goto err;
	return link;

err:
	free(link->trace_us);
	free(link->schedule);
	free(link);
	return NULL;
}

enum r3d_link_problem r3d_link_check(const struct r3d_link_config *cfg)
{
	enum r3d_link_problem why;
	struct r3d_link *link = link_new(cfg, 1, 0, 0, &why);

	r3d_link_destroy(link);
	return link ? R3D_LINK_OK : why;
}

struct r3d_link *r3d_link_create(const struct r3d_link_config *cfg,
				 size_t max_packet, uint64_t seed,
				 uint64_t start_us)
{
	enum r3d_link_problem why = R3D_LINK_BAD_VALUE;
	struct r3d_link *link = max_packet ?
		link_new(cfg, max_packet, seed, start_us, &why) : NULL;

	if (!link)
		errno = why == R3D_LINK_NO_MEMORY ? ENOMEM : EINVAL;
	return link;
}

static void list_free(struct r3d_link_packet *pkt)
{
	while (pkt) {
		struct r3d_link_packet *next = pkt->next;
		free(pkt);
		pkt = next;
	}
}

void r3d_link_destroy(struct r3d_link *link)
{
	if (!link)
		return;
	list_free(link->queue.head);
	list_free(link->delay.head);
	list_free(link->free_list);
	free(link->trace_us);
	free(link->schedule);
	free(link);
}

struct r3d_link_packet *r3d_link_packet_new(struct r3d_link *link)
{
	struct r3d_link_packet *pkt = link->free_list;

	if (pkt)
		link->free_list = pkt->next;
	else
		pkt = malloc(sizeof(*pkt) + link->max_packet);
	if (pkt)
		memset(pkt, 0, sizeof(*pkt));
	return pkt;
}

void r3d_link_packet_free(struct r3d_link *link, struct r3d_link_packet *pkt)
{
	if (!pkt)
		return;
	pkt->next = link->free_list;
	link->free_list = pkt;
}

bool r3d_link_enqueue(struct r3d_link *link, struct r3d_link_packet *pkt,
		      uint64_t now_us)
{
	const struct r3d_link_config *c = &link->cfg;

	advance(link, now_us);
	link->stats.in_packets++;
	link->stats.in_bytes += pkt->len;
	pkt->enter_us = now_us;
	if (pkt->len > link->max_packet ||
	    (c->queue_packets && link->queue_packets + 1 > c->queue_packets) ||
	    (c->queue_bytes && link->queue_bytes + pkt->len > c->queue_bytes)) {
		link->stats.drop_queue_packets++;
		link->stats.drop_queue_bytes += pkt->len;
		r3d_link_packet_free(link, pkt);
		return false;
	}
	/* serialisation starts when the wire is free: now, or when the
	 * packet ahead finishes */
	start_tx(link, pkt, link->queue.tail ? link->queue.tail->tx_end_us : now_us);
	list_push(&link->queue, pkt);
	link->queue_bytes += pkt->len;
	link->queue_packets++;
	/* an unlimited link may have finished it already */
	advance(link, now_us);
	return true;
}

struct r3d_link_packet *r3d_link_dequeue(struct r3d_link *link,
					 uint64_t now_us)
{
	return r3d_link_dequeue_by(link, now_us, now_us);
}

struct r3d_link_packet *r3d_link_dequeue_by(struct r3d_link *link,
					    uint64_t now_us, uint64_t by_us)
{
	struct r3d_link_packet *pkt;

	advance(link, now_us);
	pkt = link->delay.head;
	if (!pkt || pkt->exit_us > (by_us > now_us ? by_us : now_us))
		return NULL;
	list_pop(&link->delay);
	link->stats.out_packets++;
	link->stats.out_bytes += pkt->len;
	uint64_t d = pkt->exit_us - pkt->enter_us;
	link->stats.delay_sum_us += d;
	if (d > link->stats.delay_max_us)
		link->stats.delay_max_us = d;
	return pkt;
}

uint64_t r3d_link_next_deadline(struct r3d_link *link, uint64_t now_us)
{
	uint64_t next = R3D_LINK_NEVER;
	struct r3d_link_packet *head;

	advance(link, now_us);
	head = link->queue.head;
	if (link->delay.head)
		next = link->delay.head->exit_us;
	if (head)
		next = min_u64(next, head->lost || link->cfg.reorder ?
					     head->tx_end_us : head->exit_us);
	return next;
}

uint64_t r3d_link_busy_until(struct r3d_link *link, uint64_t now_us)
{
	advance(link, now_us);
	return link->queue.tail ? link->queue.tail->tx_end_us : now_us;
}

void r3d_link_get_stats(struct r3d_link *link, uint64_t now_us,
			struct r3d_link_stats *out)
{
	advance(link, now_us);
	*out = link->stats;
	out->queue_bytes = link->queue_bytes;
	out->queue_packets = link->queue_packets;
}
