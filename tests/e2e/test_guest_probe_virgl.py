#!/usr/bin/env python3
"""The test guest boots under the patched QEMU with -display egl-headless
and -device virtio-vga-gl (no render node: EGL surfaceless on the host), and
its probe renders through virgl: GL_RENDERER names virgl, it reports a
non-zero frame rate every second for the whole run, its frame count grows,
and it ends cleanly (the VM powers itself off). While it renders, QEMU runs
virglrenderer's fence thread ("vrend-sync": qemu-patches 0003, fences
retire when signalled instead of on a 10 ms poll).

usage: test_guest_probe_virgl.py [--qemu PATH] [--qemu-expected] [--duration S]
"""
import argparse
import re
import time

import guestboot as gb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", default=gb.DEFAULT_QEMU)
    ap.add_argument("--qemu-expected", action="store_true",
                    help="the build makes the patched QEMU: missing is a failure")
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--display", default="egl-headless",
                    help="QEMU -display value (development: sdl,gl=on under Xvfb with a stock QEMU)")
    a = ap.parse_args()
    gb.require_guest_and_qemu(a.qemu, a.qemu_expected)

    g = gb.Guest(a.qemu, "probe", duration=a.duration, extra=["-display", a.display])
    try:
        m = g.wait_marker(r"^R3D: init ([0-9.]+)", 300)
        if not m:
            g.dump()
            gb.fail("the guest reached /init within 300 s (R3D: init)")
        g_time = float(m.group(1))
        boot_wall = time.monotonic() - g.start
        accel = re.search(r"run-guest: accel=(\w+) \(([^)]*)\)", g.stderr())
        gb.log("guest /init at %.1f s guest time, %.1f s wall clock (accel %s)"
               % (g_time, boot_wall, accel.group(1) if accel else "?"))
        m = g.wait_marker(r"^R3D: probe started (\d+)x(\d+) renderer=(.*)$", 120)
        if not m:
            g.dump()
            gb.fail("the probe started (R3D: probe started)")
        gb.check((m.group(1), m.group(2)) == ("1280", "720"),
                 "the guest's only mode is 1280x720 (got %sx%s)" % (m.group(1), m.group(2)))
        renderer = m.group(3)
        gb.check("virgl" in renderer, "the probe renders through virgl (GL_RENDERER: %s)" % renderer)
        threads = gb.thread_names(g.proc.pid)
        gb.check("vrend-sync" in threads,
                 "QEMU runs virglrenderer's fence thread vrend-sync (threads: %s)"
                 % ", ".join(sorted(set(threads))))
        done = g.wait_marker(r"^R3D: exit probe rc=(\d+)", a.duration + 120)
        if not done:
            g.dump()
            gb.fail("the probe ended within its duration + 120 s (R3D: exit probe)")
        rc = g.wait_exit(60)
        text = g.text()
        fps = [(float(f), int(n)) for f, n in re.findall(r"^R3D: probe fps=([0-9.]+) frames=(\d+)", text, re.M)]
        gb.log("probe fps per second: " + " ".join("%.1f" % f for f, _ in fps))
        gb.check(done.group(1) == "0", "the probe exited with 0 (got %s)" % done.group(1))
        gb.check(len(fps) >= a.duration // 2,
                 "the probe reported its fps at least %d times in %d s (got %d)"
                 % (a.duration // 2, a.duration, len(fps)))
        gb.check(all(f > 0 for f, _ in fps), "every fps report is above 0")
        gb.check(all(fps[i][1] < fps[i + 1][1] for i in range(len(fps) - 1)),
                 "the frame count grows between reports")
        summary = re.search(r"^R3D: probe done frames=(\d+) seconds=([0-9.]+) fps=([0-9.]+)", text, re.M)
        gb.check(summary is not None and int(summary.group(1)) > 0,
                 "the probe's summary has frames > 0 (%s)" % (summary.group(0) if summary else None))
        gb.check(rc is not None, "QEMU exited after the guest powered off (rc %s)" % rc)
        gb.check("no drm render node available" not in g.stderr(),
                 "no 'no drm render node available' error from egl-headless")
        gb.log("RESULT probe_fps=%s frames=%s boot_to_init_wall_s=%.1f"
               % (summary.group(3), summary.group(1), boot_wall))
    finally:
        g.stop()


if __name__ == "__main__":
    main()
