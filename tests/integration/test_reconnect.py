#!/usr/bin/env python3
"""A client that disconnects mid-stream (cleanly, then killed abruptly) and a
new one that connects: each new client gets a keyframe first and a working
stream with increasing stamps, newer than what the previous one saw, and
remote3d-testsrc keeps running throughout. While no client is connected,
nothing is encoded (the spice sink stops the stream at 0 clients, spice-server
re-arms it when the next one comes)."""
import json
import os
import signal
import subprocess
import time

import r3dtest as t

args = t.parse_args()
wd = t.workdir()
stats_log = os.path.join(wd, "stats.jsonl")
src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30, encoder="x264",
                      extra=["--stats-log", stats_log, "--stats-interval", "0.1"])


def encoded_now():
    """The stream's encoded count in testsrc's newest --stats-log line."""
    with open(stats_log) as f:
        lines = [line for line in f if line.strip()]
    if not lines:
        t.fail("testsrc wrote no --stats-log line\n%s" % t.tail(src))
    return json.loads(lines[-1])["encoded"]


def nothing_encoded_without_client(after):
    time.sleep(1.0)  # spice-server notices the closed socket
    n0 = encoded_now()
    time.sleep(2.0)
    n1 = encoded_now()
    t.check(n1 == n0, "no client after %s: nothing encoded in 2 s (encoded %d -> %d)"
            % (after, n0, n1))


def session(name, seconds):
    rc, rep, err = t.run_client(args, wd, args.port, name=name, opts=["--duration", str(seconds)])
    if rc != 0 or rep is None:
        t.fail("%s: client exited %d\n%s" % (name, rc, t.tail(src)))
    t.check(rep["codec"] == "h264", "%s: H.264 stream" % name)
    t.check(rep["first_access_unit_keyframe"], "%s: the first access unit is a keyframe" % name)
    t.check(rep["frames"] >= 10 and rep["non_increasing"] == 0,
            "%s: %d frames, stamps increasing" % (name, rep["frames"]))
    return rep


a = session("client-a", 3)
t.check(src.poll() is None, "testsrc runs on after client-a disconnected")
nothing_encoded_without_client("client-a")

# client-b is killed mid-stream (no clean disconnect)
b = subprocess.Popen([args.client, "spice://127.0.0.1:%d" % args.port, "--duration", "30"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(4)
b.send_signal(signal.SIGKILL)
b.wait()
time.sleep(0.5)
t.check(src.poll() is None, "testsrc runs on after client-b was killed mid-stream")
nothing_encoded_without_client("client-b was killed")

c = session("client-c", 3)
t.check(c["first_frame"] > a["last_frame"], "client-c's stamps (%d..) are newer than client-a's (..%d)"
        % (c["first_frame"], a["last_frame"]))
t.check(src.poll() is None, "testsrc is still running at the end")
rc = t.stop(src)
t.log("testsrc stopped with %s" % rc)
