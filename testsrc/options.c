/*
 * remote3d-testsrc — command line options: every value is checked here,
 * before anything starts, and a bad one is refused with one line naming
 * the option.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spice/protocol.h> /* SPICE_MAX_PASSWORD_LENGTH */

#include "cli-number.h"
#include "remote3d/stream.h"
#include "stamp.h"
#include "scene.h"

#define PROG "remote3d-testsrc"
#define MIN_WIDTH (R3D_STAMP_WIDTH + 16 + R3D_SCENE_MARKER_SIZE)
#define MIN_HEIGHT R3D_STAMP_HEIGHT
#define MAX_SIZE 8192
#define MAX_KBPS R3D_MAX_BITRATE_KBPS /* the bound libremote3d takes (stream.h) */
/* g_timeout_add() counts milliseconds in a guint: 1e6 s (11.6 days) fits */
#define MAX_DURATION_S 1000000.0
#define MIN_STATS_INTERVAL_S 0.01
#define MAX_STATS_INTERVAL_S 3600.0

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options]\n"
		"  --port N             TCP port to serve SPICE on (default 5900)\n"
		"  --addr A             address to listen on (default " TESTSRC_DEFAULT_ADDR
		": this machine only;\n"
		"                       0.0.0.0 or :: to serve other machines)\n"
		"  --password-file F    clients must give the password on F's first line\n"
		"                       (default: no password)\n"
		"  --tls-port N         also serve SPICE over TLS on port N (needs --x509-dir)\n"
		"  --x509-dir D         ca-cert.pem, server-cert.pem, server-key.pem for TLS\n"
		"  --size WxH           picture size (default 1280x720; %dx%d..%dx%d, even)\n"
		"  --fps N              frames rendered per second, 1..240 (default 60)\n"
		"  --encoder E          x264|openh264|va|auto|'<gst pipeline>' (default x264)\n"
		"  --bitrate KBPS       initial bitrate, 1..%d (default: chosen for the size)\n"
		"  --rate-control on|off  adapt bitrate and frame rate to the link (default on)\n"
		"  --min-bitrate KBPS   rate control never goes below (default: its own)\n"
		"  --max-bitrate KBPS   rate control never goes above (default: its own)\n"
		"  --duration S         stop after S seconds, 0..%.0f (default 0: run until\n"
		"                       SIGINT/SIGTERM)\n"
		"  --stats-json FILE    write timings and counters at exit\n"
		"  --frames-csv FILE    one CSV line per frame sent: its stamp and the time\n"
		"                       of every server stage (render .. written to the socket)\n"
		"  --stats-log FILE     write a JSON line of stream and rate-control state\n"
		"                       every --stats-interval\n"
		"  --stats-interval S   %.2f..%.0f s (default 0.2)\n"
		"  --scene cube|text    what is shown: the 3D cube (default) or a terminal\n"
		"                       window (typing, scrolling output, window moves)\n"
		"  --no-stamp           draw no frame stamp (the input marker stays): a\n"
		"                       picture like any other source's\n",
		MIN_WIDTH, MIN_HEIGHT, MAX_SIZE, MAX_SIZE, MAX_KBPS, MAX_DURATION_S,
		MIN_STATS_INTERVAL_S, MAX_STATS_INTERVAL_S);
}

