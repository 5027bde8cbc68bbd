/*
 * latency-sim — command line options.
 *
 * Every link option exists three times: --NAME sets both directions,
 * --up-NAME only the direction from COMMAND (namespace A), --down-NAME
 * only the direction towards it.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_QUEUE_PACKETS 1000
#define DEFAULT_OVERHEAD 18
#define DEFAULT_MTU 1500
#define DEFAULT_COALESCE_US 200
#define MAX_COALESCE_US 1000
#define MAX_QUEUE_BYTES (1ull << 40)

static bool fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return false;
}

/* A plain decimal number (digits, a fraction, an exponent: no sign,
 * space, hex, inf or nan) followed by a unit; *unit points at the unit.
 * Returns false with a message in err. */
static bool parse_number(const char *s, const char *what, double *v,
			 const char **unit, char *err, size_t len)
{
	char *end;

	if (s[0] == '-')
		return fail(err, len, "negative %s '%s'", what, s);
	if (!isdigit((unsigned char)s[0]) &&
	    !(s[0] == '.' && isdigit((unsigned char)s[1])))
		return fail(err, len, "%s '%s' is not a number", what, s);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return fail(err, len, "%s '%s' is not a decimal number", what, s);
	errno = 0;
	*v = strtod(s, &end);
	if (errno || !isfinite(*v))
		return fail(err, len, "%s '%s' is out of range", what, s);
	*unit = end;
	return true;
}

struct unit {
	const char *name;
	double factor;
};

static bool parse_with_units(const char *s, const char *what,
			     const struct unit *units, const char *unit_list,
			     double *out, char *err, size_t len)
{
	double v = 0;
	const char *unit = "";

	if (!parse_number(s, what, &v, &unit, err, len))
		return false;
	if (!*unit)
		return fail(err, len, "%s '%s' has no unit (use %s)", what, s,
			    unit_list);
	for (const struct unit *u = units; u->name; u++) {
		if (strcasecmp(unit, u->name) == 0) {
			*out = v * u->factor;
			return true;
		}
	}
	return fail(err, len, "unknown unit '%s' in %s '%s' (use %s)", unit,
		    what, s, unit_list);
}

/* Digits only (and a 0x prefix when base is 0), at most max. */
static bool parse_uint(const char *s, int base, uint64_t max, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	unsigned long long n = strtoull(s, &end, base);
	if (*end || errno || n > max)
		return false;
	*out = n;
	return true;
}

