/*
 * Rate control (rate-control.h): the bitrate and frame-rate cap that keep
 * the display link's queue short.
 *
 * The signal is the queueing delay: the socket's smoothed RTT above its
 * windowed minimum, plus what waits unsent in the socket and the sink's
 * pipe beyond the frame being sent. Ideas taken, and why:
 *  - WebRTC GCC. Delay, not loss, is congestion: TCP repairs loss, only
 *    the queue it builds hurts us. Overuse cuts the target to 0.85 x the
 *    measured incoming rate, not to a fraction of itself, so one cut lands
 *    under a new capacity however far it fell. The delay gradient does
 *    two things: a cut needs the delay over the threshold and not falling
 *    (a queue already draining, after a cut or an outage, is left to
 *    drain; and GCC's hold after a decrease: until the delay is back
 *    under the threshold only a queue larger than the last cut saw cuts
 *    again), and a queue growing at g s/s says the link carries 1/(1+g) of
 *    what is sent, which shows before the delivery rate does (that lags
 *    by the very queue it is measured across). AIMD around the link
 *    capacity estimate (the incoming rate at overuse, averaged while
 *    overuses agree, and the base of the cut then): additive near it,
 *    where the queue formed last time, multiplicative (2x/s) far from it,
 *    the estimate forgotten once passed by half without queueing.
 *  - NADA / SCReAM. A fixed queueing-delay target (30 ms) instead of GCC's
 *    adaptive threshold: the promise is a bounded lag, and srtt is too
 *    smooth for a gradient-only detector. The cut deepens with the queue
 *    (extrapolated by its slope to now) so that it drains within a second
 *    instead of at the rate's last 15%. Self-clocking: the sink takes a
 *    frame only when the previous one is (mostly) written, so under
 *    congestion the frames handed per second are what the link carries:
 *    that bounds TCP's delivery rate (ACK compression reads it high), and
 *    without TCP_INFO it is the incoming rate, and a frame's
 *    hand-to-written time beyond its own serialisation is the queueing.
 *  - BBR. The base RTT is a windowed minimum of srtt (two 5 s halves): a
 *    route change is learnt in 10 s, where Linux's tcpi_min_rtt keeps 5
 *    minutes; the sawtooth drains the queue every few seconds, refreshing
 *    it as PROBE_RTT does on purpose. While the link (not the application)
 *    is the limit, the target does not grow past 1.05 x the delivery rate.
 *    The max-filter is applied to the sink's rate (a dip while frames wait
 *    is no lower capacity), not to TCP's delivery rate: after a step down
 *    that window's max is the old rate, the one thing a cut must not use.
 *    And BBR's in-flight bound (r3d_rate_control_hold_us): the sink's room
 *    is held while more than 2 x the target's bandwidth-delay product is
 *    unacked or unsent, so a link that slows down gets about an RTT of
 *    frames before the first cut instead of every frame made while the
 *    srtt catches up (measured: 1.1 s of latency after a 10 -> 1 Mbit/s
 *    step became 0.6 s); held frames are replaced by newer ones.
 *  - The flight itself, read at every sample: what left it per 100 ms
 *    while a queue kept the link busy is the rate the far end takes now
 *    (TCP's delivery rate lags a slowed link by an RTT the queue itself
 *    lengthens): a cut far under the usual base takes it. The flight
 *    beyond a base RTT of it is the queue now; a flight of no more than a
 *    frame is no queue, whatever the srtt (it falls late after a drain).
 *    An srtt well under the base RTT of the last capacity estimate says
 *    the link changed: the estimate is forgotten (growth multiplicative).
 * Growth needs evidence: not past twice what is sent (an idle screen
 * proves nothing), not while the RTT goes unseen. Frames larger than usual
 * (keyframes) queue for their own length: that much delay is expected. A
 * second with frames handed and none written is an outage (STALLED): the
 * rate is held. An outage of the link shows as a second without ACKs
 * (no new RTT or delivery sample) while bytes are in flight; after it the
 * srtt jumps to its age (the first ACKs are of segments that waited
 * through it) and falls: while it is above the srtt before, for up to
 * 2 s, that is no queue. Transport readings come on the sink's timer
 * while a receiver is connected: when they stop for a second, the
 * receiver is gone (a killed client), its silence is no queue and cuts
 * nothing; when they come again, they are the next receiver's, and its
 * predecessor's base RTT, flight, delivery rate and capacity estimate are
 * forgotten (the rate is kept). A congestion
 * window of four segments or less is TCP's own dip, not the link's: BBR
 * drains its flight to four packets for 200 ms + an RTT every 10 s
 * (PROBE_RTT) when no lower RTT was seen, an RTO restarts from one; the
 * bytes that wait meanwhile are no queue at the bottleneck, and the rate
 * the flight drains at is the window's, so nothing is cut or grown until
 * two srtt after it (a window that small for over a second is the link's).
 * Below a bits-per-pixel floor the fps cap drops instead of each frame
 * getting worse. x264 spreads encoder_kbps over its nominal max_fps: it is
 * told target x max_fps / the fps the source and encoder make (measured
 * over intervals the link did not block), and up to 1/0.7 more when it
 * undershoots. Changes under 3%
 * or within 100 ms of the last are not published, cuts always are. The
 * client's stream reports are not acted on: spice's margin is its mm-time
 * playback margin (it folds in the latency spice chose), not the link's.
 */
