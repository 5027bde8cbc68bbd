#!/usr/bin/python3
"""make bench-link: remote3d-testsrc (x264, 1280x720 60 fps) -> remote3d-client
behind latency-sim, for a set of link profiles, with rate control off
(today's fixed bitrate) and on, side by side in one run.

For every profile it prints a table (stamp-to-display p50/p95/p99, fps,
bitrate, the sender's queue (spice pipe + unsent socket bytes) p50/max,
frames dropped at the source, the profile's own recovery figure and
longest gap without a new frame) and the issue's targets against the
same run's lan p50 (L) and the one-way delay D; it writes one CSV per
run (per frame: time, latency; per stats line: the controller) and a PNG
per profile: latency, bitrate and the link's rate over time, off and on
overlaid.

  BENCH_LINK_PROFILES="lan wan10 dsl2 drop rise lossy bursty outage"
  BENCH_LINK_MODES="off on"  BENCH_LINK_OUT=/tmp/r3d-bench-link
  BENCH_LINK_SCALE=1.0 (durations x this)  BENCH_PORT=5940
  BENCH_LINK_REPEAT=1 (runs per profile and mode, off and on alternating;
  the table then gives each figure's median: a busy machine's noise)
  BENCH_LINK_CLIENT="--stock-parser" (extra remote3d-client options: that one
  measures as stock spice-gtk decodes, one frame interval later)
Runs as root (latency-sim makes namespaces and tun devices).
Plots need /usr/bin/python3 with Debian's python3-matplotlib.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MESON = os.environ.get("R3D_MESON_DIR") or os.path.join(ROOT, "_build", "meson")
TESTSRC = os.path.join(MESON, "testsrc", "remote3d-testsrc")
CLIENT = os.path.join(MESON, "client", "remote3d-client")
CLIENT_OPTS = os.environ.get("BENCH_LINK_CLIENT", "").split()
LATSIM = os.path.join(MESON, "latency-sim", "latency-sim")
D_MS = 25.0

# name: (seconds, latency-sim args, {event times}), link rate per time for plots
PROFILES = {
    "lan": (15, [], {}),
    "wan10": (20, ["--delay", "25ms", "--rate", "10mbit"], {}),
    "dsl2": (20, ["--delay", "25ms", "--rate", "2mbit", "--queue", "1000pkt"], {}),
    "drop": (30, ["--delay", "25ms", "--rate-schedule", "0s:10mbit,10s:1mbit,20s:10mbit"],
             {"drop": 10, "up": 20}),
    "rise": (20, ["--delay", "25ms", "--rate-schedule", "0s:2mbit,10s:20mbit"], {"rise": 10}),
    "lossy": (20, ["--delay", "25ms", "--rate", "10mbit", "--loss", "2%"], {}),
    "bursty": (20, ["--delay", "25ms", "--rate", "10mbit", "--ge-loss", "1%,30%"], {}),
    "outage": (25, ["--delay", "25ms", "--rate", "10mbit", "--outage", "10s+3s"], {"out": 10, "back": 13}),
}
WARMUP_S = 2.0


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def wait_port(port, proc, timeout=30):
    import socket
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(proc):
    """SIGTERM (testsrc writes its files on the way out), SIGKILL after 15 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def read_jsonl(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def run_one(profile, mode, out, port, scale, rep=0):
    seconds, link_args, _ = PROFILES[profile]
    seconds = max(5, int(round(seconds * scale)))
    tag = "%s-%s%s" % (profile, mode, "-%d" % (rep + 1) if rep else "")
    slog = os.path.join(out, tag + "-testsrc.jsonl")
    lstats = os.path.join(out, tag + "-link.jsonl")
    ccsv = os.path.join(out, tag + "-client.csv")
    cjson = os.path.join(out, tag + "-client.json")
    src_argv = [TESTSRC, "--addr", "0.0.0.0", "--port", str(port), "--size", "1280x720", "--fps", "60",
                "--encoder", "x264", "--rate-control", mode, "--stats-log", slog,
                "--stats-interval", "0.2", "--duration", str(seconds + 15)]
    src = subprocess.Popen(src_argv, stdout=subprocess.DEVNULL,
                           stderr=open(os.path.join(out, tag + "-testsrc.err"), "w"), start_new_session=True)
    if not wait_port(port, src):
        raise SystemExit("bench-link: testsrc did not start (%s)" % os.path.join(out, tag + "-testsrc.err"))
    src_t0 = time.monotonic()  # ~ testsrc's own start (its stats t)
    link_t0 = time.monotonic()
    argv = [LATSIM, "--quiet", "--stats", lstats] + link_args + [
        "--", "sh", "-c", 'c="$1" j="$2"; shift 2; exec "$0" "spice://$LATENCY_SIM_HOST:%d" --duration %d '
        '--csv "$c" --json "$j" "$@"'
        % (port, seconds), CLIENT, ccsv, cjson] + CLIENT_OPTS
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=open(os.path.join(out, tag + "-link.err"), "w"),
                       timeout=seconds + 90)
    stop(src)
    if r.returncode != 0:
        sys.stderr.write("bench-link: %s: client/latency-sim exited %d (see %s-link.err)\n" %
                         (tag, r.returncode, os.path.join(out, tag)))
    return analyse(profile, mode, out, seconds, src_t0, link_t0, slog, lstats, ccsv, cjson, tag)


