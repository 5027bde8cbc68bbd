"""remote3d-wire: the SPICE protocol of one TCP connection, from its bytes.

A SPICE channel is one TCP connection. It starts with the link phase
(spice-protocol's protocol.h): the client sends "REDQ" + SpiceLinkHeader +
SpiceLinkMess (connection id, channel type and id, capabilities), the
server answers "REDQ" + SpiceLinkReply (error, public key, capabilities);
the client then sends a SpiceLinkAuthMechanism (when it advertised
PROTOCOL_AUTH_SELECTION) and the 128-byte RSA-encrypted ticket, the
server a 32-bit link result. After that every message is a header and a
body: SpiceMiniDataHeader (uint16 type, uint32 size) when the peer
advertised MINI_HEADER, else SpiceDataHeader (uint64 serial, uint16 type,
uint32 size, uint32 sub_list). Little-endian throughout.

SpiceConnection is the consumer wire_capture's Connection feeds: it counts
bytes per second, finds the channel type, and records every message with
the time its header and its last byte arrived. A connection that starts
with a TLS record is marked encrypted: its bytes are counted, nothing in
it can be read.
"""
import struct

CHANNELS = {1: "main", 2: "display", 3: "inputs", 4: "cursor", 5: "playback",
            6: "record", 7: "tunnel", 8: "smartcard", 9: "usbredir", 10: "port",
            11: "webdav"}

CAP_AUTH_SELECTION, CAP_AUTH_SPICE, CAP_AUTH_SASL, CAP_MINI_HEADER = 0, 1, 2, 3

LINK_ERRORS = ["OK", "ERROR", "INVALID_MAGIC", "INVALID_DATA", "VERSION_MISMATCH",
               "NEED_SECURED", "NEED_UNSECURED", "PERMISSION_DENIED",
               "BAD_CONNECTION_ID", "CHANNEL_NOT_AVAILABLE"]

_COMMON_S2C = {1: "MIGRATE", 2: "MIGRATE_DATA", 3: "SET_ACK", 4: "PING",
               5: "WAIT_FOR_CHANNELS", 6: "DISCONNECTING", 7: "NOTIFY", 8: "LIST"}
_COMMON_C2S = {1: "ACK_SYNC", 2: "ACK", 3: "PONG", 4: "MIGRATE_FLUSH_MARK",
               5: "MIGRATE_DATA", 6: "DISCONNECTING"}


def _seq(first, names):
    return {first + i: n for i, n in enumerate(names.split())}


_S2C = {
    1: _seq(101, "MIGRATE_BEGIN MIGRATE_CANCEL INIT CHANNELS_LIST MOUSE_MODE "
            "MULTI_MEDIA_TIME AGENT_CONNECTED AGENT_DISCONNECTED AGENT_DATA "
            "AGENT_TOKEN MIGRATE_SWITCH_HOST MIGRATE_END NAME UUID "
            "AGENT_CONNECTED_TOKENS MIGRATE_BEGIN_SEAMLESS "
            "MIGRATE_DST_SEAMLESS_ACK MIGRATE_DST_SEAMLESS_NACK"),
    2: {**_seq(101, "MODE MARK RESET COPY_BITS INVAL_LIST INVAL_ALL_PIXMAPS "
                "INVAL_PALETTE INVAL_ALL_PALETTES"),
        **_seq(122, "STREAM_CREATE STREAM_DATA STREAM_CLIP STREAM_DESTROY "
                   "STREAM_DESTROY_ALL"),
        **_seq(302, "DRAW_FILL DRAW_OPAQUE DRAW_COPY DRAW_BLEND DRAW_BLACKNESS "
                   "DRAW_WHITENESS DRAW_INVERS DRAW_ROP3 DRAW_STROKE DRAW_TEXT "
                   "DRAW_TRANSPARENT DRAW_ALPHA_BLEND SURFACE_CREATE "
                   "SURFACE_DESTROY STREAM_DATA_SIZED MONITORS_CONFIG "
                   "DRAW_COMPOSITE STREAM_ACTIVATE_REPORT GL_SCANOUT_UNIX "
                   "GL_DRAW QUALITY_INDICATOR")},
    3: {101: "INIT", 102: "KEY_MODIFIERS", 111: "MOUSE_MOTION_ACK"},
    4: _seq(101, "INIT RESET SET MOVE HIDE TRAIL INVAL_ONE INVAL_ALL"),
    5: _seq(101, "DATA MODE START STOP VOLUME MUTE LATENCY"),
    6: _seq(101, "START STOP VOLUME MUTE"),
}
_C2S = {
    1: _seq(101, "CLIENT_INFO MIGRATE_CONNECTED MIGRATE_CONNECT_ERROR "
            "ATTACH_CHANNELS MOUSE_MODE_REQUEST AGENT_START AGENT_DATA "
            "AGENT_TOKEN MIGRATE_END MIGRATE_DST_DO_SEAMLESS "
            "MIGRATE_CONNECTED_SEAMLESS QUALITY_INDICATOR"),
    2: _seq(101, "INIT STREAM_REPORT PREFERRED_COMPRESSION GL_DRAW_DONE "
            "PREFERRED_VIDEO_CODEC_TYPE"),
    3: {**_seq(101, "KEY_DOWN KEY_UP KEY_MODIFIERS KEY_SCANCODE"),
        **_seq(111, "MOUSE_MOTION MOUSE_POSITION MOUSE_PRESS MOUSE_RELEASE")},
    6: _seq(101, "DATA MODE START_MARK"),
}

