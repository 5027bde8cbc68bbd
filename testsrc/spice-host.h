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

/* The external stream on the display (see spice-qxl.h). -errno on failure. */
int r3d_spice_host_stream_start(struct r3d_spice_host *host, int width, int height,
				const SpiceExternalStreamCallbacks *cbs, void *opaque);
int r3d_spice_host_stream_push(struct r3d_spice_host *host, const SpiceExternalStreamFrame *frame);
void r3d_spice_host_stream_stop(struct r3d_spice_host *host);

/* Check that addr:port can be bound (before anything else prints). */
bool r3d_spice_host_port_free(const char *addr, int port, char **error);

#endif