#include <math.h>
#include <string.h>

#include "remote3d/frame.h"
#include "remote3d/rate-control.h"

#define QDELAY_TARGET_US 30000.0  /* queueing allowed before a cut */
#define DRAIN_S 1.0               /* a cut drains the measured queue within this */
#define CUT_FACTOR 0.85
#define YIELD_MIN 0.7             /* an encoder's undershoot made up for, at most */
#define CUT_FLOOR 0.4             /* the deepest cut, x incoming */
#define FALLING (-0.02)           /* a queue shrinking faster (us per us) is draining */
#define PROBE_PER_S 2.0           /* multiplicative growth far from the estimate */
#define GROWING 0.5               /* queue growing this fast (s/s): a cut needs no written frame */
#define HOLD_PER_S 0.08           /* additive growth near it, x the estimate per second */
#define STALL_US 1000000u         /* frames handed, none written: outage */
#define POST_STALL_US 2000000u    /* after an outage, an srtt above the one before is its age for at most this */
#define MAX_STEP_US 500000u       /* a longer step between calls is a clock jump */
#define FRESH_US 1000000u         /* a transport reading older than this is not used */
#define GAP_US 150000u            /* nor for growth or a slope after this long */
#define RTT_HALF_US 5000000u
#define WINDOW_US 100000u         /* sent rate measured over this */
#define PUBLISH_US 100000u        /* no more often than this unless cutting */
#define PUBLISH_STEP 0.03         /* nor by less than this */
#define SRTT_MAX_US 60000000u     /* beyond it an srtt is absurd (RTO tops at 120 s) */
#define KBPS_MAX 1e8              /* 100 Gbit/s */
#define BYTES_MAX (64u << 20)
#define DIP_CWND_BYTES 6000u     /* 4 segments of 1500: PROBE_RTT's window (an RTO's is 1) */
#define DIP_MAX_US 1000000u      /* a window that small for longer is the link's */
#define DIP_AFTER_US 50000.0     /* sat out at least this long after the last small window */

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void defaults(struct r3d_rate_config *c)
{
	if (!c->min_kbps)
		c->min_kbps = 100;
	if (!c->max_kbps)
		c->max_kbps = 4 * (c->start_kbps ? c->start_kbps : 2000);
	c->max_fps = r3d_fps_or_default(c->max_fps);
	if (!c->min_fps)
		c->min_fps = 10;
	if (!(c->min_bpp > 0))
		c->min_bpp = 0.04;
}

bool r3d_rate_config_check(const struct r3d_rate_config *cfg, const char **why)
{
	const char *w = NULL;
	struct r3d_rate_config c;
	if (cfg) {
		c = *cfg;
		defaults(&c);
	}
	if (!cfg)
		w = "no configuration";
	else if (!cfg->start_kbps)
		w = "start_kbps is 0 (it must be > 0)";
	else if (c.min_kbps > c.max_kbps)
		w = "min_kbps is above max_kbps";
	else if (c.start_kbps < c.min_kbps)
		w = "start_kbps is below min_kbps (outside [min_kbps, max_kbps])";
	else if (c.start_kbps > c.max_kbps)
		w = "start_kbps is above max_kbps (outside [min_kbps, max_kbps])";
	else if (c.min_fps > c.max_fps)
		w = "min_fps is above max_fps";
	else if (cfg->width <= 0 || cfg->height <= 0)
		w = "width and height must be > 0";
	else if (cfg->min_bpp < 0 || isnan(cfg->min_bpp))
		w = "min_bpp is negative";
	if (why)
		*why = w;
	return !w;
}

const char *r3d_rate_phase_name(enum r3d_rate_phase p)
{
	switch (p) {
	case R3D_RATE_START: return "start";
	case R3D_RATE_PROBE: return "probe";
	case R3D_RATE_HOLD: return "hold";
	case R3D_RATE_BACKOFF: return "backoff";
	case R3D_RATE_STALLED: return "stalled";
	}
	return "unknown";
}

/* The controller's own clock: never backwards; a jump forward (no caller
 * leaves it that long) counts as no time, and the rates measured across
 * it start afresh. */
static uint64_t advance(struct r3d_rate_control *rc, uint64_t now_us)
{
	if (now_us > rc->raw_us) {
		uint64_t d = now_us - rc->raw_us;
		if (d <= MAX_STEP_US) {
			rc->now_us += d;
		} else {
			rc->window_start_us = rc->now_us;
			rc->window_bytes = 0;
			rc->last_frame_us = 0;
			rc->sent_peak_kbps = 0;
		}
	}
	rc->raw_us = now_us;
	return rc->now_us;
}

/* The base RTT: the minimum srtt over the current and the previous half window. */
static void rtt_min_add(struct r3d_rate_control *rc, uint64_t t, uint32_t srtt)
{
	if (!rc->rtt_min_start_us || t - rc->rtt_min_start_us >= 2 * RTT_HALF_US) {
		rc->rtt_min_prev = 0;
		rc->rtt_min_cur = srtt;
		rc->rtt_min_start_us = t;
	} else if (t - rc->rtt_min_start_us >= RTT_HALF_US) {
		rc->rtt_min_prev = rc->rtt_min_cur;
		rc->rtt_min_cur = srtt;
		rc->rtt_min_start_us = t;
	} else if (srtt < rc->rtt_min_cur) {
		rc->rtt_min_cur = srtt;
	}
}

