#!/usr/bin/env bash
# Run every test suite of remote3d and print one closing line
# "N passed, N failed, N skipped". Called by `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"

pass=0 fail=0 skip=0
failed_names=()
failed_report="" # count_meson's lines on each failed test

count_meson() {
	# meson's testlog.json: one JSON object per test. The first line out
	# is the counts; then, per failed test, "failed: DIR: NAME (RESULT, S s)"
	# and its last three output lines, repeated at the end of the log
	local log=$1/meson-logs/${2:-testlog}.json
	[ -f "$log" ] || return
	local out p f s
	out=$(python3 - "$log" "${1##*/}" <<'PY'
import json, sys
p = f = s = 0
report = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else:
        f += 1
        tail = [l for l in (t.get("stdout") or "").splitlines() if l.strip()][-3:]
        report.append("failed: %s: %s (%s, %.0f s)" % (sys.argv[2], t["name"], r, t.get("duration", 0)))
        report += ["    " + l[:200] for l in tail]
print(p, f, s)
for l in report: print(l)
PY
)
	read -r p f s <<<"${out%%$'\n'*}"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [[ $out == *$'\n'* ]]; then
		failed_report+="${out#*$'\n'}"$'\n'
	fi
}

echo "== remote3d tests (meson) =="
meson test -C "$R3D_MESON_DIR" --print-errorlogs --num-processes 1 || failed_names+=("remote3d")
count_meson "$R3D_MESON_DIR"

# The unit and integration suites again on the ASan + UBSan build (make
# asan-build; R3D_ASAN_SUITES="unit" for the unit suite alone). Each test
# runs under tools/asan-test-wrap.sh: every sanitizer report of its
# programs goes to a log file in a folder of its own, also from programs
# whose exit status the test ignores, and any report (an LSan leak
# included; suppressions: tests/sanitizers/lsan.supp) fails that test. The
# sanitizers' exit status is 0 so that a test's own checks still run.
asan_dir=${R3D_BUILD:-$PWD/_build}/asan
if [ -f "$asan_dir/build.ninja" ]; then
	echo "== ${R3D_ASAN_SUITES:-unit integration} under ASan + UBSan ($asan_dir) =="
	logs=$asan_dir/sanitizer-logs
	rm -rf "$logs" && mkdir -p "$logs"
	asan_start=$SECONDS
	R3D_SANITIZER_LOGS=$logs \
	ASAN_OPTIONS=detect_leaks=1:exitcode=0 \
	LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$asan_dir" --no-rebuild --print-errorlogs --num-processes 1 \
		--wrapper "$PWD/tools/asan-test-wrap.sh" \
		$(for s in ${R3D_ASAN_SUITES:-unit integration}; do echo "--suite $s"; done) --no-suite no-asan \
		|| failed_names+=("asan")
	count_meson "$asan_dir" testlog-asan-test-wrap.sh # meson names the log after --wrapper
	# every report again, all tests together (each has failed its test)
	python3 tools/sanitizer-logs.py "$logs"
	echo "ASan suites: $((SECONDS - asan_start)) s"
fi

# Each libFuzzer target for fuzz_seconds (30; make fuzz-build)
fuzz_dir=${R3D_BUILD:-$PWD/_build}/fuzz
if [ -f "$fuzz_dir/build.ninja" ]; then
	echo "== fuzz targets ($fuzz_dir) =="
	meson test -C "$fuzz_dir" --no-rebuild --print-errorlogs --num-processes 2 --suite fuzz \
		|| failed_names+=("fuzz")
	count_meson "$fuzz_dir"
fi

if [ -x tools/test-spice-server.sh ]; then
	echo "== spice-server's own tests on the patched build =="
	tools/test-spice-server.sh || failed_names+=("spice-server")
	count_meson "${R3D_BUILD:-$PWD/_build}/spice-build"
fi

echo
[ ${#failed_names[@]} = 0 ] || echo "failing suites: ${failed_names[*]}"
printf '%s' "$failed_report"
echo "$pass passed, $fail failed, $skip skipped"
[ ${#failed_names[@]} = 0 ] && [ "$fail" = 0 ]
