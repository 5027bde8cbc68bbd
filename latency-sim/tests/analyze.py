#!/usr/bin/env python3
"""Summarise a latency-sim-probe log: one JSON object on stdout.

usage: analyze.py LOG SENT [BIN_MS]
delays in ms, from the send time to the kernel's receive timestamp (the
link's delay, without the receiving program's wake-up) when the log has
it, else to the time the program read the datagram; delay_user_* are the
latter. rate_bps is IP bytes over the span between the 10% and 90%
arrivals (steady state); bins (with BIN_MS) are [monotonic_ns, bits/s].
"""
import json
import sys

log, sent = sys.argv[1], int(sys.argv[2])
bin_ms = float(sys.argv[3]) if len(sys.argv) > 3 else 0
rows = [tuple(int(x) for x in line.split()) for line in open(log)]
out = {"sent": sent, "received": len(rows)}
if rows:
    du = sorted((r[2] - r[1]) / 1e6 for r in rows)
    kernel = all(len(r) > 4 and r[4] for r in rows)
    d = sorted((r[4] - r[1]) / 1e6 for r in rows) if kernel else du
    out.update(delay_clock="kernel" if kernel else "user",
               delay_user_mean_ms=sum(du) / len(du),
               delay_user_p99_ms=du[min(len(du) - 1, int(len(du) * 0.99))],
               delay_user_max_ms=du[-1])
    out.update(delay_mean_ms=sum(d) / len(d), delay_min_ms=d[0],
               delay_p50_ms=d[len(d) // 2],
               delay_p99_ms=d[min(len(d) - 1, int(len(d) * 0.99))],
               delay_max_ms=d[-1], loss=1 - len(rows) / sent)
    arr = sorted(r[2] for r in rows)
    size = {r[2]: r[3] for r in rows}
    a, b = int(len(arr) * 0.1), int(len(arr) * 0.9)
    if b > a + 1:
        byts = sum(size[t] for t in arr[a + 1:b + 1])
        out["rate_bps"] = byts * 8 / ((arr[b] - arr[a]) / 1e9)
    seqs = [r[0] for r in rows]
    out["reordered"] = sum(1 for i in range(1, len(seqs)) if seqs[i] < seqs[i - 1])
    got = set(seqs)
    lost = [s not in got for s in range(sent)]
    bursts = sum(1 for i, x in enumerate(lost) if x and (i == 0 or not lost[i - 1]))
    out["loss_bursts"] = bursts
    out["mean_burst"] = sum(lost) / bursts if bursts else 0
    if bin_ms:
        w = int(bin_ms * 1e6)
        t0 = arr[0] // w * w
        bins = {}
        for r in rows:
            k = (r[2] - t0) // w
            bins[k] = bins.get(k, 0) + r[3] * 8
        out["bins"] = [[t0 + k * w, bins.get(k, 0) / (w / 1e9)]
                       for k in range(max(bins) + 1)]
print(json.dumps(out))
