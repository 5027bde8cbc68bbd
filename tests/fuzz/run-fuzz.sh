#!/usr/bin/env bash
# Run one libFuzzer target for a bounded time and print one line:
#   fuzz NAME: EXECS execs in S s, cov C, ft F, corpus N (seeds in SEEDS); no crash
# Usage: run-fuzz.sh BINARY NAME SECONDS SEEDS WORKDIR [libFuzzer flags...]
# New inputs go to WORKDIR/corpus (SEEDS, the repository's corpus, is only
# read); a crashing input is kept as WORKDIR/crash-* and its report printed.
# Exit 0 without a crash, 1 with one (or when the target does not run).
set -uo pipefail
[ $# -ge 5 ] || { echo "usage: $0 BINARY NAME SECONDS SEEDS WORKDIR [flags...]" >&2; exit 2; }
bin=$1 name=$2 seconds=$3 seeds=$4 work=$5
shift 5

mkdir -p "$work/corpus" || exit 1
log=$work/fuzz.log
# stdout and stderr of the parsers (usage, one line per refusal) are closed:
# libFuzzer keeps its own output and the sanitizers' reports
"$bin" -max_total_time="$seconds" -print_final_stats=1 -close_fd_mask=3 \
	-artifact_prefix="$work/" "$@" "$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -n 1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
if [ $rc = 0 ] && [ -n "$done_line" ]; then
	echo "fuzz $name: ${execs:-?} execs in $seconds s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} (seeds in $seeds); no crash"
	exit 0
fi
echo "fuzz $name: FAILED (exit $rc) after ${execs:-?} execs; log $log"
grep -E -A40 '^(==[0-9]+==ERROR|.*runtime error|SUMMARY|INFO: Seed)' "$log" | head -n 80
ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | sed 's/^/  input kept: /'
exit 1
