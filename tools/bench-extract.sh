#!/usr/bin/env bash
# make bench-extract: frame extraction in the three readback modes side by
# side at 1280x720 and 1920x1080 (tests/unit/bench-extract-encode.c):
#   sync   the spine's synchronous BGRx glReadPixels + videoconvert (baseline)
#   poll   GPU NV12 conversion + fenced PBO readback on the owner thread
#   thread GPU NV12 conversion on the owner thread, read on a second thread
#          in an EGL context shared with the scene's
# median and p95 of the cost on the marking (owner) thread per frame, begin
# to pixels in CPU memory, bytes read back per frame, x264 encode time with
# and without the CPU conversion, ratios to the baseline; then the
# render-rate experiment: the test scene rendering as fast as it can,
# streaming off vs streamed in each mode at max-fps 60 and at
# BENCH_FAIR_FPS (a rate every mode sustains: the same frames streamed):
# rendered fps on/off, readbacks vs encoded vs rendered.
# Prints the load average before and after (the figures depend on it).
#   BENCH_FRAMES=120 BENCH_RATE_SECONDS=5 BENCH_FAIR_FPS=10 tools/bench-extract.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"
BENCH=$R3D_MESON_DIR/tests/bench-extract-encode
[ -x "$BENCH" ] || { echo "bench-extract: $BENCH is not built (run make build)" >&2; exit 1; }
echo "machine: $(nproc) cores; renderer: EGL surfaceless (llvmpipe unless a GPU driver is found)"
"$BENCH" "${BENCH_FRAMES:-120}" "${BENCH_RATE_SECONDS:-5}" "${BENCH_FAIR_FPS:-10}" 2>&1 | grep -v '^remote3d: info'
