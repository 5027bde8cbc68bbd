#!/usr/bin/env python3
"""remote3d-wire on synthetic SPICE captures with known answers.

Each case builds a capture (wire_synth.py) whose key presses and display
replies are placed at known times, runs remote3d-wire --json on it and
compares key for key, to the microsecond:

  streaming   H.264-like: STREAM_DATA every 1/60 s; a key's reply is the
              next frame and every key is flagged "display busy"
  2d          stock QEMU's 2D path: an idle display answers each key with
              INVAL_LIST after 5 ms and DRAW_COPY after 30 ms
  lossy       the 2D case with a KEY_DOWN lost and retransmitted, a reply
              header reordered behind its body, a body segment lost and
              retransmitted 100 ms later, every segment duplicated, a
              body segment missing from the capture only (the ACK shows it
              arrived): times follow the bytes, nothing is counted twice
  views       latency-sim pcapng (raw IP, enter= comments, 20 ms each way):
              --view client 50 ms, capture 30 ms, server 10 ms
  full-header no mini header, IPv6, classic pcap with Ethernet frames
  sessions    two clients: each key is matched to its own session's display
  tls         only TLS: exit 1 and one line that says so; TLS beside plain
              SPICE: reported as encrypted bytes, the plain session measured
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire_synth as ws  # noqa: E402
from r3dtest import check, fail, log  # noqa: E402,F401

T0 = 1700000000.0
SID = 0x5eed
STREAM_DATA, DRAW_COPY, INVAL_LIST, SURFACE_CREATE, STREAM_CREATE = 123, 304, 105, 314, 122
KEY_DOWN, KEY_UP = 101, 102




def near(a, b, tol=0.002):
    return a is not None and abs(a - b) <= tol


def run_wire(wire, cap, *opts, expect_rc=0):
    js = cap + ".json"
    argv = [wire, cap, "--json", js, "--csv", cap + ".csv"] + list(opts)
    log("run: " + " ".join(argv))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    sys.stdout.write(r.stdout)
    if r.stderr:
        sys.stdout.write("--- stderr\n" + r.stderr)
    if r.returncode != expect_rc:
        fail("remote3d-wire exited %d, expected %d" % (r.returncode, expect_rc))
    if expect_rc == 2:
        return None, r
    with open(js) as f:
        return json.load(f), r


def base_session(s, cport=40001, sid=SID, mini=True, t=T0):
    main = s.channel(cport, 1, 0, mini=mini).open(t)
    main.msg("s2c", t + 0.001, 103, struct.pack("<I", sid) + bytes(28))
    disp = s.channel(cport + 1, 2, sid, mini=mini).open(t + 0.010)
    disp.msg("c2s", t + 0.011, 101, bytes(14))
    inp = s.channel(cport + 2, 3, sid, mini=mini).open(t + 0.012)
    inp.msg("s2c", t + 0.013, 101, struct.pack("<I", 0))
    return main, disp, inp


def key(inp, t, code=0x39):
    segs = inp.msg("c2s", t, KEY_DOWN, struct.pack("<I", code))
    inp.msg("c2s", t + 0.050, KEY_UP, struct.pack("<I", code | 0x80))
    return segs


def reply_2d(disp, t, spacing=0.0002):
    """INVAL_LIST after 5 ms, DRAW_COPY (4 segments) after 30 ms: the segments."""
    disp.msg("s2c", t + 0.005, INVAL_LIST, bytes(20))
    return disp.msg("s2c", t + 0.030, DRAW_COPY, bytes(5000), spacing=spacing)


def keys_of(doc):
    return doc["keys"]


def check_2d_keys(doc, n, reply=30.0, complete=30.6, first=5.0):
    ks = keys_of(doc)
    check(len(ks) == n, "%d key presses found (%d)" % (n, len(ks)))
    for k in ks:
        check(k["reply_type"] == "DRAW_COPY" and near(k["reply_ms"], reply) and
              near(k["reply_complete_ms"], complete),
              "key %d: DRAW_COPY after %.3f ms, complete %.3f ms (expected %.1f, %.1f)"
              % (k["n"], k["reply_ms"] or -1, k["reply_complete_ms"] or -1, reply, complete))
        check(k["first_display_type"] == "INVAL_LIST" and near(k["first_display_ms"], first),
              "key %d: first display message INVAL_LIST after %.3f ms"
              % (k["n"], k["first_display_ms"] or -1))
        check(not k["display_busy"], "key %d: display idle before it" % k["n"])


def case_streaming(wire, wd):
    s = ws.Session()
    main, disp, inp = base_session(s)
    disp.msg("s2c", T0 + 0.02, SURFACE_CREATE, bytes(20))
    disp.msg("s2c", T0 + 0.03, STREAM_CREATE, bytes(60))
    frames = [T0 + 0.05 + j / 60.0 for j in range(120)]
    for f in frames:
        disp.msg("s2c", f, STREAM_DATA, bytes(20000), spacing=0.0001)
    taps = [T0 + 0.5 + i * 0.3 + 0.0031 for i in range(5)]
    for t in taps:
        key(inp, t)
    cap = os.path.join(wd, "streaming.pcapng")
    ws.write_pcapng(cap, s.finish())
    doc, _ = run_wire(wire, cap)
    ks = keys_of(doc)
    check(len(ks) == 5, "5 key presses found (%d)" % len(ks))
    for k, t in zip(ks, taps):
        nxt = min(f for f in frames if f > t)
        check(k["reply_type"] == "STREAM_DATA" and near(k["reply_ms"], (nxt - t) * 1000),
              "key %d: the next STREAM_DATA after %.3f ms (expected %.3f)"
              % (k["n"], k["reply_ms"], (nxt - t) * 1000))
        check(k["display_busy"], "key %d flagged: the display was streaming" % k["n"])
    check(doc["summary"]["display_busy"] == 5, "summary: 5 of 5 keys on a busy display")
    ch = doc["channels"]
    want = disp.seq["s2c"] - (50000 + 40002 * 11) - 1
    check(ch["display"]["bytes_s2c"] == want,
          "display bytes server->client counted exactly once (%d == %d)"
          % (ch["display"]["bytes_s2c"], want))
    check(ch["display"]["kbps_s2c"] > 9000, "display mean rate %.0f kbit/s (~9.6 Mbit/s)"
          % ch["display"]["kbps_s2c"])
    for name in ("main", "display", "inputs"):
        check(name in ch and ch[name]["bytes_c2s"] + ch[name]["bytes_s2c"] > 0,
              "%s channel has bytes" % name)
    rows = doc["rates"]["rows"]
    check(len(rows) >= 2 and sum(r["display"]["s2c"] for r in rows) == want,
          "per-second rows add up to the display total (%d rows)" % len(rows))


def case_2d(wire, wd):
    s = ws.Session()
    main, disp, inp = base_session(s)
    disp.msg("s2c", T0 + 0.02, SURFACE_CREATE, bytes(20))
    disp.msg("s2c", T0 + 0.021, DRAW_COPY, bytes(30000), spacing=0.0001)
    for i in range(6):
        t = T0 + 0.5 + i * 0.25
        key(inp, t)
        reply_2d(disp, t)
    cap = os.path.join(wd, "2d.pcapng")
    ws.write_pcapng(cap, s.finish())
    doc, _ = run_wire(wire, cap)
    check_2d_keys(doc, 6)
    sm = doc["summary"]
    check(near(sm["p50_ms"], 30.0) and near(sm["p95_ms"], 30.0) and
          sm["reply_types"] == {"DRAW_COPY": 6}, "summary p50/p95 30 ms, replies DRAW_COPY 6")
    with open(cap + ".csv") as f:
        lines = f.read().splitlines()
    check(len(lines) == 7 and lines[0].startswith("n,t_s,"), "CSV: a header and 6 rows")


def case_lossy(wire, wd):
    s = ws.Session()
    main, disp, inp = base_session(s)
    disp.msg("s2c", T0 + 0.02, SURFACE_CREATE, bytes(20))
    keys_at = []
    drop_capture = []
    for i in range(6):
        t = T0 + 0.5 + i * 0.25
        if i == 0:
            # KEY_DOWN lost on the link, retransmitted 50 ms later: the server
            # answers the retransmission, the wire shows only that one
            segs = key(inp, t)
            s.packets.remove(segs[0])
            s.add(segs[0].copy(t + 0.050))
            t += 0.050
        else:
            key(inp, t)
        keys_at.append(t)
        segs = reply_2d(disp, t)
        if i == 1:
            segs[0].t = segs[1].t + 0.0001     # header behind the first body segment
        elif i == 2:
            s.packets.remove(segs[2])          # body segment lost, retransmitted
            s.add(segs[2].copy(segs[2].t + 0.100))
        elif i == 3:
            for p in list(s.packets):
                if p.src == disp.server and p.payload and p.t > t:
                    s.add(p.copy(p.t + 0.0005))   # spurious retransmissions
        elif i == 4:
            drop_capture.append(segs[1])        # arrived, not captured
    cap = os.path.join(wd, "lossy.pcapng")
    ws.write_pcapng(cap, s.finish(drop_from_capture=drop_capture))
    doc, r = run_wire(wire, cap)
    ks = keys_of(doc)
    check(len(ks) == 6, "6 key presses found (%d)" % len(ks))
    expect = {0: (30.0, 30.6), 1: (30.3, 30.6), 2: (30.0, 130.4), 3: (30.0, 30.6),
              4: (30.0, 30.6), 5: (30.0, 30.6)}
    for i, k in enumerate(ks):
        want, done = expect[i]
        check(near(k["t_s"], keys_at[i], 2e-6), "key %d at the time its KEY_DOWN reached the "
              "capture (%.6f)" % (k["n"], k["t_s"]))
        check(k["reply_type"] == "DRAW_COPY" and near(k["reply_ms"], want) and
              near(k["reply_complete_ms"], done),
              "key %d: DRAW_COPY header complete after %.3f ms, last byte %.3f ms "
              "(expected %.1f, %.1f)" % (k["n"], k["reply_ms"], k["reply_complete_ms"],
                                          want, done))
    disp_conn = [c for c in doc["connections"] if c["channel"] == "display"][0]
    check(disp_conn["retransmitted_bytes"] > 0, "duplicates counted as retransmitted (%d B)"
          % disp_conn["retransmitted_bytes"])
    check(disp_conn["gap_bytes"] == 1400, "the segment missing from the capture is a 1400 B "
          "gap (%d)" % disp_conn["gap_bytes"])
    check(not disp_conn["stopped"], "the display stream stayed in step across the gap")
    want_bytes = disp.seq["s2c"] - (50000 + 40002 * 11) - 1 - 1400
    check(disp_conn["bytes_s2c"] == want_bytes, "display bytes counted once (%d == %d)"
          % (disp_conn["bytes_s2c"], want_bytes))
    check("never captured" in r.stdout, "the report says bytes were never captured")


def case_views(wire, wd):
    d = 0.020
    s = ws.Session(client_ip="10.213.0.2", server_ip="10.213.0.1")
    main, disp, inp = base_session(s)
    for i in range(4):
        k = T0 + 0.5 + i * 0.25 + d          # KEY_DOWN leaves the link (server side)
        inp.msg("c2s", k, KEY_DOWN, struct.pack("<I", 0x1e))
        disp.msg("s2c", k + 0.010 + d, DRAW_COPY, bytes(900))   # answered 10 ms later
    pk = s.finish()
    for p in pk:
        p.enter = p.t - d
    cap = os.path.join(wd, "views.pcapng")
    ws.write_pcapng(cap, pk, link="raw", comments=True)
    for view, want in (("auto", 50.0), ("client", 50.0), ("capture", 30.0), ("server", 10.0)):
        doc, _ = run_wire(wire, cap, "--view", view, "--quiet")
        lat = [k["reply_ms"] for k in doc["keys"]]
        check(len(lat) == 4 and all(near(x, want) for x in lat),
              "--view %s: key -> DRAW_COPY %s ms (expected %.0f)" % (view, lat, want))
        check(doc["capture"]["view"] == (view if view != "auto" else "client"),
              "view reported as %s" % doc["capture"]["view"])


def case_full_header(wire, wd):
    s = ws.Session(client_ip="[fd00:0:0:0:0:0:0:2]", server_ip="[fd00:0:0:0:0:0:0:1]")
    main, disp, inp = base_session(s, mini=False)
    for i in range(3):
        t = T0 + 0.5 + i * 0.25
        key(inp, t)
        reply_2d(disp, t)
    cap = os.path.join(wd, "full.pcap")
    ws.write_pcap(cap, s.finish(), link="ether")
    doc, _ = run_wire(wire, cap)
    check(doc["capture"]["format"] == "pcap", "read as classic pcap")
    check_2d_keys(doc, 3)


def case_sessions(wire, wd):
    s = ws.Session()
    _, disp_a, inp_a = base_session(s, cport=40001, sid=0xa)
    _, disp_b, inp_b = base_session(s, cport=41001, sid=0xb, t=T0 + 0.1)
    for j in range(90):
        disp_b.msg("s2c", T0 + 0.2 + j / 60.0, STREAM_DATA, bytes(3000))
    for i in range(3):
        t = T0 + 0.5 + i * 0.3
        key(inp_a, t)
        disp_a.msg("s2c", t + 0.040, DRAW_COPY, bytes(800))
    key(inp_b, T0 + 1.5 + 0.002)
    cap = os.path.join(wd, "sessions.pcapng")
    ws.write_pcapng(cap, s.finish())
    doc, _ = run_wire(wire, cap)
    ks = keys_of(doc)
    check(len(ks) == 4, "4 key presses in two sessions (%d)" % len(ks))
    a = [k for k in ks if k["session"] == 0xa]
    b = [k for k in ks if k["session"] == 0xb]
    check(len(a) == 3 and all(k["reply_type"] == "DRAW_COPY" and near(k["reply_ms"], 40.0)
                              for k in a),
          "session a's keys answered by a's display after 40 ms, not by b's stream")
    check(len(b) == 1 and b[0]["reply_type"] == "STREAM_DATA" and b[0]["display_busy"],
          "session b's key answered by b's stream")


def tls_conn(s, cport, t):
    ch = s.channel(cport, 0, 0)
    ch.server = (s.server_ip, 5901)
    s.add(ws.Pkt(t, ch.client, ch.server, ch.seq["c2s"], 0, ws.SYN))
    ch.seq["c2s"] += 1
    ch.seq["s2c"] += 1
    ch.c2s(t + 0.001, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(500))
    ch.s2c(t + 0.002, b"\x16\x03\x03\x00\x7a\x02" + bytes(2000))
    ch.c2s(t + 0.1, b"\x17\x03\x03\x00\x20" + bytes(32))
    return ch


def case_tls(wire, wd):
    s = ws.Session()
    tls_conn(s, 45000, T0)
    cap = os.path.join(wd, "tls-only.pcapng")
    ws.write_pcapng(cap, s.finish())
    doc, r = run_wire(wire, cap, expect_rc=1)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    check(len(lines) == 1 and "TLS" in lines[0] and cap in lines[0],
          "TLS only: exit 1 and one line naming the file and TLS: %r" % lines)
    check(doc["connections"][0]["kind"] == "tls", "the connection is listed as TLS")
    check("encrypted" in r.stdout and "can't be decoded" in r.stdout,
          "the report says encrypted channels can't be decoded")
    s = ws.Session()
    main, disp, inp = base_session(s)
    tls_conn(s, 45000, T0 + 0.2)
    for i in range(2):
        t = T0 + 0.5 + i * 0.25
        key(inp, t)
        reply_2d(disp, t)
    cap = os.path.join(wd, "tls-mixed.pcapng")
    ws.write_pcapng(cap, s.finish())
    doc, r = run_wire(wire, cap)
    check_2d_keys(doc, 2)
    check("tls" in doc["channels"] and doc["channels"]["tls"]["bytes_s2c"] > 0,
          "TLS bytes in their own column")


CASES = {
    "streaming": case_streaming, "2d": case_2d, "lossy": case_lossy, "views": case_views,
    "full-header": case_full_header, "sessions": case_sessions, "tls": case_tls,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wire", required=True)
    ap.add_argument("case", choices=sorted(CASES) + ["all"])
    a = ap.parse_args()
    wd = tempfile.mkdtemp(prefix="r3d-wire-")
    for name in (sorted(CASES) if a.case == "all" else [a.case]):
        log("== " + name)
        CASES[name](a.wire, wd)
    log("PASS")


if __name__ == "__main__":
    main()