/* Every refusal: one line naming the option; returns false. */
static bool refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool refuse(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

static bool parse_size(const char *arg, struct options *o)
{
	const char *x = strpbrk(arg, "xX");
	char w_text[16];
	long w, h;

	if (!x || (size_t)(x - arg) >= sizeof(w_text))
		return refuse("bad --size '%s': expected WxH, e.g. 1280x720", arg);
	memcpy(w_text, arg, (size_t)(x - arg));
	w_text[x - arg] = '\0';
	if (!r3d_cli_parse_long(w_text, 0, MAX_SIZE * 16L, &w) ||
	    !r3d_cli_parse_long(x + 1, 0, MAX_SIZE * 16L, &h)) {
		/* a number too large to hold is a size too large, said as such */
		if (strspn(w_text, "0123456789") == strlen(w_text) && *w_text &&
		    strspn(x + 1, "0123456789") == strlen(x + 1) && x[1])
			return refuse("bad --size '%s': width and height must be even, from %dx%d "
				  "(the stamp and input marker) to %dx%d",
				  arg, MIN_WIDTH, MIN_HEIGHT, MAX_SIZE, MAX_SIZE);
		return refuse("bad --size '%s': expected WxH, e.g. 1280x720", arg);
	}
	if (w < MIN_WIDTH || h < MIN_HEIGHT || w > MAX_SIZE || h > MAX_SIZE || (w | h) & 1)
		return refuse("bad --size %ldx%ld: width and height must be even, from %dx%d "
			  "(the stamp and input marker) to %dx%d",
			  w, h, MIN_WIDTH, MIN_HEIGHT, MAX_SIZE, MAX_SIZE);
	o->width = (int)w;
	o->height = (int)h;
	return true;
}

static bool parse_kbps(const char *opt, const char *arg, unsigned *out)
{
	long v;

	if (!r3d_cli_parse_long(arg, 1, MAX_KBPS, &v))
		return refuse("bad %s '%s': expected kbit/s, 1..%d", opt, arg, MAX_KBPS);
	*out = (unsigned)v;
	return true;
}

static bool parse_port(const char *opt, const char *arg, int *out)
{
	long v;

	if (!r3d_cli_parse_long(arg, 1, 65535, &v))
		return refuse("bad %s '%s': expected 1..65535", opt, arg);
	*out = (int)v;
	return true;
}

/* The SPICE ticket: the first line of the file, without its line end. */
static bool read_password(const char *path, char **out)
{
	char buf[SPICE_MAX_PASSWORD_LENGTH + 3];
	FILE *f = fopen(path, "r");
	size_t len;

	if (!f)
		return refuse("cannot read --password-file %s: %s", path, strerror(errno));
	if (!fgets(buf, sizeof(buf), f)) {
		bool error = ferror(f);
		fclose(f);
		if (error)
			return refuse("cannot read --password-file %s: %s", path, strerror(errno));
		return refuse("bad --password-file %s: the file is empty (the password is its first line)",
			  path);
	}
	fclose(f);
	len = strcspn(buf, "\r\n");
	if (len > SPICE_MAX_PASSWORD_LENGTH)
		return refuse("bad --password-file %s: the password is longer than SPICE's %d bytes",
			  path, SPICE_MAX_PASSWORD_LENGTH);
	buf[len] = '\0';
	if (len == 0)
		return refuse("bad --password-file %s: the first line is empty (it holds the password)",
			  path);
	*out = strdup(buf);
	if (!*out)
		return refuse("out of memory");
	return true;
}

static bool check_x509_dir(const char *dir)
{
	static const char *const files[] = { "ca-cert.pem", "server-cert.pem", "server-key.pem" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[4096];

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, files[i]) >= sizeof(path))
			return refuse("bad --x509-dir '%s': path too long", dir);
		if (access(path, R_OK) != 0)
			return refuse("bad --x509-dir %s: cannot read %s: %s", dir, files[i], strerror(errno));
	}
	return true;
}

/* The rate-control bounds with the start bitrate (r3d_stream_config_check,
 * in this command line's spelling). */
static bool check_bitrates(const struct options *o)
{
	struct r3d_stream_config sc = {
		.bitrate_kbps = o->bitrate_kbps,
		.rate_control = o->rate_control,
		.min_bitrate_kbps = o->min_bitrate_kbps,
		.max_bitrate_kbps = o->max_bitrate_kbps,
	};
	char *why = NULL;

	if (r3d_stream_config_check_spelled(&sc, R3D_SPELLING_LONG_OPTION, &why))
		return true;
	refuse("%s", why ? why : "bad --bitrate, --min-bitrate or --max-bitrate");
	free(why);
	return false;
}

