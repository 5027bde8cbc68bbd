#!/usr/bin/env python3
"""make bench's report (tools/bench.sh): one table of every run, then the
latency budget per size: each stage's p50/p95 (remote3d-client's stages_ms,
with testsrc's stages joined by --source-frames) per run, the isolated cost
of each stage measured in the same run (costs-WxH.json from
bench-stage-costs), and end to end against their sum.

    bench_report.py OUT_DIR TAG...   (TAG = size-fps-encoder-variant-round)
"""
import json
import os
import sys

# stages of remote3d-client's report, in path order (client/stages.c)
STAGES = ["render", "wait", "extract", "queue", "encode", "handoff", "send", "network",
          "parse", "decode", "convert", "present"]
CLIENT_SIDE = ["network", "parse", "decode", "convert", "present"]  # written -> display


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def table(hdr, rows):
    w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    for r in [hdr] + rows:
        print("  ".join(x.rjust(w[i]) if i else x.ljust(w[i]) for i, x in enumerate(r)))


def find_stages(o):
    if isinstance(o, dict):
        if "stages" in o and isinstance(o["stages"], dict):
            return o["stages"]
        for v in o.values():
            s = find_stages(v)
            if s:
                return s
    return None


def server_median(st, *names):
    for n in names:
        if st and n in st and st[n].get("count"):
            return "%.1f" % (st[n]["median_us"] / 1000.0)
    return "-"


def runs_table(out, tags, clients):
    hdr = ("size-fps-encoder-variant-round", "lat p50", "lat p95", "fps", "render fps", "kbit/s",
           "extract", "encode", "send", "frames", "missing")
    rows = []
    for tag in tags:
        c = clients[tag]
        j = load(os.path.join(out, tag + ".testsrc.json"))
        st = find_stages(j) if j else None
        render = "-"
        ts = (j or {}).get("testsrc", {})
        if ts.get("seconds"):
            render = "%.1f" % (ts["frames_rendered"] / ts["seconds"])
        rows.append((tag, "%.1f" % c["latency_ms"]["p50"], "%.1f" % c["latency_ms"]["p95"],
                     "%.1f" % c["fps"], render, "%.0f" % c["bitrate_kbps"],
                     server_median(st, "extract"), server_median(st, "encode"),
                     server_median(st, "handoff", "send"), str(c["frames"]), str(c["missing"])))
    print("remote3d bench: loopback, codec %s; latency = stamp-to-display (ms); stage medians (ms) "
          "from testsrc" % clients[tags[0]]["codec"])
    table(hdr, rows)


def fig(d, key):
    return d[key] if d and d.get("n", 1) else None


def budget(out, size, tags, clients):
    costs = load(os.path.join(out, "costs-%s.json" % size))
    print()
    print("latency budget at %s (ms, p50 / p95 of each stage; remote3d-client --source-frames)"
          % size)
    hdr = ["stage"] + [t.split("-", 3)[3] for t in tags]
    rows = []
    for s in STAGES:
        row = [s]
        for t in tags:
            d = clients[t].get("stages_ms", {}).get(s)
            row.append("%.1f / %.1f" % (d["p50"], d["p95"]) if d and d["n"] else "-")
        rows.append(row)
    for name, key in (("client side", None), ("end to end", "latency_ms")):
        row = [name]
        for t in tags:
            c = clients[t]
            if key:
                row.append("%.1f / %.1f" % (c[key]["p50"], c[key]["p95"]))
            else:  # the client-side stages' p50s / p95s added up
                st = c.get("stages_ms", {})
                ds = [st.get(s) for s in CLIENT_SIDE]
                ok = all(d and d["n"] for d in ds)
                row.append("%.1f / %.1f" % (sum(d["p50"] for d in ds), sum(d["p95"] for d in ds))
                           if ok else "-")
        rows.append(row)
    row = ["fps"] + ["%.1f" % clients[t]["fps"] for t in tags]
    rows.append(row)
    table(hdr, rows)
    if not costs:
        print("  (no isolated costs: costs-%s.json missing)" % size)
        return
    iso = {k[:-3]: costs[k] for k in ("render_ms", "readback_ms", "encode_ms", "decode_ms")}
    s50 = sum(v["p50"] for v in iso.values())
    s95 = sum(v["p95"] for v in iso.values())
    print("isolated, one frame at a time (bench-stage-costs, %d frames): %s; sum %.1f / %.1f"
          % (costs["frames"], ", ".join("%s %.1f / %.1f" % (k, v["p50"], v["p95"])
                                        for k, v in iso.items()), s50, s95))
    for t in tags:
        c = clients[t]
        lat = c["latency_ms"]
        st = c.get("stages_ms", {})
        ds = [st.get(s) for s in CLIENT_SIDE]
        client = sum(d["p50"] for d in ds) if all(d and d["n"] for d in ds) else None
        line = ("  %s: end to end / isolated sum: p50 %.2fx (target <= 2), p95 %.2fx (target <= 3)"
                % (t.split("-", 3)[3], lat["p50"] / s50 if s50 else 0,
                   lat["p95"] / s95 if s95 else 0))
        if client is not None:
            line += ("; client side p50 %.1f vs decode %.1f + 5 (%s)"
                     % (client, iso["decode"]["p50"],
                        "met" if client <= iso["decode"]["p50"] + 5 else "NOT met"))
        print(line)
        print("    plot: %s" % os.path.join(out, t + ".stages.png"))


def main():
    out, tags = sys.argv[1], sys.argv[2:]
    clients = {t: load(os.path.join(out, t + ".client.json")) for t in tags}
    tags = [t for t in tags if clients[t]]
    if not tags:
        print("bench: no client report")
        return 1
    runs_table(out, tags, clients)
    sizes = []
    for t in tags:
        if t.split("-")[0] not in sizes:
            sizes.append(t.split("-")[0])
    for size in sizes:
        budget(out, size, [t for t in tags if t.split("-")[0] == size], clients)
    print("raw reports: %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
