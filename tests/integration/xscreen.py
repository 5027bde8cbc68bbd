"""Watching a stock SPICE client's window (python3 stdlib only): an Xvfb of
the test's own, screenshots of the whole X screen (GStreamer's ximagesrc),
and the frame stamps (tests/lib/stamp.h) found in them by
remote3d-stamp-read. Used by the integration test with remote3d-testsrc and
the end-to-end test with the guest.

Errors raise XscreenError with a message that says what was expected.
"""
import os
import shutil
import subprocess
import time


class XscreenError(Exception):
    pass


def require_programs(progs=("Xvfb", "spicy", "gst-launch-1.0")):
    for prog in progs:
        if not shutil.which(prog):
            raise XscreenError("%s is not installed (make deps installs it)" % prog)


def start_xvfb(display, spawn, wd, screen="1600x1200x24"):
    """Start Xvfb on `display` with spawn(argv, name, wd) (r3dtest.spawn);
    returns the process once its socket exists."""
    xvfb = spawn(["Xvfb", display, "-screen", "0", screen, "-nolisten", "tcp"], "xvfb", wd)
    sock = "/tmp/.X11-unix/X" + display.lstrip(":")
    for _ in range(100):
        if os.path.exists(sock) or xvfb.poll() is not None:
            break
        time.sleep(0.1)
    if xvfb.poll() is not None:
        raise XscreenError("Xvfb %s did not start (is the display taken?)" % display)
    return xvfb


def client_env(display):
    """The environment for an X client on `display`."""
    env = dict(os.environ, DISPLAY=display)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def screenshot(display, path):
    """Write the whole X screen as PNG to path."""
    r = subprocess.run(["gst-launch-1.0", "-q", "ximagesrc", "display-name=" + display,
                        "use-damage=false", "num-buffers=1", "!", "videoconvert", "!",
                        "pngenc", "!", "filesink", "location=" + path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    if r.returncode != 0:
        raise XscreenError("screenshot of %s failed: %s" % (display, r.stdout))


def read_stamp(stamp_read, path, log=print):
    """(frame, time_us) of the stamp found in the PNG, or None."""
    r = subprocess.run([stamp_read, path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    log("%s: %s" % (os.path.basename(path), r.stdout.strip()))
    if r.returncode != 0:
        return None
    f = r.stdout.split()
    return int(f[1]), int(f[3])


def watch_stamps(display, stamp_read, wd, count=2, timeout=60, interval=2,
                 check_alive=None, log=print):
    """Take a screenshot every `interval` s until `count` screenshots hold
    stamps, each newer than the one before, or `timeout` s passed.
    check_alive() may raise XscreenError (a client or server exited).
    Returns the stamps found; the screenshots stay in wd."""
    stamps = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(stamps) < count:
        if check_alive:
            check_alive()
        time.sleep(interval)
        shot = os.path.join(wd, "screen-%d.png" % len(stamps))
        screenshot(display, shot)
        st = read_stamp(stamp_read, shot, log)
        if st and (not stamps or st[0] > stamps[-1][0]):
            stamps.append(st)
    return stamps


def watch_client(argv, name, display, stamp_read, wd, spawn, stop, tail, server_alive,
                 env=None, timeout=60, log=print):
    """A stock client in an Xvfb of its own: start Xvfb on `display`, then
    argv (spawn/stop/tail: r3dtest's; env added to the X client's), and
    watch_stamps() until two increasing stamps or timeout s; client and
    Xvfb are stopped afterwards. server_alive() is False once the server
    exited. Returns the stamps; raises XscreenError."""
    xvfb = start_xvfb(display, spawn, wd)
    try:
        client = spawn(argv, name, wd, env=dict(client_env(display), **(env or {})))

        def alive():
            if client.poll() is not None:
                raise XscreenError("%s exited with %s\n%s" % (name, client.returncode, tail(client)))
            if not server_alive():
                raise XscreenError("the server exited")

        try:
            return watch_stamps(display, stamp_read, wd, timeout=timeout, check_alive=alive, log=log)
        finally:
            stop(client)
    finally:
        stop(xvfb)