bool r3d_ls_parse_time(const char *s, uint64_t *us, char *err, size_t len)
{
	static const struct unit units[] = {
		{ "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { NULL, 0 },
	};
	double v;

	if (!parse_with_units(s, "time", units, "us, ms or s", &v, err, len))
		return false;
	if (v > (double)R3D_LINK_MAX_TIME_US)
		return fail(err, len, "time '%s' is too large (at most %llus)", s,
			    R3D_LINK_MAX_TIME_US / 1000000);
	*us = (uint64_t)llround(v);
	return true;
}

bool r3d_ls_parse_rate(const char *s, uint64_t *bps, char *err, size_t len)
{
	static const struct unit units[] = {
		{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 },
		{ NULL, 0 },
	};
	double v;

	if (!parse_with_units(s, "rate", units, "bit, kbit, mbit or gbit",
			      &v, err, len))
		return false;
	if (v > (double)R3D_LINK_MAX_RATE_BPS)
		return fail(err, len, "rate '%s' is too large (at most %llugbit)",
			    s, R3D_LINK_MAX_RATE_BPS / 1000000000);
	*bps = (uint64_t)llround(v);
	/* 0 means unlimited (or stalled in a schedule): only when written */
	if (*bps == 0 && v > 0)
		return fail(err, len, "rate '%s' is below 1 bit/s", s);
	return true;
}

bool r3d_ls_parse_percent(const char *s, double *p, char *err, size_t len)
{
	static const struct unit units[] = { { "%", 0.01 }, { NULL, 0 } };
	double v;

	if (!parse_with_units(s, "percentage", units, "%", &v, err, len))
		return false;
	if (v > 1)
		return fail(err, len, "percentage '%s' is over 100%%", s);
	*p = v;
	return true;
}

/* "64kb", "100pkt" or both "64kb,100pkt" */
static bool parse_queue(const char *s, struct r3d_link_config *c, char *err,
			size_t len)
{
	static const struct unit units[] = {
		{ "b", 1 }, { "kb", 1024 }, { "mb", 1048576 }, { "pkt", -1 },
		{ NULL, 0 },
	};
	char buf[128];
	bool any = false;

	if (strlen(s) >= sizeof(buf))
		return fail(err, len, "queue '%s' is too long", s);
	strcpy(buf, s);
	c->queue_bytes = 0;
	c->queue_packets = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		double v;
		if (!parse_with_units(tok, "queue size", units, "b, kb, mb or pkt",
				      &v, err, len))
			return false;
		size_t tl = strlen(tok);
		if (tl >= 3 && strcasecmp(tok + tl - 3, "pkt") == 0) {
			if (v > -1)
				return fail(err, len,
					    "queue '%s' must hold at least one packet",
					    tok);
			if (v < -(double)UINT32_MAX || v != floor(v))
				return fail(err, len, "queue '%s' is not a whole "
					    "number of packets up to %u", tok,
					    UINT32_MAX);
			c->queue_packets = (uint32_t)-v;
		} else {
			/* 0 would mean no limit: the queue holds one MTU at least */
			if (v < 1)
				return fail(err, len, "queue '%s' cannot hold a "
					    "packet (at least one MTU)", tok);
			if (v > (double)MAX_QUEUE_BYTES)
				return fail(err, len, "queue '%s' is too large (at "
					    "most %llumb)", tok,
					    MAX_QUEUE_BYTES / 1048576);
			c->queue_bytes = (uint64_t)v;
		}
		any = true;
	}
	if (!any)
		return fail(err, len, "empty queue size '%s'", s);
	return true;
}

/* "0s:10mbit,30s:1mbit,60s:10mbit" optionally followed by "@90s" */
static bool parse_schedule(const char *s, struct r3d_ls_options *o, int dir,
			   char *err, size_t len)
{
	struct r3d_link_config *c = &o->link[dir];
	char *buf = strdup(s), *at;
	size_t n = 1;
	bool ok = false;

	if (!buf)
		return fail(err, len, "out of memory");
	at = strchr(buf, '@');
	c->schedule_period_us = 0;
	if (at) {
		*at++ = '\0';
		if (!r3d_ls_parse_time(at, &c->schedule_period_us, err, len))
			goto out;
		if (!c->schedule_period_us) {
			fail(err, len, "rate schedule period '%s' must be over 0s", at);
			goto out;
		}
	}
	for (const char *p = buf; *p; p++)
		n += *p == ',';
	free(o->schedule[dir]);
	o->schedule[dir] = calloc(n, sizeof(*o->schedule[dir]));
	if (!o->schedule[dir]) {
		fail(err, len, "out of memory");
		goto out;
	}
	n = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		struct r3d_rate_step *st = &o->schedule[dir][n];
		if (!colon) {
			fail(err, len, "rate schedule step '%s' is not TIME:RATE", tok);
			goto out;
		}
		*colon = '\0';
		if (!r3d_ls_parse_time(tok, &st->at_us, err, len) ||
		    !r3d_ls_parse_rate(colon + 1, &st->rate_bps, err, len))
			goto out;
		if (n == 0 && st->at_us != 0) {
			fail(err, len, "rate schedule '%s' must start at 0s", s);
			goto out;
		}
		if (n > 0 && st->at_us <= st[-1].at_us) {
			fail(err, len, "rate schedule '%s': times must increase (%s)",
			     s, tok);
			goto out;
		}
		n++;
	}
	if (n == 0) {
		fail(err, len, "empty rate schedule '%s'", s);
		goto out;
	}
	if (c->schedule_period_us &&
	    c->schedule_period_us <= o->schedule[dir][n - 1].at_us) {
		fail(err, len, "rate schedule '%s': the period must be after its "
		     "last step", s);
		goto out;
	}
	c->schedule = o->schedule[dir];
	c->schedule_len = n;
	ok = true;
