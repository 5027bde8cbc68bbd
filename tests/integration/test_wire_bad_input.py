#!/usr/bin/env python3
"""remote3d-wire refuses what it cannot measure with one clear line.

For each bad input: a missing file, a directory, an empty file, a text
file, a pcapng cut inside its section header, a pcap with a corrupt record
length, a capture with only UDP, one with TCP that is not SPICE, one whose
SPICE connection began before the capture, a bad --interval or --port,
and --json into a directory that does not exist. Each must exit non-zero
(2) with exactly one line on stderr that names the file or the option,
and no Python traceback.
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire_synth as ws  # noqa: E402


def log(msg):
    print(msg, flush=True)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def udp_only(path):
    # pcapng, raw IPv4 UDP datagrams
    pk = []
    for i in range(3):
        udp = struct.pack("!HHHH", 5353, 5353, 8 + 4, 0) + b"abcd"
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + udp
        pk.append(ip)
    with open(path, "wb") as f:
        body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        f.write(struct.pack("<II", 0x0A0D0D0A, 12 + len(body)) + body +
                struct.pack("<I", 12 + len(body)))
        body = struct.pack("<HHI", 101, 0, 0)
        f.write(struct.pack("<II", 1, 12 + len(body)) + body + struct.pack("<I", 12 + len(body)))
        for i, d in enumerate(pk):
            body = struct.pack("<IIIII", 0, 0, i, len(d), len(d)) + d + \
                bytes((4 - len(d) % 4) % 4)
            f.write(struct.pack("<II", 6, 12 + len(body)) + body +
                    struct.pack("<I", 12 + len(body)))


def http_only(path):
    s = ws.Session(server_port=8080)
    ch = s.channel(40000, 0, 0)
    s.add(ws.Pkt(1.0, ch.client, ch.server, ch.seq["c2s"], 0, ws.SYN))
    ch.seq["c2s"] += 1
    ch.seq["s2c"] += 1
    ch.c2s(1.001, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    ch.s2c(1.002, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    ws.write_pcapng(path, s.finish())


def mid_stream(path):
    # a SPICE display channel whose link phase happened before the capture
    s = ws.Session()
    ch = s.channel(40000, 2, 1)
    for j in range(10):
        ch.msg("s2c", 1.0 + j / 60.0, 123, bytes(3000))
    ws.write_pcapng(path, s.finish())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wire", required=True)
    a = ap.parse_args()
    wd = tempfile.mkdtemp(prefix="r3d-wire-bad-")

    def f(name, content=None, maker=None):
        p = os.path.join(wd, name)
        if maker:
            maker(p)
        elif content is not None:
            with open(p, "wb") as fh:
                fh.write(content)
        return p

    good = f("good.pcapng", maker=lambda p: _good(p))
    cases = [
        ("a missing file", [f("missing.pcapng")], "cannot open"),
        ("a directory", [wd], "cannot"),
        ("an empty file", [f("empty.pcapng", b"")], "not a capture"),
        ("a text file", [f("notes.txt", b"hello, this is not a capture\n" * 10)],
         "not a pcap or pcapng capture"),
        ("a pcapng cut inside its header", [f("cut.pcapng", b"\x0a\x0d\x0d\x0a\x1c\x00")],
         "not a capture"),
        ("a pcap with a corrupt record length",
         [f("corrupt.pcap", struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) +
            struct.pack("<IIII", 0, 0, 0x7FFFFFFF, 0x7FFFFFFF) + bytes(64))], "corrupt"),
        ("a capture with only UDP", [f("udp.pcapng", maker=udp_only)], "no TCP packets"),
        ("a capture without SPICE", [f("http.pcapng", maker=http_only)], "no SPICE connection"),
        ("a SPICE connection begun before the capture", [f("mid.pcapng", maker=mid_stream)],
         "began before the capture"),
        ("--port with no connection on it", [good, "--port", "5999"], "no TCP connection on port"),
        ("--interval 0", [good, "--interval", "0"], "--interval"),
        ("--interval nan", [good, "--interval", "nan"], "--interval"),
        ("--port 70000", [good, "--port", "70000"], "--port"),
        ("--json into a missing directory", [good, "--json", os.path.join(wd, "no", "x.json")],
         "cannot write"),
    ]
    bad = 0
    for what, argv, expect in cases:
        r = subprocess.run([a.wire] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        ok = (r.returncode == 2 and len(lines) == 1 and expect in lines[0] and
              "Traceback" not in r.stderr)
        log("%s: %s: rc %d, %r" % ("ok" if ok else "FAIL", what, r.returncode, lines))
        if not ok:
            bad += 1
    if bad:
        fail("%d of %d bad inputs not refused with one clear line" % (bad, len(cases)))
    log("PASS: %d bad inputs refused with one line each" % len(cases))


def _good(path):
    s = ws.Session()
    main = s.channel(40001, 1, 0).open(1.0)
    main.msg("s2c", 1.001, 103, struct.pack("<I", 7) + bytes(28))
    ws.write_pcapng(path, s.finish())


if __name__ == "__main__":
    main()
