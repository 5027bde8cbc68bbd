"""remote3d-wire: packets from a capture file, TCP streams put back in order.

read_capture(path) yields Packet objects from a pcap or pcapng file
(latency-sim --pcap, tshark/dumpcap, tcpdump): Ethernet, raw IP, Linux
cooked (SLL, SLL2) and BSD loopback link types, IPv4 and IPv6, TCP only.
A pcapng packet comment of latency-sim ("enter=S.US tx=... delay_us=N")
gives the time the packet entered the emulated link (Packet.enter).

Reassembler follows each TCP connection: it hands every byte of each
direction once, in stream order, to the connection's consumer, with the
time of the packet that carried it and of the packet that completed it in
order (they differ after reordering or a retransmission). Retransmitted
copies are counted, not handed again. A hole the capture never fills
(the capture dropped a packet or cut it short, while the receiver's ACK
shows it got the bytes) is skipped and reported as a gap.

Standard library only; python3 >= 3.7.
"""
import struct

# link types (pcap LINKTYPE_* and the DLT_* values some files carry)
LT_NULL = 0
LT_ETHERNET = 1
LT_RAW_DLT12 = 12
LT_RAW_DLT14 = 14
LT_RAW = 101
LT_LOOP = 108
LT_LINUX_SLL = 113
LT_IPV4 = 228
LT_IPV6 = 229
LT_LINUX_SLL2 = 276

LINK_NAMES = {
    LT_NULL: "BSD loopback", LT_ETHERNET: "Ethernet", LT_RAW_DLT12: "raw IP",
    LT_RAW_DLT14: "raw IP", LT_RAW: "raw IP", LT_LOOP: "OpenBSD loopback",
    LT_LINUX_SLL: "Linux cooked", LT_IPV4: "raw IPv4", LT_IPV6: "raw IPv6",
    LT_LINUX_SLL2: "Linux cooked v2",
}

TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK = 0x01, 0x02, 0x04, 0x10


class CaptureError(Exception):
    """The file cannot be read as a capture (the message says why)."""


class Packet:
    __slots__ = ("index", "time", "enter", "iface", "src", "dst", "sport",
                 "dport", "seq", "ack", "flags", "payload", "truncated")

    def __repr__(self):
        return "<Packet %d %s:%d>%s:%d seq=%d len=%d>" % (
            self.index, self.src, self.sport, self.dst, self.dport, self.seq,
            len(self.payload))


class CaptureInfo:
    """What the reader saw: format, link types, counts, warnings."""

    def __init__(self):
        self.format = None
        self.link_types = set()
        self.interfaces = []        # names where the file gives them
        self.frames = 0             # every packet record
        self.tcp_packets = 0
        self.skipped = {}           # reason -> count
        self.truncated_packets = 0  # captured shorter than on the wire
        self.enter_times = 0        # packets with latency-sim's enter= comment
        self.warnings = []

    def skip(self, why):
        self.skipped[why] = self.skipped.get(why, 0) + 1


# ---------------------------------------------------------------- files

def read_capture(path, info):
    """Yield the TCP packets of a pcap/pcapng file; fill info as it goes.

    Raises CaptureError when the file is not readable or not a capture.
    A file cut inside a record (a capture still being written, killed)
    ends the packets with a warning in info.
    """
    try:
        f = open(path, "rb")
    except OSError as e:
        raise CaptureError("cannot open: %s" % (e.strerror or e))
    with f:
        try:
            head = f.read(24)
        except OSError as e:
            raise CaptureError("cannot read: %s" % (e.strerror or e))
        if len(head) < 4:
            raise CaptureError("not a capture: %s" %
                               ("empty file" if not head else "%d bytes" % len(head)))
        magic = head[:4]
        f.seek(0)
        if magic == b"\x0a\x0d\x0d\x0a":
            info.format = "pcapng"
            reader = _read_pcapng(f, info)
        elif magic in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4",
                       b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"):
            info.format = "pcap"
            reader = _read_pcap(f, info)
        else:
            raise CaptureError("not a pcap or pcapng capture (starts with %s)"
                               % head[:8].hex(" "))
        index = 0
        for t, linktype, iface, data, origlen, comment in reader:
            info.frames += 1
            index += 1
            p = _decode(linktype, data, info)
            if p is None:
                continue
            p.index = index
            p.time = t
            p.iface = iface
            p.enter = _enter_time(comment) if comment else None
            if p.enter is not None:
                info.enter_times += 1
            if len(data) < origlen:
                info.truncated_packets += 1
            info.tcp_packets += 1
            yield p


