/* The frame source's lazy newest-wins logic, driven by a fake clock.
 * Each test's name states the behaviour it proves. The tests that hold for
 * both schedules run in each (serial: one frame from extraction to
 * written; pipelined: the next extraction overlaps the current encode). */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "frame-source.h" /* encoder/: the library's own */

static uint64_t fake_now;
static uint64_t fake_clock_now(void *opaque)
{
	(void)opaque;
	return fake_now;
}
static const struct r3d_clock fake_clock = { fake_clock_now, NULL };

static bool serial; /* the schedule setup() configures */

static void setup(struct r3d_frame_source *fs, unsigned max_fps)
{
	struct r3d_frame_source_config cfg = {
		.width = 640, .height = 480, .max_fps = max_fps, .clock = &fake_clock, .serial = serial,
	};
	fake_now = 1000000;
	r3d_frame_source_init(fs, &cfg);
}

/* Frames begun and not yet encoded: extracting, waiting for or in the encoder. */
static unsigned in_flight(const struct r3d_frame_source *fs)
{
	return (fs->extracting ? 1u : 0u) + (fs->queued ? 1u : 0u) + (fs->encoding ? 1u : 0u);
}

static void check_invariant(const struct r3d_frame_source *fs)
{
	struct r3d_frame_counters c;
	r3d_frame_source_get_counters(fs, &c);
	/* a frame between begin_extract and extracted is in none of the counters */
	assert(c.marked == c.extracted + c.dropped + (fs->pending ? 1 : 0) + (fs->extracting ? 1 : 0));
	assert(c.extracted == c.encoded + c.encode_errors + (fs->queued ? 1 : 0) + (fs->encoding ? 1 : 0));
	assert(c.encoded == c.handed + (fs->handing ? 1 : 0));
	/* every readback begun is encoded, failed, or still in flight */
	assert(c.begun == c.encoded + c.encode_errors + c.extract_errors + in_flight(fs));
}

/* run one frame through: begin, extracted, encoded, handed */
static void complete(struct r3d_frame_source *fs, struct r3d_frame_ticket *t)
{
	r3d_frame_source_extracted(fs, t);
	r3d_frame_source_encoded(fs, &t->timing);
	r3d_frame_source_handed(fs, &t->timing);
}

static void test_dirty_mark_without_sink_extracts_nothing(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	for (int i = 0; i < 100; i++)
		assert(!r3d_frame_source_mark_dirty(&fs, NULL));
	assert(!r3d_frame_source_should_extract(&fs, NULL));
	assert(!r3d_frame_source_begin_extract(&fs, &t));
	assert(fs.counters.marked == 100 && fs.counters.dropped == 99 && fs.counters.extracted == 0);
	check_invariant(&fs);
}

static void test_ready_sink_and_idle_encoder_extract_the_pending_frame(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	assert(!r3d_frame_source_sink_ready(&fs)); /* nothing dirty yet */
	assert(r3d_frame_source_mark_dirty(&fs, NULL));
	fake_now += 5;
	assert(r3d_frame_source_begin_extract(&fs, &t));
	assert(t.timing.seq == 1 && t.timing.dirty_us == 1000000 && t.timing.extract_start_us == 1000005);
	assert(t.full_damage);
	fake_now += 100;
	r3d_frame_source_extracted(&fs, &t);
	assert(t.timing.extracted_us == 1000105);
	assert(fs.counters.extracted == 1 && fs.counters.dropped == 0);
	check_invariant(&fs);
}

static void test_newer_mark_replaces_unextracted_one_and_counts_a_drop(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_mark_dirty(&fs, NULL);
	fake_now += 10;
	r3d_frame_source_mark_dirty(&fs, NULL);
	fake_now += 10;
	r3d_frame_source_mark_dirty(&fs, NULL);
	r3d_frame_source_sink_ready(&fs);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	assert(t.timing.dirty_us == 1000020); /* the newest mark's time */
	assert(fs.counters.marked == 3 && fs.counters.dropped == 2);
	check_invariant(&fs);
}

