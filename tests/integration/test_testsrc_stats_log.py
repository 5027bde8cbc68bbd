#!/usr/bin/env python3
"""remote3d-testsrc --stats-log writes one flushed JSON object per line every
--stats-interval and one at exit (SIGTERM): t (seconds, 3 decimals,
increasing), cumulative encoded/dropped/bytes, the sink's queue; with rate
control on (the default) its state: phase, target and encoder kbit/s inside
--min-bitrate/--max-bitrate, fps cap, sent and delivery rates, RTTs, queue
delay, unsent bytes; with --rate-control off, rate_control false and no
controller fields."""
import json
import os
import re
import time

import r3dtest as t

args = t.parse_args()
wd = t.workdir()
RATE_KEYS = ["phase", "target_kbps", "encoder_kbps", "fps_cap", "sent_kbps", "sent_fps",
             "delivery_kbps", "srtt_ms", "min_rtt_ms", "queue_delay_ms", "socket_unsent_bytes"]
BASE_KEYS = ["t", "encoded", "dropped", "bytes", "queue_frames", "queue_bytes", "rate_control"]


def run(name, extra):
    log = os.path.join(wd, name + ".jsonl")
    src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30, name=name,
                          extra=["--stats-log", log, "--stats-interval", "0.2"] + extra)
    rc, rep, err = t.run_client(args, wd, args.port, name=name + "-client", opts=["--duration", "3"])
    t.check(rc == 0 and rep and rep["frames"] > 0, "%s: the client got frames (rc %d)" % (name, rc))
    # the lines are there while it runs (flushed), before it exits
    with open(log) as f:
        running = [l for l in f.read().splitlines() if l]
    t.check(len(running) >= 10, "%s: >= 10 lines while running (%d)" % (name, len(running)))
    before = len(running)
    time.sleep(0.1)
    t.check(t.stop(src) == 0, "%s: testsrc exits 0 on SIGTERM" % name)
    with open(log) as f:
        raw = f.read()
    t.check(raw.endswith("}\n"), "%s: the file ends with a whole line" % name)
    lines = raw.splitlines()
    t.check(len(lines) >= before + 1, "%s: a last line at exit (%d -> %d)" % (name, before, len(lines)))
    rows = []
    for l in lines:
        try:
            rows.append(json.loads(l))
        except ValueError:
            t.fail("%s: not a JSON line: %r" % (name, l))
    odd = [l for l in lines if not re.match(r'\{"t":\d+\.\d{3},', l)]
    t.check(not odd, "%s: each line starts with t, 3 decimals (%r)" % (name, odd[:1]))
    for r in rows:
        for k in BASE_KEYS:
            if k not in r:
                t.fail("%s: key %s missing in %r" % (name, k, r))
    ts = [r["t"] for r in rows]
    t.check(all(b > a for a, b in zip(ts, ts[1:])), "%s: t increases" % name)
    gaps = sorted(b - a for a, b in zip(ts[:-1], ts[1:-1]))
    t.check(0.1 <= gaps[len(gaps) // 2] <= 1.0, "%s: lines about --stats-interval 0.2 s apart (median %.3f)" % (name, gaps[len(gaps) // 2]))
    for k in ("encoded", "dropped", "bytes"):
        v = [r[k] for r in rows]
        t.check(all(b >= a for a, b in zip(v, v[1:])), "%s: %s is cumulative" % (name, k))
    t.check(rows[-1]["encoded"] > 0 and rows[-1]["bytes"] > 0, "%s: frames were encoded and sent" % name)
    return rows


rows = run("rate-on", ["--min-bitrate", "300", "--max-bitrate", "3000"])
t.check(all(r["rate_control"] for r in rows), "rate control is on by default")
for r in rows:
    for k in RATE_KEYS:
        if k not in r:
            t.fail("rate-on: key %s missing in %r" % (k, r))
t.check(all(r["phase"] in ("start", "probe", "hold", "backoff", "stalled") for r in rows),
        "phase is a name: %s" % sorted(set(r["phase"] for r in rows)))
t.check(all(300 <= r["target_kbps"] <= 3000 for r in rows),
        "the target stays inside --min-bitrate 300 .. --max-bitrate 3000 (%d..%d)"
        % (min(r["target_kbps"] for r in rows), max(r["target_kbps"] for r in rows)))

rows = run("rate-off", ["--rate-control", "off", "--bitrate", "1500"])
t.check(not any(r["rate_control"] for r in rows), "--rate-control off: rate_control false")
t.check(not any("phase" in r for r in rows), "--rate-control off: no controller fields")
t.check(all(r["bitrate_kbps"] == 1500 for r in rows), "--rate-control off keeps --bitrate 1500")
