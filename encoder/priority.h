/*
 * The encoder's CPU priority (libremote3d's own; not installed).
 *
 * Where the renderer shares the CPU with the encoder (llvmpipe, a guest
 * under TCG), every cycle x264 takes at the renderer's priority is a frame
 * the renderer may miss. The stream's config field encoder_nice = N
 * (1..19; env R3D_ENCODER_NICE, stream.h) runs the stream's
 * encoding threads N nicer than the process: the renderer keeps more of
 * its rate, newest-wins drops what the encoder cannot take, and the
 * stream gets fewer frames, later (make bench-vm's figures: README,
 * "Measuring"). Default 0: the stream's latency first. The config's
 * values: R3D_ENCODER_NICE_* (stream.h).
 */
#ifndef R3D_PRIORITY_H
#define R3D_PRIORITY_H

#include <stdbool.h>

/* Set the calling thread's nice to the process's (its first thread's) +
 * delta (clamped to 19); threads it starts afterwards inherit it. False
 * when the kernel refused (raising a priority back needs CAP_SYS_NICE). */
bool r3d_thread_set_nice(int delta);

#endif
