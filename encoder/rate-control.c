/*
 * Rate control (rate-control.h): the bitrate and frame-rate cap that keep
 * the link's queue short.
 *
 * The signal is the queueing delay: the display socket's smoothed RTT
 * above the connection's minimum (TCP_INFO), plus the bytes written but
 * not yet sent at the delivery rate. Ideas taken, and why:
 *  - WebRTC GCC: delay, not loss, is the congestion signal (loss on a
 *    TCP stream is repaired by TCP; only the queue it builds hurts us);
 *    on overuse the target drops below the *measured* incoming rate
 *    (0.85 x delivery), not by a fixed factor of itself, so one cut lands
 *    under the new capacity however far it fell; growth is multiplicative
 *    far from the last capacity estimate and gentle near it, and the
 *    estimate is forgotten once the rate passes it without queueing (a
 *    link that got faster is found in seconds, not minutes).
 *  - NADA / SCReAM: a queueing-delay reference; while the queue is above
 *    it the target is the delivery rate scaled down in proportion to the
 *    excess delay, so a standing queue drains quickly instead of at the
 *    rate's last 15%.
 *  - BBR: the capacity estimate is the kernel's delivery rate from
 *    samples that were not application-limited; the minimum RTT is a
 *    windowed minimum (10 s) so that a route change is followed; after
 *    draining, the target goes back to near the estimate at once.
 * Without TCP_INFO (a unix socket) the sink's written events stand in: a
 * frame's hand-to-written time above its recent minimum is queueing.
 * Below a bits-per-pixel floor the frame rate is capped instead of
 * letting each frame get worse; the encoder's bitrate is scaled by the
 * nominal fps over the fps actually sent (x264 gets constant-rate
 * timestamps: its bits per frame are bitrate / nominal fps).
 */
#include <math.h>
#include <string.h>

#include "remote3d/rate-control.h"

#define Q_REF_US 15000       /* queueing delay we accept */
#define Q_HIGH_US 30000      /* above it: overuse */
#define Q_SCALE_US 150000    /* excess delay that halves the drain target */
#define MIN_RTT_WINDOW_US 10000000
#define STALL_US 1000000     /* no frame written for this long while one waits: stalled */
#define GROW_FAST 0.40       /* per second, far from the capacity estimate */
#define GROW_NEAR 0.15       /* per second, within 10% of it */
#define CUT_FACTOR 0.85
#define MIN_CHANGE 0.03      /* smaller encoder changes are not worth telling */
#define MIN_INTERVAL_US 100000
#define JUMP_US 5000000      /* a clock step larger than this: start timing afresh */

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void defaults(struct r3d_rate_config *c)
{
	if (!c->min_kbps)
		c->min_kbps = 100;
	if (!c->start_kbps)
		c->start_kbps = c->max_kbps ? c->max_kbps : 2000;
	if (!c->max_kbps)
		c->max_kbps = c->start_kbps * 4;
	if (!c->max_fps)
		c->max_fps = 60;
	if (!c->min_fps)
		c->min_fps = 10;
	if (c->min_fps > c->max_fps)
		c->min_fps = c->max_fps;
	if (!(c->min_bpp > 0))
		c->min_bpp = 0.04;
	if (c->min_kbps > c->max_kbps)
		c->min_kbps = c->max_kbps;
	c->start_kbps = (unsigned)clampd(c->start_kbps, c->min_kbps, c->max_kbps);
}

bool r3d_rate_config_check(const struct r3d_rate_config *cfg, const char **why)
{
	const char *w = NULL;
	if (!cfg)
		w = "no configuration";
	else if (cfg->min_kbps && cfg->max_kbps && cfg->min_kbps > cfg->max_kbps)
		w = "min bitrate above max bitrate";
	else if (cfg->start_kbps && cfg->min_kbps && cfg->start_kbps < cfg->min_kbps)
		w = "start bitrate below min bitrate";
	else if (cfg->start_kbps && cfg->max_kbps && cfg->start_kbps > cfg->max_kbps)
		w = "start bitrate above max bitrate";
	else if (cfg->width < 0 || cfg->height < 0)
		w = "negative size";
	else if (cfg->min_fps && cfg->max_fps && cfg->min_fps > cfg->max_fps)
		w = "min fps above max fps";
	else if (cfg->min_bpp < 0 || isnan(cfg->min_bpp))
		w = "negative bits per pixel";
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
	return "?";
}

void r3d_rate_control_init(struct r3d_rate_control *rc, const struct r3d_rate_config *cfg, uint64_t now_us)
{
	memset(rc, 0, sizeof(*rc));
	if (cfg)
		rc->cfg = *cfg;
	defaults(&rc->cfg);
	rc->target = rc->cfg.start_kbps;
	rc->st.phase = R3D_RATE_START;
	rc->st.target_kbps = rc->cfg.start_kbps;
	rc->st.encoder_kbps = rc->cfg.start_kbps;
	rc->st.fps_cap = rc->cfg.max_fps;
	rc->st.sent_fps = rc->cfg.max_fps;
	rc->start_us = rc->last_update_us = rc->window_start_us = now_us;
	rc->changed = true;
}

