#!/usr/bin/env bash
# Install the Debian packages remote3d needs (tools/debian-packages.txt) and
# enable deb-src entries derived from the machine's own apt sources, so that
# `apt-get source` works. Idempotent and quiet when everything is present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

want_src=0
[ "${1:-}" = "--with-src" ] && want_src=1

enable_deb_src() {
    local f out
    # already have deb-src entries?
    if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
        return 1
    fi
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        out=/etc/apt/sources.list.d/remote3d-src-$(basename "$f")
        sed -e 's/^Types:[[:space:]]*deb$/Types: deb-src/' "$f" > "$out"
        echo "remote3d: enabled deb-src from $f in $out" >&2
    done
    if [ -f /etc/apt/sources.list ] && grep -qE '^deb ' /etc/apt/sources.list; then
        sed -n -e 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/remote3d-src.list
        echo "remote3d: enabled deb-src from /etc/apt/sources.list" >&2
    fi
    return 0
}

pkgs=$(sed -e 's/#.*//' "$here/debian-packages.txt" | tr -s ' \n' '  ')
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null | awk '$4 != "installed" {print $1}' || true)
# packages dpkg has never heard of are not printed by dpkg-query: add them
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" >/dev/null 2>&1 || missing="$missing $p"
done
missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')

need_update=0
if [ $want_src = 1 ] && enable_deb_src; then need_update=1; fi
if [ -n "${missing// /}" ]; then need_update=1; fi
if [ $want_src = 1 ] && ! apt-cache showsrc spice >/dev/null 2>&1; then need_update=1; fi
[ $need_update = 1 ] || exit 0

if [ "$(id -u)" != 0 ]; then
    echo "remote3d: missing Debian packages:$missing — run 'make deps' as root" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ -n "${missing// /}" ]; then
    echo "remote3d: installing$missing" >&2
    apt-get install -y -qq $missing >/dev/null
fi