static uint32_t rtt_min(const struct r3d_rate_control *rc, uint64_t t)
{
	if (!rc->rtt_min_start_us || t - rc->rtt_min_start_us >= 2 * RTT_HALF_US)
		return 0;
	return rc->rtt_min_prev && rc->rtt_min_prev < rc->rtt_min_cur ? rc->rtt_min_prev : rc->rtt_min_cur;
}

static bool tcp_delivery_fresh(const struct r3d_rate_control *rc, uint64_t t)
{
	return rc->last_delivery_at_us && t - rc->last_delivery_at_us < FRESH_US;
}

/* The sink samples its socket on a timer while a receiver is connected
 * (spice: every 20 ms, through outages too): readings that came and then
 * stopped for FRESH_US mean the receiver is gone (a killed client whose
 * socket spice-server has not closed yet). Its silence is no queue. */
static bool readings_stopped(const struct r3d_rate_control *rc, uint64_t t)
{
	return rc->sample_at_us && t - rc->sample_at_us >= FRESH_US;
}

/* What the far end receives: the base of a cut. TCP's delivery rate, but
 * no more than the sink took at its recent peak (self-clocked, that is
 * what the link carried; ACK compression makes delivery samples read high,
 * and the sink's rate dips as frames wait); without TCP_INFO the sink's
 * rate alone. 0 = not known. */
static double incoming_kbps(const struct r3d_rate_control *rc, uint64_t t)
{
	double peak = rc->sent_peak_kbps;
	if (!tcp_delivery_fresh(rc, t))
		return rc->st.sent_kbps;
	return peak > 0 && peak < rc->delivery_kbps ? peak : rc->delivery_kbps;
}

/* Microseconds that `bytes` take at the link's rate as far as it is
 * known: at least the target (a slower link shows in the queue itself). */
static double serial_us(const struct r3d_rate_control *rc, uint64_t t, double bytes)
{
	return bytes * 8000.0 / fmax(incoming_kbps(rc, t), rc->rate_kbps);
}

/* Microseconds between the frames the source and the encoder make, as far
 * as seen (the nominal interval before). */
static double source_interval_us(const struct r3d_rate_control *rc)
{
	return rc->free_interval_us > 0 ? rc->free_interval_us : 1e6 / rc->cfg.max_fps;
}

/* The frame handed at `since` was still unwritten when the next was due:
 * the link made the source wait. */
static bool waited_past_next(const struct r3d_rate_control *rc, uint64_t since, uint64_t t)
{
	return since && (double)(t - since) > 1.2 * source_interval_us(rc);
}

/* Frames handed and none written, or the sink's room held while the
 * flight does not drain, for a second: an outage. */
static bool stalled(const struct r3d_rate_control *rc, uint64_t t)
{
	return (rc->unwritten_since_us && t - rc->unwritten_since_us > STALL_US) ||
	       (rc->hold_since_us && t - rc->hold_since_us > STALL_US);
}

/* The end of an outage: let the srtt show whether it falls before it
 * may cut (and see outage_returned). */
static void stall_ended(struct r3d_rate_control *rc, uint64_t t)
{
	rc->trend = 0;
	rc->last_cut_us = t;
}

/* The srtt is an outage's age, not a queue (outage_returned). */
static bool srtt_is_outage_age(const struct r3d_rate_control *rc, uint64_t t)
{
	return rc->post_stall_until_us && t < rc->post_stall_until_us &&
	       rc->srtt_us > rc->pre_stall_srtt_us + QDELAY_TARGET_US;
}

void r3d_rate_control_init(struct r3d_rate_control *rc, const struct r3d_rate_config *cfg, uint64_t now_us)
{
	memset(rc, 0, sizeof(*rc));
	struct r3d_rate_config *c = &rc->cfg;
	if (cfg)
		*c = *cfg;
	defaults(c);
	if (c->max_kbps < c->min_kbps)
		c->max_kbps = c->min_kbps;
	if (!c->start_kbps)
		c->start_kbps = 2000;
	c->start_kbps = (unsigned)clampd(c->start_kbps, c->min_kbps, c->max_kbps);
	if (c->min_fps > c->max_fps)
		c->min_fps = c->max_fps;
	c->width = c->width > 0 ? c->width : 0;
	c->height = c->height > 0 ? c->height : 0;
	rc->raw_us = now_us;
	rc->now_us = rc->last_decide_us = 1000000; /* own epoch: 0 stays "never" */
	rc->rate_kbps = c->start_kbps;
	rc->written_since_cut = true;
	rc->st.phase = R3D_RATE_START;
	rc->st.target_kbps = c->start_kbps;
	rc->st.fps_cap = c->max_fps;
	rc->enc_fps = c->max_fps;
	rc->yield = 1;
	rc->st.encoder_kbps = c->start_kbps;
}

