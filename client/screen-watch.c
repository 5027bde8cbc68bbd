/*
 * remote3d-screen-watch — stamp-to-screen latency of any client that shows
 * remote3d's stamped picture in an X window (remote-viewer, spicy): the X
 * screen is captured continuously (GStreamer ximagesrc, XShm), the frame
 * stamp is found in each capture, and every capture showing a new frame
 * gives one sample: capture time - the stamp's render time, on one clock
 * (CLOCK_MONOTONIC: client, server and X server on one machine).
 *
 *   remote3d-screen-watch --display :N [--duration S] [--fps N]
 *                         [--json FILE] [--csv FILE]
 *
 * The whole screen is captured only until the stamp is found; then only
 * the stamp's rectangle is (cheap: the capture itself must not slow the
 * client it watches). A sample includes the time the frame was already on
 * the screen before a capture saw it: 0 to one capture interval (the report
 * gives the interval measured).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "remote3d/clock.h"
#include "stamp.h"
#include "../testsrc/cli-number.h"
#include "report.h"

#define PROG "remote3d-screen-watch"

struct sample {
	uint32_t frame;
	uint64_t stamp_us, capture_us;
};

static int usage(const char *why)
{
	if (why) {
		fprintf(stderr, PROG ": error: %s\n", why);
		return 2;
	}
	printf("usage: " PROG " --display :N [--duration S] [--fps N] [--json FILE] [--csv FILE]\n"
		"  --display D   the X display to capture (required)\n"
		"  --duration S  capture for S seconds, 0.5..3600 (default 10)\n"
		"  --fps N       captures per second asked of ximagesrc, 1..240 (default 120)\n"
		"  --json FILE   the summary as JSON\n"
		"  --csv FILE    one line per new frame seen: frame,stamp_us,capture_us\n");
	return 0;
}

/* ximagesrc -> BGRx appsink, the whole screen or one rectangle (w > 0) */
static GstElement *capture_start(const char *display, unsigned fps, int x, int y, int w, int h,
				 GstElement **sink)
{
	GError *err = NULL;
	char *area = w > 0 ? g_strdup_printf(" startx=%d starty=%d endx=%d endy=%d", x, y,
					      x + w - 1, y + h - 1)
			   : g_strdup("");
	char *desc = g_strdup_printf("ximagesrc display-name=%s use-damage=false show-pointer=false%s ! "
				     "video/x-raw,framerate=%u/1 ! videoconvert ! "
				     "video/x-raw,format=BGRx ! appsink name=sink sync=false "
				     "max-buffers=2 drop=true", display, area, fps);
	GstElement *pipe = gst_parse_launch(desc, &err);
	g_free(desc);
	g_free(area);
	if (!pipe) {
		fprintf(stderr, PROG ": error: GStreamer: %s\n", err ? err->message : "?");
		g_clear_error(&err);
		return NULL;
	}
	*sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
	if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
		fprintf(stderr, PROG ": error: cannot capture X display %s\n", display);
		gst_object_unref(*sink);
		gst_object_unref(pipe);
		return NULL;
	}
	return pipe;
}

static void capture_stop(GstElement *pipe, GstElement *sink)
{
	gst_element_set_state(pipe, GST_STATE_NULL);
	gst_object_unref(sink);
	gst_object_unref(pipe);
}

