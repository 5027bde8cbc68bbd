#!/usr/bin/python3
"""make bench-sweep: encoder tuning experiments. For every point of a sweep
(the product of a config file's lists: encoder, its x264 knobs, bitrate,
frame rate, scene, link), remote3d-testsrc streams to remote3d-client behind
latency-sim for a few seconds; per point: stamp-to-display p50/p95, fps,
bitrate, the encode stage p50 (--frames-csv joined by the client), PSNR and
SSIM of the Y plane (mean and p5: remote3d-client --quality, against the
source's own frame) and the sender's CPU (testsrc's, % of one core).

    bench_sweep.py [CONFIG]   (default tools/sweeps/default.conf)
    BENCH_SWEEP_OUT=/tmp/r3d-bench-sweep  BENCH_PORT=5970

Config: one "key = value, value, ..." per line, # starts a comment.
  seconds = 6                 measuring time per point (after the first frame)
  size = 1280x720             picture size
  encoder = x264-ultrafast, x264-superfast, x264-veryfast, openh264, NAME
  pipeline NAME = <gst pipeline>   a custom encoder element chain (with its
                              own bitrate=...), then usable as NAME
  vbv-frames = 1, 1.5, 3      x264: VBV buffer in frame times (default 1)
  intra-refresh = off, on     x264: periodic intra refresh instead of IDRs
  threads = 0, 1, 2           x264: sliced threads (0 = x264's choice)
  bitrate = 1000, 3000, rc    kbit/s (rate control off) or rc (rate control on)
  fps = 60, 30                frames rendered and sent per second
  scene = cube, text          testsrc --scene
  link = lan, wan10, dsl2, drop, rise, lossy, bursty, outage   (bench_link.py's)
Keys not given take their first default. x264 knobs do not multiply the
points of other encoders.

Results: OUT/results.jsonl (one line per point; a run that is interrupted
resumes there: points already measured are skipped), OUT/results.csv,
OUT/sweep-SCENE-LINK.png (latency vs bitrate and PSNR vs bitrate, the
Pareto front of each ringed), and a table of the best point per scene and
link: the lowest p50 whose PSNR mean is >= 32 dB and fps >= 80% of the rate
asked (else the best PSNR; p5 is not the floor: on short points it is the
stream's first keyframe, starved by a one-frame VBV). Runs as root
(latency-sim).
"""
import csv
import itertools
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import bench_link  # noqa: E402  (its link profiles, binaries, wait_port)

LISTS = ["encoder", "vbv-frames", "intra-refresh", "threads", "bitrate", "fps", "scene", "link"]
DEFAULTS = {"encoder": ["x264-ultrafast"], "vbv-frames": ["1"], "intra-refresh": ["off"],
            "threads": ["0"], "bitrate": ["rc"], "fps": ["60"], "scene": ["cube"], "link": ["lan"]}
X264_KNOBS = ["vbv-frames", "intra-refresh", "threads"]
PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"]
COLUMNS = ["point", "encoder", "vbv-frames", "intra-refresh", "threads", "bitrate", "fps", "scene",
           "link", "lat_p50_ms", "lat_p95_ms", "fps_shown", "kbps", "encode_p50_ms",
           "psnr_mean", "psnr_p5", "ssim_mean", "ssim_p5", "cpu_pct", "frames"]


class ConfigError(Exception):
    pass


