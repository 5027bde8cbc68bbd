/*
 * Fuzz target: the rate controller (encoder/rate-control.c) fed an
 * arbitrary configuration and sequence of events: frames handed, the
 * sink's "written", TCP_INFO samples, client reports, keyframe requests,
 * decisions and hold queries, with the clock stepping, stopping, jumping
 * forward and back. After every decision the state must be sane: the
 * target inside [min, max], the encoder's bitrate from the target up to
 * 4 x max, the fps cap inside [min_fps, max_fps], no NaN or infinity, no
 * negative rate; a hold is at most one transport gap (150 ms).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/rate-control.h"

#define GAP_US 150000u

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct reader *r, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++) {
		v = v << 8 | (r->n ? *r->p : 0);
		if (r->n) {
			r->p++;
			r->n--;
		}
	}
	return v;
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool sane(double v)
{
	return isfinite(v) && v >= 0;
}

static void check_state(const struct r3d_rate_control *rc, const struct r3d_rate_state *s)
{
	const struct r3d_rate_config *c = &rc->cfg;

	check(c->min_kbps <= c->max_kbps && c->min_fps <= c->max_fps);
	check(s->target_kbps >= c->min_kbps && s->target_kbps <= c->max_kbps);
	check(s->encoder_kbps >= s->target_kbps && s->encoder_kbps <= 4.0 * c->max_kbps + 1);
	check(s->fps_cap >= c->min_fps && s->fps_cap <= c->max_fps);
	check(sane(s->sent_fps) && sane(s->sent_kbps) && sane(s->delivery_kbps) &&
	      sane(s->capacity_kbps));
	check(s->phase >= R3D_RATE_START && s->phase <= R3D_RATE_STALLED);
	check(strcmp(r3d_rate_phase_name(s->phase), "unknown") != 0);
}

static double bpp_of(uint8_t b)
{
	switch (b % 8) {
	case 0: return NAN;
	case 1: return -1;
	case 2: return 0;
	case 3: return INFINITY;
	default: return b / 256.0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct r3d_rate_config cfg = {
		.start_kbps = (unsigned)(take(&r, 3) % 10000001),
		.min_kbps = (unsigned)(take(&r, 3) % 10000001),
		.max_kbps = (unsigned)(take(&r, 3) % 10000001),
		.max_fps = (unsigned)(take(&r, 2) % 1001),
		.min_fps = (unsigned)(take(&r, 2) % 1001),
		.width = (int16_t)take(&r, 2),
		.height = (int16_t)take(&r, 2),
		.min_bpp = bpp_of((uint8_t)take(&r, 1)),
	};
	struct r3d_rate_control rc;
	struct r3d_rate_state st;
	const char *why = NULL;
	uint64_t now = take(&r, 4);

	bool valid = r3d_rate_config_check(&cfg, &why);
	check(valid == (why == NULL));
	r3d_rate_control_init(&rc, &cfg, now);
	if (valid)
		check(rc.cfg.start_kbps == cfg.start_kbps);
	r3d_rate_control_decide(&rc, now, &st);
	check_state(&rc, &st);

	for (int events = 0; r.n && events < 4096; events++) {
		uint8_t op = (uint8_t)take(&r, 1);
		now += (op >> 3) * 2000; /* 0 .. 62 ms */
		switch (op & 7) {
		case 0:
			r3d_rate_control_on_frame(&rc, now, (uint32_t)take(&r, 3), take(&r, 1) & 1);
			break;
		case 1: {
			uint32_t frames = (uint32_t)take(&r, 1);
			uint64_t bytes = take(&r, 3);
			r3d_rate_control_on_written(&rc, now, frames, bytes, (uint32_t)take(&r, 3));
			break;
		}
		case 2: {
			struct r3d_transport_sample s = {
				.srtt_us = (uint32_t)take(&r, 3),
				.rttvar_us = (uint32_t)take(&r, 2),
				.min_rtt_us = (uint32_t)take(&r, 3),
				.delivery_rate_bps = take(&r, 4),
				.app_limited = take(&r, 1) & 1,
				.unacked_bytes = (uint32_t)take(&r, 3),
				.notsent_bytes = (uint32_t)take(&r, 3),
				.retransmits_total = (uint32_t)take(&r, 2),
				.cwnd_bytes = (uint32_t)take(&r, 3),
			};
			r3d_rate_control_on_transport(&rc, now, &s);
			break;
		}
		case 3: {
			uint32_t frames = (uint32_t)take(&r, 2), drops = (uint32_t)take(&r, 2);
			r3d_rate_control_on_client_report(&rc, now, frames, drops, (int16_t)take(&r, 2));
			break;
		}
		case 4:
			r3d_rate_control_on_keyframe_request(&rc, now);
			break;
		case 5:
			r3d_rate_control_decide(&rc, now, &st);
			check_state(&rc, &st);
			break;
		case 6:
			check(r3d_rate_control_hold_us(&rc, now) <= GAP_US);
			break;
		case 7: {
			/* the clock jumps: forward by up to 4 s, or back */
			int64_t jump = (int16_t)take(&r, 2) * 125;
			now = jump < 0 && (uint64_t)-jump > now ? 0 : now + (uint64_t)jump;
			break;
		}
		}
	}
	r3d_rate_control_decide(&rc, now, &st);
	check_state(&rc, &st);
	return 0;
}
