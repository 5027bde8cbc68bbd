#!/usr/bin/python3
"""make bench-soak: a long run of the real VM streaming to a client that
reconnects, over a link that changes; does anything of QEMU's grow?

The test guest's probe renders through virgl under the patched QEMU
(-spice port=N,gl=on: the remote3d stream). remote3d-client runs behind
latency-sim (20 ms each way) in a loop: each client streams for one
reconnect interval less a second, exits, and the next one connects. The
link's rate steps through 20, 2, 5 and 50 Mbit/s, one step per link
interval (latency-sim --rate-schedule, repeating). Every sample interval
QEMU's RSS, open fds and threads (/proc/PID) and its encoder restarts (the
"remote3d: encoder" lines on its stderr: one per stream start) are
written to samples.csv. QEMU's RSS holds the guest's RAM as far as the
guest has touched it, which grows while the guest runs whatever QEMU does,
so the RSS judged is QEMU's own: the total less the guest RAM mapping's
(/proc/PID/smaps; every mapping of 1 GiB or more); both are plotted. At
the end a PNG plots them over time and the least-squares slope of QEMU's
own RSS is printed in MB/h ("flat": below 1 MB/h),
with the fds' and threads' slopes per hour. The first minute is warm-up
(the first client builds the encoder, buffers grow to their working size)
and is left out of the slopes.

Options (each also from the environment):
  --seconds S     BENCH_SOAK_SECONDS    run length            [3600]
  --reconnect S   BENCH_SOAK_RECONNECT  a new client every S  [60]
  --link-every S  BENCH_SOAK_LINK_EVERY the link changes every S [300]
  --sample S      BENCH_SOAK_SAMPLE     sampling interval     [10]
  --warmup S      BENCH_SOAK_WARMUP     left out of the slopes [60]
  --out DIR       BENCH_SOAK_OUT        [/tmp/r3d-bench-soak]
  --port N        BENCH_SOAK_PORT       [6120]
  --fps N         BENCH_SOAK_FPS        the probe's frame rate [30]
  --heaptrack     BENCH_SOAK_HEAPTRACK=1  attach heaptrack to QEMU after the
                  warm-up: at the end the bytes allocated since then and
                  still held are summed by owner (tools/heap_growth.py: the
                  host GL driver, virglrenderer, TCG's caches, QEMU,
                  spice-server, libremote3d) in MB/h; DIR/heap-growth.json
  --replot        only the slopes and the plot again, from DIR/samples.csv
Scaled runs keep the ratios, e.g. 10 minutes: --seconds 600 --reconnect 10
--link-every 50. Needs root (latency-sim's namespace and tun devices).
Not part of make test.
"""
import argparse
import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import guestboot as gb  # noqa: E402

MESON = os.environ.get("R3D_MESON_DIR") or os.path.join(ROOT, "_build", "meson")
CLIENT = os.path.join(MESON, "client", "remote3d-client")
LATSIM = os.path.join(MESON, "latency-sim", "latency-sim")
RATES = ("20mbit", "2mbit", "5mbit", "50mbit")
FLAT_MB_PER_H = 1.0
HEAPTRACK_SETTLE_S = 8
ENCODER_LINE = re.compile(r"remote3d: encoder '")


def say(msg):
    print("bench-soak: " + msg, flush=True)


def options():
    env = os.environ.get
    ap = argparse.ArgumentParser(description="make bench-soak (see the module's docstring)")
    ap.add_argument("--seconds", type=float, default=float(env("BENCH_SOAK_SECONDS", 3600)))
    ap.add_argument("--reconnect", type=float, default=float(env("BENCH_SOAK_RECONNECT", 60)))
    ap.add_argument("--link-every", type=float, default=float(env("BENCH_SOAK_LINK_EVERY", 300)))
    ap.add_argument("--sample", type=float, default=float(env("BENCH_SOAK_SAMPLE", 10)))
    ap.add_argument("--warmup", type=float, default=float(env("BENCH_SOAK_WARMUP", 60)))
    ap.add_argument("--out", default=env("BENCH_SOAK_OUT", "/tmp/r3d-bench-soak"))
    ap.add_argument("--port", type=int, default=int(env("BENCH_SOAK_PORT", 6120)))
    ap.add_argument("--fps", type=int, default=int(env("BENCH_SOAK_FPS", 30)))
    ap.add_argument("--heaptrack", action="store_true",
                    default=env("BENCH_SOAK_HEAPTRACK", "0") not in ("", "0"))
    ap.add_argument("--replot", action="store_true")
    a = ap.parse_args()
    if not (a.reconnect >= 3 and a.link_every > 0 and 0 < a.sample <= a.seconds):
        ap.error("need --reconnect >= 3 s, --link-every > 0 and 0 < --sample <= --seconds")
    return a