def _enter_time(comment):
    # latency-sim: "enter=1700000000.123456 tx=... txend=... delay_us=N"
    for word in comment.split():
        if word.startswith("enter="):
            try:
                return float(word[6:])
            except ValueError:
                return None
    return None


def _read_exact(f, n, info, what):
    b = f.read(n)
    if len(b) < n:
        if b or what != "block":
            info.warnings.append("the capture ends inside a %s (file cut short): "
                                 "read up to there" % what)
        return None
    return b


def _read_pcap(f, info):
    hdr = _read_exact(f, 24, info, "file header")
    if hdr is None:
        raise CaptureError("not a capture: pcap file header cut short")
    magic = hdr[:4]
    end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    _, _, _, _, _, network = struct.unpack(end + "HHiIII", hdr[4:])
    linktype = network & 0x0FFFFFFF
    info.link_types.add(linktype)
    div = 1e9 if nano else 1e6
    while True:
        rec = f.read(16)
        if not rec:
            return
        if len(rec) < 16:
            info.warnings.append("the capture ends inside a packet header "
                                 "(file cut short): read up to there")
            return
        sec, frac, incl, orig = struct.unpack(end + "IIII", rec)
        if incl > 0x4000000:
            raise CaptureError("corrupt pcap record (%d bytes) after %d packets"
                               % (incl, info.frames))
        data = _read_exact(f, incl, info, "packet")
        if data is None:
            return
        yield sec + frac / div, linktype, 0, data, orig, None


def _read_pcapng(f, info):
    end = "<"
    ifaces = []   # per section: (linktype, ts_div_or_None, ts_shift, offset_s)
    first = True
    while True:
        head = f.read(8)
        if first and len(head) < 8:
            raise CaptureError("not a capture: pcapng section header cut short")
        if not head:
            return
        if len(head) < 8:
            info.warnings.append("the capture ends inside a block header "
                                 "(file cut short): read up to there")
            return
        if head[:4] == b"\x0a\x0d\x0d\x0a":
            # section header: its byte-order magic says the endianness
            bom = f.read(4)
            if len(bom) < 4:
                raise CaptureError("not a capture: pcapng section header cut short")
            if bom == b"\x4d\x3c\x2b\x1a":
                end = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                end = ">"
            else:
                raise CaptureError("not a pcapng capture (bad byte-order magic %s)"
                                   % bom.hex())
            (total,) = struct.unpack(end + "I", head[4:])
            if total < 28 or total % 4 or total > 0x1000000:
                raise CaptureError("corrupt pcapng section header (length %d)" % total)
            body = _read_exact(f, total - 12, info, "section header")
            if body is None:
                return
            ifaces = []
            first = False
            continue
        if first:
            raise CaptureError("not a pcapng capture (no section header first)")
        btype, total = struct.unpack(end + "II", head)
        if total < 12 or total % 4 or total > 0x4000000:
            raise CaptureError("corrupt pcapng block (type %#x, length %d) after %d packets"
                               % (btype, total, info.frames))
        body = _read_exact(f, total - 8, info, "block")
        if body is None:
            return
        body = body[:-4]
        if btype == 1:            # interface description
            if len(body) < 8:
                raise CaptureError("corrupt pcapng interface block")
            linktype, _, _ = struct.unpack(end + "HHI", body[:8])
            div, shift, offset, name = 1e6, None, 0, None
            for code, val in _options(body[8:], end):
                if code == 9 and val:      # if_tsresol
                    r = val[0]
                    if r & 0x80:
                        shift, div = r & 0x7F, None
                    else:
                        div = 10.0 ** r
                elif code == 14 and len(val) >= 8:   # if_tsoffset (seconds)
                    offset = struct.unpack(end + "q", val[:8])[0]
                elif code == 2:
                    name = val.decode("utf-8", "replace")
            ifaces.append((linktype, div, shift, offset))
            info.link_types.add(linktype)
            info.interfaces.append(name or "if%d" % len(ifaces))
        elif btype in (6, 2):     # enhanced packet, obsolete packet
            if btype == 6:
                if len(body) < 20:
                    raise CaptureError("corrupt pcapng packet block")
                iface, hi, lo, cap, orig = struct.unpack(end + "IIIII", body[:20])
            else:
                if len(body) < 20:
                    raise CaptureError("corrupt pcapng packet block")
                iface, _, hi, lo, cap, orig = struct.unpack(end + "HHIIII", body[:20])
            if iface >= len(ifaces):
                raise CaptureError("pcapng packet on undeclared interface %d" % iface)
            if cap > len(body) - 20:
                raise CaptureError("corrupt pcapng packet block (captured length %d)" % cap)
            data = body[20:20 + cap]
            comment = None
            optstart = 20 + ((cap + 3) & ~3)
            for code, val in _options(body[optstart:], end):
                if code == 1:
                    comment = val.decode("utf-8", "replace")
            linktype, div, shift, offset = ifaces[iface]
            ts = (hi << 32) | lo
            t = ts / div if div is not None else ts / float(1 << shift)
            yield t + offset, linktype, iface, data, orig, comment
        elif btype == 3:          # simple packet: no time, no interface choice
            info.skip("pcapng simple packet block (no timestamp)")
        # name resolution, statistics, custom, decryption secrets: not needed


