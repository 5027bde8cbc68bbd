/*
 * The encoder's CPU priority and the stream's periodic summary:
 *  - r3d_thread_set_nice() sets the calling thread to the process's
 *    nice + delta, once (a thread started by a lowered one inherits it and
 *    is not lowered twice), and refuses nothing for delta 0;
 *  - a stream (CPU source, x264) with encoder_nice 7: its encoder
 *    thread and GStreamer's streaming thread (and x264's threads, which
 *    inherit from it) run at nice base+7, no thread of the process above
 *    it, the test's own thread untouched;
 *  - stats_interval_ms 200 logs a "stream stats" line about every 0.2 s whose
 *    rates follow what the stream did (frames encoded while the sink took
 *    them, none after it left);
 *  - an encoder_nice out of 0..19 is refused at create with an error naming
 *    it (the R3D_* variables' bad values: test-stream-config.c).
 */
#include <assert.h>
#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "remote3d/log.h"
#include "priority.h" /* encoder/: the library's own */
#include "remote3d/stream.h"
#include "stamp.h"

#define W 320
#define H 240
#define MAX_LINES 256

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *lines[MAX_LINES];
static int n_lines;

static void on_log(enum r3d_log_level level, const char *file, int line, const char *msg, void *opaque)
{
	(void)level, (void)file, (void)line, (void)opaque;
	pthread_mutex_lock(&log_lock);
	if (n_lines < MAX_LINES)
		lines[n_lines++] = strdup(msg);
	pthread_mutex_unlock(&log_lock);
}

static int count_lines(const char *needle, int from)
{
	int n = 0;
	pthread_mutex_lock(&log_lock);
	for (int i = from; i < n_lines; i++)
		n += strstr(lines[i], needle) != NULL;
	pthread_mutex_unlock(&log_lock);
	return n;
}

static int my_nice(void)
{
	return getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* ---- r3d_thread_set_nice ---- */

static void *inherits(void *arg)
{
	int *out = arg;
	out[0] = my_nice();
	bool ok = r3d_thread_set_nice(3); /* raising a priority back: root may */
	out[1] = my_nice();
	assert(ok || geteuid() != 0);
	return NULL;
}

static void *lowers(void *arg)
{
	int *out = arg;
	assert(r3d_thread_set_nice(0));
	out[0] = my_nice();
	assert(r3d_thread_set_nice(5));
	out[1] = my_nice();
	assert(r3d_thread_set_nice(5)); /* idempotent */
	out[2] = my_nice();
	pthread_t t;
	assert(pthread_create(&t, NULL, inherits, out + 3) == 0);
	pthread_join(t, NULL);
	return NULL;
}

static void test_lower_priority(int base)
{
	int v[5];
	pthread_t t;
	assert(pthread_create(&t, NULL, lowers, v) == 0);
	pthread_join(t, NULL);
	printf("set_nice: base %d, delta 0 -> %d, 5 -> %d, again -> %d; child %d, child +3 -> %d\n", base,
	       v[0], v[1], v[2], v[3], v[4]);
	int want = base + 5 > 19 ? 19 : base + 5;
	assert(v[0] == base && v[1] == want && v[2] == want && v[3] == want);
	assert(v[4] == (base + 3 > 19 ? 19 : base + 3) || (geteuid() != 0 && v[4] == want));
	assert(my_nice() == base); /* the caller's own thread is untouched */
}

/* ---- the stream ---- */

struct sink {
	atomic_int aus;
	atomic_bool wake;
};

static void on_au(void *opaque, struct r3d_access_unit *au)
{
	struct sink *k = opaque;
	atomic_fetch_add(&k->aus, 1);
	r3d_access_unit_free(au);
}

static void on_wakeup(void *opaque)
{
	struct sink *k = opaque;
	atomic_store(&k->wake, true);
}

/* Mark a frame every 5 ms for `us`; the sink takes each frame at once. */
static void run(struct r3d_stream *s, struct sink *k, uint8_t *px, uint32_t *frame, long us, bool sink)
{
	uint64_t end = r3d_time_us() + (uint64_t)us, next = 0;
	int seen = atomic_load(&k->aus);
	while (r3d_time_us() < end) {
		if (r3d_time_us() >= next) {
			memset(px, (int)(*frame * 7), (size_t)W * H * 4);
			struct r3d_stamp st = { .frame = ++*frame, .time_us = r3d_time_us() };
			r3d_stamp_draw_32(px, W, H, W * 4, 0, 0, &st);
			r3d_stream_mark_dirty(s, NULL);
			next = r3d_time_us() + 5000;
		}
		if (atomic_exchange(&k->wake, false))
			r3d_stream_dispatch(s);
		int n = atomic_load(&k->aus);
		if (sink && n > seen) {
			seen = n;
			r3d_stream_sink_ready(s);
		}
		sleep_us(500);
	}
}

/* The nice of every thread of this process whose name starts with
 * `prefix` ("" for all): the highest in *max, how many at `value`. */
static int threads_at(const char *prefix, int value, int *max, int *total)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;
	*max = -100;
	*total = 0;
	assert(d);
	while ((e = readdir(d))) {
		char path[300], buf[512];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue; /* ended meanwhile */
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		char *open = strchr(buf, '('), *close = strrchr(buf, ')');
		assert(open && close);
		*close = 0;
		if (strncmp(open + 1, prefix, strlen(prefix)) != 0)
			continue;
		/* after ") ": state is field 3, nice field 19 */
		char *p = close + 2;
		for (int field = 3; field < 19; field++)
			p = strchr(p, ' ') + 1;
		int nice = atoi(p);
		if (nice != value)
			printf("  thread %s (%s): nice %d\n", e->d_name, open + 1, nice);
		(*total)++;
		if (nice > *max)
			*max = nice;
		n += nice == value;
	}
	closedir(d);
	return n;
}