out:
	free(buf);
	return ok;
}

/* Mahimahi: one integer per line, the ms of a 1500-byte opportunity
 * (blank lines and lines starting with # are skipped). Lines of any
 * length; errors name the file and line. */
static bool parse_trace(const char *path, struct r3d_ls_options *o, int dir,
			char *err, size_t len)
{
	const uint64_t max_ms = R3D_LINK_MAX_TIME_US / 1000;
	struct r3d_link_config *c = &o->link[dir];
	FILE *f = fopen(path, "re");
	size_t n = 0, cap = 0, line = 0, buf_len = 0;
	uint64_t *v = NULL;
	char *buf = NULL;
	ssize_t got;

	if (!f)
		return fail(err, len, "cannot open trace '%s': %s", path,
			    strerror(errno));
	while ((got = getline(&buf, &buf_len, f)) >= 0) {
		size_t l = (size_t)got;
		uint64_t ms;
		line++;
		while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
			buf[--l] = '\0';
		if (l == 0 || buf[0] == '#')
			continue;
		if (strlen(buf) != l || !parse_uint(buf, 10, max_ms, &ms)) {
			fail(err, len, "%s:%zu: '%.24s%s' is not a whole number of "
			     "ms from 0 to %llu", path, line, buf,
			     l > 24 ? "..." : "", (unsigned long long)max_ms);
			goto err;
		}
		if (n && ms < v[n - 1]) {
			fail(err, len, "%s:%zu: %llu ms is before the previous "
			     "line's %llu ms", path, line, (unsigned long long)ms,
			     (unsigned long long)v[n - 1]);
			goto err;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			uint64_t *nv = cap < SIZE_MAX / 2 / sizeof(*v) ?
				realloc(v, cap * sizeof(*v)) : NULL;
			if (!nv) {
				fail(err, len, "%s:%zu: out of memory", path, line);
				goto err;
			}
			v = nv;
		}
		v[n++] = ms;
	}
	if (ferror(f)) {
		fail(err, len, "%s:%zu: %s", path, line + 1, strerror(errno));
		goto err;
	}
	fclose(f);
	free(buf);
	if (n == 0 || v[n - 1] == 0) {
		free(v);
		return fail(err, len, "trace '%s' has no opportunity after 0 ms",
			    path);
	}
	free(o->trace[dir]);
	o->trace[dir] = v;
	c->trace_ms = v;
	c->trace_len = n;
	return true;
err:
	fclose(f);
	free(buf);
	free(v);
	return false;
}

/* START+LEN[@PERIOD], e.g. 10s+2s or 5s+500ms@20s */
static bool parse_outage(const char *s, struct r3d_link_config *c, char *err,
			 size_t len)
{
	char buf[128], *plus, *at;

	if (strlen(s) >= sizeof(buf))
		return fail(err, len, "outage '%s' is too long", s);
	strcpy(buf, s);
	plus = strchr(buf, '+');
	if (!plus)
		return fail(err, len, "outage '%s' is not START+LENGTH[@PERIOD]", s);
	*plus++ = '\0';
	at = strchr(plus, '@');
	if (at)
		*at++ = '\0';
	c->outage_period_us = 0;
	if (!r3d_ls_parse_time(buf, &c->outage_start_us, err, len) ||
	    !r3d_ls_parse_time(plus, &c->outage_len_us, err, len) ||
	    (at && !r3d_ls_parse_time(at, &c->outage_period_us, err, len)))
		return false;
	if (at && c->outage_period_us <= c->outage_len_us)
		return fail(err, len, "outage '%s': the period (%s) must be longer "
			    "than the outage (%s)", s, at, plus);
	return true;
}