def analyse(profile, mode, out, seconds, src_t0, link_t0, slog, lstats, ccsv, cjson, tag):
    frames = []  # (t since link start, latency ms)
    try:
        with open(ccsv) as f:
            for row in csv.DictReader(f):
                disp = int(row["display_us"]) / 1e6
                frames.append((disp - link_t0, (int(row["display_us"]) - int(row["stamp_us"])) / 1000.0))
    except (OSError, KeyError, ValueError):
        pass
    rep = {}
    try:
        with open(cjson) as f:
            rep = json.load(f)
    except (OSError, ValueError):
        pass
    stats = read_jsonl(slog)
    series = []  # (t, sent kbit/s over the last second, target, queue bytes, fps cap, queueing)
    seen = []    # (t, cumulative bytes)
    for s in stats:
        t = s.get("t", 0) + (src_t0 - link_t0)
        q = s.get("queue_bytes", 0) + s.get("socket_unsent_bytes", 0)
        seen.append((t, s.get("bytes", 0)))
        kbps = None
        back = [p for p in seen if t - p[0] >= 0.99]
        if back:
            t0, b0 = back[-1]
            kbps = (s.get("bytes", 0) - b0) * 8 / 1000.0 / (t - t0)
        series.append((t, kbps, s.get("target_kbps"), q, s.get("fps_cap"), s.get("queue_delay_ms")))
    link = []
    for s in read_jsonl(lstats):
        if "down" in s and "t" in s:
            link.append((s["t"], s["down"].get("rate_bps", 0) / 1000.0, s["down"].get("throughput_bps", 0) / 1000.0))
    dropped = (stats[-1].get("dropped", 0) - stats[0].get("dropped", 0)) if len(stats) > 1 else 0
    with open(os.path.join(out, "%s.csv" % tag), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kind", "t_s", "latency_ms", "sent_kbps", "target_kbps", "queue_bytes", "fps_cap",
                    "queue_delay_ms"])
        for t, lat in frames:
            w.writerow(["frame", "%.4f" % t, "%.2f" % lat, "", "", "", "", ""])
        for t, kbps, target, q, cap, qd in series:
            w.writerow(["stats", "%.3f" % t, "", "" if kbps is None else "%.0f" % kbps,
                        "" if target is None else target, q, "" if cap is None else cap,
                        "" if qd is None else qd])
    steady = [lat for t, lat in frames if t >= WARMUP_S]
    gaps = [b[0] - a[0] for a, b in zip(frames, frames[1:]) if a[0] >= WARMUP_S]
    qs = [q for t, _, _, q, _, _ in series if t >= WARMUP_S]
    return {
        "profile": profile, "mode": mode, "seconds": seconds, "frames": frames, "series": series,
        "link": link, "n": len(steady),
        "p50": pct(steady, 50), "p95": pct(steady, 95), "p99": pct(steady, 99),
        "fps": rep.get("fps", 0.0), "kbps": rep.get("bitrate_kbps", 0.0),
        "q50": pct(qs, 50), "qmax": max(qs) if qs else float("nan"),
        "dropped": dropped, "max_gap_s": max(gaps) if gaps else float("nan"),
    }