def guest_ram_rss_kb(pid):
    """Rss of QEMU's guest RAM: its mappings of 1 GiB or more (the guest has
    2 GiB; nothing else of QEMU's is that large)."""
    total = 0
    size = 0
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            if line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("Rss:") and size >= 1 << 20:
                total += int(line.split()[1])
    return total


def slope_per_h(points):
    """Least-squares slope of (t_s, value) points, per hour; None for < 3."""
    if len(points) < 3:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return None
    return sum((t - mt) * (v - mv) for t, v in points) / var * 3600.0


def client_loop(a, secret):
    """latency-sim running remote3d-client again and again (each for one
    reconnect interval less a second); its exits are logged."""
    sched = ",".join("%gs:%s" % (i * a.link_every, r) for i, r in enumerate(RATES))
    sched += "@%gs" % (len(RATES) * a.link_every)
    loop = ('i=0; while [ ! -e "$2/stop" ]; do i=$((i+1)); "$0" "spice://$LATENCY_SIM_HOST:%d" --duration %g '
            '--timeout 30 --password-file "$1" --json "$2/client-$i.json" >"$2/client-$i.log" 2>&1; '
            'echo "$i $?" >>"$2/clients.log"; done' % (a.port, max(1.0, a.reconnect - 1.0)))
    argv = [LATSIM, "--quiet", "--delay", "20ms", "--rate-schedule", sched, "--queue", "1000pkt",
            "--", "sh", "-c", loop, CLIENT, secret, a.out]
    say("link: 20 ms each way, rate %s" % sched)
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(a.out, "latency-sim.err"), "w"),
                            start_new_session=True)


def clients_done(a):
    try:
        with open(os.path.join(a.out, "clients.log")) as f:
            rows = [l.split() for l in f if l.strip()]
    except OSError:
        return 0, 0
    return len(rows), sum(1 for r in rows if r[1] != "0")


def last_row_clients(rows):
    return rows[-1]["clients"], rows[-1]["client_failures"]


def read_samples(a):
    with open(os.path.join(a.out, "samples.csv")) as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]


