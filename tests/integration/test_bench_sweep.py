#!/usr/bin/env python3
"""make bench-sweep (tools/bench_sweep.py), tiny: a 2-point sweep of short
runs through latency-sim writes a results CSV with every column filled and a
valid PNG plot, prints the best-point table, and a second run resumes (both
points already measured, none run again). Bad input is refused with one line
before any run: an unknown key, an unknown value, an encoder element that
does not exist, an unwritable output folder.
Needs root and /dev/net/tun (latency-sim): skipped without."""
import csv
import os
import struct
import subprocess
import sys

import r3dtest as t


def add(ap):
    ap.add_argument("--latency-sim")
    ap.add_argument("--sweep")


args = t.parse_args(add)
if os.geteuid() != 0 or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
    t.log("SKIP: latency-sim needs root and /dev/net/tun")
    sys.exit(77)
wd = t.workdir()
env = dict(os.environ, R3D_MESON_DIR=os.path.dirname(os.path.dirname(args.testsrc)),
           BENCH_SWEEP_OUT=os.path.join(wd, "out"), BENCH_PORT=str(args.port))


def sweep(conf_text, name, out=None):
    conf = os.path.join(wd, name + ".conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    e = dict(env)
    if out:
        e["BENCH_SWEEP_OUT"] = out
    t.log("run: bench_sweep.py %s" % conf)
    return subprocess.run(["/usr/bin/python3", args.sweep, conf], env=e, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=300)


TINY = """# two points
seconds = 3
size = 640x480
encoder = x264-ultrafast, openh264
bitrate = 1500
scene = text
link = lan
"""
run1 = sweep(TINY, "tiny")
sys.stdout.write(run1.stdout + run1.stderr)
t.check(run1.returncode == 0, "the tiny sweep ran (rc %d)" % run1.returncode)
out = os.path.join(wd, "out")
rows = list(csv.DictReader(open(os.path.join(out, "results.csv"))))
t.check(len(rows) == 2, "results.csv has the 2 points (%d)" % len(rows))
empty = [(r["point"], k) for r in rows for k, v in r.items() if v in ("", None)]
t.check(not empty, "every column of every point is filled (%s)" % empty[:3])
for r in rows:
    t.check(float(r["lat_p50_ms"]) > 0 and float(r["frames"]) > 30 and 20 < float(r["psnr_mean"]) <= 100
            and 0 < float(r["ssim_mean"]) <= 1 and float(r["cpu_pct"]) > 0,
            "%s: latency, frames, PSNR, SSIM and CPU are real figures" % r["point"])
png = os.path.join(out, "sweep-text-lan.png")
head = open(png, "rb").read(24) if os.path.exists(png) else b""
t.check(head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24])[0] > 400,
        "the plot %s is a PNG" % png)
t.check("best per scene and link" in run1.stdout, "the best-point table is printed")
r2 = sweep(TINY, "tiny")
t.check(r2.returncode == 0 and "2 measured already" in r2.stdout and "[1/" not in r2.stdout,
        "a second run resumes: nothing run again")

for text, what, word in [
        (TINY + "colour = red\n", "an unknown key", "colour"),
        (TINY + "scene = teapot\n", "an unknown scene", "teapot"),
        (TINY + "link = moon\n", "an unknown link", "moon"),
        (TINY + "encoder = x264-warp\n", "an unknown x264 preset", "x264-warp"),
        (TINY + "bitrate = lots\n", "a bad bitrate", "lots"),
        ("pipeline nope = nosuchenc bitrate=100\nencoder = nope\n", "a missing encoder element",
         "nosuchenc")]:
    r = sweep(text, "bad")
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    t.check(r.returncode != 0 and len(lines) == 1 and word in lines[0] and "[1/" not in r.stdout,
            "%s: one line naming it, nothing run (%r)" % (what, lines))
ro = os.path.join(wd, "ro")
os.makedirs(ro)
open(os.path.join(ro, "out"), "w").close()  # a file where the folder should be
r = sweep(TINY, "tiny", out=os.path.join(ro, "out", "sub"))
lines = [l for l in r.stderr.splitlines() if l.strip()]
t.check(r.returncode != 0 and len(lines) == 1 and "output folder" in lines[0],
        "an output folder that cannot be made: one line (%r)" % lines)
