/*
 * r3d-probe — key presses from every /dev/input/event* device (evdev,
 * non-blocking): the virtio keyboard, or the PS/2 one.
 */
#ifndef R3D_PROBE_INPUT_H
#define R3D_PROBE_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#define PROBE_INPUT_MAX 16

struct probe_input {
	int fds[PROBE_INPUT_MAX];
	int count;
	uint32_t presses;  /* key-down events so far */
	uint64_t press_us; /* guest CLOCK_MONOTONIC of the last one (event time) */
	int last_code;
};

/* Opens what is there now; having no device is fine (no presses, ever). */
void probe_input_open(struct probe_input *in);
void probe_input_close(struct probe_input *in);

/* Reads what is pending without blocking; returns the number of new key
 * presses. */
int probe_input_poll(struct probe_input *in);

#endif
