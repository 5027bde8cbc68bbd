#!/usr/bin/python3
"""make bench-xterm: the xterm test as a user runs it, remote3d against the
stock path, side by side.

The test guest runs Xorg (modesetting + glamor on virgl) and a full-screen
xterm (guest/run-guest.sh --run xterm). For each path it boots once:
  remote3d  -display none -spice port=N,gl=on  (virgl's scanout read back,
            H.264 through SPICE's stream; qemu-patches/)
  stock     -display egl-headless -spice port=N (gl off: QEMU copies the
            scanout into a 2D surface, spice sends it as images)
and types the same line with remote3d-client --type over loopback and
behind latency-sim (--delay 25ms --rate 10mbit by default). Per run:
key-to-glyph p50/p95/p99 and keys missed; a table, a CSV per run and one
PNG (the key-to-glyph distribution per path and link).

  BENCH_XTERM_PATHS="remote3d stock"  BENCH_XTERM_LINKS="loopback sim"
  BENCH_XTERM_SIM="--delay 25ms --rate 10mbit"  BENCH_XTERM_OUT=/tmp/r3d-bench-xterm
  BENCH_XTERM_TEXT="..." (US keys, no shift needed)  BENCH_PORT=5950

--demo (make demo-xterm): the remote3d path only: types a line over
loopback while tshark (when installed) captures it, prints key-to-glyph
p50/p95 and remote3d-wire's figures, then the remote-viewer command, and
keeps the VM serving until Ctrl-C.

The first keys a fresh X server gets can be lost under TCG: each boot is
warmed up with one line that is not judged. Runs as root for latency-sim
(namespaces, tun); without root the sim link is skipped.
"""
import csv
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import guestboot as gb  # noqa: E402
import test_guest_xterm  # noqa: E402  (its tshark capture)

MESON = os.environ.get("R3D_MESON_DIR") or os.path.join(ROOT, "_build", "meson")
CLIENT = os.path.join(MESON, "client", "remote3d-client")
LATSIM = os.path.join(MESON, "latency-sim", "latency-sim")
WIRE = os.path.join(ROOT, "tools", "remote3d_wire.py")
TEXT = os.environ.get("BENCH_XTERM_TEXT", "echo the quick brown fox jumps over the lazy dog 0123456789")
SIM = os.environ.get("BENCH_XTERM_SIM", "--delay 25ms --rate 10mbit").split()
PATHS = {
    "remote3d": lambda port: ["-display", "none", "-spice",
                              "port=%d,disable-ticketing=on,gl=on" % port],
    "stock": lambda port: ["-display", "egl-headless", "-spice", "port=%d,disable-ticketing=on" % port],
}


def say(msg):
    print("bench-xterm: " + msg, flush=True)


def boot(path, port):
    guest = gb.Guest(gb.DEFAULT_QEMU, "xterm", duration=3600, extra=PATHS[path](port))
    m = guest.wait_marker(r"^R3D: (xterm ready.*|error.*)$", 300)
    if not m or not m.group(1).startswith("xterm ready"):
        guest.dump()
        guest.stop()
        raise SystemExit("bench-xterm: %s: the guest's xterm did not start" % path)
    return guest


def client_argv(host, port, text, out, name):
    return [CLIENT, "spice://%s:%d" % (host, port), "--type", text + "\\n", "--key-interval", "250",
            "--timeout", "30", "--json", os.path.join(out, name + ".json"),
            "--csv", os.path.join(out, name + ".csv")]


def type_line(port, out, name, link, text=TEXT):
    """Type text (+ Enter); returns the client's report or None."""
    js = os.path.join(out, name + ".json")
    if os.path.exists(js):
        os.unlink(js)
    if link == "sim":
        rest = client_argv("127.0.0.1", port, text, out, name)[2:]
        argv = [LATSIM, "--quiet"] + SIM + ["--", "sh", "-c", 'exec "$0" "spice://$LATENCY_SIM_HOST:%d" "$@"'
                                             % port, CLIENT] + rest
    else:
        argv = client_argv("127.0.0.1", port, text, out, name)
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    if r.returncode != 0:
        sys.stderr.write("bench-xterm: %s: client exited %d\n%s" % (name, r.returncode, r.stderr[-2000:]))
    if not os.path.exists(js):
        return None
    with open(js) as f:
        return json.load(f)


def latencies(out, name):
    try:
        with open(os.path.join(out, name + ".csv")) as f:
            return [float(row["latency_ms"]) for row in csv.DictReader(f) if row.get("latency_ms")]
    except (OSError, KeyError, ValueError):
        return []


