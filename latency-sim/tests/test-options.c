/*
 * Unit tests of option parsing: values land in the right direction, and
 * every bad option gives an error that names the problem.
 */
#include "options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Out-of-range, non-finite, negative and rounded-to-nothing values are
 * refused, in every variant of every option, naming the value. */
static void test_values_checked_for_range(void)
{
	BAD("time '1e300s' is too large", "--delay", "1e300s", "--", "true");
	BAD("time '1e300s' is too large", "--up-jitter", "1e300s", "--", "true");
	BAD("time '1000000001s' is too large", "--down-delay", "1000000001s",
	    "--", "true");
	BAD("time 'nan' is not a number", "--jitter", "nan", "--", "true");
	BAD("time 'infms' is not a number", "--delay", "infms", "--", "true");
	BAD("time '+5ms' is not a number", "--delay", "+5ms", "--", "true");
	BAD("time ' 5ms' is not a number", "--delay", " 5ms", "--", "true");
	BAD("time '0x10ms' is not a decimal number", "--delay", "0x10ms", "--",
	    "true");
	BAD("time '1e-400s' is out of range", "--delay", "1e-400s", "--", "true");
	BAD("rate '0.4bit' is below 1 bit/s", "--rate", "0.4bit", "--", "true");
	BAD("--up-rate: rate '0.4bit' is below 1 bit/s", "--up-rate", "0.4bit",
	    "--", "true");
	BAD("rate '0.0000001kbit' is below 1 bit/s", "--down-rate",
	    "0.0000001kbit", "--", "true");
	BAD("rate '1e13bit' is too large", "--rate", "1e13bit", "--", "true");
	BAD("rate '0.4bit' is below 1 bit/s", "--rate-schedule",
	    "0s:1mbit,1s:0.4bit", "--", "true");
	BAD("time '1e300s' is too large", "--rate-schedule", "0s:1mbit@1e300s",
	    "--", "true");
	BAD("rate 'nanbit' is not a number", "--rate-schedule", "0s:nanbit",
	    "--", "true");
	BAD("queue '0b' cannot hold a packet (at least one MTU)", "--queue", "0b",
	    "--", "true");
	BAD("--up-queue: queue '0kb' cannot hold a packet", "--up-queue",
	    "0kb,10pkt", "--", "true");
	BAD("queue '1e30mb' is too large", "--queue", "1e30mb", "--", "true");
	BAD("queue '1.5pkt' is not a whole number", "--queue", "1.5pkt", "--",
	    "true");
	BAD("queue '1e10pkt' is not a whole number", "--down-queue", "1e10pkt",
	    "--", "true");
	BAD("percentage 'nan%' is not a number", "--loss", "nan%", "--", "true");
	BAD("negative percentage '-1%'", "--ge-loss", "-1%,2%", "--", "true");
	BAD("'-1' is not a number", "--seed", "-1", "--", "true");
	BAD("'-1' is not a byte count", "--overhead", "-1", "--", "true");
	BAD("' 1500' is not a byte count", "--mtu", " 1500", "--", "true");
	BAD("outage '1s+2s@1s': the period (1s) must be longer than the outage "
	    "(2s)", "--outage", "1s+2s@1s", "--", "true");
	BAD("the period (1s) must be longer than the outage (1s)",
	    "--down-outage", "0s+1s@1s", "--", "true");

	/* 0 written as 0 keeps its meaning; the largest values work */
	struct r3d_ls_options opts;
	char msg[300];
	bool ok = parse(&opts, msg, sizeof(msg), "--rate", "0bit",
			"--up-rate-schedule", "0s:0bit,1s:1bit", "--delay",
			"1000000000s", "--", "true", NULL);
	CHECK(ok && opts.link[R3D_LS_DOWN].rate_bps == 0 &&
	      opts.link[R3D_LS_UP].schedule[0].rate_bps == 0 &&
	      opts.link[R3D_LS_UP].delay_us == 1000000000000000ull, "%s", msg);
	r3d_ls_options_finish(&opts);
}

/* A trace file named path holding text; the path is static. */
static const char *trace_file(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test-ls-trace-XXXXXX");
	int fd = mkstemp(path);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror("trace file");
		exit(1);
	}
	return path;
}