/* P,R[,BAD[,GOOD]] in % */
static bool parse_ge(const char *s, struct r3d_link_config *c, char *err,
		     size_t len)
{
	char buf[128];
	double v[4] = { 0, 0, 1, 0 };
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return fail(err, len, "--ge-loss '%s' is too long", s);
	strcpy(buf, s);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == 4)
			return fail(err, len, "'%s' has more than 4 values", s);
		if (!r3d_ls_parse_percent(tok, &v[n++], err, len))
			return false;
	}
	if (n < 2)
		return fail(err, len, "'%s' is not P,R[,BAD[,GOOD]] (e.g. 1%%,25%%)",
			    s);
	if (v[0] <= 0)
		return fail(err, len, "P of '%s' must be over 0%%", s);
	c->ge_p = v[0];
	c->ge_r = v[1];
	c->ge_bad_loss = v[2];
	c->ge_good_loss = v[3];
	return true;
}

enum opt_id {
	OPT_DELAY, OPT_JITTER, OPT_JITTER_DIST, OPT_REORDER, OPT_RATE,
	OPT_OVERHEAD, OPT_QUEUE, OPT_LOSS, OPT_GE, OPT_SCHEDULE, OPT_TRACE,
	OPT_OUTAGE, OPT_PCAP,
	/* global only from here */
	OPT_GLOBAL, OPT_MTU = OPT_GLOBAL, OPT_SEED, OPT_NETNS_A, OPT_NETNS_B,
	OPT_ADDR_A, OPT_ADDR_B, OPT_STATS, OPT_QUIET, OPT_REALTIME, OPT_NO_REALTIME,
	OPT_COALESCE,
	OPT_HELP,
};

static const struct {
	const char *name;
	enum opt_id id;
	bool arg;
} table[] = {
	{ "delay", OPT_DELAY, true },
	{ "jitter", OPT_JITTER, true },
	{ "jitter-dist", OPT_JITTER_DIST, true },
	{ "reorder", OPT_REORDER, false },
	{ "rate", OPT_RATE, true },
	{ "overhead", OPT_OVERHEAD, true },
	{ "queue", OPT_QUEUE, true },
	{ "loss", OPT_LOSS, true },
	{ "ge-loss", OPT_GE, true },
	{ "rate-schedule", OPT_SCHEDULE, true },
	{ "trace", OPT_TRACE, true },
	{ "outage", OPT_OUTAGE, true },
	{ "pcap", OPT_PCAP, true },
	{ "mtu", OPT_MTU, true },
	{ "seed", OPT_SEED, true },
	{ "netns-a", OPT_NETNS_A, true },
	{ "netns-b", OPT_NETNS_B, true },
	{ "addr-a", OPT_ADDR_A, true },
	{ "addr-b", OPT_ADDR_B, true },
	{ "stats", OPT_STATS, true },
	{ "quiet", OPT_QUIET, false },
	{ "realtime", OPT_REALTIME, false },
	{ "no-realtime", OPT_NO_REALTIME, false },
	{ "coalesce", OPT_COALESCE, true },
	{ "help", OPT_HELP, false },
};