MSG_MAIN_INIT = 103
MSGC_INPUTS_KEY_DOWN = 101
MSGC_INPUTS_KEY_SCANCODE = 104
MSG_DISPLAY_STREAM_DATA = 123
# display messages that put pixels on the screen
DISPLAY_PICTURE = {104, 123, 316, 321} | set(range(302, 314)) | {318}

MAX_MESSAGE = 256 << 20    # larger: the parser lost the message boundaries
KEEP = 64                  # body bytes kept per message (keys, MAIN_INIT)


def message_name(channel_type, direction, mtype):
    if mtype <= 100:
        names = _COMMON_S2C if direction == "s2c" else _COMMON_C2S
    else:
        names = (_S2C if direction == "s2c" else _C2S).get(channel_type, {})
    return names.get(mtype, str(mtype))


def _caps(body, num_common, num_channel, offset, base):
    """Common capability words of a link message/reply (body starts at base)."""
    start = offset - base
    if num_common > 1024 or num_channel > 1024 or start < 0:
        return None
    words = []
    for i in range(num_common):
        o = start + 4 * i
        if o + 4 > len(body):
            return None
        words.append(struct.unpack_from("<I", body, o)[0])
    return words


def _has(words, cap):
    w = cap // 32
    return words is not None and w < len(words) and bool(words[w] >> (cap % 32) & 1)


class Message:
    __slots__ = ("type", "size", "start", "end", "body", "partial")

    def __init__(self, mtype, size, start):
        self.type, self.size, self.start = mtype, size, start
        self.end = None
        self.body = b""
        self.partial = False   # some body bytes were missing from the capture


