/*
 * The stream's configuration as a host's user writes it: the R3D_*
 * variables a host (QEMU's adapter, remote3d-testsrc) offers, and the
 * key=value options QEMU's -spice takes, parsed and checked into the
 * fields of struct r3d_stream_config. The library itself reads only those
 * fields; this file and the log's R3D_DEBUG (log.c) are its only getenv.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote3d/log.h"
#include "remote3d/stream.h"

#define STATS_MIN_S 0.1
#define STATS_MAX_S 3600.0

static const struct {
	const char *name;
	enum r3d_readback mode;
} readback_names[] = {
	{ "auto", R3D_READBACK_AUTO },
	{ "sync", R3D_READBACK_SYNC },
	{ "poll", R3D_READBACK_POLL },
	{ "async", R3D_READBACK_POLL }, /* its first name */
	{ "thread", R3D_READBACK_THREAD },
	{ "sync-yuv", R3D_READBACK_SYNC_YUV },
};

bool r3d_readback_from_name(const char *name, enum r3d_readback *out)
{
	if (!name)
		return false;
	for (size_t i = 0; i < sizeof(readback_names) / sizeof(readback_names[0]); i++) {
		if (strcmp(name, readback_names[i].name) == 0) {
			*out = readback_names[i].mode;
			return true;
		}
	}
	return false;
}

const char *r3d_readback_name(enum r3d_readback mode)
{
	/* the first name of each mode */
	for (size_t i = 0; i < sizeof(readback_names) / sizeof(readback_names[0]); i++)
		if (readback_names[i].mode == mode)
			return readback_names[i].name;
	return NULL;
}

/* The problems found so far, one line joined by "; ". */
struct problems {
	char text[512];
	size_t len;
};

static void add_problem(struct problems *p, const char *var, const char *value, const char *why)
{
	size_t from = p->len;
	int n = snprintf(p->text + p->len, sizeof(p->text) - p->len, "%s%s=%s %s", p->len ? "; " : "",
			 var, value, why);
	if (n > 0)
		p->len = p->len + (size_t)n < sizeof(p->text) ? p->len + (size_t)n : sizeof(p->text) - 1;
	for (size_t i = from; i < p->len; i++) /* one line, whatever the value holds */
		if ((unsigned char)p->text[i] < 0x20 || p->text[i] == 0x7f)
			p->text[i] = '?';
}

/* The variable's value, NULL when unset or empty (the caller's choice stays). */
static const char *env_value(const char *var)
{
	const char *v = getenv(var);
	return v && *v ? v : NULL;
}

/* "0" or "1"; false for anything else. */
static bool parse_switch(const char *v, bool *on)
{
	if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0) {
		*on = v[0] == '1';
		return true;
	}
	return false;
}

static bool parse_nice(const char *v, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > R3D_ENCODER_NICE_MAX)
		return false;
	*out = (int)n;
	return true;
}

/* Seconds (a decimal number) to whole milliseconds; 0 = off. */
static bool parse_stats(const char *v, unsigned *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(v, &end);
	if (errno || end == v || *end)
		return false;
	if (s == 0) {
		*ms = 0;
		return true;
	}
	if (!(s >= STATS_MIN_S && s <= STATS_MAX_S)) /* NaN fails too */
		return false;
	*ms = (unsigned)(s * 1000 + 0.5);
	return true;
}

bool r3d_stream_config_from_env(struct r3d_stream_config *cfg, char **error)
{
	struct problems p = { .len = 0 };
	const char *v;
	bool on;

	if (!cfg) {
		r3d_set_error(error, "stream config: no config to fill");
		return false;
	}
	if ((v = env_value("R3D_GL_READBACK")) && !r3d_readback_from_name(v, &cfg->readback))
		add_problem(&p, "R3D_GL_READBACK", v, "is not auto, thread, poll, sync or sync-yuv");
	if ((v = env_value("R3D_PIPELINE"))) {
		if (parse_switch(v, &on))
			cfg->serial = !on;
		else
			add_problem(&p, "R3D_PIPELINE", v, "is not 0 (the serial schedule) or 1 (pipelined)");
	}
	if ((v = env_value("R3D_GL_PERSISTENT"))) {
		if (parse_switch(v, &on))
			cfg->gl_mapping = on ? R3D_GL_MAP_AUTO : R3D_GL_MAP_COPY;
		else
			add_problem(&p, "R3D_GL_PERSISTENT", v,
				    "is not 0 (map and copy) or 1 (persistently mapped where GL can)");
	}
	if ((v = env_value("R3D_ENCODER_NICE")) && !parse_nice(v, &cfg->encoder_nice))
		add_problem(&p, "R3D_ENCODER_NICE", v, "is not 0..19");
	if ((v = env_value("R3D_STATS")) && !parse_stats(v, &cfg->stats_interval_ms))
		add_problem(&p, "R3D_STATS", v, "is not a number of seconds (0.1 to 3600, 0 = off)");
	if (p.len) {
		r3d_set_error(error, "%s", p.text);
		return false;
	}
	return true;
}