def parse_config(path):
    cfg = {"seconds": 6.0, "size": "1280x720", "pipelines": {}}
    lists = {}
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        raise ConfigError("cannot read %s: %s" % (path, e.strerror))
    for n, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise ConfigError("%s:%d: expected 'key = value, ...': %r" % (path, n, raw))
        key, value = (s.strip() for s in line.split("=", 1))
        where = "%s:%d" % (path, n)
        if key.startswith("pipeline "):
            name = key.split(None, 1)[1].strip()
            if not name or "," in name or not value:
                raise ConfigError("%s: 'pipeline NAME = <gst pipeline>' needs a name and a pipeline" % where)
            cfg["pipelines"][name] = value
            continue
        if key == "seconds":
            try:
                cfg["seconds"] = float(value)
            except ValueError:
                cfg["seconds"] = -1
            if not 2 <= cfg["seconds"] <= 600:
                raise ConfigError("%s: seconds must be 2..600 (got %r)" % (where, value))
            continue
        if key == "size":
            w, _, h = value.partition("x")
            if not (w.isdigit() and h.isdigit() and 320 <= int(w) <= 4096 and 240 <= int(h) <= 4096):
                raise ConfigError("%s: size must be WxH, 320x240..4096x4096 (got %r)" % (where, value))
            cfg["size"] = value
            continue
        if key not in LISTS:
            raise ConfigError("%s: unknown key %r (known: seconds, size, pipeline NAME, %s)"
                              % (where, key, ", ".join(LISTS)))
        vals = [v.strip() for v in value.split(",")]
        if not all(vals):
            raise ConfigError("%s: an empty value in %r" % (where, value))
        lists[key] = vals
    for key in LISTS:
        cfg[key] = lists.get(key, DEFAULTS[key])
    check_values(cfg, path)
    return cfg


def check_values(cfg, path):
    def bad(key, v, want):
        raise ConfigError("%s: bad %s %r: expected %s" % (path, key, v, want))
    for e in cfg["encoder"]:
        if e.startswith("x264-"):
            if e[5:] not in PRESETS:
                bad("encoder", e, "x264-PRESET with PRESET one of " + ", ".join(PRESETS))
        elif e != "openh264" and e not in cfg["pipelines"]:
            bad("encoder", e, "x264-PRESET, openh264 or a 'pipeline NAME = ...' defined in the file")
    for v in cfg["vbv-frames"]:
        try:
            ok = 0.25 <= float(v) <= 30
        except ValueError:
            ok = False
        if not ok:
            bad("vbv-frames", v, "frame times, 0.25..30")
    for v in cfg["intra-refresh"]:
        if v not in ("on", "off"):
            bad("intra-refresh", v, "on or off")
    for v in cfg["threads"]:
        if not (v.isdigit() and int(v) <= 64):
            bad("threads", v, "0..64")
    for v in cfg["bitrate"]:
        if v != "rc" and not (v.isdigit() and 50 <= int(v) <= 100000):
            bad("bitrate", v, "kbit/s 50..100000 or rc")
    for v in cfg["fps"]:
        if not (v.isdigit() and 1 <= int(v) <= 240):
            bad("fps", v, "1..240")
    for v in cfg["scene"]:
        if v not in ("cube", "text"):
            bad("scene", v, "cube or text")
    for v in cfg["link"]:
        if v not in bench_link.PROFILES:
            bad("link", v, ", ".join(bench_link.PROFILES))


def gst_has(element):
    return subprocess.run(["gst-inspect-1.0", "--exists", element]).returncode == 0


def check_encoders(cfg):
    need = {"x264enc"} if any(e.startswith("x264-") for e in cfg["encoder"]) else set()
    if "openh264" in cfg["encoder"]:
        need.add("openh264enc")
    for e in cfg["encoder"]:
        if e in cfg["pipelines"]:
            need.add(cfg["pipelines"][e].split()[0])
    for el in sorted(need):
        if not gst_has(el):
            raise ConfigError("encoder element %s does not exist here (gst-inspect-1.0 %s)" % (el, el))


def points(cfg):
    seen = set()
    for combo in itertools.product(*(cfg[k] for k in LISTS)):
        p = dict(zip(LISTS, combo))
        if not p["encoder"].startswith("x264-"):
            for k in X264_KNOBS:  # knobs of x264 only: one point, not many
                p[k] = "-"
        key = "/".join(p[k] for k in LISTS)
        if key not in seen:
            seen.add(key)
            p["point"] = key
            yield p


