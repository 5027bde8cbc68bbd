#!/usr/bin/env bash
# Build Debian's spice 0.15.1 with spice-server-patches/*.patch applied and
# install it into $R3D_PREFIX (default _build/prefix).
#
# The build is cached: the key is the Debian source version, the meson
# options and the sha256 of every patch (name and content, in order). When the
# key stored in the prefix matches, this prints one line and does nothing.
# Otherwise the source is extracted afresh (patches always apply to pristine
# code), patched, built in $R3D_BUILD/spice-build and installed.
# Quiet on success; the full log is printed on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

: "${R3D_BUILD:=$root/_build}"
: "${R3D_PREFIX:=$R3D_BUILD/prefix}"
SPICE_VERSION=0.15.1-1
UPSTREAM_VERSION=${SPICE_VERSION%-*}
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
src_dir=$R3D_BUILD/src
dl_dir=$src_dir/dl
tree=$src_dir/spice-$UPSTREAM_VERSION
build_dir=$R3D_BUILD/spice-build
key_file=$R3D_PREFIX/share/remote3d/spice-build.key
log=$R3D_BUILD/spice-build.log
meson_opts=(-Dgstreamer=1.0 -Dmanual=false -Dtests=true
	    --buildtype=debugoptimized
	    --prefix="$R3D_PREFIX" --libdir="lib/$multiarch")

shopt -s nullglob
patches=("$root"/spice-server-patches/*.patch)
shopt -u nullglob

key=$( {
	echo "spice $SPICE_VERSION"
	echo "meson ${meson_opts[*]}"
	for p in "${patches[@]}"; do
		echo "$(basename "$p") $(sha256sum < "$p" | cut -d' ' -f1)"
	done
} | sha256sum | cut -d' ' -f1)

if [ -f "$key_file" ] && [ "$(cat "$key_file")" = "$key" ] &&
   [ -e "$R3D_PREFIX/lib/$multiarch/libspice-server.so" ] &&
   [ -f "$build_dir/build.ninja" ]; then
	echo "remote3d: spice-server $SPICE_VERSION + ${#patches[@]} patches up to date in $R3D_PREFIX"
	exit 0
fi

mkdir -p "$R3D_BUILD" "$dl_dir"
: > "$log"

fail() {
	echo "remote3d: spice-server build failed: $*; full log ($log):" >&2
	cat "$log" >&2
	exit 1
}

. "$root/tools/debian-source.sh"

# 1. Debian's source, extracted afresh, with our patch series
rm -rf "$build_dir"
patched_debian_source spice "$SPICE_VERSION" "$dl_dir" "$tree" "${patches[@]}"

# 2. build and install
run nice meson setup "$build_dir" "$tree" "${meson_opts[@]}" || fail "meson setup"
run nice ninja -C "$build_dir" || fail "ninja"
run ninja -C "$build_dir" install || fail "ninja install"

mkdir -p "$(dirname "$key_file")"
echo "$key" > "$key_file"
