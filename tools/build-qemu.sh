#!/usr/bin/env bash
# Build Debian 12's QEMU 7.2 with qemu-patches/*.patch applied, for
# x86_64-softmmu only, against the patched spice-server in $R3D_PREFIX and
# libremote3d from the project's meson build ($R3D_MESON_DIR), and install
# $R3D_PREFIX/bin/qemu-system-x86_64.
#
# Firmware: the dfsg source ships none. The binary's firmware path is set to
# Debian's seabios/ipxe/qemu-system-data files, so no -L is needed.
#
# The build is cached: the key is the Debian source version, the configure
# options, the sha256 of every patch, the spice-server build key and the
# installed spice-server headers. When it matches, this prints one line and
# does nothing. Otherwise the source is extracted afresh (patches always
# apply to pristine code) and built from scratch in $R3D_BUILD/qemu-build.
# libremote3d is linked statically: when only it changed (a new
# libremote3d.a), the existing build is relinked instead (seconds).
# Quiet on success; the full log is printed on failure.
#
# Environment: QEMU_VERSION=<debian version> pins the source version
# (default: apt's candidate, 1:7.2+dfsg-7+deb12uN); QEMU_JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

: "${R3D_BUILD:=$root/_build}"
: "${R3D_PREFIX:=$R3D_BUILD/prefix}"
: "${R3D_MESON_DIR:=$R3D_BUILD/meson}"
: "${QEMU_JOBS:=2}"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
src_dir=$R3D_BUILD/src
dl_dir=$src_dir/dl
build_dir=$R3D_BUILD/qemu-build
deps_dir=$R3D_BUILD/qemu-deps
key_file=$R3D_PREFIX/share/remote3d/qemu-build.key
lib_key_file=$R3D_PREFIX/share/remote3d/qemu-build.libkey
spice_key_file=$R3D_PREFIX/share/remote3d/spice-build.key
log=$R3D_BUILD/qemu-build.log
binary=$R3D_PREFIX/bin/qemu-system-x86_64

export PKG_CONFIG_PATH="$deps_dir:$R3D_PREFIX/lib/$multiarch/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

fail() {
	echo "remote3d: qemu build failed: $*; full log ($log):" >&2
	[ -f "$log" ] && tail -n 150 "$log" >&2
	exit 1
}

. tools/debian-source.sh

