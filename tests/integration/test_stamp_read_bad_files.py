#!/usr/bin/env python3
"""remote3d-stamp-read reads a stamp from a PNG made here (exit 0, the frame
and time printed), and for a zero-byte, non-PNG, truncated, corrupt (a bad
chunk, a bad CRC), oversized or missing file prints one clear error line
naming the file and the cause (not an empty or garbage message: the reason
was once returned from a dead stack frame) and exits 2."""
import os
import struct
import subprocess
import zlib

import r3dtest as t

args = t.parse_args()
if not args.stamp_read:
    t.fail("remote3d-stamp-read was not built")
wd = t.workdir()

MAGIC, CELL, COLS, ROWS = 0xD35A, 16, 32, 4


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def stamp_bits(frame, time_us):
    payload = struct.pack(">IQ", frame, time_us)
    v = (MAGIC << 112) | (frame << 80) | (time_us << 16) | crc16(payload)
    return [(v >> (127 - i)) & 1 for i in range(128)]


def png(w, h, pixel):
    raw = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(w)) for y in range(h))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


bits = stamp_bits(4242, 123456789)
X0, Y0 = 20, 30


def pixel(x, y):
    cx, cy = (x - X0) // CELL, (y - Y0) // CELL
    if 0 <= x - X0 < COLS * CELL and 0 <= y - Y0 < ROWS * CELL:
        return (255, 255, 255) if bits[cy * COLS + cx] else (0, 0, 0)
    return (40, 90, 160)


good = png(600, 120, pixel)
files = {}


def write(name, data):
    files[name] = os.path.join(wd, name)
    with open(files[name], "wb") as f:
        f.write(data)


write("good.png", good)
write("zero.png", b"")
write("text.png", b"this is not a PNG\n")
write("truncated.png", good[:len(good) // 2])
bad_chunk = bytearray(good)
bad_chunk[37:41] = b"\x01\x02\x03\x04"  # the IDAT chunk's type
write("bad-chunk.png", bytes(bad_chunk))
bad_crc = bytearray(good)
bad_crc[len(good) // 2] ^= 0xFF  # inside the IDAT data: its CRC no longer matches
write("bad-crc.png", bytes(bad_crc))
huge = bytearray(good)
huge[16:24] = struct.pack(">II", 70000, 70000)
huge[29:33] = struct.pack(">I", zlib.crc32(bytes(huge[12:29])) & 0xFFFFFFFF)
write("huge.png", bytes(huge))
files["missing.png"] = os.path.join(wd, "missing.png")


def run(path):
    r = subprocess.run([args.stamp_read, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace", timeout=60)
    t.log("%s: rc %d, stdout %r, stderr %r" % (os.path.basename(path), r.returncode, r.stdout, r.stderr))
    return r


r = run(files["good.png"])
t.check(r.returncode == 0 and r.stdout.startswith("frame 4242 time_us 123456789 at "),
        "a stamped PNG made here reads back: %r" % r.stdout)

for name, words in [("zero.png", ["empty"]), ("text.png", ["not a png"]),
                    ("truncated.png", ["truncated", "corrupt"]),
                    ("bad-chunk.png", ["corrupt", "not a readable png", "chunk"]),
                    ("bad-crc.png", ["corrupt", "crc"]),
                    ("huge.png", ["70000x70000"]), ("missing.png", ["no such file"])]:
    r = run(files[name])
    lines = t.error_lines(r.stderr)
    t.check(r.returncode == 2, "%s: exit 2 (%d)" % (name, r.returncode))
    t.check(len(lines) == 1, "%s: exactly one error line (got %d)" % (name, len(lines)))
    line = lines[0] if lines else ""
    prefix = "remote3d-stamp-read: %s: " % files[name]
    t.check(line.startswith(prefix), "%s: the line names the file: %r" % (name, line))
    reason = line[len(prefix):]
    t.check(reason.strip() and reason.isprintable() and "\ufffd" not in reason,
            "%s: the reason is readable text, not empty or garbage: %r" % (name, reason))
    t.check(any(w in reason.lower() for w in words), "%s: it names the cause: %r" % (name, reason))
    t.check(not r.stdout, "%s: nothing on stdout" % name)
