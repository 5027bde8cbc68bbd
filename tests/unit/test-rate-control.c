/*
 * Rate control on a simulated link, 1 ms steps on a fake clock: a
 * bottleneck of capacity C with a FIFO queue and a one-way delay D, a
 * sender that hands a frame every 1/60 s when the sink is ready (newest
 * wins: a frame due while the previous is unwritten is dropped) and
 * within the fps cap, frames sized encoder_kbps / 60, TCP_INFO-like
 * samples every 50 ms. Each case prints what it measured.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/rate-control.h"

static int failures;
#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);          \
			printf(__VA_ARGS__);                                 \
			printf("\n");                                        \
			failures++;                                          \
		}                                                            \
	} while (0)

#define WRITTEN_BACKLOG 24000.0 /* bytes in the path beyond which a frame stays unwritten */

struct sim {
	struct r3d_rate_control rc;
	struct r3d_rate_state st;
	uint64_t now_us;
	double queue_bytes;   /* waiting at the bottleneck */
	double delay_ms;      /* one way */
	double (*capacity)(uint64_t t_us, void *opaque); /* bit/s */
	void *opaque;
	bool pending;         /* a frame handed, not yet written */
	double pending_bytes_left;
	double frame_credit;
	double sent_window, delivered_window;
	uint32_t retrans;
	double loss;          /* retransmitted share (counter only) */
	bool no_transport;
	unsigned long frames, dropped;
	double qdelay_ms;     /* the true queueing delay now */
};

static double const_cap(uint64_t t, void *o)
{
	(void)t;
	return *(double *)o;
}

static void sim_init(struct sim *s, unsigned start, unsigned min, unsigned max, double delay_ms,
		     double (*cap)(uint64_t, void *), void *opaque)
{
	memset(s, 0, sizeof(*s));
	struct r3d_rate_config c = { .start_kbps = start, .min_kbps = min, .max_kbps = max, .max_fps = 60,
				     .width = 1280, .height = 720 };
	s->now_us = 1000000;
	r3d_rate_control_init(&s->rc, &c, s->now_us);
	r3d_rate_control_decide(&s->rc, s->now_us, &s->st);
	s->delay_ms = delay_ms;
	s->capacity = cap;
	s->opaque = opaque;
}

/* Advance 1 ms. */
static void sim_step(struct sim *s)
{
	s->now_us += 1000;
	double c = s->capacity(s->now_us, s->opaque);
	double out = c / 8 / 1000; /* bytes this ms */
	double drained = s->queue_bytes < out ? s->queue_bytes : out;
	s->queue_bytes -= drained;
	s->delivered_window += drained;
	s->qdelay_ms = c > 0 ? s->queue_bytes * 8 / c * 1000 : 1e6;
	if (s->pending && s->queue_bytes <= WRITTEN_BACKLOG) {
		s->pending = false;
		r3d_rate_control_on_written(&s->rc, s->now_us, 0, 0, 0);
		r3d_rate_control_decide(&s->rc, s->now_us, &s->st);
	}
	/* 60 frames/s, within the cap */
	if (s->now_us % 16667 < 1000) {
		s->frame_credit += (double)s->st.fps_cap / 60.0;
		if (s->frame_credit >= 1.0) {
			s->frame_credit -= 1.0;
			if (s->pending) {
				s->dropped++;
			} else {
				double bytes = (double)s->st.encoder_kbps * 1000 / 8 / 60;
				bytes *= 0.7 + 0.6 * ((double)rand() / RAND_MAX); /* x264 is not exact */
				s->queue_bytes += bytes;
				s->sent_window += bytes;
				s->frames++;
				s->pending = s->queue_bytes > WRITTEN_BACKLOG;
				r3d_rate_control_on_frame(&s->rc, s->now_us, (uint32_t)bytes, false);
				if (!s->pending)
					r3d_rate_control_on_written(&s->rc, s->now_us, 0, 0, 0);
				r3d_rate_control_decide(&s->rc, s->now_us, &s->st);
			}
		}
	}
	if (s->now_us % 50000 == 0) {
		if (!s->no_transport) {
			double rtt = 2 * s->delay_ms * 1000 + s->qdelay_ms * 1000;
			bool limited = s->queue_bytes < 2000;
			s->retrans += (uint32_t)(s->loss * s->sent_window / 1448);
			struct r3d_transport_sample t = {
				.srtt_us = (uint32_t)(rtt > 4e9 ? 4e9 : rtt),
				.min_rtt_us = (uint32_t)(2 * s->delay_ms * 1000),
				.delivery_rate_bps = (uint64_t)(s->delivered_window * 20), /* bytes per 50 ms -> /s */
				.app_limited = limited,
				.retransmits_total = s->retrans,
			};
			r3d_rate_control_on_transport(&s->rc, s->now_us, &t);
		}
		s->sent_window = s->delivered_window = 0;
		r3d_rate_control_decide(&s->rc, s->now_us, &s->st);
	}
}

