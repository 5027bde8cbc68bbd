/*
 * The stream with a CPU source and x264, the sink simulated by the test:
 *  - marks with no sink read nothing back (readback_bytes stays 0);
 *  - frames marked much faster than the sink takes them (every 2 ms vs one
 *    per 25 ms): extracted == encoded == handed <= marked, the rest counted
 *    as dropped, and the stamps of the handed frames strictly increase and
 *    decode (newest wins);
 *  - a keyframe request gives an IDR as the next access unit, also for a
 *    static picture (a repaint);
 *  - a sink that stops saying it has room (spice-server without a client)
 *    gets at most the one frame more its depth allows, then nothing is
 *    extracted;
 *  - stats hold per-stage figures and print as JSON.
 */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "h264-decode.h"
#include "remote3d/stream.h"
#include "stamp.h"

#define W 640
#define H 368
#define MAX_AU 512

struct sink {
	pthread_mutex_t lock;
	struct r3d_access_unit *aus[MAX_AU];
	int n;
	atomic_bool wake;
};

static void on_au(void *opaque, struct r3d_access_unit *au)
{
	struct sink *k = opaque;
	pthread_mutex_lock(&k->lock);
	assert(k->n < MAX_AU);
	k->aus[k->n++] = au;
	pthread_mutex_unlock(&k->lock);
}

static void on_wakeup(void *opaque)
{
	struct sink *k = opaque;
	atomic_store(&k->wake, true);
}

