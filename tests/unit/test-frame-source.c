/* The frame source's lazy newest-wins logic, driven by a fake clock.
 * Each test's name states the behaviour it proves. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "remote3d/frame-source.h"

static uint64_t fake_now;
static uint64_t fake_clock_now(void *opaque)
{
	(void)opaque;
	return fake_now;
}
static const struct r3d_clock fake_clock = { fake_clock_now, NULL };

static void setup(struct r3d_frame_source *fs, unsigned max_fps)
{
	struct r3d_frame_source_config cfg = { .width = 640, .height = 480, .max_fps = max_fps, .clock = &fake_clock };
	fake_now = 1000000;
	r3d_frame_source_init(fs, &cfg);
}

static void check_invariant(const struct r3d_frame_source *fs)
{
	struct r3d_frame_counters c;
	r3d_frame_source_get_counters(fs, &c);
	/* a frame between begin_extract and extracted is in none of the counters */
	int extracting = fs->encoder_busy && c.extracted == c.encoded + c.encode_errors ? 1 : 0;
	assert(c.marked == c.extracted + c.dropped + (fs->pending ? 1 : 0) + (uint64_t)extracting);
	assert(c.extracted >= c.encoded + c.encode_errors);
	assert(c.encoded >= c.handed);
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

static void test_sink_gone_stops_extraction_and_new_sink_gets_a_refresh(void)
{
	struct r3d_frame_source fs;
	struct r3d_frame_ticket t;
	setup(&fs, 0);
	r3d_frame_source_sink_ready(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(r3d_frame_source_begin_extract(&fs, &t));
	complete(&fs, &t);
	r3d_frame_source_sink_gone(&fs);
	r3d_frame_source_mark_dirty(&fs, NULL);
	assert(!r3d_frame_source_should_extract(&fs, NULL));
	assert(r3d_frame_source_sink_ready(&fs)); /* ready again: the pending frame goes */
	assert(r3d_frame_source_begin_extract(&fs, &t));
	complete(&fs, &t);
	assert(fs.counters.refreshes == 0); /* a frame was pending: no refresh needed */
	/* gone, then back with nothing dirty: the current picture is repainted */
	r3d_frame_source_sink_gone(&fs);
	assert(r3d_frame_source_sink_ready(&fs));
	assert(fs.counters.refreshes == 1);
	assert(r3d_frame_source_begin_extract(&fs, &t) && t.full_damage);
	check_invariant(&fs);
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
	assert(fs.counters.encode_errors == 1 && !fs.encoder_busy);
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

int main(void)
{
	test_dirty_mark_without_sink_extracts_nothing();
	test_ready_sink_and_idle_encoder_extract_the_pending_frame();
	test_newer_mark_replaces_unextracted_one_and_counts_a_drop();
	test_busy_encoder_holds_back_extraction_until_encoded();
	test_sink_room_is_consumed_by_one_frame();
	test_no_dirty_mark_means_no_extraction();
	test_sink_gone_stops_extraction_and_new_sink_gets_a_refresh();
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
	printf("frame-source: all tests passed\n");
	return 0;
}