int main(int argc, char **argv)
{
	const char *display = NULL, *json = NULL, *csv = NULL;
	double duration = 10;
	unsigned fps = 120;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0)
			return usage(NULL);
		if (!v)
			return usage("an option without its value (see --help)");
		i++;
		if (strcmp(a, "--display") == 0)
			display = v;
		else if (strcmp(a, "--json") == 0)
			json = v;
		else if (strcmp(a, "--csv") == 0)
			csv = v;
		else if (strcmp(a, "--duration") == 0) {
			if (!r3d_cli_parse_double(v, 0.5, 3600, &duration))
				return usage("bad --duration: expected seconds, 0.5..3600");
		} else if (strcmp(a, "--fps") == 0) {
			double f;
			if (!r3d_cli_parse_double(v, 1, 240, &f) || f != (unsigned)f)
				return usage("bad --fps: expected a whole number, 1..240");
			fps = (unsigned)f;
		} else {
			return usage("unknown option (see --help)");
		}
	}
	if (!display || display[0] != ':')
		return usage("--display :N is required (see --help)");
	gst_init(NULL, NULL);
	GstElement *sink, *pipe = capture_start(display, fps, 0, 0, 0, 0, &sink);
	if (!pipe)
		return 1;
	GArray *samples = g_array_new(FALSE, FALSE, sizeof(struct sample));
	uint64_t start = r3d_time_us(), end = start + (uint64_t)(duration * 1e6), last_cap = 0;
	uint64_t captures = 0, unstamped = 0, gaps_us = 0, gap_n = 0;
	int sx = -1, sy = -1;
	bool cropped = false;
	int crop_cell = 0;
	while (r3d_time_us() < end) {
		GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND);
		if (!s)
			continue;
		GstBuffer *buf = gst_sample_get_buffer(s);
		GstVideoInfo info;
		GstVideoFrame vf;
		/* the capture time: the pipeline clock is the monotonic system clock */
		uint64_t cap = GST_BUFFER_PTS_IS_VALID(buf)
				       ? (gst_element_get_base_time(pipe) + GST_BUFFER_PTS(buf)) / 1000
				       : r3d_time_us();
		if (!gst_video_info_from_caps(&info, gst_sample_get_caps(s)) ||
		    !gst_video_frame_map(&vf, &info, buf, GST_MAP_READ)) {
			gst_sample_unref(s);
			continue;
		}
		const struct r3d_image_view view = {
			.data = GST_VIDEO_FRAME_PLANE_DATA(&vf, 0),
			.width = GST_VIDEO_FRAME_WIDTH(&vf),
			.height = GST_VIDEO_FRAME_HEIGHT(&vf),
			.stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0),
			.bpp = 4,
		};
		struct r3d_stamp st;
		int cell = 0;
		/* unscaled, the stamp is read where it is; scaled (a window smaller
		 * than the picture), it is searched for, in the crop too */
		bool ok = cropped && crop_cell == R3D_STAMP_CELL
				  ? r3d_stamp_read(&view, 0, 0, &st)
				  : r3d_stamp_find(&view, &st, &sx, &sy, &cell);
		gst_video_frame_unmap(&vf);
		gst_sample_unref(s);
		if (!cropped && ok && sx >= 0 && sy >= 0) {
			/* from now on capture only the stamp's rectangle */
			crop_cell = cell;
			capture_stop(pipe, sink);
			pipe = capture_start(display, fps, sx, sy, cell * R3D_STAMP_COLS,
					     cell * R3D_STAMP_ROWS, &sink);
			if (!pipe)
				return 1;
			cropped = true;
			last_cap = 0;
		}
		captures++;
		if (last_cap) {
			gaps_us += cap - last_cap;
			gap_n++;
		}
		last_cap = cap;
		if (!ok) {
			unstamped++;
			continue;
		}
		struct sample *prev = samples->len
			? &g_array_index(samples, struct sample, samples->len - 1) : NULL;
		if (prev && prev->frame == st.frame)
			continue;
		struct sample n = { st.frame, st.time_us, cap };
		g_array_append_val(samples, n);
	}
	capture_stop(pipe, sink);

	size_t n = samples->len;
	double *lat = g_new(double, n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		const struct sample *s = &g_array_index(samples, struct sample, i);
		lat[i] = ((double)s->capture_us - (double)s->stamp_us) / 1000.0;
	}
	struct r3d_dist d;
	r3d_dist_compute(&d, lat, n);
	double interval_ms = gap_n ? gaps_us / 1000.0 / (double)gap_n : 0;
	printf(PROG ": %s: %" PRIu64 " captures (every %.1f ms; %s), %zu new frames, %" PRIu64
	       " without a stamp\n", display, captures, interval_ms,
	       !cropped ? "the whole screen: no stamp found"
	       : crop_cell == R3D_STAMP_CELL ? "the stamp's rectangle"
					      : "the stamp's rectangle, scaled", n,
	       unstamped);
	if (n)
		printf(PROG ": stamp-to-screen p50 %.1f  p95 %.1f  min %.1f  max %.1f ms "
		       "(includes 0..%.1f ms until a capture saw the frame)\n",
		       d.p50, d.p95, d.min, d.max, interval_ms);
	int rc = n ? 0 : 1;
	if (!n)
		fprintf(stderr, PROG ": error: no frame stamp on %s in %.1f s\n", display, duration);
	FILE *f;
	if (json && (f = fopen(json, "w"))) {
		fprintf(f, "{\"display\":\"%s\",\"captures\":%" PRIu64 ",\"capture_interval_ms\":%.3f,"
			"\"frames\":%zu,\"unstamped\":%" PRIu64 ",\"stamp_to_screen_ms\":{\"n\":%zu,"
			"\"min\":%.3f,\"mean\":%.3f,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"max\":%.3f}}\n",
			display, captures, interval_ms, n, unstamped, d.n, d.min, d.mean, d.p50, d.p95,
			d.p99, d.max);
		rc = fclose(f) == 0 ? rc : 1;
	} else if (json) {
		fprintf(stderr, PROG ": error: cannot write --json %s: %s\n", json, strerror(errno));
		rc = 1;
	}
	if (csv && (f = fopen(csv, "w"))) {
		fputs("frame,stamp_us,capture_us\n", f);
		for (size_t i = 0; i < n; i++) {
			const struct sample *s = &g_array_index(samples, struct sample, i);
			fprintf(f, "%u,%" PRIu64 ",%" PRIu64 "\n", s->frame, s->stamp_us, s->capture_us);
		}
		rc = fclose(f) == 0 ? rc : 1;
	} else if (csv) {
		fprintf(stderr, PROG ": error: cannot write --csv %s: %s\n", csv, strerror(errno));
		rc = 1;
	}
	g_free(lat);
	g_array_free(samples, TRUE);
	return rc;
}