class _Sink:
    """One direction of the connection: bytes in, items out."""

    def __init__(self, conn, direction):
        self.conn = conn
        self.dir = direction
        self.state = "link"       # link, auth, ticket, result, msg, body, done, dead
        self.want = 16
        self.have = 0
        self.kept = bytearray()
        self.keep = 16
        self.item_start = None
        self.link_size = None
        self.header = None
        self.msg = None
        self.messages = []
        self.waiting = []         # pieces held until the peer's link part is known
        self.stopped = None       # why decoding stopped

    # wire_capture.Direction's consumer interface
    def data(self, piece, own_time, own_enter, done_time, packet):
        self.conn.count(self.dir, len(piece), own_time)
        t = self.conn.view_time(self.dir, own_time, own_enter, done_time)
        if self.waiting or (self.state == "msg" and self.header is None):
            self.waiting.append((piece, t))
            self.conn.try_resume()
            return
        self._feed(piece, t)

    def gap(self, nbytes, time):
        self.conn.gaps.append((self.dir, nbytes, time))
        if self.waiting:
            self.waiting.append((None, nbytes))
            return
        self._gap(nbytes, time)

    def resume(self):
        if self.header is None and self.state == "msg":
            return
        while self.waiting:
            piece, t = self.waiting.pop(0)
            if piece is None:
                self._gap(t, None)
            else:
                self._feed(piece, t)

    def _gap(self, nbytes, time):
        if self.state == "body" and self.have + nbytes <= self.want:
            # inside one message body: its end is known, the next header is not lost
            self.have += nbytes
            self.msg.partial = True
            if self.have == self.want:
                self._complete(time if time is not None else self.item_start)
            return
        if self.state not in ("done", "dead"):
            self._stop("%d bytes missing from the capture in the %s state"
                       % (nbytes, self.state))

    def _stop(self, why):
        self.state = "dead"
        self.stopped = why

    def _feed(self, piece, t):
        pos, n = 0, len(piece)
        while pos < n:
            if self.state in ("done", "dead"):
                return
            if self.have == 0:
                self.item_start = t
            take = min(self.want - self.have, n - pos)
            room = self.keep - len(self.kept)
            if room > 0:
                self.kept += piece[pos:pos + min(take, room)]
            self.have += take
            pos += take
            if self.have == self.want:
                self._complete(t)
                if self.state == "msg" and self.header is None:
                    # the peer's capabilities decide the header: wait for them
                    if pos < n:
                        self.waiting.insert(0, (piece[pos:], t))
                    self.conn.try_resume()
                    return

    def _next(self, state, want, keep):
        self.state, self.want, self.keep = state, want, keep
        self.have = 0
        self.kept = bytearray()

    def _complete(self, t):
        while True:
            kept = bytes(self.kept)
            getattr(self, "_got_" + self.state)(kept, t)
            # an empty body completes at once
            if self.state == "body" and self.want == 0:
                continue
            return

    # -- link phase
    def _got_link(self, kept, t):
        if self.link_size is None:
            if kept[:4] != b"REDQ":
                self.conn.not_spice(self.dir, kept)
                self._stop("no SPICE link message")
                return
            major, minor, size = struct.unpack_from("<III", kept, 4)
            if size < 18 or size > 1 << 20:
                self._stop("link message of %d bytes" % size)
                return
            self.conn.version = (major, minor)
            self.link_size = size
            self._next("link", size, size)
            self.state = "link"
            return
        if self.dir == "c2s":
            cid, ctype, chid, ncommon, nchan, off = struct.unpack_from("<IBBIII", kept, 0)
            self.conn.linked(cid, ctype, chid, _caps(kept, ncommon, nchan, off, 0), t)
            if _has(self.conn.client_caps, CAP_AUTH_SELECTION):
                self._next("auth", 4, 4)
            else:
                self._next("ticket", 128, 0)
        else:
            err = struct.unpack_from("<I", kept, 0)[0]
            if err != 0:
                self.conn.refused(err, t)
                self._next("done", 0, 0)
                return
            if len(kept) < 4 + 162 + 12:
                self._stop("short link reply")
                return
            ncommon, nchan, off = struct.unpack_from("<III", kept, 4 + 162)
            self.conn.server_caps = _caps(kept, ncommon, nchan, off, 0)
            self._next("result", 4, 4)
        self.conn.try_resume()

    def _got_auth(self, kept, t):
        mech = struct.unpack("<I", kept)[0]
        if mech == CAP_AUTH_SASL:
            self.conn.note("SASL authentication: not followed")
            self._stop("SASL authentication")
            return
        self._next("ticket", 128, 0)

    def _got_ticket(self, kept, t):
        self._enter_messages()

    def _got_result(self, kept, t):
        res = struct.unpack("<I", kept)[0]
        if res != 0:
            self.conn.refused(res, t)
            self._next("done", 0, 0)
            return
        self.conn.link_ok = True
        self._enter_messages()

    def _enter_messages(self):
        self._next("msg", 0, 0)
        self.header = None
        self._pick_header()

    def _pick_header(self):
        """Mini header when the receiving side advertised MINI_HEADER."""
        peer_caps = self.conn.server_caps if self.dir == "c2s" else self.conn.client_caps
        if self.dir == "c2s" and self.conn.server_caps is None:
            return False
        self.header = 6 if _has(peer_caps, CAP_MINI_HEADER) else 18
        self.want = self.keep = self.header
        return True

    # -- messages
    def _got_msg(self, kept, t):
        if self.header == 6:
            mtype, size = struct.unpack("<HI", kept)
        else:
            _, mtype, size, _ = struct.unpack("<QHII", kept)
        if mtype == 0 or size > MAX_MESSAGE:
            self._stop("message header type %d size %d: out of step" % (mtype, size))
            return
        self.msg = Message(mtype, size, t)
        self._next("body", size, min(size, KEEP))

    def _got_body(self, kept, t):
        m = self.msg
        m.end = t
        m.body = kept
        self.messages.append(m)
        self.conn.message(self.dir, m)
        self._next("msg", self.header, self.header)


