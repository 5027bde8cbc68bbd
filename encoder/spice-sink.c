/*
 * remote3d — a stream whose sink is spice-server's external stream
 * (remote3d/spice-sink.h).
 *
 * The sink is freed when it is stopped and spice-server has released the
 * last access unit it held: a frame being written when the stream stops
 * stays with spice-server until its socket is done with it.
 */
#include "remote3d/spice-sink.h"
#include "remote3d/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct r3d_spice_sink {
	QXLInstance *qxl;
	struct r3d_stream *stream;
	void (*wakeup)(void *opaque);
	void (*written)(void *opaque, const struct r3d_access_unit *au);
	void *opaque;
	atomic_bool stopped;
	/* the owner's reference, and one per access unit spice-server holds */
	atomic_uint refs;
	atomic_ulong ready, keyframe_requests, client_reports, pushed, bytes_pushed, push_errors;
	atomic_uint clients_max;
};

/* an access unit in spice-server's hands */
struct sent_frame {
	struct r3d_spice_sink *sink;
	struct r3d_access_unit *au;
};

static void sink_unref(struct r3d_spice_sink *sink)
{
	if (atomic_fetch_sub(&sink->refs, 1) == 1)
		free(sink);
}

/* ---- spice-server's display worker thread ---- */

static void on_ready(void *opaque)
{
	struct r3d_spice_sink *sink = opaque;

	atomic_fetch_add(&sink->ready, 1);
	r3d_stream_sink_ready(sink->stream);
}

static void on_keyframe_request(void *opaque)
{
	struct r3d_spice_sink *sink = opaque;

	atomic_fetch_add(&sink->keyframe_requests, 1);
	r3d_stream_request_keyframe(sink->stream);
}

static void on_client_report(void *opaque, const SpiceExternalStreamReport *r)
{
	struct r3d_spice_sink *sink = opaque;

	atomic_fetch_add(&sink->client_reports, 1);
	r3d_stream_client_report(sink->stream, r->num_frames, r->num_drops, r->last_frame_delay_ms);
}

static void on_queue_state(void *opaque, const SpiceExternalStreamQueueState *qs)
{
	struct r3d_spice_sink *sink = opaque;
	unsigned most = atomic_load(&sink->clients_max);

	while (qs->clients > most &&
	       !atomic_compare_exchange_weak(&sink->clients_max, &most, qs->clients))
		;
	/* no client: spice-server says no "ready" until one comes, so nothing
	 * is read back or encoded for nobody; the stream keeps what rate
	 * control learnt of the link for the next client */
	r3d_stream_queue_state(sink->stream, qs->frames_queued, qs->bytes_queued);
}

/* the display socket of the client furthest behind */
static void on_transport(void *opaque, const SpiceExternalStreamTransport *tr)
{
	struct r3d_spice_sink *sink = opaque;
	struct r3d_transport_sample t = {
		.srtt_us = tr->rtt_us,
		.rttvar_us = tr->rttvar_us,
		.min_rtt_us = tr->min_rtt_us,
		.delivery_rate_bps = tr->delivery_rate,
		.app_limited = tr->app_limited,
		.unacked_bytes = tr->unacked_bytes,
		.notsent_bytes = tr->notsent_bytes,
		.retransmits_total = tr->total_retrans,
		.cwnd_bytes = tr->cwnd_bytes,
	};

	r3d_stream_transport_sample(sink->stream, &t);
}

static const SpiceExternalStreamCallbacks spice_callbacks = {
	.ready = on_ready,
	.keyframe_request = on_keyframe_request,
	.client_report = on_client_report,
	.queue_state = on_queue_state,
	.transport = on_transport,
};

/* ---- any thread ---- */

/* spice-server wrote (or dropped) the frame for every client */
static void release_frame(void *opaque, const uint8_t *data)
{
	struct sent_frame *sf = opaque;
	struct r3d_spice_sink *sink = sf->sink;

	if (sink->written && !atomic_load(&sink->stopped))
		sink->written(sink->opaque, sf->au);
	r3d_access_unit_free(sf->au);
	free(sf);
	sink_unref(sink);
}