# The Debian source version: pinned, or apt's candidate (offline: apt lists).
if [ -z "${QEMU_VERSION:-}" ]; then
	dsc=$(apt-get source --print-uris qemu 2>/dev/null | awk '$2 ~ /^qemu_.*\.dsc$/ {print $2; exit}')
	[ -n "$dsc" ] ||
		{ echo "remote3d: no qemu source package (is deb-src enabled? run 'make deps')" >&2; exit 1; }
	dsc=${dsc#qemu_}
	QEMU_VERSION=$(apt-cache showsrc qemu | awk '/^Version:/ {print $2}' |
		grep -F -x -e "${dsc%.dsc}" -e "1:${dsc%.dsc}" | head -n 1)
	[ -n "$QEMU_VERSION" ] || QEMU_VERSION=${dsc%.dsc}
fi
file_version=${QEMU_VERSION#*:}            # 7.2+dfsg-7+deb12u18
upstream_version=${file_version%-*}        # 7.2+dfsg
tree=$src_dir/qemu-$upstream_version

configure_opts=(
	--prefix="$R3D_PREFIX"
	--target-list=x86_64-softmmu
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
	--enable-kvm --enable-spice --enable-opengl --enable-virglrenderer
	--enable-slirp
	--disable-docs --disable-tools --disable-gtk --disable-sdl --disable-vnc
	--disable-capstone --disable-install-blobs --disable-guest-agent
	--disable-xen --disable-werror --disable-debug-info
)

shopt -s nullglob
patches=("$root"/qemu-patches/*.patch)
shopt -u nullglob

# libremote3d as a pkg-config package pointing into the meson build: the
# static library, its public headers and the dependencies its meson build
# found, as meson wrote it (encoder/meson.build: pkg.generate).
remote3d_pc() {
	local pc=$R3D_MESON_DIR/meson-uninstalled/remote3d-uninstalled.pc
	[ -f "$R3D_MESON_DIR/encoder/libremote3d.a" ] && [ -f "$pc" ] || return 1
	cat "$pc"
}

uses_remote3d=0
if [ ${#patches[@]} -gt 0 ] && grep -lq "remote3d" "${patches[@]}"; then
	uses_remote3d=1
fi

key=$( {
	echo "qemu $QEMU_VERSION"
	echo "configure ${configure_opts[*]}"
	for p in "${patches[@]}"; do
		echo "$(basename "$p") $(sha256sum < "$p" | cut -d' ' -f1)"
	done
	echo "spice-key $(cat "$spice_key_file" 2>/dev/null || echo none)"
	cat "$R3D_PREFIX"/include/spice-server/*.h 2>/dev/null | sha256sum
	[ $uses_remote3d = 1 ] && remote3d_pc 2>/dev/null | grep -v '^Libs:'
	[ $uses_remote3d = 1 ] && cat "$root"/encoder/include/remote3d/*.h
} | sha256sum | cut -d' ' -f1)

# not part of the key: they change how, not what, is built
[ $uses_remote3d = 1 ] && configure_opts+=(--enable-remote3d)
if command -v ccache >/dev/null; then
	# a changed patch rebuilds from pristine source: ccache makes that cheap
	configure_opts+=(--cc="ccache cc")
	export CCACHE_BASEDIR=$R3D_BUILD
fi

lib_key=none
if [ $uses_remote3d = 1 ]; then
	[ -f "$R3D_MESON_DIR/encoder/libremote3d.a" ] ||
		{ echo "remote3d: qemu needs libremote3d: build the meson project first (make build)" >&2; exit 1; }
	# the archive's bytes; a thin one (meson's for a library it does not
	# install) only names its objects: then they are the content too
	lib=$R3D_MESON_DIR/encoder/libremote3d.a
	lib_key=$( { cat "$lib"
		     if [ "$(head -c 7 "$lib")" = '!<thin>' ]; then ar t "$lib" | xargs -r cat; fi; } |
		   sha256sum | cut -d' ' -f1)
fi

# the build links the libremote3d.a that remote3d.pc named at configure
# time: another meson build dir needs a new configure, not a relink
linked_lib_ok=1
if [ $uses_remote3d = 1 ] && ! remote3d_pc 2>/dev/null | cmp -s - "$deps_dir/remote3d.pc"; then
	linked_lib_ok=0
fi

if [ -f "$key_file" ] && [ "$(cat "$key_file")" = "$key" ] && [ -x "$binary" ] &&
   [ -f "$build_dir/build.ninja" ] && [ $linked_lib_ok = 1 ]; then
	if [ "$(cat "$lib_key_file" 2>/dev/null)" = "$lib_key" ]; then
		echo "remote3d: qemu $QEMU_VERSION + ${#patches[@]} patches up to date in $R3D_PREFIX"
		exit 0
	fi
	# only libremote3d.a changed: relink
	: > "$log"
	run touch "$R3D_MESON_DIR/encoder/libremote3d.a"
	rm -f "$build_dir/qemu-system-x86_64"
	run nice -n 10 ninja -C "$build_dir" -j"$QEMU_JOBS" qemu-system-x86_64 || fail "ninja (relink)"
	run install -D -m 755 "$build_dir/qemu-system-x86_64" "$binary" || fail "install"
	echo "$lib_key" > "$lib_key_file"
	echo "remote3d: qemu relinked with the new libremote3d"
	exit 0
fi

mkdir -p "$R3D_BUILD" "$dl_dir"
: > "$log"
echo "remote3d: building qemu $QEMU_VERSION + ${#patches[@]} patches (about 5 minutes on 2 cores; log: $log)"

# 1. Debian's source, extracted afresh, with our patch series
rm -rf "$build_dir"
patched_debian_source qemu "$QEMU_VERSION" "$dl_dir" "$tree" "${patches[@]}"

# 2. libremote3d for QEMU's meson (dependency('remote3d'))
mkdir -p "$deps_dir"
rm -f "$deps_dir/remote3d.pc"
if [ $uses_remote3d = 1 ]; then
	remote3d_pc > "$deps_dir/remote3d.pc" || fail "libremote3d not built in $R3D_MESON_DIR"
fi

# 3. configure, build only the emulator (not the qtest helpers), install it
mkdir -p "$build_dir"
(cd "$build_dir" && run nice "$tree/configure" "${configure_opts[@]}") || fail "configure"
run nice -n 10 ninja -C "$build_dir" -j"$QEMU_JOBS" qemu-system-x86_64 || fail "ninja"
run install -D -m 755 "$build_dir/qemu-system-x86_64" "$binary" || fail "install"

mkdir -p "$(dirname "$key_file")"
echo "$key" > "$key_file"
echo "$lib_key" > "$lib_key_file"
echo "remote3d: installed $binary"
