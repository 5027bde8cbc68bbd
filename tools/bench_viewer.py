#!/usr/bin/python3
"""make bench-viewer: what a person sees in the stock client, against what
remote3d-client measures, side by side in one run.

remote3d-testsrc (BENCH_SIZE, 60 fps, x264) on loopback; one viewer at a
time, alternating, BENCH_VIEWER_ROUNDS times:
  remote-viewer            under an Xvfb of its own, its window timed by
                           remote3d-screen-watch (stamp-to-screen: captures
                           of the stamp's rectangle, every few ms)
  remote3d-client --stock-parser   spice-gtk's pipeline as remote-viewer
                           runs it (the H.264 parser one frame late)
  remote3d-client          with the parser told alignment=au
Prints p50/p95 of each, the fps each showed, and remote-viewer minus the
stock-parser client: remote-viewer's own drawing (GTK, its window) plus
0..one capture interval until a capture sees a frame.

  BENCH_SIZE=1280x720 BENCH_VIEWER_SECONDS=10 BENCH_VIEWER_ROUNDS=2
  BENCH_PORT=5944 BENCH_DISPLAY=:58 BENCH_VIEWER_OUT=/tmp/r3d-bench-viewer
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MESON = os.environ.get("R3D_MESON_DIR") or os.path.join(ROOT, "_build", "meson")
TESTSRC = os.path.join(MESON, "testsrc", "remote3d-testsrc")
CLIENT = os.path.join(MESON, "client", "remote3d-client")
WATCH = os.path.join(MESON, "client", "remote3d-screen-watch")
SIZE = os.environ.get("BENCH_SIZE", "1280x720")
SECONDS = float(os.environ.get("BENCH_VIEWER_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_VIEWER_ROUNDS", "2"))
PORT = int(os.environ.get("BENCH_PORT", "5944"))
DISPLAY = os.environ.get("BENCH_DISPLAY", ":58")
OUT = os.environ.get("BENCH_VIEWER_OUT", "/tmp/r3d-bench-viewer")


def say(msg):
    print("bench-viewer: " + msg, file=sys.stderr, flush=True)


def wait_port(port, proc, what):
    import socket
    for _ in range(300):
        if proc.poll() is not None:
            sys.exit("bench-viewer: %s exited (%s)" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("bench-viewer: %s does not listen on %d" % (what, port))


def remote_viewer(k):
    env = dict(os.environ, DISPLAY=DISPLAY)
    rv = subprocess.Popen(["remote-viewer", "spice://127.0.0.1:%d" % PORT], env=env,
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(OUT, "rv-%d.log" % k), "w"))
    time.sleep(4)  # window up, stream decoding
    js = os.path.join(OUT, "remote-viewer-%d.json" % k)
    subprocess.run([WATCH, "--display", DISPLAY, "--duration", str(SECONDS), "--json", js,
                    "--csv", os.path.join(OUT, "remote-viewer-%d.csv" % k)], check=False,
                   stdout=subprocess.DEVNULL)
    rv.terminate()
    rv.wait(10)
    w = json.load(open(js))
    return w["stamp_to_screen_ms"], w["frames"] / SECONDS, w["capture_interval_ms"]


def client(k, name, opts):
    js = os.path.join(OUT, "%s-%d.json" % (name, k))
    subprocess.run([CLIENT, "spice://127.0.0.1:%d" % PORT, "--duration", str(SECONDS), "--json", js]
                   + opts, check=False, stdout=subprocess.DEVNULL)
    c = json.load(open(js))
    return c["latency_ms"], c["fps"], None


def main():
    for prog in ("remote-viewer", "Xvfb"):
        if not shutil.which(prog):
            sys.exit("bench-viewer: %s is not installed (make deps installs it)" % prog)
    for p in (TESTSRC, CLIENT, WATCH):
        if not os.access(p, os.X_OK):
            sys.exit("bench-viewer: %s is not built (make build)" % p)
    os.makedirs(OUT, exist_ok=True)
    load0 = open("/proc/loadavg").read().split()[:3]
    w, h = (int(v) for v in SIZE.split("x"))
    xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", "%dx%dx24" % (w + 120, h + 180),
                             "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    src = subprocess.Popen([TESTSRC, "--port", str(PORT), "--size", SIZE, "--fps", "60",
                            "--encoder", "x264"], stdout=subprocess.DEVNULL,
                           stderr=open(os.path.join(OUT, "testsrc.log"), "w"))
    results = {"remote-viewer": [], "client --stock-parser": [], "client": []}
    try:
        wait_port(PORT, src, "remote3d-testsrc")
        for k in range(ROUNDS):
            for name, run in (("remote-viewer", lambda: remote_viewer(k)),
                              ("client --stock-parser", lambda: client(k, "stock", ["--stock-parser"])),
                              ("client", lambda: client(k, "aligned", []))):
                say("%s, round %d, %.0f s ..." % (name, k + 1, SECONDS))
                results[name].append(run())
    finally:
        src.terminate()
        xvfb.terminate()
    load1 = open("/proc/loadavg").read().split()[:3]
    print("bench-viewer: %s at 60 fps, loopback, %d rounds of %.0f s (load %s -> %s); ms, medians of the rounds"
          % (SIZE, ROUNDS, SECONDS, " ".join(load0), " ".join(load1)))
    print("%-24s %8s %8s %8s   %s" % ("viewer", "p50", "p95", "fps", "runs (p50)"))
    med = {}
    for name, runs in results.items():
        p50 = statistics.median(r[0]["p50"] for r in runs)
        p95 = statistics.median(r[0]["p95"] for r in runs)
        fps = statistics.median(r[1] for r in runs)
        med[name] = p50
        extra = ""
        if runs[0][2] is not None:
            extra = "  (captures every %.1f ms)" % statistics.median(r[2] for r in runs)
        print("%-24s %8.1f %8.1f %8.1f   %s%s" % (name, p50, p95, fps,
                                                 " ".join("%.1f" % r[0]["p50"] for r in runs), extra))
    print("remote-viewer - client --stock-parser: %+.1f ms p50 (its drawing + capture delay)"
          % (med["remote-viewer"] - med["client --stock-parser"]))
    print("client --stock-parser - client: %+.1f ms p50 (spice-gtk's unaligned parser)"
          % (med["client --stock-parser"] - med["client"]))
    print("raw: %s" % OUT)


if __name__ == "__main__":
    main()
