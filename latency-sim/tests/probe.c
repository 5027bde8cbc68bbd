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
 *       "seq send_ns recv_ns ip_bytes".
 * CLOCK_MONOTONIC is one clock for every namespace of the machine, so
 * recv_ns - send_ns is the one-way delay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IP_UDP_HEADERS 28

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
	int big = 8 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
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
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		uint64_t t = now_ns();
		if (n < 12)
			continue;
		uint32_t seq;
		uint64_t sent;
		memcpy(&seq, buf, 4);
		memcpy(&sent, buf + 4, 8);
		fprintf(log, "%u %llu %llu %zd\n", seq, (unsigned long long)sent,
			(unsigned long long)t, n + IP_UDP_HEADERS);
		got = true;
	}
	fclose(log);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 7 && strcmp(argv[1], "send") == 0)
		return do_send(argv + 2);
	if (argc == 5 && strcmp(argv[1], "recv") == 0)
		return do_recv(argv + 2);
	fprintf(stderr, "usage: latency-sim-probe send ADDR PORT RATE_BPS COUNT "
		"SIZE [INTERVAL_US]\n       latency-sim-probe recv PORT IDLE_MS LOG\n");
	return 2;
}