static void sim_run(struct sim *s, double seconds)
{
	for (long i = 0; i < (long)(seconds * 1000); i++)
		sim_step(s);
}

struct step {
	double before, after;
	uint64_t at_us;
	double again;       /* capacity after back_us (0 = none) */
	uint64_t back_us;
};

static double step_cap(uint64_t t, void *o)
{
	struct step *st = o;
	if (st->back_us && t >= st->back_us)
		return st->again;
	return t >= st->at_us ? st->after : st->before;
}

static void test_step_down(void)
{
	struct step cap = { 10e6, 1e6, 11000000, 0, 0 };
	struct sim s;
	sim_init(&s, 5500, 0, 5500, 25, step_cap, &cap);
	sim_run(&s, 10);
	CHECK(s.st.target_kbps >= 5000, "10 Mbit/s: target %u kept near the max 5500", s.st.target_kbps);
	/* the drop: when does the queue show, when is the target cut below 1 Mbit/s */
	double visible_ms = -1, cut_ms = -1, worst_after_2s = 0;
	for (int i = 0; i < 9000; i++) {
		sim_step(&s);
		double t = (double)(s.now_us - cap.at_us) / 1000;
		if (visible_ms < 0 && s.qdelay_ms > 30)
			visible_ms = t;
		if (cut_ms < 0 && s.st.target_kbps < 1000)
			cut_ms = t;
		if (t > 2000 && s.qdelay_ms > worst_after_2s)
			worst_after_2s = s.qdelay_ms;
	}
	double rtt_ms = 50 + 30, frame_ms = 16.7;
	printf("step down 10->1 Mbit/s: queue visible after %.0f ms, target < 1 Mbit/s after %.0f ms "
	       "(%.0f ms later), worst queueing 2-9 s after: %.0f ms, target now %u kbit/s, fps cap %u\n",
	       visible_ms, cut_ms, cut_ms - visible_ms, worst_after_2s, s.st.target_kbps, s.st.fps_cap);
	CHECK(cut_ms >= 0 && cut_ms - visible_ms <= 2 * rtt_ms + frame_ms + 50,
	      "cut within 2 RTT + 1 frame of the queue showing (%.0f ms)", cut_ms - visible_ms);
	CHECK(worst_after_2s < 120, "the queue stays drained after 2 s (worst %.0f ms)", worst_after_2s);
	CHECK(s.st.target_kbps > 400, "the target does not collapse (%u)", s.st.target_kbps);
}

static void test_step_up(void)
{
	struct step cap = { 2e6, 20e6, 11000000, 0, 0 };
	struct sim s;
	sim_init(&s, 2000, 0, 8000, 25, step_cap, &cap);
	sim_run(&s, 10);
	CHECK(s.st.target_kbps < 2200, "2 Mbit/s: target %u below the link", s.st.target_kbps);
	double t80 = -1;
	for (int i = 0; i < 10000 && t80 < 0; i++) {
		sim_step(&s);
		if (s.now_us > cap.at_us && s.st.target_kbps >= 0.8 * 8000)
			t80 = (double)(s.now_us - cap.at_us) / 1e6;
	}
	printf("step up 2->20 Mbit/s: 80%% of max 8000 kbit/s after %.2f s\n", t80);
	CHECK(t80 >= 0 && t80 <= 5, "80%% of max within 5 s (%.2f s)", t80);
}

static void test_steady(void)
{
	double c = 3e6;
	struct sim s;
	sim_init(&s, 5000, 0, 8000, 25, const_cap, &c);
	sim_run(&s, 10);
	double sum = 0, mn = 1e9, mx = 0, qsum = 0;
	int n = 0;
	for (int i = 0; i < 20000; i++) {
		sim_step(&s);
		if (i % 100 == 0) {
			sum += s.st.target_kbps;
			mn = fmin(mn, s.st.target_kbps);
			mx = fmax(mx, s.st.target_kbps);
			qsum += s.qdelay_ms;
			n++;
		}
	}
	double mean = sum / n;
	printf("steady 3 Mbit/s: target mean %.0f kbit/s, min %.0f (%+.0f%%), max %.0f (%+.0f%%), "
	       "mean queueing %.1f ms\n", mean, mn, (mn / mean - 1) * 100, mx, (mx / mean - 1) * 100, qsum / n);
	CHECK(mn >= 0.85 * mean && mx <= 1.15 * mean, "within +-15%% of the mean");
	CHECK(mean < 3000 && mean > 1800, "mean %.0f below the 3000 kbit/s link and not far below", mean);
	CHECK(qsum / n < 40, "mean queueing %.1f ms stays short", qsum / n);
}

