#!/usr/bin/env python3
"""remote3d-client tells spice-gtk's H.264 parser that every SPICE frame is
one access unit (alignment=au on the appsrc caps); --stock-parser leaves the
caps as stock spice-gtk 0.42 sets them, where h264parse holds each frame
until the next frame's first start code arrives. At 5 fps that is a 200 ms
frame interval: the stock parser's median stamp-to-display must be at least
half a frame interval (100 ms) above the aligned one, and both must decode
every frame they get. The reports say which parser ran."""
import r3dtest as t

args = t.parse_args()
wd = t.workdir()
src = t.start_testsrc(args, wd, args.port, size="640x480", fps=5, extra=["--rate-control", "off"])

reps = {}
for name, opts in [("aligned", []), ("stock", ["--stock-parser"])]:
    rc, rep, err = t.run_client(args, wd, args.port, name="client-" + name,
                                opts=["--duration", "6"] + opts, timeout=60)
    if rep is None:
        t.fail("%s: no report (exit %d)\n%s" % (name, rc, t.tail(src)))
    t.check(rc == 0, "%s: exit 0 (got %d)" % (name, rc))
    t.check(rep["codec"] == "h264" and rep["frames"] >= 20,
            "%s: h264 decoded, %d frames in 6 s at 5 fps" % (name, rep["frames"]))
    t.check(rep["missing"] <= 2, "%s: no frame lost in the parser (%d missing)" % (name, rep["missing"]))
    reps[name] = rep
t.check(reps["aligned"]["parser_aligned"] is True, "default: \"parser_aligned\": true")
t.check(reps["stock"]["parser_aligned"] is False, "--stock-parser: \"parser_aligned\": false")
a, s = reps["aligned"]["latency_ms"]["p50"], reps["stock"]["latency_ms"]["p50"]
t.log("stamp-to-display p50 at 5 fps: aligned %.1f ms, stock parser %.1f ms (one frame = 200 ms)" % (a, s))
t.check(s - a >= 100, "the stock parser waits for the next frame: p50 %.1f vs %.1f ms" % (s, a))
t.stop(src)
