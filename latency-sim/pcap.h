/*
 * latency-sim — pcapng capture of the packets that leave the link.
 *
 * One interface per direction ("up", "down"), raw IPv4 (LINKTYPE_RAW),
 * microsecond timestamps. Each packet is written when it leaves the link,
 * stamped with its exit time; its comment gives the times it entered the
 * queue, started and ended serialisation (wall-clock microseconds) and its
 * delay, e.g. "enter=1700000000.123456 tx=... txend=... delay_us=20012".
 */
#ifndef LATENCY_SIM_PCAP_H
#define LATENCY_SIM_PCAP_H

#include "link.h"

#include <stdbool.h>
#include <stdint.h>

struct r3d_ls_pcap;

/* dirs: bit 0 up, bit 1 down. Returns NULL with errno set. */
struct r3d_ls_pcap *r3d_ls_pcap_open(const char *path, unsigned dirs);
/* wall_offset_us: add to a monotonic time to get the wall-clock time */
bool r3d_ls_pcap_write(struct r3d_ls_pcap *p, int dir,
		       const struct r3d_link_packet *pkt, int64_t wall_offset_us);
void r3d_ls_pcap_close(struct r3d_ls_pcap *p);

#endif