static bool apply(struct r3d_ls_options *o, enum opt_id id, int dir,
		  const char *name, const char *v, char *err, size_t len)
{
	struct r3d_link_config *c = &o->link[dir];

	switch (id) {
	case OPT_DELAY:
		return r3d_ls_parse_time(v, &c->delay_us, err, len);
	case OPT_JITTER:
		return r3d_ls_parse_time(v, &c->jitter_us, err, len);
	case OPT_JITTER_DIST:
		if (strcmp(v, "uniform") == 0)
			c->jitter_dist = R3D_JITTER_UNIFORM;
		else if (strcmp(v, "normal") == 0)
			c->jitter_dist = R3D_JITTER_NORMAL;
		else
			return fail(err, len, "--%s: unknown distribution '%s' "
				    "(use uniform or normal)", name, v);
		return true;
	case OPT_REORDER:
		c->reorder = true;
		return true;
	case OPT_RATE:
		c->schedule_len = 0;
		c->trace_len = 0;
		return r3d_ls_parse_rate(v, &c->rate_bps, err, len);
	case OPT_OVERHEAD: {
		uint64_t n;
		if (!parse_uint(v, 10, 1000, &n))
			return fail(err, len, "'%s' is not a byte count (0..1000)", v);
		c->overhead_bytes = (uint32_t)n;
		return true;
	}
	case OPT_QUEUE:
		return parse_queue(v, c, err, len);
	case OPT_LOSS:
		return r3d_ls_parse_percent(v, &c->loss, err, len);
	case OPT_GE:
		return parse_ge(v, c, err, len);
	case OPT_SCHEDULE:
		c->trace_len = 0;
		o->schedule_arg[dir] = v;
		return parse_schedule(v, o, dir, err, len);
	case OPT_TRACE:
		c->schedule_len = 0;
		o->trace_arg[dir] = v;
		return parse_trace(v, o, dir, err, len);
	case OPT_OUTAGE:
		o->outage_arg[dir] = v;
		return parse_outage(v, c, err, len);
	case OPT_PCAP:
		if (strcmp(name, "pcap") == 0)
			o->pcap_both = v;
		else
			o->pcap_dir[dir] = v;
		return true;
	case OPT_MTU: {
		uint64_t n;
		if (!parse_uint(v, 10, 9000, &n) || n < 576)
			return fail(err, len, "'%s' is not a byte count in "
				    "576..9000", v);
		o->mtu = (uint32_t)n;
		return true;
	}
	case OPT_SEED:
		if (!parse_uint(v, 0, UINT64_MAX, &o->seed))
			return fail(err, len, "'%s' is not a number from 0 to %llu "
				    "(or 0x...)", v, (unsigned long long)UINT64_MAX);
		return true;
	case OPT_NETNS_A:
		o->netns_a = v;
		return true;
	case OPT_NETNS_B:
		o->netns_b = v;
		return true;
	case OPT_ADDR_A:
		o->addr_a = v;
		return true;
	case OPT_ADDR_B:
		o->addr_b = v;
		return true;
	case OPT_STATS:
		o->stats_path = v;
		return true;
	case OPT_QUIET:
		o->quiet = true;
		return true;
	case OPT_REALTIME:
		o->realtime = R3D_LS_REALTIME_ON;
		return true;
	case OPT_NO_REALTIME:
		o->realtime = R3D_LS_REALTIME_OFF;
		return true;
	case OPT_COALESCE:
		if (!r3d_ls_parse_time(v, &o->coalesce_us, err, len))
			return false;
		if (o->coalesce_us > MAX_COALESCE_US)
			return fail(err, len, "%s is more than 1ms", v);
		return true;
	case OPT_HELP:
		o->help = true;
		return true;
	}
	return fail(err, len, "internal: unhandled option --%s", name);
}

/* What the options of one direction cannot do together (each value was
 * checked on its own already): true with a message. */
