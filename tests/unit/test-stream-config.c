/*
 * The stream's configuration from the environment (stream-config.c):
 *  - with no R3D_* variable set (or each set empty) r3d_stream_config_from_env
 *    leaves every field as the caller set it;
 *  - each variable's good values land in its field (R3D_GL_READBACK ->
 *    readback, R3D_PIPELINE -> serial, R3D_GL_PERSISTENT -> gl_mapping,
 *    R3D_ENCODER_NICE -> encoder_nice, R3D_STATS seconds ->
 *    stats_interval_ms);
 *  - a bad value makes it return false with one line naming the variable
 *    and the value (each bad one, joined), the field untouched and the good
 *    variables still applied;
 *  - r3d_readback_from_name / r3d_readback_name agree, "async" is poll;
 *  - r3d_stream_create refuses fields out of range, naming them.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/stream.h"

static const char *const vars[] = { "R3D_GL_READBACK", "R3D_PIPELINE", "R3D_GL_PERSISTENT", "R3D_ENCODER_NICE",
				    "R3D_STATS" };

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

/* A config with every env field set to something not the default. */
static struct r3d_stream_config marked(void)
{
	return (struct r3d_stream_config){
		.width = 320,
		.readback = R3D_READBACK_SYNC_YUV,
		.serial = true,
		.gl_mapping = R3D_GL_MAP_COPY,
		.encoder_nice = 3,
		.stats_interval_ms = 1234,
	};
}

static bool same_env_fields(const struct r3d_stream_config *a, const struct r3d_stream_config *b)
{
	return a->readback == b->readback && a->serial == b->serial && a->gl_mapping == b->gl_mapping &&
	       a->encoder_nice == b->encoder_nice && a->stats_interval_ms == b->stats_interval_ms &&
	       a->width == b->width;
}

/* from_env must succeed; returns the config it made from `start`. */
static struct r3d_stream_config good(struct r3d_stream_config start)
{
	char *error = NULL;
	bool ok = r3d_stream_config_from_env(&start, &error);
	if (!ok)
		fprintf(stderr, "unexpected: %s\n", error);
	assert(ok && !error);
	return start;
}

/* from_env must fail; returns its error (the caller frees it). */
static char *bad(struct r3d_stream_config *cfg)
{
	char *error = NULL;
	assert(!r3d_stream_config_from_env(cfg, &error));
	assert(error && !strchr(error, '\n'));
	printf("error: %s\n", error);
	return error;
}

static void test_unset_and_empty(void)
{
	struct r3d_stream_config m = marked(), c;
	clear_env();
	c = good(m);
	assert(same_env_fields(&c, &m));
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		setenv(vars[i], "", 1);
	c = good(m);
	assert(same_env_fields(&c, &m));
	struct r3d_stream_config zero = { .width = 0 };
	clear_env();
	c = good(zero);
	assert(same_env_fields(&c, &zero));
	printf("unset and empty: fields kept\n");
}

static void test_good_values(void)
{
	static const struct {
		const char *name;
		enum r3d_readback mode;
	} modes[] = {
		{ "auto", R3D_READBACK_AUTO }, { "thread", R3D_READBACK_THREAD },   { "poll", R3D_READBACK_POLL },
		{ "async", R3D_READBACK_POLL }, { "sync", R3D_READBACK_SYNC }, { "sync-yuv", R3D_READBACK_SYNC_YUV },
	};
	struct r3d_stream_config c;
	clear_env();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		setenv("R3D_GL_READBACK", modes[i].name, 1);
		c = good(marked());
		assert(c.readback == modes[i].mode);
	}
	clear_env();

	setenv("R3D_PIPELINE", "0", 1);
	assert(good((struct r3d_stream_config){ .serial = false }).serial);
	setenv("R3D_PIPELINE", "1", 1);
	assert(!good(marked()).serial);
	clear_env();

	setenv("R3D_GL_PERSISTENT", "0", 1);
	assert(good((struct r3d_stream_config){ .gl_mapping = R3D_GL_MAP_AUTO }).gl_mapping == R3D_GL_MAP_COPY);
	setenv("R3D_GL_PERSISTENT", "1", 1);
	assert(good(marked()).gl_mapping == R3D_GL_MAP_AUTO);
	clear_env();

	const struct {
		const char *v;
		int nice;
	} nices[] = { { "0", 0 }, { "10", 10 }, { "12", 12 }, { "19", 19 } };
	for (size_t i = 0; i < sizeof(nices) / sizeof(nices[0]); i++) {
		setenv("R3D_ENCODER_NICE", nices[i].v, 1);
		assert(good((struct r3d_stream_config){ .encoder_nice = R3D_ENCODER_NICE_UNSET }).encoder_nice ==
		       nices[i].nice);
	}
	clear_env();

	const struct {
		const char *v;
		unsigned ms;
	} stats[] = { { "0.2", 200 }, { "1", 1000 }, { "0.1", 100 }, { "2.5", 2500 }, { "3600", 3600000 }, { "0", 0 } };
	for (size_t i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		setenv("R3D_STATS", stats[i].v, 1);
		assert(good(marked()).stats_interval_ms == stats[i].ms);
	}
	clear_env();
	printf("good values: every variable lands in its field\n");
}

