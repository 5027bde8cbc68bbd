#include <stdlib.h>
#include <string.h>

#include "remote3d/stats.h"

static const char *const stage_names[R3D_STAGE_COUNT] = {
	[R3D_STAGE_WAIT] = "wait",       [R3D_STAGE_EXTRACT] = "extract",
	[R3D_STAGE_ENCODE] = "encode",   [R3D_STAGE_HANDOFF] = "handoff",
	[R3D_STAGE_TOTAL] = "total",     [R3D_STAGE_MARK] = "mark",
	[R3D_STAGE_DISPATCH] = "dispatch",
};

const char *r3d_stage_name(enum r3d_stage stage)
{
	return (unsigned)stage < R3D_STAGE_COUNT ? stage_names[stage] : "?";
}

void r3d_stats_window_add(struct r3d_stats_window *w, uint64_t us)
{
	w->samples[w->next] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	w->next = (w->next + 1) % R3D_STATS_WINDOW;
	if (w->n < R3D_STATS_WINDOW)
		w->n++;
	w->count++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile over the sorted samples. */
static uint32_t percentile(const uint32_t *sorted, unsigned n, unsigned pct)
{
	unsigned rank = (pct * n + 99) / 100; /* ceil(pct/100 * n), 1-based */
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

void r3d_stats_window_summary(const struct r3d_stats_window *w, struct r3d_stage_stats *out)
{
	uint32_t sorted[R3D_STATS_WINDOW];
	double sum = 0;

	memset(out, 0, sizeof(*out));
	out->count = w->count;
	out->window = w->n;
	if (!w->n)
		return;
	memcpy(sorted, w->samples, w->n * sizeof(sorted[0]));
	qsort(sorted, w->n, sizeof(sorted[0]), cmp_u32);
	for (unsigned i = 0; i < w->n; i++)
		sum += sorted[i];
	out->median_us = percentile(sorted, w->n, 50);
	out->p95_us = percentile(sorted, w->n, 95);
	out->max_us = sorted[w->n - 1];
	out->mean_us = sum / w->n;
}

void r3d_stats_print_json(const struct r3d_stats *st, FILE *f)
{
	fprintf(f,
		"{\"marked\":%llu,\"extracted\":%llu,\"encoded\":%llu,\"dropped\":%llu,"
		"\"handed\":%llu,\"refreshes\":%llu,\"partial_damage\":%llu,"
		"\"full_damage\":%llu,\"damage_fraction_mean\":%.4f,\"readbacks\":%llu,"
		"\"extract_errors\":%llu,\"encode_errors\":%llu,\"keyframes\":%llu,"
		"\"keyframe_requests\":%llu,\"bytes\":%llu,\"readback_bytes\":%llu,\"owner_gpu_waits\":%llu,"
		"\"client_frames\":%u,\"client_drops\":%u,\"client_margin_ms\":%d,"
		"\"queue_frames\":%u,\"queue_bytes\":%llu,\"bitrate_kbps\":%u,",
		(unsigned long long)st->marked, (unsigned long long)st->extracted,
		(unsigned long long)st->encoded, (unsigned long long)st->dropped,
		(unsigned long long)st->handed, (unsigned long long)st->refreshes,
		(unsigned long long)st->partial_damage, (unsigned long long)st->full_damage,
		st->damage_fraction_mean, (unsigned long long)st->readbacks,
		(unsigned long long)st->extract_errors,
		(unsigned long long)st->encode_errors, (unsigned long long)st->keyframes,
		(unsigned long long)st->keyframe_requests, (unsigned long long)st->bytes,
		(unsigned long long)st->readback_bytes, (unsigned long long)st->owner_gpu_waits,
		st->client_frames, st->client_drops, st->client_margin_ms, st->queue_frames, (unsigned long long)st->queue_bytes,
		st->bitrate_kbps);
	if (st->rate_control) {
		const struct r3d_rate_state *r = &st->rate;
		fprintf(f,
			"\"rate_control\":{\"phase\":\"%s\",\"target_kbps\":%u,\"encoder_kbps\":%u,"
			"\"fps_cap\":%u,\"sent_kbps\":%.1f,\"sent_fps\":%.2f,\"delivery_kbps\":%.1f,"
			"\"capacity_kbps\":%.1f,\"srtt_ms\":%.2f,\"min_rtt_ms\":%.2f,\"queue_delay_ms\":%.2f,"
			"\"socket_unsent_bytes\":%u,\"inflight_bytes\":%u,\"inflight_cap_bytes\":%u,"
			"\"holds\":%llu,\"decreases\":%llu,\"increases\":%llu,\"tcp_dips\":%llu},",
			r3d_rate_phase_name(r->phase), r->target_kbps, r->encoder_kbps, r->fps_cap, r->sent_kbps,
			r->sent_fps, r->delivery_kbps, r->capacity_kbps, r->srtt_us / 1e3, r->min_rtt_us / 1e3,
			r->queue_delay_us / 1e3, r->socket_unsent_bytes, r->inflight_bytes, r->inflight_cap_bytes,
			(unsigned long long)r->holds, (unsigned long long)r->decreases,
			(unsigned long long)r->increases, (unsigned long long)r->tcp_dips);
	}
	fputs("\"stages\":{", f);
	for (int i = 0; i < R3D_STAGE_COUNT; i++) {
		const struct r3d_stage_stats *s = &st->stage[i];
		fprintf(f,
			"%s\"%s\":{\"count\":%llu,\"window\":%u,\"median_us\":%u,\"p95_us\":%u,"
			"\"max_us\":%u,\"mean_us\":%.1f}",
			i ? "," : "", stage_names[i], (unsigned long long)s->count, s->window,
			s->median_us, s->p95_us, s->max_us, s->mean_us);
	}
	fputs("}}", f);
}