def plot(a, rows, slopes, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("no matplotlib for /usr/bin/python3 (apt-get install python3-matplotlib): no plot")
        return None
    t = [r["t_s"] / 60.0 for r in rows]
    fig, axes = plt.subplots(5, 1, figsize=(11, 12), sharex=True)
    panels = (("rss_mb", "QEMU's own RSS (MB)", "rss"),
              ("rss_total_mb", "QEMU's RSS with\nthe guest's RAM (MB)", None),
              ("fds", "QEMU open fds", "fds"), ("threads", "QEMU threads", "threads"),
              ("encoder_starts", "encoder starts,\ncumulative", None))
    steady = [r for r in rows if r["t_s"] >= a.warmup]
    for ax, (key, label, sk) in zip(axes, panels):
        ax.plot(t, [r[key] for r in rows], lw=1.5, marker=".", ms=3, color="#1f77b4")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.axvspan(0, a.warmup / 60.0, color="#fdd0a2", lw=0, zorder=0.5)
        if sk and slopes.get(sk) is not None and steady:
            # the least-squares line, and a scale the steady part fills
            vals = [r[key] for r in steady]
            mt = sum(r["t_s"] for r in steady) / len(steady)
            mv = sum(vals) / len(vals)
            ends = (steady[0]["t_s"], steady[-1]["t_s"])
            ax.plot([e / 60.0 for e in ends], [mv + slopes[sk] * (e - mt) / 3600.0 for e in ends],
                    color="#d62728", lw=1.2, ls="--")
            pad = max(1.0, (max(vals) - min(vals)) * 0.5)
            ax.set_ylim(min(vals) - pad, max(vals) + pad)
            ax.set_title("after the first %g s (orange: warm-up, may be off scale): slope %+.2f %s/h "
                         "(red dashed), %g -> %g" % (a.warmup, slopes[sk], "MB" if sk == "rss" else sk,
                                                     vals[0], vals[-1]), fontsize=9, loc="right")
        k = 1
        while k * a.link_every < a.seconds:  # the link's steps, shaded in turn
            if k % 2:
                ax.axvspan(k * a.link_every / 60.0, min(a.seconds, (k + 1) * a.link_every) / 60.0,
                           color="0.92", lw=0)
            k += 1
    axes[-1].set_xlabel("minutes (grey/white: link %s, stepping every %g s; a new client every %g s)"
                        % ("/".join(RATES), a.link_every, a.reconnect))
    fig.suptitle("bench-soak: guest probe -> patched QEMU (spice gl=on) -> remote3d-client behind "
                 "latency-sim, %.0f min" % (a.seconds / 60.0))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main():
    a = options()
    if a.replot:
        report(a, read_samples(a))
        return
    if os.geteuid() != 0:
        raise SystemExit("bench-soak: needs root (latency-sim's namespace and tun devices)")
    for p in (gb.DEFAULT_QEMU, CLIENT, LATSIM):
        if not os.access(p, os.X_OK):
            raise SystemExit("bench-soak: %s is missing (make build)" % p)
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(a.out):
        if f.startswith("client-") or f in ("clients.log", "stop"):
            os.unlink(os.path.join(a.out, f))
    secret = os.path.join(a.out, "secret")
    with open(secret, "w") as f:
        f.write("r3d-soak-%d" % random.randrange(1 << 30))
    spice = "port=%d,addr=0.0.0.0,gl=on,password-secret=sec0" % a.port
    guest = gb.Guest(gb.DEFAULT_QEMU, "probe", duration=int(a.seconds + 600), fps=a.fps, extra=[
        "-display", "none", "-object", "secret,id=sec0,file=" + secret, "-spice", spice])
    loop = None
    heaptrack = None
    heap_file = os.path.join(a.out, "qemu-heap.zst")
    rows = []
    try:
        if not guest.wait_marker(r"^R3D: probe started", 300):
            guest.dump()
            raise SystemExit("bench-soak: the guest's probe did not start within 300 s")
        pid = guest.proc.pid
        loop = client_loop(a, secret)
        t0 = time.monotonic()
        say("%.0f s, a client every %g s, the link changes every %g s, a sample every %g s; "
            "out %s" % (a.seconds, a.reconnect, a.link_every, a.sample, a.out))
        with open(os.path.join(a.out, "samples.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, ["t_s", "rss_mb", "rss_total_mb", "fds", "threads",
                                   "encoder_starts", "clients", "client_failures"])
            w.writeheader()
            while True:
                t = time.monotonic() - t0
                if guest.proc.poll() is not None:
                    raise SystemExit("bench-soak: QEMU exited at %.0f s" % t)
                fds, rss, threads = gb.proc_usage(pid)
                done, failed = clients_done(a)
                own = rss - guest_ram_rss_kb(pid)
                row = {"t_s": round(t, 1), "rss_mb": round(own / 1024.0, 2),
                       "rss_total_mb": round(rss / 1024.0, 2), "fds": fds,
                       "threads": threads,
                       "encoder_starts": len(ENCODER_LINE.findall(guest.stderr())),
                       "clients": done, "client_failures": failed}
                w.writerow(row)
                f.flush()
                rows.append(row)
                if len(rows) % max(1, int(60 / a.sample)) == 0:
                    say("%5.0f s: RSS %.1f MB, %d fds, %d threads, %d encoder starts, %d clients "
                        "(%d failed)" % (t, row["rss_mb"], fds, threads, row["encoder_starts"],
                                         done, failed))
                if a.heaptrack and heaptrack is None and t >= a.warmup:
                    heaptrack = start_heaptrack(pid, heap_file, a.out)
                if t >= a.seconds:
                    break
                time.sleep(max(0.0, a.sample - (time.monotonic() - t0 - t)))
    finally:
        if loop and heaptrack:
            # the last client ends its session itself (killed, its peer
            # would vanish with latency-sim's namespace and spice-server
            # would hold the session, its GLZ dictionary too, until TCP
            # gave up): then what heaptrack sees held is growth
            open(os.path.join(a.out, "stop"), "w").close()
            try:
                loop.wait(a.reconnect + 30)
            except subprocess.TimeoutExpired:
                pass
        if loop and loop.poll() is None:
            os.killpg(loop.pid, signal.SIGTERM)
            try:
                loop.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(loop.pid, signal.SIGKILL)
                loop.wait()
        if heaptrack:
            time.sleep(HEAPTRACK_SETTLE_S)  # spice-server frees the session
        guest.stop()
        if heaptrack:
            finish_heaptrack(heaptrack, heap_file, a.out)
    report(a, rows)


def start_heaptrack(pid, path, out):
    """heaptrack attached to QEMU (it records until QEMU exits)."""
    say("heaptrack attached to QEMU (pid %d) -> %s" % (pid, path))
    for f in (path, os.path.join(out, "heap-growth.json")):
        if os.path.exists(f):
            os.unlink(f)
    return subprocess.Popen(["heaptrack", "-o", path[:-len(".zst")], "-p", str(pid)],
                            stdout=open(os.path.join(out, "heaptrack.log"), "w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def finish_heaptrack(proc, path, out):
    try:
        proc.wait(600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if not os.path.exists(path):
        say("heaptrack wrote no %s (see %s)" % (path, os.path.join(out, "heaptrack.log")))
        return
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools", "heap_growth.py"), path,
                    "--json", os.path.join(out, "heap-growth.json")])


OURS = ("QEMU", "libspice-server", "libremote3d", "libvirglrenderer")


def heap_result(out):
    """The heap growth by owner from heap-growth.json, or None."""
    try:
        with open(os.path.join(out, "heap-growth.json")) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    gl = sum(o["mb_per_h"] for o in doc["owners"] if o["owner"].startswith("host GL driver"))
    tcg = sum(o["mb_per_h"] for o in doc["owners"] if o["owner"].startswith("QEMU TCG"))
    ours = sum(o["mb_per_h"] for o in doc["owners"]
               if o["owner"].startswith(OURS) and not o["owner"].startswith("QEMU TCG"))
    rest = doc["bytes"] / 1e6 / (doc["runtime_s"] / 3600.0) - gl - tcg - ours
    return gl, tcg, ours, rest, doc["runtime_s"]


def plot_heap(out, path):
    """A bar per owner: MB allocated after the warm-up and still held at the end."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        with open(os.path.join(out, "heap-growth.json")) as f:
            doc = json.load(f)
    except (ImportError, OSError, ValueError):
        return None
    owners = [o for o in doc["owners"] if o["bytes"] > 0][:10]
    if not owners:
        return None
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.45 * len(owners)))
    names = [o["owner"] for o in owners][::-1]
    mb = [o["bytes"] / 1e6 for o in owners][::-1]
    colors = ["#2ca02c" if n.startswith(OURS) and not n.startswith("QEMU TCG") else "#7f7f7f"
              for n in names]
    ax.barh(names, mb, color=colors)
    for y, v in enumerate(mb):
        ax.text(v, y, "  %.2f MB (%.3f MB/h)" % (v, v / (doc["runtime_s"] / 3600.0)),
                va="center", fontsize=9)
    ax.set_xlim(0, max(mb) * 1.45)
    ax.set_xlabel("MB allocated after the warm-up and still held when QEMU stopped (heaptrack)\n"
                  "green: QEMU, spice-server, libremote3d, virglrenderer; grey: libraries "
                  "below them, TCG's bounded caches")
    ax.set_title("bench-soak: who holds QEMU's heap growth over %.0f min" % (doc["runtime_s"] / 60),
                 fontsize=11)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def report(a, rows):
    """Slopes, the plot and the summary lines from the samples."""
    steady = [r for r in rows if r["t_s"] >= a.warmup]
    slopes = {k: slope_per_h([(r["t_s"], r[c]) for r in steady])
              for k, c in (("rss", "rss_mb"), ("fds", "fds"), ("threads", "threads"))}
    png = plot(a, rows, slopes, os.path.join(a.out, "bench-soak.png"))
    done, failed = last_row_clients(rows)
    first, last = rows[0], rows[-1]
    fmt = lambda v, u: "n/a" if v is None else "%+.2f %s/h" % (v, u)
    say("ran %.0f s: %d clients (%d failed), %d encoder starts" % (last["t_s"], done, failed,
                                                                    last["encoder_starts"]))
    say("QEMU's own RSS %.1f -> %.1f MB (total with guest RAM %.1f -> %.1f MB), fds %d -> %d, "
        "threads %d -> %d" % (first["rss_mb"], last["rss_mb"], first["rss_total_mb"],
                              last["rss_total_mb"], first["fds"], last["fds"], first["threads"],
                              last["threads"]))
    rss = slopes["rss"]
    total = slope_per_h([(r["t_s"], r["rss_total_mb"]) for r in steady])
    say("RESULT QEMU's own RSS slope %s (%s), fds %s, threads %s (after the first %g s); "
        "total RSS with guest RAM %s" % (
            fmt(rss, "MB"), "flat" if rss is not None and abs(rss) < FLAT_MB_PER_H else "NOT flat",
            fmt(slopes["fds"], "fds"), fmt(slopes["threads"], "threads"), a.warmup,
            fmt(total, "MB")))
    heap = heap_result(a.out)
    if heap:
        gl, tcg, ours, rest, secs = heap
        say("RESULT heap growth over %.0f s (heaptrack, held at the end of what was allocated "
            "after the warm-up): QEMU + spice-server + libremote3d + virglrenderer %+.3f MB/h "
            "(%s); host GL driver %+.2f MB/h; TCG's caches %+.2f MB/h (bounded by their "
            "size); other %+.2f MB/h" % (secs, ours,
                                         "flat" if abs(ours) < FLAT_MB_PER_H else "NOT flat",
                                         gl, tcg, rest))
        hp = plot_heap(a.out, os.path.join(a.out, "heap-growth.png"))
        if hp:
            say("heap growth by owner: %s" % hp)
    say("samples %s%s" % (os.path.join(a.out, "samples.csv"), ", plot " + png if png else ""))


if __name__ == "__main__":
    main()