static int received(struct sink *k)
{
	pthread_mutex_lock(&k->lock);
	int n = k->n;
	pthread_mutex_unlock(&k->lock);
	return n;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* A textured picture with a band that moves 8 pixels a frame, and the
 * stamp. (Not a picture that is new everywhere in every frame: with one
 * frame of VBV, 6 KB a frame at 3 Mbit/s, x264 then starves the stamp too
 * and a busy machine's larger gaps between frames made it unreadable.) */
static void draw(uint8_t *px, uint32_t n)
{
	int band = (int)(n * 8 % W);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint8_t *p = px + ((size_t)y * W + x) * 4;
			bool in_band = x >= band && x < band + 32;
			p[0] = in_band ? 0x20 : (uint8_t)x;
			p[1] = in_band ? 0xE0 : (uint8_t)y;
			p[2] = (uint8_t)(x ^ y);
			p[3] = 0xFF;
		}
	struct r3d_stamp st = { .frame = n, .time_us = r3d_time_us() };
	r3d_stamp_draw_32(px, W, H, W * 4, 0, 0, &st);
}

/* Owner loop for `us`: mark a new frame every 2 ms, dispatch when woken,
 * the sink takes one frame per 25 ms. */
static void run(struct r3d_stream *s, struct sink *k, uint8_t *px, uint32_t *frame, long us, bool sink_active)
{
	uint64_t end = r3d_time_us() + (uint64_t)us, next_mark = 0, next_ready = 0;
	int seen = received(k);
	while (r3d_time_us() < end) {
		uint64_t now = r3d_time_us();
		if (now >= next_mark) {
			draw(px, ++*frame);
			r3d_stream_mark_dirty(s, NULL);
			next_mark = now + 2000;
		}
		if (atomic_exchange(&k->wake, false))
			r3d_stream_dispatch(s);
		int n = received(k);
		if (sink_active && n > seen && next_ready == 0)
			next_ready = now + 25000; /* the sink "sends" it for 25 ms */
		if (next_ready && now >= next_ready) {
			seen = n;
			next_ready = 0;
			r3d_stream_sink_ready(s);
		}
		sleep_us(500);
	}
}

static void wait_idle(struct r3d_stream *s)
{
	struct r3d_stats st;
	for (int i = 0; i < 400; i++) {
		r3d_stream_get_stats(s, &st);
		if (st.handed + st.encode_errors == st.extracted)
			return;
		sleep_us(10000);
	}
	assert(!"encoder did not finish");
}

int main(void)
{
	struct sink k = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char *error = NULL;
	char *why = NULL;
	setvbuf(stdout, NULL, _IOLBF, 0); /* what was printed survives a failed assert */
	if (!r3d_encoder_available("x264", &why)) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	atomic_init(&k.wake, false);
	struct r3d_stream_config cfg = {
		.width = W, .height = H, .encoder = "x264", .bitrate_kbps = 3000,
		.on_access_unit = on_au, .wakeup = on_wakeup, .opaque = &k,
	};
	struct r3d_stream *s = r3d_stream_create(&cfg, &error);
	if (!s)
		fprintf(stderr, "%s\n", error);
	assert(s);
	assert(strcmp(r3d_stream_encoder_name(s), "x264") == 0);
	uint8_t *px = malloc((size_t)W * H * 4);
	assert(px);
	uint32_t frame = 0;
	assert(r3d_stream_set_source_cpu(s, px, W, H, W * 4, R3D_FORMAT_BGRX));

	/* no sink: marks cost no readback */
	run(s, &k, px, &frame, 100000, false);
	for (int i = 0; i < 5; i++)
		r3d_stream_dispatch(s);
	struct r3d_stats st;
	r3d_stream_get_stats(s, &st);
	printf("no sink: marked %llu extracted %llu readback %llu bytes\n", (unsigned long long)st.marked,
	       (unsigned long long)st.extracted, (unsigned long long)st.readback_bytes);
	assert(st.marked >= 10 && st.extracted == 0 && st.readback_bytes == 0 && received(&k) == 0);

	/* a slow sink */
	r3d_stream_sink_ready(s);
	run(s, &k, px, &frame, 1500000, true);
	wait_idle(s);
	r3d_stream_get_stats(s, &st);
	r3d_stats_print_json(&st, stdout);
	putchar('\n');
	assert(st.extracted == st.encoded && st.encoded == st.handed);
	assert(st.extracted >= 20 && st.extracted < st.marked);
	assert(st.dropped >= st.marked / 2);
	assert(st.marked == st.extracted + st.dropped || st.marked == st.extracted + st.dropped + 1);
	assert(st.readback_bytes == st.extracted * (uint64_t)W * H * 4);
	assert(st.stage[R3D_STAGE_ENCODE].window == st.encoded && st.stage[R3D_STAGE_ENCODE].median_us > 0);
	assert(st.stage[R3D_STAGE_MARK].count == st.marked);
	assert((int)st.handed == received(&k));

	/* a keyframe request on a static picture: a repaint that is an IDR */
	int before = received(&k);
	r3d_stream_sink_ready(s);
	wait_idle(s);
	r3d_stream_request_keyframe(s);
	for (int i = 0; i < 200 && received(&k) == before; i++) {
		if (atomic_exchange(&k.wake, false))
			r3d_stream_dispatch(s);
		sleep_us(5000);
	}
	assert(received(&k) == before + 1);
	assert(k.aus[before]->keyframe);

	/* no more room said: at most the pipelined frame, then nothing is read back */
	wait_idle(s);
	r3d_stream_get_stats(s, &st);
	uint64_t extracted = st.extracted;
	run(s, &k, px, &frame, 100000, false);
	wait_idle(s);
	r3d_stream_get_stats(s, &st);
	assert(st.extracted <= extracted + 1);
	extracted = st.extracted;
	run(s, &k, px, &frame, 100000, false);
	for (int i = 0; i < 5; i++)
		r3d_stream_dispatch(s);
	r3d_stream_get_stats(s, &st);
	assert(st.extracted == extracted);

	/* every handed access unit decodes and its stamps increase */
	struct h264_decoder *dec = h264_decoder_new();
	assert(dec);
	assert(k.aus[0]->keyframe);
	for (int i = 0; i < k.n; i++)
		assert(h264_decoder_push(dec, k.aus[i]->data, k.aus[i]->size));
	int count = 0;
	struct decoded_picture *pics = h264_decoder_finish(dec, &count);
	assert(count == k.n);
	uint32_t last = 0;
	for (int i = 0; i < count; i++) {
		struct r3d_image_view v = { pics[i].data, pics[i].width, pics[i].height, pics[i].stride, 4 };
		struct r3d_stamp stamp;
		if (!r3d_stamp_read(&v, 0, 0, &stamp)) {
			printf("picture %d of %d (%zu bytes%s, after frame %u): stamp unreadable\n", i, count,
			       k.aus[i]->size, k.aus[i]->keyframe ? ", IDR" : "", last);
			for (int j = 0; j < k.n; j++)
				printf(" %zu%s", k.aus[j]->size, k.aus[j]->keyframe ? "K" : "");
			printf("\n");
			assert(!"stamp unreadable");
		}
		/* the repaint repeats the last picture; otherwise strictly newer */
		assert(stamp.frame > last || (i == before && stamp.frame == last));
		assert(k.aus[i]->timing.seq == (uint32_t)i + 1);
		last = stamp.frame;
		free(pics[i].data);
	}
	printf("handed %d frames of %u marked; stamps increase\n", count, frame);
	free(pics);
	for (int i = 0; i < k.n; i++)
		r3d_access_unit_free(k.aus[i]);
	r3d_stream_destroy(s);
	free(px);

	/* a bad encoder name fails at create */
	error = NULL;
	cfg.encoder = "bogus";
	assert(!r3d_stream_create(&cfg, &error) && error && strstr(error, "bogus"));
	free(error);
	return 0;
}
