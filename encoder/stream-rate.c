/*
 * The stream's side of rate control: what the sink says (room, the
 * client's reports, its queue, the display socket's TCP_INFO) fed to the
 * controller (rate-control.c, pure logic), and what it decides applied:
 * the encoder's bitrate, the frame source's fps cap, and the sink's room
 * held back while too much is in flight. The helpers run under the
 * stream's lock (setup at create, before the threads); the feedback calls
 * at the end take it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "remote3d/log.h"
#include "stream-private.h"

#define TICK_US 50000 /* rate control looks at the link this often without input */

/* Under lock: let the controller decide, and apply what changed: the
 * encoder's bitrate (by the encoder thread before its next frame) and the
 * frame source's fps cap. */
static void decide(struct r3d_stream *s)
{
	struct r3d_rate_state st;

	if (!s->rate_on || !r3d_rate_control_decide(&s->rc, r3d_clock_now(s->clock), &st))
		return;
	if (st.encoder_kbps && st.encoder_kbps != s->bitrate_kbps) {
		s->bitrate_kbps = st.encoder_kbps;
		s->bitrate_changed = true;
	}
	unsigned nominal = r3d_fps_or_default(s->cfg.max_fps);
	unsigned cap = st.fps_cap && st.fps_cap < nominal ? st.fps_cap : s->cfg.max_fps;
	if (cap != s->fs.cfg.max_fps)
		r3d_frame_source_set_max_fps(&s->fs, cap);
}

/* Under lock: the sink has room (or had, held back). Hand it to the frame
 * source unless the controller holds it while too much is in flight;
 * then look again when it expects the bytes drained (the timer) or at the
 * next transport sample. True when a dispatch should come now. */
static bool offer_room(struct r3d_stream *s)
{
	uint64_t hold = s->rate_on ? r3d_rate_control_hold_us(&s->rc, r3d_clock_now(s->clock)) : 0;
	if (hold) {
		s->sink_held = true;
		s->hold_until_us = r3d_time_us() + hold;
		stream_timer_poke(&s->timer);
		return false;
	}
	s->sink_held = false;
	s->hold_until_us = 0;
	r3d_frame_source_sink_ready(&s->fs);
	return stream_extraction_due(s);
}

bool stream_rate_setup(struct r3d_stream *s, int w, int h, char **error)
{
	const struct r3d_stream_config *cfg = &s->cfg;

	s->bitrate_kbps = cfg->bitrate_kbps ? cfg->bitrate_kbps
					    : r3d_encoder_default_bitrate(w, h, r3d_fps_or_default(cfg->max_fps));
	if (!cfg->rate_control)
		return true;
	unsigned min = cfg->min_bitrate_kbps;
	struct r3d_rate_config rcfg = {
		.start_kbps = s->bitrate_kbps,
		.min_kbps = min,
		/* a good link keeps the start bitrate: it is the quality asked for */
		.max_kbps = cfg->max_bitrate_kbps ? cfg->max_bitrate_kbps
						  : (min > s->bitrate_kbps ? min : s->bitrate_kbps),
		.max_fps = r3d_fps_or_default(cfg->max_fps),
		.width = w,
		.height = h,
	};
	/* the size's default start goes inside the range; a given one must be in it */
	if (!cfg->bitrate_kbps && rcfg.start_kbps < min)
		rcfg.start_kbps = min;
	if (!cfg->bitrate_kbps && rcfg.start_kbps > rcfg.max_kbps)
		rcfg.start_kbps = rcfg.max_kbps;
	const char *why = NULL;
	if (!r3d_rate_config_check(&rcfg, &why)) {
		r3d_set_error(error, "stream: rate control: %s", why ? why : "bad configuration");
		return false;
	}
	r3d_rate_control_init(&s->rc, &rcfg, r3d_clock_now(s->clock));
	s->rate_on = true;
	s->bitrate_kbps = rcfg.start_kbps;
	return true;
}

void stream_rate_start(struct r3d_stream *s)
{
	if (s->rate_on)
		s->rate_tick_us = r3d_time_us() + TICK_US;
}

void stream_rate_on_frame(struct r3d_stream *s, const struct r3d_frame_timing *timing, size_t size,
			  bool keyframe)
{
	if (!s->rate_on)
		return;
	r3d_rate_control_on_frame(&s->rc, timing->handed_us, size > UINT32_MAX ? UINT32_MAX : (uint32_t)size,
				  keyframe);
	decide(s);
}

void stream_rate_keyframe_requested(struct r3d_stream *s)
{
	if (s->rate_on)
		r3d_rate_control_on_keyframe_request(&s->rc, r3d_clock_now(s->clock));
}

bool stream_rate_timer(struct r3d_stream *s, uint64_t now)
{
	if (s->rate_tick_us && now >= s->rate_tick_us) {
		s->rate_tick_us = now + TICK_US;
		decide(s);
		return true;
	}
	if (s->hold_until_us && now >= s->hold_until_us) {
		s->hold_until_us = 0;
		if (s->sink_held && offer_room(s)) {
			pthread_mutex_unlock(&s->lock);
			stream_call_wakeup(s);
			pthread_mutex_lock(&s->lock);
		}
		return true;
	}
	return false;
}

uint64_t stream_rate_next_us(const struct r3d_stream *s)
{
	return stream_earliest_us(s->rate_tick_us, s->hold_until_us);
}

void stream_rate_stats(const struct r3d_stream *s, struct r3d_stats *out)
{
	out->bitrate_kbps = s->bitrate_kbps;
	out->rate_control = s->rate_on;
	if (s->rate_on)
		out->rate = s->rc.st;
}

/* ---- any thread: the sink's feedback ---- */

void r3d_stream_sink_ready(struct r3d_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->rate_on) {
		r3d_rate_control_on_written(&s->rc, r3d_clock_now(s->clock), s->extra.queue_frames,
					    s->extra.queue_bytes, s->socket_unsent);
		decide(s);
	}
	bool go = offer_room(s);
	pthread_mutex_unlock(&s->lock);
	if (go)
		stream_call_wakeup(s);
}

void r3d_stream_client_report(struct r3d_stream *s, uint32_t frames, uint32_t drops, int32_t margin_ms)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->extra.client_frames = frames;
	s->extra.client_drops = drops;
	s->extra.client_margin_ms = margin_ms;
	if (s->rate_on) {
		r3d_rate_control_on_client_report(&s->rc, r3d_clock_now(s->clock), frames, drops, margin_ms);
		decide(s);
	}
	pthread_mutex_unlock(&s->lock);
}

void r3d_stream_queue_state(struct r3d_stream *s, uint32_t frames, uint64_t bytes)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->extra.queue_frames = frames;
	s->extra.queue_bytes = bytes;
	pthread_mutex_unlock(&s->lock);
}

void r3d_stream_transport_sample(struct r3d_stream *s, const struct r3d_transport_sample *t)
{
	if (!s || !t)
		return;
	pthread_mutex_lock(&s->lock);
	s->socket_unsent = t->notsent_bytes;
	bool go = false;
	if (s->rate_on) {
		r3d_rate_control_on_transport(&s->rc, r3d_clock_now(s->clock), t);
		decide(s);
		go = s->sink_held && offer_room(s);
	}
	pthread_mutex_unlock(&s->lock);
	if (go)
		stream_call_wakeup(s);
}
