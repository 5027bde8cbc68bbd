"""Boot the remote3d test guest for a test and read its serial console
(python3 stdlib only).

The guest (tools/build-guest.sh) prints "R3D: ..." marker lines on its
console (see guest/init and guest/probe/main.c); this module starts
guest/run-guest.sh with the console in a file, waits for markers and parses
them. Paths: the repository root is two levels up; the build dir is
$R3D_BUILD (default <root>/_build), the QEMU binary $R3D_PREFIX/bin/...
(default <root>/_build/prefix/bin/qemu-system-x86_64) unless --qemu is given.
"""
import contextlib
import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("R3D_BUILD") or os.path.join(ROOT, "_build")
PREFIX = os.environ.get("R3D_PREFIX") or os.path.join(BUILD, "prefix")
DEFAULT_QEMU = os.path.join(PREFIX, "bin", "qemu-system-x86_64")
# the dfsg QEMU source ships no firmware: Debian's seabios/ipxe packages have it
FIRMWARE = [arg for d in ("/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu")
            if os.path.isdir(d) for arg in ("-L", d)]


def log(msg):
    print(msg, flush=True)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    log("ok: " + msg)


def add_qemu_options(ap):
    """--qemu PATH and --qemu-expected on an argparse parser."""
    ap.add_argument("--qemu", default=DEFAULT_QEMU)
    ap.add_argument("--qemu-expected", action="store_true")


@contextlib.contextmanager
def running(guest, dump_lines=30):
    """The guest is stopped when the block ends; a failure inside it dumps
    the guest's console first."""
    try:
        yield guest
    except SystemExit:
        guest.dump(dump_lines)
        raise
    finally:
        guest.stop()


def require_guest_and_qemu(qemu, qemu_expected):
    """Fail when the guest or an expected QEMU is missing; skip (77) only
    when the build does not make a patched QEMU at all."""
    for f in ("vmlinuz", "initrd.img"):
        path = os.path.join(BUILD, "guest", f)
        if not os.path.isfile(path):
            fail("%s is missing: 'make build' (make guest) builds the test guest" % path)
    require_qemu(qemu, qemu_expected)


def require_qemu(qemu, qemu_expected):
    """The patched QEMU (no guest needed): fail when an expected one is
    missing, skip (77) when this build makes none."""
    if not os.access(qemu, os.X_OK):
        if qemu_expected:
            fail("%s is missing although the build makes it (make build)" % qemu)
        log("SKIP: no patched QEMU at %s and this build does not make one" % qemu)
        sys.exit(SKIP)


def thread_names(pid):
    """The names (comm) of a process's threads."""
    names = []
    for task in glob.glob("/proc/%d/task/*/comm" % pid):
        try:
            with open(task) as f:
                names.append(f.read().strip())
        except OSError:
            pass
    return names


def proc_usage(pid):
    """(open fds, VmRSS in kB, threads) of a running process, from /proc."""
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = threads = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return fds, rss, threads


class FirmwareQemu:
    """The patched QEMU without a guest kernel: the firmware's screen on
    `device` (SeaBIOS, then iPXE), `-spice` options as given, a QMP socket
    (self.qmp_path) and stderr in a file. Starts at once; stop() ends it."""

    def __init__(self, qemu, spice, device="virtio-vga-gl", extra=(), name="qemu"):
        self.wd = tempfile.mkdtemp(prefix="r3d-%s-" % name)
        self.qmp_path = os.path.join(self.wd, "qmp.sock")
        self.stderr_path = os.path.join(self.wd, "qemu.err")
        argv = [qemu, "-nodefaults", "-machine", "q35", "-m", "256", "-serial", "none",
                "-monitor", "none", "-accel", "tcg", "-display", "none", "-device", device,
                "-spice", spice, "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path]
        argv += list(extra) + FIRMWARE
        log("start: " + " ".join(argv))
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=open(self.stderr_path, "w"), start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM (SIGKILL after 10 s); logs QEMU's stderr; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        log("--- QEMU stderr ---\n" + self.stderr().strip()[-3000:])
        return self.proc.returncode

    def check_stopped_by_us(self):
        rc = self.stop()
        check(rc in (0, -15, 143), "QEMU exited by our SIGTERM, not by a crash (rc %s)" % rc)


class Guest:
    """One guest/run-guest.sh process; its console goes to self.console."""

    def __init__(self, qemu, run, duration=None, args=None, extra=(), gl="on",
                 mode="1280x720", fps=0, env=None):
        self.wd = tempfile.mkdtemp(prefix="r3d-e2e-")
        self.console = os.path.join(self.wd, "console.log")
        open(self.console, "w").close()
        argv = [os.path.join(ROOT, "guest", "run-guest.sh"), "--qemu", qemu,
                "--run", run, "--gl", gl, "--mode", mode, "--serial", self.console]
        if duration:
            argv += ["--duration", str(duration)]
        if fps:
            argv += ["--fps", str(fps)]
        if args:
            argv += ["--args", args]
        argv += ["--"] + list(extra)
        self.stderr_path = os.path.join(self.wd, "qemu.err")
        log("start: " + " ".join(argv))
        self.start = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=open(os.path.join(self.wd, "qemu.out"), "w"),
                                     stderr=open(self.stderr_path, "w"),
                                     start_new_session=True,
                                     env=dict(os.environ, **env) if env else None)

    def text(self):
        with open(self.console, errors="replace") as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def wait_marker(self, pattern, timeout):
        """Wait for a console line matching the regex; returns the match."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = rx.search(self.text())
            if m:
                return m
            if self.proc.poll() is not None:
                m = rx.search(self.text())
                if m:
                    return m
                break
            time.sleep(0.2)
        return None

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()

    def dump(self, n=60):
        lines = self.text().splitlines()[-n:]
        log("--- guest console (last %d lines) ---" % len(lines))
        for line in lines:
            log("  " + line)
        err = self.stderr().strip()
        if err:
            log("--- run-guest/QEMU stderr ---")
            for line in err.splitlines()[-20:]:
                log("  " + line)
