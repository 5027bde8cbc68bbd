"""Synthetic SPICE captures for remote3d-wire's tests (python3 stdlib only).

Session builds the byte streams of SPICE channels (link phase, mini or
full headers, messages) over TCP, cut into segments at given times; the
receiver's cumulative ACKs are generated from what the capture shows, so
a segment removed as "lost" is acknowledged only once its retransmission
arrived. write_pcapng / write_pcap put the packets in a file: Ethernet or
raw IP, IPv4 or IPv6, optional latency-sim comments (enter= times).
"""
import struct

CAP_AUTH_SELECTION, CAP_AUTH_SPICE, CAP_MINI_HEADER = 1 << 0, 1 << 1, 1 << 3


class Pkt:
    def __init__(self, t, src, dst, seq, ack, flags, payload=b"", enter=None):
        self.t, self.src, self.dst = t, src, dst
        self.seq, self.ack, self.flags, self.payload = seq, ack, flags, payload
        self.enter = enter
        self.tag = None

    def copy(self, t=None):
        p = Pkt(self.t if t is None else t, self.src, self.dst, self.seq, self.ack,
                self.flags, self.payload, self.enter)
        p.tag = self.tag
        return p


SYN, ACK, FIN, PSH = 0x02, 0x10, 0x01, 0x08


class Channel:
    """One SPICE channel = one TCP connection; c2s()/s2c() write bytes at a time."""

    def __init__(self, session, cport, ctype, cid, chid=0, mini=True, mss=1400):
        self.s = session
        self.client = (session.client_ip, cport)
        self.server = (session.server_ip, session.server_port)
        self.ctype, self.mini, self.mss = ctype, mini, mss
        self.seq = {"c2s": 1000 + cport * 7, "s2c": 50000 + cport * 11}
        self.cid, self.chid = cid, chid

    def open(self, t):
        s = self.s
        s.add(Pkt(t, self.client, self.server, self.seq["c2s"], 0, SYN))
        s.add(Pkt(t + 1e-5, self.server, self.client, self.seq["s2c"],
                  self.seq["c2s"] + 1, SYN | ACK))
        self.seq["c2s"] += 1
        self.seq["s2c"] += 1
        caps = CAP_AUTH_SELECTION | CAP_AUTH_SPICE | (CAP_MINI_HEADER if self.mini else 0)
        mess = struct.pack("<IBBIII", self.cid, self.ctype, self.chid, 1, 0, 18) + \
            struct.pack("<I", caps)
        self.c2s(t + 2e-5, b"REDQ" + struct.pack("<III", 2, 2, len(mess)) + mess)
        reply = struct.pack("<I", 0) + bytes(162) + struct.pack("<III", 1, 0, 178) + \
            struct.pack("<I", caps)
        self.s2c(t + 3e-5, b"REDQ" + struct.pack("<III", 2, 2, len(reply)) + reply)
        self.c2s(t + 4e-5, struct.pack("<I", 1) + bytes(128))
        self.s2c(t + 5e-5, struct.pack("<I", 0))
        return self

    def header(self, mtype, size):
        if self.mini:
            return struct.pack("<HI", mtype, size)
        return struct.pack("<QHII", 0, mtype, size, 0)

    def msg(self, direction, t, mtype, body=b"", spacing=0.0, tag=None):
        data = self.header(mtype, len(body)) + body
        return self.write(direction, t, data, spacing, tag)

    def c2s(self, t, data, spacing=0.0, tag=None):
        return self.write("c2s", t, data, spacing, tag)

    def s2c(self, t, data, spacing=0.0, tag=None):
        return self.write("s2c", t, data, spacing, tag)

    def write(self, direction, t, data, spacing=0.0, tag=None):
        """Segments of data, the first at t, each next spacing later; returns them."""
        src, dst = (self.client, self.server) if direction == "c2s" else \
            (self.server, self.client)
        out = []
        for i in range(0, len(data), self.mss):
            chunk = data[i:i + self.mss]
            p = Pkt(t + len(out) * spacing, src, dst, self.seq[direction] & 0xFFFFFFFF,
                    0, ACK | PSH, chunk)
            p.tag = tag
            self.seq[direction] += len(chunk)
            self.s.add(p)
            out.append(p)
        return out