static void test_busy_encoder_holds_back_extraction_until_encoded(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t1, t2;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t1));
	r3d_frame_source_extracted(&fs, &t1);
	r3d_frame_source_mark_dirty(&fs, NULL);
	r3d_frame_source_sink_ready(&fs); /* the sink has room, but the encoder is busy */
	assert(!r3d_frame_source_should_extract(&fs, NULL));
	assert(!r3d_frame_source_begin_extract(&fs, &t2));
	r3d_frame_source_encoded(&fs, &t1.timing);
	assert(r3d_frame_source_should_extract(&fs, NULL));
	assert(r3d_frame_source_begin_extract(&fs, &t2));
	assert(t2.timing.seq == 2);
	check_invariant(&fs);
}

static void test_sink_room_is_consumed_by_one_frame(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	complete(&fs, &t);
	/* the encoder is idle, but the sink has not said it has room again */
	assert(!r3d_frame_source_mark_dirty(&fs, NULL));
	assert(!r3d_frame_source_begin_extract(&fs, &t));
	assert(r3d_frame_source_sink_ready(&fs));
	assert(r3d_frame_source_begin_extract(&fs, &t));
	check_invariant(&fs);
}

static void test_no_dirty_mark_means_no_extraction(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	complete(&fs, &t);
	assert(!r3d_frame_source_sink_ready(&fs)); /* a static picture: nothing to do */
	assert(!r3d_frame_source_begin_extract(&fs, &t));
	assert(fs.counters.extracted == 1);
}

static void test_first_sink_before_any_content_gets_no_refresh(void)
{
	struct r3d_frame_source fs;
	setup(&fs, 0);
	assert(!r3d_frame_source_sink_ready(&fs));
	assert(fs.counters.refreshes == 0 && fs.counters.marked == 0);
}

static void test_keyframe_request_marks_the_next_frame_and_repaints_a_static_picture(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	assert(!t.keyframe);
	complete(&fs, &t);
	r3d_frame_source_sink_ready(&fs);
	assert(r3d_frame_source_request_keyframe(&fs));
	assert(r3d_frame_source_begin_extract(&fs, &t));
	assert(t.keyframe && t.full_damage);
	complete(&fs, &t);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t) && !t.keyframe); /* only once */
	check_invariant(&fs);
}

static void test_damage_is_the_union_of_marks_since_the_last_extraction(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_mark_dirty(&fs, &(struct r3d_rect){ 10, 10, 10, 10 });
	r3d_frame_source_mark_dirty(&fs, &(struct r3d_rect){ 100, 50, 20, 5 });
	r3d_frame_source_mark_dirty(&fs, &(struct r3d_rect){ 630, 470, 100, 100 }); /* clipped */
	r3d_frame_source_sink_ready(&fs);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	assert(t.damage.x == 10 && t.damage.y == 10 && t.damage.width == 630 && t.damage.height == 470);
	assert(!t.full_damage);
	r3d_frame_source_extracted(&fs, &t);
	assert(fs.counters.partial_damage == 1);
	r3d_frame_source_encoded(&fs, &t.timing);
	/* the next frame's damage starts empty */
	r3d_frame_source_mark_dirty(&fs, &(struct r3d_rect){ 1, 2, 3, 4 });
	r3d_frame_source_sink_ready(&fs);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	assert(t.damage.x == 1 && t.damage.y == 2 && t.damage.width == 3 && t.damage.height == 4);
}

static void test_max_fps_paces_extraction_and_reports_the_wait(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	uint64_t wait = 0;
	setup(&fs, 50); /* 20 ms */
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t)); /* the first frame goes at once */
	complete(&fs, &t);
	r3d_frame_source_sink_ready(&fs);
	fake_now += 5000;
	assert(!r3d_frame_source_mark_dirty(&fs, NULL));
	assert(!r3d_frame_source_should_extract(&fs, &wait));
	assert(wait == 15000);
	fake_now += 14999;
	assert(!r3d_frame_source_should_extract(&fs, &wait) && wait == 1);
	fake_now += 1;
	assert(r3d_frame_source_should_extract(&fs, &wait) && wait == 0);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	check_invariant(&fs);
}

static void test_max_fps_zero_sends_as_soon_as_the_sink_has_room(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	for (int i = 0; i < 10; i++) {
		r3d_frame_source_sink_ready(&fs);
		r3d_frame_source_mark_dirty(&fs, NULL);
		assert(r3d_frame_source_begin_extract(&fs, &t)); /* no time passes at all */
		complete(&fs, &t);
	}
	assert(fs.counters.handed == 10);
}