static void test_loss_is_no_congestion(void)
{
	double c = 10e6;
	struct sim s;
	sim_init(&s, 4000, 0, 5500, 25, const_cap, &c);
	s.loss = 0.02;
	sim_run(&s, 20);
	printf("2%% loss, 10 Mbit/s: target %u kbit/s (max 5500)\n", s.st.target_kbps);
	CHECK(s.st.target_kbps >= 5000, "loss alone does not cut the rate (%u)", s.st.target_kbps);
}

static void test_lan_never_throttled(void)
{
	double c = 1e9;
	struct sim s;
	sim_init(&s, 5500, 0, 5500, 0.05, const_cap, &c);
	unsigned lowest = 100000;
	for (int i = 0; i < 20000; i++) {
		sim_step(&s);
		if (s.st.target_kbps < lowest)
			lowest = s.st.target_kbps;
	}
	printf("lan: lowest target %u kbit/s, fps cap %u, encoder %u\n", lowest, s.st.fps_cap, s.st.encoder_kbps);
	CHECK(lowest >= 5500, "never below the max on a LAN (%u)", lowest);
	CHECK(s.st.fps_cap == 60, "no fps cap on a LAN (%u)", s.st.fps_cap);
}

static void test_outage(void)
{
	struct step cap = { 10e6, 0, 11000000, 10e6, 14000000 };
	struct sim s;
	sim_init(&s, 5500, 0, 5500, 25, step_cap, &cap);
	sim_run(&s, 10);
	bool stalled = false;
	for (int i = 0; i < 3000; i++) {
		sim_step(&s);
		stalled |= s.st.phase == R3D_RATE_STALLED;
	}
	unsigned during = s.st.target_kbps;
	double back_ms = -1;
	for (int i = 0; i < 5000; i++) {
		sim_step(&s);
		if (back_ms < 0 && s.now_us > cap.back_us + 100000 && s.qdelay_ms < 50)
			back_ms = (double)(s.now_us - cap.back_us) / 1000;
	}
	printf("3 s outage: stalled phase seen %d, target during %u kbit/s, queueing < 50 ms %.0f ms after "
	       "the return, target 5 s after %u\n", stalled, during, back_ms, s.st.target_kbps);
	CHECK(stalled, "an outage is seen as a stall");
	CHECK(during > 500, "the outage alone does not drive the target to the minimum (%u)", during);
	CHECK(back_ms >= 0 && back_ms <= 2000, "latency recovers within 2 s of the return (%.0f ms)", back_ms);
	CHECK(s.st.target_kbps >= 3000, "the rate comes back (%u)", s.st.target_kbps);
}

static void test_no_transport(void)
{
	double c = 1e6;
	struct sim s;
	sim_init(&s, 5500, 0, 5500, 25, const_cap, &c);
	s.no_transport = true;
	sim_run(&s, 20);
	printf("no TCP_INFO, 1 Mbit/s: target %u kbit/s, queueing now %.0f ms, dropped %lu of %lu\n",
	       s.st.target_kbps, s.qdelay_ms, s.dropped, s.frames + s.dropped);
	CHECK(s.st.target_kbps < 1200, "written events alone bring the target to the link (%u)", s.st.target_kbps);
}

