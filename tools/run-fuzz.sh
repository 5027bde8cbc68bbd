#!/usr/bin/env bash
# make fuzz: every libFuzzer target of tests/fuzz for SECONDS each (default
# 60), one line each (execs, coverage, corpus) and a closing count. New
# inputs stay in _build/fuzz/tests/fuzz/work/NAME/corpus; a crash's input
# is kept there and its report printed. Exit 1 when a target crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
dir=${R3D_FUZZ_DIR:-${R3D_BUILD:-$PWD/_build}/fuzz}/tests/fuzz
failed=0 n=0
for bin in "$dir"/fuzz-*; do
	[ -x "$bin" ] && [ -f "$bin" ] || continue
	name=${bin##*/fuzz-}
	n=$((n + 1))
	tests/fuzz/run-fuzz.sh "$bin" "$name" "$seconds" "tests/fuzz/corpus/$name" \
		"$dir/work/$name" -max_len=4096 -timeout=10 -rss_limit_mb=2048 || failed=$((failed + 1))
done
[ $n -gt 0 ] || { echo "no fuzz targets in $dir (make fuzz-build)" >&2; exit 1; }
# remote3d-wire's reader (Python): tests/fuzz/fuzz_wire.py
n=$((n + 1))
/usr/bin/python3 tests/fuzz/fuzz_wire.py "$seconds" tests/fuzz/corpus/wire "$dir/work/wire" ||
	failed=$((failed + 1))
echo "$n fuzz targets, $failed crashed"
[ $failed = 0 ]
