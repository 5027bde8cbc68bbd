#!/usr/bin/env bash
# Run every test suite of remote3d and print one closing line
# "N passed, N failed, N skipped". Called by `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${R3D_MESON_DIR:=$PWD/_build/meson}"

pass=0 fail=0 skip=0
failed_names=()

count_meson() {
	# meson's testlog.json: one JSON object per test
	local log=$1/meson-logs/testlog.json
	[ -f "$log" ] || return
	read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

echo "== remote3d tests (meson) =="
meson test -C "$R3D_MESON_DIR" --print-errorlogs --num-processes 1 || failed_names+=("remote3d")
count_meson "$R3D_MESON_DIR"

if [ -x tools/test-spice-server.sh ]; then
	echo "== spice-server's own tests on the patched build =="
	tools/test-spice-server.sh || failed_names+=("spice-server")
	count_meson "${R3D_BUILD:-$PWD/_build}/spice-build"
fi

echo
[ ${#failed_names[@]} = 0 ] || echo "failing suites: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ ${#failed_names[@]} = 0 ] && [ "$fail" = 0 ]
