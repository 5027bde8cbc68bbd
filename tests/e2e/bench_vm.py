#!/usr/bin/env python3
"""make bench-vm (tools/bench-vm.sh): the real VM streamed remotely, side by
side with the stock Debian path, in one run. Prints figures, asserts none.

For each configuration and each guest frame rate the test guest boots once
(1280x720, the probe rendering through virgl) and then:
  off  W s with no client: the guest's own frame rate (the probe prints it
       every second on the serial console)
  on   remote3d-client connected on loopback for >= W s, pressing a key
       KEYS times: the guest's frame rate meanwhile, and what the client
       saw: codec, fps, bitrate, first frame, input-to-photon (one clock:
       the client's), stamp latency spread
  off  W s with no client again (the "off" rate is the mean of both)
Configurations:
  remote3d   -display none -spice port=...,gl=on  (qemu-patches: the scanout
             through libremote3d, H.264 on spice's external stream)
  remote3d-30  the same capped at 30 frames per second (max-refresh-rate=30)
  remote3d-s2  remote3d with virgl's fences polled every 10 ms, as before
             qemu-patches 0003 (the same binary: VIRGL_DISABLE_MT=1 turns
             off virglrenderer's sync thread)
  remote3d-nice10  remote3d with the encoding threads at nice +10
             (R3D_ENCODER_NICE=10: the guest before the stream)
  stock-2d   -display egl-headless -spice port=... (gl off: QEMU reads every
             frame back into a 2D surface, spice-server sends it with its
             own image compression and video-stream heuristics)
Then, with no client, a plain CPU load as large as the stream was (QEMU's
encoder threads + the client, in cores; busy-loop processes at nice 0 on
a 10 ms duty cycle): the guest's rate under it says how much of the loss
is the stream's CPU alone on these cores, and how much is the coupling.
The client runs twice per boot: at nice -10 (its figures as on a machine
of its own: remoteclient.py) and at nice +10, behind the guest (the
guest's rate as if the client's decoding ran elsewhere; on loopback the
client's CPU is otherwise the guest's loss). Input-to-photon and the
client's figures are the nice -10 run's.
Guest frame rates (--rates):
  0    unthrottled: the probe renders as fast as page flips complete, and
       under QEMU a virtio-gpu flip completes at once (no vblank), so every
       cycle the stream takes on this box is a frame the guest loses
  60   the probe paced to 60 frames per second on an absolute deadline
       clock (r3d-probe --fps 60), as a compositor or a vsync'd game on a
       60 Hz display renders; a late frame skips to the next 1/60 s grid
       point ("missed" counts those)
The guest's stamps carry the GUEST's clock, so stamp-to-display latency
has an unknown offset: only its spread (p95 - p50) is printed.

usage: bench_vm.py --client PATH [--qemu PATH] [--port N] [--seconds W]
                   [--keys N] [--configs remote3d,stock-2d] [--rates 0,60]
                   [--json FILE]
"""
import argparse
import glob
import json
import os
import re
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guestboot as gb  # noqa: E402
import remoteclient  # noqa: E402

def remote3d_args(port, more=""):
    return ["-name", "r3d-bench,debug-threads=on", "-display", "none", "-spice",
            "port=%d,addr=127.0.0.1,disable-ticketing=on,gl=on%s" % (port, more)]


CONFIGS = {
    "remote3d": ("remote3d (spice gl=on, H.264)", remote3d_args),
    "remote3d-s2": ("remote3d, 10 ms fence poll (VIRGL_DISABLE_MT=1)", remote3d_args),
    "remote3d-nice10": ("remote3d, encoder at nice +10 (R3D_ENCODER_NICE=10)", remote3d_args),
    "remote3d-30": ("remote3d, max-refresh-rate=30",
                    lambda port: remote3d_args(port, ",max-refresh-rate=30")),
    "stock-2d": ("stock 2D (egl-headless, spice gl off)",
                 lambda port: ["-name", "r3d-bench,debug-threads=on", "-display", "egl-headless", "-spice",
                               "port=%d,addr=127.0.0.1,disable-ticketing=on" % port]),
}
# environment per configuration (the rest inherit the caller's)
CONFIG_ENV = {"remote3d-s2": {"VIRGL_DISABLE_MT": "1"}, "remote3d-nice10": {"R3D_ENCODER_NICE": "10"}}
BEHIND_NICE = 10  # the second client run: behind the guest
FPS_RX = re.compile(r"^R3D: probe fps=([0-9.]+) frames=\d+(?: missed=(\d+))?", re.M)


