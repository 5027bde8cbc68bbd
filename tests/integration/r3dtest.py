"""Helpers shared by remote3d's integration tests (python3 stdlib only).

Each test starts what it needs on loopback (ports 5920-5939, X displays
:20-:29), kills it afterwards, and fails with a message that says what
was expected. Paths of the built programs come from meson on the command
line: --testsrc, --client, --stamp-read, --screen-watch.
"""
import argparse
import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
_procs = []


def parse_args(extra=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--testsrc")
    ap.add_argument("--client")
    ap.add_argument("--stamp-read")
    ap.add_argument("--screen-watch")
    ap.add_argument("--fixture")
    ap.add_argument("--port", type=int, default=5920)
    if extra:
        extra(ap)
    return ap.parse_args()


def log(msg):
    print(msg, flush=True)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    log("ok: " + msg)


def workdir():
    d = tempfile.mkdtemp(prefix="r3d-it-")
    return d


def _cleanup():
    for p in reversed(_procs):
        stop(p)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def spawn(argv, name, wd, env=None):
    """Start a background process; its stdout/stderr go to files in wd."""
    out = open(os.path.join(wd, name + ".out"), "w")
    err = open(os.path.join(wd, name + ".err"), "w")
    log("start: " + " ".join(argv))
    p = subprocess.Popen(argv, stdout=out, stderr=err, env=env,
                         start_new_session=True)
    p.r3d_name = name
    p.r3d_wd = wd
    _procs.append(p)
    return p


def tail(p, n=20):
    text = ""
    for ext in ("out", "err"):
        path = os.path.join(p.r3d_wd, p.r3d_name + "." + ext)
        try:
            lines = open(path, errors="replace").read().splitlines()
        except OSError:
            continue
        if lines:
            text += "--- %s %s (last %d lines)\n" % (p.r3d_name, ext, n)
            text += "\n".join(lines[-n:]) + "\n"
    return text


def stop(p, timeout=10):
    """SIGTERM, then SIGKILL; returns the exit status."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if p in _procs:
        _procs.remove(p)
    return p.returncode


def port_open(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        return s.connect_ex(("127.0.0.1", port)) == 0
    finally:
        s.close()


def wait_port(port, proc, timeout=60):
    """Wait until something listens on 127.0.0.1:port (proc must stay alive)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            fail("%s exited with %s before listening on port %d\n%s"
                 % (proc.r3d_name, proc.returncode, port, tail(proc)))
        if port_open(port):
            return
        time.sleep(0.2)
    fail("%s did not listen on port %d within %d s\n%s"
         % (proc.r3d_name, port, timeout, tail(proc)))


def start_testsrc(args, wd, port, size="1280x720", fps=60, encoder="x264",
                  extra=(), name="testsrc"):
    if not args.testsrc:
        fail("remote3d-testsrc was not built (meson gave no path)")
    argv = [args.testsrc, "--port", str(port), "--size", size, "--fps", str(fps),
            "--encoder", encoder] + list(extra)
    p = spawn(argv, name, wd)
    wait_port(port, p)
    return p


def run_client(args, wd, port, name="client", opts=(), timeout=120):
    """Run remote3d-client to the end; returns (rc, report dict or None, stderr)."""
    if not args.client:
        fail("remote3d-client was not built")
    js = os.path.join(wd, name + ".json")
    argv = [args.client, "spice://127.0.0.1:%d" % port, "--json", js] + list(opts)
    log("run: " + " ".join(argv))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    sys.stdout.write(r.stdout)
    if r.stderr:
        sys.stdout.write("--- %s stderr\n%s" % (name, r.stderr))
    rep = None
    if os.path.exists(js):
        with open(js) as f:
            rep = json.load(f)
    return r.returncode, rep, r.stderr


def make_test_ca(x509):
    """A test CA and a server certificate for 127.0.0.1 signed by it, made
    with openssl in the directory x509 under the names spice-server's
    x509-dir wants (ca-cert.pem, server-cert.pem, server-key.pem).
    Returns the CA's path; None when there is no openssl."""
    import shutil
    openssl = shutil.which("openssl")
    if not openssl:
        return None
    os.makedirs(x509, exist_ok=True)

    def ossl(*a):
        r = subprocess.run([openssl] + list(a), cwd=x509, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            fail("openssl %s: %s" % (" ".join(a), r.stdout))

    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out",
         "ca-cert.pem", "-days", "2", "-subj", "/CN=remote3d test CA")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out", "server.csr",
         "-subj", "/CN=127.0.0.1")
    with open(os.path.join(x509, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem",
         "-CAcreateserial", "-out", "server-cert.pem", "-days", "2", "-extfile", "ext")
    return os.path.join(x509, "ca-cert.pem")


def error_lines(text):
    """Non-empty lines of a program's stderr."""
    return [l for l in text.splitlines() if l.strip()]
