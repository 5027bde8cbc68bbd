#!/usr/bin/env python3
"""remote3d-client refuses bad input with one clear error line naming the
option and a non-zero exit, before it connects: numbers that are NaN,
infinite, negative, zero where that means nothing, too large, hex or with
trailing text; both --duration and --frames; an unknown --codec; an unreadable --ca-file; a
missing, empty or blank-first-line --password-file."""
import os
import subprocess
import time

import r3dtest as t

args = t.parse_args()
if not args.client:
    t.fail("remote3d-client was not built")
uri = "spice://127.0.0.1:%d" % args.port
wd = t.workdir()


def run(opts, what, word):
    argv = [args.client, uri] + opts
    t.log("run: " + " ".join(argv))
    start = time.monotonic()
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=20)
    except subprocess.TimeoutExpired:
        t.fail("%s: the client did not exit within 20 s" % what)
    lines = t.error_lines(r.stderr)
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
for name, text in [("empty", ""), ("blank-first-line", "\nsecret\n")]:
    path = os.path.join(wd, name)
    with open(path, "w") as f:
        f.write(text)
    run(["--password-file", path], "%s --password-file" % name, "--password-file")
