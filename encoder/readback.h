/* Private: how the stream gets a frame's pixels into CPU memory. One
 * strategy per file, one impl table each:
 *   cpu                (readback-cpu.c)   a CPU source, copied in dispatch()
 *   gl-sync            (readback-gl-sync.c)  "sync": glReadPixels of BGRx in
 *                      dispatch(); "sync-yuv": the GPU conversion read the same way
 *   gl-pbo             (readback-gl-pbo.c)   "poll": the GPU conversion, read
 *                      into a pixel buffer object once fenced; dispatch() polls
 *   gl-shared-context  (readback-gl-shared-context.c)  "thread": the GPU
 *                      conversion fenced in dispatch(), read on the encoder
 *                      thread in an EGL context shared with the owner's
 * The stream picks the GL one once, at its first GL dispatch
 * (readback_choose); when a strategy cannot work here, the next one of its
 * impl's fallback takes over (readback_fall_back). A frame a strategy hands
 * out stays valid while the next readback of the same strategy runs: the
 * encoder reads it while the owner reads the next. */
#ifndef REMOTE3D_READBACK_H
#define REMOTE3D_READBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "remote3d/extractor.h"
#include "remote3d/frame.h"
#include "remote3d/stream.h"

enum readback_status {
	READBACK_FAILED = -1, /* *error says why; nothing in flight */
	READBACK_PENDING,     /* in flight: poll() again in out->again_us */
	READBACK_DONE,        /* out->frame holds the pixels (borrowed) */
	READBACK_ON_ENCODER,  /* out->planes: the encoder thread reads them with read() */
};

struct readback_out {
	struct r3d_raw_frame frame;  /* READBACK_DONE */
	struct r3d_gl_planes planes; /* READBACK_ON_ENCODER */
	uint64_t again_us;           /* READBACK_PENDING */
	uint64_t gpu_waits;          /* any status: the calls of this start or poll that
					may have waited for the GPU (extractor.h) */
};

/* What every strategy is made from. */
struct readback_params {
	enum r3d_pixel_format yuv_format; /* what the GPU conversion makes: the encoder's native YUV */
	enum r3d_gl_mapping gl_mapping;   /* gl-pbo's buffers */
};

struct readback;

struct readback_impl {
	enum r3d_readback mode;     /* what r3d_stream_readback_mode() names */
	enum r3d_readback fallback; /* the next one when this cannot work; AUTO: none */
	/* Owner thread, its GL context current for a GL strategy (the GL
	 * objects themselves are made at the first start). NULL + *error:
	 * cannot work here. */
	struct readback *(*create)(const struct readback_params *p, char **error);
	/* Owner thread: read src. */
	enum readback_status (*start)(struct readback *rb, const struct r3d_source *src, struct readback_out *out,
				      char **error);
	/* Owner thread, after READBACK_PENDING (optional: strategies that never pend). */
	enum readback_status (*poll)(struct readback *rb, struct readback_out *out, char **error);
	/* Encoder thread, after READBACK_ON_ENCODER (optional): wait for the
	 * planes' fence (deleted here) and read them into *out (the
	 * strategy's, valid until the next read). False + *error; *broken
	 * when this strategy can never read here (fall back). */
	bool (*read)(struct readback *rb, struct r3d_gl_planes *planes, const struct r3d_raw_frame **out,
		     bool *broken, char **error);
	/* Encoder thread, as it ends, when it called read() (optional). */
	void (*encoder_exit)(struct readback *rb);
	/* Owner thread, GL context current for a GL strategy; after the
	 * encoder thread's encoder_exit. */
	void (*destroy)(struct readback *rb);
};

struct readback {
	const struct readback_impl *impl;
};

extern const struct readback_impl readback_cpu_impl;
extern const struct readback_impl readback_gl_sync_impl;
extern const struct readback_impl readback_gl_sync_yuv_impl;
extern const struct readback_impl readback_gl_pbo_impl;
extern const struct readback_impl readback_gl_shared_context_impl;

/* The 32-bit format of the unconverted GL read ("sync"): native on Mesa. */
#define READBACK_RGB_FORMAT R3D_FORMAT_BGRX

/* Does a GL source reach the encoder as params.yuv_format in this mode
 * (converted on the GPU), rather than READBACK_RGB_FORMAT? AUTO: as its
 * first choice does. */
bool readback_converts(enum r3d_readback mode);

/* impl's strategy, or the first of its fallbacks that can work (logged). */
struct readback *readback_create(const struct readback_impl *impl, const struct readback_params *p,
				 char **error);

/* Owner thread, at the first GL dispatch (context current): the strategy
 * for mode (AUTO: shared-context where the driver is safe for it, else
 * gl-sync), or the first of its fallbacks that can work (logged). */
struct readback *readback_choose(enum r3d_readback mode, const struct readback_params *p, char **error);
/* Owner thread: rb cannot work any more: destroyed, and the next of its
 * fallbacks made (logged). NULL + *error when none can work. */
struct readback *readback_fall_back(struct readback *rb, const struct readback_params *p, char **error);

void readback_destroy(struct readback *rb); /* NULL ok */

/* What the synchronous strategies (cpu, gl-sync) share: an extractor read
 * in dispatch() into one of two buffers in turn, so that the encoder reads
 * the last while the next is extracted. */
struct readback_sync {
	struct readback base;
	enum r3d_pixel_format format; /* what the extractor makes */
	struct r3d_extractor *ext;    /* the strategy's start makes it */
	struct r3d_raw_frame frame[2];
	int next;
};
struct readback *readback_sync_create(enum r3d_pixel_format format, char **error);
/* rs->ext's frame into the next buffer. */
enum readback_status readback_sync_extract(struct readback_sync *rs, const struct r3d_source *src,
					   struct readback_out *out, char **error);
void readback_sync_destroy(struct readback *rb);

#endif
