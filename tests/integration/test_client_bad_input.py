#!/usr/bin/env python3
"""remote3d-client refuses bad input with one clear error line naming the
option and a non-zero exit, before it connects: numbers that are NaN,
infinite, negative, zero where that means nothing, too large, hex or with
trailing text; both --duration and --frames; an unknown --codec; an unreadable --ca-file; a
missing, empty or blank-first-line --password-file; an empty --type, a character without a
scancode or an unknown escape in it, malformed --watch/--ignore rectangles, --watch without
--type, --type with --keys; and, against a server (the stream device fixture, 640x480),
a --watch or --ignore rectangle outside the picture."""
import os
import subprocess
import sys
import time

import r3dtest as t

args = t.parse_args()
if not args.client:
    t.fail("remote3d-client was not built")
uri = "spice://127.0.0.1:%d" % args.port
wd = t.workdir()


def run(opts, what, word, server=False):
    argv = [args.client, uri] + opts
    t.log("run: " + " ".join(argv))
    start = time.monotonic()
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=20)
    except subprocess.TimeoutExpired:
        t.fail("%s: the client did not exit within 20 s" % what)
    lines = t.error_lines(r.stderr)
    if server:  # spice-gtk may log its own lines on a real connection
        lines = [l for l in lines if l.startswith("remote3d-client:")]
    t.log("  rc %d, %.1f s, stderr: %r" % (r.returncode, time.monotonic() - start, r.stderr))
    t.check(r.returncode != 0, "%s: non-zero exit (%d)" % (what, r.returncode))
    t.check(len(lines) == 1, "%s: exactly one error line (got %d)" % (what, len(lines)))
    t.check(word in lines[0], "%s: the line names %s: %r" % (what, word, lines[0]))
    t.check(not r.stdout.strip(), "%s: no report (stdout %r)" % (what, r.stdout))


for opt, bad in [
        ("--duration", ["nan", "inf", "-1", "0", "1e400", "1000001", "5s", "", "0x10"]),
        ("--timeout", ["nan", "-inf", "0", "-3", "2000000", "ten"]),
        ("--frames", ["0", "-1", "2.5", "99999999999999999999", "nan"]),
        ("--keys", ["-1", "nan", "3x", "1000001"]),
        ("--key-interval", ["0", "-100", "nan", "1e3", "3600001"]),
        ("--dump-max", ["0", "-1", "many"]),
]:
    for v in bad:
        run([opt, v], "%s %r" % (opt, v), opt)

run(["--duration", "5", "--frames", "10"], "both --duration and --frames", "--frames")
run(["--codec", "h266"], "an unknown --codec", "--codec")
run(["--ca-file", os.path.join(wd, "missing.pem")], "missing --ca-file", "--ca-file")
run(["--password-file", os.path.join(wd, "missing")], "missing --password-file", "--password-file")
run(["--source-frames", os.path.join(wd, "missing.csv")], "missing --source-frames",
    "--source-frames")
run(["--quality", "5", "--scene", "teapot"], "an unknown --scene", "--scene")
run(["--scene", "text"], "--scene without --quality", "--scene")
for v in ["0", "1001", "-1", "x"]:
    run(["--quality", v], "--quality %r" % v, "--quality")
for name, text in [("empty", ""), ("blank-first-line", "\nsecret\n")]:
    path = os.path.join(wd, name)
    with open(path, "w") as f:
        f.write(text)
    run(["--password-file", path], "%s --password-file" % name, "--password-file")

# --type and its options (checked before connecting)
for opt, bad in [
        ("--threshold", ["0", "-1", "8px", "nan", "100000001"]),
        ("--pixel-delta", ["-1", "255", "x"]),
        ("--key-timeout", ["0", "-5", "1e3", "3600001"]),
]:
    for v in bad:
        run(["--type", "ab", opt, v], "%s %r" % (opt, v), opt)
run(["--type", ""], "an empty --type", "--type")
run(["--type", "caf\u00e9"], "a --type character without a scancode", "--type")
run(["--type", "a\\qb"], "an unknown escape in --type", "--type")
run(["--type", "a\x01b"], "a control character in --type", "--type")
for opt in ["--watch", "--ignore"]:
    for v in ["", "1,2,3", "1,2,3,4,5", "0,0,0,10", "-1,0,10,10", "a,b,c,d", "1,2,3,4x", "1 2 3 4",
              "0,0,65537,1"]:
        run(["--type", "ab", opt, v], "%s %r" % (opt, v), opt)
run(["--type", "ab"] + ["--ignore", "0,0,1,1"] * 17, "17 --ignore rectangles", "--ignore")
for opt, v in [("--watch", "0,0,10,10"), ("--ignore", "0,0,10,10"), ("--threshold", "5"),
               ("--pixel-delta", "10"), ("--key-timeout", "100")]:
    run([opt, v], "%s without --type" % opt, opt)
run(["--type", "ab", "--keys", "3"], "--type with --keys", "--keys")

# rectangles outside the picture: known once the first picture arrives
if not args.fixture:
    t.log("skip: --watch outside the picture (no r3d-stream-device-fixture)")
    sys.exit(0)
fx = t.spawn([args.fixture, str(args.port), "640x480", "30"], "fixture", wd)
t.wait_port(args.port, fx)
for opt, v in [("--watch", "600,400,100,100"), ("--watch", "640,0,1,1"),
               ("--ignore", "0,470,20,20")]:
    run(["--type", "ab", opt, v], "%s %s outside the 640x480 picture" % (opt, v), opt,
        server=True)
t.check(fx.poll() is None, "the fixture still serves")
