#!/usr/bin/env bash
# make bench: remote3d-testsrc (x264) -> patched spice-server -> remote3d-client
# on loopback, for each size at 60 fps, ~15 s each. Prints one table:
# stamp-to-display latency (median, p95), fps delivered, bitrate, and the
# median time of the source's stages (extract, encode = read back -> AU out,
# including a wait for the busy encoder, send = hand-off to spice) and the
# rate testsrc itself rendered at, from testsrc's --stats-json. Then the
# latency budget: every stage of the frames' path, p50/p95, from testsrc's
# --frames-csv joined to the client's own stages (remote3d-client
# --source-frames; a stage plot per run: --plot), beside each stage's cost
# in isolation measured in the same run (tests/bench-stage-costs: render,
# readback, encode, decode at the same size), and end to end / their sum.
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
COSTS=$R3D_MESON_DIR/tests/bench-stage-costs
CLIENT=$R3D_MESON_DIR/client/remote3d-client
export LD_LIBRARY_PATH="$R3D_PREFIX/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

for p in "$TESTSRC" "$CLIENT" "$COSTS"; do
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
# each stage alone, at every size (before the streams: nothing else runs)
for size in $SIZES; do
	echo "bench: isolated stage costs at $size ..." >&2
	"$COSTS" "$size" 120 >"$OUT/costs-$size.json" 2>"$OUT/costs-$size.log" ||
		{ echo "bench: bench-stage-costs failed:" >&2; cat "$OUT/costs-$size.json" >&2; exit 1; }
done
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
		--frames-csv "$OUT/$tag.source.csv" \
		>"$OUT/$tag.testsrc.log" 2>&1 &
	SRC_PID=$!
	if ! wait_port "$PORT" "$SRC_PID"; then
		echo "bench: testsrc did not start:" >&2; tail -5 "$OUT/$tag.testsrc.log" >&2; exit 1
	fi
	if ! "$CLIENT" "spice://127.0.0.1:$PORT" --duration "$SECONDS_EACH" \
		--json "$OUT/$tag.client.json" --csv "$OUT/$tag.frames.csv" \
		--source-frames "$OUT/$tag.source.csv" --plot "$OUT/$tag.stages.png" \
		>"$OUT/$tag.client.log" 2>&1; then
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

python3 "$(dirname "$0")/bench_report.py" "$OUT" "${runs[@]}"