class Session:
    def __init__(self, client_ip="10.0.0.2", server_ip="10.0.0.1", server_port=5900):
        self.client_ip, self.server_ip, self.server_port = client_ip, server_ip, server_port
        self.packets = []

    def add(self, p):
        self.packets.append(p)

    def channel(self, cport, ctype, cid, **kw):
        return Channel(self, cport, ctype, cid, **kw)

    def finish(self, drop_from_capture=()):
        """Packets in time order with the receivers' ACKs; drop_from_capture:
        packets the receiver got but the capture did not show."""
        pk = sorted(self.packets, key=lambda p: p.t)
        have = {}     # (src, dst) -> (isn-ish next contiguous seq, set of ranges)
        out = []
        for p in pk:
            out.append(p)
            key = (p.src, p.dst)
            if p.flags & SYN:
                have[key] = [(p.seq + 1) & 0xFFFFFFFF, []]
                continue
            if not p.payload or key not in have:
                continue
            st = have[key]
            st[1].append((p.seq, p.seq + len(p.payload)))
            progress = True
            while progress:
                progress = False
                for a, b in st[1]:
                    if a <= st[0] < b:
                        st[0] = b
                        progress = True
            a = Pkt(p.t + 1e-6, p.dst, p.src, 0, st[0] & 0xFFFFFFFF, ACK)
            a.enter = None if p.enter is None else p.enter
            out.append(a)
        # pure ACKs take the seq of their direction's next byte (not checked)
        drop = set(id(p) for p in drop_from_capture)
        return [p for p in out if id(p) not in drop]


def _ip_bytes(ip):
    if ip.startswith("["):
        words = ip.strip("[]").split(":")
        return b"".join(struct.pack("!H", int(w, 16)) for w in words)
    return bytes(int(x) for x in ip.split("."))


def frame(p, link="raw"):
    """The packet as bytes: link 'raw' (IP only) or 'ether'."""
    tcp = struct.pack("!HHIIHHHH", p.src[1], p.dst[1], p.seq, p.ack, (5 << 12) | p.flags,
                      65535, 0, 0) + p.payload
    src, dst = _ip_bytes(p.src[0]), _ip_bytes(p.dst[0])
    if len(src) == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         src, dst) + tcp
        etype = 0x0800
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, src, dst) + tcp
        etype = 0x86DD
    if link == "ether":
        return bytes(12) + struct.pack("!H", etype) + ip
    return ip


def _opt(code, val):
    return struct.pack("<HH", code, len(val)) + val + bytes((4 - len(val) % 4) % 4)


def write_pcapng(path, packets, link="raw", comments=False, snaplen=None):
    linktype = 101 if link == "raw" else 1
    with open(path, "wb") as f:
        body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        f.write(struct.pack("<II", 0x0A0D0D0A, 12 + len(body)) + body +
                struct.pack("<I", 12 + len(body)))
        opts = _opt(2, b"up") + _opt(9, bytes([6])) + _opt(0, b"")
        body = struct.pack("<HHI", linktype, 0, 0) + opts
        f.write(struct.pack("<II", 1, 12 + len(body)) + body + struct.pack("<I", 12 + len(body)))
        for p in packets:
            data = frame(p, link)
            orig = len(data)
            if snaplen:
                data = data[:snaplen]
            ts = int(round(p.t * 1e6))
            body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig) + \
                data + bytes((4 - len(data) % 4) % 4)
            if comments and p.enter is not None:
                us = int(round(p.enter * 1e6))
                c = ("enter=%d.%06d tx=0 txend=0 delay_us=%d" % (
                    us // 1000000, us % 1000000, ts - us)).encode()
                body += _opt(1, c) + _opt(0, b"")
            f.write(struct.pack("<II", 6, 12 + len(body)) + body +
                    struct.pack("<I", 12 + len(body)))


def write_pcap(path, packets, link="ether"):
    linktype = 101 if link == "raw" else 1
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for p in packets:
            data = frame(p, link)
            ts = int(round(p.t * 1e6))
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(data), len(data)))
            f.write(data)
