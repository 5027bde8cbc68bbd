/*
 * remote3d — the encoder's CPU priority.
 *
 * Where the renderer shares the CPU with the encoder (llvmpipe, a guest
 * under TCG), every cycle x264 takes at the renderer's priority is a frame
 * the renderer may miss. The stream's config field encoder_nice = N
 * (1..19; env R3D_ENCODER_NICE, stream.h) runs the stream's
 * encoding threads N nicer than the process: the renderer keeps more of
 * its rate, newest-wins drops what the encoder cannot take, and the
 * stream gets fewer frames, later (make bench-vm's figures: README,
 * "Measuring"). Default 0: the stream's latency first.
 */
#ifndef REMOTE3D_PRIORITY_H
#define REMOTE3D_PRIORITY_H

#include <stdbool.h>

#define R3D_ENCODER_NICE_DEFAULT 0
#define R3D_ENCODER_NICE_MAX 19
/* r3d_stream_config.encoder_nice: not chosen, R3D_ENCODER_NICE_DEFAULT applies */
#define R3D_ENCODER_NICE_UNSET (-1)

/* Set the calling thread's nice to the process's (its first thread's) +
 * delta (clamped to 19); threads it starts afterwards inherit it. False
 * when the kernel refused (raising a priority back needs CAP_SYS_NICE). */
bool r3d_thread_set_nice(int delta);

#endif