/* ---- key=value options ---- */

/* The value as an error message may quote it: one line, at most 64 bytes. */
static void quote_value(const char *v, char out[72])
{
	size_t n = 0;

	for (; v[n] && n < 64; n++)
		out[n] = (unsigned char)v[n] < 0x20 || v[n] == 0x7f ? '?' : v[n];
	if (v[n])
		out[n++] = '.', out[n++] = '.', out[n++] = '.';
	out[n] = 0;
}

/* Decimal digits only (no sign, space, base prefix or suffix), 0..max. */
static bool parse_decimal(const char *v, unsigned max, unsigned *out)
{
	unsigned long n = 0;

	if (!*v)
		return false;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return false;
		n = n * 10 + (unsigned)(*v - '0');
		if (n > max)
			return false;
	}
	*out = (unsigned)n;
	return true;
}

/* QEMU's spellings of a boolean option. */
static bool parse_onoff(const char *v, bool *on)
{
	static const char *const yes[] = { "on", "yes", "true", "y" },
			  *const no[] = { "off", "no", "false", "n" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
			*on = strcmp(v, yes[i]) == 0;
			return true;
		}
	}
	return false;
}

bool r3d_stream_config_set(struct r3d_stream_config *cfg, const char *key, const char *value,
			   char **error)
{
	char shown[72];
	unsigned n;
	bool on;

	if (!cfg || !key || !value) {
		r3d_set_error(error, "stream option: no config, key or value");
		return false;
	}
	quote_value(value, shown);
	if (strcmp(key, "video-codec") == 0) {
		if (strcmp(value, "h264") == 0 || strcmp(value, "gstreamer:h264") == 0)
			return true;
		r3d_set_error(error, "video-codec=%s is not supported (supported: h264)", shown);
		return false;
	}
	if (strcmp(key, "encoder") == 0) {
		cfg->encoder = *value ? value : NULL;
		return true;
	}
	if (strcmp(key, "rate-control") == 0) {
		if (!parse_onoff(value, &on)) {
			r3d_set_error(error, "rate-control=%s is not on or off", shown);
			return false;
		}
		cfg->rate_control = on;
		return true;
	}
	if (strcmp(key, "max-refresh-rate") == 0) {
		if (!parse_decimal(value, R3D_MAX_FPS_CAP, &n)) {
			r3d_set_error(error,
				      "max-refresh-rate=%s is out of range (frames per second, "
				      "0 for no cap, at most %d)",
				      shown, R3D_MAX_FPS_CAP);
			return false;
		}
		cfg->max_fps = n;
		return true;
	}
	unsigned *kbps = strcmp(key, "bitrate") == 0	   ? &cfg->bitrate_kbps
			 : strcmp(key, "min-bitrate") == 0 ? &cfg->min_bitrate_kbps
			 : strcmp(key, "max-bitrate") == 0 ? &cfg->max_bitrate_kbps
							   : NULL;
	if (kbps) {
		if (!parse_decimal(value, R3D_MAX_BITRATE_KBPS, &n)) {
			r3d_set_error(error, "%s=%s is out of range (kbit/s, 0 for %s, at most %d)", key,
				      shown,
				      kbps == &cfg->bitrate_kbps ? "a default from the size" : "the controller's",
				      R3D_MAX_BITRATE_KBPS);
			return false;
		}
		*kbps = n;
		return true;
	}
	quote_value(key, shown);
	r3d_set_error(error, "unknown stream option '%s'", shown);
	return false;
}

bool r3d_stream_config_check_spelled(const struct r3d_stream_config *cfg, enum r3d_option_spelling spelling,
				     char **error)
{
	unsigned lo = cfg->min_bitrate_kbps, hi = cfg->max_bitrate_kbps, b = cfg->bitrate_kbps;
	/* what goes before a key, and between it and its value */
	bool cli = spelling == R3D_SPELLING_LONG_OPTION;
	const char *k = cli ? "--" : "";
	char is = cli ? ' ' : '=';

	if ((lo || hi) && !cfg->rate_control) {
		r3d_set_error(error, "%smin-bitrate and %smax-bitrate need %srate-control%con (they bound it)", k, k,
			      k, is);
		return false;
	}
	if (lo && hi && lo > hi) {
		r3d_set_error(error, "%smin-bitrate%c%u is above %smax-bitrate%c%u", k, is, lo, k, is, hi);
		return false;
	}
	if (b && lo && b < lo) {
		r3d_set_error(error, "%sbitrate%c%u is below %smin-bitrate%c%u", k, is, b, k, is, lo);
		return false;
	}
	if (b && hi && b > hi) {
		r3d_set_error(error, "%sbitrate%c%u is above %smax-bitrate%c%u", k, is, b, k, is, hi);
		return false;
	}
	return true;
}

bool r3d_stream_config_check(const struct r3d_stream_config *cfg, char **error)
{
	return r3d_stream_config_check_spelled(cfg, R3D_SPELLING_KEY_VALUE, error);
}