/* A time as the controller may use it: never before the last one seen. */
static uint64_t tick(struct r3d_rate_control *rc, uint64_t now_us)
{
	if (now_us < rc->last_update_us)
		return rc->last_update_us; /* the clock went back: hold time still */
	if (now_us - rc->last_update_us > JUMP_US) {
		/* a jump: timings measured across it mean nothing */
		rc->window_start_us = now_us;
		rc->bytes_window = rc->frames_window = 0;
		rc->last_written_us = rc->last_frame_us = 0;
		rc->last_update_us = now_us;
	}
	return now_us;
}

void r3d_rate_control_on_frame(struct r3d_rate_control *rc, uint64_t now_us, uint32_t bytes, bool keyframe)
{
	(void)keyframe;
	now_us = tick(rc, now_us);
	rc->bytes_window += bytes;
	rc->frames_window += 1;
	if (!rc->pending_since_us)
		rc->pending_since_us = now_us;
	rc->last_frame_us = now_us;
	uint64_t span = now_us - rc->window_start_us;
	if (span >= 500000) {
		double secs = (double)span / 1e6;
		double kbps = rc->bytes_window * 8 / 1000 / secs, fps = rc->frames_window / secs;
		/* smoothed over about a second */
		rc->st.sent_kbps = rc->st.sent_kbps ? 0.5 * rc->st.sent_kbps + 0.5 * kbps : kbps;
		rc->st.sent_fps = 0.5 * rc->st.sent_fps + 0.5 * fps;
		rc->bytes_window = rc->frames_window = 0;
		rc->window_start_us = now_us;
	}
}

void r3d_rate_control_on_written(struct r3d_rate_control *rc, uint64_t now_us, uint32_t frames_queued,
				 uint64_t bytes_queued, uint32_t socket_unsent_bytes)
{
	(void)bytes_queued;
	now_us = tick(rc, now_us);
	if (rc->pending_since_us && !rc->have_transport) {
		/* no TCP_INFO: the hand-to-written time above its minimum is queueing */
		uint64_t w = now_us - rc->pending_since_us;
		if (!rc->written_min_at_us || w < rc->written_min_us ||
		    now_us - rc->written_min_at_us > MIN_RTT_WINDOW_US) {
			rc->written_min_us = w;
			rc->written_min_at_us = now_us;
		}
		rc->st.queue_delay_us = (uint32_t)clampd((double)w - (double)rc->written_min_us, 0, UINT32_MAX);
	}
	rc->pending_since_us = frames_queued ? now_us : 0;
	rc->last_written_us = now_us;
	if (socket_unsent_bytes)
		rc->st.socket_unsent_bytes = socket_unsent_bytes;
}

void r3d_rate_control_on_transport(struct r3d_rate_control *rc, uint64_t now_us, const struct r3d_transport_sample *s)
{
	if (!s)
		return;
	now_us = tick(rc, now_us);
	rc->st.samples++;
	uint32_t srtt = s->srtt_us;
	if (srtt == 0 || srtt > 60000000)
		return; /* unknown or absurd: nothing to learn */
	rc->have_transport = true;
	rc->st.srtt_us = srtt;
	/* the windowed minimum, refreshed from the window's own samples */
	uint32_t kmin = s->min_rtt_us && s->min_rtt_us <= srtt ? s->min_rtt_us : srtt;
	if (!rc->rtt_min || kmin < rc->rtt_min || now_us - rc->rtt_min_at_us > MIN_RTT_WINDOW_US) {
		rc->rtt_min = now_us - rc->rtt_min_at_us > MIN_RTT_WINDOW_US ? srtt : kmin;
		rc->rtt_min_at_us = now_us;
		if (kmin < rc->rtt_min)
			rc->rtt_min = kmin;
	}
	rc->st.min_rtt_us = rc->rtt_min;
	if (s->delivery_rate_bps && !s->app_limited) {
		double kbps = (double)s->delivery_rate_bps * 8 / 1000;
		if (!rc->st.delivery_kbps || kbps < 0.5 * rc->st.delivery_kbps)
			rc->st.delivery_kbps = kbps; /* a collapse: follow it at once */
		else
			rc->st.delivery_kbps = 0.7 * rc->st.delivery_kbps + 0.3 * kbps;
		rc->delivery_at_us = now_us;
	}
	rc->st.socket_unsent_bytes = s->notsent_bytes;
	double q = (double)srtt - rc->rtt_min;
	double rate = rc->st.delivery_kbps ? rc->st.delivery_kbps : rc->target;
	if (s->notsent_bytes && rate > 0)
		q += (double)s->notsent_bytes * 8 / rate * 1000; /* kbit/s -> us per bit x 1e3 */
	rc->st.queue_delay_us = (uint32_t)clampd(q, 0, UINT32_MAX);
	rc->last_retrans = s->retransmits_total; /* loss alone is no congestion signal */
}