def _options(buf, end):
    off = 0
    while off + 4 <= len(buf):
        code, length = struct.unpack(end + "HH", buf[off:off + 4])
        if code == 0:
            return
        val = buf[off + 4:off + 4 + length]
        yield code, val
        off += 4 + ((length + 3) & ~3)


# ---------------------------------------------------------------- layers

def _decode(linktype, data, info):
    """Link layer -> IP -> TCP; None (counted in info) for anything else."""
    if linktype == LT_ETHERNET:
        if len(data) < 14:
            info.skip("short frame")
            return None
        etype = struct.unpack("!H", data[12:14])[0]
        off = 14
        while etype in (0x8100, 0x88A8) and len(data) >= off + 4:
            etype = struct.unpack("!H", data[off + 2:off + 4])[0]
            off += 4
        return _ip_by_ethertype(etype, data[off:], info)
    if linktype in (LT_RAW, LT_RAW_DLT12, LT_RAW_DLT14, LT_IPV4, LT_IPV6):
        return _ip(data, info)
    if linktype == LT_LINUX_SLL:
        if len(data) < 16:
            info.skip("short frame")
            return None
        return _ip_by_ethertype(struct.unpack("!H", data[14:16])[0], data[16:], info)
    if linktype == LT_LINUX_SLL2:
        if len(data) < 20:
            info.skip("short frame")
            return None
        return _ip_by_ethertype(struct.unpack("!H", data[0:2])[0], data[20:], info)
    if linktype in (LT_NULL, LT_LOOP):
        if len(data) < 4:
            info.skip("short frame")
            return None
        return _ip(data[4:], info)
    info.skip("link type %d" % linktype)
    return None


def _ip_by_ethertype(etype, data, info):
    if etype in (0x0800, 0x86DD):
        return _ip(data, info)
    info.skip("not IP")
    return None