def window(res, t_from, t_to):
    return [lat for t, lat in res["frames"] if t_from <= t < t_to]


def recovery(res):
    """The profile's own figure (a string) and the values the targets use."""
    p = res["profile"]
    ev = PROFILES[p][2]
    if p == "drop":
        w = window(res, ev["drop"] + 1, ev["up"])
        g = [b[0] - a[0] for a, b in zip(res["frames"], res["frames"][1:]) if ev["drop"] <= a[0] < ev["up"]]
        res["drop_p95"] = pct(w, 95)
        res["drop_gap"] = max(g) if g else float("nan")
        return "1 Mbit/s phase p95 %.0f ms, gap %.2f s" % (res["drop_p95"], res["drop_gap"])
    if p == "rise":
        t80 = None
        ref = res.get("ref_kbps") or 0
        for t, kbps, _, _, _, _ in res["series"]:
            if t >= ev["rise"] and kbps is not None and ref and kbps >= 0.8 * ref:
                t80 = t - ev["rise"]
                break
        res["rise_t80"] = t80
        return "80%% of %.0f kbit/s after %s" % (ref, "%.1f s" % t80 if t80 is not None else "never")
    if p == "outage":
        back = ev["back"]
        first = next((t for t, _ in res["frames"] if t >= back), None)
        ok_at = None
        limit = res.get("L", 0) + D_MS + 100
        after = [(t, lat) for t, lat in res["frames"] if t >= back]
        for i, (t, lat) in enumerate(after):
            if all(l2 <= limit for _, l2 in after[i:i + 10]):
                ok_at = t - back
                break
        res["outage_first"] = (first - back) if first is not None else None
        res["outage_ok"] = ok_at
        return "picture %s after the return, latency back in %s" % (
            "%.2f s" % res["outage_first"] if res["outage_first"] is not None else "never",
            "%.2f s" % ok_at if ok_at is not None else "never")
    return ""


SCALARS = ("p50", "p95", "p99", "fps", "kbps", "q50", "qmax", "dropped", "max_gap_s",
           "drop_p95", "drop_gap", "rise_t80", "outage_first", "outage_ok")


