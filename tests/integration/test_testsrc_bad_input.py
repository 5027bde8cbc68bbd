#!/usr/bin/env python3
"""remote3d-testsrc refuses bad input with one clear error line naming the
option and a non-zero exit, before it starts anything: an unknown encoder, a
busy port, a size of 0 and of 100000; numbers that are NaN, infinite,
negative, too large (a --duration whose milliseconds overflow), hex, with
trailing text or blanks; bad rate-control bounds; an empty, blank-first-line,
too long or missing --password-file; TLS without certificates; an address
not on this machine; a bad value of one of libremote3d's R3D_* environment
variables (named). A --duration it takes is kept (not wrapped around)."""
import os
import socket
import subprocess
import time

import r3dtest as t

args = t.parse_args()
port = args.port


def run(overrides, what, words, timeout=60, env=None):
    opts = {"--port": str(port), "--size": "640x480", "--fps": "30",
            "--encoder": "x264", "--duration": "5"}
    opts.update(overrides)
    argv = [args.testsrc]
    for k, v in opts.items():
        argv += [k, v]
    t.log("run: " + " ".join(argv))
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        t.fail("%s: testsrc did not exit within %d s" % (what, timeout))
    lines = t.error_lines(r.stderr)
    t.log("  rc %d, stderr: %r" % (r.returncode, r.stderr))
    t.check(r.returncode != 0, "%s: non-zero exit (%d)" % (what, r.returncode))
    t.check(len(lines) == 1, "%s: exactly one error line (got %d)" % (what, len(lines)))
    t.check(any(w in lines[0].lower() for w in words), "%s: the line names the cause: %r" % (what, lines[0]))
    t.check("serving" not in r.stdout, "%s: nothing was served (stdout %r)" % (what, r.stdout))


if not args.testsrc:
    t.fail("remote3d-testsrc was not built")
run({"--encoder": "no-such-encoder"}, "unknown encoder", ["encoder"])
run({"--size": "0x0"}, "size 0x0", ["size", "0"])
run({"--size": "0"}, "size 0", ["size"])
run({"--size": "100000x100000"}, "size 100000x100000", ["size", "100000"])
run({"--size": "1280x720junk"}, "size with trailing text", ["--size"])
run({"--size": "99999999999999999999x64"}, "size overflowing a long", ["--size"])

# numbers: each option, each way of being wrong; refused at once (a short
# timeout: "--duration nan" used to run forever)
for opt, bad in [
        ("--duration", ["nan", "inf", "-inf", "-1", "4294968", "1e400", "5s", "", "0x10"]),
        ("--fps", ["0", "241", "nan", "30.5", " 30", "+30", "0x1e", "99999999999999999999"]),
        ("--port", ["0", "65536", "-1", "5900x", "nan"]),
        ("--bitrate", ["0", "-5", "1e3", "1000001", "nan", "fast"]),
        ("--min-bitrate", ["0", "nan", "-1", "1000001"]),
        ("--max-bitrate", ["0", "inf", "2x"]),
        ("--stats-interval", ["0", "nan", "-0.2", "3601", "inf"]),
        ("--tls-port", ["0", "70000", "nan"]),
]:
    for v in bad:
        run({opt: v}, "%s %r" % (opt, v), [opt], timeout=20)

run({"--rate-control": "maybe"}, "--rate-control maybe", ["--rate-control"])
run({"--min-bitrate": "5000", "--max-bitrate": "1000"}, "min above max", ["--min-bitrate"])
run({"--bitrate": "500", "--min-bitrate": "1000", "--max-bitrate": "4000"},
    "start bitrate below min", ["--bitrate"])
run({"--bitrate": "5000", "--min-bitrate": "1000", "--max-bitrate": "4000"},
    "start bitrate above max", ["--bitrate"])
run({"--rate-control": "off", "--max-bitrate": "4000"}, "bounds without rate control",
    ["--max-bitrate", "--rate-control"])
run({"--addr": ""}, "empty address", ["--addr"])
run({"--addr": "192.0.2.254"}, "an address not on this machine", ["192.0.2.254"])

wd = t.workdir()
pw = {}
for name, text in [("empty", ""), ("blank-first-line", "\nsecret\n"), ("long", "x" * 61 + "\n")]:
    pw[name] = os.path.join(wd, name)
    with open(pw[name], "w") as f:
        f.write(text)
run({"--password-file": pw["empty"]}, "empty password file", ["--password-file", "empty"])
run({"--password-file": pw["blank-first-line"]}, "password file's first line empty",
    ["--password-file"])
run({"--password-file": pw["long"]}, "password longer than SPICE's 60 bytes", ["--password-file"])
run({"--password-file": os.path.join(wd, "missing")}, "missing password file",
    ["--password-file"])
run({"--tls-port": str(port + 1)}, "--tls-port without --x509-dir", ["--x509-dir"])
run({"--tls-port": str(port + 1), "--x509-dir": wd}, "--x509-dir without certificates",
    ["--x509-dir", "ca-cert.pem"])
run({"--stats-log": os.path.join(wd, "no-such-dir", "log")}, "unwritable --stats-log",
    ["--stats-log"])
run({"--frames-csv": os.path.join(wd, "no-such-dir", "f.csv")}, "unwritable --frames-csv",
    ["--frames-csv"])
run({"--scene": "teapot"}, "an unknown --scene", ["--scene", "teapot"])

# libremote3d's environment (r3d_stream_config_from_env): refused like an option
for var, v in [("R3D_GL_READBACK", "fast"), ("R3D_PIPELINE", "off"), ("R3D_GL_PERSISTENT", "no"),
               ("R3D_ENCODER_NICE", "twenty"), ("R3D_ENCODER_NICE", "25"), ("R3D_STATS", "often")]:
    run({}, "%s=%s" % (var, v), [var.lower() + "=" + v], timeout=20, env={var: v})

# a duration it takes is the duration it runs: 4294.967 s used to be cut
# to 0.9 s by an unsigned overflow; a short one shows the value is kept
argv = [args.testsrc, "--port", str(port), "--size", "640x480", "--fps", "30",
        "--encoder", "x264", "--duration", "2.5"]
t.log("run: " + " ".join(argv))
start = time.monotonic()
r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
took = time.monotonic() - start
t.check(r.returncode == 0, "--duration 2.5 runs and exits 0 (%d: %r)" % (r.returncode, r.stderr))
t.check(took >= 2.5, "--duration 2.5 ran at least 2.5 s (%.2f s)" % took)

busy = socket.socket()
busy.bind(("127.0.0.1", port))
busy.listen(1)
run({}, "busy port", ["port", "in use", str(port)])
busy.close()
