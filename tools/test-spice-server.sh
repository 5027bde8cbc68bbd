#!/usr/bin/env bash
# Run spice-server's own test suite (meson test) on the patched build made by
# tools/build-spice.sh. Results land in $R3D_BUILD/spice-build/meson-logs/
# (tools/run-tests.sh counts them from testlog.json).
#
# spice registers 20 server tests and 4 spice-common tests with
# -Dtests=true; all run on a machine without a GPU or network. Its
# test-video-encoders script is only registered with -Dextra-checks=true
# (it runs test-gst over many encoder/format combinations for minutes) and is
# not part of this run.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${R3D_BUILD:=$PWD/_build}"
build_dir=$R3D_BUILD/spice-build

if [ ! -f "$build_dir/build.ninja" ]; then
	echo "remote3d: no spice-server build in $build_dir: run 'make spice' first" >&2
	exit 1
fi
exec meson test -C "$build_dir" --print-errorlogs --num-processes 2 --timeout-multiplier 3
