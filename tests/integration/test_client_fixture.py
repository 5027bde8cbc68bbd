#!/usr/bin/env python3
"""remote3d-client on a real spice-gtk H.264 decode without testsrc: stock
spice-server's stream device path (r3d-stream-device-fixture) streams stamped
H.264; the client names the codec h264, starts on a keyframe, reads strictly
increasing stamps, dumps PNGs whose stamps remote3d-stamp-read finds; key
presses over the inputs channel show up as marker changes; and when
the server dies mid-stream the client says so in one line and exits non-zero."""
import glob
import os
import subprocess
import threading

import r3dtest as t

args = t.parse_args()
if not args.fixture:
    t.fail("r3d-stream-device-fixture was not built")
wd = t.workdir()
fx = t.spawn([args.fixture, str(args.port), "640x480", "30"], "fixture", wd)
t.wait_port(args.port, fx)
rc, rep, err = t.run_client(args, wd, args.port,
                            opts=["--duration", "5", "--dump-png", wd + "/png", "--dump-max", "3"])
if rc != 0 or rep is None:
    t.fail("client exited %d\n%s" % (rc, t.tail(fx)))
t.check(rep["codec"] == "h264" and rep["decoder"] != "", "codec h264 decoded by %s" % rep["decoder"])
t.check(rep["first_access_unit_keyframe"], "the first access unit is a keyframe")
t.check(rep["frames"] >= 50, "at least 50 stamped frames in 5 s (got %d)" % rep["frames"])
t.check(rep["non_increasing"] == 0, "stamps strictly increase")
t.check(0 < rep["latency_ms"]["p50"] < 5000, "latency on one clock is sane (p50 %.1f ms)" % rep["latency_ms"]["p50"])
pngs = sorted(glob.glob(wd + "/png/frame-*.png"))
t.check(len(pngs) == 3, "--dump-png --dump-max 3 wrote 3 frames")
r = subprocess.run([args.stamp_read, pngs[0]], stdout=subprocess.PIPE, text=True)
want = int(os.path.basename(pngs[0])[6:14])
t.check(r.returncode == 0 and r.stdout.split()[1] == str(want),
        "remote3d-stamp-read finds frame %d in its dump (%s)" % (want, r.stdout.strip()))

# input-to-photon: key presses over the inputs channel change the marker
rc, rep, err = t.run_client(args, wd, args.port, name="client-keys",
                            opts=["--keys", "4", "--key-interval", "300"])
t.check(rc == 0 and rep and rep["keys_sent"] == 4, "the key probe sent 4 presses")
itp = rep["input_to_photon_ms"]
t.check(itp["n"] == 4, "each press changed the marker on screen (%d of 4)" % itp["n"])
t.log("figures: input-to-photon p50 %.1f max %.1f ms; stamp-to-display p50 %.1f ms"
      % (itp["p50"], itp["max"], rep["latency_ms"]["p50"]))
t.check(itp["min"] >= rep["latency_ms"]["min"] * 0.5,
        "no press is answered faster than half the display latency (%.1f ms)" % itp["min"])

# the server goes away mid-stream
threading.Timer(3.0, lambda: t.stop(fx)).start()
rc, rep, err = t.run_client(args, wd, args.port, name="client-drop", opts=["--duration", "30"])
lines = t.error_lines(err)
lines = [l for l in lines if l.startswith("remote3d-client:")]
t.check(rc != 0, "the client exits non-zero when the server dies (%d)" % rc)
t.check(len(lines) == 1 and "dropped" in lines[0], "one line says the connection dropped: %r" % lines)
