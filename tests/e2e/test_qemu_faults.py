#!/usr/bin/env python3
"""Storms and faults with the real patched QEMU (`-spice ...,gl=on`, the
remote3d stream).

usage: test_qemu_faults.py CASE --client PATH [--latency-sim PATH]
         [--qemu PATH] [--qemu-expected] [--port N]
CASE:
  storm   the firmware screen (it streams ~10 frames a second through
          libremote3d; no guest kernel needed) and 100 connect/disconnect
          cycles in turn: a clean close (remote3d-client to its end, or a
          raw client that takes STREAM_DATA and closes), a remote3d-client
          SIGKILLed mid-stream, a raw TCP connect that closes at once, and a
          peer that sends garbage (random bytes, a bad link header, a link
          with a garbage ticket, garbage messages on a linked display
          channel). Afterwards a real client gets a picture within 1 s, and
          QEMU's open fds, threads and RSS (/proc/PID) are back within a
          small bound of before the storm (after one warm-up client).
  outage  the guest's probe (stamped frames) to remote3d-client behind
          latency-sim (25 ms each way, 10 Mbit/s) with a 5 s outage 5 s in:
          no frame during it, and the first frame comes within 1 s of the
          link returning. QEMU listens on every address here (latency-sim's
          link reaches the host's), so it takes a password.
Ports 6110-6119 belong to these tests.
"""
import argparse
import csv
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import guestboot as gb  # noqa: E402
import remoteclient  # noqa: E402
import spicelink as sl  # noqa: E402

CYCLES = 100
FIRST_PICTURE_MS = 1000
FD_SLACK = 2            # fds: back to before, give or take
RSS_SLACK_KB = 16384    # RSS: within 16 MiB of before (measured: +8.5 MiB, all of it in
                        # the first 25 cycles; then +0.3 MiB over the next 375)
WARM_CYCLES = 25        # RSS growth after these cycles is what a leak would show
RSS_LEAK_KB = 2048      # ... bounded by 2 MiB over the remaining 75 (27 kB a cycle)
THREAD_SLACK = 2
OUTAGE_AT, OUTAGE_S = 5.0, 5.0
RESUME_S = 1.0


def clean_close(a, i):
    if i % 2:
        rc, rep, text, _ = remoteclient.run(a.client, a.port, a.wd, "storm-clean",
                                            ["--duration", "0.3", "--timeout", "10"], timeout=60)
        return rc == 0 and rep is not None and rep["frames"] >= 1, "remote3d-client rc %d" % rc
    got = sl.display_after_init("127.0.0.1", a.port, until={sl.MSG_DISPLAY_STREAM_DATA})
    return sl.MSG_DISPLAY_STREAM_DATA in got, "raw client got %s" % sorted(got)


def killed(a, i, rng):
    p = remoteclient.spawn(a.client, a.port, ["--duration", "30"])
    time.sleep(rng.uniform(0.1, 0.8))
    p.send_signal(signal.SIGKILL)
    p.wait()
    return True, "SIGKILL"


def tcp_close(a, i, rng):
    s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
    if i % 2:  # an RST instead of a FIN
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return True, "connect+close"


def garbage(a, i, rng):
    kind = i % 4
    junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
    if kind == 3:  # a linked display channel, then garbage messages
        main, d = sl.display_link("127.0.0.1", a.port)
        sl.display_init(d)
        try:
            d.sock.sendall(junk)
            d.recv(0.2)
        except (OSError, ConnectionError):
            pass
        d.close()
        main.close()
        return True, "garbage after link"
    s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
    try:
        if kind == 1:    # the magic, then an absurd link size
            s.sendall(struct.pack("<IIII", sl.MAGIC, 2, 2, 0xfffffff0) + junk)
        elif kind == 2:  # a proper link message, then a garbage ticket
            mess = struct.pack("<IBBIII", 0, sl.CHANNEL_MAIN, 0, 0, 0, 18)
            s.sendall(struct.pack("<IIII", sl.MAGIC, 2, 2, len(mess)) + mess)
            s.recv(4096)
            s.sendall(junk[:128].ljust(128, b"\x01"))
        else:
            s.sendall(junk)
        s.settimeout(0.3)
        s.recv(4096)
    except OSError:
        pass
    s.close()
    return True, "garbage %d" % kind


