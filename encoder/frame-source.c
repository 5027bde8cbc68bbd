#include <string.h>

#include "frame-source.h"

static struct r3d_rect full_rect(const struct r3d_frame_source *fs)
{
	return (struct r3d_rect){ 0, 0, fs->cfg.width, fs->cfg.height };
}

void r3d_frame_source_init(struct r3d_frame_source *fs, const struct r3d_frame_source_config *cfg)
{
	memset(fs, 0, sizeof(*fs));
	fs->cfg = *cfg;
	fs->clock = cfg->clock ? cfg->clock : r3d_clock_monotonic();
	fs->next_seq = 1;
}

void r3d_frame_source_resize(struct r3d_frame_source *fs, int width, int height)
{
	fs->cfg.width = width;
	fs->cfg.height = height;
	fs->damage = fs->pending ? full_rect(fs) : (struct r3d_rect){ 0, 0, 0, 0 };
}

void r3d_frame_source_set_max_fps(struct r3d_frame_source *fs, unsigned max_fps)
{
	fs->cfg.max_fps = max_fps;
}

static void add_damage(struct r3d_frame_source *fs, const struct r3d_rect *damage)
{
	struct r3d_rect r = damage ? r3d_rect_clip(*damage, fs->cfg.width, fs->cfg.height) : full_rect(fs);
	fs->damage = r3d_rect_union(fs->damage, r);
}

/* A dirty picture that is not (yet) a frame: count it and merge. */
static void mark(struct r3d_frame_source *fs, const struct r3d_rect *damage)
{
	if (fs->pending)
		fs->counters.dropped++; /* superseded before extraction: never read back */
	fs->counters.marked++;
	fs->pending = true;
	fs->has_content = true;
	fs->pending_dirty_us = r3d_clock_now(fs->clock);
	add_damage(fs, damage);
}

static uint64_t pacing_wait(const struct r3d_frame_source *fs, uint64_t now)
{
	if (!fs->cfg.max_fps || !fs->extracted_once)
		return 0;
	uint64_t interval = 1000000u / fs->cfg.max_fps;
	uint64_t due = fs->last_extract_us + interval;
	return now < due ? due - now : 0;
}

/* Pipelined, the encoder busy: start the readback so that it completes
 * about when the encoder frees, not earlier (a later start reads a newer
 * frame, and a frame read early would only wait). */
static uint64_t overlap_wait(const struct r3d_frame_source *fs, uint64_t now)
{
	if (!fs->encoding)
		return 0;
	uint64_t free_at = fs->encode_start_us + fs->encode_estimate_us;
	if (free_at <= fs->extract_estimate_us)
		return 0;
	uint64_t start_at = free_at - fs->extract_estimate_us;
	return now < start_at ? start_at - now : 0;
}

static unsigned sink_depth(const struct r3d_frame_source *fs)
{
	return fs->cfg.sink_depth ? fs->cfg.sink_depth : 1;
}

/* Frames that will be ahead of a frame begun now when it reaches the sink,
 * and may still be unwritten there. */
static unsigned frames_ahead(const struct r3d_frame_source *fs)
{
	return (fs->queued ? 1u : 0u) + (fs->encoding ? 1u : 0u) + (fs->handing ? 1u : 0u) + fs->unwritten;
}

bool r3d_frame_source_should_extract(struct r3d_frame_source *fs, uint64_t *wait_us)
{
	if (wait_us)
		*wait_us = 0;
	if (!fs->pending || !fs->sink_present || fs->extracting || fs->queued)
		return false;
	if (fs->cfg.serial ? !fs->sink_ready || fs->encoding : frames_ahead(fs) > sink_depth(fs))
		return false;
	uint64_t now = r3d_clock_now(fs->clock);
	uint64_t wait = pacing_wait(fs, now);
	if (!fs->cfg.serial) {
		uint64_t w = overlap_wait(fs, now);
		wait = w > wait ? w : wait;
	}
	if (wait) {
		if (wait_us)
			*wait_us = wait;
		return false;
	}
	return true;
}

bool r3d_frame_source_mark_dirty(struct r3d_frame_source *fs, const struct r3d_rect *damage)
{
	mark(fs, damage);
	return r3d_frame_source_should_extract(fs, NULL);
}

bool r3d_frame_source_sink_ready(struct r3d_frame_source *fs)
{
	fs->sink_present = true;
	fs->sink_ready = true;
	fs->unwritten = 0;
	return r3d_frame_source_should_extract(fs, NULL);
}

bool r3d_frame_source_request_keyframe(struct r3d_frame_source *fs)
{
	fs->keyframe_wanted = true;
	if (fs->has_content && !fs->pending) {
		mark(fs, NULL);
		fs->counters.refreshes++;
	}
	return r3d_frame_source_should_extract(fs, NULL);
}

