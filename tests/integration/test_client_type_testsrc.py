#!/usr/bin/env python3
"""remote3d-client --type against remote3d-testsrc (which recolours its
input marker on every key press that is not a modifier): 40 characters,
upper case and shifted symbols among them, typed through the SPICE inputs
channel with --watch on the marker block; every key is answered on one
clock, p50/p95 are reported, the CSV has one filled row per key, the --plot
PNG is a valid 960x560 PNG. Then keys whose change falls only inside an
--ignore rectangle are reported missed, one stderr line each, and the
client does not hang."""
import csv
import os
import struct
import time

import r3dtest as t

TEXT = "the quick brown Fox, jumps 0VER 42 lazy dogs!\\n"
# the marker block (tests/lib/scene.h: 64x64 at x = 512 + 16, y = 0), less a
# border where the codec blends it with its neighbours
WATCH = "536,8,48,48"

args = t.parse_args()
wd = t.workdir()
src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30)
n_keys = len(TEXT.replace("\\n", "\n"))

csv_path = os.path.join(wd, "keys.csv")
png_path = os.path.join(wd, "keys.png")
rc, rep, err = t.run_client(args, wd, args.port, opts=[
    "--type", TEXT, "--watch", WATCH, "--key-interval", "100", "--csv", csv_path,
    "--plot", png_path], timeout=180)
if rc != 0 or rep is None:
    t.fail("client exited %d\n%s" % (rc, t.tail(src)))
t.check(rep["stamps"] is True, "testsrc's picture is stamped (\"stamps\": true)")
t.check(rep["keys_typed"] == n_keys, "%d keys typed (got %d)" % (n_keys, rep["keys_typed"]))
k = rep["key_to_glyph_ms"]
t.check(rep["keys_missed"] == 0 and k["n"] == n_keys,
        "every key changed the marker (%d answered, %d missed)" % (k["n"], rep["keys_missed"]))
t.check(0 < k["p50"] <= k["p95"] < 3000,
        "key-to-glyph p50 %.1f ms, p95 %.1f ms reported" % (k["p50"], k["p95"]))
t.check("missed" not in err, "no key reported missed on stderr")
t.log("figures: key-to-glyph p50 %.1f p95 %.1f p99 %.1f max %.1f ms (n=%d); "
      "stamp-to-display p50 %.1f ms" % (k["p50"], k["p95"], k["p99"], k["max"], k["n"],
                                        rep["latency_ms"]["p50"]))

with open(csv_path) as f:
    rows = list(csv.DictReader(f))
cols = ["index", "char", "scancode", "shift", "sent_us", "glyph_us", "latency_ms",
        "changed_pixels"]
t.check(rows and list(rows[0].keys()) == cols, "CSV columns %s" % ",".join(cols))
t.check(len(rows) == n_keys, "one CSV row per key (%d rows)" % len(rows))
t.check(all(r[c].strip() for r in rows for c in cols), "every CSV cell filled")
t.check([int(r["index"]) for r in rows] == list(range(1, n_keys + 1)), "indexes 1..%d" % n_keys)
bad = [r for r in rows if not (int(r["glyph_us"]) > int(r["sent_us"]) > 0 and
                               abs((int(r["glyph_us"]) - int(r["sent_us"])) / 1000.0
                                   - float(r["latency_ms"])) < 0.01
                               and int(r["changed_pixels"]) >= 8)]
t.check(not bad, "glyph after sent, latency = glyph - sent, >= 8 pixels changed (bad: %s)" % bad[:2])
by_char = {r["char"]: r for r in rows}
t.check(by_char["F"]["scancode"] == "0x21" and by_char["F"]["shift"] == "1" and
        by_char["x"]["scancode"] == "0x2d" and by_char["x"]["shift"] == "0",
        "F is scancode 0x21 with shift, x 0x2d without")
t.check(by_char["space"]["scancode"] == "0x39" and by_char["enter"]["scancode"] == "0x1c" and
        by_char["comma"]["scancode"] == "0x33" and by_char["!"]["shift"] == "1",
        "space, enter, comma and ! have their keys")

with open(png_path, "rb") as f:
    head = f.read(33)
t.check(head[:8] == b"\x89PNG\r\n\x1a\n", "--plot wrote a PNG (signature)")
t.check(head[12:16] == b"IHDR", "the PNG starts with its IHDR chunk")
w, h = struct.unpack(">II", head[16:24])
t.check((w, h) == (960, 560), "the histogram is 960x560 (IHDR says %dx%d)" % (w, h))
t.check(os.path.getsize(png_path) > 4000, "the PNG has content (%d bytes)" % os.path.getsize(png_path))

# keys whose change is ignored: missed, said on stderr, no hang
start = time.monotonic()
rc, rep, err = t.run_client(args, wd, args.port, name="client-ignored", opts=[
    "--type", "abc", "--watch", WATCH, "--ignore", "528,0,64,64", "--key-timeout", "700",
    "--key-interval", "50"], timeout=60)
took = time.monotonic() - start
missed = [l for l in t.error_lines(err) if "missed" in l]
t.check(rc == 0 and rep is not None, "a run with missed keys still exits 0 with a report (%d)" % rc)
t.check(rep["keys_typed"] == 3 and rep["keys_missed"] == 3 and rep["key_to_glyph_ms"]["n"] == 0,
        "3 keys typed, 3 missed (changes only inside --ignore)")
t.check(len(missed) == 3, "one stderr line per missed key: %r" % missed)
t.check(took < 30, "the client did not hang (%.1f s)" % took)
t.check(src.poll() is None, "testsrc still serving\n%s" % t.tail(src))
