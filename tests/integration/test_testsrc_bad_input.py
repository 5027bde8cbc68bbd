#!/usr/bin/env python3
"""remote3d-testsrc refuses bad input with one clear error line and a non-zero
exit: an unknown encoder, a busy port, a size of 0 and of 100000."""
import socket
import subprocess

import r3dtest as t

args = t.parse_args()
port = args.port


def run(overrides, what, words):
    opts = {"--port": str(port), "--size": "640x480", "--fps": "30",
            "--encoder": "x264", "--duration": "5"}
    opts.update(overrides)
    argv = [args.testsrc]
    for k, v in opts.items():
        argv += [k, v]
    t.log("run: " + " ".join(argv))
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        t.fail("%s: testsrc did not exit within 60 s" % what)
    lines = t.error_lines(r.stderr)
    t.log("  rc %d, stderr: %r" % (r.returncode, r.stderr))
    t.check(r.returncode != 0, "%s: non-zero exit (%d)" % (what, r.returncode))
    t.check(len(lines) == 1, "%s: exactly one error line (got %d)" % (what, len(lines)))
    t.check(any(w in lines[0].lower() for w in words), "%s: the line names the cause: %r" % (what, lines[0]))


if not args.testsrc:
    t.fail("remote3d-testsrc was not built")
run({"--encoder": "no-such-encoder"}, "unknown encoder", ["encoder"])
run({"--size": "0x0"}, "size 0x0", ["size", "0"])
run({"--size": "0"}, "size 0", ["size"])
run({"--size": "100000x100000"}, "size 100000x100000", ["size", "100000"])

busy = socket.socket()
busy.bind(("127.0.0.1", port))
busy.listen(1)
run({}, "busy port", ["port", "in use", str(port)])
busy.close()
