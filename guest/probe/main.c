/*
 * r3d-probe — the test guest's GLES2 app on GBM/KMS/EGL.
 *
 * Renders an animated scene as fast as page flips allow (under QEMU a flip
 * completes at once: no vblank), or with --fps N at N frames per second on
 * an absolute-deadline clock like a vsync'd app (pace.h: a late frame skips
 * to the next grid point), stamps each frame (render.h says where and
 * what), reacts to key presses, and prints on stdout (the guest's serial
 * console):
 *   R3D: probe started WxH renderer=<GL_RENDERER>
 *   R3D: probe paced fps=<N> period_us=<p>       only with --fps N > 0
 *   R3D: probe fps=<f> frames=<total>[ missed=<m> draw_ms=<mean>/<max>
 *        flip_ms=<mean>/<max>]       once a second; paced only: grid points
 *                                    passed over, and the time from the
 *                                    wake-up to eglSwapBuffers' return
 *                                    (draw) and in the page flip (flip)
 *   R3D: probe key code=<c> presses=<n> frame=<f> on each key press
 *   R3D: probe done frames=<n> seconds=<s> fps=<f>[ missed=<total>]
 *
 * usage: r3d-probe [--duration S] [--fps N] [--device /dev/dri/cardN]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <GLES2/gl2.h>

#include "egl.h"
#include "input.h"
#include "kms.h"
#include "pace.h"
#include "render.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_us(void)
{
	return now_ns() / 1000u;
}

int main(int argc, char **argv)
{
	double duration = 0, fps = 0;
	const char *device = NULL;
	struct probe_kms kms;
	struct probe_egl egl;
	struct probe_input input;
	struct probe_render *render;
	struct probe_pace pace;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
			duration = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--fps") && i + 1 < argc) {
			fps = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			device = argv[++i];
		} else {
			fprintf(stderr, "usage: %s [--duration S] [--fps N] [--device /dev/dri/cardN]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (!probe_kms_open(&kms, device))
		return 1;
	if (!probe_egl_init(&egl, kms.gbm, kms.surface))
		goto out_kms;
	render = probe_render_create(kms.mode.hdisplay, kms.mode.vdisplay);
	if (!render) {
		fprintf(stderr, "probe: cannot set up the scene\n");
		goto out_egl;
	}
	probe_input_open(&input);
	printf("R3D: probe started %dx%d renderer=%s\n", kms.mode.hdisplay, kms.mode.vdisplay,
	       (const char *)glGetString(GL_RENDERER));

	uint64_t start = now_us(), last_report = start, missed_at_report = 0;
	/* per report: where a paced frame's time goes (draw: wake-up to the
	 * swap's return; flip: the page flip until its event) */
	uint64_t draw_sum = 0, draw_max = 0, flip_sum = 0, flip_max = 0;
	uint32_t frame = 0, frames_at_report = 0;
	probe_pace_init(&pace, fps, start * 1000u);
	if (pace.period_ns)
		printf("R3D: probe paced fps=%g period_us=%llu\n", fps,
		       (unsigned long long)(pace.period_ns / 1000u));
	while (!stop) {
		if (!probe_pace_wait(&pace, &stop))
			break;
		uint64_t t = now_us();
		if (duration > 0 && t - start >= (uint64_t)(duration * 1e6))
			break;
		if (probe_input_poll(&input) > 0)
			printf("R3D: probe key code=%d presses=%u frame=%u\n", input.last_code,
			       input.presses, frame);
		probe_render_frame(render, frame, t, input.presses, input.press_us);
		if (!eglSwapBuffers(egl.display, egl.surface)) {
			fprintf(stderr, "probe: eglSwapBuffers: 0x%x\n", eglGetError());
			goto out_render;
		}
		uint64_t t_swapped = now_us();
		if (!probe_kms_present(&kms))
			goto out_render;
		frame++;
		uint64_t t_ns = now_ns();
		uint64_t draw = t_swapped - t, flip = t_ns / 1000u - t_swapped;
		draw_sum += draw;
		flip_sum += flip;
		draw_max = draw > draw_max ? draw : draw_max;
		flip_max = flip > flip_max ? flip : flip_max;
		probe_pace_advance(&pace, t_ns);
		t = t_ns / 1000u;
		if (t - last_report >= 1000000u) {
			printf("R3D: probe fps=%.1f frames=%u",
			       (frame - frames_at_report) * 1e6 / (double)(t - last_report), frame);
			uint32_t n = frame - frames_at_report;
			if (pace.period_ns && n)
				printf(" missed=%llu draw_ms=%.1f/%.1f flip_ms=%.1f/%.1f",
				       (unsigned long long)(pace.missed - missed_at_report),
				       draw_sum / 1e3 / n, draw_max / 1e3, flip_sum / 1e3 / n,
				       flip_max / 1e3);
			printf("\n");
			draw_sum = draw_max = flip_sum = flip_max = 0;
			last_report = t;
			frames_at_report = frame;
			missed_at_report = pace.missed;
		}
	}
	double secs = (now_us() - start) / 1e6;
	printf("R3D: probe done frames=%u seconds=%.1f fps=%.1f", frame, secs,
	       secs > 0 ? frame / secs : 0.0);
	if (pace.period_ns)
		printf(" missed=%llu", (unsigned long long)pace.missed);
	printf("\n");
	rc = 0;

out_render:
	probe_input_close(&input);
	probe_render_destroy(render);
out_egl:
	probe_egl_finish(&egl);
out_kms:
	probe_kms_close(&kms);
	return rc;
}