def plot(results, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("no matplotlib for /usr/bin/python3 (apt-get install python3-matplotlib): no plot")
        return None
    keys = [k for k in results if results[k]["lat"]]
    if not keys:
        return None
    colour = {"remote3d": "#1f77b4", "stock": "#d62728"}
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for (path, link) in keys:
        lat = sorted(results[(path, link)]["lat"])
        ys = [100.0 * (i + 1) / len(lat) for i in range(len(lat))]
        r = results[(path, link)]["rep"]
        k = r["key_to_glyph_ms"]
        ax.step(lat, ys, where="post", lw=2, color=colour.get(path),
                ls="-" if link == "loopback" else "--",
                label="%s, %s: p50 %.0f / p95 %.0f ms, %d missed" % (
                    path, "loopback" if link == "loopback" else " ".join(SIM), k["p50"], k["p95"],
                    r["keys_missed"]))
    ax.set_xlabel("key-to-glyph (ms): key sent -> first decoded frame that changed")
    ax.set_ylabel("keys (%), cumulative")
    ax.set_title("bench-xterm: typing into the guest's xterm through SPICE (%d keys per run)" % (len(TEXT) + 1))
    ax.grid(True, alpha=0.3)
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    path = os.path.join(out, "bench-xterm.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def bench():
    paths = os.environ.get("BENCH_XTERM_PATHS", "remote3d stock").split()
    links = os.environ.get("BENCH_XTERM_LINKS", "loopback sim").split()
    out = os.environ.get("BENCH_XTERM_OUT") or "/tmp/r3d-bench-xterm"
    port = int(os.environ.get("BENCH_PORT", "5950"))
    os.makedirs(out, exist_ok=True)
    for p in paths:
        if p not in PATHS:
            raise SystemExit("bench-xterm: unknown path %s (%s)" % (p, " ".join(PATHS)))
    if "sim" in links and (os.geteuid() != 0 or not os.access(LATSIM, os.X_OK)):
        say("the sim link needs root and latency-sim: skipped")
        links = [l for l in links if l != "sim"]
    load0 = open("/proc/loadavg").read().split()[:3]
    results = {}
    for p in paths:
        say("%s: booting the xterm guest (%s)" % (p, " ".join(PATHS[p](port))))
        guest = boot(p, port)
        try:
            type_line(port, out, "%s-warmup" % p, "loopback", text=": warm up")
            for link in links:
                name = "%s-%s" % (p, link)
                say("%s: typing %d keys" % (name, len(TEXT) + 1))
                rep = type_line(port, out, name, link)
                if rep:
                    results[(p, link)] = {"rep": rep, "lat": latencies(out, name)}
        finally:
            guest.stop()
        port += 1
    load1 = open("/proc/loadavg").read().split()[:3]
    print("\nbench-xterm: %d keys per run (\"%s\\n\"); load average %s at start, %s at end"
          % (len(TEXT) + 1, TEXT, " ".join(load0), " ".join(load1)))
    print("%-9s %-28s %7s %7s %7s %7s %7s" % ("path", "link", "p50", "p95", "p99", "max", "missed"))
    for (p, link), r in results.items():
        k = r["rep"]["key_to_glyph_ms"]
        print("%-9s %-28s %7.1f %7.1f %7.1f %7.1f %7d" % (
            p, "loopback" if link == "loopback" else " ".join(SIM), k["p50"], k["p95"], k["p99"], k["max"],
            r["rep"]["keys_missed"]))
    for link in links:
        a, b = results.get(("remote3d", link)), results.get(("stock", link))
        if a and b and b["rep"]["key_to_glyph_ms"]["p50"] > 0:
            print("remote3d / stock p50 (%s): %.2f" % (link, a["rep"]["key_to_glyph_ms"]["p50"] /
                                                        b["rep"]["key_to_glyph_ms"]["p50"]))
    png = plot(results, out)
    if png:
        say("plot " + png)
    say("CSV per run in " + out)


def demo():
    port = int(os.environ.get("DEMO_PORT", "5997"))
    say("booting the xterm guest (remote3d path: -display none -spice port=%d,gl=on)" % port)
    guest = boot("remote3d", port)
    out = guest.wd
    try:
        type_line(port, out, "warmup", "loopback", text=": warm up")
        cap_p, cap = test_guest_xterm.start_capture(port, out)  # (None, None) without tshark
        say("typing \"%s\" into the xterm" % TEXT)
        rep = type_line(port, out, "type", "loopback")
        if cap_p:
            test_guest_xterm.stop_capture(cap_p)
        if not rep:
            raise SystemExit("bench-xterm: the client gave no report")
        k = rep["key_to_glyph_ms"]
        print("\nkey-to-glyph: %d keys typed, %d answered, %d missed; p50 %.1f ms, p95 %.1f ms"
              % (rep["keys_typed"], k["n"], rep["keys_missed"], k["p50"], k["p95"]))
        if cap and os.path.exists(cap):
            print("the wire view (remote3d-wire %s --port %d):" % (cap, port))
            subprocess.run([sys.executable, WIRE, cap, "--port", str(port)])
        else:
            print("(no tshark: no wire view; apt-get install tshark)")
        print("\nThe VM serves on spice://127.0.0.1:%d; look at it with:\n  remote-viewer spice://127.0.0.1:%d\n"
              "Ctrl-C stops it." % (port, port))
        while guest.proc.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        guest.stop()


def main():
    for p in (CLIENT, gb.DEFAULT_QEMU):
        if not os.access(p, os.X_OK):
            raise SystemExit("bench-xterm: %s is not built (run make build)" % p)
    if "--demo" in sys.argv[1:]:
        demo()
    else:
        bench()


if __name__ == "__main__":
    main()
