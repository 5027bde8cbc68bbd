/*
 * remote3d — the stream: frame source + extractor + encoder thread.
 *
 * Threads:
 *  - the owner thread (in QEMU the main loop, which owns the GL context)
 *    calls set_source_*, mark_dirty and dispatch. Extraction starts in
 *    dispatch, on that thread, in the owner's current context (the same
 *    context at every dispatch). A GL source is converted to YUV
 *    on the GPU there; then (see r3d_stream_readback_mode) either the
 *    encoder thread waits for it and reads it in an EGL context shared
 *    with the owner's, or the owner reads it back asynchronously (PBO +
 *    fence; the stream calls wakeup() when it is time to look again, and a
 *    later dispatch hands the frame over once the fence has signalled).
 *    Nothing is read back unless a frame was marked dirty and will be
 *    encoded.
 *  - one encoder thread with a single-slot queue encodes and calls
 *    on_access_unit (ownership of the AU passes to the callee).
 *  - sink feedback (ready, gone, keyframe, reports, queue state, bitrate)
 *    may come from any thread.
 * wakeup() asks the host to call r3d_stream_dispatch() soon on the owner
 * thread; it may be called from any thread (also inside mark_dirty or a
 * sink call; never with the stream's lock held) and must not dispatch
 * re-entrantly. With max_fps, the encoder thread calls wakeup() when the
 * pacing interval of a held-back frame has passed.
 */
#ifndef REMOTE3D_STREAM_H
#define REMOTE3D_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "remote3d/clock.h"
#include "remote3d/encoder.h"
#include "remote3d/extractor.h"
#include "remote3d/frame.h"
#include "remote3d/rate-control.h"
#include "remote3d/stats.h"

/* r3d_stream_config.encoder_nice */
#define R3D_ENCODER_NICE_DEFAULT 0
#define R3D_ENCODER_NICE_MAX 19
#define R3D_ENCODER_NICE_UNSET (-1) /* not chosen: R3D_ENCODER_NICE_DEFAULT applies */

/* How GL sources are read back:
 *  - thread: converted to YUV on the owner thread, read on the encoder
 *    thread in an EGL context shared with the owner's;
 *  - sync: the synchronous BGRx readback on the owner thread (see
 *    gl-reader.h; fastest end to end on llvmpipe);
 *  - poll: the GPU YUV conversion, read on the owner thread once a fence
 *    signalled;
 *  - sync-yuv: that conversion read synchronously.
 * Thread becomes poll (logged) where no EGL context is current at the
 * first GL dispatch (a GLX host) or the shared one fails. Settled at the
 * first GL dispatch (r3d_stream_readback_mode). */
enum r3d_readback {
	R3D_READBACK_AUTO = 0, /* thread with a GPU, sync where the driver is unsafe for it (llvmpipe) */
	R3D_READBACK_SYNC,
	R3D_READBACK_POLL,
	R3D_READBACK_THREAD,
	R3D_READBACK_SYNC_YUV,
};

struct r3d_stream_config {
	int width, height;
	const char *encoder;     /* as r3d_encoder_config.name */
	unsigned bitrate_kbps;   /* initial; 0 = default for the size */
	unsigned max_fps;        /* 0 = no cap */
	/* Rate control (rate-control.h): adapt the bitrate and the frame rate
	 * to the link from the sink's feedback; false keeps bitrate_kbps. */
	bool rate_control;
	unsigned min_bitrate_kbps, max_bitrate_kbps; /* 0 = the controller's defaults */
	const struct r3d_clock *clock; /* NULL = monotonic */
	/* How the stream runs. The library reads no environment: a host that
	 * wants the R3D_* variables (the README's table) fills these with
	 * r3d_stream_config_from_env(). Zero is the default for each. */
	enum r3d_readback readback;
	bool serial;                    /* the old serial schedule (frame-source.h); false: pipelined */
	enum r3d_gl_mapping gl_mapping; /* the asynchronous readback's buffers (extractor.h) */
	/* The encoding threads (x264's included) run this much nicer than the
	 * process, 0..R3D_ENCODER_NICE_MAX; R3D_ENCODER_NICE_UNSET:
	 * R3D_ENCODER_NICE_DEFAULT (0, as a zeroed config). */
	int encoder_nice;
	/* Log a summary line this often: marks, readbacks, encoded and dropped
	 * frames per second, Mbit/s, per-stage times, rate control. 0 = never. */
	unsigned stats_interval_ms;
	/* encoder thread: an encoded access unit to hand to the sink (ownership passes) */
	void (*on_access_unit)(void *opaque, struct r3d_access_unit *au);
	/* any thread: please call r3d_stream_dispatch() soon on the GL/owner thread */
	void (*wakeup)(void *opaque);
	void *opaque;
};

struct r3d_stream;

/* Creates the encoder (errors surface here: bad name, missing element).
 * No sink yet: nothing is extracted before r3d_stream_sink_ready(). */
struct r3d_stream *r3d_stream_create(const struct r3d_stream_config *cfg, char **error);
/* NULL ok; joins the encoder thread. Call it on the owner thread, with the
 * GL context current if a GL source was used (the GL extractor's FBO is
 * deleted there). */
void r3d_stream_destroy(struct r3d_stream *s);

/* owner thread */
/* A GL_TEXTURE_2D visible in the owner thread's current context at dispatch
 * time. The GL extractor is created lazily in dispatch (context needed). */
