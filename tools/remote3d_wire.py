#!/usr/bin/env python3
"""remote3d-wire CAPTURE: the wireshark measurement of input latency, automated.

Reads a pcap/pcapng capture of SPICE traffic (latency-sim --pcap FILE,
tshark -i lo -f 'tcp port 5900' -w FILE, tcpdump -w FILE), follows the
SPICE channels of every TCP connection and prints

- the connections: channel (main, display, inputs, ...), session, header;
- the bytes per channel per second (a table) and each channel's mean rate;
- for every key press (inputs channel, client -> server KEY_DOWN 101, or a
  press in KEY_SCANCODE 104) the time to the first display-channel picture
  message (STREAM_DATA 123, DRAW_COPY 304 or any other DRAW_*, COPY_BITS,
  STREAM_DATA_SIZED, GL_DRAW) the server sends after it, which one it was,
  and the first display message of any kind;
- p50/p95 of key -> display over the key presses.

What it measures: wire times at the capture point, nothing about the
pictures. The first picture after a key is its echo only when the display
was idle before it (an xterm); on a display that streams all the time it
is merely the next frame: the report says for how many keys the display
was busy. TLS connections are encrypted: counted as bytes, not decoded.

Exit status: 0 report printed; 1 SPICE connections found but none could
be decoded (TLS, or begun before the capture); 2 bad option, unreadable
file, not a capture, no SPICE connection.

Standard library only (python3 >= 3.7).
"""
import argparse
import bisect
import csv
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import wire_capture  # noqa: E402
import wire_spice    # noqa: E402

PROG = "remote3d-wire"
BUSY_S = 0.100   # a picture this close before a key: the display was streaming
DEFAULT_PORTS = range(5900, 6000)

VIEWS = {
    "capture": "capture timestamps (one capture point; on loopback both ends are "
               "this host)",
    "client": "the client's side: latency-sim's enter= time for packets the client "
              "sent, the exit time for packets it received (what a capture on the "
              "client machine would show)",
    "server": "the server's side: latency-sim's enter= time for packets the server "
              "sent, the exit time for packets it received",
}


class InputError(Exception):
    pass


