#!/usr/bin/env python3
"""remote3d-client measures a picture without remote3d's frame stamp
(remote3d-testsrc --no-stamp, as any VM's picture would be): exit 0, a
report that says "stamps": false with the codec, frames (display updates),
fps, bitrate and the time to the first picture, and no stamp latency; and
--type still times key-to-glyph there; --frames and --keys, which count
stamps, say so in one line. The same source with its stamp says
"stamps": true."""
import os

import r3dtest as t

args = t.parse_args()
wd = t.workdir()
src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30, extra=["--no-stamp"])

rc, rep, err = t.run_client(args, wd, args.port, opts=["--duration", "4"], timeout=60)
lines = [l for l in t.error_lines(err) if l.startswith("remote3d-client:")]
if rep is None:
    t.fail("no report (exit %d)\n%s" % (rc, t.tail(src)))
t.check(rc == 0, "exit 0 without stamps (got %d; %r)" % (rc, lines))
t.check(not lines, "no error line: %r" % lines)
t.check(rep["stamps"] is False, "the report says \"stamps\": false")
t.check(rep["codec"] == "h264" and rep["decoder"] != "", "codec h264 (%s)" % rep["decoder"])
t.check(rep["frames"] == rep["display_updates"] >= 30,
        "frames are the display updates: %d in 4 s" % rep["frames"])
t.check(3.5 <= rep["seconds"] <= 6, "measured for --duration 4 (%.2f s)" % rep["seconds"])
t.check(rep["fps"] >= 7.5, "fps %.1f (testsrc renders 30)" % rep["fps"])
t.check(rep["bitrate_kbps"] > 10 and rep["bytes"] > 0,
        "bitrate %.0f kbit/s (%d bytes)" % (rep["bitrate_kbps"], rep["bytes"]))
t.check(0 < rep["time_to_first_picture_ms"] < 10000,
        "first picture after %.1f ms" % rep["time_to_first_picture_ms"])
t.check(rep["latency_ms"]["n"] == 0 and rep["frames"] > 0, "no stamp latency without stamps")
out = open(os.path.join(wd, "client.json")).read()
t.check('"stamps": false' in out, "the JSON has \"stamps\": false")

# key-to-glyph needs no stamp
rc, rep, err = t.run_client(args, wd, args.port, name="client-type", opts=[
    "--type", "no stamp, 42", "--watch", "536,8,48,48", "--key-interval", "100"], timeout=60)
t.check(rc == 0 and rep and rep["stamps"] is False, "--type without stamps exits 0 (%d)" % rc)
t.check(rep["keys_typed"] == 12 and rep["key_to_glyph_ms"]["n"] == 12 and rep["keys_missed"] == 0,
        "12 keys typed, all answered (%d)" % rep["key_to_glyph_ms"]["n"])
t.log("figures without stamps: %.1f fps, %.0f kbit/s, first picture %.1f ms, "
      "key-to-glyph p50 %.1f p95 %.1f ms"
      % (rep["fps"], rep["bitrate_kbps"], rep["time_to_first_picture_ms"],
         rep["key_to_glyph_ms"]["p50"], rep["key_to_glyph_ms"]["p95"]))

# what needs stamps says so in one line
for opts, word in [(["--frames", "10"], "--frames"), (["--keys", "2"], "--keys")]:
    rc, rep, err = t.run_client(args, wd, args.port, name="client" + opts[0],
                                opts=opts + ["--timeout", "2"], timeout=60)
    lines = [l for l in t.error_lines(err) if l.startswith("remote3d-client:")]
    t.check(rc == 1 and len(lines) == 1 and word in lines[0] and "stamp" in lines[0],
            "%s without stamps: exit 1, one line that says it needs stamps: %r" % (word, lines))
t.stop(src)

# the same source, stamped
src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30, name="testsrc-stamped")
rc, rep, err = t.run_client(args, wd, args.port, name="client-stamped", opts=["--duration", "2"],
                            timeout=60)
t.check(rc == 0 and rep and rep["stamps"] is True and rep["latency_ms"]["n"] > 0,
        "with its stamp: \"stamps\": true and a stamp latency (%d frames)" % (rep or {}).get("frames", 0))