void r3d_rate_control_on_frame(struct r3d_rate_control *rc, uint64_t now_us, uint32_t bytes, bool keyframe)
{
	uint64_t t = advance(rc, now_us);
	rc->window_bytes += bytes;
	rc->handed_total += bytes;
	if (!rc->unwritten_since_us)
		rc->unwritten_since_us = t;
	rc->unwritten_bytes += bytes;
	if (rc->last_frame_us && t - rc->last_frame_us < STALL_US) {
		/* frames per second from the intervals: steadier than counting */
		double iv = (double)(t - rc->last_frame_us);
		rc->frame_interval_us += rc->frame_interval_us ? (iv - rc->frame_interval_us) / 8 : iv;
		rc->st.sent_fps = rc->frame_interval_us > 0 ? fmin(1e6 / rc->frame_interval_us, 1000) : 0;
		/* and the rate the source and the encoder make frames at: over
		 * the intervals the link let every frame go */
		if (!rc->link_blocked)
			rc->free_interval_us += rc->free_interval_us ? (iv - rc->free_interval_us) / 8 : iv;
	}
	rc->link_blocked = false;
	rc->last_frame_us = t;
	rc->last_frame_bytes = bytes;
	keyframe = keyframe || rc->keyframe_due;
	rc->keyframe_due = false;
	if (!rc->avg_frame_bytes)
		rc->avg_frame_bytes = keyframe ? bytes / 5.0 : bytes;
	else if (!keyframe)
		rc->avg_frame_bytes += 0.1 * (bytes - rc->avg_frame_bytes);
	if (!keyframe && rc->st.encoder_kbps) {
		/* the encoder's yield: its bits per frame over those it was asked for */
		double y = bytes * 8.0 * rc->cfg.max_fps / (rc->st.encoder_kbps * 1000.0);
		rc->yield += (fmin(y, 2) - rc->yield) / 32;
	}
	/* a frame larger than usual queues for its own extra length */
	if (bytes > rc->avg_frame_bytes)
		rc->burst_us = fmin(rc->burst_us + serial_us(rc, t, bytes - rc->avg_frame_bytes), 1e6);
}

void r3d_rate_control_on_written(struct r3d_rate_control *rc, uint64_t now_us, uint32_t frames_queued,
				 uint64_t bytes_queued, uint32_t socket_unsent_bytes)
{
	uint64_t t = advance(rc, now_us);
	bool was_stalled = stalled(rc, t);
	rc->measured = true;
	rc->written_since_cut = true;
	if (rc->unwritten_since_us && !was_stalled) {
		/* how long the newest frame waited beyond its own length: queueing */
		double wait = (double)(t - rc->last_frame_us) - serial_us(rc, t, rc->last_frame_bytes);
		rc->written_qdelay_us = 0.5 * rc->written_qdelay_us + 0.5 * fmax(wait, 0);
	}
	if (was_stalled)
		stall_ended(rc, t);
	if (waited_past_next(rc, rc->last_frame_us, t))
		rc->link_blocked = true;
	/* every frame handed is written: what the sink's pipe still holds
	 * (frames_queued) waits behind them, counted as queued bytes */
	(void)frames_queued;
	rc->last_written_us = t;
	rc->unwritten_since_us = 0;
	rc->unwritten_bytes = 0;
	rc->pipe_bytes = (uint32_t)(bytes_queued < BYTES_MAX ? bytes_queued : BYTES_MAX);
	rc->unsent_bytes = socket_unsent_bytes < BYTES_MAX ? socket_unsent_bytes : BYTES_MAX;
	rc->st.socket_unsent_bytes = rc->unsent_bytes;
}

/* Bytes in flight (unacked + unsent): what left the flight per window is
 * the rate the far end takes now (GCC's incoming rate; TCP's delivery
 * rate lags a slowed link by an RTT that the queue itself lengthens). */
static void inflight_add(struct r3d_rate_control *rc, uint64_t t, uint32_t inflight)
{
	rc->inflight_bytes = inflight;
	rc->inflight_at_us = t;
	rc->st.inflight_bytes = inflight;
	uint64_t span = t - rc->ack_ref_at_us;
	if (rc->ack_ref_at_us && span < WINDOW_US)
		return;
	if (rc->ack_ref_at_us && span < 4 * WINDOW_US) {
		double left = (double)rc->ack_ref_inflight + (double)(rc->handed_total - rc->ack_ref_handed) - inflight;
		rc->ack_kbps = fmin(fmax(left, 0) * 8000.0 / span, KBPS_MAX);
		if (left >= 2 * 1448)
			rc->last_ack_us = t; /* the flight moved: ACKs came (the kernel's
					      * delivery rate is not news: it keeps its
					      * old value while application-limited) */
		/* only while a queue kept the link busy is that its rate (an
		 * application-limited flight carries what it is given) */
		double normal = fmax(rc->rate_kbps * 125.0 * rtt_min(rc, t) / 1e6, rc->avg_frame_bytes) + 2 * 1448;
		rc->ack_busy = fmin(rc->ack_ref_inflight, inflight) > normal;
		rc->ack_at_us = t;
	}
	rc->ack_ref_at_us = t;
	rc->ack_ref_handed = rc->handed_total;
	rc->ack_ref_inflight = inflight;
}

/* Readings again after they stopped: a new receiver (the next client),
 * maybe on another path. What was its predecessor's socket goes: the base
 * RTT, the srtt and its slope, the flight, TCP's delivery rate, a window
 * dip, and the capacity estimate made on that path. The rate stays, and
 * so does the stall until the first frame is written. */
static void forget_receiver(struct r3d_rate_control *rc)
{
	rc->rtt_min_cur = rc->rtt_min_prev = 0;
	rc->rtt_min_start_us = 0;
	rc->srtt_us = 0;
	rc->last_srtt_at_us = 0;
	rc->trend_reset = true;
	rc->inflight_bytes = 0;
	rc->inflight_at_us = 0;
	rc->ack_ref_at_us = rc->ack_at_us = rc->last_ack_us = 0;
	rc->delivery_kbps = 0;
	rc->last_delivery_at_us = 0;
	rc->last_delivery_bps = 0;
	rc->unsent_bytes = 0;
	rc->dip_since_us = rc->dip_until_us = 0;
	rc->st.capacity_kbps = 0;
	rc->cap_base_rtt_us = 0;
	rc->cut_q_us = 0;
	rc->ack_seen_us = 0;
	rc->post_stall_until_us = 0;
}

