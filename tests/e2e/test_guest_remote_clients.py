#!/usr/bin/env python3
"""Remote clients of the real VM: the test guest's probe renders through
virgl under the patched QEMU (-device virtio-vga-gl -spice port=...,gl=on)
and, with ONE boot (each costs 20-40 s under TCG), remote clients over TCP
prove, in this order:

  stream     remote3d-client receives >= 10 s of H.264 frames of the
             guest's size whose stamps increase (the guest's own rendering)
  reconnect  20 clients one after the other, with clients killed mid-stream
             (SIGKILL, no goodbye) in between, the first followed by a
             4 s gap (its readings stop, the stream stalls, then the next
             client comes): every one gets a picture (a
             stamped frame newer than the previous client's) within 1 s of
             connecting, starting at a keyframe; QEMU keeps running; while
             no client is connected (after the last) QEMU's stream
             summary (R3D_STATS) says nothing was encoded
  input      input-to-photon: remote3d-client presses a key >= 50 times and
             watches the probe's marker (64 px at (528, 0)): every press
             reaches the guest (its console counts them) and every marker
             change is seen; prints p50/p95
  spicy      the stock client: spicy under Xvfb shows the guest's frames
             (stamps read from two screenshots, the second newer)
and at the end QEMU still runs and printed neither "local-only" nor "no
drm render node available".

usage: test_guest_remote_clients.py [--qemu PATH] [--qemu-expected]
         --client PATH --stamp-read PATH [--port N] [--display :N]
         [--cases stream,reconnect,input,spicy] [--attach]
--attach: use a guest already serving on --port (development), no boot.
Ports 5980-5999 and X displays :40-:49 belong to the guest's tests.
"""
import argparse
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import guestboot as gb  # noqa: E402
import remoteclient  # noqa: E402
import r3dtest  # noqa: E402  (spawn/stop/tail of background programs)
import xscreen  # noqa: E402

FIRST_PICTURE_MS = 1000
STATS_S = 0.5  # R3D_STATS: QEMU logs the stream's summary this often
CASES = ("stream", "reconnect", "input", "spicy")


class Ctx:
    def __init__(self, a, guest, size):
        self.a = a
        self.guest = guest
        self.size = size
        self.wd = guest.wd if guest else r3dtest.workdir()
        self.last_frame = -1  # a first stamp may be 0 (--cases reconnect alone)

    def qemu_alive(self):
        return self.guest is None or self.guest.proc.poll() is None

    def client(self, name, opts, timeout=120, spice_debug=False):
        rc, rep, text, times = remoteclient.run(self.a.client, self.a.port, self.wd, name,
                                                opts, timeout, spice_debug)
        return rc, rep, text, times


def case_stream(c):
    secs = c.a.stream_seconds
    rc, rep, text, _ = c.client("stream", ["--duration", str(secs), "--timeout", "30"],
                                timeout=secs + 120)
    gb.log(text)
    gb.check(rc == 0 and rep is not None, "stream: remote3d-client exited with 0 (got %d)" % rc)
    gb.check("h264" in (rep.get("codec") or "").lower() or "h264" in (rep.get("stream_caps") or "").lower(),
             "stream: the stream is H.264 (%s / %s)" % (rep.get("codec"), rep.get("stream_caps")))
    gb.check(rep["seconds"] >= secs * 0.9, "stream: frames for %.1f s (>= %d s)" % (rep["seconds"], secs))
    gb.check(rep["frames"] >= secs,
             "stream: at least one frame per second on average (%d frames, %.1f fps)"
             % (rep["frames"], rep["fps"]))
    gb.check(rep["non_increasing"] == 0 and rep["last_frame"] > rep["first_frame"],
             "stream: the stamps increase (%d .. %d, %d out of order)"
             % (rep["first_frame"], rep["last_frame"], rep["non_increasing"]))
    if c.size:
        gb.check((rep["width"], rep["height"]) == c.size,
                 "stream: the stream has the guest's size (%dx%d)" % (rep["width"], rep["height"]))
    c.last_frame = rep["last_frame"]
    gb.check(c.qemu_alive(), "stream: QEMU is still running")


