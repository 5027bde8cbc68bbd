/*
 * Rate control starts afresh for the next client when the last one left:
 *  - a stream (CPU source, x264, rate control on, start 3000 kbit/s) whose
 *    sink reports a link that queues (the RTT of the display socket grows
 *    20 -> 470 ms while about 500 kbit/s arrive) cuts its bitrate;
 *  - after r3d_stream_sink_gone() (no client: a killed client's last
 *    samples are such a queue) the bitrate is back at the start, the
 *    controller's phase is "start" and its frame rate cap is the nominal
 *    one, and the TCP window dip counter kept its count;
 *  - the next client's frames are encoded at that bitrate.
 * Without the restart, the next client got the dead client's cut: 4 s of
 * an unreadable picture after a reconnect over a good link (e2e reconnect).
 */
#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remote3d/clock.h"
#include "remote3d/stream.h"

#define W 320
#define H 240
#define START_KBPS 3000
#define STEP_US 20000

struct sink {
	atomic_int received;
	atomic_bool wake;
	int written; /* frames the sink reported written */
};

static void on_au(void *opaque, struct r3d_access_unit *au)
{
	struct sink *k = opaque;

	atomic_fetch_add(&k->received, 1);
	r3d_access_unit_free(au);
}

static void on_wakeup(void *opaque)
{
	atomic_store(&((struct sink *)opaque)->wake, true);
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* One step of a frame: mark it, dispatch when asked; as spice-server
 * does, a frame handed since the last step is written (queue empty) and
 * the sink has room again. */
static void step(struct r3d_stream *s, struct sink *k, uint8_t *px, int n)
{
	memset(px, n * 37, (size_t)W * H * 4);
	r3d_stream_mark_dirty(s, NULL);
	if (atomic_exchange(&k->wake, false))
		r3d_stream_dispatch(s);
	sleep_us(STEP_US);
	int got = atomic_load(&k->received);
	if (got != k->written) {
		k->written = got;
		r3d_stream_queue_state(s, 0, 0);
		r3d_stream_sink_ready(s);
	}
}

static void print_rate(const char *when, const struct r3d_stats *st)
{
	printf("%s: bitrate %u kbit/s, phase %s, target %u, encoder %u, fps cap %u, tcp dips %llu\n",
	       when, st->bitrate_kbps, r3d_rate_phase_name(st->rate.phase), st->rate.target_kbps,
	       st->rate.encoder_kbps, st->rate.fps_cap, (unsigned long long)st->rate.tcp_dips);
}

int main(void)
{
	struct sink k = { 0 };

	setvbuf(stdout, NULL, _IONBF, 0);
	struct r3d_stream_config cfg = {
		.width = W,
		.height = H,
		.encoder = "x264",
		.bitrate_kbps = START_KBPS,
		.rate_control = true,
		.max_bitrate_kbps = START_KBPS,
		.on_access_unit = on_au,
		.wakeup = on_wakeup,
		.opaque = &k,
	};
	char *err = NULL;
	struct r3d_stream *s = r3d_stream_create(&cfg, &err);
	if (!s) {
		fprintf(stderr, "skip: %s\n", err ? err : "no stream");
		free(err);
		return 77;
	}
	uint8_t *px = calloc((size_t)W * H, 4);
	assert(px);
	assert(r3d_stream_set_source_cpu(s, px, W, H, W * 4, R3D_FORMAT_BGRA));
	r3d_stream_sink_ready(s);

	struct r3d_stats st;
	r3d_stream_get_stats(s, &st);
	print_rate("start", &st);
	assert(st.rate_control && st.bitrate_kbps == START_KBPS);
	unsigned nominal_fps = st.rate.fps_cap;

	/* a queueing link: the RTT grows by 15 ms a step, ~500 kbit/s arrive,
	 * one TCP window dip (4 segments) in the middle */
	for (int i = 0; i < 30; i++) {
		struct r3d_transport_sample t = {
			.srtt_us = 20000 + 15000 * (uint32_t)i,
			.rttvar_us = 5000,
			.min_rtt_us = 20000,
			.delivery_rate_bps = 62500 + 100 * (uint64_t)i, /* bytes/s; changing: new ACKs */
			.unacked_bytes = 60000,
			.notsent_bytes = 20000 + 4000 * (uint32_t)i,
			.cwnd_bytes = i == 15 ? 4 * 1448 : 64000,
		};
		r3d_stream_transport_sample(s, &t);
		step(s, &k, px, i);
	}
	r3d_stream_get_stats(s, &st);
	print_rate("after the queueing link", &st);
	assert(st.bitrate_kbps < START_KBPS * 7 / 10);
	assert(st.rate.tcp_dips == 1);
	int before = atomic_load(&k.received);
	assert(before > 0);

	/* the last client leaves */
	r3d_stream_sink_gone(s);
	r3d_stream_get_stats(s, &st);
	print_rate("no client", &st);
	assert(st.bitrate_kbps == START_KBPS);
	assert(st.rate.phase == R3D_RATE_START);
	assert(st.rate.target_kbps == START_KBPS && st.rate.encoder_kbps == START_KBPS);
	assert(st.rate.fps_cap == nominal_fps);
	assert(st.rate.tcp_dips == 1);

	/* the next client, over a good link: frames again, at the start bitrate */
	r3d_stream_sink_ready(s);
	for (int i = 0; i < 10 || (i < 100 && atomic_load(&k.received) == before); i++) {
		struct r3d_transport_sample t = {
			.srtt_us = 20000,
			.rttvar_us = 2000,
			.min_rtt_us = 20000,
			.delivery_rate_bps = 1250000 + 1000 * (uint64_t)i, /* 10 Mbit/s */
			.app_limited = true,
			.unacked_bytes = 3000,
			.cwnd_bytes = 64000,
		};
		r3d_stream_transport_sample(s, &t);
		step(s, &k, px, 100 + i);
	}
	r3d_stream_get_stats(s, &st);
	print_rate("next client", &st);
	assert(atomic_load(&k.received) > before);
	assert(st.bitrate_kbps >= START_KBPS * 9 / 10);

	r3d_stream_destroy(s);
	free(px);
	printf("ok: the next client starts at %u kbit/s, not at the last one's cut\n", START_KBPS);
	return 0;
}