/* A sample that shows an ACK (a new RTT or delivery sample) after a second
 * without one while bytes were in flight: the end of an outage. TCP took
 * no RTT sample through it, and the first ACKs after it are of segments
 * that waited through it: the srtt jumps to about the outage's age
 * (2.0-3.0 s after 3 s on Linux) and falls over the next ACKs. Until it
 * is back near the srtt before (at most POST_STALL_US) that is no queue.
 * (A link that slowed down keeps its ACKs coming: its srtt counts.) */
static void outage_returned(struct r3d_rate_control *rc, uint64_t t, const struct r3d_transport_sample *s)
{
	bool acked = (s->srtt_us && s->srtt_us != rc->srtt_us) || s->delivery_rate_bps != rc->last_delivery_bps;
	if (!acked)
		return;
	if (rc->ack_seen_us && t - rc->ack_seen_us >= STALL_US && rc->inflight_bytes > 0) {
		rc->post_stall_until_us = t + POST_STALL_US;
		rc->pre_stall_srtt_us = rc->srtt_us; /* as it was through the outage */
	}
	rc->ack_seen_us = t;
}

void r3d_rate_control_on_transport(struct r3d_rate_control *rc, uint64_t now_us,
				   const struct r3d_transport_sample *s)
{
	uint64_t t = advance(rc, now_us);
	if (!s)
		return;
	if (readings_stopped(rc, t))
		forget_receiver(rc);
	rc->sample_at_us = t;
	outage_returned(rc, t, s);
	rc->st.samples++;
	bool dip = s->cwnd_bytes && s->cwnd_bytes <= DIP_CWND_BYTES;
	if (dip && !rc->dip_since_us) {
		rc->dip_since_us = t;
		rc->st.tcp_dips++;
	} else if (!dip) {
		rc->dip_since_us = 0;
	}
	if (dip && t - rc->dip_since_us < DIP_MAX_US) {
		double srtt = s->srtt_us && s->srtt_us <= SRTT_MAX_US ? s->srtt_us : rc->srtt_us;
		rc->dip_until_us = t + (uint64_t)fmax(2 * srtt, DIP_AFTER_US);
		rc->ack_ref_at_us = rc->ack_at_us = 0; /* the flight drains at the window's rate */
	} else {
		dip = false;
	}
	if (s->srtt_us && s->srtt_us <= SRTT_MAX_US) {
		if (!rc->last_srtt_at_us || t - rc->last_srtt_at_us > GAP_US)
			rc->trend_reset = true; /* a jump after a gap (or from the written events) is no slope */
		rc->measured = true;
		if (rc->cap_base_rtt_us && s->srtt_us < 0.85 * rc->cap_base_rtt_us)
			rc->st.capacity_kbps = 0; /* faster than when it was estimated: the link changed */
		rc->srtt_us = s->srtt_us;
		rc->last_srtt_at_us = t;
		rtt_min_add(rc, t, s->srtt_us);
	}
	if (s->delivery_rate_bps != rc->last_delivery_bps)
		rc->acked_since_cut = true; /* TCP took a new rate sample: an ACK came */
	rc->last_delivery_bps = s->delivery_rate_bps;
	if (s->delivery_rate_bps && !dip) {
		double kbps = fmin((double)s->delivery_rate_bps * 8 / 1000, KBPS_MAX);
		rc->measured = true;
		/* app-limited or not: both are what arrives (GCC's incoming rate);
		 * smoothed over a few samples */
		rc->delivery_kbps = tcp_delivery_fresh(rc, t) ? 0.5 * rc->delivery_kbps + 0.5 * kbps : kbps;
		rc->app_limited = s->app_limited;
		rc->last_delivery_at_us = t;
	}
	if (s->unacked_bytes || s->notsent_bytes || s->srtt_us)
		inflight_add(rc, t, (uint32_t)fmin((double)s->unacked_bytes + s->notsent_bytes, BYTES_MAX));
	/* retransmits_total is on purpose not read: loss is not congestion */
	if (s->notsent_bytes <= BYTES_MAX) { /* more than any socket buffer: absurd */
		rc->unsent_bytes = s->notsent_bytes;
		rc->st.socket_unsent_bytes = rc->unsent_bytes;
	}
}

void r3d_rate_control_on_client_report(struct r3d_rate_control *rc, uint64_t now_us, uint32_t frames,
				       uint32_t drops, int32_t margin_ms)
{
	(void)frames, (void)drops, (void)margin_ms; /* see the top of this file */
	advance(rc, now_us);
}

void r3d_rate_control_on_keyframe_request(struct r3d_rate_control *rc, uint64_t now_us)
{
	advance(rc, now_us);
	rc->keyframe_due = true; /* the next frame is large by design */
}

