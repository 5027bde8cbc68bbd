#!/usr/bin/env python3
"""Nothing of the picture for a client that has not authenticated, and TLS,
with the real patched QEMU and `-spice ...,gl=on` (the remote3d stream).

usage: test_qemu_trust.py CASE --client PATH --wire PATH [--stamp-read PATH]
         [--qemu PATH] [--qemu-expected] [--port N] [--display :N]
CASE:
  auth  the firmware screen, `-object secret,id=...,file=...` and
        `-spice port=N,gl=on,password-secret=...` (ticketing on). Clients
        without the password (remote3d-client with a wrong or no
        --password-file; raw links of the main and the display channel with
        wrong and empty tickets) are refused; `tshark -i lo` captures those
        connections and remote3d-wire shows that the server sent each one
        only its link reply and the PERMISSION_DENIED result: no message,
        no display channel data. The raw links read their sockets to EOF:
        nothing after the result. Then the right password: remote3d-client
        gets the H.264 stream, and the capture of that connection holds
        STREAM_CREATE and STREAM_DATA (the capture does see pictures).
  tls   the guest's probe under `-spice port=N,tls-port=N+1,x509-dir=...,
        gl=on,tls-channel=display` (a CA and a certificate for 127.0.0.1
        made here with openssl): remote3d-client --ca-file gets stamped
        H.264 frames over TLS only (spice://127.0.0.1?tls-port=N+1), and
        remote-viewer under Xvfb shows the live stream (two screenshots with
        increasing stamps) over TLS; on the plain port the main channel
        links but the display channel is refused with NEED_SECURED. Then a
        firmware QEMU with tls-channel=default: every plain link is refused
        (NEED_SECURED) and remote3d-client on the plain port gets nothing.
  unix  `-spice unix=on,addr=PATH,gl=on` alone keeps QEMU's local gl path
        (GL_SCANOUT with a dmabuf fd, which no TCP or SSH tunnel carries, and
        which this host cannot export): an H.264 client linked over the
        socket gets no display message at all in 4 s, and QEMU said so at
        start ("a client will get no picture"; absent where a render node
        is, and absent with a port). With a port too
        (`unix=on,addr=PATH,port=N,gl=on`) spice-server still listens on the
        socket only (nothing on TCP port N) and the display goes through
        libremote3d: a raw client on the socket gets STREAM_CREATE (H.264)
        and STREAM_DATA, and remote3d-client through a TCP forwarder to the
        socket (what `ssh -L PORT:PATH` does) gets the H.264 stream.
Ports 6100-6109 and X display :50 belong to these tests.
"""
import argparse
import glob
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import guestboot as gb  # noqa: E402
import r3dtest  # noqa: E402  (spawn/stop, the test CA)
import remoteclient  # noqa: E402
import spicelink as sl  # noqa: E402
import test_guest_xterm  # noqa: E402  (its tshark capture)
import xscreen  # noqa: E402

PASSWORD = "r3d-trust-s3cret"
# a refused link: the server's "REDQ" header + SpiceLinkReply (error, 162-byte
# public key, caps counts and offset, at most a few cap words) + the result
REFUSED_S2C_MAX = 16 + 4 + 162 + 12 + 4 * 4 + 4


