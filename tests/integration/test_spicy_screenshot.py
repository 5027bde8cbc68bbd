#!/usr/bin/env python3
"""The stock client works: spicy (spice-gtk) under Xvfb connects to
remote3d-testsrc and shows the scene; two screenshots of the X screen carry
valid frame stamps (read by remote3d-stamp-read), the second one newer."""
import shutil

import r3dtest as t
import xscreen


def add(ap):
    ap.add_argument("--display", default=":20")


args = t.parse_args(add)
wd = t.workdir()
disp = args.display
try:
    xscreen.require_programs()
    xvfb = xscreen.start_xvfb(disp, t.spawn, wd)
except xscreen.XscreenError as e:
    t.fail(str(e))

src = t.start_testsrc(args, wd, args.port, size="800x600", fps=30, encoder="x264")
spicy = t.spawn(["spicy", "-h", "127.0.0.1", "-p", str(args.port)], "spicy", wd,
                env=xscreen.client_env(disp))


def alive():
    if spicy.poll() is not None:
        raise xscreen.XscreenError("spicy exited with %s\n%s" % (spicy.returncode, t.tail(spicy)))
    if src.poll() is not None:
        raise xscreen.XscreenError("testsrc exited with %s\n%s" % (src.returncode, t.tail(src)))


try:
    stamps = xscreen.watch_stamps(disp, args.stamp_read, wd, check_alive=alive, log=t.log)
except xscreen.XscreenError as e:
    t.fail(str(e))
t.stop(spicy)
t.stop(src)
t.stop(xvfb)
if not stamps:
    t.fail("no frame stamp found in any screenshot of spicy's window (kept in %s)" % wd)
t.check(len(stamps) >= 1, "a screenshot of spicy's window holds a valid frame stamp (frame %d)" % stamps[0][0])
t.check(len(stamps) == 2, "a later screenshot holds a newer stamp: the stream is live in spicy")
shutil.rmtree(wd, ignore_errors=True)