void r3d_rate_control_on_client_report(struct r3d_rate_control *rc, uint64_t now_us, uint32_t frames,
				       uint32_t drops, int32_t margin_ms)
{
	/* spice-gtk's margin is our stamp's 5 ms minus the network's queueing:
	 * with no transport samples, a late frame says the queue grew */
	now_us = tick(rc, now_us);
	(void)frames;
	(void)drops;
	if (!rc->have_transport && margin_ms < 0) {
		uint32_t q = (uint32_t)(-(int64_t)margin_ms) * 1000u;
		if (q > rc->st.queue_delay_us)
			rc->st.queue_delay_us = q;
	}
}

void r3d_rate_control_on_keyframe_request(struct r3d_rate_control *rc, uint64_t now_us)
{
	(void)tick(rc, now_us); /* a keyframe is one large frame: the delay signal covers it */
}

static void apply_outputs(struct r3d_rate_control *rc, uint64_t now_us, bool cut)
{
	const struct r3d_rate_config *c = &rc->cfg;
	rc->target = clampd(rc->target, c->min_kbps, c->max_kbps);
	unsigned target = (unsigned)lround(rc->target);
	double pixels = (double)(c->width > 0 ? c->width : 1280) * (c->height > 0 ? c->height : 720);
	unsigned cap = (unsigned)clampd(floor(rc->target * 1000 / (c->min_bpp * pixels)), c->min_fps, c->max_fps);
	/* bits per frame for the frames actually sent */
	double fps = clampd(rc->st.sent_fps, c->min_fps, cap);
	unsigned enc = (unsigned)lround(clampd(rc->target * c->max_fps / fps, c->min_kbps, 4.0 * c->max_kbps));
	bool big = !rc->st.encoder_kbps ||
		   fabs((double)enc - rc->st.encoder_kbps) > MIN_CHANGE * rc->st.encoder_kbps;
	bool soon = now_us - rc->last_change_us < MIN_INTERVAL_US;
	rc->st.target_kbps = target;
	if ((big && (!soon || cut)) || cap != rc->st.fps_cap) {
		if (big)
			rc->st.encoder_kbps = enc;
		rc->st.fps_cap = cap;
		rc->last_change_us = now_us;
		rc->changed = true;
	}
}

bool r3d_rate_control_decide(struct r3d_rate_control *rc, uint64_t now_us, struct r3d_rate_state *out)
{
	now_us = tick(rc, now_us);
	double dt = (double)(now_us - rc->last_update_us) / 1e6;
	rc->last_update_us = now_us;
	if (dt > 1)
		dt = 1;
	uint32_t q = rc->st.queue_delay_us;
	double cap = rc->st.delivery_kbps;
	bool cut = false;

	bool waiting = rc->pending_since_us && now_us - rc->pending_since_us > STALL_US;
	if (waiting) {
		/* nothing written for a second: an outage; hold (one cut was made
		 * as the queue rose), probe afresh when the link is back */
		rc->st.phase = R3D_RATE_STALLED;
	} else if (q > Q_HIGH_US) {
		/* overuse: below what the link delivers, deeper the longer the queue */
		if (now_us - rc->last_decrease_us >= (uint64_t)rc->st.srtt_us + 16000 ||
		    rc->st.phase != R3D_RATE_BACKOFF) {
			double base = cap > 0 ? cap : (rc->st.sent_kbps > 0 ? rc->st.sent_kbps : rc->target);
			double drain = clampd(1.0 - (double)(q - Q_REF_US) / (2.0 * Q_SCALE_US), 0.3, CUT_FACTOR);
			double next = base * drain;
			if (next < rc->target) {
				rc->target = next;
				rc->st.decreases++;
				cut = true;
			}
			if (cap > 0)
				rc->st.capacity_kbps = cap;
			rc->last_decrease_us = now_us;
		}
		rc->st.phase = R3D_RATE_BACKOFF;
	} else if (q <= Q_REF_US) {
		double c = rc->st.capacity_kbps;
		if (rc->st.phase == R3D_RATE_BACKOFF && c > 0 && rc->target < 0.8 * c) {
			rc->target = 0.8 * c; /* drained: back near the estimate at once */
			rc->st.increases++;
		}
		if (c > 0 && rc->target > 1.1 * c)
			rc->st.capacity_kbps = c = 0; /* past it without queueing: the link got faster */
		bool near = c > 0;
		double grow = near ? GROW_NEAR : GROW_FAST;
		double before = rc->target;
		rc->target *= 1.0 + grow * dt;
		if (rc->target > before && before < rc->cfg.max_kbps)
			rc->st.increases++;
		rc->st.phase = near ? R3D_RATE_HOLD : R3D_RATE_PROBE;
	} else if (rc->st.phase == R3D_RATE_START || rc->st.phase == R3D_RATE_STALLED) {
		rc->st.phase = R3D_RATE_HOLD; /* between the thresholds: keep the rate */
	}
	apply_outputs(rc, now_us, cut);
	if (out)
		*out = rc->st;
	bool changed = rc->changed;
	rc->changed = false;
	return changed;
}
