#!/usr/bin/env bash
# make bench: remote3d-testsrc (x264) -> patched spice-server -> remote3d-client
# on loopback, for each size at 60 fps, ~15 s each. Prints one table:
# stamp-to-display latency (median, p95), fps delivered, bitrate, and the
# median time of the source's stages (extract, encode = read back -> AU out,
# including a wait for the busy encoder, send = hand-off to spice) and the
# rate testsrc itself rendered at, from testsrc's --stats-json.
#   BENCH_SIZES="1280x720 1920x1080" BENCH_SECONDS=15 BENCH_FPS=60
#   BENCH_ENCODER=x264 BENCH_PORT=5930 tools/bench.sh
# Side by side: BENCH_VARIANTS="label:VAR=value,VAR=value ..." runs testsrc
# once per variant and size with those variables set (R3D_MESON_DIR=dir
# takes testsrc from another build), interleaved, BENCH_ROUNDS times:
#   BENCH_VARIANTS="pipelined serial:R3D_PIPELINE=0 sync:R3D_GL_READBACK=sync"
set -euo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"
: "${R3D_PREFIX:=$PWD/_build/prefix}"
SIZES=${BENCH_SIZES:-"1280x720 1920x1080"}
SECONDS_EACH=${BENCH_SECONDS:-15}
FPS=${BENCH_FPS:-60}
ENCODER=${BENCH_ENCODER:-x264}
PORT=${BENCH_PORT:-5930}
VARIANTS=${BENCH_VARIANTS:-default}
ROUNDS=${BENCH_ROUNDS:-1}
TESTSRC=$R3D_MESON_DIR/testsrc/remote3d-testsrc
CLIENT=$R3D_MESON_DIR/client/remote3d-client
export LD_LIBRARY_PATH="$R3D_PREFIX/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

for p in "$TESTSRC" "$CLIENT"; do
	[ -x "$p" ] || { echo "bench: $p is not built (run make build)" >&2; exit 1; }
done

OUT=$(mktemp -d /tmp/r3d-bench.XXXXXX)
SRC_PID=
cleanup() { [ -n "$SRC_PID" ] && kill "$SRC_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() { # port pid
	for _ in $(seq 300); do
		kill -0 "$2" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

runs=()
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
for size in $SIZES; do
for variant in $VARIANTS; do
	label=${variant%%:*}
	vars=()
	[ "$label" != "$variant" ] && IFS=, read -r -a vars <<<"${variant#*:}"
	src=$TESTSRC
	for v in "${vars[@]}"; do
		case $v in R3D_MESON_DIR=*) src=${v#R3D_MESON_DIR=}/testsrc/remote3d-testsrc ;; esac
	done
	[ -x "$src" ] || { echo "bench: $src is not built" >&2; exit 1; }
	tag="$size-$FPS-$ENCODER-$label-$round"
	echo "bench: $size @ $FPS fps, $ENCODER, $label (${vars[*]:-}), round $round, ${SECONDS_EACH} s ..." >&2
	env ${vars[@]+"${vars[@]}"} "$src" --port "$PORT" --size "$size" --fps "$FPS" --encoder "$ENCODER" \
		--duration $((SECONDS_EACH + 15)) --stats-json "$OUT/$tag.testsrc.json" \
		>"$OUT/$tag.testsrc.log" 2>&1 &
	SRC_PID=$!
	if ! wait_port "$PORT" "$SRC_PID"; then
		echo "bench: testsrc did not start:" >&2; tail -5 "$OUT/$tag.testsrc.log" >&2; exit 1
	fi
	if ! "$CLIENT" "spice://127.0.0.1:$PORT" --duration "$SECONDS_EACH" \
		--json "$OUT/$tag.client.json" --csv "$OUT/$tag.frames.csv" >"$OUT/$tag.client.log" 2>&1; then
		echo "bench: client failed:" >&2; tail -5 "$OUT/$tag.client.log" >&2; exit 1
	fi
	# stop testsrc (SIGTERM: it writes its --stats-json on the way out)
	kill -TERM "$SRC_PID" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$SRC_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SRC_PID" 2>/dev/null || true
	wait "$SRC_PID" 2>/dev/null || true
	SRC_PID=
	runs+=("$tag")
done
done
done
echo "load average (1/5/15 min) at start: $load_start, at end: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$OUT" "${runs[@]}" <<'PY'
import json, os, sys
out, runs = sys.argv[1], sys.argv[2:]

def find_stages(o):
    if isinstance(o, dict):
        if "stages" in o and isinstance(o["stages"], dict):
            return o["stages"]
        for v in o.values():
            s = find_stages(v)
            if s: return s
    return None

def stage(st, *names):
    for n in names:
        if st and n in st and st[n].get("count"):
            return "%.1f" % (st[n]["median_us"] / 1000.0)
    return "-"

hdr = ("size-fps-encoder-variant-round", "lat p50", "lat p95", "fps", "render fps", "kbit/s",
       "extract", "encode", "send", "frames", "missing")
rows = []
for tag in runs:
    c = json.load(open(os.path.join(out, tag + ".client.json")))
    st = None
    render = "-"
    p = os.path.join(out, tag + ".testsrc.json")
    if os.path.exists(p):
        try:
            j = json.load(open(p))
            st = find_stages(j)
            ts = j.get("testsrc", {})
            if ts.get("seconds"):
                render = "%.1f" % (ts["frames_rendered"] / ts["seconds"])
        except ValueError:
            st = None
    rows.append((tag, "%.1f" % c["latency_ms"]["p50"], "%.1f" % c["latency_ms"]["p95"],
                 "%.1f" % c["fps"], render, "%.0f" % c["bitrate_kbps"],
                 stage(st, "extract"), stage(st, "encode"), stage(st, "handoff", "send"),
                 str(c["frames"]), str(c["missing"])))
w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
print("remote3d bench: loopback, codec %s; latency = stamp-to-display (ms); stage medians (ms) from testsrc"
      % json.load(open(os.path.join(out, runs[0] + ".client.json")))["codec"])
for r in [hdr] + rows:
    print("  ".join(x.rjust(w[i]) if i else x.ljust(w[i]) for i, x in enumerate(r)))
print("raw reports: %s" % out)
PY
