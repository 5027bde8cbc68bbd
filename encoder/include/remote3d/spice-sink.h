/*
 * remote3d — a stream whose sink is spice-server's external stream.
 *
 * The one glue between a stream and spice-server that every host uses
 * (QEMU's adapter, remote3d-testsrc), so that the integration tests drive
 * the product's behaviour. It needs the patched spice-server
 * (spice-server-patches/: spice_qxl_external_stream_*). It creates the
 * stream, starts spice-server's H.264 external stream on a QXL display,
 * hands every access unit to spice-server and turns spice-server's
 * feedback into the stream's sink calls:
 *
 *   ready             r3d_stream_sink_ready
 *   keyframe_request  r3d_stream_request_keyframe
 *   client_report     r3d_stream_client_report
 *   queue_state       r3d_stream_queue_state
 *   transport         r3d_stream_transport_sample (rate control)
 *
 * With no client spice-server says no "ready" (it re-arms it when one
 * comes), so nothing is read back or encoded for nobody, and the stream
 * keeps what rate control learnt of the link for the next client.
 *
 * Threads: start, stop and the stream's owner-thread calls (set_source_*,
 * mark_dirty, dispatch) on the owner thread; spice-server's callbacks on
 * its display worker thread; access units on the stream's encoder thread.
 */
#ifndef REMOTE3D_SPICE_SINK_H
#define REMOTE3D_SPICE_SINK_H

#include <spice.h>

#include "remote3d/stream.h"

struct r3d_spice_sink_config {
	QXLInstance *qxl; /* added to the server, with a primary surface of the stream's size */
	/* The stream: size and choices. Its on_access_unit, wakeup and opaque
	 * are the sink's own (ignored here). */
	struct r3d_stream_config stream;
	/* any thread: please call r3d_stream_dispatch(r3d_spice_sink_stream())
	 * soon on the owner thread (as r3d_stream_config.wakeup) */
	void (*wakeup)(void *opaque);
	/* optional, any thread: spice-server wrote (or dropped) this access
	 * unit for every client; it is freed afterwards. Not called for the
	 * frames spice-server finishes after r3d_spice_sink_stop(). */
	void (*written)(void *opaque, const struct r3d_access_unit *au);
	void *opaque;
};

/* What went through the sink, from start until stop. */
struct r3d_spice_sink_counters {
	unsigned long ready;             /* spice-server's "room for a frame" */
	unsigned long keyframe_requests;
	unsigned long client_reports;
	unsigned long pushed, bytes_pushed; /* access units handed to spice-server */
	unsigned long push_errors;       /* refused by spice-server or out of memory: dropped */
	unsigned clients_max;            /* most display clients receiving the stream at once */
};

struct r3d_spice_sink;

/* Creates the stream (its errors: a bad config, an encoder that cannot
 * run) and starts spice-server's external stream. NULL and *error set on
 * failure; nothing is left running. */
struct r3d_spice_sink *r3d_spice_sink_start(const struct r3d_spice_sink_config *cfg, char **error);
/* NULL ok. spice-server calls nothing after this, and the stream is
 * destroyed (its encoder thread joined): call it where r3d_stream_destroy()
 * may be called (the owner thread, a GL source's context current). Frames
 * spice-server is still writing are freed when it is done with them. */
void r3d_spice_sink_stop(struct r3d_spice_sink *sink);

/* The stream, for the owner thread's calls: valid until stop. */
struct r3d_stream *r3d_spice_sink_stream(struct r3d_spice_sink *sink);
void r3d_spice_sink_get_counters(struct r3d_spice_sink *sink, struct r3d_spice_sink_counters *out);

#endif
