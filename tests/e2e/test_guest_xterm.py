#!/usr/bin/env python3
"""The xterm test, automated: the test guest runs Xorg (modesetting +
glamor on virgl) and a full-screen xterm (guest/run-guest.sh --run xterm)
under the patched QEMU with -spice port=...,gl=on, and one boot proves:

  type    remote3d-client types a line of >= 30 characters into the xterm
          (--type); every key is seen to change the picture (key-to-glyph,
          p50/p95 printed)
  idle    a second client connecting to the idle xterm (nothing dirty) gets
          a picture within 1 s
  wire    `tshark -i lo` captured the typing session: remote3d-wire finds
          every key press on the wire and a display reply after each
          (skipped without tshark, the rest still runs)
and QEMU still runs at the end.

The first keys a fresh X server gets can be lost under TCG (seen: the
first two of "echo hello", with a 2.9 s answer for the third); a warm-up
client types one harmless line first and is not judged.

usage: test_guest_xterm.py [--qemu PATH] [--qemu-expected] --client PATH
         --wire PATH [--port N] [--attach]
Ports 5980-5999 belong to the guest's tests.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import guestboot as gb  # noqa: E402
import remoteclient  # noqa: E402
import r3dtest  # noqa: E402

# one KEY_DOWN per character (no shift): what the wire view counts
LINE = "echo remote3d types into an xterm 0123456789"
FIRST_PICTURE_MS = 1000


def start_capture(port, wd, also=()):
    """tshark on lo for tcp port `port` (and the ports in `also`)."""
    tshark = shutil.which("tshark")
    if not tshark:
        gb.log("wire: tshark is not installed: no capture (the wire case is skipped)")
        return None, None
    cap = os.path.join(wd, "xterm.pcapng")
    bpf = " or ".join("tcp port %d" % p for p in (port,) + tuple(also))
    p = r3dtest.spawn([tshark, "-i", "lo", "-f", bpf, "-w", cap], "tshark", wd)
    errf = os.path.join(wd, "tshark.err")
    end = time.monotonic() + 30
    while True:
        text = open(errf, errors="replace").read()
        if "Capturing on" in text:
            return p, cap
        if p.poll() is not None or time.monotonic() > end:
            if "ermission" in text:
                gb.log("wire: tshark may not capture here (the wire case is skipped)")
                r3dtest.stop(p)
                return None, None
            gb.fail("tshark did not start capturing within 30 s\n" + r3dtest.tail(p))
        time.sleep(0.05)


def stop_capture(p):
    time.sleep(0.5)  # the last packets into the file
    p.send_signal(signal.SIGINT)
    try:
        p.wait(15)
    except subprocess.TimeoutExpired:
        r3dtest.stop(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", default=gb.DEFAULT_QEMU)
    ap.add_argument("--qemu-expected", action="store_true")
    ap.add_argument("--client", required=True)
    ap.add_argument("--wire", required=True)
    ap.add_argument("--port", type=int, default=5984)
    ap.add_argument("--attach", action="store_true")
    a = ap.parse_args()

    guest = None
    if a.attach:
        wd = r3dtest.workdir()
    else:
        gb.require_guest_and_qemu(a.qemu, a.qemu_expected)
        spice = "port=%d,addr=127.0.0.1,disable-ticketing=on,gl=on" % a.port
        guest = gb.Guest(a.qemu, "xterm", duration=1200, extra=["-display", "none", "-spice", spice])
        wd = guest.wd
    alive = lambda: guest is None or guest.proc.poll() is None
    try:
        if guest:
            m = guest.wait_marker(r"^R3D: (xterm ready.*|error.*)$", 300)
            if not m or not m.group(1).startswith("xterm ready"):
                guest.dump()
                gb.fail("the guest's Xorg and xterm start (%s)" % (m.group(1) if m else "no marker in 300 s"))
            gb.log("ok: the guest's xterm is up (%.0f s after QEMU started)" % (time.monotonic() - guest.start))

        # warm-up: not judged
        rc, rep, text, _ = remoteclient.run(a.client, a.port, wd, "warmup",
                                            ["--type", ": warm up\\n", "--key-interval", "200",
                                             "--timeout", "30"], timeout=180)
        gb.log("warm-up: exit %d, %s of %s keys answered" % (
            rc, rep and rep.get("key_to_glyph_ms", {}).get("n"), rep and rep.get("keys_typed")))
        time.sleep(1)

        cap_p, cap = start_capture(a.port, wd)
        csv = os.path.join(wd, "xterm-keys.csv")
        rc, rep, text, _ = remoteclient.run(a.client, a.port, wd, "type",
                                            ["--type", LINE + "\\n", "--key-interval", "250",
                                             "--timeout", "30", "--csv", csv], timeout=300)
        if cap_p:
            stop_capture(cap_p)
        gb.log(text)
        n = len(LINE) + 1
        gb.check(rc == 0 and rep is not None, "type: remote3d-client exited with 0 (got %d)" % rc)
        gb.check(rep["stamps"] is False and rep["codec"] == "h264",
                 "type: an H.264 stream without remote3d stamps (the xterm's own picture)")
        gb.check(rep["keys_typed"] == n and n >= 30, "type: %d keys typed (>= 30)" % rep["keys_typed"])
        k = rep["key_to_glyph_ms"]
        gb.check(rep["keys_missed"] == 0 and k["n"] == n,
                 "type: every key changed the picture (%d of %d, %d missed)" % (k["n"], n, rep["keys_missed"]))
        gb.log("xterm key-to-glyph through the guest's GL path: p50 %.1f p95 %.1f p99 %.1f max %.1f ms (n=%d)"
               % (k["p50"], k["p95"], k["p99"], k["max"], k["n"]))
        gb.check(alive(), "type: QEMU is still running")

        time.sleep(2)  # idle: nothing is dirty
        rc, rep2, text, _ = remoteclient.run(a.client, a.port, wd, "idle",
                                             ["--duration", "1", "--timeout", "10"], timeout=60)
        gb.check(rc == 0 and rep2 is not None and rep2["display_updates"] >= 1,
                 "idle: a second client gets a picture of the idle xterm (exit %d)" % rc)
        ms = rep2["time_to_first_picture_ms"]
        gb.check(0 < ms <= FIRST_PICTURE_MS, "idle: its first picture after %.0f ms (<= %d)" % (ms, FIRST_PICTURE_MS))

        if cap:
            js = os.path.join(wd, "wire.json")
            argv = [a.wire, cap, "--port", str(a.port), "--json", js, "--quiet"]
            gb.log("run: " + " ".join(argv))
            r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
            gb.log(r.stdout + r.stderr)
            gb.check(r.returncode == 0, "wire: remote3d-wire read the capture (exit %d)" % r.returncode)
            doc = json.load(open(js))
            downs = [x for x in doc["keys"] if x["message"] == "KEY_DOWN"]
            gb.check(len(downs) == n, "wire: every key press is on the wire (%d KEY_DOWN of %d)" % (len(downs), n))
            gb.check(all(x["reply_ms"] is not None and x["reply_ms"] >= 0 for x in downs),
                     "wire: a display reply follows every key press (%s)"
                     % sorted({str(x["reply_type"]) for x in downs}))
            gb.log("wire: key -> display reply p50 %s ms, p95 %s ms"
                   % (doc["summary"]["p50_ms"], doc["summary"]["p95_ms"]))
        gb.check(alive(), "QEMU is still running at the end")
    except SystemExit:
        if guest:
            guest.dump()
        raise
    finally:
        if guest:
            guest.stop()
    gb.log("PASS")


if __name__ == "__main__":
    main()