def median(values):
    """The median (of an even count: the mean of the middle two); None
    (never) sorts last, and a middle None makes it None."""
    v = sorted(values, key=lambda x: float("inf") if x is None else x)
    if not v:
        return None
    a, b = v[(len(v) - 1) // 2], v[len(v) // 2]
    return None if a is None or b is None else (a + b) / 2


def merge_runs(runs, modes):
    """One result per (profile, mode): L and the rise reference from the
    median lan run, each run's own recovery figures, then every figure the
    median over the runs (the frames and series plotted: the run whose p50
    is the median)."""
    lan = {m: runs.get(("lan", m)) for m in modes}
    ref = {m: (median([r["p50"] for r in lan[m]]), median([r["kbps"] for r in lan[m]])) if lan.get(m)
           else (float("nan"), 0) for m in modes}
    results = {}
    for (p, m), rs in runs.items():
        for r in rs:
            r["L"], r["ref_kbps"] = ref[m]
            r["rec"] = recovery(r)
        base = dict(sorted(rs, key=lambda r: r["p50"])[(len(rs) - 1) // 2])
        for k in SCALARS:
            if any(k in r for r in rs):
                base[k] = median([r.get(k) for r in rs])
        if len(rs) > 1:
            base["runs_p50"] = [r["p50"] for r in rs]
            base["runs_fps"] = [r["fps"] for r in rs]
            if rs[0]["rec"]:  # a profile with its own recovery figure: every run's
                base["rec"] = "median of %d; runs: %s" % (len(rs), " | ".join(r["rec"] for r in rs))
        results[(p, m)] = base
    return results


def main():
    if os.geteuid() != 0:
        raise SystemExit("bench-link: run as root (latency-sim needs tun devices and namespaces)")
    for p in (TESTSRC, CLIENT, LATSIM):
        if not os.access(p, os.X_OK):
            raise SystemExit("bench-link: %s is not built (run make build)" % p)
    profiles = os.environ.get("BENCH_LINK_PROFILES", " ".join(PROFILES)).split()
    modes = os.environ.get("BENCH_LINK_MODES", "off on").split()
    scale = float(os.environ.get("BENCH_LINK_SCALE", "1.0"))
    out = os.environ.get("BENCH_LINK_OUT") or "/tmp/r3d-bench-link"
    port = int(os.environ.get("BENCH_PORT", "5940"))
    repeat = int(os.environ.get("BENCH_LINK_REPEAT", "1"))
    if not 1 <= repeat <= 20:
        raise SystemExit("bench-link: BENCH_LINK_REPEAT must be 1..20 (got %d)" % repeat)
    os.makedirs(out, exist_ok=True)
    for p in profiles:
        if p not in PROFILES:
            raise SystemExit("bench-link: unknown profile %s (%s)" % (p, " ".join(PROFILES)))
    load0 = open("/proc/loadavg").read().split()[:3]
    runs = {}
    for r in range(repeat):
        for p in profiles:
            for m in modes:
                print("bench-link: %s, rate control %s%s ..." % (p, m, " (run %d of %d)" % (r + 1, repeat)
                                                                 if repeat > 1 else ""), flush=True)
                runs.setdefault((p, m), []).append(run_one(p, m, out, port, scale, r))
                port += 1
    load1 = open("/proc/loadavg").read().split()[:3]
    results = merge_runs(runs, modes)
    print("\nbench-link: testsrc 1280x720 60 fps x264 -> remote3d-client behind latency-sim "
          "(D = %.0f ms one way); load average %s at start, %s at end" % (D_MS, " ".join(load0), " ".join(load1)))
    if repeat > 1:
        print("each figure: the median of %d runs, off and on alternating (plots: the run with the median p50)"
              % repeat)
    print("%-7s %-3s %6s %6s %6s %6s %7s %8s %8s %7s %6s  %s" % (
        "profile", "rc", "p50", "p95", "p99", "fps", "kbit/s", "q50 B", "qmax B", "dropped", "gap s", "recovery"))
    for (p, m), r in results.items():
        rec = r["rec"]
        print("%-7s %-3s %6.0f %6.0f %6.0f %6.1f %7.0f %8.0f %8.0f %7d %6.2f  %s" % (
            p, m, r["p50"], r["p95"], r["p99"], r["fps"], r["kbps"], r["q50"], r["qmax"], r["dropped"],
            r["max_gap_s"], rec))
    print("\ntargets (rate control on, against the same run's lan p50 L):")
    on = {p: results.get((p, "on")) for p in profiles}
    off = {p: results.get((p, "off")) for p in profiles}

    def verdict(ok):
        return "met" if ok else "NOT met"
    if on.get("dsl2"):
        r = on["dsl2"]
        print("  dsl2: p50 %.0f <= L+D+40 = %.0f: %s; p95 %.0f <= L+D+100 = %.0f: %s" % (
            r["p50"], r["L"] + D_MS + 40, verdict(r["p50"] <= r["L"] + D_MS + 40),
            r["p95"], r["L"] + D_MS + 100, verdict(r["p95"] <= r["L"] + D_MS + 100)))
    if on.get("drop"):
        r = on["drop"]
        print("  drop: 1 Mbit/s phase p95 %.0f <= L+D+150 = %.0f: %s; longest gap %.2f s <= 1 s: %s" % (
            r.get("drop_p95", float("nan")), r["L"] + D_MS + 150,
            verdict(r.get("drop_p95", 1e9) <= r["L"] + D_MS + 150),
            r.get("drop_gap", float("nan")), verdict(r.get("drop_gap", 9) <= 1.0)))
    if on.get("rise"):
        r = on["rise"]
        t = r.get("rise_t80")
        print("  rise: 80%% of lan's bitrate within 5 s: %s (%s)" % (
            verdict(t is not None and t <= 5), "%.1f s" % t if t is not None else "never"))
    for p in ("lan", "wan10"):
        if on.get(p) and off.get(p):
            a, b = on[p], off[p]
            print("  %s: fps %.1f vs off %.1f (>= -5%%: %s); p50 %.0f vs off %.0f (<= +10 ms: %s)" % (
                p, a["fps"], b["fps"], verdict(a["fps"] >= 0.95 * b["fps"]), a["p50"], b["p50"],
                verdict(a["p50"] <= b["p50"] + 10)))
    for p in ("lossy", "bursty"):
        if on.get(p):
            print("  %s: longest gap %.2f s <= 1 s: %s" % (p, on[p]["max_gap_s"], verdict(on[p]["max_gap_s"] <= 1)))
    if on.get("outage"):
        r = on["outage"]
        f, ok = r.get("outage_first"), r.get("outage_ok")
        print("  outage: picture within 1 s of the return: %s; latency back within L+D+100 within 2 s: %s" % (
            verdict(f is not None and f <= 1), verdict(ok is not None and ok <= 2)))
    for p in ("dsl2", "drop"):
        if on.get(p):
            print("  %s: sender queue p50 %.0f B, max %.0f B" % (p, on[p]["q50"], on[p]["qmax"]))
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"%s-%s" % k: {x: v for x, v in r.items() if x not in ("frames", "series", "link")}
                   for k, r in results.items()}, f, indent=1, default=str)
    plot(results, profiles, modes, out)


def plot(results, profiles, modes, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench-link: no matplotlib for /usr/bin/python3 (apt-get install python3-matplotlib): no plots")
        return
    colour = {"off": "#d62728", "on": "#1f77b4"}
    for p in profiles:
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(11, 7), sharex=True,
                                       gridspec_kw={"height_ratios": [3, 2]})
        fig.suptitle("bench-link %s: %s" % (p, " ".join(PROFILES[p][1]) or "no link limit"), fontsize=12)
        for m in modes:
            r = results.get((p, m))
            if not r:
                continue
            label = "rate control %s (p50 %.0f ms, p95 %.0f ms, %.0f fps)" % (m, r["p50"], r["p95"], r["fps"])
            ax1.plot([t for t, _ in r["frames"]], [lat for _, lat in r["frames"]], ".", ms=2.5,
                     color=colour.get(m), label=label)
            s = [(t, k) for t, k, _, _, _, _ in r["series"] if k is not None]
            ax2.plot([t for t, _ in s], [k / 1000 for _, k in s], "-", lw=1.4, color=colour.get(m),
                     label="sent (1 s window), rate control %s" % m)
        link = (results.get((p, "on")) or results.get((p, "off")) or {}).get("link", [])
        if link and any(rate for _, rate, _ in link):
            ax2.step([t for t, _, _ in link], [rate / 1000 for _, rate, _ in link], where="post",
                     color="black", lw=1.2, ls="--", label="link rate")
        ax1.set_ylabel("stamp-to-display (ms)")
        ax1.set_yscale("log")
        ax1.grid(True, which="both", alpha=0.3)
        ax1.legend(loc="upper right", fontsize=9, markerscale=4)
        ax2.set_ylabel("Mbit/s")
        ax2.set_xlabel("seconds since the link came up")
        ax2.grid(True, alpha=0.3)
        ax2.legend(loc="upper right", fontsize=9)
        ax2.set_ylim(bottom=0)
        for name, t in PROFILES[p][2].items():
            for ax in (ax1, ax2):
                ax.axvline(t, color="grey", lw=0.8, ls=":")
            ax2.text(t, ax2.get_ylim()[1] * 0.95, " " + name, color="grey", fontsize=8, va="top")
        fig.tight_layout()
        path = os.path.join(out, "bench-link-%s.png" % p)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        print("bench-link: plot %s" % path)


if __name__ == "__main__":
    main()
