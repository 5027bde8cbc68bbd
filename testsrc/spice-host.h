/*
 * remote3d-testsrc — a minimal spice-server host: one QXL display whose
 * primary surface is covered by the external H.264 stream, a keyboard and
 * an absolute pointer (tablet) whose events go to the caller.
 */
#ifndef REMOTE3D_TESTSRC_SPICE_HOST_H
#define REMOTE3D_TESTSRC_SPICE_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <spice.h>

struct r3d_spice_host_config {
	const char *addr;   /* NULL = all addresses */
	int port;
	const char *password; /* the SPICE ticket; NULL = no authentication */
	int tls_port;       /* 0 = no TLS */
	const char *x509_dir; /* with tls_port: ca-cert.pem, server-cert.pem, server-key.pem */
	int width, height;  /* the primary surface */
	GMainContext *context; /* spice's timers and watches; NULL = default */
	/* main thread: input from clients */
	void (*on_key)(void *opaque, uint8_t scancode, bool pressed);
	void (*on_pointer)(void *opaque, int x, int y, uint32_t buttons);
	void *opaque;
};

struct r3d_spice_host;

/* Binds the port and starts serving. NULL + *error (one line, malloc'ed). */
struct r3d_spice_host *r3d_spice_host_create(const struct r3d_spice_host_config *cfg,
					     char **error);
void r3d_spice_host_destroy(struct r3d_spice_host *host); /* NULL ok */

/* The QXL display, for the stream's sink (remote3d/spice-sink.h): valid
 * until destroy, which must come after the sink's stop. */
QXLInstance *r3d_spice_host_qxl(struct r3d_spice_host *host);

/* Where spice-server will listen for addr:port (it binds the first address
 * getaddrinfo gives that can be bound), checked before anything else
 * prints: false + *error when none can (a busy port, a foreign address). */
struct r3d_spice_host_listen {
	char host[64];      /* numeric: 127.0.0.1, 0.0.0.0, :: */
	bool loopback;      /* only this machine can connect */
	bool wildcard;      /* every address of the machine */
	bool ipv6;
};
bool r3d_spice_host_check_listen(const char *addr, int port, struct r3d_spice_host_listen *out,
				 char **error);

#endif
