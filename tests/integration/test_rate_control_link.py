#!/usr/bin/env python3
"""Rate control through a real slow link: remote3d-testsrc (1280x720 60 fps,
x264, start bitrate 5.5 Mbit/s) -> remote3d-client behind latency-sim at
25 ms each way and 2 Mbit/s with a 1000-packet queue, 14 s.

Asserts what the controller must do, with generous limits (the figures
belong to make bench-link): the target ends below the link's rate (its
median over the last 8 s; it probes a little above and cuts back), the
client receives less than the link carries, and the picture does not lag
by the link's buffer (stamp-to-display p50 < 400 ms, p95 < 800 ms over the
last 8 s; with the fixed start bitrate this link measured 0.9-1.1 s).
Needs root and /dev/net/tun (latency-sim's devices): skipped without.
"""
import csv
import json
import os
import subprocess
import sys

import r3dtest as t


def extra(ap):
    ap.add_argument("--latency-sim")


args = t.parse_args(extra)
if os.geteuid() != 0 or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
    t.log("SKIP: latency-sim needs root and /dev/net/tun")
    sys.exit(t.SKIP)
if not args.latency_sim:
    t.fail("latency-sim was not built (meson gave no path)")
wd = t.workdir()
slog = os.path.join(wd, "testsrc-stats.jsonl")
src = t.start_testsrc(args, wd, args.port, size="1280x720", fps=60, encoder="x264",
                      extra=["--addr", "0.0.0.0", "--rate-control", "on", "--stats-log", slog])
ccsv = os.path.join(wd, "client.csv")
cjson = os.path.join(wd, "client.json")
argv = [args.latency_sim, "--quiet", "--delay", "25ms", "--rate", "2mbit", "--queue", "1000pkt", "--",
        "sh", "-c", 'exec "$0" "spice://$LATENCY_SIM_HOST:%d" --duration 14 --csv "$1" --json "$2"' % args.port,
        args.client, ccsv, cjson]
t.log("run: " + " ".join(argv))
r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
sys.stdout.write(r.stdout + r.stderr[-2000:])
if r.returncode != 0:
    t.fail("the client behind latency-sim exited %d; testsrc %s:\n%s"
           % (r.returncode, "alive" if src.poll() is None else "exited %s" % src.returncode, t.tail(src)))
t.log("ok: the client behind latency-sim ran to the end")
t.check(src.poll() is None, "testsrc runs on")
t.stop(src)

with open(cjson) as f:
    rep = json.load(f)
rows = []
with open(ccsv) as f:
    for row in csv.DictReader(f):
        rows.append((int(row["display_us"]), (int(row["display_us"]) - int(row["stamp_us"])) / 1000.0))
t.check(len(rows) > 50, "the client showed frames (%d)" % len(rows))
end = rows[-1][0]
late = sorted(lat for d, lat in rows if d >= end - 8e6)
p50, p95 = late[len(late) // 2], late[min(len(late) - 1, int(len(late) * 0.95))]
t.log("last 8 s: %d frames, stamp-to-display p50 %.0f ms, p95 %.0f ms; client bitrate %.0f kbit/s, fps %.1f"
      % (len(late), p50, p95, rep["bitrate_kbps"], rep["fps"]))
states = [json.loads(l) for l in open(slog) if l.strip()]
last = states[-1]
t.log("controller at the end: %s" % {k: last.get(k) for k in (
    "phase", "target_kbps", "encoder_kbps", "fps_cap", "sent_kbps", "delivery_kbps", "srtt_ms",
    "min_rtt_ms", "queue_delay_ms")})
# the target saws around the link's rate (it probes up until a queue shows,
# then cuts under it): over the last 8 s it is below the link most of the time
tail = sorted(s.get("target_kbps", 1e9) for s in states[-8:])
t.check(len(tail) >= 5 and tail[len(tail) // 2] < 2000,
        "the controller's target ends below the 2000 kbit/s link: last 8 s median %s kbit/s (%s)"
        % (tail[len(tail) // 2] if tail else None, tail))
t.check(rep["bitrate_kbps"] < 2000, "the client receives less than the link carries (%.0f kbit/s)"
        % rep["bitrate_kbps"])
t.check(p50 < 400 and p95 < 800, "latency is bounded: p50 %.0f < 400 ms, p95 %.0f < 800 ms" % (p50, p95))