def settle(pid, before_fds, timeout=10.0):
    """Wait until QEMU's fd count is back (connections closing take a moment)."""
    end = time.monotonic() + timeout
    while True:
        now = gb.proc_usage(pid)
        if now[0] <= before_fds + FD_SLACK or time.monotonic() > end:
            return now
        time.sleep(0.2)


def first_picture(a, name):
    rc, rep, text, _ = remoteclient.run(a.client, a.port, a.wd, name,
                                        ["--duration", "0.5", "--timeout", "10"], timeout=60)
    if rc != 0 or rep is None:
        gb.log(text)
        gb.fail("%s: remote3d-client got a picture (rc %d)" % (name, rc))
    return rep["time_to_first_frame_ms"]


def case_storm(a):
    a.wd = tempfile.mkdtemp(prefix="r3d-storm-")
    q = gb.FirmwareQemu(a.qemu, "port=%d,addr=127.0.0.1,gl=on,disable-ticketing=on" % a.port,
                        name="storm")
    rng = random.Random(15)
    try:
        time.sleep(3)  # the firmware draws its screen
        gb.check(q.alive(), "QEMU runs with the firmware screen")
        ms = first_picture(a, "warm-up")
        gb.log("warm-up client: first picture after %.0f ms" % ms)
        time.sleep(1)
        before = gb.proc_usage(q.proc.pid)
        gb.log("before the storm: %d fds, RSS %d kB, %d threads" % before)
        kinds = (("clean", clean_close), ("killed", killed), ("tcp", tcp_close),
                 ("garbage", garbage))
        counts = {}
        warm = before
        t0 = time.monotonic()
        for i in range(a.cycles):
            name, fn = kinds[i % len(kinds)]
            ok, what = fn(a, i // len(kinds)) if name == "clean" else fn(a, i // len(kinds), rng)
            if not ok:
                gb.fail("storm cycle %d (%s): %s" % (i + 1, name, what))
            if not q.alive():
                gb.fail("QEMU still runs after storm cycle %d (%s, %s)" % (i + 1, name, what))
            counts[name] = counts.get(name, 0) + 1
            if (i + 1) % 25 == 0:
                now = gb.proc_usage(q.proc.pid)
                gb.log("  after %d cycles: %d fds, RSS %d kB, %d threads" % ((i + 1,) + now))
                if i + 1 == WARM_CYCLES:
                    warm = now
        gb.log("storm: %s in %.1f s" % (counts, time.monotonic() - t0))
        gb.check(sum(counts.values()) == a.cycles, "%d cycles, QEMU alive after every one" % a.cycles)
        after = settle(q.proc.pid, before[0])
        ms = first_picture(a, "after-storm")
        gb.check(ms < FIRST_PICTURE_MS, "after the storm a real client gets a picture within %d ms "
                 "(%.0f ms)" % (FIRST_PICTURE_MS, ms))
        time.sleep(1)
        after = settle(q.proc.pid, before[0])
        gb.log("RESULT storm fds %d -> %d, rss_kb %d -> %d (%+d), threads %d -> %d"
               % (before[0], after[0], before[1], after[1], after[1] - before[1], before[2], after[2]))
        gb.check(after[0] <= before[0] + FD_SLACK,
                 "QEMU's fds are back (%d before, %d after; bound +%d)" % (before[0], after[0], FD_SLACK))
        gb.check(after[1] <= before[1] + RSS_SLACK_KB,
                 "QEMU's RSS is back within %d MiB (%d -> %d kB)"
                 % (RSS_SLACK_KB // 1024, before[1], after[1]))
        gb.check(after[1] <= warm[1] + RSS_LEAK_KB,
                 "and grows by at most %d kB after the first %d cycles (%d -> %d kB: %+d)"
                 % (RSS_LEAK_KB, WARM_CYCLES, warm[1], after[1], after[1] - warm[1]))
        gb.check(after[2] <= before[2] + THREAD_SLACK,
                 "QEMU's threads are back (%d -> %d)" % (before[2], after[2]))
    finally:
        q.check_stopped_by_us()


def case_outage(a):
    if os.geteuid() != 0 or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        gb.log("SKIP: latency-sim needs root and /dev/net/tun")
        sys.exit(gb.SKIP)
    if not a.latency_sim:
        gb.fail("latency-sim was not built (meson gave no path)")
    gb.require_guest_and_qemu(a.qemu, a.qemu_expected)
    wd = tempfile.mkdtemp(prefix="r3d-outage-")
    secret = os.path.join(wd, "secret")
    with open(secret, "w") as f:
        f.write("r3d-outage-%d" % random.randrange(1 << 30))
    spice = "port=%d,addr=0.0.0.0,gl=on,password-secret=sec0" % a.port
    guest = gb.Guest(a.qemu, "probe", duration=600, extra=[
        "-display", "none", "-object", "secret,id=sec0,file=" + secret, "-spice", spice])
    with gb.running(guest, 20):
        if not guest.wait_marker(r"^R3D: probe started", 300):
            gb.fail("the probe started within 300 s (R3D: probe started)")
        ccsv = os.path.join(wd, "client.csv")
        cjson = os.path.join(wd, "client.json")
        seconds = OUTAGE_AT + OUTAGE_S + 5
        argv = [a.latency_sim, "--quiet", "--delay", "25ms", "--rate", "10mbit",
                "--outage", "%gs+%gs" % (OUTAGE_AT, OUTAGE_S), "--",
                "sh", "-c", 'exec "$0" "spice://$LATENCY_SIM_HOST:%d" --duration %d --timeout 20 '
                '--password-file "$1" --csv "$2" --json "$3"' % (a.port, seconds),
                a.client, secret, ccsv, cjson]
        gb.log("run: " + " ".join(argv))
        link_t0 = time.monotonic()  # the link's clock starts a moment later: the figure errs long
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=seconds + 90, preexec_fn=remoteclient.raise_priority)
        gb.log(r.stdout[-3000:])
        gb.check(r.returncode == 0, "the client behind latency-sim ran to the end (rc %d)" % r.returncode)
        with open(ccsv) as f:
            shown = [int(row["display_us"]) / 1e6 - link_t0 for row in csv.DictReader(f)]
        out, back = OUTAGE_AT, OUTAGE_AT + OUTAGE_S
        during = [t for t in shown if out + 0.5 < t < back - 0.1]
        after = [t for t in shown if t >= back]
        before = [t for t in shown if t < out]
        gb.log("frames: %d before the outage, %d during it, %d after the return"
               % (len(before), len(during), len(after)))
        gb.check(len(before) >= 5 and not during,
                 "frames before the outage (%d), none during it (%d)" % (len(before), len(during)))
        resume = after[0] - back if after else None
        gb.log("RESULT outage resume_s=%s" % ("%.3f" % resume if resume is not None else "never"))
        gb.check(resume is not None and resume < RESUME_S,
                 "the picture resumes within %.0f s of the link returning (%s)"
                 % (RESUME_S, "%.2f s" % resume if resume is not None else "never"))
        gb.check(len(after) >= 10, "and goes on (%d frames after the return)" % len(after))
        gb.check(guest.proc.poll() is None, "QEMU still running")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["storm", "outage"])
    gb.add_qemu_options(ap)
    ap.add_argument("--client", required=True)
    ap.add_argument("--latency-sim")
    ap.add_argument("--port", type=int, default=6110)
    ap.add_argument("--cycles", type=int, default=CYCLES, help="storm: connect/disconnect cycles")
    a = ap.parse_args()
    gb.require_qemu(a.qemu, a.qemu_expected)
    {"storm": case_storm, "outage": case_outage}[a.case](a)


if __name__ == "__main__":
    main()
