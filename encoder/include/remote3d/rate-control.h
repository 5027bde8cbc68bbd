/*
 * remote3d — rate control: the encoder's bitrate and the frame-rate cap
 * from what the link does, so that a slow or changing link never holds a
 * standing queue of frames (the lag of seconds TCP builds in a bottleneck's
 * buffer when the encoder keeps its start bitrate).
 *
 * Delay-based: the controller keeps the queueing delay (the display
 * socket's smoothed RTT above its minimum, plus what waits unsent in the
 * socket) short, not just the throughput high. Pure logic: every input
 * carries the time it was observed (the stream's injected clock); no
 * threads, no allocation; the caller serializes calls (the stream holds its
 * mutex). Unit tests drive it with a simulated link in microseconds.
 *
 * Inputs, each as it arrives:
 *  - a frame handed to the sink (its bytes) and, later, the sink's word
 *    that it was written to the socket (r3d_rate_control_on_written);
 *  - transport samples (TCP_INFO of the display channel's socket, where
 *    the sink has them; any field 0 = unknown), on a timer while a
 *    receiver is connected (a second without one: it is gone; the next
 *    readings are the next receiver's);
 *  - client stream reports (frames, drops, margin) and keyframe requests.
 * Outputs (r3d_rate_control_decide): the wire bitrate target, the bitrate
 * to configure the encoder with (its bits per frame scaled to the frame
 * rate actually sent) and the frame-rate cap (fewer frames before worse
 * frames below a bits-per-pixel floor).
 */
#ifndef REMOTE3D_RATE_CONTROL_H
#define REMOTE3D_RATE_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

struct r3d_rate_config {
	unsigned start_kbps;  /* the first target (> 0) */
	unsigned min_kbps;    /* never below (0 = 100) */
	unsigned max_kbps;    /* never above (0 = 4 x start) */
	unsigned max_fps;     /* the source's rate and the encoder's nominal fps (0 = R3D_DEFAULT_FPS) */
	unsigned min_fps;     /* the cap never goes below (0 = 10) */
	int width, height;    /* for the bits-per-pixel floor */
	double min_bpp;       /* quality floor in bits per pixel per frame (0 = 0.04):
			       * below it the fps cap drops instead of the picture */
};

/* One reading of the transport (TCP_INFO on Linux). 0 = not known. */
struct r3d_transport_sample {
	uint32_t srtt_us;            /* tcpi_rtt */
	uint32_t rttvar_us;          /* tcpi_rttvar */
	uint32_t min_rtt_us;         /* tcpi_min_rtt */
	uint64_t delivery_rate_bps;  /* tcpi_delivery_rate, bytes/s */
	bool app_limited;            /* tcpi_delivery_rate_app_limited */
	uint32_t unacked_bytes;      /* bytes in flight (tcpi_unacked * mss) */
	uint32_t notsent_bytes;      /* tcpi_notsent_bytes (written, not yet sent) */
	uint32_t retransmits_total;  /* tcpi_total_retrans: a counter */
	uint32_t cwnd_bytes;         /* tcpi_snd_cwnd * mss */
};

/* Why the target last changed (state, stats). */
enum r3d_rate_phase {
	R3D_RATE_START,    /* no measurement yet */
	R3D_RATE_PROBE,    /* no queueing: growing fast (multiplicative) */
	R3D_RATE_HOLD,     /* near the last capacity estimate: growing slowly */
	R3D_RATE_BACKOFF,  /* queueing delay over the threshold: cut to the delivery rate */
	R3D_RATE_STALLED,  /* nothing written for a long time (outage): hold, probe on return */
};

struct r3d_rate_state {
	enum r3d_rate_phase phase;
	unsigned target_kbps;        /* wire rate aimed at */
	unsigned encoder_kbps;       /* what the encoder is told */
	unsigned fps_cap;            /* frames per second allowed */
	double sent_fps;             /* frames handed per second, smoothed */
	double sent_kbps;            /* bytes handed per second (x8/1000), smoothed */
	double delivery_kbps;        /* the delivery-rate estimate (0 = none) */
	double capacity_kbps;        /* the last capacity estimate (rate at the last overuse; 0 = none) */
	uint32_t srtt_us, min_rtt_us;
	uint32_t queue_delay_us;     /* srtt - min_rtt + unsent bytes at the delivery rate */
	uint32_t socket_unsent_bytes;
	uint32_t inflight_bytes;     /* the last reading's unacked + unsent bytes */
	uint32_t inflight_cap_bytes; /* a frame waits while more than this is in flight (0 = no cap) */
	uint64_t decreases, increases; /* counters */
	uint64_t holds;              /* times the sink's room was held back by the cap */
	uint64_t samples;            /* transport samples taken */
	uint64_t tcp_dips;           /* TCP's own window dips (BBR's PROBE_RTT, an RTO) sat out */
};