#define BAD_TRACE(text, want, ...)                                        \
	do {                                                              \
		const char *p = trace_file(text);                         \
		char w[200];                                              \
		snprintf(w, sizeof(w), want, p);                          \
		BAD(w, "--trace", p, __VA_ARGS__, "--", "true");          \
		unlink(p);                                                \
	} while (0)

/* Trace lines are checked whole, with their true line numbers. */
static void test_trace_lines_checked(void)
{
	char long_comment[200], long_zeros[300];

	/* 2^61 ms: * 1000 wrapped to a period of 0 (SIGFPE) */
	BAD_TRACE("2305843009213693952\n",
		  "%s:1: '2305843009213693952' is not a whole number of ms", "--quiet");
	BAD_TRACE("1\n-1\n", "%s:2: '-1' is not a whole number of ms", "--quiet");
	BAD_TRACE("11111111111111111111111111\n",
		  "%s:1: '111111111111111111111111...' is not a whole", "--quiet");
	BAD_TRACE("1\n+2\n", "%s:2: '+2' is not", "--quiet");
	BAD_TRACE("1\n 2\n", "%s:2: ' 2' is not", "--quiet");
	BAD_TRACE("1\n2 \n", "%s:2: '2 ' is not", "--quiet");
	BAD_TRACE("5\n3\n", "%s:2: 3 ms is before the previous line's 5 ms",
		  "--quiet");
	BAD_TRACE("0\n0\n", "trace '%s' has no opportunity after 0 ms", "--quiet");
	/* a 150-character comment used to count as three lines */
	snprintf(long_comment, sizeof(long_comment), "1\n#%0150d\nx\n", 0);
	BAD_TRACE(long_comment, "%s:3: 'x' is not", "--quiet");

	/* long lines, CRLF and blank lines are read whole */
	snprintf(long_zeros, sizeof(long_zeros), "\r\n%0200d\r\n\n7\n", 5);
	const char *p = trace_file(long_zeros);
	struct r3d_ls_options o;
	char e[300];
	bool ok = parse(&o, e, sizeof(e), "--trace", p, "--", "true", NULL);
	CHECK(ok && o.link[0].trace_len == 2 && o.link[0].trace_ms[0] == 5 &&
	      o.link[0].trace_ms[1] == 7, "long line: %s", e);
	r3d_ls_options_finish(&o);
	unlink(p);
}

/* Options that are fine on their own but could never deliver together,
 * or whose periods line up too rarely to be computed in bounded time. */
static void test_conflicting_link_options(void)
{
	const char *p = trace_file("10\n");
	char w[300];

	/* the spin of issue 17: a 10 ms trace, 1 ms outage every 10 ms */
	snprintf(w, sizeof(w), "--outage 0s+1ms@10ms covers every delivery "
		 "opportunity of --trace %s once it has begun: the link would "
		 "never deliver", p);
	BAD(w, "--trace", p, "--outage", "0s+1ms@10ms", "--", "true");
	BAD("the link would never deliver (up direction)", "--up-trace", p,
	    "--outage", "0s+1ms@10ms", "--", "true");
	BAD("never deliver (down direction)", "--trace", p, "--down-outage",
	    "0s+1ms@2ms", "--", "true");
	{
		/* one microsecond more and the opportunities drift out */
		struct r3d_ls_options o;
		char e[300];
		CHECK(parse(&o, e, sizeof(e), "--trace", p, "--outage",
			    "0s+1ms@10001us", "--", "true", NULL), "%s", e);
		r3d_ls_options_finish(&o);
	}
	unlink(p);

	BAD("--outage 1ms+1ms@10ms covers every moment --rate-schedule "
	    "0s:0bit,1ms:1mbit,2ms:0bit@10ms is above 0", "--rate-schedule",
	    "0s:0bit,1ms:1mbit,2ms:0bit@10ms", "--outage", "1ms+1ms@10ms", "--",
	    "true");
	BAD("the periods of --rate-schedule 0s:1mbit,1ms:2mbit@10ms and --outage "
	    "1ms+1ms@10001us line up only after more than 16384 steps",
	    "--rate-schedule", "0s:1mbit,1ms:2mbit@10ms", "--outage",
	    "1ms+1ms@10001us", "--", "true");
}

int main(void)
{
	test_good_options();
	test_bad_options_say_why();
	test_values_checked_for_range();
	test_trace_lines_checked();
	test_conflicting_link_options();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("all option checks passed\n");
	return failures ? 1 : 0;
}