static void test_bad_inputs(void)
{
	struct r3d_rate_control rc;
	struct r3d_rate_state st;
	struct r3d_rate_config c = { .start_kbps = 3000, .max_fps = 60, .width = 640, .height = 480 };
	r3d_rate_control_init(&rc, &c, 5000000);
	struct r3d_transport_sample zero = { 0 }, absurd = { .srtt_us = UINT32_MAX, .min_rtt_us = UINT32_MAX,
							    .delivery_rate_bps = UINT64_MAX };
	r3d_rate_control_on_transport(&rc, 5001000, &zero);
	r3d_rate_control_on_transport(&rc, 5002000, &absurd);
	r3d_rate_control_on_transport(&rc, 5003000, NULL);
	r3d_rate_control_decide(&rc, 5004000, &st);
	CHECK(st.target_kbps >= 100 && st.target_kbps <= 12000, "zero/absurd samples ignored (%u)", st.target_kbps);
	/* the clock goes back, then jumps an hour */
	r3d_rate_control_on_frame(&rc, 4000000, 10000, true);
	r3d_rate_control_decide(&rc, 3000000, &st);
	uint64_t hour = 5004000 + 3600ull * 1000000;
	r3d_rate_control_on_written(&rc, hour, 0, 0, 0);
	r3d_rate_control_decide(&rc, hour, &st);
	CHECK(st.target_kbps >= 100 && st.target_kbps <= 12000 && st.fps_cap >= 10 && st.fps_cap <= 60,
	      "clock back and jump: target %u, cap %u in range", st.target_kbps, st.fps_cap);
	CHECK(st.phase != R3D_RATE_STALLED, "a clock jump is no stall");
	struct r3d_rate_control z;
	r3d_rate_control_init(&z, NULL, 0);
	r3d_rate_control_decide(&z, 0, &st);
	CHECK(st.target_kbps > 0 && st.encoder_kbps > 0, "no config: defaults (%u)", st.target_kbps);
}

static void test_fps_cap(void)
{
	struct step cap = { 0.5e6, 8e6, 21000000, 0, 0 };
	struct sim s;
	sim_init(&s, 5500, 0, 5500, 25, step_cap, &cap);
	sim_run(&s, 20);
	unsigned low_cap = s.st.fps_cap;
	double bpp = (double)s.st.encoder_kbps * 1000 / 60 / (1280 * 720);
	double bpp_sent = s.st.sent_fps > 0 ? s.st.sent_kbps * 1000 / s.st.sent_fps / (1280 * 720) : 0;
	printf("0.5 Mbit/s: fps cap %u, target %u, encoder %u kbit/s, bits/pixel per frame sent %.3f "
	       "(encoder's nominal %.3f)\n", low_cap, s.st.target_kbps, s.st.encoder_kbps, bpp_sent, bpp);
	CHECK(low_cap < 60 && low_cap >= 10, "a slow link caps the frame rate (%u)", low_cap);
	CHECK(s.st.encoder_kbps > s.st.target_kbps, "the encoder's bits per frame follow the frames sent "
	      "(%u > %u)", s.st.encoder_kbps, s.st.target_kbps);
	sim_run(&s, 10);
	printf("8 Mbit/s again: fps cap %u, target %u\n", s.st.fps_cap, s.st.target_kbps);
	CHECK(s.st.fps_cap == 60, "the cap rises with the rate (%u)", s.st.fps_cap);
}

static void test_config(void)
{
	const char *why = NULL;
	struct r3d_rate_config ok = { .start_kbps = 2000, .min_kbps = 500, .max_kbps = 4000 };
	struct r3d_rate_config bad1 = { .start_kbps = 2000, .min_kbps = 3000, .max_kbps = 1000 };
	struct r3d_rate_config bad2 = { .start_kbps = 9000, .min_kbps = 500, .max_kbps = 4000 };
	struct r3d_rate_config bad3 = { .start_kbps = 100, .min_kbps = 500, .max_kbps = 4000 };
	struct r3d_rate_config bad4 = { .width = -1 };
	CHECK(r3d_rate_config_check(&ok, &why) && !why, "a sane config passes");
	CHECK(!r3d_rate_config_check(&bad1, &why) && why && strstr(why, "min"), "min > max refused: %s", why);
	CHECK(!r3d_rate_config_check(&bad2, &why) && why && strstr(why, "above"), "start > max refused: %s", why);
	CHECK(!r3d_rate_config_check(&bad3, &why) && why && strstr(why, "below"), "start < min refused: %s", why);
	CHECK(!r3d_rate_config_check(&bad4, &why), "negative size refused");
	CHECK(!r3d_rate_config_check(NULL, &why), "NULL refused");
	for (int p = R3D_RATE_START; p <= R3D_RATE_STALLED; p++)
		CHECK(strcmp(r3d_rate_phase_name(p), "?") != 0, "phase %d has a name", p);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "all";
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "step-down", test_step_down }, { "step-up", test_step_up }, { "steady", test_steady },
		{ "loss", test_loss_is_no_congestion }, { "lan", test_lan_never_throttled },
		{ "outage", test_outage }, { "no-transport", test_no_transport },
		{ "bad-inputs", test_bad_inputs }, { "fps-cap", test_fps_cap }, { "config", test_config },
	};
	bool ran = false;
	srand(1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(which, "all") == 0 || strcmp(which, cases[i].name) == 0) {
			cases[i].fn();
			ran = true;
		}
	}
	if (!ran) {
		fprintf(stderr, "unknown case %s\n", which);
		return 2;
	}
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