bool testsrc_options_parse(int argc, char **argv, struct options *o)
{
	enum {
		OPT_PORT = 256, OPT_ADDR, OPT_SIZE, OPT_FPS, OPT_ENCODER, OPT_BITRATE, OPT_DURATION,
		OPT_STATS_JSON, OPT_HELP, OPT_PASSWORD_FILE, OPT_TLS_PORT, OPT_X509_DIR,
		OPT_RATE_CONTROL, OPT_MIN_BITRATE, OPT_MAX_BITRATE, OPT_STATS_LOG, OPT_STATS_INTERVAL,
		OPT_NO_STAMP, OPT_FRAMES_CSV, OPT_SCENE,
	};
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, OPT_PORT },
		{ "addr", required_argument, NULL, OPT_ADDR },
		{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
		{ "tls-port", required_argument, NULL, OPT_TLS_PORT },
		{ "x509-dir", required_argument, NULL, OPT_X509_DIR },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "fps", required_argument, NULL, OPT_FPS },
		{ "encoder", required_argument, NULL, OPT_ENCODER },
		{ "bitrate", required_argument, NULL, OPT_BITRATE },
		{ "rate-control", required_argument, NULL, OPT_RATE_CONTROL },
		{ "min-bitrate", required_argument, NULL, OPT_MIN_BITRATE },
		{ "max-bitrate", required_argument, NULL, OPT_MAX_BITRATE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
		{ "stats-log", required_argument, NULL, OPT_STATS_LOG },
		{ "frames-csv", required_argument, NULL, OPT_FRAMES_CSV },
		{ "scene", required_argument, NULL, OPT_SCENE },
		{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
		{ "no-stamp", no_argument, NULL, OPT_NO_STAMP },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 },
	};
	const char *password_file = NULL;
	long v;
	int c;

	*o = (struct options){ .addr = TESTSRC_DEFAULT_ADDR, .port = 5900, .width = 1280,
			       .height = 720, .fps = 60, .encoder = "x264", .rate_control = true,
			       .stats_interval_s = 0.2 };
	opterr = 0;
	optind = 0; /* glibc: start afresh (the parser may run more than once) */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PORT:
			if (!parse_port("--port", optarg, &o->port))
				return false;
			break;
		case OPT_ADDR:
			if (!*optarg)
				return refuse("bad --addr '': empty (" TESTSRC_DEFAULT_ADDR
					  " for this machine, 0.0.0.0 for all)");
			o->addr = optarg;
			break;
		case OPT_PASSWORD_FILE:
			password_file = optarg;
			break;
		case OPT_TLS_PORT:
			if (!parse_port("--tls-port", optarg, &o->tls_port))
				return false;
			break;
		case OPT_X509_DIR:
			o->x509_dir = optarg;
			break;
		case OPT_SIZE:
			if (!parse_size(optarg, o))
				return false;
			break;
		case OPT_FPS:
			if (!r3d_cli_parse_long(optarg, 1, 240, &v))
				return refuse("bad --fps '%s': expected 1..240", optarg);
			o->fps = (int)v;
			break;
		case OPT_ENCODER:
			if (!*optarg)
				return refuse("bad --encoder '%s': empty", optarg);
			o->encoder = optarg;
			break;
		case OPT_BITRATE:
			if (!parse_kbps("--bitrate", optarg, &o->bitrate_kbps))
				return false;
			break;
		case OPT_RATE_CONTROL:
			if (strcmp(optarg, "on") == 0)
				o->rate_control = true;
			else if (strcmp(optarg, "off") == 0)
				o->rate_control = false;
			else
				return refuse("bad --rate-control '%s': expected on or off", optarg);
			break;
		case OPT_MIN_BITRATE:
			if (!parse_kbps("--min-bitrate", optarg, &o->min_bitrate_kbps))
				return false;
			break;
		case OPT_MAX_BITRATE:
			if (!parse_kbps("--max-bitrate", optarg, &o->max_bitrate_kbps))
				return false;
			break;
		case OPT_DURATION:
			if (!r3d_cli_parse_double(optarg, 0, MAX_DURATION_S, &o->duration_s))
				return refuse("bad --duration '%s': expected seconds, 0..%.0f", optarg,
					  MAX_DURATION_S);
			break;
		case OPT_STATS_JSON:
			o->stats_json = optarg;
			break;
		case OPT_STATS_LOG:
			o->stats_log = optarg;
			break;
		case OPT_FRAMES_CSV:
			o->frames_csv = optarg;
			break;
		case OPT_SCENE:
			if (strcmp(optarg, "cube") != 0 && strcmp(optarg, "text") != 0)
				return refuse("bad --scene '%s': expected cube or text", optarg);
			o->scene = optarg;
			break;
		case OPT_STATS_INTERVAL:
			if (!r3d_cli_parse_double(optarg, MIN_STATS_INTERVAL_S, MAX_STATS_INTERVAL_S,
						  &o->stats_interval_s))
				return refuse("bad --stats-interval '%s': expected seconds, %.2f..%.0f", optarg,
					  MIN_STATS_INTERVAL_S, MAX_STATS_INTERVAL_S);
			break;
		case OPT_NO_STAMP:
			o->no_stamp = true;
			break;
		case OPT_HELP:
			usage(stdout);
			o->help = true;
			return true;
		default:
			return refuse("unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return refuse("unexpected argument '%s' (see --help)", argv[optind]);

	/* combinations: the bitrate options as libremote3d checks them */
	if (!check_bitrates(o))
		return false;
	if (o->tls_port && !o->x509_dir)
		return refuse("--tls-port needs --x509-dir (ca-cert.pem, server-cert.pem, server-key.pem)");
	if (o->x509_dir && !o->tls_port)
		return refuse("--x509-dir needs --tls-port");
	if (o->tls_port && o->tls_port == o->port)
		return refuse("bad --tls-port %d: the same as --port", o->tls_port);
	if (o->x509_dir && !check_x509_dir(o->x509_dir))
		return false;
	if (password_file && !read_password(password_file, &o->password))
		return false;
	return true;
}

void testsrc_options_finish(struct options *o)
{
	if (o->password) {
		memset(o->password, 0, strlen(o->password));
		free(o->password);
		o->password = NULL;
	}
}