static void test_failed_extraction_keeps_the_frame_pending_and_the_sink_room(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t, t2;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, &(struct r3d_rect){ 0, 0, 8, 8 });
	r3d_frame_source_request_keyframe(&fs);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	r3d_frame_source_extract_failed(&fs, &t);
	assert(fs.counters.extract_errors == 1 && fs.counters.extracted == 0);
	assert(r3d_frame_source_should_extract(&fs, NULL));
	assert(r3d_frame_source_begin_extract(&fs, &t2));
	assert(t2.timing.seq == t.timing.seq && t2.keyframe);
	assert(t2.damage.width == 8 && t2.damage.height == 8);
}

static void test_failed_encode_frees_the_encoder_and_asks_for_a_keyframe(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	r3d_frame_source_extracted(&fs, &t);
	r3d_frame_source_encode_failed(&fs, &t.timing);
	assert(fs.counters.encode_errors == 1 && in_flight(&fs) == 0);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t)); /* the sink kept its room */
	assert(t.keyframe);
}

static void test_counters_when_marks_outpace_the_sink(void)
{
	/* 240 marks per second, the sink takes one every 4 marks (60 fps):
	 * extracted == encoded == handed == 60, dropped == 180 */
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	for (int i = 0; i < 240; i++) {
		fake_now += 4167;
		r3d_frame_source_mark_dirty(&fs, NULL);
		if (i % 4 == 3) {
			assert(r3d_frame_source_begin_extract(&fs, &t));
			complete(&fs, &t);
			r3d_frame_source_sink_ready(&fs);
		}
	}
	struct r3d_frame_counters c;
	r3d_frame_source_get_counters(&fs, &c);
	assert(c.marked == 240 && c.extracted == 60 && c.encoded == 60 && c.handed == 60);
	assert(c.dropped == 180);
	check_invariant(&fs);
}

static void test_timings_are_stamped_in_order(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	fake_now += 1;
	r3d_frame_source_begin_extract(&fs, &t);
	fake_now += 2;
	r3d_frame_source_extracted(&fs, &t);
	fake_now += 3;
	r3d_frame_source_encoded(&fs, &t.timing);
	fake_now += 4;
	r3d_frame_source_handed(&fs, &t.timing);
	assert(t.timing.dirty_us == 1000000 && t.timing.extract_start_us == 1000001 &&
	       t.timing.extracted_us == 1000003 && t.timing.encoded_us == 1000006 &&
	       t.timing.handed_us == 1000010);
}

static void test_resize_makes_the_pending_frame_full_damage(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_mark_dirty(&fs, &(struct r3d_rect){ 0, 0, 4, 4 });
	r3d_frame_source_resize(&fs, 800, 600);
	r3d_frame_source_sink_ready(&fs);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	assert(t.full_damage && t.damage.width == 800 && t.damage.height == 600);
}

static void run_common_tests(void)
{
	test_dirty_mark_without_sink_extracts_nothing();
	test_ready_sink_and_idle_encoder_extract_the_pending_frame();
	test_newer_mark_replaces_unextracted_one_and_counts_a_drop();
	test_busy_encoder_holds_back_extraction_until_encoded();
	test_no_dirty_mark_means_no_extraction();
	test_first_sink_before_any_content_gets_no_refresh();
	test_keyframe_request_marks_the_next_frame_and_repaints_a_static_picture();
	test_damage_is_the_union_of_marks_since_the_last_extraction();
	test_max_fps_paces_extraction_and_reports_the_wait();
	test_max_fps_zero_sends_as_soon_as_the_sink_has_room();
	test_failed_extraction_keeps_the_frame_pending_and_the_sink_room();
	test_failed_encode_frees_the_encoder_and_asks_for_a_keyframe();
	test_counters_when_marks_outpace_the_sink();
	test_timings_are_stamped_in_order();
	test_resize_makes_the_pending_frame_full_damage();
}

/* ---- the pipelined schedule ---- */

