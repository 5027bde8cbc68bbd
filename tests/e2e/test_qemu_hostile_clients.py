#!/usr/bin/env python3
"""A hostile SPICE client must never take the VM down nor stall it: the
patched QEMU (firmware screen, no guest kernel needed) against raw SPICE
links written as an attacker would (tests/integration/spicelink.py).

usage: test_qemu_hostile_clients.py CASE [--qemu PATH] [--qemu-expected] [--port N]
CASE:
  withheld-init-gl   -spice port=...,gl=on with virtio-vga-gl
  withheld-init-vga  gl off, -device VGA (the stock 2D path)
Each case: 5 display channels that link, never send DISPLAY_INIT and
close; one that holds its link until the server drops it (5 s); the whole
time a QMP client asks query-status every 20 ms and must be answered
within 100 ms; afterwards QEMU runs, and a client that sends its init gets
the display (surface + drawing or the H.264 stream) within 3 s.
Ports 5962-5963 belong to these tests.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import guestboot as gb  # noqa: E402
import spicelink as sl  # noqa: E402


class Qmp:
    """query-status every 20 ms on its own thread; the slowest answer kept."""

    def __init__(self, path):
        deadline = time.monotonic() + 20
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.f = self.sock.makefile("rwb", buffering=0)
        self._read()  # greeting
        self._call("qmp_capabilities")
        self.worst_ms = 0.0
        self.calls = 0
        self.unanswered = None
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            line = self.f.readline()
            if not line:
                raise ConnectionError("QMP closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def _call(self, cmd):
        self.f.write(json.dumps({"execute": cmd}).encode() + b"\n")
        return self._read()

    def _run(self):
        self.sock.settimeout(30)
        while not self.stop:
            t0 = time.monotonic()
            try:
                reply = self._call("query-status")
            except (OSError, ValueError, ConnectionError) as e:
                self.unanswered = str(e)
                return
            ms = (time.monotonic() - t0) * 1000
            if "return" not in reply:
                self.unanswered = "query-status: %s" % reply
                return
            self.worst_ms = max(self.worst_ms, ms)
            self.calls += 1
            time.sleep(0.02)

    def finish(self):
        self.stop = True
        self.thread.join(35)


def case_withheld_init(a, device, gl):
    spice = "port=%d,addr=127.0.0.1,disable-ticketing=on" % a.port + (",gl=on" if gl else "")
    q = gb.FirmwareQemu(a.qemu, spice, device, name="hostile")
    proc = q.proc
    try:
        qmp = Qmp(q.qmp_path)
        time.sleep(3)  # the firmware draws its screen
        for i in range(5):
            main, d = sl.display_link("127.0.0.1", a.port)
            time.sleep(0.5)
            d.close()
            main.close()
            time.sleep(0.3)
            gb.check(proc.poll() is None, "QEMU alive after withheld-init client %d closed" % (i + 1))
        main, d = sl.display_link("127.0.0.1", a.port)
        t0 = time.monotonic()
        dropped_after = None
        try:
            while time.monotonic() - t0 < 15:
                d.recv(15)
        except ConnectionError:
            dropped_after = time.monotonic() - t0
        d.close()
        main.close()
        gb.check(dropped_after is not None and dropped_after < 8,
                 "a client holding its link without DISPLAY_INIT is dropped by the server "
                 "(after %s s)" % ("%.1f" % dropped_after if dropped_after else "> 15"))
        got = sl.display_after_init("127.0.0.1", a.port)
        gb.log("a well-behaved client got message types %s" % sorted(got))
        gb.check(sl.MSG_DISPLAY_SURFACE_CREATE in got and got & sl.PICTURE,
                 "a client sending DISPLAY_INIT afterwards gets the surface and a picture "
                 "(DRAW_COPY or STREAM_DATA) within 3 s")
        qmp.finish()
        gb.check(qmp.unanswered is None, "QMP answered throughout (%s)" % (qmp.unanswered or "ok"))
        gb.log("QMP: %d query-status, slowest %.1f ms" % (qmp.calls, qmp.worst_ms))
        gb.check(qmp.calls > 100 and qmp.worst_ms < 100,
                 "QMP answered within 100 ms throughout (slowest %.1f ms of %d)" %
                 (qmp.worst_ms, qmp.calls))
        gb.check(proc.poll() is None, "QEMU still running")
    finally:
        q.check_stopped_by_us()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["withheld-init-gl", "withheld-init-vga"])
    gb.add_qemu_options(ap)
    ap.add_argument("--port", type=int, default=5962)
    a = ap.parse_args()
    gb.require_qemu(a.qemu, a.qemu_expected)
    if a.case == "withheld-init-gl":
        case_withheld_init(a, "virtio-vga-gl", True)
    else:
        case_withheld_init(a, "VGA", False)


if __name__ == "__main__":
    main()