static bool link_conflict(const struct r3d_ls_options *o, int d, char *err,
			  size_t len)
{
	const char *outage = o->outage_arg[d] ? o->outage_arg[d] : "";
	const char *sched = o->schedule_arg[d] ? o->schedule_arg[d] : "";

	switch (r3d_link_check(&o->link[d])) {
	case R3D_LINK_OK:
		return false;
	case R3D_LINK_TRACE_ALWAYS_OUT:
		fail(err, len, "--outage %s covers every delivery opportunity of "
		     "--trace %s once it has begun: the link would never deliver",
		     outage, o->trace_arg[d] ? o->trace_arg[d] : "");
		return true;
	case R3D_LINK_SCHEDULE_ALWAYS_OUT:
		fail(err, len, "--outage %s covers every moment --rate-schedule %s "
		     "is above 0: the link would never deliver", outage, sched);
		return true;
	case R3D_LINK_PERIODS_APART:
		fail(err, len, "the periods of --rate-schedule %s and --outage %s "
		     "line up only after more than %d steps: make one a multiple "
		     "of the other", sched, outage, R3D_LINK_MAX_JOINT_STEPS);
		return true;
	case R3D_LINK_NO_MEMORY:
		fail(err, len, "out of memory");
		return true;
	case R3D_LINK_BAD_VALUE:
	case R3D_LINK_OUTAGE_PERIOD:
		break;
	}
	fail(err, len, "internal: the %s link's configuration is refused",
	     d == R3D_LS_UP ? "up" : "down");
	return true;
}

bool r3d_ls_options_parse(struct r3d_ls_options *o, int argc, char **argv,
			  char *err, size_t len)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->mtu = DEFAULT_MTU;
	o->coalesce_us = DEFAULT_COALESCE_US;
	o->seed = 1;
	for (int d = 0; d < 2; d++) {
		o->link[d].queue_packets = DEFAULT_QUEUE_PACKETS;
		o->link[d].overhead_bytes = DEFAULT_OVERHEAD;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *value = NULL;
		char namebuf[64];
		int dir_first = 0, dir_last = 1;
		size_t k;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0) {
			o->help = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0)
			return fail(err, len, "unexpected '%s' (the command goes "
				    "after '--')", a);
		name = a + 2;
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		if (nlen >= sizeof(namebuf))
			return fail(err, len, "unknown option '%s'", a);
		memcpy(namebuf, name, nlen);
		namebuf[nlen] = '\0';
		name = namebuf;
		if (strncmp(name, "up-", 3) == 0) {
			dir_last = R3D_LS_UP;
			name += 3;
		} else if (strncmp(name, "down-", 5) == 0) {
			dir_first = R3D_LS_DOWN;
			name += 5;
		}
		for (k = 0; k < sizeof(table) / sizeof(table[0]); k++)
			if (strcmp(table[k].name, name) == 0)
				break;
		if (k == sizeof(table) / sizeof(table[0]) ||
		    (table[k].id >= OPT_GLOBAL && name != namebuf))
			return fail(err, len, "unknown option '--%s' (see --help)",
				    namebuf);
		if (table[k].arg) {
			if (eq)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else
				return fail(err, len, "--%s needs a value", namebuf);
		} else if (eq) {
			return fail(err, len, "--%s takes no value", namebuf);
		}
		for (int d = dir_first; d <= dir_last; d++) {
			char e[200];
			if (!apply(o, table[k].id, d, namebuf, value, e, sizeof(e)))
				return fail(err, len, "--%s: %s", namebuf, e);
		}
	}
	if (o->help)
		return true;
	if (i < argc)
		o->command = &argv[i];
	for (int d = 0; d < 2; d++) {
		const struct r3d_link_config *c = &o->link[d];
		if (c->queue_bytes && c->queue_bytes < o->mtu)
			return fail(err, len, "%s queue of %llu bytes cannot hold one "
				    "%u-byte packet (the MTU)",
				    d == R3D_LS_UP ? "up" : "down",
				    (unsigned long long)c->queue_bytes, o->mtu);
	}
	for (int d = 0; d < 2; d++) {
		if (!link_conflict(o, d, err, len))
			continue;
		/* the same options for both directions: one message for both */
		char other[200];
		if (d == R3D_LS_UP && link_conflict(o, R3D_LS_DOWN, other,
						    sizeof(other)) &&
		    strcmp(err, other) == 0)
			return false;
		size_t l = strlen(err);
		snprintf(err + l, len - l, " (%s direction)",
			 d == R3D_LS_UP ? "up" : "down");
		return false;
	}
	if (!o->command && !(o->netns_a && o->netns_b))
		return fail(err, len, "missing command: latency-sim [OPTIONS] -- "
			    "COMMAND [ARGS] (or --netns-a NS --netns-b NS)");
	if (!o->netns_a != !o->netns_b)
		return fail(err, len, "--netns-a and --netns-b go together");
	return true;
}