static void test_pipelined_extraction_overlaps_the_encode(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket a, b, c;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &a));
	assert(!r3d_frame_source_mark_dirty(&fs, NULL)); /* one extraction at a time */
	r3d_frame_source_extracted(&fs, &a);
	assert(!r3d_frame_source_should_extract(&fs, NULL)); /* A waits for the encoder */
	assert(r3d_frame_source_encode_started(&fs));       /* taken: B may be read meanwhile */
	assert(r3d_frame_source_begin_extract(&fs, &b));
	assert(fs.counters.overlapped == 1 && in_flight(&fs) == 2);
	r3d_frame_source_extracted(&fs, &b);
	r3d_frame_source_mark_dirty(&fs, NULL);
	r3d_frame_source_sink_ready(&fs);
	assert(!r3d_frame_source_should_extract(&fs, NULL)); /* B waits: no third frame */
	r3d_frame_source_encoded(&fs, &a.timing);
	r3d_frame_source_handed(&fs, &a.timing);
	/* B in the encoder, A unwritten: C would follow two unwritten frames */
	assert(!r3d_frame_source_encode_started(&fs));
	assert(r3d_frame_source_sink_ready(&fs)); /* A written */
	assert(r3d_frame_source_begin_extract(&fs, &c));
	assert(c.timing.seq == 3 && fs.counters.overlapped == 2);
	check_invariant(&fs);
}

static void test_read_back_frame_is_kept_until_encoded(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket a, b;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &a));
	r3d_frame_source_extracted(&fs, &a);
	r3d_frame_source_encode_started(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &b));
	r3d_frame_source_extracted(&fs, &b);
	/* newer marks while B waits for the encoder: they are dropped or
	 * pending, B is not replaced (it was read back: it will be encoded) */
	for (int i = 0; i < 5; i++)
		r3d_frame_source_mark_dirty(&fs, NULL);
	assert(fs.counters.dropped == 4 && fs.pending && fs.queued);
	r3d_frame_source_encoded(&fs, &a.timing);
	r3d_frame_source_handed(&fs, &a.timing);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_encode_started(&fs);
	r3d_frame_source_encoded(&fs, &b.timing);
	assert(fs.counters.encoded == 2 && fs.counters.extracted == 2);
	check_invariant(&fs);
}

static void test_pipelined_start_is_timed_to_end_with_the_encode(void)
{
	/* extraction takes 8 ms, encoding 12 ms: the next readback starts
	 * 4 ms after the encoder took its frame, so both end together */
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	uint64_t wait = 0;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	fake_now += 8000;
	r3d_frame_source_extracted(&fs, &t);
	r3d_frame_source_encode_started(&fs);
	fake_now += 12000;
	r3d_frame_source_encoded(&fs, &t.timing);
	r3d_frame_source_handed(&fs, &t.timing);
	r3d_frame_source_sink_ready(&fs);
	assert(fs.extract_estimate_us == 8000 && fs.encode_estimate_us == 12000);

	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t)); /* the encoder is idle: at once */
	fake_now += 8000;
	r3d_frame_source_extracted(&fs, &t);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(!r3d_frame_source_encode_started(&fs));
	assert(!r3d_frame_source_should_extract(&fs, &wait) && wait == 4000);
	fake_now += 3999;
	assert(!r3d_frame_source_should_extract(&fs, &wait) && wait == 1);
	fake_now += 1;
	assert(r3d_frame_source_should_extract(&fs, &wait) && wait == 0);
	/* a later mark is still newest-wins up to that start */
	check_invariant(&fs);
}

struct sim_result {
	uint64_t handed, max_waiting, marked, dropped;
};

/* A discrete simulation on the fake clock, 100 us steps: marks every
 * mark_us, a readback takes extract_us, the encoder encode_us, the sink
 * writes a frame in write_us and says ready (like spice) only when it has
 * written every frame. Asserts the bound at every hand-off. */
