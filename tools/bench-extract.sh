#!/usr/bin/env bash
# make bench-extract: frame extraction, the spine's synchronous BGRx
# glReadPixels + videoconvert (baseline) against issue 3's GPU NV12
# conversion + fenced PBO readback + x264 on NV12 (new), side by side at
# 1280x720 and 1920x1080 (tests/unit/bench-extract-encode.c):
#   median and p95 of the cost on the marking (owner) thread per frame,
#   readback+conversion time (begin to mapped), bytes read back per frame,
#   x264 encode time with and without the CPU conversion, ratio new/baseline;
#   then the render-rate experiment: the test scene rendering as fast as it
#   can, streaming off vs streamed at max-fps 60 (new and baseline paths):
#   rendered fps on/off, readbacks vs encoded vs rendered.
# Prints the load average before and after (the figures depend on it).
#   BENCH_FRAMES=120 BENCH_RATE_SECONDS=5 tools/bench-extract.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"
BENCH=$R3D_MESON_DIR/tests/bench-extract-encode
[ -x "$BENCH" ] || { echo "bench-extract: $BENCH is not built (run make build)" >&2; exit 1; }
echo "machine: $(nproc) cores; renderer: EGL surfaceless (llvmpipe unless a GPU driver is found)"
"$BENCH" "${BENCH_FRAMES:-120}" "${BENCH_RATE_SECONDS:-5}" 2>&1 | grep -v '^remote3d: info'
