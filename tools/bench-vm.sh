#!/usr/bin/env bash
# make bench-vm: the test guest streamed remotely (spice gl=on through
# libremote3d) side by side with the stock Debian path (-display
# egl-headless + spice without gl), one boot each, through the same
# remote3d-client on loopback. Prints one table: the guest's frame rate
# without and with a client (ratio), the client's codec, fps, bitrate,
# first frame, input-to-photon p50/p95 and stamp latency spread.
# See tests/e2e/bench_vm.py for what each figure means.
#   BENCH_VM_SECONDS=15 BENCH_VM_KEYS=50 BENCH_VM_PORT=5990
#   BENCH_VM_CONFIGS=remote3d,remote3d-30,stock-2d BENCH_VM_JSON=out.json tools/bench-vm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"
: "${R3D_PREFIX:=$PWD/_build/prefix}"
CLIENT=$R3D_MESON_DIR/client/remote3d-client
[ -x "$CLIENT" ] || { echo "bench-vm: $CLIENT is not built (run make build)" >&2; exit 1; }
args=(--client "$CLIENT" --seconds "${BENCH_VM_SECONDS:-15}" --keys "${BENCH_VM_KEYS:-50}"
	--port "${BENCH_VM_PORT:-5990}" --configs "${BENCH_VM_CONFIGS:-remote3d,remote3d-30,stock-2d}")
[ -n "${R3D_QEMU:-}" ] && args+=(--qemu "$R3D_QEMU")
[ -n "${BENCH_VM_JSON:-}" ] && args+=(--json "$BENCH_VM_JSON")
export PYTHONDONTWRITEBYTECODE=1
exec python3 tests/e2e/bench_vm.py "${args[@]}"
