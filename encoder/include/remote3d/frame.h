/*
 * remote3d — what a frame is.
 *
 * struct r3d_source says where the picture lives (CPU memory or a GL
 * texture) and is what extractors read. struct r3d_raw_frame is CPU
 * memory in a known pixel format, rows top-down, which encoders take.
 * struct r3d_frame_timing rides with a frame from its dirty mark to the
 * hand-off of its access unit.
 */
#ifndef REMOTE3D_FRAME_H
#define REMOTE3D_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Byte order in memory, as GStreamer names them (RGBA = R at the lowest
 * address). X = a padding byte that is ignored. */
enum r3d_pixel_format {
	R3D_FORMAT_RGBA,
	R3D_FORMAT_BGRA,
	R3D_FORMAT_RGBX,
	R3D_FORMAT_BGRX,
	R3D_FORMAT_NV12,
	R3D_FORMAT_I420,
	R3D_FORMAT_COUNT
};

/* A rectangle in picture coordinates (origin top-left). */
struct r3d_rect {
	int x, y, width, height;
};

struct r3d_frame_timing {
	uint64_t dirty_us;         /* newest dirty mark merged into this frame */
	uint64_t extract_start_us; /* readback started */
	uint64_t extracted_us;     /* pixels in CPU memory */
	uint64_t encode_start_us;  /* the encoder thread began encoding it */
	uint64_t encoded_us;       /* access unit out of the encoder */
	uint64_t handed_us;        /* access unit given to the sink */
	uint32_t seq;              /* frame number, counts extracted frames from 1 */
};

enum r3d_source_kind {
	R3D_SOURCE_NONE,
	R3D_SOURCE_CPU,
	R3D_SOURCE_GL_TEXTURE,
};

struct r3d_source {
	enum r3d_source_kind kind;
	int width, height;
	union {
		struct {
			const void *pixels;
			int stride;
			enum r3d_pixel_format format; /* 32-bit formats only */
		} cpu;
		struct {
			unsigned texture; /* GL_TEXTURE_2D name visible in the current context */
			bool y0_top;      /* true: texture row 0 is the top of the picture */
		} gl;
	} u;
};

#define R3D_FRAME_MAX_PLANES 3

/* The largest frame side laid out: GL's usual
 * GL_MAX_TEXTURE_SIZE, and far from any size computation's overflow. */
#define R3D_FRAME_MAX_SIDE 16384

/* The frame rate assumed where a config gives none (0): a common display
 * refresh rate. */
#define R3D_DEFAULT_FPS 60
static inline unsigned r3d_fps_or_default(unsigned fps)
{
	return fps ? fps : R3D_DEFAULT_FPS;
}

/* CPU pixels, rows top-down. Storage is owned by the frame when
 * `storage` is set (r3d_raw_frame_alloc), else borrowed. */
struct r3d_raw_frame {
	enum r3d_pixel_format format;
	int width, height;
	int n_planes;
	uint8_t *planes[R3D_FRAME_MAX_PLANES];
	int strides[R3D_FRAME_MAX_PLANES];
	size_t size; /* bytes from planes[0] to the end of the last plane */
	uint8_t *storage;
	size_t capacity;
};

const char *r3d_pixel_format_name(enum r3d_pixel_format fmt); /* GStreamer's name, "BGRx" */
int r3d_pixel_format_bpp(enum r3d_pixel_format fmt);           /* 4, or 0 for planar YUV */

/* (Re)allocate the frame's own storage for fmt/w/h with tightly packed
 * planes (strides rounded up to 4). Keeps the storage when large enough. */
bool r3d_raw_frame_alloc(struct r3d_raw_frame *frame, enum r3d_pixel_format fmt, int width,
			 int height);
/* The packed layout r3d_raw_frame_alloc uses: strides (rounded up to 4 for
 * YUV planes), plane offsets from the first byte, plane count, total size.
 * NV12/I420 chroma planes are ceil(w/2) x ceil(h/2). */
bool r3d_raw_frame_layout(enum r3d_pixel_format fmt, int width, int height,
			  int strides[R3D_FRAME_MAX_PLANES], size_t offsets[R3D_FRAME_MAX_PLANES],
			  int *n_planes, size_t *size);
/* Describe borrowed memory at base laid out as r3d_raw_frame_layout says
 * (storage stays NULL: r3d_raw_frame_finish frees nothing). */
bool r3d_raw_frame_wrap(struct r3d_raw_frame *frame, enum r3d_pixel_format fmt, int width, int height,
			uint8_t *base);
/* Free own storage; the frame is zeroed. NULL ok. */
void r3d_raw_frame_finish(struct r3d_raw_frame *frame);

/* Union of two rectangles; an empty rect (w or h <= 0) is the identity.
 * Any int values: a union wider or taller than INT_MAX saturates there. */
struct r3d_rect r3d_rect_union(struct r3d_rect a, struct r3d_rect b);
/* Clip to 0,0,width,height (empty: all zero). Any int values, edges past
 * INT_MAX included, without overflow. */
struct r3d_rect r3d_rect_clip(struct r3d_rect r, int width, int height);
static inline bool r3d_rect_empty(struct r3d_rect r)
{
	return r.width <= 0 || r.height <= 0;
}

#endif
