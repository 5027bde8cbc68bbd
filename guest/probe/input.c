#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/input.h>

#include "input.h"

void probe_input_open(struct probe_input *in)
{
	memset(in, 0, sizeof(*in));
	for (int i = 0; i < 32 && in->count < PROBE_INPUT_MAX; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/dev/input/event%d", i);
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* evdev timestamps on the clock we stamp frames with */
		int clk = CLOCK_MONOTONIC;
		if (ioctl(fd, EVIOCSCLOCKID, &clk) < 0)
			fprintf(stderr, "probe: %s: EVIOCSCLOCKID: %s\n", path, strerror(errno));
		char name[128] = "?";
		ioctl(fd, EVIOCGNAME(sizeof(name)), name);
		printf("R3D: probe input %s: %s\n", path, name);
		in->fds[in->count++] = fd;
	}
}

void probe_input_close(struct probe_input *in)
{
	for (int i = 0; i < in->count; i++)
		close(in->fds[i]);
	in->count = 0;
}

int probe_input_poll(struct probe_input *in)
{
	int n = 0;
	for (int i = 0; i < in->count; i++) {
		struct input_event ev[32];
		ssize_t r;
		while ((r = read(in->fds[i], ev, sizeof(ev))) > 0) {
			for (size_t k = 0; k < (size_t)r / sizeof(ev[0]); k++) {
				/* key down (1), not release (0) or autorepeat (2);
				 * buttons too, so a tablet click counts */
				if (ev[k].type != EV_KEY || ev[k].value != 1)
					continue;
				in->presses++;
				in->press_us = (uint64_t)ev[k].input_event_sec * 1000000u +
					       (uint64_t)ev[k].input_event_usec;
				in->last_code = ev[k].code;
				n++;
			}
		}
	}
	return n;
}
