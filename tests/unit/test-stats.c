/* Stage statistics: median/p95/max over a bounded window of the newest
 * samples; the JSON output parses as one object. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/stats.h"

static void test_median_p95_max_of_1_to_100(void)
{
	struct r3d_stats_window w;
	struct r3d_stage_stats s;
	w = (struct r3d_stats_window){ 0 };
	for (int i = 100; i >= 1; i--)
		r3d_stats_window_add(&w, (uint64_t)i);
	r3d_stats_window_summary(&w, &s);
	assert(s.count == 100 && s.window == 100);
	assert(s.median_us == 50 && s.p95_us == 95 && s.max_us == 100);
	assert(s.mean_us > 50.49 && s.mean_us < 50.51);
}

static void test_window_keeps_only_the_newest_samples(void)
{
	struct r3d_stats_window w;
	struct r3d_stage_stats s;
	w = (struct r3d_stats_window){ 0 };
	for (int i = 0; i < R3D_STATS_WINDOW; i++)
		r3d_stats_window_add(&w, 1000000);
	for (int i = 0; i < R3D_STATS_WINDOW; i++)
		r3d_stats_window_add(&w, 7);
	r3d_stats_window_summary(&w, &s);
	assert(s.count == 2 * R3D_STATS_WINDOW && s.window == R3D_STATS_WINDOW);
	assert(s.median_us == 7 && s.p95_us == 7 && s.max_us == 7);
}

static void test_empty_window_summarizes_to_zero(void)
{
	struct r3d_stats_window w;
	struct r3d_stage_stats s;
	w = (struct r3d_stats_window){ 0 };
	r3d_stats_window_summary(&w, &s);
	assert(s.count == 0 && s.window == 0 && s.median_us == 0 && s.p95_us == 0);
}

static void test_json_has_counters_and_every_stage(void)
{
	struct r3d_stats st;
	char *buf = NULL;
	size_t len = 0;
	memset(&st, 0, sizeof(st));
	st.marked = 10;
	st.dropped = 3;
	st.owner_gpu_waits = 7;
	st.stage[R3D_STAGE_ENCODE].median_us = 4242;
	FILE *f = open_memstream(&buf, &len);
	assert(f);
	r3d_stats_print_json(&st, f);
	fclose(f);
	assert(buf[0] == '{' && buf[len - 1] == '}');
	assert(strstr(buf, "\"marked\":10,"));
	assert(strstr(buf, "\"dropped\":3,"));
	assert(strstr(buf, "\"owner_gpu_waits\":7,"));
	assert(strstr(buf, "\"encode\":{\"count\":0,\"window\":0,\"median_us\":4242"));
	for (int i = 0; i < R3D_STAGE_COUNT; i++) {
		char key[64];
		snprintf(key, sizeof(key), "\"%s\":{", r3d_stage_name((enum r3d_stage)i));
		assert(strstr(buf, key));
	}
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		depth += buf[i] == '{' ? 1 : buf[i] == '}' ? -1 : 0;
		assert(depth >= 0);
	}
	assert(depth == 0);
	free(buf);
}

int main(void)
{
	test_median_p95_max_of_1_to_100();
	test_window_keeps_only_the_newest_samples();
	test_empty_window_summarizes_to_zero();
	test_json_has_counters_and_every_stage();
	printf("stats: all tests passed\n");
	return 0;
}
