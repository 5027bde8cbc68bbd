/* Private: the stream's periodic summary (cfg.stats_interval_ms): one log
 * line on what the stream did since the last one, one on rate control. */
#ifndef REMOTE3D_STREAM_SUMMARY_H
#define REMOTE3D_STREAM_SUMMARY_H

#include <stdint.h>

#include "remote3d/stats.h"

struct stream_summary {
	uint64_t every_us;      /* 0 = never */
	uint64_t since_us;      /* when the last summary (or the stream) began */
	struct r3d_stats last;  /* the counters at the last summary */
};

void stream_summary_init(struct stream_summary *sum, unsigned interval_ms, uint64_t now_us);
/* When the next summary is due (r3d_time_us); 0 = never. */
uint64_t stream_summary_due_us(const struct stream_summary *sum);
/* Under the stream's lock: the counters now (st) become the last; *prev
 * and *secs say what the summary covers. */
void stream_summary_advance(struct stream_summary *sum, const struct r3d_stats *st, uint64_t now_us,
			    struct r3d_stats *prev, double *secs);
/* Without the lock: the log lines. */
void stream_summary_log(const struct r3d_stats *st, const struct r3d_stats *prev, double secs);

#endif