def wait_listening(port, q, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not q.alive():
            gb.fail("QEMU exited before it listened on port %d" % port)
        if r3dtest.port_open(port):
            return
        time.sleep(0.2)
    gb.fail("QEMU listens on port %d within %d s" % (port, timeout))


def capture(a, wd):
    """tshark on lo for our ports; a capture is the evidence, so none is a failure."""
    p, cap = test_guest_xterm.start_capture(a.port, wd, (a.port + 1,))
    if p is None:
        gb.fail("tshark (tools/debian-packages.txt) captures on lo here")
    return p, cap


def wire_report(a, cap, name):
    """remote3d-wire --json of a capture (exit 1: nothing decodable is fine)."""
    js = cap + ".json"
    r = subprocess.run([a.wire, cap, "--port", str(a.port), "--port", str(a.port + 1),
                        "--json", js, "--quiet"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    if r.returncode not in (0, 1) or not os.path.exists(js):
        gb.fail("remote3d-wire read the %s capture (rc %d): %s" % (name, r.returncode, r.stdout))
    with open(js) as f:
        return json.load(f)


def client(a, wd, name, port, opts, uri=None):
    rc, rep, text, _ = remoteclient.run(a.client, port, wd, name, opts, timeout=90, uri=uri)
    gb.log("%s: rc %d, %s" % (name, rc, " | ".join(r3dtest.error_lines(text)[-2:])))
    return rc, rep, text


def raw_refused(port, password, channel, what):
    """A raw link that must be refused: the code and the bytes after it."""
    try:
        ch = sl.Channel("127.0.0.1", port, channel, connection_id=0x1234 if channel != 1 else 0,
                        channel_caps=sl.H264_DISPLAY_CAPS if channel == sl.CHANNEL_DISPLAY else (),
                        password=password)
    except sl.LinkError as e:
        gb.log("%s: %s, %d bytes after it" % (what, e, len(e.after)))
        return e.code, e.after
    ch.close()
    gb.fail("%s: the server refused the link (it accepted it)" % what)


def case_auth(a):
    wd = r3dtest.workdir()
    secret, wrong = os.path.join(wd, "secret"), os.path.join(wd, "wrong")
    with open(secret, "w") as f:
        f.write(PASSWORD)  # a secret object's file: the bytes, no line end
    with open(wrong, "w") as f:
        f.write("not-the-password\n")
    right = os.path.join(wd, "right")
    with open(right, "w") as f:
        f.write(PASSWORD + "\n")
    q = gb.FirmwareQemu(a.qemu, "port=%d,addr=127.0.0.1,gl=on,password-secret=sec0" % a.port,
                        extra=["-object", "secret,id=sec0,file=" + secret], name="auth")
    try:
        wait_listening(a.port, q)
        time.sleep(2)  # the firmware draws its screen
        cap_p, cap = capture(a, wd)
        for name, opts, want in (("wrong-password", ["--password-file", wrong], "wrong password"),
                                 ("no-password", [], "requires a password")):
            rc, rep, text = client(a, wd, name, a.port, opts + ["--duration", "2", "--timeout", "5"])
            gb.check(rc != 0 and rep is None and want in text,
                     "remote3d-client with %s: refused (rc %d), no report, says '%s'"
                     % (name.replace("-", " "), rc, want))
        raws = 0
        for pw, chan in (("", sl.CHANNEL_MAIN), ("wrong", sl.CHANNEL_MAIN),
                         ("", sl.CHANNEL_DISPLAY), ("wrong", sl.CHANNEL_DISPLAY)):
            what = "raw %s link, %s ticket" % ("main" if chan == 1 else "display",
                                                "an empty" if not pw else "a wrong")
            code, after = raw_refused(a.port, pw, chan, what)
            gb.check(code == sl.LINK_ERR_PERMISSION_DENIED and after == b"",
                     "%s: link result PERMISSION_DENIED (%s), then the server closes without "
                     "sending a byte more (%d)" % (what, code, len(after)))
            raws += 1
        test_guest_xterm.stop_capture(cap_p)
        rep = wire_report(a, cap, "refused")
        conns = [c for c in rep["connections"] if c["kind"] == "spice"]
        for c in conns:
            gb.log("  refused capture: %s %s link_error=%s bytes s2c=%d messages s2c=%s"
                   % (c["client"], c["channel"], c["link_error"], c["bytes_s2c"], c["messages_s2c"]))
        gb.check(len(conns) >= 2 + raws and len(conns) == len(rep["connections"]),
                 "the capture holds every refused connection as SPICE (%d)" % len(conns))
        gb.check(all(c["link_error"] == "PERMISSION_DENIED" for c in conns),
                 "on the wire every one of them ends with PERMISSION_DENIED")
        gb.check(all(c["messages_s2c"] == 0 for c in conns),
                 "on the wire the server sent none of them a single message (no MAIN_INIT, "
                 "no SURFACE_CREATE, STREAM_CREATE or STREAM_DATA)")
        most = max(c["bytes_s2c"] for c in conns)
        gb.check(most <= REFUSED_S2C_MAX,
                 "on the wire each got at most its link reply and result (%d bytes, <= %d)"
                 % (most, REFUSED_S2C_MAX))
        gb.check("display" not in rep["channels"] or
                 not rep["channels"]["display"]["message_types_s2c"],
                 "no display channel data at all in the capture of the refused clients")

        cap_p, cap = capture(a, wd)
        rc, rep_ok, text = client(a, wd, "right-password", a.port,
                                  ["--password-file", right, "--duration", "2", "--timeout", "10"])
        got = sl.display_after_init("127.0.0.1", a.port, PASSWORD,
                                    until={sl.MSG_DISPLAY_STREAM_DATA})
        test_guest_xterm.stop_capture(cap_p)
        gb.check(rc == 0 and rep_ok and rep_ok["frames"] >= 1 and "264" in (rep_ok.get("codec") or ""),
                 "remote3d-client with the right --password-file gets the H.264 stream "
                 "(rc %d, %s frames, codec %s)" % (rc, rep_ok and rep_ok["frames"],
                                                   rep_ok and rep_ok.get("codec")))
        gb.check(sl.MSG_DISPLAY_STREAM_DATA in got,
                 "a raw client with the right ticket gets STREAM_DATA (types %s)" % sorted(got))
        rep = wire_report(a, cap, "accepted")
        types = rep["channels"].get("display", {}).get("message_types_s2c", {})
        gb.log("accepted capture: display message types %s" % types)
        gb.check("STREAM_CREATE" in types and "STREAM_DATA" in types,
                 "the capture of the accepted clients holds STREAM_CREATE and STREAM_DATA")
        gb.check(q.alive(), "QEMU still running")
    finally:
        q.check_stopped_by_us()


def case_tls(a):
    for what, path in (("remote3d-stamp-read", a.stamp_read),):
        if not path or not os.access(path, os.X_OK):
            gb.fail("%s is not built (%s)" % (what, path))
    gb.require_guest_and_qemu(a.qemu, a.qemu_expected)
    try:
        xscreen.require_programs(("Xvfb", "remote-viewer", "gst-launch-1.0"))
    except xscreen.XscreenError as e:
        gb.fail(str(e))
    wd = r3dtest.workdir()
    x509 = os.path.join(wd, "x509")
    ca = r3dtest.make_test_ca(x509)
    if not ca:
        gb.fail("openssl (tools/debian-packages.txt) makes the test certificates")
    plain, tls = a.port, a.port + 1
    spice = ("port=%d,tls-port=%d,addr=127.0.0.1,x509-dir=%s,gl=on,disable-ticketing=on,"
             "tls-channel=display" % (plain, tls, x509))
    guest = gb.Guest(a.qemu, "probe", duration=600, extra=["-display", "none", "-spice", spice])
    with gb.running(guest, 30):
        m = guest.wait_marker(r"^R3D: probe started (\d+)x(\d+) renderer=(.*)$", 300)
        if not m:
            gb.fail("the probe started within 300 s (R3D: probe started)")
        gb.log("guest: probe started %.1f s after boot" % (time.monotonic() - guest.start))
        cap_p, cap = capture(a, wd)
        rc, rep, text = client(a, wd, "tls", 0, ["--ca-file", ca, "--duration", "3", "--timeout", "20"],
                               uri="spice://127.0.0.1?tls-port=%d" % tls)
        test_guest_xterm.stop_capture(cap_p)
        gb.check(rc == 0 and rep and rep["frames"] >= 3 and rep["last_frame"] > rep["first_frame"]
                 and "264" in (rep.get("codec") or ""),
                 "remote3d-client --ca-file over TLS gets stamped H.264 frames (rc %d, %s frames, "
                 "codec %s)" % (rc, rep and rep["frames"], rep and rep.get("codec")))
        wrep = wire_report(a, cap, "tls")
        kinds = sorted({(c["kind"], c["server"].rsplit(":", 1)[1]) for c in wrep["connections"]})
        gb.log("tls capture: connections (kind, port) %s, tls bytes s2c %d" % (
            kinds, sum(c["bytes_s2c"] for c in wrep["connections"] if c["kind"] == "tls")))
        gb.check(kinds == [("tls", str(tls))] and
                 sum(c["bytes_s2c"] for c in wrep["connections"]) > 20000,
                 "on the wire every connection of that client is TLS on port %d and carries "
                 "the stream (no plain SPICE)" % tls)
        main, sid = sl.session("127.0.0.1", plain)
        gb.log("plain port: the main channel links (session %#x)" % sid)
        try:
            code, after = raw_refused(plain, "", sl.CHANNEL_DISPLAY, "plain display link")
            gb.check(code == sl.LINK_ERR_NEED_SECURED and after == b"",
                     "with tls-channel=display the plain port refuses the display channel "
                     "(NEED_SECURED, %s) and sends nothing more" % code)
        finally:
            main.close()
        tls_viewer(a, wd, ca, tls, guest)
        gb.check(guest.proc.poll() is None, "QEMU still running")

    # tls-channel=default: no channel at all on the plain port
    spice = ("port=%d,tls-port=%d,addr=127.0.0.1,x509-dir=%s,gl=on,disable-ticketing=on,"
             "tls-channel=default" % (plain, tls, x509))
    q = gb.FirmwareQemu(a.qemu, spice, name="tls-default")
    try:
        wait_listening(plain, q)
        for chan, name in ((sl.CHANNEL_MAIN, "main"), (sl.CHANNEL_DISPLAY, "display")):
            code, after = raw_refused(plain, "", chan, "plain %s link" % name)
            gb.check(code == sl.LINK_ERR_NEED_SECURED and after == b"",
                     "with tls-channel=default the plain port refuses the %s channel "
                     "(NEED_SECURED) and sends nothing more" % name)
        rc, rep, text = client(a, wd, "plain-refused", plain, ["--duration", "2", "--timeout", "5"])
        gb.check(rc != 0 and rep is None,
                 "remote3d-client on the plain port gets no picture (rc %d, no report)" % rc)
        rc, rep, text = client(a, wd, "tls-default", 0, ["--ca-file", ca, "--duration", "1",
                                                         "--timeout", "10"],
                               uri="spice://127.0.0.1?tls-port=%d" % tls)
        gb.check(rc == 0 and rep and rep["frames"] >= 1,
                 "while over TLS it gets the picture (rc %d)" % rc)
    finally:
        q.check_stopped_by_us()


def forward_tcp_to_unix(port, path):
    """What `ssh -L port:path` gives a remote client: TCP 127.0.0.1:port
    relayed to the unix socket, on daemon threads."""
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(16)

    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve():
        while True:
            c, _ = lsock.accept()
            u = socket.socket(socket.AF_UNIX)
            u.connect(path)
            for src, dst in ((c, u), (u, c)):
                threading.Thread(target=pump, args=(src, dst), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return lsock


def display_messages(path, seconds):
    """(type, body) of every display message an H.264 client linked over the
    unix socket gets in `seconds`."""
    main, d = sl.display_link(path, 0)
    sl.display_init(d)
    got = []
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            m = d.recv(max(0.0, end - time.monotonic()))
            if m:
                got.append(m)
    finally:
        d.close()
        main.close()
    return got


NO_PICTURE_WARNING = "a client will get no picture"


def case_unix(a):
    wd = r3dtest.workdir()
    path = os.path.join(wd, "spice.sock")
    q = gb.FirmwareQemu(a.qemu, "unix=on,addr=%s,gl=on,disable-ticketing=on" % path, name="unix")
    try:
        wait_socket(path, q)
        time.sleep(2)  # the firmware draws its screen
        got = display_messages(path, 4)
        gb.log("unix=on alone: %d display messages (%s)" % (len(got), sorted({m[0] for m in got})))
        gb.check(not any(m[0] in sl.PICTURE or m[0] == sl.MSG_DISPLAY_STREAM_CREATE for m in got),
                 "unix=on,gl=on alone is QEMU's local dmabuf path: no picture for a client that "
                 "cannot take a dmabuf (README: 'A unix socket')")
        warned = NO_PICTURE_WARNING in q.stderr()
        if glob.glob("/dev/dri/renderD*"):
            gb.log("a render node is here: EGL may export dmabufs, no warning expected")
            gb.check(not warned, "with a render node QEMU does not warn that no picture reaches "
                     "a client")
        else:
            gb.check(warned, "without a render node (no dmabuf export) QEMU says at start that a "
                     "client of unix=on,gl=on alone gets no picture ('%s')" % NO_PICTURE_WARNING)
    finally:
        q.check_stopped_by_us()
    os.unlink(path)
    q = gb.FirmwareQemu(a.qemu, "unix=on,addr=%s,port=%d,gl=on,disable-ticketing=on"
                        % (path, a.port), name="unix-port")
    try:
        wait_socket(path, q)
        time.sleep(2)
        gb.check(NO_PICTURE_WARNING not in q.stderr(),
                 "with port= the display streams: no 'no picture' warning")
        gb.check(not r3dtest.port_open(a.port),
                 "with port=%d too spice-server listens on the unix socket only (nothing on TCP)"
                 % a.port)
        got = display_messages(path, 3)
        creates = [m[1] for m in got if m[0] == sl.MSG_DISPLAY_STREAM_CREATE]
        datas = sum(1 for m in got if m[0] == sl.MSG_DISPLAY_STREAM_DATA)
        # SpiceMsgDisplayStreamCreate: surface_id u32, id u32, flags u8, codec_type u8
        codec = struct.unpack_from("<IIBB", creates[0])[3] if creates else None
        gb.check(creates and codec == 3 and datas >= 3,
                 "over the unix socket the display streams through libremote3d: STREAM_CREATE "
                 "with codec H.264 (%s) and %d STREAM_DATA in 3 s" % (codec, datas))
        fwd = forward_tcp_to_unix(a.port + 1, path)
        rc, rep, text = client(a, wd, "unix-tunnel", a.port + 1, ["--duration", "2", "--timeout", "10"])
        fwd.close()
        gb.check(rc == 0 and rep and rep["frames"] >= 1 and "264" in (rep.get("codec") or ""),
                 "remote3d-client through a TCP relay to the socket (as ssh -L) gets the H.264 "
                 "stream (rc %d, %s frames, codec %s)" % (rc, rep and rep["frames"],
                                                          rep and rep.get("codec")))
        gb.check(q.alive(), "QEMU still running")
    finally:
        q.check_stopped_by_us()


def wait_socket(path, q, timeout=30):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if not q.alive() or time.monotonic() > end:
            gb.fail("QEMU listens on %s within %d s" % (path, timeout))
        time.sleep(0.1)


def tls_viewer(a, wd, ca, tls, guest):
    """remote-viewer (virt-viewer) under Xvfb over TLS: two screenshots with
    increasing stamps, and spice-gtk's log says it created the stream."""
    try:
        stamps = xscreen.watch_client(
            ["remote-viewer", "--spice-ca-file", ca, "spice://127.0.0.1?tls-port=%d" % tls],
            "remote-viewer", a.display, a.stamp_read, wd, r3dtest.spawn, r3dtest.stop, r3dtest.tail,
            lambda: guest.proc.poll() is None, env={"SPICE_DEBUG": "1"}, log=gb.log)
    except xscreen.XscreenError as e:
        gb.fail(str(e))
    with open(os.path.join(wd, "remote-viewer.out"), errors="replace") as f:
        log = f.read()
    with open(os.path.join(wd, "remote-viewer.err"), errors="replace") as f:
        log += f.read()
    gb.check(len(stamps) == 2, "remote-viewer over TLS shows the live guest: two screenshots with "
             "increasing stamps (%s; kept in %s)" % ([s[0] for s in stamps], wd))
    gb.check("display-2:0: Using TLS, port %d" % tls in log and "display_handle_stream_create" in log
             and "pipeline (h264parse)" in log,
             "remote-viewer's spice-gtk log: the display channel uses TLS (port %d), the stream "
             "is created and decoded by an H.264 pipeline (h264parse)" % tls)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=["auth", "tls", "unix"])
    gb.add_qemu_options(ap)
    ap.add_argument("--client", required=True)
    ap.add_argument("--wire", required=True)
    ap.add_argument("--stamp-read")
    ap.add_argument("--port", type=int, default=6100)
    ap.add_argument("--display", default=":50")
    a = ap.parse_args()
    gb.require_qemu(a.qemu, a.qemu_expected)
    {"auth": case_auth, "tls": case_tls, "unix": case_unix}[a.case](a)


if __name__ == "__main__":
    main()