class SpiceConnection:
    """What one TCP connection carried: channel, messages, bytes per second."""

    def __init__(self, tcp, view, bin_s):
        self.tcp = tcp
        self.view = view          # "capture", "client" or "server"
        self.bin_s = bin_s
        self.kind = None          # "spice", "tls", "other" once known
        self.channel_type = None
        self.channel_id = None
        self.connection_id = None
        self.session_id = None
        self.client_caps = None
        self.server_caps = None
        self.version = None
        self.link_time = None
        self.link_ok = False
        self.link_error = None
        self.notes = []
        self.gaps = []
        self.bytes = {"c2s": 0, "s2c": 0}
        self.bins = {}            # bin index -> [c2s, s2c]
        self.first_data = None
        self.last_data = None
        self.enter_missing = 0
        self.sinks = {}

    @property
    def channel(self):
        if self.channel_type is None:
            return None
        name = CHANNELS.get(self.channel_type, "channel%d" % self.channel_type)
        return name if not self.channel_id else "%s%d" % (name, self.channel_id)

    # wire_capture.Connection's consumer interface
    def sink(self, direction):
        s = _Sink(self, direction)
        self.sinks[direction] = s
        return s

    def packet(self, direction, p):
        pass

    def finish(self):
        for s in self.sinks.values():
            if s.waiting:
                s.waiting = []
                if s.state not in ("done", "dead"):
                    s._stop("the peer's link message was not captured")

    # from the sinks
    def count(self, direction, n, t):
        self.bytes[direction] += n
        if self.first_data is None:
            self.first_data = t
        self.last_data = t
        self.bins.setdefault(int(t // self.bin_s), [0, 0])[direction == "s2c"] += n

    def view_time(self, direction, own, enter, done):
        """The time a byte counts at, seen from the chosen side of the link."""
        if self.view == "capture":
            return done
        sent_here = (direction == "c2s") == (self.view == "client")
        if not sent_here:
            return done
        if enter is None:
            self.enter_missing += 1
            return own
        return enter

    def try_resume(self):
        for s in self.sinks.values():
            if s.state == "msg" and s.header is None and not s._pick_header():
                continue
            if s.waiting:
                s.resume()

    def not_spice(self, direction, first):
        if self.kind is not None:
            return
        if len(first) >= 3 and first[0] == 0x16 and first[1] == 3:
            self.kind = "tls"             # a TLS handshake record
        elif not self.tcp.syn_seen:
            self.kind = "mid-stream"      # began before the capture
        else:
            self.kind = "other"

    def linked(self, cid, ctype, chid, caps, t):
        self.kind = "spice"
        self.connection_id, self.channel_type, self.channel_id = cid, ctype, chid
        self.client_caps = caps
        self.link_time = t
        if ctype != 1:
            self.session_id = cid

    def refused(self, err, t):
        self.link_error = LINK_ERRORS[err] if err < len(LINK_ERRORS) else str(err)

    def note(self, text):
        self.notes.append(text)

    def message(self, direction, m):
        if (direction == "s2c" and self.channel_type == 1 and m.type == MSG_MAIN_INIT
                and len(m.body) >= 4):
            self.session_id = struct.unpack_from("<I", m.body, 0)[0]

    def messages(self, direction):
        return self.sinks[direction].messages

    def stopped(self):
        return {d: s.stopped for d, s in self.sinks.items() if s.stopped}
