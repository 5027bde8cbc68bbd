/*
 * latency-sim — the event loop: one thread, epoll, exact deadlines.
 *
 * Reads packets from both tun devices, passes them through the two links
 * and writes them out when they are due; prints stats once a second.
 * Sleeps in epoll_pwait2() until the next packet is due (nanosecond
 * timeout, 1 ns timer slack), so it costs nothing when idle.
 */
#ifndef LATENCY_SIM_LOOP_H
#define LATENCY_SIM_LOOP_H

#include "link.h"
#include "pcap.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct r3d_ls_loop {
	int tun[2];                 /* [0] namespace A, [1] namespace B */
	struct r3d_link *link[2];   /* [R3D_LS_UP] A->B, [R3D_LS_DOWN] B->A */
	struct r3d_ls_pcap *pcap[2];/* per direction, or NULL */
	struct r3d_ls_pcap *pcap_both;
	FILE *stats;                /* JSON lines or NULL */
	bool quiet;
	pid_t child;                /* COMMAND or 0 */
	uint64_t start_us;
	size_t mtu;                 /* largest packet read */
	uint64_t coalesce_us;       /* --coalesce: pair exits this close */
};

uint64_t r3d_ls_now_us(void);

/* Runs until SIGINT/SIGTERM/SIGHUP or until child exits. Returns the exit
 * status for the program: the command's status, or 0 after a signal. */
int r3d_ls_loop_run(struct r3d_ls_loop *loop);

#endif