static void measure_sent(struct r3d_rate_control *rc, uint64_t t)
{
	if (!rc->window_start_us) {
		rc->window_start_us = t;
		return;
	}
	uint64_t span = t - rc->window_start_us;
	if (span < WINDOW_US)
		return;
	double kbps = rc->window_bytes * 8000.0 / span;
	rc->st.sent_kbps = rc->st.sent_kbps ? 0.5 * rc->st.sent_kbps + 0.5 * kbps : kbps;
	rc->sent_peak_kbps = fmax(kbps, 0.85 * rc->sent_peak_kbps); /* a max that fades in ~0.5 s */
	rc->window_bytes = 0;
	rc->window_start_us = t;
}

static bool rtt_fresh(const struct r3d_rate_control *rc, uint64_t t)
{
	return rc->srtt_us && rc->last_srtt_at_us && t - rc->last_srtt_at_us < FRESH_US && rtt_min(rc, t);
}

/* The queueing delay; *threshold gets the delay that is too much, *smooth
 * the part whose slope is the trend (srtt's, not the unsent bytes that
 * jump by a frame at every write). */
static double queue_delay_us(const struct r3d_rate_control *rc, uint64_t t, double *threshold, double *smooth)
{
	double q = 0;
	*threshold = QDELAY_TARGET_US + rc->burst_us;
	if (readings_stopped(rc, t)) {
		*smooth = 0; /* nobody to measure: the stall, not a cut, follows */
		return 0;
	}
	if (rtt_fresh(rc, t)) {
		q = srtt_is_outage_age(rc, t) ? 0 : fmax((double)rc->srtt_us - rtt_min(rc, t), 0);
		/* no more in flight than a frame or the pipe's own share: no
		 * queue, whatever the srtt (it falls late after a drain, the
		 * slower the fewer ACKs) */
		double bdp = rc->rate_kbps * 125.0 * rtt_min(rc, t) / 1e6;
		if (rc->inflight_at_us && t - rc->inflight_at_us < GAP_US &&
		    rc->inflight_bytes <= fmax(bdp, rc->avg_frame_bytes) + 2 * 1448)
			q = 0;
		*smooth = q;
	} else {
		/* what the sink sees is only the near end of the queue: a frame
		 * waiting a frame interval beyond its own length is too long */
		*threshold = fmin(*threshold, 1e6 / rc->cfg.max_fps + rc->burst_us);
		/* no RTT: the written events, how long the oldest unwritten
		 * frame waits, and the queue that sending above the delivery
		 * rate builds (when the link is the limit) */
		double waiting = rc->unwritten_since_us ? (double)(t - rc->unwritten_since_us) -
								  serial_us(rc, t, rc->unwritten_bytes)
							: 0;
		bool recent = rc->unwritten_since_us || t - rc->last_written_us < 2 * WINDOW_US;
		q = fmax(recent ? fmax(rc->written_qdelay_us, waiting) : 0, rc->fluid_qdelay_us);
	}
	/* unsent beyond the newest frame (that one is being sent: no queue) */
	q += serial_us(rc, t, fmax((double)rc->unsent_bytes + rc->pipe_bytes - rc->last_frame_bytes, 0));
	if (!rtt_fresh(rc, t))
		*smooth = q;
	return q;
}

static void cut(struct r3d_rate_control *rc, uint64_t t, double q)
{
	double in = incoming_kbps(rc, t);
	if (!(in > 0))
		in = rc->rate_kbps;
	bool acks = rc->ack_at_us && t - rc->ack_at_us < 3 * WINDOW_US && rc->ack_kbps > 0 && rc->ack_busy &&
		    rc->last_ack_us == rc->ack_at_us; /* the last window's flight moved: no outage */
	if (acks) {
		/* with a queue the link is busy: what leaves the flight is what
		 * it carries now (TCP's delivery rate lags a slowed link by an
		 * RTT that the queue itself lengthens; near it, noise), and the
		 * flight beyond a base RTT of it is the queue now (the srtt
		 * shows it late, smoothed) */
		if (rc->ack_kbps < 0.7 * in)
			in = rc->ack_kbps;
		double ack = rc->ack_kbps * 125.0; /* bytes/s */
		q = fmin(q, fmax(rc->inflight_bytes - ack * rtt_min(rc, t) / 1e6, 0) / ack * 1e6);
	} else if (rc->trend > 0.5 && !rc->burst_us) {
		/* GCC's delay gradient: a queue growing at `trend` seconds per
		 * second takes 1 + trend times what the link carries. It shows
		 * before the delivery rate does; not while a large frame's own
		 * queue is expected. */
		in = fmax(fmin(in, rc->st.sent_kbps / (1 + rc->trend)), 0.25 * in);
	}
	/* the queue seen is as old as the queueing it measures: growing at
	 * `trend`, it is larger by now; drain that within DRAIN_S */
	double f = clampd(1 - q * (1 + fmax(rc->trend, 0)) / 1e6 / DRAIN_S, CUT_FLOOR, CUT_FACTOR);
	double cap = rc->st.capacity_kbps;
	/* GCC's link capacity estimate: the incoming rate at overuse, averaged
	 * while the overuses agree (the cut then takes the average: one noisy
	 * reading is no reason to cut deeper), taken afresh when one is far off */
	rc->st.capacity_kbps = cap > 0 && in > 0.7 * cap && in < 1.3 * cap ? 0.8 * cap + 0.2 * in : in;
	rc->cap_base_rtt_us = rtt_min(rc, t);
	rc->rate_kbps = fmax(fmin(rc->rate_kbps, rc->st.capacity_kbps * f), rc->cfg.min_kbps);
	rc->last_cut_us = t;
	rc->written_since_cut = false;
	rc->acked_since_cut = false;
}