def _ip(data, info):
    if not data:
        info.skip("short frame")
        return None
    v = data[0] >> 4
    if v == 4:
        if len(data) < 20:
            info.skip("short IP header")
            return None
        ihl = (data[0] & 15) * 4
        total, = struct.unpack("!H", data[2:4])
        frag, = struct.unpack("!H", data[6:8])
        if data[9] != 6:
            info.skip("not TCP")
            return None
        if frag & 0x3FFF:
            info.skip("IP fragment")
            return None
        if total >= ihl:
            data_end = min(total, len(data))   # drop Ethernet padding
        else:
            data_end = len(data)                # TSO captures give 0
        src = "%d.%d.%d.%d" % tuple(data[12:16])
        dst = "%d.%d.%d.%d" % tuple(data[16:20])
        return _tcp(src, dst, data[ihl:data_end], info)
    if v == 6:
        if len(data) < 40:
            info.skip("short IP header")
            return None
        plen, = struct.unpack("!H", data[4:6])
        nxt = data[6]
        off = 40
        while nxt in (0, 43, 60, 51):
            if len(data) < off + 8:
                info.skip("short IP header")
                return None
            hl = (data[off + 1] + 2) * 4 if nxt == 51 else (data[off + 1] + 1) * 8
            nxt = data[off]
            off += hl
        if nxt == 44:
            info.skip("IP fragment")
            return None
        if nxt != 6:
            info.skip("not TCP")
            return None
        end = min(40 + plen, len(data)) if plen else len(data)
        return _tcp(_ip6(data[8:24]), _ip6(data[24:40]), data[off:end], info)
    info.skip("not IP")
    return None


def _ip6(b):
    words = struct.unpack("!8H", b)
    return "[" + ":".join("%x" % w for w in words) + "]"


def _tcp(src, dst, seg, info):
    if len(seg) < 20:
        info.skip("short TCP header")
        return None
    p = Packet()
    p.src, p.dst = src, dst
    p.sport, p.dport, p.seq, p.ack, offflags = struct.unpack("!HHIIH", seg[:14])
    doff = (offflags >> 12) * 4
    p.flags = offflags & 0x3F
    if doff < 20 or doff > len(seg):
        info.skip("short TCP header")
        return None
    p.payload = bytes(seg[doff:])
    p.truncated = False
    return p


# ---------------------------------------------------------------- TCP

def _unwrap(rel32, near):
    """The 64-bit stream offset closest to near whose low 32 bits are rel32."""
    d = (rel32 - near) & 0xFFFFFFFF
    if d >= 0x80000000:
        d -= 0x100000000
    return near + d


class Direction:
    """One direction of a TCP connection, put back into stream order.

    consumer.data(piece, own_time, own_enter, done_time, packet) gets every
    byte once in order: own_* are those of the packet that carried the
    piece, done_time that of the packet that made it contiguous.
    consumer.gap(nbytes, time) says nbytes were never captured.
    """

    MAX_PENDING = 64 << 20

    def __init__(self, consumer):
        self.consumer = consumer
        self.base = None          # sequence number of stream offset 0
        self.next = 0             # stream offset of the next byte expected
        self.pending = {}         # offset -> (data, time, enter, packet)
        self.pending_bytes = 0
        self.syn = False          # the stream's start was captured
        self.fin = False
        self.bytes = 0            # unique payload bytes handed on
        self.retransmitted = 0    # payload bytes seen again
        self.out_of_order = 0     # segments that came before their turn
        self.gap_bytes = 0
        self.gaps = 0

    def on_syn(self, seq):
        if self.base is None:
            self.base = (seq + 1) & 0xFFFFFFFF
            self.syn = True

    def on_segment(self, p):
        if p.flags & TCP_SYN:
            self.on_syn(p.seq)
            seq = (p.seq + 1) & 0xFFFFFFFF
        else:
            seq = p.seq
        if p.flags & TCP_FIN:
            self.fin = True
        data = p.payload
        if not data:
            return
        if self.base is None:
            self.base = seq       # started before the capture
        off = _unwrap((seq - self.base) & 0xFFFFFFFF, self.next)
        end = off + len(data)
        if end <= self.next:
            self.retransmitted += len(data)
            return
        if off < self.next:
            self.retransmitted += self.next - off
            data = data[self.next - off:]
            off = self.next
        if off > self.next:
            old = self.pending.get(off)
            if old is None or len(old[0]) < len(data):
                if old is not None:
                    self.pending_bytes -= len(old[0])
                    self.retransmitted += len(old[0])
                else:
                    self.out_of_order += 1
                self.pending[off] = (data, p.time, p.enter, p)
                self.pending_bytes += len(data)
            else:
                self.retransmitted += len(data)
            if self.pending_bytes > self.MAX_PENDING:
                self._skip_hole(p.time)
            return
        self._hand(data, p.time, p.enter, p.time, p)
        self._drain(p.time)

    def on_peer_ack(self, ack, time):
        """The receiver acknowledged up to ack: a hole below it was lost by the capture."""
        if self.base is None:
            return
        a = _unwrap((ack - self.base) & 0xFFFFFFFF, self.next)
        if a > self.next and self.pending:
            first = min(self.pending)
            if first <= a:
                self._skip_to(first, time)
                self._drain(time)

    def finish(self, time):
        """End of capture: hand what waits behind holes, reporting them."""
        while self.pending:
            self._skip_hole(time)

    def _skip_hole(self, time):
        self._skip_to(min(self.pending), time)
        self._drain(time)

    def _skip_to(self, off, time):
        n = off - self.next
        if n > 0:
            self.gaps += 1
            self.gap_bytes += n
            self.next = off
            self.consumer.gap(n, time)

    def _drain(self, done_time):
        while self.pending:
            first = min(self.pending)
            if first > self.next:
                return
            data, t, enter, p = self.pending.pop(first)
            self.pending_bytes -= len(data)
            if first + len(data) <= self.next:
                self.retransmitted += len(data)
                continue
            if first < self.next:
                self.retransmitted += self.next - first
                data = data[self.next - first:]
            self._hand(data, t, enter, done_time, p)

    def _hand(self, data, t, enter, done_time, p):
        self.next += len(data)
        self.bytes += len(data)
        self.consumer.data(data, t, enter, done_time, p)


