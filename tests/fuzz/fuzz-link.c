/*
 * remote3d fuzz targets — a parsed link configuration put to work.
 */
#include "fuzz-link.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MTU 1500
#define MAX_PACKETS 24
#define MAX_STEPS 256

static void check(bool ok)
{
	if (!ok)
		abort();
}

void fuzz_link_drive(const struct r3d_link_config *cfg, const uint8_t *sizes, size_t n)
{
	struct r3d_link *link = r3d_link_create(cfg, MTU, 1, 0);
	uint64_t now = 0, last_exit = 0;
	size_t in = 0, out = 0;
	struct r3d_link_stats st;

	check(link != NULL);
	if (n > MAX_PACKETS)
		n = MAX_PACKETS;
	for (size_t i = 0; i < n; i++) {
		struct r3d_link_packet *p = r3d_link_packet_new(link);
		check(p != NULL);
		p->len = 20 + (size_t)sizes[i] * (MTU - 20) / 255;
		memset(p->data, 0x45, p->len);
		r3d_link_enqueue(link, p, now);
		in++;
		now += 1000;
	}
	bool drained = false;
	for (int step = 0; step < MAX_STEPS && !drained; step++) {
		struct r3d_link_packet *p;

		while ((p = r3d_link_dequeue(link, now))) {
			check(p->enter_us <= p->tx_start_us && p->tx_start_us <= p->tx_end_us &&
			      p->tx_end_us <= p->exit_us && p->exit_us <= now);
			check(cfg->reorder || p->exit_us >= last_exit);
			last_exit = p->exit_us;
			out++;
			r3d_link_packet_free(link, p);
		}
		uint64_t next = r3d_link_next_deadline(link, now);
		drained = next == R3D_LINK_NEVER;
		/* what is due was handed out: a deadline now or before would
		 * make the event loop spin */
		check(drained || next > now);
		now = drained ? now : next;
	}
	r3d_link_get_stats(link, now, &st);
	check(st.in_packets == in && st.out_packets == out);
	/* nothing left on its way out: every packet was delivered, dropped
	 * at the queue, lost, or still waits in a stalled queue */
	check(!drained || in == out + st.drop_queue_packets + st.drop_loss_packets + st.queue_packets);
	r3d_link_destroy(link);
}
