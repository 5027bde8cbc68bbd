#!/usr/bin/env python3
"""remote3d-wire on a real capture of remote3d-testsrc -> remote3d-client.

--mode loopback: `tshark -i lo -f 'tcp port P' -w cap.pcapng` runs (the
test waits for its "Capturing on" line) while remote3d-client presses
space N times (--keys N); --mode latency-sim: the client runs behind
`latency-sim --delay 10ms --jitter 3ms --reorder --loss 1% --pcap cap`
(raw IP, both directions, enter= comments; packets lost and reordered).

remote3d-wire --json on the capture must find every key press the client
sent (N, from its report) with a display reply (a picture message) after
each, byte rates > 0 for the main, display and inputs channels. Skipped without tshark (loopback) or without root and
/dev/net/tun (latency-sim).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import r3dtest as t

KEYS = 8


def extra(ap):
    ap.add_argument("--wire", required=True)
    ap.add_argument("--latency-sim")
    ap.add_argument("--mode", choices=["loopback", "latency-sim"], default="loopback")


args = t.parse_args(extra)
wd = t.workdir()
cap = os.path.join(wd, "cap.pcapng")
client_opts = ["--keys", str(KEYS), "--key-interval", "300", "--duration", "20"]

if args.mode == "loopback":
    tshark = shutil.which("tshark")
    if not tshark:
        t.log("SKIP: tshark is not installed")
        sys.exit(t.SKIP)
    src = t.start_testsrc(args, wd, args.port, size="640x360", fps=30)
    cap_p = t.spawn([tshark, "-i", "lo", "-f", "tcp port %d" % args.port, "-w", cap],
                    "tshark", wd)
    errf = os.path.join(wd, "tshark.err")
    end = time.monotonic() + 30
    while True:
        text = open(errf, errors="replace").read()
        if "Capturing on" in text:
            break
        if cap_p.poll() is not None or time.monotonic() > end:
            if "ermission" in text or "You don't have permission" in text:
                t.log("SKIP: tshark may not capture here:\n" + t.tail(cap_p))
                sys.exit(t.SKIP)
            t.fail("tshark did not start capturing within 30 s\n" + t.tail(cap_p))
        time.sleep(0.05)
    t.log("ok: tshark is capturing")
    rc, rep, err = t.run_client(args, wd, args.port, opts=client_opts)
    time.sleep(0.5)   # the last packets (FIN, ACK) into the file
    cap_p.send_signal(signal.SIGINT)
    try:
        cap_p.wait(15)
    except subprocess.TimeoutExpired:
        t.stop(cap_p)
    t.stop(src)
else:
    if os.geteuid() != 0 or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        t.log("SKIP: latency-sim needs root and /dev/net/tun")
        sys.exit(t.SKIP)
    if not args.latency_sim:
        t.fail("latency-sim was not built (meson gave no path)")
    src = t.start_testsrc(args, wd, args.port, size="640x360", fps=30,
                          extra=["--addr", "0.0.0.0"])
    js = os.path.join(wd, "client.json")
    script = 'exec "$0" "spice://$LATENCY_SIM_HOST:%d" --json "$1" %s' % (
        args.port, " ".join(client_opts))
    argv = [args.latency_sim, "--quiet", "--delay", "10ms", "--jitter", "3ms", "--reorder",
            "--loss", "1%", "--rate", "20mbit", "--pcap", cap, "--",
            "sh", "-c", script, args.client, js]
    t.log("run: " + " ".join(argv))
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    sys.stdout.write(r.stdout + r.stderr[-3000:])
    rc = r.returncode
    rep = json.load(open(js)) if os.path.exists(js) else None
    t.stop(src)

if rc != 0 or not rep:
    t.fail("remote3d-client exited %d without a report" % rc)
sent = rep.get("keys_sent")
t.check(sent == KEYS, "the client pressed space %d times (%s)" % (KEYS, sent))
t.check(os.path.getsize(cap) > 10000, "the capture holds the session (%d bytes)"
        % os.path.getsize(cap))

out_json = os.path.join(wd, "wire.json")
argv = [args.wire, cap, "--json", out_json, "--csv", os.path.join(wd, "wire.csv")]
t.log("run: " + " ".join(argv))
r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                   timeout=300)
sys.stdout.write(r.stdout)
if r.stderr:
    sys.stdout.write("--- remote3d-wire stderr\n" + r.stderr)
t.check(r.returncode == 0, "remote3d-wire read the capture (exit %d)" % r.returncode)
doc = json.load(open(out_json))
keys = doc["keys"]
t.check(len(keys) == KEYS, "remote3d-wire found every key press on the wire (%d of %d)"
        % (len(keys), KEYS))
t.check(all(k["message"] == "KEY_DOWN" and k["code"] == "0x39" for k in keys),
        "each is an inputs KEY_DOWN of space (0x39)")
t.check(all(k["reply_type"] is not None and k["reply_ms"] is not None and k["reply_ms"] >= 0
            for k in keys),
        "a display picture message follows every key press (%s)"
        % sorted({k["reply_type"] for k in keys}))
for name in ("main", "display", "inputs"):
    ch = doc["channels"].get(name)
    t.check(ch is not None and ch["bytes_per_s_c2s"] + ch["bytes_per_s_s2c"] > 0,
            "%s channel: %s B/s client->server, %s B/s server->client" % (
                name, ch and ch["bytes_per_s_c2s"], ch and ch["bytes_per_s_s2c"]))
t.check(doc["channels"]["display"]["bytes_s2c"] > 100000,
        "the display channel carried the stream (%d bytes)"
        % doc["channels"]["display"]["bytes_s2c"])
t.check(doc["channels"]["inputs"]["bytes_c2s"] > 0, "the inputs channel carried the keys")
if args.mode == "latency-sim":
    t.check(doc["capture"]["view"] == "client", "latency-sim capture read from the client's side")
t.log("key -> display p50 %s ms, p95 %s ms; retransmitted bytes on display: %d"
      % (doc["summary"]["p50_ms"], doc["summary"]["p95_ms"],
         doc["channels"]["display"]["retransmitted_bytes"]))
