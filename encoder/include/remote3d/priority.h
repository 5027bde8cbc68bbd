/*
 * remote3d — the encoder's CPU priority.
 *
 * Where the renderer shares the CPU with the encoder (llvmpipe, a guest
 * under TCG), every cycle x264 takes at the renderer's priority is a frame
 * the renderer may miss. The stream's encoding threads therefore run
 * nicer than the renderer by default (R3D_ENCODER_NICE, 10): the renderer
 * keeps its rate, and newest-wins drops what the encoder cannot take.
 */
#ifndef REMOTE3D_PRIORITY_H
#define REMOTE3D_PRIORITY_H

#include <stdbool.h>

#define R3D_ENCODER_NICE_DEFAULT 10

/* The encoder nice increment: R3D_ENCODER_NICE (0..19) or the default. */
int r3d_encoder_nice_from_env(void);

/* Set the calling thread's nice to the process's (its first thread's) +
 * delta (clamped to 19); threads it starts afterwards inherit it. False
 * when the kernel refused (raising a priority back needs CAP_SYS_NICE). */
bool r3d_thread_set_nice(int delta);

#endif
