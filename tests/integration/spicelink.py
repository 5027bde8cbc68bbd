"""A raw SPICE client in a few lines, for tests that must behave as no
real client would (python3 stdlib + the openssl command for the ticket).

It speaks the link protocol (SpiceLinkHeader "REDQ" 2.2, SpiceLinkMess,
the RSA-OAEP ticket, the link result) and then full data headers (no
mini-header cap): serial u64, type u16, size u32, sub_list u32.
Server messages it answers by itself: SET_ACK (ACK_SYNC, then ACK every
window), PING (PONG).
"""
import os
import socket
import struct
import subprocess
import tempfile
import time

MAGIC = 0x51444552  # "REDQ"
CHANNEL_MAIN, CHANNEL_DISPLAY, CHANNEL_INPUTS = 1, 2, 3
LINK_ERR_NEED_SECURED, LINK_ERR_PERMISSION_DENIED = 5, 7

MSG_SET_ACK, MSG_PING = 3, 4
MSGC_ACK_SYNC, MSGC_ACK, MSGC_PONG = 1, 2, 3
MSG_MAIN_INIT = 103
MSG_DISPLAY_STREAM_CREATE, MSG_DISPLAY_STREAM_DATA = 122, 123
MSG_DISPLAY_STREAM_DESTROY = 125
MSG_DISPLAY_DRAW_COPY = 304
MSG_DISPLAY_SURFACE_CREATE = 314
MSG_DISPLAY_STREAM_ACTIVATE_REPORT = 319
MSGC_DISPLAY_INIT, MSGC_DISPLAY_STREAM_REPORT = 101, 102

DISPLAY_CAP_SIZED_STREAM = 0
DISPLAY_CAP_MONITORS_CONFIG = 1
DISPLAY_CAP_STREAM_REPORT = 4
DISPLAY_CAP_MULTI_CODEC = 8
DISPLAY_CAP_CODEC_H264 = 11

H264_DISPLAY_CAPS = (DISPLAY_CAP_SIZED_STREAM, DISPLAY_CAP_MONITORS_CONFIG, DISPLAY_CAP_STREAM_REPORT,
                     DISPLAY_CAP_MULTI_CODEC, DISPLAY_CAP_CODEC_H264)

EXTERNAL_STREAM_ID = 50  # NUM_STREAMS in spice-server: the id of remote3d's stream


class LinkError(Exception):
    """code: the link error (reply) or link result; after: every byte the
    server sent after it, read until it closed (or 3 s passed)."""

    def __init__(self, msg, code=None, after=b""):
        super().__init__(msg)
        self.code = code
        self.after = after


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            raise ConnectionError("closed after %d of %d bytes" % (len(buf), n))
        buf += part
    return buf


def _encrypt_ticket(pub_der, password):
    with tempfile.TemporaryDirectory(prefix="r3d-spicelink-") as d:
        key = os.path.join(d, "pub.der")
        with open(key, "wb") as f:
            f.write(pub_der)
        r = subprocess.run(["openssl", "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER",
                            "-inkey", key, "-pkeyopt", "rsa_padding_mode:oaep"],
                           input=password.encode() + b"\0", capture_output=True)
        if r.returncode != 0 or len(r.stdout) != 128:
            raise LinkError("openssl could not encrypt the ticket: %s" % r.stderr.decode().strip())
        return r.stdout


