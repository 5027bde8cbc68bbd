/*
 * latency-sim — command line options.
 */
#ifndef LATENCY_SIM_OPTIONS_H
#define LATENCY_SIM_OPTIONS_H

#include "link.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum r3d_ls_dir { R3D_LS_UP = 0, R3D_LS_DOWN = 1 };

/* Scheduling of the event loop: AUTO tries SCHED_FIFO and falls back to
 * nice -20 (then to nothing) where not permitted; ON insists on
 * SCHED_FIFO; OFF only asks for nice -20. */
enum r3d_ls_realtime {
	R3D_LS_REALTIME_AUTO = 0,
	R3D_LS_REALTIME_ON,
	R3D_LS_REALTIME_OFF,
};

struct r3d_ls_options {
	/* [R3D_LS_UP]: from COMMAND's side (namespace A) to the host side
	 * (namespace B); [R3D_LS_DOWN]: the other way */
	struct r3d_link_config link[2];
	struct r3d_rate_step *schedule[2];
	uint64_t *trace[2];
	/* the values of --trace, --outage and --rate-schedule, for messages */
	const char *trace_arg[2], *outage_arg[2], *schedule_arg[2];

	uint32_t mtu;
	uint64_t seed;
	uint64_t coalesce_us; /* see --coalesce */
	const char *netns_a, *netns_b;
	const char *addr_a, *addr_b; /* NULL: chosen */
	const char *pcap_both, *pcap_dir[2];
	const char *stats_path;
	bool quiet;
	enum r3d_ls_realtime realtime;
	bool help;
	char **command; /* NULL-terminated, NULL when none */
};

/* Parses argv. Returns false with a one-line message in err. Every parsed
 * option has a value even when false is returned (free with
 * r3d_ls_options_finish). */
bool r3d_ls_options_parse(struct r3d_ls_options *opts, int argc, char **argv,
			  char *err, size_t err_len);
void r3d_ls_options_finish(struct r3d_ls_options *opts);
void r3d_ls_options_usage(FILE *out);

/* Value parsers, exposed for tests. Each returns false with a message. */
bool r3d_ls_parse_time(const char *s, uint64_t *us, char *err, size_t len);
bool r3d_ls_parse_rate(const char *s, uint64_t *bps, char *err, size_t len);
bool r3d_ls_parse_percent(const char *s, double *p, char *err, size_t len);

#endif
