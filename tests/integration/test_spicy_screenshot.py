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
try:
    xscreen.require_programs()
    src = t.start_testsrc(args, wd, args.port, size="800x600", fps=30, encoder="x264")
    stamps = xscreen.watch_client(["spicy", "-h", "127.0.0.1", "-p", str(args.port)], "spicy",
                                  args.display, args.stamp_read, wd, t.spawn, t.stop, t.tail,
                                  lambda: src.poll() is None, log=t.log)
except xscreen.XscreenError as e:
    t.fail(str(e))
t.stop(src)
if not stamps:
    t.fail("no frame stamp found in any screenshot of spicy's window (kept in %s)" % wd)
t.check(len(stamps) >= 1, "a screenshot of spicy's window holds a valid frame stamp (frame %d)" % stamps[0][0])
t.check(len(stamps) == 2, "a later screenshot holds a newer stamp: the stream is live in spicy")
shutil.rmtree(wd, ignore_errors=True)
