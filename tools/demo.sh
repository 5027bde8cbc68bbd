#!/usr/bin/env bash
# make demo: the main job, shown end to end on this machine.
#
# DEMO=vm (default): the test guest (guest/, Debian's kernel + Mesa virgl +
# the r3d-probe GLES2 app) boots under the patched QEMU with
# `-device virtio-vga-gl -spice port=...,gl=on`: virgl renders on the host
# (EGL surfaceless + llvmpipe without a GPU), libremote3d encodes the
# scanout as H.264 and spice-server streams it. remote3d-client connects
# over TCP like a remote viewer would, presses keys, and prints fps,
# bitrate, first-frame time and input-to-photon latency; then the
# remote-viewer command a person would use instead.
# DEMO=testsrc: remote3d-testsrc (a GL scene in-process, no VM) instead.
#
#   DEMO_SECONDS=10 DEMO_PORT=5998 DEMO_ENCODER=x264 DEMO_ADDR=127.0.0.1 tools/demo.sh
#   DEMO_GUEST_FPS=60 tools/demo.sh  the guest's probe paced to 60 frames per
#                            second like a 60 Hz desktop (default 0: unthrottled)
#   tools/demo.sh --serve    keep serving after the run, for remote-viewer
#   DEMO=testsrc DEMO_SIZE=1280x720 DEMO_FPS=60 DEMO_PORT=5935 tools/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"
: "${R3D_PREFIX:=$PWD/_build/prefix}"
export R3D_PREFIX
DEMO=${DEMO:-vm}
SECS=${DEMO_SECONDS:-10}
ENCODER=${DEMO_ENCODER:-x264}
SERVE=0
[ "${1:-}" = "--serve" ] && SERVE=1
export LD_LIBRARY_PATH="$R3D_PREFIX/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
TESTSRC=$R3D_MESON_DIR/testsrc/remote3d-testsrc
CLIENT=$R3D_MESON_DIR/client/remote3d-client
QEMU=${R3D_QEMU:-$R3D_PREFIX/bin/qemu-system-x86_64}
WD=$(mktemp -d /tmp/r3d-demo.XXXXXX)
LOG=$WD/server.log
SRC_PID=
cleanup() {
	if [ -n "$SRC_PID" ]; then
		kill "$SRC_PID" 2>/dev/null || true
		wait "$SRC_PID" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() {
	for p in "$@"; do
		[ -x "$p" ] || { echo "demo: $p is not built (make build)" >&2; exit 1; }
	done
}

# wait until something listens on 127.0.0.1:$1 while $SRC_PID lives
wait_port() {
	for _ in $(seq 600); do
		kill -0 "$SRC_PID" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

viewer_hint() { # port [addr the VM listens on]
	echo
	echo "To watch it with a stock SPICE client instead:"
	echo "    remote-viewer spice://127.0.0.1:$1"
	if [ -z "${2:-}" ]; then
		echo "from another machine that reaches this one:"
		echo "    remote-viewer spice://$(hostname -f 2>/dev/null || hostname):$1"
	elif [ "$2" = 127.0.0.1 ]; then
		echo "from another machine, through an SSH tunnel (the server listens on loopback only):"
		echo "    ssh -L $1:127.0.0.1:$1 $(hostname -f 2>/dev/null || hostname)   # then the command above there"
		echo "(or DEMO_ADDR=0.0.0.0 tools/demo.sh --serve: no password, trusted networks only)"
	else
		echo "from another machine:"
		echo "    remote-viewer spice://$(hostname -f 2>/dev/null || hostname):$1"
	fi
}

demo_testsrc() {
	local size=${DEMO_SIZE:-1280x720} fps=${DEMO_FPS:-60} port=${DEMO_PORT:-5935}
	local addr=${DEMO_ADDR:-127.0.0.1}
	need "$TESTSRC" "$CLIENT"
	echo "== remote3d demo: remote3d-testsrc $size @ $fps fps ($ENCODER) on $addr port $port =="
	"$TESTSRC" --addr "$addr" --port "$port" --size "$size" --fps "$fps" --encoder "$ENCODER" >"$LOG" 2>&1 &
	SRC_PID=$!
	wait_port "$port" || { echo "demo: testsrc exited:" >&2; tail -5 "$LOG" >&2; exit 1; }
	echo "== remote3d-client spice://127.0.0.1:$port --duration $SECS =="
	"$CLIENT" "spice://127.0.0.1:$port" --duration "$SECS"
	viewer_hint "$port" "$addr"
	if [ "$SERVE" = 1 ]; then
		echo "serving until Ctrl-C (testsrc log: $LOG)"
		wait "$SRC_PID"
	else
		echo "(tools/demo.sh --serve keeps the source running for that)"
	fi
}

# the guest's console lines "R3D: probe fps=..." between two byte offsets
guest_fps() { # from to
	tail -c +"$(($1 + 1))" "$WD/console.log" | head -c "$(($2 - $1))" |
		awk -F'[= ]' '/^R3D: probe fps=/ { s += $4; n++ } END { if (n) printf "%.1f", s / n; else printf "n/a" }'
}

demo_vm() {
	local port=${DEMO_PORT:-5998} addr=${DEMO_ADDR:-127.0.0.1}
	local spice="port=$port,addr=$addr,disable-ticketing=on,gl=on,encoder=$ENCODER"
	local pace=(--fps "${DEMO_GUEST_FPS:-0}")
	need "$QEMU" "$CLIENT"
	[ -f "${R3D_BUILD:-$PWD/_build}/guest/initrd.img" ] ||
		{ echo "demo: the test guest is not built (make build)" >&2; exit 1; }
	echo "== remote3d demo: the test guest (virtio-vga-gl, virgl) streamed as H.264 over SPICE =="
	guest/run-guest.sh --qemu "$QEMU" --run probe "${pace[@]}" --dry-run -- -display none -spice "$spice" 2>/dev/null |
		sed 's/^/   /'
	: >"$WD/console.log"
	guest/run-guest.sh --qemu "$QEMU" --run probe "${pace[@]}" --serial "$WD/console.log" \
		-- -display none -spice "$spice" >"$LOG" 2>&1 &
	SRC_PID=$!
	echo "== booting (under TCG about 20-40 s; console: $WD/console.log) =="
	local t0=$SECONDS
	until grep -q "^R3D: probe started" "$WD/console.log"; do
		if ! kill -0 "$SRC_PID" 2>/dev/null || [ $((SECONDS - t0)) -gt 300 ]; then
			echo "demo: the guest did not start its probe:" >&2
			tail -5 "$LOG" "$WD/console.log" >&2
			exit 1
		fi
		sleep 0.5
	done
	grep -h "^run-guest: accel" "$LOG" || true
	echo "   $(grep -m1 "^R3D: probe started" "$WD/console.log") after $((SECONDS - t0)) s"
	wait_port "$port" || { echo "demo: QEMU exited:" >&2; tail -5 "$LOG" >&2; exit 1; }
	sleep 3
	local c0 c1 c2
	c0=$(stat -c %s "$WD/console.log")
	sleep 5
	c1=$(stat -c %s "$WD/console.log")
	echo "== remote3d-client spice://127.0.0.1:$port --duration $SECS --keys 20 =="
	"$CLIENT" "spice://127.0.0.1:$port" --duration "$SECS" --keys 20 --key-interval 300 \
		--json "$WD/client.json" >"$WD/client.txt" 2>&1 || {
		cat "$WD/client.txt"
		echo "demo: remote3d-client failed" >&2
		exit 1
	}
	c2=$(stat -c %s "$WD/console.log")
	python3 - "$WD/client.json" "$(guest_fps "$c0" "$c1")" "$(guest_fps "$c1" "$c2")" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
k = r["input_to_photon_ms"]
print("   stream            %s %dx%d (decoder %s), first frame %.0f ms after connecting"
      % (r["codec"], r["width"], r["height"], r["decoder"], r["time_to_first_frame_ms"]))
print("   client fps        %.1f (%d guest frames shown in %.1f s)" % (r["fps"], r["frames"], r["seconds"]))
print("   bitrate           %.0f kbit/s" % r["bitrate_kbps"])
print("   input-to-photon   p50 %.0f ms, p95 %.0f ms (%d of %d key presses seen; key sent -> marker"
      " changed in the decoded picture, one clock)" % (k["p50"], k["p95"], k["n"], r["keys_sent"]))
print("   guest renders     %s fps without a client, %s fps while streaming"
      % (sys.argv[2], sys.argv[3]))
EOF
	viewer_hint "$port" "$addr"
	if [ "$SERVE" = 1 ]; then
		echo "serving until Ctrl-C (QEMU log: $LOG)"
		wait "$SRC_PID"
	else
		echo "(tools/demo.sh --serve keeps the VM running for that)"
	fi
}

case $DEMO in
vm) demo_vm ;;
testsrc) demo_testsrc ;;
*) echo "demo: DEMO=$DEMO: use vm or testsrc" >&2; exit 2 ;;
esac
