#!/usr/bin/env python3
"""glmark2-es2-drm runs in the test guest under the patched QEMU
(-display egl-headless, virtio-vga-gl) through virgl: its GL_RENDERER names
virgl, it renders at the guest's only mode (1280x720) and prints a score
above 0.

usage: test_guest_glmark2_virgl.py [--qemu PATH] [--qemu-expected] [--duration S]
"""
import argparse
import re

import guestboot as gb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", default=gb.DEFAULT_QEMU)
    ap.add_argument("--qemu-expected", action="store_true",
                    help="the build makes the patched QEMU: missing is a failure")
    ap.add_argument("--duration", type=int, default=5, help="seconds per scene")
    ap.add_argument("--display", default="egl-headless",
                    help="QEMU -display value (development: sdl,gl=on under Xvfb with a stock QEMU)")
    a = ap.parse_args()
    gb.require_guest_and_qemu(a.qemu, a.qemu_expected)

    scenes = "-b,build:use-vbo=true:duration=%d,-b,shading:shading=phong:duration=%d" % (
        a.duration, a.duration)
    g = gb.Guest(a.qemu, "glmark2", args=scenes, extra=["-display", a.display])
    try:
        if not g.wait_marker(r"^R3D: run glmark2", 300):
            g.dump()
            gb.fail("the guest started glmark2 within 300 s (R3D: run glmark2)")
        done = g.wait_marker(r"^R3D: exit glmark2 rc=(\d+)", 4 * a.duration + 180)
        if not done:
            g.dump()
            gb.fail("glmark2 ended (R3D: exit glmark2)")
        g.wait_exit(60)
        text = g.text()
        renderer = re.search(r"GL_RENDERER:\s*(.*)$", text, re.M)
        size = re.search(r"Surface Size:\s*(\d+)x(\d+)", text)
        score = re.search(r"glmark2 Score:\s*(\d+)", text)
        if not (renderer and score):
            g.dump()
        gb.check(done.group(1) == "0", "glmark2-es2-drm exited with 0 (got %s)" % done.group(1))
        gb.check(renderer is not None and "virgl" in renderer.group(1),
                 "glmark2 renders through virgl (GL_RENDERER: %s)"
                 % (renderer.group(1) if renderer else None))
        gb.check(size is not None and size.groups() == ("1280", "720"),
                 "glmark2 renders at 1280x720 (%s)" % (size.group(0) if size else None))
        gb.check(score is not None and int(score.group(1)) > 0,
                 "glmark2 prints a score above 0 (%s)" % (score.group(0) if score else None))
        for line in re.findall(r"^\[(?:build|shading)\].*FPS.*$", text, re.M):
            gb.log("  " + line)
        gb.log("RESULT glmark2_score=%s" % score.group(1))
    finally:
        g.stop()


if __name__ == "__main__":
    main()
