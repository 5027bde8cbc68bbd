#!/usr/bin/env python3
"""remote3d-testsrc listens on loopback unless told otherwise and says where
it listens; --addr 0.0.0.0 serves other addresses too, with a warning when
there is no password. With --password-file, remote3d-client given the right
password (--password-file) gets stamped frames; a wrong or no password is
refused with one clear client error line and no frames. With --tls-port and
--x509-dir (certificates made here with openssl), the client gets frames
over TLS when --ca-file names the CA, and a clear TLS error without it."""
import os
import socket
import subprocess
import time

import r3dtest as t

args = t.parse_args()
port = args.port
tls_port = port + 1
wd = t.workdir()


def non_loopback_ipv4():
    """An IPv4 address of this machine that is not loopback, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent: only a route lookup
        ip = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if ip.startswith("127.") else ip


def reachable(ip, p):
    s = socket.socket()
    s.settimeout(1)
    try:
        return s.connect_ex((ip, p)) == 0
    finally:
        s.close()


def stdout_of(p):
    with open(os.path.join(p.r3d_wd, p.r3d_name + ".out")) as f:
        return f.read()


def stdout_once(p, text, timeout=10.0):
    """testsrc's stdout once it holds text (it prints its addresses just
    after spice-server listens), or as it is after timeout seconds."""
    deadline = time.monotonic() + timeout
    out = stdout_of(p)
    while text not in out and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.1)
        out = stdout_of(p)
    return out


def stderr_of(p):
    with open(os.path.join(p.r3d_wd, p.r3d_name + ".err")) as f:
        return f.read()


def client(name, uri_opts, opts):
    """remote3d-client with extra options; returns (rc, report or None, error lines)."""
    js = os.path.join(wd, name + ".json")
    argv = [args.client] + uri_opts + ["--json", js, "--timeout", "10"] + opts
    t.log("run: " + " ".join(argv))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=90)
    t.log("  rc %d, stderr: %r" % (r.returncode, r.stderr))
    rep = None
    if os.path.exists(js):
        with open(js) as f:
            import json
            rep = json.load(f)
    return r.returncode, rep, t.error_lines(r.stderr)


if not args.testsrc or not args.client:
    t.fail("remote3d-testsrc and remote3d-client must be built")
uri = "spice://127.0.0.1:%d" % port
other = non_loopback_ipv4()

# ---- the default address: loopback only, said as such
src = t.start_testsrc(args, wd, port, size="640x480", fps=30, name="testsrc-default")
out = stdout_once(src, "spice://127.0.0.1:%d" % port)
t.check("spice://127.0.0.1:%d" % port in out, "testsrc prints the loopback address it listens on: %r" % out)
if other:
    t.check(not reachable(other, port), "by default it is not reachable on %s (not loopback)" % other)
else:
    t.log("note: no non-loopback IPv4 address here; reachability not checked")
t.stop(src)

# ---- --addr 0.0.0.0: every address, and a warning without a password
src = t.start_testsrc(args, wd, port, size="640x480", fps=30, name="testsrc-all",
                      extra=["--addr", "0.0.0.0"])
out = stdout_once(src, "all addresses")
err = stderr_of(src)
t.check("spice://0.0.0.0:%d" % port in out and "all addresses" in out,
        "with --addr 0.0.0.0 it prints that address: %r" % out)
t.check("warning" in err and "without a password" in err,
        "and warns that anyone can connect without a password: %r" % err)
if other:
    t.check(reachable(other, port), "it is reachable on %s" % other)
t.stop(src)

# ---- a password
pw, bad = os.path.join(wd, "password"), os.path.join(wd, "wrong-password")
with open(pw, "w") as f:
    f.write("r3d-s3cret\n")
with open(bad, "w") as f:
    f.write("not-it\n")
src = t.start_testsrc(args, wd, port, size="640x480", fps=30, name="testsrc-password",
                      extra=["--password-file", pw, "--addr", "0.0.0.0"])
err = stderr_of(src)
t.check("without a password" not in err, "no warning with a password: %r" % err)
rc, rep, lines = client("client-right", [uri], ["--duration", "3", "--password-file", pw])
t.check(rc == 0 and rep is not None and rep["frames"] >= 10,
        "the right password gets stamped frames (rc %d, %s frames)"
        % (rc, rep["frames"] if rep else None))
rc, rep, lines = client("client-wrong", [uri], ["--duration", "3", "--password-file", bad])
t.check(rc != 0 and rep is None, "a wrong password: non-zero exit (%d), no report" % rc)
t.check(len(lines) == 1 and "wrong password" in lines[0] and uri in lines[0],
        "a wrong password: one line naming the address and the cause: %r" % lines)
rc, rep, lines = client("client-none", [uri], ["--duration", "3"])
t.check(rc != 0 and rep is None, "no password: non-zero exit (%d), no report" % rc)
t.check(len(lines) == 1 and "requires a password" in lines[0],
        "no password: one line saying the server requires one: %r" % lines)
t.check(src.poll() is None, "testsrc keeps serving after refused clients")
t.stop(src)

# ---- TLS
x509 = os.path.join(wd, "x509")
ca = t.make_test_ca(x509)
if not ca:
    t.log("SKIP: no openssl to make certificates; TLS not tested")
    raise SystemExit(0)

src = t.start_testsrc(args, wd, port, size="640x480", fps=30, name="testsrc-tls",
                      extra=["--tls-port", str(tls_port), "--x509-dir", x509])
t.wait_port(tls_port, src)
tls_uri = "spice://127.0.0.1?tls-port=%d" % tls_port
out = stdout_once(src, tls_uri)
t.check(tls_uri in out, "testsrc prints its TLS address: %r" % out)
rc, rep, lines = client("client-tls", [tls_uri], ["--duration", "3", "--ca-file", ca])
t.check(rc == 0 and rep is not None and rep["frames"] >= 10,
        "over TLS with --ca-file the client gets stamped frames (rc %d, %s frames)"
        % (rc, rep["frames"] if rep else None))
env_ca = os.environ.pop("SSL_CERT_FILE", None)
rc, rep, lines = client("client-tls-no-ca", [tls_uri], ["--duration", "3"])
t.check(rc != 0 and rep is None, "over TLS without the CA: non-zero exit (%d), no report" % rc)
t.check(lines and "TLS error" in lines[-1] and "--ca-file" in lines[-1],
        "and its error line says TLS and points at --ca-file: %r" % lines)
t.stop(src)
