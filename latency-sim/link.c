/*
 * latency-sim — one direction of an emulated link (see link.h).
 */
#include "link.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_OPPORTUNITY_BYTES 1500

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
	size_t i = 0;
	while (i + 1 < c->schedule_len && link->schedule[i + 1].at_us <= off)
		i++;
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
		return link->trace_period_us ?
			(uint64_t)link->cfg.trace_len * TRACE_OPPORTUNITY_BYTES * 8 *
			1000000 / link->trace_period_us : 0;
	return base_rate_at(link, now_us, &until, &unlimited);
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

	for (int guard = 0; guard < 1000000; guard++) {
		uint64_t o_until, r_until;
		bool unlimited;
		bool out = outage_at(link, t, &o_until);
		uint64_t rate = base_rate_at(link, t, &r_until, &unlimited);
		uint64_t until = min_u64(o_until, r_until);

		if (out)
			rate = 0, unlimited = false;
		if (unlimited)
			return t;
		if (rate > 0) {
			if (credit && rate == credit_rate)
				left = left > credit ? left - credit : 0;
			credit = 0;
			uint64_t need = (left + rate - 1) / rate; /* us */
			if (until == R3D_LINK_NEVER || t + need <= until) {
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

/* The next unused opportunity at or after t, skipping outages. */
static uint64_t trace_next(struct r3d_link *link, uint64_t t)
{
	uint64_t k = trace_first_at(link, t), until;

	if (k < link->trace_next_k)
		k = link->trace_next_k;
	while (outage_at(link, trace_time(link, k), &until))
		k = trace_first_at(link, until);
	return k;
}

static uint64_t trace_finish(struct r3d_link *link, uint64_t t, uint64_t bytes)
{
	uint64_t have = 0, at = t;

	if (link->trace_credit && link->trace_credit_at_us == t)
		have = link->trace_credit;
	while (have < bytes) {
		uint64_t k = trace_next(link, at);
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
	pkt->exit_us = pkt->tx_end_us + (uint64_t)(d > 0 ? d : 0);
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

static bool config_valid(const struct r3d_link_config *c)
{
	if (c->loss < 0 || c->loss > 1 || c->ge_p < 0 || c->ge_p > 1 ||
	    c->ge_r < 0 || c->ge_r > 1 || c->ge_bad_loss < 0 ||
	    c->ge_bad_loss > 1 || c->ge_good_loss < 0 || c->ge_good_loss > 1)
		return false;
	if (c->schedule_len) {
		if (!c->schedule || c->schedule[0].at_us != 0)
			return false;
		for (size_t i = 1; i < c->schedule_len; i++)
			if (c->schedule[i].at_us <= c->schedule[i - 1].at_us)
				return false;
		if (c->schedule_period_us &&
		    c->schedule_period_us <= c->schedule[c->schedule_len - 1].at_us)
			return false;
	}
	if (c->trace_len) {
		if (!c->trace_ms || c->trace_ms[c->trace_len - 1] == 0)
			return false;
		for (size_t i = 1; i < c->trace_len; i++)
			if (c->trace_ms[i] < c->trace_ms[i - 1])
				return false;
	}
	if (c->outage_period_us && c->outage_period_us <= c->outage_len_us)
		return false;
	return true;
}

struct r3d_link *r3d_link_create(const struct r3d_link_config *cfg,
				 size_t max_packet, uint64_t seed,
				 uint64_t start_us)
{
	struct r3d_link *link;

	if (!config_valid(cfg) || max_packet == 0) {
		errno = EINVAL;
		return NULL;
	}
	link = calloc(1, sizeof(*link));
	if (!link)
		goto err;
	link->cfg = *cfg;
	link->max_packet = max_packet;
	link->start_us = start_us;
	link->rng = seed;
	if (cfg->schedule_len) {
		link->schedule = calloc(cfg->schedule_len, sizeof(*link->schedule));
		if (!link->schedule)
			goto err_link;
		memcpy(link->schedule, cfg->schedule,
		       cfg->schedule_len * sizeof(*link->schedule));
	}
	link->cfg.schedule = link->schedule;
	if (cfg->trace_len) {
		link->trace_us = calloc(cfg->trace_len, sizeof(*link->trace_us));
		if (!link->trace_us)
			goto err_schedule;
		for (size_t i = 0; i < cfg->trace_len; i++)
			link->trace_us[i] = cfg->trace_ms[i] * 1000;
		link->trace_period_us = link->trace_us[cfg->trace_len - 1];
	}
	link->cfg.trace_ms = NULL;
	return link;

err_schedule:
	free(link->schedule);
err_link:
	free(link);
err:
	errno = ENOMEM;
	return NULL;
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