def case_reconnect(c):
    n = c.a.reconnects
    kill_every = 5
    rows = []
    for i in range(1, n + 1):
        rc, rep, text, times = c.client("reconnect-%02d" % i,
                                        ["--frames", "1", "--timeout", "10"],
                                        timeout=60, spice_debug=True)
        if rc != 0 or rep is None or rep["frames"] < 1:
            gb.log(text)
            gb.fail("reconnect %d: the client got a picture (rc %d)" % (i, rc))
        ms = rep["time_to_first_frame_ms"]
        rows.append((i, ms, times.get("stream_create_ms"), times.get("first_data_ms"),
                     rep["first_frame"], rep.get("first_access_unit_keyframe")))
        fmt = lambda v: "%6.0f" % v if v is not None else "   n/a"
        gb.log("reconnect %2d: first picture %6.0f ms (stream created %s ms, first data %s ms "
               "after connecting), frame %d" % (i, ms, fmt(times.get("stream_create_ms")),
                                                fmt(times.get("first_data_ms")), rep["first_frame"]))
        if ms > FIRST_PICTURE_MS:
            gb.log(text)
            gb.fail("reconnect %d: a picture within %d ms (got %.0f ms)" % (i, FIRST_PICTURE_MS, ms))
        if not rep.get("first_access_unit_keyframe"):
            gb.fail("reconnect %d: the first access unit is a keyframe" % i)
        if rep["first_frame"] <= c.last_frame:
            gb.fail("reconnect %d: a live picture, newer than the previous client's (frame %d <= %d)"
                    % (i, rep["first_frame"], c.last_frame))
        c.last_frame = rep["last_frame"]
        if not c.qemu_alive():
            gb.fail("reconnect %d: QEMU is still running" % i)
        if i % kill_every == 0 and i < n:
            # a client that vanishes mid-stream: no clean disconnect
            p = remoteclient.spawn(c.a.client, c.a.port, ["--duration", "30"])
            time.sleep(2)
            p.send_signal(signal.SIGKILL)
            p.wait()
            # after the first, the next client comes seconds later: QEMU
            # has seen the dead socket's readings stop and its stream
            # stall (rate control once cut to its minimum there, and the
            # next client's stamps were unreadable for seconds under load)
            gap = c.a.gap_after_kill if i == kill_every else 0
            time.sleep(gap)
            gb.log("reconnect %2d+: a client killed (SIGKILL) 2 s into its stream%s"
                   % (i, ", the next %.0f s later" % gap if gap else ""))
            if not c.qemu_alive():
                gb.fail("QEMU is still running after a client was killed mid-stream")
    firsts = sorted(r[1] for r in rows)
    data = sorted(r[3] for r in rows if r[3] is not None)
    if c.guest:
        nothing_encoded_without_client(c)
    gb.check(len(rows) == n, "reconnect: %d clients in a row each got a picture within %d ms, "
             "starting at a keyframe, newer than the one before (%d killed mid-stream in between)"
             % (n, FIRST_PICTURE_MS, (n - 1) // kill_every))
    gb.log("RESULT reconnect first_picture_ms min=%.0f p50=%.0f max=%.0f first_data_ms p50=%s max=%s"
           % (firsts[0], firsts[len(firsts) // 2], firsts[-1],
              "%.0f" % data[len(data) // 2] if data else "n/a", "%.0f" % data[-1] if data else "n/a"))
    gb.check(c.qemu_alive(), "reconnect: QEMU is still running")


def stream_summaries(c):
    return re.findall(r"stream stats, last [0-9.]+ s: .*?encoded ([0-9.]+)/s", c.guest.stderr())


def nothing_encoded_without_client(c):
    """QEMU's summary lines (every STATS_S) while nobody is connected."""
    time.sleep(1.0)  # spice-server notices the closed socket; one summary spans it
    before = len(stream_summaries(c))
    time.sleep(6 * STATS_S)
    rates = stream_summaries(c)[before:]
    gb.check(len(rates) >= 3 and all(float(r) == 0 for r in rates),
             "reconnect: no client connected: QEMU encoded nothing (%d summaries, encoded/s %s)"
             % (len(rates), ", ".join(rates)))


def guest_key_presses(c):
    if not c.guest:
        return None
    m = re.findall(r"^R3D: probe key code=\d+ presses=(\d+)", c.guest.text(), re.M)
    return int(m[-1]) if m else 0


def case_input(c):
    keys = c.a.keys
    before = guest_key_presses(c)
    rc, rep, text, _ = c.client("input", ["--keys", str(keys), "--key-interval",
                                          str(c.a.key_interval), "--timeout", "10"],
                                timeout=keys * (c.a.key_interval / 1000.0 + 3.5) + 60)
    gb.log(text)
    gb.check(rc == 0 and rep is not None, "input: remote3d-client exited with 0 (got %d)" % rc)
    d = rep["input_to_photon_ms"]
    gb.check(rep["keys_sent"] == keys, "input: %d key presses sent (got %d)" % (keys, rep["keys_sent"]))
    gb.check(d["n"] == keys, "input: every press changed the marker in the decoded picture "
             "(%d of %d seen)" % (d["n"], keys))
    if before is not None:
        after = None
        for _ in range(50):  # the console file lags a little
            after = guest_key_presses(c)
            if after - before >= keys:
                break
            time.sleep(0.1)
        gb.check(after - before == keys, "input: the guest counted %d key presses (got %d)"
                 % (keys, after - before))
    gb.log("RESULT input_to_photon_ms p50=%.1f p95=%.1f max=%.1f n=%d"
           % (d["p50"], d["p95"], d["max"], d["n"]))
    gb.check(c.qemu_alive(), "input: QEMU is still running")


def case_spicy(c):
    try:
        xscreen.require_programs()
        stamps = xscreen.watch_client(["spicy", "-h", "127.0.0.1", "-p", str(c.a.port)], "spicy",
                                      c.a.display, c.a.stamp_read, c.wd, r3dtest.spawn, r3dtest.stop,
                                      r3dtest.tail, c.qemu_alive, timeout=90, log=gb.log)
    except xscreen.XscreenError as e:
        gb.fail(str(e))
    if not stamps:
        gb.fail("spicy: a frame stamp in a screenshot of spicy's window (kept in %s)" % c.wd)
    gb.check(len(stamps) >= 1, "spicy: a screenshot of spicy's window holds the guest's frame stamp "
             "(frame %d)" % stamps[0][0])
    gb.check(len(stamps) == 2, "spicy: a later screenshot holds a newer stamp (frame %d): the guest "
             "is live in spicy" % stamps[-1][0])
    gb.check(c.qemu_alive(), "spicy: QEMU is still running")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", default=gb.DEFAULT_QEMU)
    ap.add_argument("--qemu-expected", action="store_true")
    ap.add_argument("--client")
    ap.add_argument("--stamp-read")
    ap.add_argument("--port", type=int, default=5981)
    ap.add_argument("--display", default=":40")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--attach", action="store_true")
    ap.add_argument("--stream-seconds", type=int, default=10)
    ap.add_argument("--reconnects", type=int, default=20)
    ap.add_argument("--gap-after-kill", type=float, default=4,
                    help="seconds between the first killed client and the next")
    ap.add_argument("--keys", type=int, default=50)
    ap.add_argument("--key-interval", type=int, default=250)
    a = ap.parse_args()
    cases = [x for x in a.cases.split(",") if x]
    for x in cases:
        if x not in CASES:
            gb.fail("unknown case %s (cases: %s)" % (x, ", ".join(CASES)))
    for what, path in (("remote3d-client", a.client), ("remote3d-stamp-read", a.stamp_read)):
        if not path or not os.access(path, os.X_OK):
            gb.fail("%s is not built (%s)" % (what, path))

    guest = None
    size = None
    if not a.attach:
        gb.require_guest_and_qemu(a.qemu, a.qemu_expected)
        spice = "port=%d,addr=127.0.0.1,disable-ticketing=on,gl=on" % a.port
        guest = gb.Guest(a.qemu, "probe", duration=1200, extra=["-display", "none", "-spice", spice],
                         env={"R3D_STATS": str(STATS_S)})
    try:
        if guest:
            m = guest.wait_marker(r"^R3D: probe started (\d+)x(\d+) renderer=(.*)$", 300)
            if not m:
                guest.dump()
                gb.fail("the probe started within 300 s (R3D: probe started)")
            gb.log("guest: probe started %.1f s after boot" % (time.monotonic() - guest.start))
            gb.check("virgl" in m.group(3), "the probe renders through virgl (%s)" % m.group(3))
            size = (int(m.group(1)), int(m.group(2)))
        c = Ctx(a, guest, size)
        for name in cases:
            t0 = time.monotonic()
            gb.log("=== %s ===" % name)
            {"stream": case_stream, "reconnect": case_reconnect, "input": case_input,
             "spicy": case_spicy}[name](c)
            gb.log("=== %s: %.1f s ===" % (name, time.monotonic() - t0))
        if guest:
            err = guest.stderr()
            gb.check("local-only" not in err and "no drm render node available" not in err,
                     "QEMU printed neither 'local-only' nor 'no drm render node available'")
            gb.check(guest.proc.poll() is None, "QEMU is still running at the end")
    except SystemExit:
        if guest:
            guest.dump(30)
        raise
    finally:
        if guest:
            guest.stop()


if __name__ == "__main__":
    main()