class Channel:
    def __init__(self, host, port, channel_type, connection_id=0, channel_caps=(),
                 password="", timeout=10.0):
        if host.startswith("/"):  # a unix socket (-spice unix=on,addr=PATH)
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(timeout)
            self.sock.connect(host)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.serial = 0
        self.ack_window = 0
        self.unacked = 0
        words = 0
        for c in channel_caps:
            words |= 1 << c
        caps = struct.pack("<I", words) if channel_caps else b""
        mess = struct.pack("<IBBIII", connection_id, channel_type, 0, 0, 1 if caps else 0, 18) + caps
        self.sock.sendall(struct.pack("<IIII", MAGIC, 2, 2, len(mess)) + mess)
        magic, major, minor, size = struct.unpack("<IIII", _recv_exact(self.sock, 16))
        if magic != MAGIC:
            raise LinkError("bad link reply magic %#x" % magic)
        reply = _recv_exact(self.sock, size)
        error = struct.unpack_from("<I", reply)[0]
        if error:
            raise LinkError("link refused: error %d" % error, error, self._rest())
        self.sock.sendall(_encrypt_ticket(reply[4:4 + 162], password))
        result = struct.unpack("<I", _recv_exact(self.sock, 4))[0]
        if result:
            raise LinkError("link result %d (bad password?)" % result, result, self._rest())

    def _rest(self, timeout=3.0):
        """What the server sends until it closes (a refused link)."""
        rest = b""
        self.sock.settimeout(timeout)
        try:
            while True:
                part = self.sock.recv(65536)
                if not part:
                    break
                rest += part
        except OSError:
            pass
        self.sock.close()
        return rest

    def send(self, msg_type, body=b""):
        self.serial += 1
        self.sock.sendall(struct.pack("<QHII", self.serial, msg_type, len(body), 0) + body)

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                part = self.sock.recv(65536)
            except socket.timeout:
                return False
            if not part:
                raise ConnectionError("the server closed the channel")
            self.buf += part
        return True

    def recv(self, timeout=None):
        """One message (type, body) that is not SET_ACK/PING (answered
        here); None when none is complete within timeout seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if not self._fill(18, deadline):
                return None
            _, msg_type, size, _ = struct.unpack_from("<QHII", self.buf)
            if not self._fill(18 + size, deadline):
                return None
            body = self.buf[18:18 + size]
            self.buf = self.buf[18 + size:]
            if self.ack_window:
                self.unacked += 1
                if self.unacked >= self.ack_window:
                    self.unacked = 0
                    self.send(MSGC_ACK)
            if msg_type == MSG_SET_ACK:
                generation, window = struct.unpack_from("<II", body)
                self.ack_window = window
                self.unacked = 0
                self.send(MSGC_ACK_SYNC, struct.pack("<I", generation))
                continue
            if msg_type == MSG_PING:
                self.send(MSGC_PONG, body[:12])
                continue
            return msg_type, body

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def session(host, port, password="", timeout=10.0):
    """A linked main channel and its session id."""
    main = Channel(host, port, CHANNEL_MAIN, password=password, timeout=timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = main.recv(max(0.0, deadline - time.monotonic()))
        if msg and msg[0] == MSG_MAIN_INIT:
            return main, struct.unpack_from("<I", msg[1])[0]
    raise LinkError("no MAIN_INIT within %.0f s" % timeout)


def display_link(host, port, password="", timeout=10.0):
    """A session's main channel and its display channel, linked with the
    caps of an H.264 client; no DISPLAY_INIT sent yet."""
    main, sid = session(host, port, password, timeout)
    return main, Channel(host, port, CHANNEL_DISPLAY, sid, H264_DISPLAY_CAPS, password, timeout)


def display_init(ch):
    """SPICE_MSGC_DISPLAY_INIT: pixmap cache 1 (8 MiB), glz dictionary 1."""
    ch.send(MSGC_DISPLAY_INIT, struct.pack("<BqBi", 1, 8 << 20, 1, 1 << 20))


PICTURE = {MSG_DISPLAY_DRAW_COPY, MSG_DISPLAY_STREAM_DATA}


def display_after_init(host, port, password="", timeout=3.0, until=None):
    """A client that does everything right: the message types its display
    channel got within timeout s (it stops at a surface and a picture, or
    once it has every type in `until`)."""
    main, d = display_link(host, port, password)
    display_init(d)
    got = set()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            m = d.recv(max(0.0, deadline - time.monotonic()))
            if m:
                got.add(m[0])
                if (until <= got) if until else (MSG_DISPLAY_SURFACE_CREATE in got and got & PICTURE):
                    break
    finally:
        d.close()
        main.close()
    return got


def stream_report(ch, unique_id, frames, drops, delay_ms=0):
    ch.send(MSGC_DISPLAY_STREAM_REPORT,
            struct.pack("<IIIIIIiI", EXTERNAL_STREAM_ID, unique_id, 0, 0, frames, drops, delay_ms, 0))