class Connection:
    """A TCP connection: the side that sent the SYN is the client.

    Without a SYN (the connection began before the capture) the server is
    the side whose port is_server_port() accepts, else the first packet's
    destination.
    """

    def __init__(self, key, first, make_consumer, is_server_port):
        self.key = key
        self.client = (first.src, first.sport)
        self.server = (first.dst, first.dport)
        if first.flags & TCP_SYN:
            if first.flags & TCP_ACK:
                self.client, self.server = self.server, self.client
        elif is_server_port(first.sport) and not is_server_port(first.dport):
            self.client, self.server = self.server, self.client
        self.syn_seen = bool(first.flags & TCP_SYN)
        self.first_time = first.time
        self.last_time = first.time
        self.closed = False
        self.finished = False
        self.consumer = make_consumer(self)
        self.up = Direction(self.consumer.sink("c2s"))     # client -> server
        self.down = Direction(self.consumer.sink("s2c"))   # server -> client

    def direction_of(self, p):
        return "c2s" if (p.src, p.sport) == self.client else "s2c"

    def on_packet(self, p):
        self.last_time = p.time
        if p.flags & TCP_RST:
            self.closed = True
        d = self.direction_of(p)
        this, other = (self.up, self.down) if d == "c2s" else (self.down, self.up)
        self.consumer.packet(d, p)
        this.on_segment(p)
        if p.flags & TCP_ACK:
            other.on_peer_ack(p.ack, p.time)

    def finish(self):
        if self.finished:
            return
        self.finished = True
        self.up.finish(self.last_time)
        self.down.finish(self.last_time)
        self.consumer.finish()


class Reassembler:
    """Sorts packets into connections; a new SYN on a used 4-tuple starts a new one."""

    def __init__(self, make_consumer, is_server_port=lambda port: False):
        self.make_consumer = make_consumer
        self.is_server_port = is_server_port
        self.live = {}
        self.connections = []

    def feed(self, p):
        a, b = (p.src, p.sport), (p.dst, p.dport)
        key = (a, b) if a <= b else (b, a)
        c = self.live.get(key)
        if c is not None and p.flags & TCP_SYN and not p.flags & TCP_ACK:
            up = c.up
            fresh = up.base is None or ((p.seq + 1) & 0xFFFFFFFF) != up.base
            if fresh and (c.closed or c.up.bytes or c.down.bytes or c.up.fin):
                c.finish()
                c = None
        if c is None:
            c = Connection(key, p, self.make_consumer, self.is_server_port)
            self.live[key] = c
            self.connections.append(c)
        c.on_packet(p)

    def finish(self):
        for c in self.connections:
            c.finish()