def encoder_arg(p, cfg, kbps):
    """testsrc --encoder: a built-in name, or the element chain of the point."""
    if p["encoder"] == "openh264":
        return "openh264"
    if p["encoder"] in cfg["pipelines"]:
        return cfg["pipelines"][p["encoder"]]
    fps = int(p["fps"])
    vbv = max(1, int(round(float(p["vbv-frames"]) * 1000.0 / fps)))
    return ("x264enc tune=zerolatency speed-preset=%s bframes=0 b-adapt=false sliced-threads=true "
            "threads=%s bitrate=%d vbv-buf-capacity=%d key-int-max=%d byte-stream=true aud=false "
            "insert-vui=true%s" % (p["encoder"][5:], p["threads"], kbps, vbv, fps * 60,
                                   " intra-refresh=true" if p["intra-refresh"] == "on" else ""))


def default_kbps(size, fps):
    w, h = (int(v) for v in size.split("x"))
    return max(500, int(w * h * fps * 0.1 / 1000))  # 0.1 bit per pixel: 5529 at 720p60


def cpu_seconds(pid):
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def run_point(p, cfg, out, port):
    tag = "p%04d" % p["index"]
    rc_on = p["bitrate"] == "rc"
    kbps = default_kbps(cfg["size"], int(p["fps"])) if rc_on else int(p["bitrate"])
    fcsv = os.path.join(out, tag + "-source.csv")
    cjson = os.path.join(out, tag + "-client.json")
    argv = [bench_link.TESTSRC, "--addr", "0.0.0.0", "--port", str(port), "--size", cfg["size"],
            "--fps", p["fps"], "--encoder", encoder_arg(p, cfg, kbps), "--bitrate", str(kbps),
            "--rate-control", "on" if rc_on else "off", "--scene", p["scene"],
            "--frames-csv", fcsv, "--duration", str(int(cfg["seconds"]) + 30)]
    src = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True,
                           stderr=open(os.path.join(out, tag + "-testsrc.err"), "w"))
    if not bench_link.wait_port(port, src):
        return {"error": "testsrc did not start (%s-testsrc.err)" % tag}
    cpu0, t0 = cpu_seconds(src.pid), time.monotonic()
    link_args = bench_link.PROFILES[p["link"]][1]
    lat = [bench_link.LATSIM, "--quiet"] + link_args + [
        "--", "sh", "-c", 'exec "$0" "spice://$LATENCY_SIM_HOST:%d" "$@"' % port, bench_link.CLIENT,
        "--duration", str(cfg["seconds"]), "--json", cjson, "--source-frames", fcsv,
        "--quality", "10", "--scene", p["scene"]]
    r = subprocess.run(lat, stdout=subprocess.DEVNULL, timeout=cfg["seconds"] + 120,
                       stderr=open(os.path.join(out, tag + "-client.err"), "w"))
    cpu1, t1 = cpu_seconds(src.pid), time.monotonic()
    bench_link.stop(src)
    try:
        c = json.load(open(cjson))
    except (OSError, ValueError):
        return {"error": "no client report (rc %d, %s-client.err)" % (r.returncode, tag)}
    q = c.get("quality", {})
    enc = c.get("stages_ms", {}).get("encode", {})
    stamped = c.get("stamps", True)  # no stamp read: the picture too degraded to time or compare
    if not stamped:
        q = {}
    return {
        "lat_p50_ms": c["latency_ms"]["p50"] if stamped else None,
        "lat_p95_ms": c["latency_ms"]["p95"] if stamped else None,
        "fps_shown": c["fps"], "kbps": c["bitrate_kbps"],
        "encode_p50_ms": enc.get("p50") if enc.get("n") else None,
        "psnr_mean": q.get("psnr_y_mean"), "psnr_p5": q.get("psnr_y_p5"),
        "ssim_mean": q.get("ssim_y_mean"), "ssim_p5": q.get("ssim_y_p5"),
        "cpu_pct": 100.0 * (cpu1 - cpu0) / (t1 - t0) if cpu0 is not None and cpu1 is not None else None,
        "frames": c["frames"],
    }


