/*
 * Unit tests of option parsing: values land in the right direction, and
 * every bad option gives an error that names the problem.
 */
#include "options.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
			failures++;                                       \
		}                                                         \
	} while (0)

static bool parse(struct r3d_ls_options *o, char *err, size_t len, ...)
{
	char *argv[32] = { "latency-sim" };
	int argc = 1;
	va_list ap;

	va_start(ap, len);
	for (char *a; (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	err[0] = '\0';
	return r3d_ls_options_parse(o, argc, argv, err, len);
}

/* The parse fails and the message contains `want`. */
#define BAD(want, ...)                                                    \
	do {                                                              \
		char e[300];                                              \
		struct r3d_ls_options o;                                  \
		bool ok = parse(&o, e, sizeof(e), __VA_ARGS__, NULL);     \
		CHECK(!ok && strstr(e, want), "want '%s', got '%s'", want, e); \
		r3d_ls_options_finish(&o);                                \
	} while (0)

static void test_good_options(void)
{
	struct r3d_ls_options o;
	char e[300];
	bool ok = parse(&o, e, sizeof(e), "--delay", "25ms", "--up-delay=5ms",
			"--jitter", "1.5ms", "--rate", "10mbit", "--down-rate",
			"2.5Mbit", "--queue", "64kb", "--up-queue", "100pkt,32kb",
			"--loss", "1%", "--down-ge-loss", "1%,25%",
			"--rate-schedule", "0s:10mbit,30s:1mbit,60s:10mbit@90s",
			"--outage", "10s+2s@30s", "--", "true", "x", NULL);

	CHECK(ok, "%s", e);
	CHECK(o.link[R3D_LS_UP].delay_us == 5000, "up delay");
	CHECK(o.link[R3D_LS_DOWN].delay_us == 25000, "down delay");
	CHECK(o.link[R3D_LS_DOWN].jitter_us == 1500, "jitter");
	CHECK(o.link[R3D_LS_DOWN].queue_bytes == 65536 &&
	      o.link[R3D_LS_DOWN].queue_packets == 0, "down queue");
	CHECK(o.link[R3D_LS_UP].queue_bytes == 32768 &&
	      o.link[R3D_LS_UP].queue_packets == 100, "up queue");
	CHECK(o.link[R3D_LS_UP].loss == 0.01, "loss");
	CHECK(o.link[R3D_LS_DOWN].ge_p == 0.01 && o.link[R3D_LS_DOWN].ge_r == 0.25 &&
	      o.link[R3D_LS_DOWN].ge_bad_loss == 1.0 && o.link[R3D_LS_UP].ge_p == 0,
	      "ge");
	CHECK(o.link[R3D_LS_UP].schedule_len == 3 &&
	      o.link[R3D_LS_UP].schedule[1].at_us == 30000000 &&
	      o.link[R3D_LS_UP].schedule[1].rate_bps == 1000000 &&
	      o.link[R3D_LS_UP].schedule_period_us == 90000000, "schedule");
	CHECK(o.link[R3D_LS_UP].outage_start_us == 10000000 &&
	      o.link[R3D_LS_UP].outage_len_us == 2000000 &&
	      o.link[R3D_LS_UP].outage_period_us == 30000000, "outage");
	CHECK(o.command && strcmp(o.command[0], "true") == 0 &&
	      strcmp(o.command[1], "x") == 0 && !o.command[2], "command");
	CHECK(o.link[R3D_LS_UP].overhead_bytes == 18 && o.mtu == 1500, "defaults");
	CHECK(o.coalesce_us == 200 && o.realtime == R3D_LS_REALTIME_AUTO,
	      "default coalescing and scheduling");
	r3d_ls_options_finish(&o);

	ok = parse(&o, e, sizeof(e), "--coalesce", "0us", "--no-realtime", "--",
		   "true", NULL);
	CHECK(ok && o.coalesce_us == 0 && o.realtime == R3D_LS_REALTIME_OFF,
	      "--coalesce 0, --no-realtime: %s", e);
	r3d_ls_options_finish(&o);

	ok = parse(&o, e, sizeof(e), "--netns-a", "a", "--netns-b", "b", NULL);
	CHECK(ok && !o.command, "two namespaces need no command: %s", e);
	r3d_ls_options_finish(&o);
}

static void test_bad_options_say_why(void)
{
	BAD("unknown unit 'xs'", "--delay", "5xs", "--", "true");
	BAD("has no unit", "--delay", "5", "--", "true");
	BAD("negative time '-5ms'", "--delay", "-5ms", "--", "true");
	BAD("unknown unit 'mbps'", "--rate", "10mbps", "--", "true");
	BAD("cannot hold one 1500-byte packet", "--queue", "1kb", "--", "true");
	BAD("cannot hold one 9000-byte packet", "--queue", "8kb", "--mtu",
	    "9000", "--", "true");
	BAD("at least one packet", "--queue", "0pkt", "--", "true");
	BAD("missing command", "--delay", "5ms");
	BAD("missing command", "--delay", "5ms", "--");
	BAD("unknown option '--dealy'", "--dealy", "5ms", "--", "true");
	BAD("unknown option '--up-mtu'", "--up-mtu", "1400", "--", "true");
	BAD("needs a value", "--delay");
	BAD("over 100%", "--loss", "150%", "--", "true");
	BAD("must start at 0s", "--rate-schedule", "1s:1mbit", "--", "true");
	BAD("times must increase", "--rate-schedule", "0s:1mbit,0s:2mbit", "--",
	    "true");
	BAD("after its last step", "--rate-schedule", "0s:1mbit,5s:2mbit@5s",
	    "--", "true");
	BAD("cannot open trace", "--trace", "/nonexistent/trace", "--", "true");
	BAD("go together", "--netns-a", "x", "--", "true");
	BAD("unexpected 'true'", "true");
	BAD("--coalesce: 2ms is more than 1ms", "--coalesce", "2ms", "--", "true");
}

int main(void)
{
	test_good_options();
	test_bad_options_say_why();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("all option checks passed\n");
	return failures ? 1 : 0;
}