bool r3d_frame_source_begin_extract(struct r3d_frame_source *fs, struct r3d_frame_ticket *t)
{
	if (!r3d_frame_source_should_extract(fs, NULL))
		return false;
	uint64_t now = r3d_clock_now(fs->clock);
	memset(t, 0, sizeof(*t));
	t->timing.seq = fs->next_seq++;
	t->timing.dirty_us = fs->pending_dirty_us;
	t->timing.extract_start_us = now;
	t->damage = fs->damage;
	struct r3d_rect full = full_rect(fs);
	t->full_damage = fs->damage.x == 0 && fs->damage.y == 0 && fs->damage.width == full.width &&
			 fs->damage.height == full.height;
	t->keyframe = fs->keyframe_wanted;
	fs->keyframe_wanted = false;
	fs->pending = false;
	fs->damage = (struct r3d_rect){ 0, 0, 0, 0 };
	if (fs->cfg.serial)
		fs->sink_ready = false;
	fs->counters.begun++;
	if (fs->encoding)
		fs->counters.overlapped++;
	fs->extracting = true;
	fs->last_extract_us = now;
	fs->extracted_once = true;
	return true;
}

/* A running mean over about the last four samples. */
static void estimate(uint64_t *est, uint64_t sample)
{
	*est = *est ? (*est * 3 + sample) / 4 : sample;
}

void r3d_frame_source_extracted(struct r3d_frame_source *fs, struct r3d_frame_ticket *t)
{
	uint64_t now = r3d_clock_now(fs->clock);
	t->timing.extracted_us = now;
	fs->extracting = false;
	fs->queued = true;
	if (now >= t->timing.extract_start_us)
		estimate(&fs->extract_estimate_us, now - t->timing.extract_start_us);
	fs->counters.extracted++;
	if (!t->full_damage)
		fs->counters.partial_damage++;
	else
		fs->counters.full_damage++;
	double area = (double)fs->cfg.width * fs->cfg.height;
	if (area > 0)
		fs->counters.damage_fraction_sum += (double)t->damage.width * t->damage.height / area;
}

void r3d_frame_source_extract_failed(struct r3d_frame_source *fs, struct r3d_frame_ticket *t)
{
	fs->counters.extract_errors++;
	fs->extracting = false;
	if (fs->cfg.serial && fs->sink_present)
		fs->sink_ready = true;
	if (t->keyframe)
		fs->keyframe_wanted = true;
	if (fs->pending) {
		fs->counters.dropped++; /* a newer mark came meanwhile: that one goes */
	} else {
		/* put the frame back, with its damage: it is still the newest */
		fs->pending = true;
		fs->pending_dirty_us = t->timing.dirty_us;
	}
	fs->damage = r3d_rect_union(fs->damage, t->damage);
	if (fs->next_seq == t->timing.seq + 1)
		fs->next_seq = t->timing.seq; /* seq counts extracted frames: reuse it */
}

bool r3d_frame_source_encode_started(struct r3d_frame_source *fs)
{
	if (fs->queued) {
		fs->queued = false;
		fs->encoding = true;
		fs->encode_start_us = r3d_clock_now(fs->clock);
	}
	return r3d_frame_source_should_extract(fs, NULL);
}

void r3d_frame_source_encoded(struct r3d_frame_source *fs, struct r3d_frame_timing *timing)
{
	uint64_t now = r3d_clock_now(fs->clock);
	if (timing && !timing->encoded_us)
		timing->encoded_us = now;
	fs->counters.encoded++;
	fs->handing = true;
	if (!fs->encoding) {
		fs->queued = false; /* the caller never said encode_started */
		return;
	}
	if (now >= fs->encode_start_us)
		estimate(&fs->encode_estimate_us, now - fs->encode_start_us);
	fs->encoding = false;
}

void r3d_frame_source_encode_failed(struct r3d_frame_source *fs, struct r3d_frame_timing *timing)
{
	(void)timing;
	fs->counters.encode_errors++;
	if (fs->encoding)
		fs->encoding = false;
	else
		fs->queued = false;
	fs->keyframe_wanted = true; /* the decoder's reference chain is broken */
	if (fs->cfg.serial && fs->sink_present)
		fs->sink_ready = true; /* nothing reached the sink: its room is still there */
}

void r3d_frame_source_handed(struct r3d_frame_source *fs, struct r3d_frame_timing *timing)
{
	if (timing && !timing->handed_us)
		timing->handed_us = r3d_clock_now(fs->clock);
	fs->counters.handed++;
	fs->handing = false;
	if (fs->unwritten > fs->max_unwritten_ahead)
		fs->max_unwritten_ahead = fs->unwritten;
	fs->unwritten++;
}

void r3d_frame_source_get_counters(const struct r3d_frame_source *fs, struct r3d_frame_counters *out)
{
	*out = fs->counters;
}
