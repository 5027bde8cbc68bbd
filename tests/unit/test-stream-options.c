/*
 * The stream's key=value options (stream-config.c), as QEMU's -spice
 * passes them:
 *  - each key's good values land in its field (max-refresh-rate -> max_fps,
 *    encoder -> encoder ("" = auto), bitrate / min-bitrate / max-bitrate ->
 *    the kbit/s fields, rate-control -> rate_control in QEMU's spellings);
 *    video-codec accepts h264 and gstreamer:h264 and changes nothing;
 *  - a bad value or an unknown key returns false with one line naming the
 *    key and the value, the config untouched; numbers are decimal digits
 *    only, within range (no sign, space, hex or suffix);
 *  - r3d_stream_config_check refuses bounds without rate control, min above
 *    max and a bitrate outside them, and takes every good combination;
 *    r3d_stream_config_check_spelled says the same with the options
 *    spelled as a command line's (--min-bitrate 600, remote3d-testsrc's).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/stream.h"

static struct r3d_stream_config start(void)
{
	return (struct r3d_stream_config){ .encoder = "x264", .bitrate_kbps = 111, .max_fps = 22,
					   .rate_control = true, .min_bitrate_kbps = 33,
					   .max_bitrate_kbps = 4444 };
}

static bool same(const struct r3d_stream_config *a, const struct r3d_stream_config *b)
{
	return a->encoder == b->encoder && a->bitrate_kbps == b->bitrate_kbps &&
	       a->max_fps == b->max_fps && a->rate_control == b->rate_control &&
	       a->min_bitrate_kbps == b->min_bitrate_kbps && a->max_bitrate_kbps == b->max_bitrate_kbps;
}

static void set_ok(struct r3d_stream_config *c, const char *key, const char *value)
{
	char *error = NULL;
	bool ok = r3d_stream_config_set(c, key, value, &error);
	if (!ok)
		printf("%s=%s refused: %s\n", key, value, error);
	assert(ok && !error);
}

static void test_good_values(void)
{
	struct r3d_stream_config c = start(), m = start();
	static const char pipeline[] = "videoconvert ! x264enc";

	set_ok(&c, "video-codec", "h264");
	set_ok(&c, "video-codec", "gstreamer:h264");
	assert(same(&c, &m));
	set_ok(&c, "max-refresh-rate", "0");
	assert(c.max_fps == 0);
	set_ok(&c, "max-refresh-rate", "1000");
	assert(c.max_fps == R3D_MAX_FPS_CAP);
	set_ok(&c, "max-refresh-rate", "030");
	assert(c.max_fps == 30); /* decimal, not octal */
	set_ok(&c, "bitrate", "0");
	assert(c.bitrate_kbps == 0);
	set_ok(&c, "bitrate", "1000000");
	assert(c.bitrate_kbps == R3D_MAX_BITRATE_KBPS);
	set_ok(&c, "min-bitrate", "250");
	set_ok(&c, "max-bitrate", "9000");
	assert(c.min_bitrate_kbps == 250 && c.max_bitrate_kbps == 9000 && c.bitrate_kbps == 1000000);
	set_ok(&c, "encoder", pipeline);
	assert(c.encoder == pipeline);
	set_ok(&c, "encoder", "");
	assert(c.encoder == NULL);
	static const char *const off[] = { "off", "no", "false", "n" },
			  *const on[] = { "on", "yes", "true", "y" };
	for (int i = 0; i < 4; i++) {
		set_ok(&c, "rate-control", off[i]);
		assert(!c.rate_control);
		set_ok(&c, "rate-control", on[i]);
		assert(c.rate_control);
	}
}

