/* The stream's periodic summary (see stream-summary.h). */
#include "remote3d/log.h"
#include "remote3d/rate-control.h"
#include "stream-summary.h"

void stream_summary_init(struct stream_summary *sum, unsigned interval_ms, uint64_t now_us)
{
	*sum = (struct stream_summary){ .every_us = (uint64_t)interval_ms * 1000, .since_us = now_us };
}

uint64_t stream_summary_due_us(const struct stream_summary *sum)
{
	return sum->every_us ? sum->since_us + sum->every_us : 0;
}

void stream_summary_advance(struct stream_summary *sum, const struct r3d_stats *st, uint64_t now_us,
			    struct r3d_stats *prev, double *secs)
{
	*prev = sum->last;
	*secs = (double)(now_us - sum->since_us) / 1e6;
	if (*secs <= 0)
		*secs = 1e-6;
	sum->last = *st;
	sum->since_us = now_us;
}

void stream_summary_log(const struct r3d_stats *st, const struct r3d_stats *prev, double secs)
{
	const struct r3d_stage_stats *d = &st->stage[R3D_STAGE_DISPATCH], *x = &st->stage[R3D_STAGE_EXTRACT],
				     *e = &st->stage[R3D_STAGE_ENCODE], *t = &st->stage[R3D_STAGE_TOTAL];
	r3d_log(R3D_LOG_INFO,
		"stream stats, last %.1f s: marked %.1f/s, read back %.1f/s (owner thread GPU waits %.1f/s), "
		"encoded %.1f/s, dropped %.1f/s, %.2f Mbit/s; last %u frames (ms p50/p95/max): owner thread "
		"per readback %.2f/%.2f/%.2f, "
		"extract %.2f/%.2f, encode %.2f/%.2f, mark->handed %.2f/%.2f",
		secs, (double)(st->marked - prev->marked) / secs, (double)(st->readbacks - prev->readbacks) / secs,
		(double)(st->owner_gpu_waits - prev->owner_gpu_waits) / secs,
		(double)(st->encoded - prev->encoded) / secs, (double)(st->dropped - prev->dropped) / secs,
		(double)(st->bytes - prev->bytes) * 8 / secs / 1e6, (unsigned)d->window, d->median_us / 1e3,
		d->p95_us / 1e3, d->max_us / 1e3, x->median_us / 1e3, x->p95_us / 1e3, e->median_us / 1e3,
		e->p95_us / 1e3, t->median_us / 1e3, t->p95_us / 1e3);
	if (st->rate_control) {
		const struct r3d_rate_state *r = &st->rate;
		r3d_log(R3D_LOG_INFO,
			"rate control: %s, target %u kbit/s (encoder %u), fps cap %u, sent %.0f kbit/s at %.1f fps, "
			"delivery %.0f kbit/s, rtt %.1f ms (min %.1f), queueing %.1f ms, unsent %u B, "
			"in flight %u B (cap %u), held %llu times, TCP window dips %llu",
			r3d_rate_phase_name(r->phase), r->target_kbps, r->encoder_kbps, r->fps_cap, r->sent_kbps,
			r->sent_fps, r->delivery_kbps, r->srtt_us / 1e3, r->min_rtt_us / 1e3, r->queue_delay_us / 1e3,
			r->socket_unsent_bytes, r->inflight_bytes, r->inflight_cap_bytes, (unsigned long long)r->holds,
			(unsigned long long)r->tcp_dips);
	}
}