static double rate_in(const char *line, const char *what)
{
	const char *p = strstr(line, what);
	assert(p);
	return atof(p + strlen(what));
}

static void test_stream(int base)
{
	struct sink k;
	char *error = NULL;
	atomic_init(&k.aus, 0);
	atomic_init(&k.wake, false);
	struct r3d_stream_config cfg = {
		.width = W, .height = H, .encoder = "x264", .bitrate_kbps = 1000,
		.encoder_nice = 7, .stats_interval_ms = 200,
		/* the encoder made at create takes BGRx, as the CPU frames: with
		 * the default (GPU NV12) the first frame makes a second pipeline,
		 * and the first one's streaming thread, given back to GLib's pool
		 * at the process's priority, may stay there idle, named r3dsrc */
		.readback = R3D_READBACK_SYNC,
		.on_access_unit = on_au, .wakeup = on_wakeup, .opaque = &k,
	};
	struct r3d_stream *s = r3d_stream_create(&cfg, &error);
	if (!s)
		fprintf(stderr, "%s\n", error);
	assert(s);
	uint8_t *px = calloc((size_t)W * H, 4);
	uint32_t frame = 0;
	assert(px && r3d_stream_set_source_cpu(s, px, W, H, W * 4, R3D_FORMAT_BGRX));

	r3d_stream_sink_ready(s);
	run(s, &k, px, &frame, 1200000, true);
	int want = base + 7 > 19 ? 19 : base + 7, max, total, smax, stotal;
	int at = threads_at("", want, &max, &total);
	int streaming = threads_at("r3dsrc", want, &smax, &stotal);
	printf("stream: %d access units; %d of %d threads at nice %d (max %d), streaming threads %d of %d\n",
	       atomic_load(&k.aus), at, total, want, max, streaming, stotal);
	assert(atomic_load(&k.aus) >= 20);
	assert(max == want);            /* nothing lowered twice */
	assert(at >= 2);                /* the encoder thread and at least one streaming thread */
	assert(stotal >= 1 && streaming == stotal);
	assert(my_nice() == base);      /* the owner thread keeps its priority */

	int busy_lines = count_lines("stream stats", 0);
	assert(busy_lines >= 3 && busy_lines <= 9); /* ~6 in 1.2 s */
	pthread_mutex_lock(&log_lock);
	const char *last = NULL;
	for (int i = 0; i < n_lines; i++)
		if (strstr(lines[i], "stream stats"))
			last = lines[i];
	printf("last summary: %s\n", last);
	assert(rate_in(last, "encoded ") > 20 && rate_in(last, "marked ") > 100);
	assert(strstr(last, "owner thread per readback"));
	pthread_mutex_unlock(&log_lock);

	/* the sink stops saying it has room (spice-server without a client):
	 * summaries go on and say nothing is encoded */
	sleep_us(300000);
	int from = n_lines;
	run(s, &k, px, &frame, 700000, false);
	assert(count_lines("stream stats", from) >= 2);
	pthread_mutex_lock(&log_lock);
	for (int i = from; i < n_lines; i++)
		if (strstr(lines[i], "stream stats"))
			last = lines[i];
	assert(rate_in(last, "encoded ") == 0 && rate_in(last, "marked ") > 100);
	pthread_mutex_unlock(&log_lock);
	r3d_stream_destroy(s);
	free(px);
}

static void test_bad_values(void)
{
	struct sink k;
	atomic_init(&k.aus, 0);
	atomic_init(&k.wake, false);
	const int bad[] = { 20, 25, -2 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *error = NULL;
		struct r3d_stream_config cfg = { .width = W, .height = H, .encoder = "x264",
						 .encoder_nice = bad[i], .on_access_unit = on_au,
						 .wakeup = on_wakeup, .opaque = &k };
		assert(!r3d_stream_create(&cfg, &error));
		printf("encoder_nice %d: %s\n", bad[i], error);
		assert(error && strstr(error, "encoder nice") && strstr(error, "is not 0..19"));
		free(error);
	}
	/* not set: the default, as a zeroed config */
	char *error = NULL;
	struct r3d_stream_config cfg = { .width = W, .height = H, .encoder = "x264",
					 .encoder_nice = R3D_ENCODER_NICE_UNSET, .on_access_unit = on_au,
					 .wakeup = on_wakeup, .opaque = &k };
	struct r3d_stream *s = r3d_stream_create(&cfg, &error);
	assert(s);
	r3d_stream_destroy(s);
}

int main(void)
{
	char *why = NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	r3d_log_set_handler(on_log, NULL);
	errno = 0;
	int base = getpriority(PRIO_PROCESS, (id_t)getpid());
	test_lower_priority(base);
	if (!r3d_encoder_available("x264", &why)) {
		printf("SKIP (stream part): %s\n", why);
		return 77;
	}
	test_bad_values();
	test_stream(base);
	printf("ok\n");
	return 0;
}