static void test_bad_values(void)
{
	static const struct {
		const char *key, *value, *says;
	} cases[] = {
		{ "video-codec", "vp8", "video-codec=vp8 is not supported" },
		{ "video-codec", "H264", "video-codec=H264 is not supported" },
		{ "video-codec", "", "video-codec= is not supported" },
		{ "max-refresh-rate", "1001", "max-refresh-rate=1001 is out of range" },
		{ "max-refresh-rate", "-1", "max-refresh-rate=-1 is out of range" },
		{ "max-refresh-rate", "", "max-refresh-rate= is out of range" },
		{ "max-refresh-rate", "0x10", "max-refresh-rate=0x10 is out of range" },
		{ "max-refresh-rate", " 30", "max-refresh-rate= 30 is out of range" },
		{ "bitrate", "abc", "bitrate=abc is out of range (kbit/s, 0 for a default from the size" },
		{ "bitrate", "1000001", "bitrate=1000001 is out of range" },
		{ "bitrate", "99999999999999999999999", "bitrate=99999999999999999999999 is out of range" },
		{ "bitrate", "5M", "bitrate=5M is out of range" },
		{ "bitrate", "+5", "bitrate=+5 is out of range" },
		{ "min-bitrate", "1.5", "min-bitrate=1.5 is out of range (kbit/s, 0 for the controller's" },
		{ "max-bitrate", "2000000", "max-bitrate=2000000 is out of range" },
		{ "rate-control", "maybe", "rate-control=maybe is not on or off" },
		{ "rate-control", "ON", "rate-control=ON is not on or off" },
		{ "rate-control", "1", "rate-control=1 is not on or off" },
		{ "bitrat", "5", "unknown stream option 'bitrat'" },
		{ "", "5", "unknown stream option ''" },
		{ "bitrate", "1\n2", "bitrate=1?2 is out of range" }, /* one line */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct r3d_stream_config c = start(), m = start();
		char *error = NULL;
		bool ok = r3d_stream_config_set(&c, cases[i].key, cases[i].value, &error);
		if (ok || !error || !strstr(error, cases[i].says))
			printf("%s=%s: %s (want '%s')\n", cases[i].key, cases[i].value,
			       error ? error : "(taken)", cases[i].says);
		assert(!ok && error && strstr(error, cases[i].says));
		assert(!strchr(error, '\n'));
		assert(same(&c, &m));
		free(error);
	}
	/* a long value is cut in the message */
	char long_value[300];
	memset(long_value, '7', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = 0;
	struct r3d_stream_config c = start();
	char *error = NULL;
	assert(!r3d_stream_config_set(&c, "bitrate", long_value, &error));
	assert(error && strstr(error, "...") && strlen(error) < 200);
	free(error);
	error = NULL;
	assert(!r3d_stream_config_set(NULL, "bitrate", "5", &error));
	free(error);
}

static void check_says(struct r3d_stream_config c, const char *says)
{
	char *error = NULL;
	bool ok = r3d_stream_config_check(&c, &error);

	if (says) {
		if (ok || !error || !strstr(error, says))
			printf("check: %s (want '%s')\n", error ? error : "(taken)", says);
		assert(!ok && error && strstr(error, says));
	} else {
		if (!ok)
			printf("check refused a good config: %s\n", error);
		assert(ok && !error);
	}
	free(error);
}

static void test_check(void)
{
	struct r3d_stream_config c = { .rate_control = true };

	check_says(c, NULL);
	c.min_bitrate_kbps = 500, c.max_bitrate_kbps = 500, c.bitrate_kbps = 500;
	check_says(c, NULL);
	c.bitrate_kbps = 0, c.max_bitrate_kbps = 0;
	check_says(c, NULL);
	c.min_bitrate_kbps = 600, c.max_bitrate_kbps = 500;
	check_says(c, "min-bitrate=600 is above max-bitrate=500");
	c.min_bitrate_kbps = 100, c.bitrate_kbps = 50;
	check_says(c, "bitrate=50 is below min-bitrate=100");
	c.bitrate_kbps = 501;
	check_says(c, "bitrate=501 is above max-bitrate=500");
	c.bitrate_kbps = 300;
	check_says(c, NULL);
	c.rate_control = false;
	check_says(c, "min-bitrate and max-bitrate need rate-control=on");
	c.min_bitrate_kbps = 0, c.max_bitrate_kbps = 0;
	check_says(c, NULL); /* a fixed bitrate alone */
}

static void check_spelled_says(struct r3d_stream_config c, const char *says)
{
	char *error = NULL;
	bool ok = r3d_stream_config_check_spelled(&c, R3D_SPELLING_LONG_OPTION, &error);

	if (ok || !error || strcmp(error, says) != 0)
		printf("check (long options): %s (want '%s')\n", error ? error : "(taken)", says);
	assert(!ok && error && strcmp(error, says) == 0);
	free(error);
}

/* the same checks, named as a command line spells them (remote3d-testsrc) */
static void test_check_spelled(void)
{
	struct r3d_stream_config c = { .rate_control = true, .min_bitrate_kbps = 600, .max_bitrate_kbps = 500 };

	check_spelled_says(c, "--min-bitrate 600 is above --max-bitrate 500");
	c.min_bitrate_kbps = 100, c.bitrate_kbps = 50;
	check_spelled_says(c, "--bitrate 50 is below --min-bitrate 100");
	c.bitrate_kbps = 501;
	check_spelled_says(c, "--bitrate 501 is above --max-bitrate 500");
	c.bitrate_kbps = 300, c.rate_control = false;
	check_spelled_says(c, "--min-bitrate and --max-bitrate need --rate-control on (they bound it)");
	c.rate_control = true;
	char *error = NULL;
	assert(r3d_stream_config_check_spelled(&c, R3D_SPELLING_LONG_OPTION, &error) && !error);
	/* the key=value spelling is r3d_stream_config_check's */
	c.bitrate_kbps = 501;
	assert(!r3d_stream_config_check_spelled(&c, R3D_SPELLING_KEY_VALUE, &error));
	assert(error && strcmp(error, "bitrate=501 is above max-bitrate=500") == 0);
	free(error);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_good_values();
	test_bad_values();
	test_check();
	test_check_spelled();
	printf("ok\n");
	return 0;
}