bool r3d_stream_set_source_gl(struct r3d_stream *s, unsigned texture, int width, int height,
			      bool y0_top);
/* pixels must stay valid and unchanged-in-place-while-read until the next
 * set_source/destroy; they are read only inside dispatch. */
bool r3d_stream_set_source_cpu(struct r3d_stream *s, const void *pixels, int width, int height,
			       int stride, enum r3d_pixel_format fmt);
void r3d_stream_mark_dirty(struct r3d_stream *s, const struct r3d_rect *damage /* NULL = all */);
/* Extracts the newest frame iff dirty && sink ready && encoder idle (&& pacing). */
void r3d_stream_dispatch(struct r3d_stream *s);

/* any thread: sink feedback */
void r3d_stream_sink_ready(struct r3d_stream *s);
void r3d_stream_request_keyframe(struct r3d_stream *s);
void r3d_stream_client_report(struct r3d_stream *s, uint32_t frames, uint32_t drops, int32_t margin_ms);
void r3d_stream_queue_state(struct r3d_stream *s, uint32_t frames, uint64_t bytes);
/* A reading of the display socket (TCP_INFO), for rate control: on a
 * timer while a client is connected, none without one (rate-control.h). */
void r3d_stream_transport_sample(struct r3d_stream *s, const struct r3d_transport_sample *t);
void r3d_stream_get_stats(struct r3d_stream *s, struct r3d_stats *out);

/* The readback mode in use (r3d_readback_name: "thread", "sync", "poll",
 * "sync-yuv"): before the first GL dispatch the one asked for (auto:
 * "thread"), then the one settled on. */
const char *r3d_stream_readback_mode(struct r3d_stream *s);

/* The encoder backend in use ("x264"). */
const char *r3d_stream_encoder_name(struct r3d_stream *s);

/* ---- configuration from the environment (stream-config.c) ---- */

/* "auto", "thread", "poll" (or "async"), "sync", "sync-yuv": false for any
 * other name (*out unchanged). */
bool r3d_readback_from_name(const char *name, enum r3d_readback *out);
/* The name of a mode ("auto" for R3D_READBACK_AUTO); NULL when out of range. */
const char *r3d_readback_name(enum r3d_readback mode);

/* Fills the fields of cfg that the R3D_* variables choose, for a host that
 * offers them (QEMU's adapter, remote3d-testsrc); a variable unset or
 * empty leaves its field as the caller set it:
 *   R3D_GL_READBACK=auto|thread|poll|sync|sync-yuv  -> readback
 *   R3D_PIPELINE=0|1        (0: serial)             -> serial
 *   R3D_GL_PERSISTENT=0|1   (0: map and copy)       -> gl_mapping
 *   R3D_ENCODER_NICE=0..19                          -> encoder_nice
 *   R3D_STATS=seconds       (0.1..3600, 0: off)     -> stats_interval_ms
 * False + one line in *error naming each bad variable and its value; the
 * others are still applied. (R3D_DEBUG is the log's: log.h.) */
bool r3d_stream_config_from_env(struct r3d_stream_config *cfg, char **error);

/* ---- configuration from a host's options (stream-config.c) ---- */

/* The largest bitrate (kbit/s) and frame-rate cap an option may ask for. */
#define R3D_MAX_BITRATE_KBPS 1000000
#define R3D_MAX_FPS_CAP 1000

/* One option as a user writes it, key=value (QEMU's -spice keys), into cfg:
 *   video-codec=h264|gstreamer:h264   (checked only: the one codec)
 *   max-refresh-rate=0..R3D_MAX_FPS_CAP         -> max_fps (0: no cap)
 *   encoder=NAME|PIPELINE ("" = auto)           -> encoder (value's pointer
 *                                                  kept: it must outlive cfg)
 *   bitrate=0..R3D_MAX_BITRATE_KBPS             -> bitrate_kbps (0: by size)
 *   rate-control=on|off|yes|no|true|false|y|n   -> rate_control
 *   min-bitrate=, max-bitrate=0..R3D_MAX_BITRATE_KBPS (0: the controller's)
 * Numbers are decimal digits only. False + one line in *error naming the
 * key and its value (cfg unchanged) for an unknown key or a bad value.
 * Whether the encoder exists is r3d_encoder_create()'s to say. */
bool r3d_stream_config_set(struct r3d_stream_config *cfg, const char *key, const char *value,
			   char **error);
/* The combinations of those fields: min_bitrate_kbps <= max_bitrate_kbps,
 * bitrate_kbps within them, the bounds only with rate control. False + one
 * line in *error in the options' spelling (key=value). */
bool r3d_stream_config_check(const struct r3d_stream_config *cfg, char **error);

/* How a host spells those options, for the message of the check below. */
enum r3d_option_spelling {
	R3D_SPELLING_KEY_VALUE = 0, /* min-bitrate=500: the keys above (QEMU's -spice) */
	R3D_SPELLING_LONG_OPTION,   /* --min-bitrate 500: a command line's long options
				       of the same names (remote3d-testsrc) */
};
/* r3d_stream_config_check, its message naming each option involved as
 * spelling says. */
bool r3d_stream_config_check_spelled(const struct r3d_stream_config *cfg, enum r3d_option_spelling spelling,
				     char **error);

#endif
