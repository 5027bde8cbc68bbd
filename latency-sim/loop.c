/*
 * latency-sim — the event loop (see loop.h).
 */
#include "loop.h"
#include "options.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STATS_PERIOD_US 1000000ull
#define STOP_GRACE_US 3000000ull

/*
 * Wake-up compensation. A timed wake-up comes back late (tens of
 * microseconds on an idle machine, more on a busy or virtualised one), and
 * every microsecond of it would be delay error. So the loop asks to wake
 * `early` before the next exit, where `early` follows the mean lateness of
 * its past timed wake-ups, and on each pass writes every packet due within
 * `early` of now. The mean write time then lands on the exit time, and
 * packets due closer together than a wake-up costs are written in one
 * wake-up. A sample counts at most LATE_CLIP_NS (a rare stall of a busy
 * machine must not make every packet early); `early` stays within
 * EARLY_MAX_NS.
 */
#define EARLY_MAX_NS 300000ll
#define LATE_CLIP_NS 1000000ll
#define EARLY_WEIGHT 16 /* a new sample weighs 1/16 */

/*
 * Coalescing (--coalesce W). When the next exits of the two directions
 * are at most W apart, one wake-up at their midpoint writes both, each at
 * most W/2 off its exit time (and as often late as early); every pass
 * also writes what is due within W/2. Saves a wake-up for most
 * ACK/data pairs at high rates.
 */

/*
 * Input muting. A packet that enters while the wire is busy starts
 * serialisation when the wire frees, whenever it is read before then
 * (r3d_link_busy_until()). So while a direction's wire stays busy for
 * more than MUTE_MIN_US, the loop stops waking up for its input (a bulk
 * sender's paced packets would otherwise cost one wake-up each) and reads
 * it on every pass it makes anyway, at the latest MUTE_MAX_US apart and
 * MUTE_MIN_US before the wire goes idle (a margin for a stalled wake-up).
 * The schedule stays exact; a packet read so is stamped (pcap, stats) and
 * checked against the queue limit when read, a wake-up or so after it
 * arrived.
 */
#define MUTE_MIN_US 2000
#define MUTE_MAX_US 5000

static const char *dir_name[2] = { "up", "down" };