def pareto(rows, x, y, y_high):
    """Rows not beaten by another with x <= and y better-or-equal (one strictly)."""
    front = []
    for a in rows:
        beaten = False
        for b in rows:
            if b is a:
                continue
            yb_ok = b[y] >= a[y] if y_high else b[y] <= a[y]
            strict = b[x] < a[x] or (b[y] > a[y] if y_high else b[y] < a[y])
            if b[x] <= a[x] and yb_ok and strict:
                beaten = True
                break
        if not beaten:
            front.append(a)
    return front


def label(r):
    s = r["encoder"].replace("x264-", "")
    if r["vbv-frames"] not in ("-", "1"):
        s += " vbv%s" % r["vbv-frames"]
    if r["intra-refresh"] == "on":
        s += " ir"
    if r["threads"] not in ("-", "0"):
        s += " t%s" % r["threads"]
    s += " " + (r["bitrate"] if r["bitrate"] == "rc" else r["bitrate"] + "k")
    if r["fps"] != "60":
        s += " %sfps" % r["fps"]
    return s


def plot(rows, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench-sweep: no matplotlib (python3-matplotlib): no plots")
        return []
    paths = []
    groups = {}
    for r in rows:
        if r.get("psnr_mean") is not None and r.get("lat_p50_ms") is not None:
            groups.setdefault((r["scene"], r["link"]), []).append(r)
    for (scene, link), rs in sorted(groups.items()):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 6))
        for ax, y, yl, high in ((a1, "lat_p50_ms", "stamp-to-display p50 (ms)", False),
                                (a2, "psnr_mean", "PSNR-Y mean (dB)", True)):
            front = pareto(rs, "kbps", y, high)
            for r in rs:
                ax.scatter(r["kbps"], r[y], s=30, color="tab:blue" if r["bitrate"] != "rc" else "tab:orange")
                ax.annotate(label(r), (r["kbps"], r[y]), fontsize=7, xytext=(3, 3),
                            textcoords="offset points")
            fs = sorted(front, key=lambda r: r["kbps"])
            ax.plot([r["kbps"] for r in fs], [r[y] for r in fs], "o--", mfc="none", ms=12,
                    color="tab:red", label="Pareto front")
            ax.set_xlabel("bitrate the client received (kbit/s)")
            ax.set_ylabel(yl)
            ax.grid(alpha=0.3)
            ax.legend(loc="best")
        a1.set_title("latency vs bitrate (lower left is better)")
        a2.set_title("quality vs bitrate (upper left is better)")
        fig.suptitle("bench-sweep: scene %s, link %s (blue: fixed bitrate, orange: rate control)"
                     % (scene, link))
        fig.tight_layout()
        path = os.path.join(out, "sweep-%s-%s.png" % (scene, link))
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths


def best(rows):
    table = []
    groups = {}
    for r in rows:
        groups.setdefault((r["scene"], r["link"]), []).append(r)
    for (scene, link), rs in sorted(groups.items()):
        good = [r for r in rs if (r.get("psnr_mean") or 0) >= 32 and r["fps_shown"] >= 0.8 * int(r["fps"])
                and r.get("lat_p50_ms") is not None]
        timed = [r for r in rs if r.get("lat_p50_ms") is not None] or rs
        pick = min(good, key=lambda r: r["lat_p50_ms"]) if good else \
            max(timed, key=lambda r: r.get("psnr_mean") or 0)
        table.append((scene, link, label(pick), pick, bool(good)))
    return table


def fmt(v, spec):
    return "-" if v is None else spec % v


