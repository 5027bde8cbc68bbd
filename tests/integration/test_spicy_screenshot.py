#!/usr/bin/env python3
"""The stock client works: spicy (spice-gtk) under Xvfb connects to
remote3d-testsrc and shows the scene; two screenshots of the X screen carry
valid frame stamps (read by remote3d-stamp-read), the second one newer. Then
remote3d-screen-watch times spicy's picture (stamp-to-screen): it finds the
stamp, captures only its rectangle, sees new frames with increasing stamps
and a positive, bounded latency; without --display it refuses in one line."""
import json
import os
import shutil
import subprocess

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
js, csvp = os.path.join(wd, "watch.json"), os.path.join(wd, "watch.csv")
r = subprocess.run([args.screen_watch, "--display", disp, "--duration", "4", "--json", js,
                    "--csv", csvp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                   timeout=60)
t.log(r.stdout.strip())
alive_after = spicy.poll() is None
t.stop(spicy)
t.stop(src)
t.stop(xvfb)
if not stamps:
    t.fail("no frame stamp found in any screenshot of spicy's window (kept in %s)" % wd)
t.check(len(stamps) >= 1, "a screenshot of spicy's window holds a valid frame stamp (frame %d)" % stamps[0][0])
t.check(len(stamps) == 2, "a later screenshot holds a newer stamp: the stream is live in spicy")
t.check(r.returncode == 0 and alive_after, "remote3d-screen-watch ran (rc %d), spicy stayed up" % r.returncode)
w = json.load(open(js))
frames = [int(l.split(",")[0]) for l in open(csvp).read().splitlines()[1:]]
t.check(w["frames"] >= 20 and len(frames) == w["frames"],
        "screen-watch saw >= 20 new frames in 4 s at 30 fps (%d)" % w["frames"])
t.check(all(b > a for a, b in zip(frames, frames[1:])), "their stamps increase")
t.check("the stamp's rectangle" in r.stdout and w["capture_interval_ms"] < 34,
        "it captured only the stamp's rectangle, at least once a frame (every %.1f ms)"
        % w["capture_interval_ms"])
lat = w["stamp_to_screen_ms"]
t.check(0 < lat["min"] <= lat["p50"] < 5000,
        "stamp-to-screen is positive and bounded (min %.1f, p50 %.1f ms)" % (lat["min"], lat["p50"]))
r = subprocess.run([args.screen_watch], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
t.check(r.returncode == 2 and len(t.error_lines(r.stderr)) == 1 and "--display" in r.stderr,
        "without --display: exit 2, one line naming it (%r)" % r.stderr)
shutil.rmtree(wd, ignore_errors=True)
