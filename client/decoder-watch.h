/*
 * remote3d-client — what spice-gtk really decodes.
 *
 * spice-gtk 0.42 has no API that says which codec a display stream uses:
 * the codec arrives in SPICE_MSG_DISPLAY_STREAM_CREATE and goes straight
 * into its private decoder. Its GStreamer decoder is a playbin fed by an
 * appsrc whose caps spice-gtk sets from that codec (video/x-h264,
 * video/x-vp8, ...). This watcher attaches a GStreamer tracer to the
 * process: it sees the decoder elements playbin plugs in and every buffer
 * spice-gtk pushes into the appsrc, so it reports the stream's codec from
 * the caps, the decoder element, and the access units and keyframes
 * (H.264/H.265 IDR/IRAP NAL units) that came over the wire.
 *
 * It also fixes one thing in that pipeline (unless told not to): spice-gtk's
 * H.264/H.265 caps lack "alignment=au", which makes the parser hold every
 * frame until the next one starts (one frame interval of latency); the
 * watcher adds the field to the appsrc's caps event.
 *
 * And it times every access unit through that pipeline (by the timestamp
 * spice-gtk gives each buffer, which it also uses to match decoded frames):
 * pushed by the appsrc, out of the parser, out of the decoder, into the
 * appsink (BGRx, after playbin's conversion), where it reads the frame
 * stamp from the picture so that r3d_decoder_watch_frame() finds the times
 * of a frame by its stamp number.
 */
#ifndef REMOTE3D_CLIENT_DECODER_WATCH_H
#define REMOTE3D_CLIENT_DECODER_WATCH_H

#include <stdbool.h>
#include <stdint.h>

struct r3d_decoder_info {
	char codec[16];       /* "h264", "vp8", ...; "" while none seen */
	char caps[128];       /* the appsrc caps, for the record */
	char decoder[64];     /* the video decoder element's factory, "" if none */
	uint64_t access_units;
	uint64_t bytes;
	uint64_t keyframes;
	bool first_is_keyframe; /* the first access unit of the last stream started with an IDR */
	uint32_t streams;     /* decoder pipelines seen (one per stream create) */
	bool aligned;         /* the last stream's caps were given alignment=au */
};

/* When one access unit passed each point of spice-gtk's decoding pipeline,
 * CLOCK_MONOTONIC microseconds (r3d_time_us); 0 = not seen. */
struct r3d_decode_times {
	uint64_t in_us;        /* the appsrc pushed it (spice-gtk had read the whole message) */
	uint64_t parsed_us;    /* the parser handed it to the decoder */
	uint64_t decoded_us;   /* the decoder put out the picture */
	uint64_t converted_us; /* the picture, converted to BGRx, reached spice-gtk's appsink */
};

/* Install the watcher. Call once, after gst_init(); the tracer lives until
 * the process ends (GStreamer cannot unregister tracer hooks). align_au:
 * give H.264/H.265 streams alignment=au (false: decode exactly as stock
 * spice-gtk does). Returns false when GStreamer has no tracer support. */
bool r3d_decoder_watch_install(bool align_au);

/* Thread-safe snapshot of what was seen so far. */
void r3d_decoder_watch_get(struct r3d_decoder_info *out);

/* The times of the newest access unit whose decoded picture carried stamp
 * frame number `frame` (among the last few hundred); false if none. */
bool r3d_decoder_watch_frame(uint32_t frame, struct r3d_decode_times *out);

#endif