def main():
    conf = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tools", "sweeps", "default.conf")
    out = os.environ.get("BENCH_SWEEP_OUT") or "/tmp/r3d-bench-sweep"
    base_port = port = int(os.environ.get("BENCH_PORT", "5970"))
    try:
        cfg = parse_config(conf)
        check_encoders(cfg)
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".writable")
        open(probe, "w").close()
        os.unlink(probe)
    except ConfigError as e:
        sys.exit("bench-sweep: %s" % e)
    except OSError as e:
        sys.exit("bench-sweep: output folder %s is not writable: %s" % (out, e.strerror))
    if os.geteuid() != 0:
        sys.exit("bench-sweep: run as root (latency-sim needs tun devices and namespaces)")
    for prog in (bench_link.TESTSRC, bench_link.CLIENT, bench_link.LATSIM):
        if not os.access(prog, os.X_OK):
            sys.exit("bench-sweep: %s is not built (run make build)" % prog)
    pts = list(points(cfg))
    for i, p in enumerate(pts):
        p["index"] = i
    done = {}
    jl = os.path.join(out, "results.jsonl")
    if os.path.exists(jl):
        for line in open(jl):
            try:
                r = json.loads(line)
                done[r["point"]] = r
            except (ValueError, KeyError):
                pass
    todo = [p for p in pts if p["point"] not in done]
    load0 = open("/proc/loadavg").read().split()[:3]
    print("bench-sweep: %s: %d points, %d measured already (%s), %d to run, ~%.0f s each"
          % (conf, len(pts), len(pts) - len(todo), jl, len(todo), cfg["seconds"] + 6), flush=True)
    start = time.monotonic()
    for k, p in enumerate(todo):
        elapsed = time.monotonic() - start
        eta = elapsed / k * (len(todo) - k) if k else (cfg["seconds"] + 6) * len(todo)
        print("bench-sweep: [%d/%d] %s  (elapsed %.0f s, left ~%.0f s)"
              % (k + 1, len(todo), p["point"], elapsed, eta), flush=True)
        res = run_point(p, cfg, out, port)
        port = port + 1 if port < base_port + 19 else base_port  # 20 ports: no wait for TIME_WAIT
        if "error" in res:
            print("bench-sweep:   %s" % res["error"], flush=True)
            continue
        row = {k2: p[k2] for k2 in ["point"] + LISTS}
        row.update(res)
        with open(jl, "a") as f:
            f.write(json.dumps(row) + "\n")
        done[p["point"]] = row
    load1 = open("/proc/loadavg").read().split()[:3]
    rows = [done[p["point"]] for p in pts if p["point"] in done]
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"config": conf, "size": cfg["size"], "seconds": cfg["seconds"],
                   "load_start": load0, "load_end": load1, "points": rows}, f, indent=1)
    print("\nbench-sweep: %s, %s, %.0f s per point; load average %s at start, %s at end"
          % (conf, cfg["size"], cfg["seconds"], " ".join(load0), " ".join(load1)))
    print("%-6s %-7s %-26s %7s %7s %6s %7s %7s %7s %7s %6s %5s"
          % ("scene", "link", "point", "p50", "p95", "fps", "kbit/s", "encode", "PSNR", "PSNR5",
             "SSIM", "CPU%"))
    for r in rows:
        print("%-6s %-7s %-26s %7s %7s %6.1f %7.0f %7s %7s %7s %6s %5s%s"
              % (r["scene"], r["link"], label(r), fmt(r["lat_p50_ms"], "%.1f"), fmt(r["lat_p95_ms"], "%.1f"),
                 r["fps_shown"], r["kbps"], fmt(r["encode_p50_ms"], "%.1f"), fmt(r["psnr_mean"], "%.2f"),
                 fmt(r["psnr_p5"], "%.2f"), fmt(r["ssim_mean"], "%.4f"), fmt(r["cpu_pct"], "%.0f"),
                 "" if r["lat_p50_ms"] is not None else "  stamp unreadable: picture too degraded"))
    print("\nbest per scene and link (lowest p50 with PSNR mean >= 32 dB and fps >= 80% asked):")
    for scene, link, name, r, ok in best(rows):
        print("  %-5s %-7s %-26s p50 %s ms, %.1f fps, PSNR %s dB, %.0f kbit/s%s"
              % (scene, link, name, fmt(r["lat_p50_ms"], "%.1f"), r["fps_shown"], fmt(r["psnr_mean"], "%.2f"),
                 r["kbps"], "" if ok else " (none met the floor: the best PSNR)"))
    for p in plot(rows, out):
        print("plot: %s" % p)
    print("results: %s, %s" % (os.path.join(out, "results.csv"), jl))


if __name__ == "__main__":
    main()