def fps_lines(guest, start, end=None):
    """The probe's per-second (rate, missed deadlines) printed between two
    console offsets, without the first (it may straddle the window's start)."""
    text = guest.text()
    vals = [(float(f), int(m or 0)) for f, m in FPS_RX.findall(text[start:end])]
    return vals[1:]


TICK = os.sysconf("SC_CLK_TCK")
# QEMU's threads by name (-name ...,debug-threads=on), in the table's order
THREAD_GROUPS = (("vCPU", re.compile(r"^CPU \d+/")), ("llvmpipe", re.compile(r"^llvmpipe")),
                 ("encoder", re.compile(r"^r3d")), ("spice", re.compile(r"^SPICE")),
                 ("main+other", re.compile(r".")))


def stat_ticks(path):
    """CPU ticks (user+system) in a /proc .../stat file."""
    with open(path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def qemu_ticks(pid):
    """CPU ticks (user+system) of QEMU's threads, summed by group."""
    out = {name: 0 for name, _ in THREAD_GROUPS}
    for task in glob.glob("/proc/%d/task/*" % pid):
        try:
            with open(task + "/comm") as f:
                comm = f.read().strip()
            ticks = stat_ticks(task + "/stat")
        except OSError:
            continue
        for name, rx in THREAD_GROUPS:
            if rx.search(comm):
                out[name] += ticks
                break
    return out


def cores(before, after, seconds):
    """Cores used per group between two qemu_ticks() samples."""
    return {k: (after[k] - before[k]) / TICK / seconds for k in before}


def mean(v):
    return sum(v) / len(v) if v else float("nan")


def window_off(guest, seconds):
    """(fps values, QEMU cores by thread group) over `seconds` without a client."""
    start = len(guest.text())
    t0, c0 = time.monotonic(), qemu_ticks(guest.proc.pid)
    time.sleep(seconds)
    return fps_lines(guest, start), cores(c0, qemu_ticks(guest.proc.pid), time.monotonic() - t0)


DUTY = ("import sys, time\n"
        "busy, period = float(sys.argv[1]), 0.010\n"
        "while True:\n"
        "    t = time.perf_counter()\n"
        "    while time.perf_counter() - t < busy * period:\n"
        "        pass\n"
        "    time.sleep(max(0.0, period - (time.perf_counter() - t)))\n")


def window_load(guest, seconds, load_cores):
    """(fps values, load cores measured) with busy-loop processes adding up
    to load_cores (at most 0.5 core each) and no client."""
    n = max(1, int(load_cores / 0.5 + 0.999))
    procs = [subprocess.Popen([sys.executable, "-c", DUTY, "%.3f" % (load_cores / n)])
             for _ in range(n)]
    try:
        time.sleep(1)
        start = len(guest.text())
        ticks0 = [proc_ticks(p.pid) for p in procs]
        t0 = time.monotonic()
        time.sleep(seconds)
        used = sum(proc_ticks(p.pid) - a for p, a in zip(procs, ticks0)) / TICK / (time.monotonic() - t0)
        return fps_lines(guest, start), used
    finally:
        for p in procs:
            p.kill()
            p.wait()


def proc_ticks(pid):
    return stat_ticks("/proc/%d/stat" % pid)


def pacing(rate):
    return "%d Hz paced" % rate if rate else "unthrottled"


def run_config(a, key, rate):
    title, extra = CONFIGS[key]
    r = {"config": key, "title": title, "rate": rate, "load_start": os.getloadavg()}
    g = gb.Guest(a.qemu, "probe", duration=1200, fps=rate, extra=extra(a.port), env=CONFIG_ENV.get(key))
    try:
        m = g.wait_marker(r"^R3D: probe started (\d+)x(\d+) renderer=(.*)$", 300)
        if not m:
            g.dump()
            raise RuntimeError("%s: the probe did not start within 300 s" % key)
        r["mode"] = "%sx%s" % (m.group(1), m.group(2))
        r["renderer"] = m.group(3)
        if rate and not g.wait_marker(r"^R3D: probe paced fps=%d " % rate, 10):
            raise RuntimeError("%s: the probe does not say it paces to %d fps" % (key, rate))
        gb.log("%s, %s: probe started (%s, %s); settling 5 s"
               % (key, pacing(rate), r["mode"], r["renderer"]))
        time.sleep(5)
        off1, cpu_off1 = window_off(g, a.seconds)
        start = len(g.text())
        t0, c0 = time.monotonic(), qemu_ticks(g.proc.pid)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        rc, rep, text, _ = remoteclient.run(a.client, a.port, g.wd, "bench-" + key,
                                            ["--duration", str(a.seconds), "--keys", str(a.keys),
                                             "--key-interval", "250", "--timeout", "15"],
                                            timeout=a.seconds + a.keys * 4 + 120)
        wall = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_on = cores(c0, qemu_ticks(g.proc.pid), wall)
        on = fps_lines(g, start)
        gb.log(text)
        off2, cpu_off2 = window_off(g, a.seconds)
        if rc != 0 or rep is None:
            raise RuntimeError("%s: remote3d-client failed (rc %d)" % (key, rc))
        # again with the client behind the guest (no key presses: its
        # decoding only)
        start = len(g.text())
        rc2, rep2, text2, _ = remoteclient.run(a.client, a.port, g.wd, "bench-behind-" + key,
                                               ["--duration", str(a.seconds), "--timeout", "15"],
                                               timeout=a.seconds + 120, nice=BEHIND_NICE)
        behind = fps_lines(g, start)
        off3, _ = window_off(g, a.seconds)
        if rc2 != 0 or rep2 is None:
            gb.log(text2)
            raise RuntimeError("%s: remote3d-client (nice %+d) failed (rc %d)" % (key, BEHIND_NICE, rc2))
        r["guest_fps_off"] = mean([f for f, _ in off1 + off2 + off3])
        r["guest_fps_on"] = mean([f for f, _ in on])
        r["guest_fps_behind"] = mean([f for f, _ in behind])
        r["ratio_behind"] = r["guest_fps_behind"] / r["guest_fps_off"]
        r["client_behind"] = rep2
        r["client_cores"] = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) / wall
        stream_cores = cpu_on["encoder"] + cpu_on["spice"] + r["client_cores"]
        loaded, r["load_cores"] = window_load(g, a.seconds, stream_cores)
        r["guest_fps_load"] = mean([f for f, _ in loaded])
        r["ratio_load"] = r["guest_fps_load"] / r["guest_fps_off"]
        # grid points the paced probe passed over, per second
        r["missed_off"] = mean([m for _, m in off1 + off2 + off3])
        r["missed_on"] = mean([m for _, m in on])
        r["qemu_cores_off"] = {k: (cpu_off1[k] + cpu_off2[k]) / 2 for k in cpu_off1}
        r["qemu_cores_on"] = cpu_on
        r["ratio"] = r["guest_fps_on"] / r["guest_fps_off"]
        r["client"] = rep
        r["qemu_alive"] = g.proc.poll() is None
        acc = re.search(r"run-guest: accel=(\w+)", g.stderr())
        r["accel"] = acc.group(1) if acc else "?"
    finally:
        g.stop()
    r["load_end"] = os.getloadavg()
    return r


