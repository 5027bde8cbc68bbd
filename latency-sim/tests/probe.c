/*
 * latency-sim-probe — timestamped UDP probes for the tests and benchmark.
 *
 *   latency-sim-probe send ADDR PORT RATE_BPS|0 COUNT SIZE [INTERVAL_US]
 *       sends COUNT datagrams of SIZE payload bytes, each carrying its
 *       sequence number and CLOCK_MONOTONIC send time, paced at RATE_BPS
 *       (IP bytes) or every INTERVAL_US when RATE_BPS is 0.
 *   latency-sim-probe recv PORT IDLE_MS LOG
 *       receives until IDLE_MS pass without a datagram (after the first)
 *       and writes one line per datagram to LOG:
 *       "seq send_ns recv_ns ip_bytes kernel_ns".
 *   latency-sim-probe timer PERIOD_US COUNT [fifo]
 *       the machine's floor: COUNT timed wake-ups every PERIOD_US, slept
 *       the way latency-sim sleeps (epoll_pwait2, 1 ns timer slack, nice
 *       -20 or SCHED_FIFO 50 with "fifo"); prints one JSON line with the
 *       wake-up lateness (mean, p99, max in us) and the CPU it used.
 * CLOCK_MONOTONIC is one clock for every namespace of the machine, so
 * recv_ns - send_ns is the one-way delay as the receiving program sees it.
 * kernel_ns is the kernel's receive timestamp (SO_TIMESTAMPNS, taken when
 * the packet entered the receiving namespace's stack, i.e. inside the
 * emulator's write to its tun device), moved onto CLOCK_MONOTONIC:
 * kernel_ns - send_ns is the link's delay without this program's own
 * wake-up lateness. 0 when the kernel gave no timestamp.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define IP_UDP_HEADERS 28

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int do_send(char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint64_t rate = strtoull(argv[2], NULL, 10);
	long count = atol(argv[3]);
	size_t size = (size_t)atol(argv[4]);
	uint64_t interval = argv[5] ? strtoull(argv[5], NULL, 10) * 1000 : 0;
	uint8_t buf[65536];
	int s;

	if (inet_pton(AF_INET, argv[0], &to.sin_addr) != 1 || size < 12 ||
	    size > sizeof(buf)) {
		fprintf(stderr, "probe: bad address or size\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[1]));
	if (rate)
		interval = (size + IP_UDP_HEADERS) * 8ull * 1000000000ull / rate;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0) {
		perror("probe: socket");
		return 1;
	}
	memset(buf, 0xa5, size);
	uint64_t t = now_ns();
	for (long i = 0; i < count; i++) {
		sleep_until(t);
		uint32_t seq = (uint32_t)i;
		uint64_t sent = now_ns();
		memcpy(buf, &seq, 4);
		memcpy(buf + 4, &sent, 8);
		if (sendto(s, buf, size, 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
		    errno != ENOBUFS) {
			perror("probe: sendto");
			return 1;
		}
		t += interval;
	}
	close(s);
	return 0;
}

static int do_recv(char **argv)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	int idle_ms = atoi(argv[1]);
	FILE *log = fopen(argv[2], "w");
	uint8_t buf[65536];
	bool got = false;
	int s;

	if (!log) {
		perror("probe: log");
		return 1;
	}
	me.sin_port = htons((uint16_t)atoi(argv[0]));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 8 << 20, on = 1;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("probe: bind");
		return 1;
	}
	/* tell a waiting script we are listening */
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		int r = poll(&p, 1, got ? idle_ms : 60000);
		if (r <= 0)
			break;
		union {
			char buf[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf,
				      .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(s, &msg, 0);
		uint64_t t = now_ns();
		/* CLOCK_REALTIME - CLOCK_MONOTONIC, to move the kernel stamp */
		int64_t off = (int64_t)clock_ns(CLOCK_REALTIME) - (int64_t)now_ns();
		uint64_t kt = 0;
		if (n < 12)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SO_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				kt = (uint64_t)((int64_t)ts.tv_sec * 1000000000 +
						ts.tv_nsec - off);
			}
		}
		uint32_t seq;
		uint64_t sent;
		memcpy(&seq, buf, 4);
		memcpy(&sent, buf + 4, 8);
		fprintf(log, "%u %llu %llu %zd %llu\n", seq,
			(unsigned long long)sent, (unsigned long long)t,
			n + IP_UDP_HEADERS, (unsigned long long)kt);
		got = true;
	}
	fclose(log);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int do_timer(char **argv, bool fifo)
{
	uint64_t period = strtoull(argv[0], NULL, 10) * 1000;
	long count = atol(argv[1]);
	uint64_t *late = calloc((size_t)(count > 0 ? count : 1), sizeof(*late));
	struct rusage r0, r1;
	int ep = epoll_create1(0);

	if (!late || ep < 0 || count <= 0 || period == 0) {
		fprintf(stderr, "probe: timer: bad arguments\n");
		return 2;
	}
	prctl(PR_SET_TIMERSLACK, 1UL);
	if (fifo) {
		struct sched_param sp = { .sched_priority = 50 };
		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			perror("probe: SCHED_FIFO");
	} else {
		setpriority(PRIO_PROCESS, 0, -20);
	}
	getrusage(RUSAGE_SELF, &r0);
	uint64_t start = now_ns(), t = start + period;
	for (long i = 0; i < count; i++) {
		uint64_t now = now_ns(), wait = t > now ? t - now : 0;
		struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000ull),
				       .tv_nsec = (long)(wait % 1000000000ull) };
		struct epoll_event ev;
		epoll_pwait2(ep, &ev, 1, &ts, NULL);
		late[i] = now_ns() - t;
		t += period;
	}
	uint64_t span = now_ns() - start;
	getrusage(RUSAGE_SELF, &r1);
	double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec +
			      r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e6 +
		     (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec +
			      r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
	double sum = 0;
	for (long i = 0; i < count; i++)
		sum += (double)late[i];
	qsort(late, (size_t)count, sizeof(*late), cmp_u64);
	printf("{\"wakeups_per_s\":%.0f,\"late_mean_us\":%.1f,"
	       "\"late_p99_us\":%.1f,\"late_max_us\":%.1f,\"cpu_pct\":%.2f}\n",
	       (double)count / ((double)span / 1e9), sum / (double)count / 1e3,
	       (double)late[count * 99 / 100] / 1e3,
	       (double)late[count - 1] / 1e3, cpu / ((double)span / 1e3) * 100);
	free(late);
	close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 7 && strcmp(argv[1], "send") == 0)
		return do_send(argv + 2);
	if (argc == 5 && strcmp(argv[1], "recv") == 0)
		return do_recv(argv + 2);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "timer") == 0)
		return do_timer(argv + 2, argc == 5 && strcmp(argv[4], "fifo") == 0);
	fprintf(stderr, "usage: latency-sim-probe send ADDR PORT RATE_BPS COUNT "
		"SIZE [INTERVAL_US]\n       latency-sim-probe recv PORT IDLE_MS LOG\n"
		"       latency-sim-probe timer PERIOD_US COUNT [fifo]\n");
	return 2;
}