struct interval {
	struct r3d_link_stats last;
	uint64_t delay_max_us;
	/* how late packets were written after their exit time (< 0: early):
	 * the emulator's own delay error on this side of the syscalls */
	int64_t late_sum_us, late_max_us, late_min_us;
	uint64_t late_count;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t r3d_ls_now_us(void)
{
	return now_ns() / 1000;
}

static int64_t wall_offset_us(void)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	return (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000 -
	       (int64_t)r3d_ls_now_us();
}

static void deliver(struct r3d_ls_loop *l, struct interval *iv, uint64_t now,
		    uint64_t by, int64_t wall_offset)
{
	for (int d = 0; d < 2; d++) {
		struct r3d_link_packet *pkt;
		int out = l->tun[d == R3D_LS_UP ? 1 : 0];

		while ((pkt = r3d_link_dequeue_by(l->link[d], now, by))) {
			/* a tun write only fails if the device is gone or the
			 * packet is malformed; either way it is dropped */
			if (write(out, pkt->data, pkt->len) < 0 && errno == EIO)
				fprintf(stderr, "latency-sim: %s write: %s\n",
					dir_name[d], strerror(errno));
			int64_t late = (int64_t)r3d_ls_now_us() - (int64_t)pkt->exit_us;
			if (!iv[d].late_count++)
				iv[d].late_max_us = iv[d].late_min_us = late;
			iv[d].late_sum_us += late;
			if (late > iv[d].late_max_us)
				iv[d].late_max_us = late;
			if (late < iv[d].late_min_us)
				iv[d].late_min_us = late;
			uint64_t delay = pkt->exit_us - pkt->enter_us;
			if (delay > iv[d].delay_max_us)
				iv[d].delay_max_us = delay;
			r3d_ls_pcap_write(l->pcap[d], d, pkt, wall_offset);
			r3d_ls_pcap_write(l->pcap_both, d, pkt, wall_offset);
			r3d_link_packet_free(l->link[d], pkt);
		}
	}
}

static void read_tun(struct r3d_ls_loop *l, int d, uint64_t now)
{
	int in = l->tun[d == R3D_LS_UP ? 0 : 1];

	for (int n = 0; n < 64; n++) {
		struct r3d_link_packet *pkt = r3d_link_packet_new(l->link[d]);
		if (!pkt)
			return;
		ssize_t r = read(in, pkt->data, l->mtu);
		if (r <= 0) {
			r3d_link_packet_free(l->link[d], pkt);
			return;
		}
		pkt->len = (size_t)r;
		r3d_link_enqueue(l->link[d], pkt, now);
	}
}

/* how the loop's sleeps ended, since the last stats line */
struct wakes {
	uint64_t timer, io;
};

static void print_stats(struct r3d_ls_loop *l, struct interval *iv,
			uint64_t now, int64_t early_ns, struct wakes *w,
			bool final)
{
	struct r3d_link_stats s[2];
	double t = (double)(now - l->start_us) / 1e6;

	if (l->stats)
		fprintf(l->stats, "{\"t\":%.3f%s,\"early_us\":%.1f,"
			"\"wake_timer\":%llu,\"wake_io\":%llu", t,
			final ? ",\"final\":true" : "", (double)early_ns / 1e3,
			(unsigned long long)w->timer, (unsigned long long)w->io);
	w->timer = w->io = 0;
	for (int d = 0; d < 2; d++) {
		r3d_link_get_stats(l->link[d], now, &s[d]);
		uint64_t pkts = s[d].out_packets - iv[d].last.out_packets;
		uint64_t bytes = s[d].out_bytes - iv[d].last.out_bytes;
		double dt = (double)STATS_PERIOD_US / 1e6;
		double avg = pkts ? (double)(s[d].delay_sum_us -
					     iv[d].last.delay_sum_us) / (double)pkts / 1e3 : 0;
		double bps = (double)bytes * 8 / dt;
		if (!l->quiet && !final)
			fprintf(stderr, "%s%s %7.3f Mbit/s q %4llu pkt %7llu B "
				"drop q %llu loss %llu delay %.2f/%.2f ms%s",
				d ? " | " : "latency-sim: ", dir_name[d], bps / 1e6,
				(unsigned long long)s[d].queue_packets,
				(unsigned long long)s[d].queue_bytes,
				(unsigned long long)s[d].drop_queue_packets,
				(unsigned long long)s[d].drop_loss_packets, avg,
				(double)iv[d].delay_max_us / 1e3, d ? "\n" : "");
		if (l->stats)
			fprintf(l->stats, ",\"%s\":{\"in_packets\":%llu,"
				"\"out_packets\":%llu,\"out_bytes\":%llu,"
				"\"throughput_bps\":%.0f,\"rate_bps\":%llu,"
				"\"queue_bytes\":%llu,\"queue_packets\":%llu,"
				"\"drop_queue\":%llu,\"drop_loss\":%llu,"
				"\"delay_avg_ms\":%.3f,\"delay_max_ms\":%.3f,"
				"\"late_avg_us\":%.1f,\"late_min_us\":%lld,"
				"\"late_max_us\":%lld}",
				dir_name[d], (unsigned long long)s[d].in_packets,
				(unsigned long long)s[d].out_packets,
				(unsigned long long)s[d].out_bytes, bps,
				(unsigned long long)r3d_link_rate_at(l->link[d], now),
				(unsigned long long)s[d].queue_bytes,
				(unsigned long long)s[d].queue_packets,
				(unsigned long long)s[d].drop_queue_packets,
				(unsigned long long)s[d].drop_loss_packets, avg,
				(double)iv[d].delay_max_us / 1e3,
				iv[d].late_count ? (double)iv[d].late_sum_us /
					(double)iv[d].late_count : 0.0,
				(long long)iv[d].late_min_us,
				(long long)iv[d].late_max_us);
		iv[d].last = s[d];
		iv[d].delay_max_us = 0;
		iv[d].late_sum_us = iv[d].late_max_us = iv[d].late_min_us = 0;
		iv[d].late_count = 0;
	}
	if (l->stats) {
		fputs("}\n", l->stats);
		fflush(l->stats);
	}
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

int r3d_ls_loop_run(struct r3d_ls_loop *l)
{
	struct interval iv[2];
	struct epoll_event ev;
	sigset_t mask;
	int ep, sfd, ret = 1;
	bool stopping = false;
	uint64_t stop_at = 0, next_stats;
	int64_t wall_offset = wall_offset_us();
	int64_t early_ns = 0;
	struct wakes wakes = { 0, 0 };
	uint64_t woke_for = 0; /* the deadline of the timed wake-up just had */
	bool muted[2] = { false, false }; /* per direction, see MUTE_MIN_US */

	memset(iv, 0, sizeof(iv));
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("latency-sim: signalfd");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("latency-sim: epoll_create1");
		goto out_sfd;
	}
	for (int i = 0; i < 3; i++) {
		int fd = i < 2 ? l->tun[i] : sfd;
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			perror("latency-sim: epoll_ctl");
			goto out_ep;
		}
	}
	next_stats = l->start_us + STATS_PERIOD_US;
	for (;;) {
		uint64_t ns = now_ns(), now = ns / 1000;
		uint64_t by = (ns + (uint64_t)early_ns) / 1000 + l->coalesce_us / 2;
		/* a pair's later packet, even after an early wake-up */
		if (woke_for + l->coalesce_us / 2 > by)
			by = woke_for + l->coalesce_us / 2;
		woke_for = 0;
		deliver(l, iv, now, by, wall_offset);
		if (now >= next_stats) {
			print_stats(l, iv, now, early_ns, &wakes, false);
			next_stats += STATS_PERIOD_US;
			if (next_stats <= now)
				next_stats = now + STATS_PERIOD_US;
		}
		if (stopping && now >= stop_at) {
			kill(l->child, SIGKILL);
			stop_at = now + STOP_GRACE_US;
		}
		uint64_t deadline = next_stats, head[2];
		for (int d = 0; d < 2; d++)
			head[d] = r3d_link_next_deadline(l->link[d], now);
		if (head[0] != R3D_LINK_NEVER && head[1] != R3D_LINK_NEVER &&
		    (head[0] > head[1] ? head[0] - head[1] : head[1] - head[0]) <=
			    l->coalesce_us)
			head[0] = head[1] = head[0] / 2 + head[1] / 2;
		for (int d = 0; d < 2; d++) {
			uint64_t t = head[d];
			if (t < deadline)
				deadline = t;
			/* direction d reads tun[0] when up, tun[1] when down */
			int in = d == R3D_LS_UP ? 0 : 1;
			if (muted[d])
				read_tun(l, d, now);
			uint64_t busy = r3d_link_busy_until(l->link[d], now);
			bool mute = busy > now + MUTE_MIN_US;
			if (mute != muted[d]) {
				ev.events = mute ? 0 : EPOLLIN;
				ev.data.u32 = (uint32_t)in;
				if (epoll_ctl(ep, EPOLL_CTL_MOD, l->tun[in], &ev) < 0) {
					perror("latency-sim: epoll_ctl");
					goto out_ep;
				}
				muted[d] = mute;
			}
			if (muted[d]) {
				/* read again MUTE_MIN_US before the wire idles: a
				 * late wake-up then costs no wire time */
				t = busy - MUTE_MIN_US < now + MUTE_MAX_US ?
					busy - MUTE_MIN_US : now + MUTE_MAX_US;
				if (t < deadline)
					deadline = t;
			}
		}
		if (stopping && stop_at < deadline)
			deadline = stop_at;
		/* wake `early` before a deadline; one inside the early window
		 * has nothing to write yet (a serialisation that ends, input to
		 * read, stats): wake exactly at it */
		uint64_t dl_ns = deadline * 1000, wait_ns = 0;
		if (dl_ns > ns + (uint64_t)early_ns)
			wait_ns = dl_ns - (uint64_t)early_ns - ns;
		else if (dl_ns > ns)
			wait_ns = dl_ns - ns;
		struct timespec ts = {
			.tv_sec = (time_t)(wait_ns / 1000000000ull),
			.tv_nsec = (long)(wait_ns % 1000000000ull),
		};
		struct epoll_event events[4];
		int n = epoll_pwait2(ep, events, 4, &ts, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("latency-sim: epoll_pwait2");
			goto out_ep;
		}
		uint64_t woke_ns = now_ns();
		if (wait_ns > 0 && n == 0)
			wakes.timer++;
		else if (wait_ns > 0 && n > 0)
			wakes.io++;
		if (n == 0)
			woke_for = deadline;
		if (n == 0 && wait_ns > 0) {
			int64_t late = (int64_t)(woke_ns - ns - wait_ns);
			if (late > LATE_CLIP_NS)
				late = LATE_CLIP_NS;
			early_ns += (late - early_ns) / EARLY_WEIGHT;
			if (early_ns < 0)
				early_ns = 0;
			if (early_ns > EARLY_MAX_NS)
				early_ns = EARLY_MAX_NS;
		}
		now = woke_ns / 1000;
		for (int i = 0; i < n; i++) {
			uint32_t id = events[i].data.u32;
			if (id < 2) {
				/* tun[0] (A) feeds up, tun[1] (B) feeds down */
				read_tun(l, id == 0 ? R3D_LS_UP : R3D_LS_DOWN, now);
				continue;
			}
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					int status;
					pid_t p;
					while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
						if (p == l->child) {
							ret = stopping ? 0 : exit_status(status);
							goto done;
						}
					}
					continue;
				}
				if (!l->child) {
					ret = 0;
					goto done;
				}
				if (!stopping) {
					/* let COMMAND close its connections over the link */
					kill(l->child, (int)si.ssi_signo);
					stopping = true;
					stop_at = now + STOP_GRACE_US;
				}
			}
		}
	}
done:
	print_stats(l, iv, r3d_ls_now_us(), early_ns, &wakes, true);
out_ep:
	close(ep);
out_sfd:
	close(sfd);
	return ret;
}
