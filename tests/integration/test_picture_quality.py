#!/usr/bin/env python3
"""remote3d-client --quality: PSNR/SSIM (Y) of sampled frames against the
source's own picture of the same frame number, which the client renders
with testsrc's scene code after the run. A stream at a comfortable bitrate
scores high (PSNR > 28 dB, SSIM > 0.9); the same scene starved of bits
(300 kbit/s, rate control off) scores clearly lower, so the figures follow
the picture; the CSV carries them per sampled frame. The text scene
(testsrc --scene text) against its own reference (client --scene text)
scores high, against the cube's it does not; --quality 0 is refused."""
import csv
import math
import os
import subprocess

import r3dtest as t

args = t.parse_args()
wd = t.workdir()


def run(name, bitrate, scene="cube", client_scene=None):
    src = t.start_testsrc(args, wd, args.port, size="640x480", fps=30, encoder="x264", name=name,
                          extra=["--bitrate", str(bitrate), "--rate-control", "off",
                                 "--scene", scene])
    path = os.path.join(wd, name + ".csv")
    opts = ["--duration", "4", "--quality", "5", "--csv", path]
    if client_scene:
        opts += ["--scene", client_scene]
    rc, rep, err = t.run_client(args, wd, args.port, name=name + "-client", opts=opts)
    t.stop(src)
    if rc != 0 or rep is None:
        t.fail("remote3d-client exited %d: %s" % (rc, err))
    q = rep["quality"]
    t.log("figures: %d kbit/s: %d frames sampled, PSNR-Y mean %.2f p5 %.2f dB, SSIM-Y mean %.4f p5 %.4f"
          % (bitrate, q["frames"], q["psnr_y_mean"], q["psnr_y_p5"], q["ssim_y_mean"], q["ssim_y_p5"]))
    with open(path) as f:
        rows = [r for r in csv.DictReader(f) if r["psnr_y"]]
    t.check(q["frames"] >= 10 and len(rows) == q["frames"],
            "%d kbit/s: >= 10 frames sampled (every 5th), each in the CSV (%d, %d rows)"
            % (bitrate, q["frames"], len(rows)))
    v = sorted(float(r["psnr_y"]) for r in rows)
    p5 = v[max(0, math.ceil(0.05 * len(v)) - 1)]  # nearest rank
    t.check(all(0 < x <= 100 for x in v) and abs(sum(v) / len(v) - q["psnr_y_mean"]) < 0.01
            and abs(p5 - q["psnr_y_p5"]) < 0.01,
            "%d kbit/s: the CSV's PSNR values give the summary's mean and p5 (%.2f, %.2f)"
            % (bitrate, sum(v) / len(v), p5))
    return q


good = run("good", 4000)
t.check(good["psnr_y_mean"] > 28 and good["ssim_y_mean"] > 0.9,
        "4000 kbit/s: the picture matches the source (PSNR %.1f dB, SSIM %.3f)"
        % (good["psnr_y_mean"], good["ssim_y_mean"]))
t.check(good["psnr_y_mean"] < 100, "and is not claimed identical (lossy H.264)")
poor = run("poor", 300)
t.check(poor["psnr_y_mean"] < good["psnr_y_mean"] - 3 and poor["ssim_y_mean"] < good["ssim_y_mean"],
        "300 kbit/s scores clearly lower (PSNR %.1f vs %.1f dB, SSIM %.3f vs %.3f)"
        % (poor["psnr_y_mean"], good["psnr_y_mean"], poor["ssim_y_mean"], good["ssim_y_mean"]))
text = run("text", 2000, "text", "text")
wrong = run("text-vs-cube", 2000, "text", "cube")
t.check(text["psnr_y_mean"] > 30 and text["ssim_y_mean"] > 0.9,
        "the text scene matches its own reference (PSNR %.1f dB, SSIM %.3f)"
        % (text["psnr_y_mean"], text["ssim_y_mean"]))
t.check(wrong["psnr_y_mean"] < text["psnr_y_mean"] - 10,
        "and not the cube's (PSNR %.1f dB)" % wrong["psnr_y_mean"])
r = subprocess.run([args.client, "spice://127.0.0.1:%d" % args.port, "--quality", "0"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
t.check(r.returncode == 2 and "--quality" in r.stderr and len(t.error_lines(r.stderr)) == 1,
        "--quality 0: exit 2, one line naming it (%r)" % r.stderr)
