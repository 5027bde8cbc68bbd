/*
 * latency-sim — one direction of an emulated link, as pure scheduling logic.
 *
 * A packet that enters the link goes through, in order:
 *   1. the droptail queue (limited in bytes and/or packets; a packet that
 *      does not fit is dropped on entry). The queue holds every packet that
 *      has entered and not finished serialisation, the one on the wire
 *      included;
 *   2. the transmitter: one packet at a time, paced at the current rate
 *      counting (IP length + framing overhead) bytes, or at the delivery
 *      opportunities of a Mahimahi trace; a rate of 0 (or an outage) stalls
 *      it, and the queue fills;
 *   3. loss (random, or Gilbert-Elliott), decided when serialisation ends:
 *      a lost packet used the wire;
 *   4. the delay line: exit = end of serialisation + delay + jitter. The
 *      delay line is separate from the queue: it never drops, never limits.
 *      Unless reordering is allowed, a packet never leaves before the one
 *      ahead of it (its exit is raised to its predecessor's).
 *
 * Every time is in microseconds on a clock the caller passes in (the
 * program uses CLOCK_MONOTONIC; tests pass a fake time). All times of a
 * packet are computed exactly from the configuration, so a late caller
 * delivers late but never shifts the schedule. Computing them takes a
 * bounded number of steps whatever the configuration: periods that a
 * packet outlasts are skipped arithmetically, never walked one by one.
 */
#ifndef LATENCY_SIM_LINK_H
#define LATENCY_SIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define R3D_LINK_NEVER UINT64_MAX

/* Limits of the configuration: every time (delay, jitter, schedule
 * steps and period, outage, trace entries once in us) at most
 * R3D_LINK_MAX_TIME_US (10^9 s, about 31 years), every rate at most
 * R3D_LINK_MAX_RATE_BPS (1000 Gbit/s), so that no sum the link computes
 * overflows. */
#define R3D_LINK_MAX_TIME_US 1000000000000000ull
#define R3D_LINK_MAX_RATE_BPS 1000000000000ull
/* A periodic rate schedule and a periodic outage line up again after
 * the least common multiple of their periods; at most this many steps
 * and outage edges may fall in it (see r3d_link_check). */
#define R3D_LINK_MAX_JOINT_STEPS 16384

enum r3d_jitter_dist {
	/* delay + uniform in [-jitter, +jitter] */
	R3D_JITTER_UNIFORM,
	/* delay + normal(0, sd = jitter), cut at +-3 sd */
	R3D_JITTER_NORMAL,
};

/* One step of a rate schedule: from at_us (relative to the link's start)
 * the rate is rate_bps (0 = the link delivers nothing). */
struct r3d_rate_step {
	uint64_t at_us;
	uint64_t rate_bps;
};

struct r3d_link_config {
	uint64_t delay_us;
	uint64_t jitter_us;
	enum r3d_jitter_dist jitter_dist;
	bool reorder;            /* let jitter reorder packets */

	uint64_t rate_bps;       /* 0: unlimited (no pacing) */
	uint32_t overhead_bytes; /* framing bytes added to each IP packet */

	uint64_t queue_bytes;    /* 0: no byte limit */
	uint32_t queue_packets;  /* 0: no packet limit */

	double loss;             /* random loss probability, 0..1 */
	/* Gilbert-Elliott: per-packet move good->bad (ge_p), bad->good
	 * (ge_r), loss probability in bad (ge_bad_loss) and good
	 * (ge_good_loss) state. Enabled when ge_p > 0. */
	double ge_p, ge_r, ge_bad_loss, ge_good_loss;

	/* A rate schedule replaces rate_bps. Steps sorted by at_us, the
	 * first at 0. period_us > 0 repeats the schedule every period_us. */
	const struct r3d_rate_step *schedule;
	size_t schedule_len;
	uint64_t schedule_period_us;

	/* A Mahimahi trace replaces rate and schedule: each entry is a time
	 * in ms at which up to 1500 bytes may leave; it repeats with a
	 * period of its last entry. Sorted, at least one entry > 0. */
	const uint64_t *trace_ms;
	size_t trace_len;

	/* Outage: from outage_start_us for outage_len_us nothing is sent
	 * (queue fills); repeats every outage_period_us when > 0. */
	uint64_t outage_start_us, outage_len_us, outage_period_us;
};