static struct sim_result simulate(uint64_t mark_us, uint64_t extract_us, uint64_t encode_us, uint64_t write_us,
				  uint64_t duration_us)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket ext_t, queued_t, enc_t;
	bool extracting = false, queued = false, encoding = false;
	uint64_t extract_done = 0, encode_done = 0, write_done = 0, next_mark = 0;
	unsigned sink_queue = 0; /* frames handed and not written */
	struct sim_result r = { 0 };

	setup(&fs, 0);
	uint64_t start = fake_now, end = fake_now + duration_us;
	r3d_frame_source_sink_ready(&fs);
	for (; fake_now < end; fake_now += 100) {
		if (fake_now - start >= next_mark) {
			r3d_frame_source_mark_dirty(&fs, NULL);
			next_mark += mark_us;
		}
		if (sink_queue && fake_now >= write_done) {
			if (--sink_queue)
				write_done = fake_now + write_us;
			else
				r3d_frame_source_sink_ready(&fs);
		}
		if (encoding && fake_now >= encode_done) {
			encoding = false;
			r3d_frame_source_encoded(&fs, &enc_t.timing);
			/* the bound: at most one earlier frame unwritten in the sink */
			assert(sink_queue <= 1);
			if (sink_queue > r.max_waiting)
				r.max_waiting = sink_queue;
			if (!sink_queue++)
				write_done = fake_now + write_us;
			r3d_frame_source_handed(&fs, &enc_t.timing);
		}
		if (extracting && fake_now >= extract_done) {
			extracting = false;
			r3d_frame_source_extracted(&fs, &ext_t);
			assert(!queued);
			queued = true;
			queued_t = ext_t;
		}
		if (queued && !encoding) {
			queued = false;
			encoding = true;
			enc_t = queued_t;
			encode_done = fake_now + encode_us;
			r3d_frame_source_encode_started(&fs);
		}
		if (r3d_frame_source_begin_extract(&fs, &ext_t)) {
			assert(!extracting);
			extracting = true;
			extract_done = fake_now + extract_us;
		}
		check_invariant(&fs);
		assert(in_flight(&fs) == (extracting ? 1u : 0u) + (queued ? 1u : 0u) +
								  (encoding ? 1u : 0u));
	}
	struct r3d_frame_counters c;
	r3d_frame_source_get_counters(&fs, &c);
	/* every readback begun was encoded or is still in flight: none thrown away */
	assert(c.begun == c.encoded + in_flight(&fs));
	/* every mark not read back was counted as dropped */
	assert(c.dropped == c.marked - c.extracted - (fs.pending ? 1 : 0) - (fs.extracting ? 1 : 0));
	assert(fs.max_unwritten_ahead == r.max_waiting);
	r.handed = c.handed;
	r.marked = c.marked;
	r.dropped = c.dropped;
	return r;
}

static void test_slow_sink_never_has_more_than_one_frame_waiting(void)
{
	/* 240 marks/s, 8 ms readback, 10 ms encode, 50 ms to write a frame:
	 * the sink sets the rate; nothing queues beyond one waiting frame,
	 * the surplus is dropped before readback */
	struct sim_result r = simulate(4167, 8000, 10000, 50000, 2000000);
	assert(r.max_waiting == 1);   /* the overlap is used ... */
	assert(r.handed >= 2000 / 59); /* ... the link busy nearly all the time (18 ms gap per 2 frames) */
	assert(r.handed <= 2000 / 50 + 2);
	assert(r.dropped >= r.marked - r.handed - 3);
}

static void test_pipelined_schedule_outruns_the_serial_one_on_a_fast_sink(void)
{
	/* 60 marks/s, 17 ms readback (llvmpipe 720p), 14 ms encode, 1 ms write:
	 * serial gets one frame per ~32 ms, pipelined one per ~17 ms */
	serial = true;
	struct sim_result s1 = simulate(16667, 17000, 14000, 1000, 2000000);
	serial = false;
	struct sim_result p1 = simulate(16667, 17000, 14000, 1000, 2000000);
	printf("frame-source: simulated 2 s, 60 marks/s, 17 ms readback, 14 ms encode: "
	       "serial %lu frames, pipelined %lu\n", (unsigned long)s1.handed, (unsigned long)p1.handed);
	assert(s1.handed <= 2000 / 31 + 1);
	assert(p1.handed >= 2000 / 18);
}

int main(void)
{
	/* serial only: the sink's room is one frame from extraction to written */
	serial = true;
	test_sink_room_is_consumed_by_one_frame();
	for (int pass = 0; pass < 2; pass++) {
		serial = pass == 0;
		run_common_tests();
	}
	serial = false;
	test_pipelined_extraction_overlaps_the_encode();
	test_read_back_frame_is_kept_until_encoded();
	test_pipelined_start_is_timed_to_end_with_the_encode();
	test_slow_sink_never_has_more_than_one_frame_waiting();
	test_pipelined_schedule_outruns_the_serial_one_on_a_fast_sink();
	printf("frame-source: all tests passed\n");
	return 0;
}