/* the stream's encoder thread */
static void on_access_unit(void *opaque, struct r3d_access_unit *au)
{
	struct r3d_spice_sink *sink = opaque;
	struct sent_frame *sf = malloc(sizeof(*sf));
	size_t size = au->size;

	if (!sf) {
		r3d_access_unit_free(au);
		atomic_fetch_add(&sink->push_errors, 1);
		return;
	}
	*sf = (struct sent_frame){ sink, au };
	atomic_fetch_add(&sink->refs, 1);
	SpiceExternalStreamFrame frame = {
		.data = au->data,
		.size = au->size,
		.keyframe = au->keyframe,
		.timestamp_us = au->timing.dirty_us,
		.release = release_frame,
		.release_opaque = sf,
	};

	/* spice-server releases the frame from here on, also when it refuses it */
	if (spice_qxl_external_stream_push(sink->qxl, &frame) < 0) {
		atomic_fetch_add(&sink->push_errors, 1);
		return;
	}
	atomic_fetch_add(&sink->pushed, 1);
	atomic_fetch_add(&sink->bytes_pushed, size);
}

static void on_wakeup(void *opaque)
{
	struct r3d_spice_sink *sink = opaque;

	sink->wakeup(sink->opaque);
}

/* ---- owner thread ---- */

struct r3d_spice_sink *r3d_spice_sink_start(const struct r3d_spice_sink_config *cfg, char **error)
{
	if (!cfg || !cfg->qxl || !cfg->wakeup) {
		r3d_set_error(error, "spice sink: no QXL display or no wakeup callback");
		return NULL;
	}
	struct r3d_spice_sink *sink = calloc(1, sizeof(*sink));
	if (!sink) {
		r3d_set_error(error, "out of memory");
		return NULL;
	}
	sink->qxl = cfg->qxl;
	sink->wakeup = cfg->wakeup;
	sink->written = cfg->written;
	sink->opaque = cfg->opaque;
	atomic_init(&sink->refs, 1);

	struct r3d_stream_config scfg = cfg->stream;
	scfg.on_access_unit = on_access_unit;
	scfg.wakeup = on_wakeup;
	scfg.opaque = sink;
	sink->stream = r3d_stream_create(&scfg, error);
	if (!sink->stream)
		goto fail;

	int rc = spice_qxl_external_stream_start(sink->qxl, SPICE_VIDEO_CODEC_TYPE_H264,
						 (uint32_t)scfg.width, (uint32_t)scfg.height,
						 &spice_callbacks, sink);
	if (rc < 0) {
		r3d_set_error(error, "spice-server cannot start the external stream: %s",
			      strerror(-rc));
		goto fail;
	}
	return sink;

fail:
	r3d_stream_destroy(sink->stream);
	sink_unref(sink);
	return NULL;
}

void r3d_spice_sink_stop(struct r3d_spice_sink *sink)
{
	if (!sink)
		return;
	atomic_store(&sink->stopped, true);
	/* synchronous: no spice-server callback after this; pushes from the
	 * encoder thread are refused (and released) from here on */
	spice_qxl_external_stream_stop(sink->qxl);
	/* joins the encoder thread: no access unit after this */
	r3d_stream_destroy(sink->stream);
	sink->stream = NULL;
	sink_unref(sink);
}

struct r3d_stream *r3d_spice_sink_stream(struct r3d_spice_sink *sink)
{
	return sink ? sink->stream : NULL;
}

void r3d_spice_sink_get_counters(struct r3d_spice_sink *sink, struct r3d_spice_sink_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (!sink)
		return;
	out->ready = atomic_load(&sink->ready);
	out->keyframe_requests = atomic_load(&sink->keyframe_requests);
	out->client_reports = atomic_load(&sink->client_reports);
	out->pushed = atomic_load(&sink->pushed);
	out->bytes_pushed = atomic_load(&sink->bytes_pushed);
	out->push_errors = atomic_load(&sink->push_errors);
	out->clients_max = atomic_load(&sink->clients_max);
}