static void control(struct r3d_rate_control *rc, uint64_t t, double dt, double threshold)
{
	double q = rc->st.queue_delay_us, cap = rc->st.capacity_kbps;
	if (stalled(rc, t)) {
		rc->st.phase = R3D_RATE_STALLED;
		return;
	}
	if (!rc->measured) {
		rc->st.phase = R3D_RATE_START;
		return;
	}
	if (rc->dip_until_us && t < rc->dip_until_us)
		return; /* TCP's own window dip: the link is not what shows */
	if (q > threshold) {
		rc->st.phase = R3D_RATE_BACKOFF;
		/* a cut shows in TCP's delivery rate after about an RTT; in the
		 * sent rate (no TCP_INFO) after its window */
		uint64_t guard = tcp_delivery_fresh(rc, t)
					 ? rtt_min(rc, t) + 1000000u / rc->cfg.max_fps
					 : 3 * WINDOW_US;
		/* and for news of the first: a frame written (an outage writes
		 * none), or the queue still growing fast while ACKs still come
		 * (a new delivery sample: a link that slowed down writes nothing
		 * either while the queue lasts, and waiting for a frame there let
		 * it grow for another half second; an outage brings no ACK) */
		bool due = !rc->last_cut_us || t - rc->last_cut_us >= guard;
		bool news = rc->written_since_cut || (rc->trend > GROWING && rc->acked_since_cut);
		/* GCC's hold after a decrease: until the delay is back under
		 * the threshold, only a queue larger than the last cut saw is
		 * news (a draining srtt bumps up at every frame) */
		bool larger = !rc->cut_q_us || q > 1.1 * rc->cut_q_us;
		if (rc->trend > FALLING && news && due && larger) {
			cut(rc, t, q);
			rc->cut_q_us = q;
		}
		return;
	}
	rc->cut_q_us = 0;
	bool near = cap > 0 && rc->rate_kbps >= 0.8 * cap && rc->rate_kbps < 1.1 * cap;
	rc->st.phase = near ? R3D_RATE_HOLD : R3D_RATE_PROBE;
	/* growth needs evidence: that the screen sends about the target (an
	 * idle one proves nothing), and while the link is the limit, that it
	 * delivers about the target (more only queues) */
	bool tcp = tcp_delivery_fresh(rc, t);
	double delivered = tcp ? rc->delivery_kbps : rc->st.sent_kbps;
	bool link_limited = tcp ? !rc->app_limited
				: rc->unwritten_since_us && t - rc->unwritten_since_us > 1000000u / rc->cfg.max_fps;
	if (rc->rate_kbps >= 2 * rc->st.sent_kbps || (link_limited && rc->rate_kbps >= 1.05 * delivered))
		return;
	if (rc->last_srtt_at_us && t - rc->last_srtt_at_us > GAP_US && t - rc->last_srtt_at_us < FRESH_US)
		return; /* the RTT went unseen for a moment: no growth blind */
	/* without an RTT the far end's queue is unseen: give it time to drain */
	if (!rtt_fresh(rc, t) && rc->last_cut_us && t - rc->last_cut_us < DRAIN_S * 1e6)
		return;
	if (near)
		rc->rate_kbps += HOLD_PER_S * cap * dt;
	else
		rc->rate_kbps *= pow(PROBE_PER_S, dt);
	if (cap > 0 && rc->rate_kbps > 1.5 * cap)
		rc->st.capacity_kbps = 0; /* well past it without queueing: the link got faster */
	rc->rate_kbps = fmin(rc->rate_kbps, rc->cfg.max_kbps);
}

/* BBR's inflight bound at the target: 2 x its bandwidth-delay product,
 * and room for two frames beyond one (a frame goes out in one burst);
 * 0 = no cap (no base RTT). */
static double inflight_cap(const struct r3d_rate_control *rc, uint64_t t)
{
	uint32_t base = rtt_min(rc, t);
	if (!base)
		return 0;
	double bdp = rc->rate_kbps * 125.0 * base / 1e6; /* kbit/s x us -> bytes */
	/* nor less than a frame interval drains (a fast link: nothing to hold) */
	double frame_drain = tcp_delivery_fresh(rc, t) ? rc->delivery_kbps * 125.0 / rc->cfg.max_fps : 0;
	return fmax(fmax(2 * bdp, bdp + 2 * fmax(rc->avg_frame_bytes, 1500)), frame_drain);
}

uint64_t r3d_rate_control_hold_us(struct r3d_rate_control *rc, uint64_t now_us)
{
	uint64_t t = advance(rc, now_us);
	double cap = inflight_cap(rc, t);
	rc->st.inflight_cap_bytes = (uint32_t)fmin(cap, UINT32_MAX);
	if (!(cap > 0) || !rc->inflight_at_us || t - rc->inflight_at_us >= GAP_US ||
	    rc->inflight_bytes <= cap) {
		if (rc->holding && stalled(rc, t))
			stall_ended(rc, t);
		rc->holding = false;
		rc->hold_since_us = 0;
		return 0;
	}
	if (!rc->holding) {
		rc->st.holds++;
		rc->hold_since_us = t;
	}
	rc->holding = true;
	rc->link_blocked = true;
	/* the next reading tells (at each frame written and on the sink's
	 * timer); by the time this one goes stale nothing holds */
	return (uint64_t)fmax((double)(rc->inflight_at_us + GAP_US - t), 1000);
}