struct r3d_rate_control {
	struct r3d_rate_config cfg;
	struct r3d_rate_state st;
	/* private to rate-control.c from here */
	uint64_t now_us, raw_us;       /* own clock (never back, a jump is no time); the caller's last */
	uint64_t last_decide_us, last_publish_us, last_cut_us;
	uint64_t last_written_us, unwritten_since_us, last_frame_us;
	uint64_t last_srtt_at_us, last_delivery_at_us, window_start_us;
	uint64_t sample_at_us;         /* the last transport reading (0 = none yet) */
	uint64_t ack_seen_us;          /* the last sample that showed an ACK */
	uint64_t post_stall_until_us;  /* after an outage: an srtt above the one before is its age */
	uint32_t pre_stall_srtt_us;    /* the srtt through it */
	uint64_t unwritten_bytes;      /* handed since the sink was last idle */
	uint32_t last_frame_bytes, srtt_us, unsent_bytes, pipe_bytes;
	double rate_kbps;              /* the target, unrounded */
	double enc_fps;                /* frames per second the encoder's bits are spread over */
	double yield;                  /* the encoder's bits per frame over those asked for, smoothed */
	double delivery_kbps;          /* TCP's delivery rate, smoothed */
	double window_bytes;           /* handed since window_start_us */
	double sent_peak_kbps;         /* the sink's rate at its recent peak */
	double frame_interval_us;      /* between frames handed, smoothed */
	double free_interval_us;       /* the same over intervals the link did not block */
	bool link_blocked;             /* since the last frame: held, or written later than the next was due */
	double qdelay_prev_us, trend;  /* queueing delay at the last decide; its slope (us per us) */
	double written_qdelay_us;      /* without srtt: hand -> written beyond serialisation */
	double fluid_qdelay_us;        /* without srtt: sending above the delivery rate, integrated */
	double burst_us;               /* queueing expected from frames larger than usual */
	double avg_frame_bytes;
	uint32_t rtt_min_cur, rtt_min_prev; /* srtt minimum, this half window and the last */
	uint64_t rtt_min_start_us;
	bool app_limited;              /* the last TCP delivery sample was */
	bool trend_reset;              /* srtt came back after a gap: restart the slope */
	uint64_t last_delivery_bps;    /* the last sample's delivery rate, to see new ones */
	bool acked_since_cut;          /* a new delivery sample since the last cut */
	uint32_t inflight_bytes;       /* unacked + unsent at inflight_at_us */
	uint64_t inflight_at_us;
	bool holding;                  /* the last r3d_rate_control_hold_us said wait */
	uint64_t handed_total;         /* bytes handed, ever */
	uint64_t ack_ref_at_us, ack_ref_handed; /* the acked-rate window's start */
	uint32_t ack_ref_inflight;
	double ack_kbps;               /* bytes that left the flight per second over the last window */
	uint64_t ack_at_us;
	uint64_t last_ack_us;          /* the last ack window in which the flight moved */
	uint64_t hold_since_us;        /* held since (0 = not held) */
	double cut_q_us;               /* the queueing delay at the last cut, until it is under the threshold */
	uint32_t cap_base_rtt_us;      /* the base RTT when the capacity was estimated */
	bool ack_busy;                 /* a queue kept the link busy over the ack window */
	uint64_t dip_since_us, dip_until_us; /* TCP's window dip: seen since, sat out until */
	bool measured, written_since_cut, keyframe_due, changed;
};

/* cfg is copied; bad values (0 start, min > max) are clamped to sane ones
 * (r3d_rate_config_check says which first). */
void r3d_rate_control_init(struct r3d_rate_control *rc, const struct r3d_rate_config *cfg, uint64_t now_us);
/* NULL + true when the configuration makes sense, else false and *why
 * (a static string naming the field). */
bool r3d_rate_config_check(const struct r3d_rate_config *cfg, const char **why);

/* An access unit of `bytes` was handed to the sink at now_us. */
void r3d_rate_control_on_frame(struct r3d_rate_control *rc, uint64_t now_us, uint32_t bytes, bool keyframe);
/* The sink wrote everything handed so far to its socket (its "ready");
 * frames/bytes still queued in the sink's own pipe, unsent bytes in the
 * socket (0 = unknown). */
void r3d_rate_control_on_written(struct r3d_rate_control *rc, uint64_t now_us, uint32_t frames_queued,
				 uint64_t bytes_queued, uint32_t socket_unsent_bytes);
void r3d_rate_control_on_transport(struct r3d_rate_control *rc, uint64_t now_us,
				   const struct r3d_transport_sample *s);
void r3d_rate_control_on_client_report(struct r3d_rate_control *rc, uint64_t now_us, uint32_t frames,
				       uint32_t drops, int32_t margin_ms);
void r3d_rate_control_on_keyframe_request(struct r3d_rate_control *rc, uint64_t now_us);

/* Advance the controller to now_us (call it after inputs and on a timer,
 * e.g. every 50 ms: a stalled link gives no inputs). True when
 * target/encoder bitrate or the fps cap changed since the last true;
 * *out gets the current state either way (out may be NULL). */
bool r3d_rate_control_decide(struct r3d_rate_control *rc, uint64_t now_us, struct r3d_rate_state *out);

/* The sink has room for a frame: may one be handed now? 0 = yes, else
 * how many microseconds until the bytes in flight (unacked + unsent on
 * the display socket) are expected to fall under the cap; ask again then
 * or at the next transport sample. The cap (BBR's inflight bound: twice
 * the target's bandwidth-delay product, at least that plus two frames)
 * keeps a link that slowed down from holding more than about an RTT of
 * frames before the first cut; held frames are replaced by newer ones.
 * Without a recent reading (no TCP_INFO, or samples stopped) nothing is
 * held. */
uint64_t r3d_rate_control_hold_us(struct r3d_rate_control *rc, uint64_t now_us);

const char *r3d_rate_phase_name(enum r3d_rate_phase p); /* "probe" */

#endif
