#!/usr/bin/env bash
# make demo: the main job, shown end to end on this machine.
# Today: remote3d-testsrc (an animated GL scene, x264) served over SPICE, and
# remote3d-client measuring it for a short run. A later issue puts the VM here.
#   DEMO_SIZE=1280x720 DEMO_FPS=60 DEMO_SECONDS=8 DEMO_PORT=5935 tools/demo.sh
#   tools/demo.sh --serve    keep serving after the run, for remote-viewer
set -euo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"
: "${R3D_PREFIX:=$PWD/_build/prefix}"
SIZE=${DEMO_SIZE:-1280x720}
FPS=${DEMO_FPS:-60}
SECS=${DEMO_SECONDS:-8}
PORT=${DEMO_PORT:-5935}
ENCODER=${DEMO_ENCODER:-x264}
SERVE=0
[ "${1:-}" = "--serve" ] && SERVE=1
export LD_LIBRARY_PATH="$R3D_PREFIX/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
TESTSRC=$R3D_MESON_DIR/testsrc/remote3d-testsrc
CLIENT=$R3D_MESON_DIR/client/remote3d-client
LOG=$(mktemp /tmp/r3d-demo.XXXXXX.log)
SRC_PID=
cleanup() { [ -n "$SRC_PID" ] && kill "$SRC_PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

demo_testsrc() {
	for p in "$TESTSRC" "$CLIENT"; do
		[ -x "$p" ] || { echo "demo: $p is not built" >&2; exit 1; }
	done
	echo "== remote3d demo: remote3d-testsrc $SIZE @ $FPS fps ($ENCODER) on port $PORT =="
	"$TESTSRC" --port "$PORT" --size "$SIZE" --fps "$FPS" --encoder "$ENCODER" >"$LOG" 2>&1 &
	SRC_PID=$!
	for _ in $(seq 300); do
		kill -0 "$SRC_PID" 2>/dev/null || { echo "demo: testsrc exited:" >&2; tail -5 "$LOG" >&2; exit 1; }
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
		sleep 0.2
	done
	echo "== remote3d-client spice://127.0.0.1:$PORT --duration $SECS =="
	"$CLIENT" "spice://127.0.0.1:$PORT" --duration "$SECS"
	echo
	echo "To watch it with a stock SPICE client instead, from a machine that reaches this one:"
	echo "    remote-viewer spice://$(hostname -f 2>/dev/null || hostname):$PORT"
	echo "(on this machine: remote-viewer spice://127.0.0.1:$PORT)"
	if [ "$SERVE" = 1 ]; then
		echo "serving until Ctrl-C (testsrc log: $LOG)"
		wait "$SRC_PID"
	else
		echo "(tools/demo.sh --serve keeps the source running for that)"
	fi
}

demo_testsrc
