#!/usr/bin/env python3
"""The latency budget's timing: remote3d-testsrc --frames-csv writes every
server stage of each frame sent, remote3d-client --source-frames joins them
by frame stamp to its own stages (spice-gtk's appsrc, parser, decoder,
conversion, the display update). The test checks that the chain is complete
and causal frame by frame: each point at or after the one before it, except
"in" after "written" (spice-server's release of a written frame, which is
read after the fact: the client may have its copy first when the server's
thread is preempted, so "in" is checked against "handed" instead), that the client's stage figures add up to its
stamp-to-display latency, that a frame of another run (its stamp time
differs) does not join, and that --plot writes the stage plot (a PNG of the
documented size)."""
import csv
import os
import struct

import r3dtest as t

POINTS = ["stamp", "marked", "extract_start", "extracted", "encode_start", "encoded", "handed",
          "written", "in", "parsed", "decoded", "converted", "display"]
IN = POINTS.index("in")

args = t.parse_args()
wd = t.workdir()
src_csv = os.path.join(wd, "source.csv")
src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30, encoder="x264",
                      extra=["--frames-csv", src_csv])
plot = os.path.join(wd, "stages.png")
rc, rep, err = t.run_client(args, wd, args.port, opts=[
    "--duration", "5", "--csv", os.path.join(wd, "frames.csv"), "--source-frames", src_csv,
    "--plot", plot])
alive = src.poll() is None
t.stop(src)
if rc != 0 or rep is None:
    t.fail("remote3d-client exited %d\n%s" % (rc, t.tail(src)))
t.check(alive, "testsrc was still running when the client finished")

with open(src_csv) as f:
    source = list(csv.DictReader(f))
t.log("figures: %d frames sent, %d shown, %d joined; stages p50/p95 ms: %s"
      % (len(source), rep["frames"], rep["source_matched"],
         ", ".join("%s %.2f/%.2f" % (k, v["p50"], v["p95"]) for k, v in rep["stages_ms"].items())))
t.check(len(source) >= rep["frames"] > 30,
        "testsrc logged every frame it sent (%d) and the client showed > 30 (%d)"
        % (len(source), rep["frames"]))
t.check(rep["source_frames"] and rep["source_matched"] >= 0.9 * rep["frames"],
        "at least 90%% of the frames shown were joined to the source's (%d of %d)"
        % (rep["source_matched"], rep["frames"]))
for name, d in rep["stages_ms"].items():
    t.check(d["n"] >= 0.9 * rep["source_matched"],
            "stage %s has figures for 90%% of the joined frames (%d)" % (name, d["n"]))

with open(os.path.join(wd, "frames.csv")) as f:
    rows = list(csv.DictReader(f))
complete = [r for r in rows if all(int(r[p + "_us"]) for p in POINTS)]
t.check(len(complete) >= 0.9 * len(rows), "%d of %d frames know every point" % (len(complete), len(rows)))
bad = []
early = 0
for r in complete:
    at = [int(r[p + "_us"]) for p in POINTS]
    for k in range(1, len(at)):
        before = k - 2 if k == IN else k - 1  # in: after handed (written is read after the fact)
        if at[k] < at[before]:
            bad.append("frame %s: %s %d before %s %d" % (r["frame"], POINTS[k], at[k], POINTS[before], at[before]))
    early += at[IN] < at[IN - 1]
t.log("figure: %d of %d frames reached the client before spice-server's release was read"
      % (early, len(complete)))
t.check(not bad, "every frame's points follow the path in order: %s" % bad[:3])
by_frame = {r["frame"]: r for r in source}
mismatch = [r["frame"] for r in complete
            if by_frame.get(r["frame"], {}).get("stamp_us") != r["stamp_us"]]
t.check(not mismatch, "the joined frames carry the source's own stamp time (%s)" % mismatch[:3])
total = sum(v["mean"] for v in rep["stages_ms"].values())
t.check(abs(total - rep["latency_ms"]["mean"]) <= 0.1 * rep["latency_ms"]["mean"] + 2,
        "the stages' means add up to the mean stamp-to-display latency (%.1f vs %.1f ms)"
        % (total, rep["latency_ms"]["mean"]))

with open(plot, "rb") as f:
    head = f.read(24)
t.check(head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (1200, 760),
        "--plot wrote a 1200x760 PNG (%r)" % head[:8])

# a file of another run: the same frame numbers with other stamp times join nothing
other = os.path.join(wd, "other.csv")
with open(src_csv) as f, open(other, "w") as o:
    o.write(f.readline())
    for line in f:
        v = line.split(",")
        v[1] = str(int(v[1]) + 1)
        o.write(",".join(v))
src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30, encoder="x264", name="testsrc2")
rc, rep2, err = t.run_client(args, wd, args.port, name="client2",
                             opts=["--duration", "2", "--source-frames", other])
t.stop(src)
t.check(rc == 0 and rep2 and rep2["source_matched"] == 0 and rep2["frames"] > 0,
        "frames of another run are not joined (%s matched)" % (rep2 or {}).get("source_matched"))
# not a frames file: one line at the end, the report still written, exit 1
notcsv = os.path.join(wd, "not.csv")
with open(notcsv, "w") as f:
    f.write("hello\n")
src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30, encoder="x264", name="testsrc3")
rc, rep3, err = t.run_client(args, wd, args.port, name="client3",
                             opts=["--duration", "1", "--source-frames", notcsv])
t.stop(src)
lines = [l for l in err.splitlines() if l.startswith("remote3d-client:")]
t.check(rc == 1 and rep3 is not None and len(lines) == 1 and "--source-frames" in lines[0],
        "a file that is not a --frames-csv: exit 1, report kept, one line naming the option "
        "(rc %d, %r)" % (rc, lines))