COL = 27


def row(name, vals):
    print(("%-30s" % name + "".join(("%-" + str(COL) + "s") % v for v in vals)).rstrip())


def ito_p(r):
    i = r["client"]["input_to_photon_ms"]
    return "%.0f / %.0f ms (n=%d/%d)" % (i["p50"], i["p95"], i["n"], r["client"]["keys_sent"])


def table(results, a):
    print()
    print("remote3d bench-vm: test guest %s under %s, remote3d-client on loopback (nice %d), "
          "W=%d s, %d key presses" % (results[0].get("mode", "?"), a.accel, remoteclient.CLIENT_NICE,
                                      a.seconds, a.keys))
    for key in dict.fromkeys(r["config"] for r in results):
        print("  %-12s %s" % (key, CONFIGS[key][0]))
    row("", [r["config"] for r in results])
    row("guest frame pacing", [pacing(r["rate"]) for r in results])
    row("load average (start/end)", ["%.1f / %.1f" % (r["load_start"][0], r["load_end"][0]) for r in results])
    row("guest fps, no client", ["%.1f" % r["guest_fps_off"] for r in results])
    row("guest fps, client on", ["%.1f" % r["guest_fps_on"] for r in results])
    row("ratio on/off (target >=95%)", ["%.0f%%" % (100 * r["ratio"]) for r in results])
    row("guest fps, client behind (%+d)" % BEHIND_NICE, ["%.1f" % r["guest_fps_behind"] for r in results])
    row("ratio, client behind", ["%.0f%%" % (100 * r["ratio_behind"]) for r in results])
    row("client fps, client behind", ["%.1f" % r["client_behind"]["fps"] for r in results])
    row("plain load as the stream, cores", ["%.2f" % r["load_cores"] for r in results])
    row("guest fps under it, no client", ["%.1f" % r["guest_fps_load"] for r in results])
    row("ratio under the plain load", ["%.0f%%" % (100 * r["ratio_load"]) for r in results])
    row("missed deadlines/s, off / on", ["%.1f / %.1f per s" % (r["missed_off"], r["missed_on"]) if r["rate"]
                                   else "-" for r in results])
    for label, k in (("QEMU cores, no client", "qemu_cores_off"), ("QEMU cores, client on", "qemu_cores_on")):
        row(label, ["%.2f" % sum(r[k].values()) for r in results])
        for name, _ in THREAD_GROUPS:
            row("  " + name, ["%.2f" % r[k][name] for r in results])
    row("client cores (decode, show)", ["%.2f" % r["client_cores"] for r in results])
    row("client codec", [("%s (%s)" % (r["client"]["codec"], r["client"]["decoder"])
                          if r["client"].get("decoder") else "none: 2D image updates")
                         for r in results])
    row("client fps (distinct frames)", ["%.1f" % r["client"]["fps"] for r in results])
    row("client bitrate kbit/s", ["%.0f" % r["client"]["bitrate_kbps"] for r in results])
    row("first frame after connect", ["%.0f ms" % r["client"]["time_to_first_frame_ms"] for r in results])
    row("input-to-photon p50 / p95", [ito_p(r) for r in results])
    row("stamp latency p95-p50", ["%.0f ms (spread only)"
                                  % (r["client"]["latency_ms"]["p95"] - r["client"]["latency_ms"]["p50"])
                                  for r in results])
    row("guest frames not shown", ["%d of %d" % (r["client"]["missing"],
                                                 r["client"]["last_frame"] - r["client"]["first_frame"] + 1)
                                   for r in results])

    # the render-rate ratios side by side, and what a person at a paced
    # (60 Hz) desktop would see through the client
    rates = list(dict.fromkeys(r["rate"] for r in results))
    paced = [x for x in rates if x]
    print()
    print("render rate with streaming on / off, by guest pacing (target >= 95%)")
    hdr = ["ratio, " + pacing(x) for x in rates]
    hdr += ["client behind, " + pacing(x) for x in rates]
    if paced:
        hdr += ["client fps @%d Hz" % paced[0], "input-to-photon @%d Hz" % paced[0]]
    row("", hdr)
    for key in dict.fromkeys(r["config"] for r in results):
        by = {r["rate"]: r for r in results if r["config"] == key}
        vals = ["%.0f%% (%.1f / %.1f)" % (100 * by[x]["ratio"], by[x]["guest_fps_on"], by[x]["guest_fps_off"])
                if x in by else "-" for x in rates]
        vals += ["%.0f%%" % (100 * by[x]["ratio_behind"]) if x in by else "-" for x in rates]
        if paced:
            p = by.get(paced[0])
            vals += ["%.1f" % p["client"]["fps"] if p else "-", ito_p(p) if p else "-"]
        row(key, vals)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", default=gb.DEFAULT_QEMU)
    ap.add_argument("--client", required=True)
    ap.add_argument("--port", type=int, default=5990)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--keys", type=int, default=50)
    ap.add_argument("--configs", default="remote3d,stock-2d")
    ap.add_argument("--rates", default="0,60",
                    help="guest frame rates, 0 = unthrottled (one boot per config and rate)")
    ap.add_argument("--json")
    a = ap.parse_args()
    gb.require_guest_and_qemu(a.qemu, True)
    configs = [c for c in a.configs.split(",") if c]
    for key in configs:
        if key not in CONFIGS:
            gb.fail("unknown configuration %s (%s)" % (key, ", ".join(CONFIGS)))
    try:
        rates = [int(x) for x in a.rates.split(",") if x]
    except ValueError:
        gb.fail("--rates %s: whole frames per second, 0 = unthrottled" % a.rates)
    if not rates or any(x < 0 for x in rates):
        gb.fail("--rates %s: whole frames per second, 0 = unthrottled" % a.rates)
    results = []
    t0 = time.monotonic()
    for key in configs:
        for rate in rates:
            gb.log("=== %s, %s ===" % (key, pacing(rate)))
            results.append(run_config(a, key, rate))
    for r in results:
        if not r["qemu_alive"]:
            gb.log("warning: %s, %s: QEMU exited during the run" % (r["config"], pacing(r["rate"])))
    a.accel = "/".join(sorted(set(r.get("accel", "?") for r in results)))
    table(results, a)
    print("bench time %.0f s" % (time.monotonic() - t0))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
