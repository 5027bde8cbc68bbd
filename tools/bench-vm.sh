#!/usr/bin/env bash
# make bench-vm: the test guest streamed remotely (spice gl=on through
# libremote3d) side by side with the stock Debian path (-display
# egl-headless + spice without gl), one boot each, through the same
# remote3d-client on loopback, each with the guest's probe unthrottled
# and paced to 60 frames per second (a 60 Hz display's vblank), one boot
# each (~75 s; the defaults take about 5 minutes). Prints one table: the
# guest's frame rate without and with a client (ratio), the client's
# codec, fps, bitrate, first frame, input-to-photon p50/p95 and stamp
# latency spread; then the ratios side by side with the paced case's
# client fps and input-to-photon.
# See tests/e2e/bench_vm.py for what each figure means.
#   BENCH_VM_SECONDS=15 BENCH_VM_KEYS=50 BENCH_VM_PORT=5990
#   BENCH_VM_CONFIGS=remote3d,stock-2d (also: remote3d-30; remote3d-s2: the
#   same binary with virgl's 10 ms fence poll; remote3d-nice10: the encoder
#   at nice +10)
#   BENCH_VM_RATES=0,60 (guest frames per second; 0 = unthrottled)
#   BENCH_VM_JSON=out.json tools/bench-vm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"
: "${R3D_PREFIX:=$PWD/_build/prefix}"
CLIENT=$R3D_MESON_DIR/client/remote3d-client
[ -x "$CLIENT" ] || { echo "bench-vm: $CLIENT is not built (run make build)" >&2; exit 1; }
args=(--client "$CLIENT" --seconds "${BENCH_VM_SECONDS:-15}" --keys "${BENCH_VM_KEYS:-50}"
	--port "${BENCH_VM_PORT:-5990}" --configs "${BENCH_VM_CONFIGS:-remote3d,stock-2d}"
	--rates "${BENCH_VM_RATES:-0,60}")
[ -n "${R3D_QEMU:-}" ] && args+=(--qemu "$R3D_QEMU")
[ -n "${BENCH_VM_JSON:-}" ] && args+=(--json "$BENCH_VM_JSON")
export PYTHONDONTWRITEBYTECODE=1
exec python3 tests/e2e/bench_vm.py "${args[@]}"