/* The fps cap the target allows: bits per frame at least the floor. */
static unsigned fps_allowed(const struct r3d_rate_control *rc, unsigned target_kbps)
{
	const struct r3d_rate_config *c = &rc->cfg;
	double floor_bits = c->min_bpp * c->width * c->height;
	double fps = floor_bits > 0 ? target_kbps * 1000.0 / floor_bits : c->max_fps;
	return (unsigned)clampd(floor(fps), c->min_fps, c->max_fps);
}

static void publish(struct r3d_rate_control *rc, uint64_t t)
{
	const struct r3d_rate_config *c = &rc->cfg;
	struct r3d_rate_state *st = &rc->st;
	unsigned target = (unsigned)lround(clampd(rc->rate_kbps, c->min_kbps, c->max_kbps));
	unsigned cap = fps_allowed(rc, target);
	unsigned step = st->fps_cap / 10 > 2 ? st->fps_cap / 10 : 2;
	if (cap > st->fps_cap && cap < c->max_fps && cap < st->fps_cap + step)
		cap = st->fps_cap; /* rise in steps worth making */
	/* x264's bits per frame are encoder_kbps / max_fps: spread the target
	 * over the frames actually sent, and make up for what it undershoots */
	double fps = clampd(rc->enc_fps, c->min_fps, cap), yield = clampd(rc->yield, YIELD_MIN, 1);
	double enc_kbps = target * (double)c->max_fps / fps / yield;
	unsigned enc = (unsigned)lround(clampd(enc_kbps, target, 4.0 * c->max_kbps));
	bool cutting = target < (1 - PUBLISH_STEP) * st->target_kbps || cap < st->fps_cap ||
		       enc < (1 - PUBLISH_STEP) * st->encoder_kbps;
	bool worth = fabs((double)target - st->target_kbps) >= PUBLISH_STEP * st->target_kbps ||
		     fabs((double)enc - st->encoder_kbps) >= PUBLISH_STEP * st->encoder_kbps ||
		     cap != st->fps_cap ||
		     (target != st->target_kbps && (target == c->max_kbps || target == c->min_kbps));
	if (!cutting && !(worth && t - rc->last_publish_us >= PUBLISH_US))
		return;
	if (target < st->target_kbps)
		st->decreases++;
	else if (target > st->target_kbps)
		st->increases++;
	if (cap > st->fps_cap) {
		/* the source was held at the old cap: expect it to keep up */
		st->sent_fps = cap;
		rc->frame_interval_us = 1e6 / cap;
	}
	st->target_kbps = target;
	st->encoder_kbps = enc;
	st->fps_cap = cap;
	rc->last_publish_us = t;
	rc->changed = true;
}

bool r3d_rate_control_decide(struct r3d_rate_control *rc, uint64_t now_us, struct r3d_rate_state *out)
{
	uint64_t t = advance(rc, now_us);
	double dt_us = (double)(t - rc->last_decide_us);
	rc->last_decide_us = t;
	measure_sent(rc, t);
	rc->burst_us = fmax(rc->burst_us - 0.5 * dt_us, 0); /* srtt shows it late, smoothed */
	if (!tcp_delivery_fresh(rc, t) || rc->app_limited || !(rc->delivery_kbps > 0))
		rc->fluid_qdelay_us = 0; /* the link was not kept busy: no queue of ours */
	else
		rc->fluid_qdelay_us = clampd(rc->fluid_qdelay_us + (rc->st.sent_kbps / rc->delivery_kbps - 1) * dt_us,
					     0, 1e7);
	if (rc->post_stall_until_us && t >= rc->post_stall_until_us) {
		rc->post_stall_until_us = 0;
		rc->trend_reset = true; /* what the outage's age did to the slope is no slope */
	}
	double threshold, smooth = 0;
	double q = queue_delay_us(rc, t, &threshold, &smooth);
	if (rc->trend_reset) {
		rc->trend = 0;
		rc->qdelay_prev_us = smooth;
		rc->trend_reset = false;
	}
	if (dt_us > 0) {
		/* the delay's slope, smoothed over about 40 ms */
		double a = dt_us / (dt_us + 40000.0);
		rc->trend += a * ((smooth - rc->qdelay_prev_us) / dt_us - rc->trend);
		rc->qdelay_prev_us = smooth;
	}
	rc->st.queue_delay_us = (uint32_t)fmin(q, UINT32_MAX);
	rc->st.srtt_us = rc->srtt_us;
	rc->st.min_rtt_us = rtt_min(rc, t);
	rc->st.delivery_kbps = incoming_kbps(rc, t);
	control(rc, t, fmin(dt_us / 1e6, 0.2), threshold);
	/* the fps the encoder's bits are spread over: what the source and the
	 * encoder make. Not what is sent: frames the link held back or made
	 * wait do not count (spread over fewer, each frame grows, fills the
	 * flight and is held more: the fps would fall for good) */
	if (waited_past_next(rc, rc->unwritten_since_us, t))
		rc->link_blocked = true;
	if (rc->free_interval_us > 0)
		rc->enc_fps = fmin(1e6 / rc->free_interval_us, rc->st.fps_cap);
	publish(rc, t);
	if (out)
		*out = rc->st;
	bool changed = rc->changed;
	rc->changed = false;
	return changed;
}
