#!/usr/bin/env python3
"""The stock client works: spicy (spice-gtk) under Xvfb connects to
remote3d-testsrc and shows the scene; two screenshots of the X screen carry
valid frame stamps (read by remote3d-stamp-read), the second one newer."""
import os
import shutil
import subprocess
import time

import r3dtest as t


def add(ap):
    ap.add_argument("--display", default=":20")


args = t.parse_args(add)
for prog in ("Xvfb", "spicy", "gst-launch-1.0"):
    if not shutil.which(prog):
        t.fail("%s is not installed (make deps installs it)" % prog)
wd = t.workdir()
disp = args.display
xvfb = t.spawn(["Xvfb", disp, "-screen", "0", "1600x1200x24", "-nolisten", "tcp"], "xvfb", wd)
sock = "/tmp/.X11-unix/X" + disp.lstrip(":")
for _ in range(100):
    if os.path.exists(sock) or xvfb.poll() is not None:
        break
    time.sleep(0.1)
if xvfb.poll() is not None:
    t.fail("Xvfb %s did not start\n%s" % (disp, t.tail(xvfb)))

src = t.start_testsrc(args, wd, args.port, size="800x600", fps=30, encoder="x264")
env = dict(os.environ, DISPLAY=disp)
env.pop("WAYLAND_DISPLAY", None)
spicy = t.spawn(["spicy", "-h", "127.0.0.1", "-p", str(args.port)], "spicy", wd, env=env)


def screenshot(path):
    r = subprocess.run(["gst-launch-1.0", "-q", "ximagesrc", "display-name=" + disp,
                        "use-damage=false", "num-buffers=1", "!", "videoconvert", "!",
                        "pngenc", "!", "filesink", "location=" + path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if r.returncode != 0:
        t.fail("screenshot failed: %s" % r.stdout)


def read_stamp(path):
    r = subprocess.run([args.stamp_read, path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    t.log("%s: %s" % (os.path.basename(path), r.stdout.strip()))
    if r.returncode != 0:
        return None
    f = r.stdout.split()
    return int(f[1]), int(f[3])


stamps = []
deadline = time.monotonic() + 60
while time.monotonic() < deadline and len(stamps) < 2:
    if spicy.poll() is not None:
        t.fail("spicy exited with %s\n%s" % (spicy.returncode, t.tail(spicy)))
    if src.poll() is not None:
        t.fail("testsrc exited with %s\n%s" % (src.returncode, t.tail(src)))
    time.sleep(2)
    shot = os.path.join(wd, "screen-%d.png" % len(stamps))
    screenshot(shot)
    st = read_stamp(shot)
    if st and (not stamps or st[0] > stamps[-1][0]):
        stamps.append(st)
t.stop(spicy)
t.stop(src)
t.stop(xvfb)
if not stamps:
    t.fail("no frame stamp found in any screenshot of spicy's window (kept in %s)" % wd)
t.check(len(stamps) >= 1, "a screenshot of spicy's window holds a valid frame stamp (frame %d)" % stamps[0][0])
t.check(len(stamps) == 2, "a later screenshot holds a newer stamp: the stream is live in spicy")
shutil.rmtree(wd, ignore_errors=True)
