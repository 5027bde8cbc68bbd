#!/usr/bin/env python3
"""The patched QEMU: spice gl=on for remote clients and EGL without a render
node (qemu-patches/).

usage: test_qemu_spice_remote_gl.py CASE [--qemu PATH] [--qemu-expected] [--port N]
CASE:
  starts      the unpatched errors are gone: -display egl-headless and
              -spice port=...,gl=on start with virtio-vga-gl on a host
              without a render node (no "no drm render node", no
              "local-only"), and stay up
  bad-options a bad video-codec, max-refresh-rate, bitrate (a hex number
              too: values are decimal) or encoder, min-bitrate above
              max-bitrate, bounds with rate-control=off, and the stream
              options without gl=on + port, are refused at start with a
              message naming the option and its value
(The guest streamed to remote clients: test_guest_remote_clients.py.)
Ports 5960-5979 belong to these tests.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guestboot as gb  # noqa: E402

BASE = ["-nodefaults", "-machine", "q35", "-m", "256", "-serial", "none",
        "-monitor", "none", "-accel", "tcg"]


def start_qemu(qemu, extra, wd):
    err = os.path.join(wd, "qemu.err")
    proc = subprocess.Popen([qemu] + BASE + extra, stdout=subprocess.DEVNULL,
                            stderr=open(err, "w"), start_new_session=True)
    return proc, err


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def case_starts(a):
    wd = tempfile.mkdtemp(prefix="r3d-qemu-")
    for name, extra in (
            ("egl-headless", ["-display", "egl-headless", "-device", "virtio-vga-gl"]),
            ("spice port gl=on", ["-display", "none", "-device", "virtio-vga-gl",
                                  "-spice", "port=%d,addr=127.0.0.1,disable-ticketing=on,gl=on"
                                  % a.port])):
        proc, err = start_qemu(a.qemu, extra, wd)
        time.sleep(6)
        alive = proc.poll() is None
        stop(proc)
        text = read(err)
        gb.log("--- %s: stderr ---\n%s" % (name, text.strip()))
        gb.check("no drm render node available" not in text and "render node init failed" not in text,
                 "%s: no 'no drm render node available' error" % name)
        gb.check("local-only" not in text, "%s: no 'local-only' error" % name)
        gb.check(alive, "%s: QEMU is still running after 6 s" % name)


def case_bad_options(a):
    wd = tempfile.mkdtemp(prefix="r3d-qemu-")
    spice = "port=%d,addr=127.0.0.1,disable-ticketing=on" % a.port
    for opt, want in (("gl=on,video-codec=vp8", "video-codec=vp8"),
                      ("gl=on,max-refresh-rate=100000", "max-refresh-rate"),
                      ("gl=on,bitrate=abc", "bitrate=abc"),
                      ("gl=on,bitrate=0x10", "bitrate=0x10"),
                      ("gl=on,min-bitrate=900,max-bitrate=800",
                       "min-bitrate=900 is above max-bitrate=800"),
                      ("gl=on,rate-control=off,max-bitrate=800", "need rate-control=on"),
                      ("gl=on,encoder=no-such-encoder", "encoder=no-such-encoder"),
                      ("encoder=x264", "need gl=on")):
        proc, err = start_qemu(a.qemu, ["-display", "none", "-device", "virtio-vga-gl",
                                        "-spice", spice + "," + opt], wd)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            stop(proc)
            gb.fail("-spice ...,%s was refused at start (QEMU kept running)" % opt)
        text = read(err).strip()
        gb.log("%s -> rc %d: %s" % (opt, rc, text))
        gb.check(rc != 0 and want in text,
                 "-spice ...,%s is refused at start with a message naming '%s'" % (opt, want))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["starts", "bad-options"])
    ap.add_argument("--qemu", default=gb.DEFAULT_QEMU)
    ap.add_argument("--qemu-expected", action="store_true")
    ap.add_argument("--port", type=int, default=5960)
    a = ap.parse_args()
    if not os.access(a.qemu, os.X_OK):
        if a.qemu_expected:
            gb.fail("%s is missing although the build makes it (make build)" % a.qemu)
        gb.log("SKIP: no patched QEMU at %s" % a.qemu)
        sys.exit(gb.SKIP)
    {"starts": case_starts, "bad-options": case_bad_options}[a.case](a)


if __name__ == "__main__":
    main()