struct r3d_link_packet {
	struct r3d_link_packet *next;
	uint64_t enter_us;    /* entered the queue */
	uint64_t tx_start_us; /* serialisation began */
	uint64_t tx_end_us;   /* serialisation ended */
	uint64_t exit_us;     /* leaves the link */
	bool lost;            /* decided at tx start, applied at tx end */
	size_t len;
	uint8_t data[];
};

struct r3d_link_stats {
	uint64_t in_packets, in_bytes;
	uint64_t out_packets, out_bytes;
	uint64_t drop_queue_packets, drop_queue_bytes;
	uint64_t drop_loss_packets;
	uint64_t queue_bytes, queue_packets;  /* now */
	uint64_t delay_sum_us, delay_max_us;  /* of delivered packets */
};

struct r3d_link;

enum r3d_link_problem {
	R3D_LINK_OK = 0,
	R3D_LINK_NO_MEMORY,
	/* a value out of its range (see the limits above) or out of order */
	R3D_LINK_BAD_VALUE,
	/* the outage is as long as its period, or longer */
	R3D_LINK_OUTAGE_PERIOD,
	/* every delivery opportunity of the trace falls in the periodic
	 * outage once it has begun: the link would never deliver again */
	R3D_LINK_TRACE_ALWAYS_OUT,
	/* the periodic outage covers every moment the periodic rate
	 * schedule is above 0 */
	R3D_LINK_SCHEDULE_ALWAYS_OUT,
	/* the periods of the rate schedule and of the outage line up only
	 * after more than R3D_LINK_MAX_JOINT_STEPS steps */
	R3D_LINK_PERIODS_APART,
};

/* Whether cfg can be used: what r3d_link_create() refuses with EINVAL,
 * for the caller to explain. */
enum r3d_link_problem r3d_link_check(const struct r3d_link_config *cfg);

/* Validates cfg (returns NULL and sets errno = EINVAL when
 * r3d_link_check() refuses it, ENOMEM when out of memory). The schedule and trace arrays
 * are copied. max_packet is the largest packet len accepted. */
struct r3d_link *r3d_link_create(const struct r3d_link_config *cfg,
				 size_t max_packet, uint64_t seed,
				 uint64_t start_us);
void r3d_link_destroy(struct r3d_link *link);

/* A buffer of max_packet bytes to read a packet into; NULL on ENOMEM. */
struct r3d_link_packet *r3d_link_packet_new(struct r3d_link *link);
void r3d_link_packet_free(struct r3d_link *link, struct r3d_link_packet *pkt);

/* pkt->len must be set. The link takes pkt in every case. Returns false
 * when the queue dropped it. */
bool r3d_link_enqueue(struct r3d_link *link, struct r3d_link_packet *pkt,
		      uint64_t now_us);

/* The next packet whose exit time is <= now_us, or NULL. The caller owns
 * it and gives it back with r3d_link_packet_free(). */
struct r3d_link_packet *r3d_link_dequeue(struct r3d_link *link,
					 uint64_t now_us);

/* The same, but a packet whose exit time is <= by_us (>= now_us) also
 * leaves, early: the event loop hands out in one pass every packet due
 * before it could wake up again. Serialisation advances to now_us only. */
struct r3d_link_packet *r3d_link_dequeue_by(struct r3d_link *link,
					    uint64_t now_us, uint64_t by_us);

/* When something next leaves the link (R3D_LINK_NEVER if nothing is
 * inside). */
uint64_t r3d_link_next_deadline(struct r3d_link *link, uint64_t now_us);

/* When the wire finishes the last packet now queued (now_us when idle,
 * R3D_LINK_NEVER when stalled for good). A packet entering before then
 * starts serialisation exactly then, whenever it is handed in: the event
 * loop need not read input while the wire is busy. */
uint64_t r3d_link_busy_until(struct r3d_link *link, uint64_t now_us);

/* The rate in bit/s at now_us (0 during an outage); for traces, the
 * average rate of the trace. */
uint64_t r3d_link_rate_at(const struct r3d_link *link, uint64_t now_us);

void r3d_link_get_stats(struct r3d_link *link, uint64_t now_us,
			struct r3d_link_stats *out);

#endif