static void test_bad_values(void)
{
	static const struct {
		const char *var, *value, *says;
	} cases[] = {
		{ "R3D_GL_READBACK", "fast", "R3D_GL_READBACK=fast is not auto, thread, poll, sync or sync-yuv" },
		{ "R3D_GL_READBACK", "Thread", "R3D_GL_READBACK=Thread is not" },
		{ "R3D_PIPELINE", "off", "R3D_PIPELINE=off is not 0" },
		{ "R3D_PIPELINE", "2", "R3D_PIPELINE=2 is not 0" },
		{ "R3D_GL_PERSISTENT", "no", "R3D_GL_PERSISTENT=no is not 0" },
		{ "R3D_ENCODER_NICE", "twenty", "R3D_ENCODER_NICE=twenty is not 0..19" },
		{ "R3D_ENCODER_NICE", "25", "R3D_ENCODER_NICE=25 is not 0..19" },
		{ "R3D_ENCODER_NICE", "-1", "R3D_ENCODER_NICE=-1 is not 0..19" },
		{ "R3D_ENCODER_NICE", "7x", "R3D_ENCODER_NICE=7x is not 0..19" },
		{ "R3D_ENCODER_NICE", "99999999999999999999", "is not 0..19" },
		{ "R3D_STATS", "often", "R3D_STATS=often is not a number of seconds" },
		{ "R3D_STATS", "0.05", "R3D_STATS=0.05 is not a number of seconds" },
		{ "R3D_STATS", "3601", "R3D_STATS=3601 is not a number of seconds" },
		{ "R3D_STATS", "nan", "R3D_STATS=nan is not a number of seconds" },
		{ "R3D_STATS", "1s", "R3D_STATS=1s is not a number of seconds" },
		{ "R3D_STATS", "-1", "R3D_STATS=-1 is not a number of seconds" },
	};
	clear_env();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct r3d_stream_config m = marked(), c = m;
		setenv(cases[i].var, cases[i].value, 1);
		char *error = bad(&c);
		assert(strstr(error, cases[i].says));
		assert(same_env_fields(&c, &m)); /* the bad one untouched */
		free(error);
		unsetenv(cases[i].var);
	}

	/* two bad ones: both named on one line; the good ones still applied */
	setenv("R3D_ENCODER_NICE", "twenty", 1);
	setenv("R3D_STATS", "often", 1);
	setenv("R3D_GL_READBACK", "poll", 1);
	setenv("R3D_PIPELINE", "0", 1);
	struct r3d_stream_config c = { .encoder_nice = 4, .stats_interval_ms = 500 };
	char *error = bad(&c);
	assert(strstr(error, "R3D_ENCODER_NICE=twenty is not 0..19") &&
	       strstr(error, "R3D_STATS=often is not a number of seconds"));
	assert(c.encoder_nice == 4 && c.stats_interval_ms == 500);
	assert(c.readback == R3D_READBACK_POLL && c.serial);
	free(error);

	/* a value with a line break still makes one line */
	clear_env();
	setenv("R3D_GL_READBACK", "sync\nmore", 1);
	c = marked();
	error = bad(&c);
	assert(strstr(error, "R3D_GL_READBACK=sync?more is not"));
	free(error);
	clear_env();

	/* no config, no error pointer */
	assert(!r3d_stream_config_from_env(NULL, NULL));
	setenv("R3D_STATS", "often", 1);
	c = marked();
	assert(!r3d_stream_config_from_env(&c, NULL));
	clear_env();
	printf("bad values: one line naming each, the field kept\n");
}

static void test_names(void)
{
	const enum r3d_readback all[] = { R3D_READBACK_AUTO, R3D_READBACK_SYNC, R3D_READBACK_POLL, R3D_READBACK_THREAD,
					  R3D_READBACK_SYNC_YUV };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		enum r3d_readback back = (enum r3d_readback)99;
		const char *name = r3d_readback_name(all[i]);
		assert(name && r3d_readback_from_name(name, &back) && back == all[i]);
	}
	assert(strcmp(r3d_readback_name(R3D_READBACK_AUTO), "auto") == 0);
	assert(strcmp(r3d_readback_name(R3D_READBACK_POLL), "poll") == 0);
	assert(strcmp(r3d_readback_name(R3D_READBACK_SYNC_YUV), "sync-yuv") == 0);
	assert(!r3d_readback_name((enum r3d_readback)42));
	enum r3d_readback keep = R3D_READBACK_SYNC;
	assert(!r3d_readback_from_name("", &keep) && !r3d_readback_from_name(NULL, &keep) &&
	       !r3d_readback_from_name("sync ", &keep) && keep == R3D_READBACK_SYNC);
	printf("names: round trip\n");
}

static void test_create_refuses(void)
{
	const struct {
		struct r3d_stream_config cfg;
		const char *says;
	} cases[] = {
		{ { .width = 64, .height = 64, .readback = (enum r3d_readback)42 }, "bad readback mode 42" },
		{ { .width = 64, .height = 64, .gl_mapping = (enum r3d_gl_mapping)7 }, "bad GL readback mapping 7" },
		{ { .width = 64, .height = 64, .encoder_nice = 20 }, "encoder nice 20 is not 0..19" },
		{ { .width = 64, .height = 64, .encoder_nice = -5 }, "encoder nice -5 is not 0..19" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *error = NULL;
		assert(!r3d_stream_create(&cases[i].cfg, &error));
		printf("create: %s\n", error);
		assert(error && strstr(error, cases[i].says));
		free(error);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_unset_and_empty();
	test_good_values();
	test_bad_values();
	test_names();
	test_create_refuses();
	printf("ok\n");
	return 0;
}
