/*
 * remote3d-testsrc — command line options.
 */
#ifndef REMOTE3D_TESTSRC_OPTIONS_H
#define REMOTE3D_TESTSRC_OPTIONS_H

#include <stdbool.h>

#define TESTSRC_DEFAULT_ADDR "127.0.0.1"

struct options {
	const char *addr;           /* to listen on (default loopback) */
	int port;
	int tls_port;               /* 0 = no TLS */
	const char *x509_dir;       /* ca-cert.pem, server-cert.pem, server-key.pem */
	char *password;             /* the SPICE ticket (--password-file); NULL = no auth */
	int width, height;
	int fps;
	const char *encoder;
	unsigned bitrate_kbps;      /* 0 = chosen for the size */
	bool rate_control;
	unsigned min_bitrate_kbps, max_bitrate_kbps; /* 0 = the controller's defaults */
	double duration_s;          /* 0 = until SIGINT/SIGTERM */
	const char *stats_json;
	const char *stats_log;      /* a JSON line every stats_interval_s */
	const char *frames_csv;     /* a line per frame sent, every stage's time */
	double stats_interval_s;
	bool no_stamp;              /* --no-stamp: a picture without the frame stamp */
	const char *scene;          /* --scene cube|text (scene.h); checked */
	bool help;                  /* --help: the usage was printed, nothing else to do */
};

/* Fills *o from argv. A bad value prints one line naming the option and
 * returns false (the program exits 2); --help prints the usage, sets
 * o->help and returns true (the program exits 0). Nothing is started here
 * (only --password-file and --x509-dir's files are read). May be called
 * again (getopt starts afresh); testsrc_options_finish frees what it kept,
 * whatever it returned. */
bool testsrc_options_parse(int argc, char **argv, struct options *o);
void testsrc_options_finish(struct options *o);

#endif
