#!/usr/bin/env bash
# meson test --wrapper for the ASan suites (tools/run-tests.sh): runs one
# test with its sanitizer logs in a folder of its own under
# R3D_SANITIZER_LOGS, then checks them (tools/sanitizer-logs.py). A report
# from any program the test started (LSan leaks included, also from a
# program whose exit status the test ignores) fails that test, with the
# report in the test's log; otherwise the test's own status stands (77 =
# skipped). The sanitizers' own exit status stays 0 (ASAN_OPTIONS from
# run-tests.sh) so that a test's checks still run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${R3D_SANITIZER_LOGS:?set by tools/run-tests.sh}"

dir=$(mktemp -d "$R3D_SANITIZER_LOGS/test.XXXXXX") || exit 1
printf '%q ' "$@" >"$dir/command" && echo >>"$dir/command"
# log_path names each file asan.PROGRAM.PID (log_exe_name)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$dir/asan:log_exe_name=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$dir/ubsan:log_exe_name=1"

"$@"
rc=$?
# the reports go to this test's log
if ! python3 "$here/sanitizer-logs.py" --quiet "$dir" >&2; then
	echo "FAIL: sanitizer reports above (logs in $dir)" >&2
	case $rc in 0 | 77) rc=1 ;; esac
fi
exit "$rc"