void r3d_ls_options_finish(struct r3d_ls_options *o)
{
	for (int d = 0; d < 2; d++) {
		free(o->schedule[d]);
		free(o->trace[d]);
		o->schedule[d] = NULL;
		o->trace[d] = NULL;
	}
}

void r3d_ls_options_usage(FILE *out)
{
	fputs(
"usage: latency-sim [OPTIONS] -- COMMAND [ARGS]\n"
"       latency-sim [OPTIONS] --netns-a NS --netns-b NS [-- COMMAND [ARGS]]\n"
"\n"
"Runs COMMAND in a new network namespace whose traffic to the host crosses\n"
"an emulated link (COMMAND reaches the host at the address printed and in\n"
"$LATENCY_SIM_HOST), or links two existing namespaces.\n"
"Link options set both directions; --up-X sets only the direction from\n"
"COMMAND (namespace A), --down-X only the one towards it.\n"
"  --delay TIME          one-way delay (us, ms, s)                  [0]\n"
"  --jitter TIME         jitter amplitude                           [0]\n"
"  --jitter-dist D       uniform (+-TIME) or normal (sd TIME, cut 3sd) [uniform]\n"
"  --reorder             let jitter reorder packets (default: never)\n"
"  --rate RATE           bit/s (bit, kbit, mbit, gbit); 0 = unlimited [0]\n"
"  --overhead BYTES      framing bytes counted per IP packet        [18]\n"
"  --queue SIZE          droptail limit: 64kb, 100pkt or 64kb,100pkt [1000pkt]\n"
"  --loss PCT            random loss, e.g. 1%%                       [0%%]\n"
"  --ge-loss P,R[,B[,G]] Gilbert-Elliott: good->bad P, bad->good R, loss in\n"
"                        bad B [100%%] and good G [0%%] per packet\n"
"  --rate-schedule S     TIME:RATE,... from start, e.g. 0s:10mbit,30s:1mbit;\n"
"                        append @PERIOD to repeat (…,30s:1mbit@60s)\n"
"  --trace FILE          Mahimahi delivery trace (ms per 1500-byte slot)\n"
"  --outage S+L[@P]      nothing delivered from S for L, every P\n"
"  --pcap FILE           pcapng of both directions (entry/exit times);\n"
"                        --up-pcap/--down-pcap for one direction\n"
"  --mtu BYTES           MTU of the link devices                    [1500]\n"
"  --stats FILE          JSON lines, once a second\n"
"  --quiet               no stats on stderr\n"
"  --seed N              random seed for loss and jitter            [1]\n"
"  --realtime            run the loop under SCHED_FIFO 10 with its memory\n"
"                        locked, and say loudly if not permitted; by\n"
"                        default this is tried, and where not permitted\n"
"                        (not root) nice -20 is used, or nothing (noted on\n"
"                        stderr unless --quiet, and as \"sched\" in --stats)\n"
"  --no-realtime         nice -20 only (COMMAND always keeps its own)\n"
"  --coalesce TIME       when the next exits of the two directions are at\n"
"                        most TIME apart, write both in one wake-up at\n"
"                        their midpoint (each at most TIME/2 off; saves\n"
"                        CPU at high rates); 0 = each on its own  [200us]\n"
"  --netns-a NS, --netns-b NS  link two existing namespaces (names under\n"
"                        /run/netns or paths) instead of making one\n"
"  --addr-a IP, --addr-b IP    link addresses (default: a free 10.213.x.y\n"
"                        pair; B is the host side)\n",
	      out);
}
