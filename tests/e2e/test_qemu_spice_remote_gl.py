#!/usr/bin/env python3
"""The patched QEMU: spice gl=on for remote clients and EGL without a render
node (qemu-patches/).

usage: test_qemu_spice_remote_gl.py CASE [--qemu PATH] [--qemu-expected]
                                    [--client PATH] [--port N] [--duration S]
CASE:
  starts      the unpatched errors are gone: -display egl-headless and
              -spice port=...,gl=on start with virtio-vga-gl on a host
              without a render node (no "no drm render node", no
              "local-only"), and stay up
  bad-options a bad video-codec, max-refresh-rate, bitrate or encoder, and
              the stream options without gl=on + port, are refused at start
              with a message naming the option
  stream      the test guest's probe renders through virgl and a remote
              client (remote3d-client over TCP) receives >= DURATION s of
              H.264 frames whose stamps increase
Ports 5960-5979 belong to these tests.
"""
import argparse
import json
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
                      ("gl=on,bitrate=abc", "bitrate"),
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


def case_stream(a):
    gb.require_guest_and_qemu(a.qemu, a.qemu_expected)
    if not a.client or not os.access(a.client, os.X_OK):
        gb.fail("remote3d-client is not built (%s)" % a.client)
    spice = "port=%d,addr=127.0.0.1,disable-ticketing=on,gl=on" % a.port
    g = gb.Guest(a.qemu, "probe", duration=a.duration + 120,
                 extra=["-display", "none", "-spice", spice])
    try:
        m = g.wait_marker(r"^R3D: probe started (\d+)x(\d+) renderer=(.*)$", 300)
        if not m:
            g.dump()
            gb.fail("the probe started within 300 s (R3D: probe started)")
        gb.check("virgl" in m.group(3), "the probe renders through virgl (%s)" % m.group(3))
        js = os.path.join(g.wd, "client.json")
        cmd = [a.client, "--duration", str(a.duration), "--timeout", "30",
               "--json", js, "spice://127.0.0.1:%d" % a.port]
        gb.log("client: " + " ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.duration + 120)
        gb.log(r.stdout + r.stderr)
        gb.check(r.returncode == 0, "remote3d-client exited with 0 (got %d)" % r.returncode)
        rep = json.load(open(js))
        gb.check(rep.get("codec", "").lower().find("h264") >= 0 or
                 "h264" in rep.get("stream_caps", "").lower(),
                 "the stream is H.264 (%s / %s)" % (rep.get("codec"), rep.get("stream_caps")))
        gb.check(rep["seconds"] >= a.duration * 0.9,
                 "frames for %.1f s (>= %d s)" % (rep["seconds"], a.duration))
        gb.check(rep["frames"] >= a.duration,
                 "at least one frame per second on average (%d frames, %.1f fps)"
                 % (rep["frames"], rep["fps"]))
        gb.check(rep["last_frame"] > rep["first_frame"],
                 "the stamps increase (%d .. %d)" % (rep["first_frame"], rep["last_frame"]))
        gb.check((rep["width"], rep["height"]) == (int(m.group(1)), int(m.group(2))),
                 "the stream has the guest's size (%dx%d)" % (rep["width"], rep["height"]))
        err = g.stderr()
        gb.check("local-only" not in err and "no drm render node available" not in err,
                 "QEMU printed neither 'local-only' nor 'no drm render node'")
        gb.check(g.proc.poll() is None, "QEMU is still running")
    except SystemExit:
        g.dump()
        raise
    finally:
        g.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["starts", "bad-options", "stream"])
    ap.add_argument("--qemu", default=gb.DEFAULT_QEMU)
    ap.add_argument("--qemu-expected", action="store_true")
    ap.add_argument("--client")
    ap.add_argument("--port", type=int, default=5960)
    ap.add_argument("--duration", type=int, default=10)
    a = ap.parse_args()
    if not os.access(a.qemu, os.X_OK):
        if a.qemu_expected:
            gb.fail("%s is missing although the build makes it (make build)" % a.qemu)
        gb.log("SKIP: no patched QEMU at %s" % a.qemu)
        sys.exit(gb.SKIP)
    {"starts": case_starts, "bad-options": case_bad_options, "stream": case_stream}[a.case](a)


if __name__ == "__main__":
    main()