def percentile(sorted_vals, pct):
    """Nearest rank, as libremote3d's stats (encoder/stats.c)."""
    if not sorted_vals:
        return None
    rank = max(1, (pct * len(sorted_vals) + 99) // 100)
    return sorted_vals[rank - 1]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # one line, not argparse's usage block
        sys.stderr.write("%s: %s (--help for the options)\n" % (self.prog, message))
        sys.exit(2)


def parse_args(argv):
    ap = _Parser(
        prog=PROG,
        description="Key press -> display reply times and bytes per SPICE channel "
                    "from a packet capture (pcap or pcapng).")
    ap.add_argument("capture", help="pcap/pcapng file (latency-sim --pcap, tshark -w, "
                                    "tcpdump -w)")
    ap.add_argument("--port", type=int, action="append", metavar="N",
                    help="the SPICE server's TCP port (repeatable); default: every "
                         "connection that starts with a SPICE link message")
    ap.add_argument("--view", choices=["auto", "capture", "client", "server"],
                    default="auto",
                    help="which side's times (latency-sim captures carry both): "
                         "auto = client when packets carry latency-sim's enter= "
                         "comment, else capture")
    ap.add_argument("--interval", type=float, default=1.0, metavar="S",
                    help="width of the byte-rate table's rows in seconds "
                         "(0.01 ... 3600, default 1)")
    ap.add_argument("--json", metavar="FILE", help="the whole report as JSON")
    ap.add_argument("--csv", metavar="FILE", help="one row per key press")
    ap.add_argument("--quiet", action="store_true",
                    help="no per-key lines and no per-second table on stdout")
    a = ap.parse_args(argv)
    if not (0.01 <= a.interval <= 3600):
        ap.error("--interval: %g is outside 0.01 ... 3600" % a.interval)
    for p in a.port or []:
        if not (1 <= p <= 65535):
            ap.error("--port: %d is not a TCP port" % p)
    return a


# ------------------------------------------------------------------ reading

def read(args):
    info = wire_capture.CaptureInfo()
    packets = wire_capture.read_capture(args.capture, info)
    ports = set(args.port or [])
    is_server_port = (lambda port: port in ports) if ports else \
        (lambda port: port in DEFAULT_PORTS)
    view = [args.view]
    conns = []

    def make(tcp):
        c = wire_spice.SpiceConnection(tcp, view[0], args.interval)
        conns.append(c)
        return c

    re = wire_capture.Reassembler(make, is_server_port)
    try:
        for p in packets:
            if view[0] == "auto":
                view[0] = "client" if p.enter is not None else "capture"
            if ports and p.sport not in ports and p.dport not in ports:
                continue
            re.feed(p)
    except wire_capture.CaptureError as e:
        if info.frames == 0:
            raise InputError(str(e))
        info.warnings.append("%s: read up to there" % e)
    except MemoryError:
        raise InputError("capture too large to follow in memory")
    re.finish()
    if view[0] == "auto":
        view[0] = "capture"
    return info, view[0], conns


# ------------------------------------------------------------------ analysis

def session_of(c):
    if c.session_id is not None:
        return c.session_id
    return ("connection", id(c))


def key_presses(c):
    """(time, code) of every key press the inputs channel c carried."""
    keys = []
    for m in c.messages("c2s"):
        if m.type == wire_spice.MSGC_INPUTS_KEY_DOWN and len(m.body) >= 4:
            keys.append((m.end, int.from_bytes(m.body[:4], "little"), "KEY_DOWN"))
        elif m.type == wire_spice.MSGC_INPUTS_KEY_SCANCODE:
            prefix = 0
            for b in m.body:
                if b == 0xE0:
                    prefix = 0xE0
                    continue
                if not b & 0x80:
                    keys.append((m.end, (prefix << 8) | b, "KEY_SCANCODE"))
                prefix = 0
    return keys


def analyse(info, view, conns, args):
    spice = [c for c in conns if c.kind == "spice"]
    tls = [c for c in conns if c.kind == "tls"]
    mid = [c for c in conns if c.kind == "mid-stream" or
           (c.kind is None and (c.bytes["c2s"] or c.bytes["s2c"]) and not c.tcp.syn_seen)]
    if not spice and not tls:
        if info.tcp_packets == 0:
            raise InputError("no TCP packets in the capture (%d packets, link types %s)"
                             % (info.frames, ", ".join(
                                 wire_capture.LINK_NAMES.get(t, str(t))
                                 for t in sorted(info.link_types)) or "none"))
        if args.port and not conns:
            raise InputError("no TCP connection on port %s"
                             % ", ".join(map(str, args.port)))
        why = "no SPICE connection (%d TCP connections, none starts with a SPICE " \
              "link message \"REDQ\")" % len(conns)
        if mid:
            why += "; %d began before the capture: start the capture before the " \
                   "client connects" % len(mid)
            if args.port:
                raise InputError(why)
        raise InputError(why)

    t0 = min((c.first_data for c in conns if c.first_data is not None), default=0.0)
    sessions = {}
    for c in spice:
        sessions.setdefault(session_of(c), []).append(c)

    # key presses and display replies, per session
    keys = []
    for sid, members in sessions.items():
        disp = sorted((m for c in members if c.channel_type == 2
                       for m in c.messages("s2c")), key=lambda m: m.start)
        starts = [m.start for m in disp]
        pics = [m for m in disp if m.type in wire_spice.DISPLAY_PICTURE]
        pic_starts = [m.start for m in pics]
        for c in members:
            if c.channel_type != 3:
                continue
            for t, code, how in key_presses(c):
                k = {"t": t, "code": code, "message": how, "session": sid,
                     "display_channels": sum(1 for x in members if x.channel_type == 2)}
                i = bisect.bisect_right(pic_starts, t)
                if i < len(pics):
                    m = pics[i]
                    k["reply"] = m
                j = bisect.bisect_right(starts, t)
                if j < len(disp):
                    k["first"] = disp[j]
                # the last picture that had begun before the key
                before = pics[i - 1] if i > 0 else None
                if before is not None:
                    k["idle_s"] = max(0.0, t - before.end) if before.end <= t else 0.0
                keys.append(k)
    keys.sort(key=lambda k: k["t"])
    for n, k in enumerate(keys, 1):
        k["n"] = n
    return {"spice": spice, "tls": tls, "mid": mid, "sessions": sessions,
            "keys": keys, "t0": t0}


def channel_order(name):
    base = name.rstrip("0123456789")
    types = {v: k for k, v in wire_spice.CHANNELS.items()}
    return (types.get(base, 99), name)


def rate_table(a, conns, interval):
    """{bin: {column: [c2s, s2c]}}, column names, and per-column totals."""
    cols = {}
    for c in a["spice"]:
        cols.setdefault(c.channel or "unknown", []).append(c)
    for c in a["tls"]:
        cols.setdefault("tls", []).append(c)
    names = sorted(cols, key=channel_order)
    bins = {}
    totals = {}
    for name in names:
        tot = totals.setdefault(name, {"c2s": 0, "s2c": 0, "first": None, "last": None,
                                       "connections": len(cols[name]),
                                       "retransmitted": 0, "messages_c2s": 0,
                                       "messages_s2c": 0})
        for c in cols[name]:
            for b, (up, down) in c.bins.items():
                cell = bins.setdefault(b, {}).setdefault(name, [0, 0])
                cell[0] += up
                cell[1] += down
            tot["c2s"] += c.bytes["c2s"]
            tot["s2c"] += c.bytes["s2c"]
            tot["retransmitted"] += c.tcp.up.retransmitted + c.tcp.down.retransmitted
            if c.kind == "spice":
                tot["messages_c2s"] += len(c.messages("c2s"))
                tot["messages_s2c"] += len(c.messages("s2c"))
            if c.first_data is not None:
                tot["first"] = c.first_data if tot["first"] is None else min(tot["first"], c.first_data)
                tot["last"] = c.last_data if tot["last"] is None else max(tot["last"], c.last_data)
    return bins, names, totals


# More intervals than this between the first and the last byte (timestamps
# that jump, e.g. a corrupt or spliced capture): the rate table lists only
# the intervals with data instead of every one.
MAX_RATE_ROWS = 100000


def rate_rows(bins):
    """The intervals the rate table lists, and whether empty ones were left out."""
    if not bins:
        return [], False
    lo, hi = min(bins), max(bins)
    if hi - lo + 1 <= MAX_RATE_ROWS:
        return range(lo, hi + 1), False
    return sorted(bins), True


def message_types(a, column, direction):
    """{message name: count} of the SPICE connections in a table column."""
    counts = {}
    for c in a["spice"]:
        if (c.channel or "unknown") != column:
            continue
        for m in c.messages(direction):
            name = wire_spice.message_name(c.channel_type, direction, m.type)
            counts[name] = counts.get(name, 0) + 1
    return counts


def kbps(nbytes, first, last, interval):
    span = max((last or 0) - (first or 0), interval)
    return nbytes * 8 / span / 1000.0


# ------------------------------------------------------------------ output

def ms(x):
    return None if x is None else round(x * 1000.0, 3)


def key_row(k):
    r = k.get("reply")
    f = k.get("first")
    return {
        "n": k["n"],
        "t_s": round(k["t"], 6),
        "code": "%#x" % k["code"],
        "message": k["message"],
        "session": k["session"] if isinstance(k["session"], int) else None,
        "reply_type": wire_spice.message_name(2, "s2c", r.type) if r else None,
        "reply_ms": ms(r.start - k["t"]) if r else None,
        "reply_complete_ms": ms(r.end - k["t"]) if r else None,
        "reply_bytes": r.size if r else None,
        "first_display_type": wire_spice.message_name(2, "s2c", f.type) if f else None,
        "first_display_ms": ms(f.start - k["t"]) if f else None,
        "display_idle_before_ms": ms(k["idle_s"]) if "idle_s" in k else None,
        "display_busy": ("idle_s" in k and k["idle_s"] < BUSY_S),
    }


def summary(rows):
    lat = sorted(r["reply_ms"] for r in rows if r["reply_ms"] is not None)
    done = sorted(r["reply_complete_ms"] for r in rows if r["reply_complete_ms"] is not None)
    types = {}
    for r in rows:
        if r["reply_type"]:
            types[r["reply_type"]] = types.get(r["reply_type"], 0) + 1
    return {
        "keys": len(rows),
        "with_reply": len(lat),
        "without_reply": len(rows) - len(lat),
        "display_busy": sum(1 for r in rows if r["display_busy"]),
        "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95),
        "min_ms": lat[0] if lat else None, "max_ms": lat[-1] if lat else None,
        "complete_p50_ms": percentile(done, 50), "complete_p95_ms": percentile(done, 95),
        "reply_types": types,
    }


def fmt_ms(x):
    return "-" if x is None else "%.1f" % x


def endpoint(e):
    return "%s:%d" % e


def notes_for(info, view, a, conns):
    notes = list(info.warnings)
    for why, n in sorted(info.skipped.items()):
        if why not in ("not TCP", "not IP"):
            notes.append("%d packets skipped: %s" % (n, why))
    if info.truncated_packets:
        notes.append("%d packets were captured shorter than sent (snapshot length): "
                     "their missing bytes count as gaps" % info.truncated_packets)
    for c in a["spice"] + a["tls"]:
        name = "%s %s" % (c.channel or c.kind, endpoint(c.tcp.client))
        for d, why in sorted(c.stopped().items() if c.kind == "spice" else ()):
            notes.append("%s %s: decoding stopped: %s" % (name, d, why))
        gaps = [g for g in c.gaps]
        if gaps:
            notes.append("%s: %d bytes in %d hole(s) never captured (the receiver's ACK "
                         "shows it got them)" % (name, sum(g[1] for g in gaps), len(gaps)))
        if c.enter_missing:
            notes.append("%s: %d pieces without latency-sim's enter= time: capture "
                         "time used" % (name, c.enter_missing))
        for n in c.notes:
            notes.append("%s: %s" % (name, n))
    if a["tls"]:
        ports = sorted({c.tcp.server[1] for c in a["tls"]})
        notes.append("%d TLS connections (port %s): encrypted, SPICE channels, keys and "
                     "display messages can't be decoded; only their bytes are counted "
                     "(column tls). Capture the plain port to measure."
                     % (len(a["tls"]), ", ".join(map(str, ports))))
    if a["mid"]:
        notes.append("%d connections began before the capture: not decoded (start the "
                     "capture before the client connects)" % len(a["mid"]))
    refused = [c for c in a["spice"] if c.link_error]
    for c in refused:
        notes.append("%s %s: link refused by the server: %s"
                     % (c.channel, endpoint(c.tcp.client), c.link_error))
    others = [c for c in conns if c.kind == "other"]
    if others:
        notes.append("%d other TCP connections (not SPICE) ignored" % len(others))
    if view != "capture":
        if not info.enter_times:
            notes.append("--view %s needs latency-sim's enter= comments: none in this "
                         "capture, capture times used" % view)
    return notes


def report(args, info, view, a, conns):
    out = sys.stdout
    bins, names, totals = rate_table(a, conns, args.interval)
    rows = [key_row(k) for k in a["keys"]]
    summ = summary(rows)
    notes = notes_for(info, view, a, conns)
    shown, sparse = rate_rows(bins)
    if sparse:
        notes.append("the capture's times span %d intervals of %g s (timestamps jump): the "
                     "rate table lists only the %d with data" % (
                         max(bins) - min(bins) + 1, args.interval, len(bins)))
    t0 = a["t0"]
    start = min((c.tcp.first_time for c in conns), default=0.0)
    end = max((c.tcp.last_time for c in conns), default=0.0)

    links = ", ".join(wire_capture.LINK_NAMES.get(t, str(t)) for t in sorted(info.link_types))
    out.write("%s: %s (%s, %s%s; %d packets, %d TCP; %.2f s)\n" % (
        PROG, args.capture, info.format, links,
        (", interfaces " + ", ".join(info.interfaces)) if len(info.interfaces) > 1 else "",
        info.frames, info.tcp_packets, end - start))
    out.write("times: %s\n" % VIEWS[view])

    out.write("\nSPICE connections:\n")
    out.write("  %-3s %-22s %-22s %-9s %-10s %-6s %12s %12s\n" % (
        "#", "client", "server", "channel", "session", "header", "bytes c->s", "bytes s->c"))
    for i, c in enumerate(sorted(a["spice"] + a["tls"], key=lambda c: c.tcp.first_time), 1):
        s2c = c.sinks.get("s2c")
        header = "-" if c.kind != "spice" or s2c is None or s2c.header is None else \
            ("mini" if s2c.header == 6 else "full")
        sess = c.session_id if c.kind == "spice" else None
        out.write("  %-3d %-22s %-22s %-9s %-10s %-6s %12d %12d%s\n" % (
            i, endpoint(c.tcp.client), endpoint(c.tcp.server),
            c.channel if c.kind == "spice" else "TLS",
            "-" if sess is None else "%#x" % sess, header,
            c.bytes["c2s"], c.bytes["s2c"],
            "  refused: " + c.link_error if c.link_error else
            ("  encrypted" if c.kind == "tls" else "")))

    unit = "second" if args.interval == 1 else "%g s" % args.interval
    if not args.quiet and bins:
        out.write("\nBytes per channel per %s (TCP payload both directions, "
                  "retransmitted copies not counted; t from the first SPICE byte):\n" % unit)
        out.write("  %8s" % "t (s)" + "".join(" %10s" % n for n in names) + "\n")
        b0 = int(t0 // args.interval)
        for b in shown:
            cells = bins.get(b, {})
            out.write("  %8.2f" % ((b - b0) * args.interval) + "".join(
                " %10d" % sum(cells.get(n, [0, 0])) for n in names) + "\n")
    out.write("\nPer channel (mean over the channel's own span):\n")
    out.write("  %-10s %5s %12s %12s %11s %11s %9s %9s %10s\n" % (
        "channel", "conns", "bytes c->s", "bytes s->c", "kbit/s c->s", "kbit/s s->c",
        "msgs c->s", "msgs s->c", "retrans B"))
    for n in names:
        t = totals[n]
        out.write("  %-10s %5d %12d %12d %11.1f %11.1f %9d %9d %10d\n" % (
            n, t["connections"], t["c2s"], t["s2c"],
            kbps(t["c2s"], t["first"], t["last"], args.interval),
            kbps(t["s2c"], t["first"], t["last"], args.interval),
            t["messages_c2s"], t["messages_s2c"], t["retransmitted"]))

    out.write("\nMessages per channel (type: count):\n")
    for n in names:
        for d, arrow in (("s2c", "s->c"), ("c2s", "c->s")):
            counts = message_types(a, n, d)
            if counts:
                out.write("  %-10s %s  %s\n" % (n, arrow, ", ".join(
                    "%s %d" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1]))))

    out.write("\nKey presses (inputs KEY_DOWN 101 client->server) -> first display picture "
              "message server->client after it:\n")
    if not rows:
        n_in = sum(len(c.messages("c2s")) for c in a["spice"] if c.channel_type == 3)
        n_ch = sum(1 for c in a["spice"] if c.channel_type == 3)
        if not n_ch and a["tls"]:
            out.write("  none readable: the channels are inside TLS\n")
        else:
            out.write("  none on the wire (%d inputs channels, %d client messages on them)\n"
                      % (n_ch, n_in))
    elif not args.quiet:
        out.write("  %4s %9s %7s %-18s %9s %9s %-18s %9s %12s\n" % (
            "#", "t (s)", "code", "reply", "ms", "done ms", "first display msg", "ms",
            "idle before"))
        for r, k in zip(rows, a["keys"]):
            out.write("  %4d %9.3f %7s %-18s %9s %9s %-18s %9s %12s\n" % (
                r["n"], k["t"] - t0, r["code"], r["reply_type"] or "none",
                fmt_ms(r["reply_ms"]), fmt_ms(r["reply_complete_ms"]),
                r["first_display_type"] or "none", fmt_ms(r["first_display_ms"]),
                (fmt_ms(r["display_idle_before_ms"]) + " ms" +
                 (" busy" if r["display_busy"] else "")) if r["display_idle_before_ms"]
                is not None else "-"))
    if rows:
        types = ", ".join("%s %d" % kv for kv in sorted(summ["reply_types"].items(),
                                                         key=lambda kv: -kv[1]))
        out.write("\nSummary: %d key presses, %d with a display reply after them; key -> "
                  "first picture message p50 %s ms, p95 %s ms (min %s, max %s); last byte "
                  "of it p50 %s ms, p95 %s ms; replies: %s\n" % (
                      summ["keys"], summ["with_reply"], fmt_ms(summ["p50_ms"]),
                      fmt_ms(summ["p95_ms"]), fmt_ms(summ["min_ms"]), fmt_ms(summ["max_ms"]),
                      fmt_ms(summ["complete_p50_ms"]), fmt_ms(summ["complete_p95_ms"]),
                      types or "none"))
        if summ["display_busy"]:
            out.write("Note: the display sent pictures less than %d ms before %d of %d key "
                      "presses: for those the first picture after the key is the next frame "
                      "of a busy display, not necessarily the key's echo (the wire can't "
                      "tell which picture shows it; remote3d-client --keys times the "
                      "marker in the decoded picture).\n"
                      % (BUSY_S * 1000, summ["display_busy"], summ["keys"]))
    for n in notes:
        out.write("Note: %s\n" % n)

    doc = {
        "capture": {"file": args.capture, "format": info.format,
                    "link_types": sorted(info.link_types), "interfaces": info.interfaces,
                    "packets": info.frames, "tcp_packets": info.tcp_packets,
                    "start": start, "duration_s": end - start,
                    "view": view, "times": VIEWS[view]},
        "connections": [{
            "client": endpoint(c.tcp.client), "server": endpoint(c.tcp.server),
            "kind": c.kind, "channel": c.channel, "channel_type": c.channel_type,
            "channel_id": c.channel_id,
            "session": c.session_id if c.kind == "spice" else None,
            "link_error": c.link_error,
            "bytes_c2s": c.bytes["c2s"], "bytes_s2c": c.bytes["s2c"],
            "messages_c2s": len(c.messages("c2s")) if c.kind == "spice" else None,
            "messages_s2c": len(c.messages("s2c")) if c.kind == "spice" else None,
            "retransmitted_bytes": c.tcp.up.retransmitted + c.tcp.down.retransmitted,
            "gap_bytes": c.tcp.up.gap_bytes + c.tcp.down.gap_bytes,
            "stopped": c.stopped() or None,
        } for c in sorted(a["spice"] + a["tls"], key=lambda c: c.tcp.first_time)],
        "channels": {n: {
            "connections": totals[n]["connections"],
            "bytes_c2s": totals[n]["c2s"], "bytes_s2c": totals[n]["s2c"],
            "kbps_c2s": round(kbps(totals[n]["c2s"], totals[n]["first"], totals[n]["last"],
                                   args.interval), 3),
            "kbps_s2c": round(kbps(totals[n]["s2c"], totals[n]["first"], totals[n]["last"],
                                   args.interval), 3),
            "bytes_per_s_c2s": round(kbps(totals[n]["c2s"], totals[n]["first"],
                                          totals[n]["last"], args.interval) * 125, 1),
            "bytes_per_s_s2c": round(kbps(totals[n]["s2c"], totals[n]["first"],
                                          totals[n]["last"], args.interval) * 125, 1),
            "messages_c2s": totals[n]["messages_c2s"],
            "messages_s2c": totals[n]["messages_s2c"],
            "retransmitted_bytes": totals[n]["retransmitted"],
            "message_types_c2s": message_types(a, n, "c2s"),
            "message_types_s2c": message_types(a, n, "s2c"),
        } for n in names},
        "rates": {"interval_s": args.interval, "columns": names, "rows": [
            {"t": round((b - int(t0 // args.interval)) * args.interval, 6),
             **{n: {"c2s": bins.get(b, {}).get(n, [0, 0])[0],
                    "s2c": bins.get(b, {}).get(n, [0, 0])[1]} for n in names}}
            for b in shown]},
        "keys": rows,
        "summary": summ,
        "notes": notes,
    }
    for r, k in zip(rows, a["keys"]):
        r["t_rel_s"] = round(k["t"] - t0, 6)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            fields = ["n", "t_s", "t_rel_s", "code", "message", "session", "reply_type",
                      "reply_ms", "reply_complete_ms", "reply_bytes", "first_display_type",
                      "first_display_ms", "display_idle_before_ms", "display_busy"]
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            for r in rows:
                w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in fields})
    return doc


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        info, view, conns = read(args)
        a = analyse(info, view, conns, args)
    except (InputError, wire_capture.CaptureError) as e:
        sys.stderr.write("%s: %s: %s\n" % (PROG, args.capture, e))
        return 2
    try:
        report(args, info, view, a, conns)
    except OSError as e:
        sys.stderr.write("%s: cannot write %s: %s\n" % (PROG, e.filename, e.strerror))
        return 2
    if not any(c.link_ok for c in a["spice"]):
        what = "TLS-encrypted" if a["tls"] else "not decodable"
        sys.stderr.write("%s: %s: no SPICE connection could be decoded (%s): no channel, "
                         "key or display message can be read\n" % (PROG, args.capture, what))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
