#!/bin/bash
# Build the remote3d test guest from Debian packages only:
#   _build/guest/vmlinuz     Debian's stock kernel (linux-image-amd64's current ABI)
#   _build/guest/initrd.img  busybox, the virtio/drm/input modules, Mesa's virgl
#                            driver, kmscube, glmark2-es2-drm, our probe, and
#                            Xorg (modesetting + glamor) with xterm
# Packages are fetched with `apt-get download` into _build/guest/debs (a cache).
# The result is cached: the key is every package version plus the sha256 of
# guest/, tests/lib/stamp.c/h, scene.h and this script; a second run with the same key
# does nothing. Boot it with guest/run-guest.sh.
#
# Environment: R3D_BUILD (default <repo>/_build), R3D_GUEST_COMPRESS
# (none, zstd, gzip or xz; default none: an uncompressed 225 MB initramfs
# boots ~9 s faster under TCG than a 71 MB zstd one), R3D_GUEST_FORCE=1 to rebuild.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${R3D_BUILD:-$ROOT/_build}
OUT=$BUILD/guest
DEBS=$OUT/debs
POOL=$OUT/pool
STAGE=$OUT/root
COMPRESS=${R3D_GUEST_COMPRESS:-none}
MA=x86_64-linux-gnu

log() { echo "build-guest: $*" >&2; }
die() { echo "build-guest: error: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb depmod modprobe readelf cpio cc pkg-config python3; do
	command -v "$tool" >/dev/null || die "$tool not found (make deps installs it)"
done

# --- which packages -------------------------------------------------------
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 to a kernel package"
KVER=${KPKG#linux-image-}

# What the guest runs; their library dependencies come from the closure of
# Depends/Pre-Depends (only the files the ELF objects really need end up in
# the initramfs, see below).
TOP=(busybox-static libgl1-mesa-dri libegl-mesa0 libegl1 libgles2 libgbm1
	libglvnd0 libdrm2 kmscube glmark2-es2-drm glmark2-data
	xserver-xorg-core xserver-xorg-input-evdev x11-xkb-utils xkb-data xterm
	libgl1 libglx-mesa0)
mapfile -t PKGS < <({
	echo "$KPKG"
	apt-cache depends --recurse --important "${TOP[@]}" | grep -v '^[ <]'
} | sort -u)
# versions as the archive has them now
mapfile -t PKGVERS < <(apt-cache show --no-all-versions "${PKGS[@]}" |
	awk '/^Package:/ { p = $2 } /^Version:/ { print p "=" $2 }' | sort -u)
[ "${#PKGVERS[@]}" -ge "${#PKGS[@]}" ] || die "some packages have no candidate version"

# --- cache key --------------------------------------------------------------
SRCS=("$0" "$ROOT/tests/lib/stamp.c" "$ROOT/tests/lib/stamp.h"
	"$ROOT/tests/lib/scene.h")
mapfile -t -O "${#SRCS[@]}" SRCS < <(find "$ROOT/guest" -type f | sort)
KEY=$({
	printf '%s\n' "${PKGVERS[@]}" "compress=$COMPRESS"
	sha256sum "${SRCS[@]}" | sed "s| $ROOT/| |"
} | sha256sum | cut -d' ' -f1)
if [ "${R3D_GUEST_FORCE:-0}" != 1 ] && [ -f "$OUT/cache-key" ] &&
	[ "$(cat "$OUT/cache-key")" = "$KEY" ] &&
	[ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ]; then
	log "up to date ($OUT, kernel $KVER)"
	exit 0
fi
rm -f "$OUT/cache-key"

# --- download ---------------------------------------------------------------
mkdir -p "$DEBS"
MISSING=()
for pv in "${PKGVERS[@]}"; do
	p=${pv%%=*} v=${pv#*=}
	ls "$DEBS/${p}_${v/:/%3a}_"*.deb >/dev/null 2>&1 || MISSING+=("$pv")
done
if [ "${#MISSING[@]}" -gt 0 ]; then
	log "downloading ${#MISSING[@]} packages into $DEBS"
	# as root, apt warns that _apt cannot write here: harmless
	(cd "$DEBS" && apt-get download -q "${MISSING[@]}" 2>&1 |
		grep -vE '^(Get:|Fetched|W: Download is performed unsandboxed)' >&2 || true)
	for pv in "${MISSING[@]}"; do
		p=${pv%%=*} v=${pv#*=}
		ls "$DEBS/${p}_${v/:/%3a}_"*.deb >/dev/null 2>&1 || die "download of $pv failed"
	done
fi

# --- unpack -----------------------------------------------------------------
log "unpacking ${#PKGVERS[@]} packages"
rm -rf "$POOL" "$STAGE"
mkdir -p "$POOL"
for pv in "${PKGVERS[@]}"; do
	p=${pv%%=*} v=${pv#*=}
	dpkg-deb -x "$(ls "$DEBS/${p}_${v/:/%3a}_"*.deb | head -1)" "$POOL"
done
# usrmerge is not in the packages: the loader's path is /lib64 -> usr/lib64?
# Debian 12 packages still ship /lib/x86_64-linux-gnu and /lib64 themselves.

# --- the probe ----------------------------------------------------------------
log "compiling the probe"
mkdir -p "$OUT/probe"
PROBE_SRCS=("$ROOT"/guest/probe/*.c "$ROOT/tests/lib/stamp.c")
# shellcheck disable=SC2046
cc -std=c11 -O2 -g0 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
	-I"$ROOT/tests/lib" -I"$ROOT/guest/probe" \
	"${PROBE_SRCS[@]}" -o "$OUT/probe/r3d-probe" \
	$(pkg-config --cflags --libs gbm egl glesv2 libdrm) -lm

# --- stage the initramfs ------------------------------------------------------
mkdir -p "$STAGE"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,usr/bin,usr/share,lib/firmware/edid}
mkdir -p "$STAGE/usr/lib/$MA/dri" "$STAGE/lib/$MA" "$STAGE/lib64"

# copy a file from the pool keeping its path; symlinks are followed one
# level so that soname links stay links to the real file
stage() {
	local rel=$1 tgt
	[ -e "$STAGE/$rel" ] && return 0
	mkdir -p "$(dirname "$STAGE/$rel")"
	if [ -L "$POOL/$rel" ]; then
		tgt=$(readlink "$POOL/$rel")
		case $tgt in /*) stage "${tgt#/}" ;; *) stage "$(dirname "$rel")/$tgt" ;; esac
		cp -a "$POOL/$rel" "$STAGE/$rel"
	elif [ -e "$POOL/$rel" ]; then
		cp "$POOL/$rel" "$STAGE/$rel"
	else
		die "$rel is in none of the packages"
	fi
}

# where the dynamic loader looks, in the pool (no /etc/ld.so.cache in the
# guest: the default paths are /lib/$MA and /usr/lib/$MA on Debian)
LIBDIRS=("lib/$MA" "usr/lib/$MA" "lib64" "usr/lib64")
resolve_lib() {
	local name=$1 d
	for d in "${LIBDIRS[@]}"; do
		if [ -e "$POOL/$d/$name" ]; then
			echo "$d/$name"
			return 0
		fi
	done
	return 1
}

# ELF objects: stage each, then every NEEDED library, recursively
declare -A SEEN=()
QUEUE=()
add_elf() { # path relative to the pool, or absolute for a host-built file
	QUEUE+=("$1")
}
add_elf "bin/busybox"
add_elf "usr/bin/kmscube"
add_elf "usr/bin/glmark2-es2-drm"
add_elf "usr/lib/$MA/dri/virtio_gpu_dri.so"
# dlopen()ed, so not in any NEEDED list: glvnd's EGL vendor (Mesa) and the
# GLES dispatch library glmark2 loads by name
for l in libEGL_mesa.so.0 libEGL.so.1 libGLESv2.so.2 libgbm.so.1 libGLdispatch.so.0; do
	lib=$(resolve_lib "$l") || die "$l is in none of the packages"
	add_elf "$lib"
done
add_elf "$OUT/probe/r3d-probe"
# the xterm guest: the X server itself (not Debian's Xorg.wrap), its
# modules (dlopen()ed: modesetting, glamor, evdev, fb, ...), the keymap
# compiler it runs and xterm; GL for glamor through libepoxy's dlopen()
add_elf "usr/lib/xorg/Xorg"
while read -r m; do
	add_elf "${m#"$POOL"/}"
done < <(find "$POOL/usr/lib/xorg/modules" -name '*.so' -type f | sort)
add_elf "usr/bin/xkbcomp"
add_elf "usr/bin/xterm"
for l in libGL.so.1 libGLX_mesa.so.0; do
	lib=$(resolve_lib "$l") || die "$l is in none of the packages"
	add_elf "$lib"
done

while [ "${#QUEUE[@]}" -gt 0 ]; do
	f=${QUEUE[0]}
	QUEUE=("${QUEUE[@]:1}")
	[ -n "${SEEN[$f]:-}" ] && continue
	SEEN[$f]=1
	if [ "${f:0:1}" = / ]; then
		src=$f
	else
		stage "$f"
		src=$POOL/$f
	fi
	src=$(readlink -f "$src")
	while read -r need; do
		lib=$(resolve_lib "$need") || die "$need (needed by $f) is in none of the packages"
		QUEUE+=("$lib")
	done < <(readelf -d "$src" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	interp=$(readelf -l "$src" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
	if [ -n "$interp" ]; then
		QUEUE+=("${interp#/}")
	fi
done

# Mesa's DRI drivers are one file under several names (hard links): the
# software ones cost nothing and let the probe run (llvmpipe, in the guest)
# on a virtio-gpu without virgl; with virgl, Mesa picks virtio_gpu first.
DRI=usr/lib/$MA/dri
for d in kms_swrast swrast; do
	if [ "$POOL/$DRI/${d}_dri.so" -ef "$POOL/$DRI/virtio_gpu_dri.so" ]; then
		ln "$STAGE/$DRI/virtio_gpu_dri.so" "$STAGE/$DRI/${d}_dri.so"
	fi
done

# data the programs read
stage usr/share/glvnd/egl_vendor.d/50_mesa.json
cp -a "$POOL/usr/share/glmark2" "$STAGE/usr/share/"
[ -d "$POOL/usr/share/drirc.d" ] && cp -a "$POOL/usr/share/drirc.d" "$STAGE/usr/share/"
install -m 0755 "$OUT/probe/r3d-probe" "$STAGE/usr/bin/r3d-probe"
# X: the keymaps xkbcomp compiles (Xorg's own fonts are its built-ins)
cp -a "$POOL/usr/share/X11" "$STAGE/usr/share/"

# busybox applets as links
for a in $("$POOL/bin/busybox" --list-full); do
	mkdir -p "$STAGE/$(dirname "$a")"
	[ -e "$STAGE/$a" ] || [ -L "$STAGE/$a" ] || ln -s /bin/busybox "$STAGE/$a"
done

# kernel: the modules we load, in dependency order, listed in /etc/r3d-modules
KMOD=lib/modules/$KVER
depmod -b "$POOL" "$KVER"
: >"$STAGE/etc/r3d-modules"
while read -r m; do
	modprobe -d "$POOL" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$ROOT/guest/modules") | awk '!seen[$0]++' | while read -r ko; do
	rel=${ko#"$POOL"/}
	stage "$rel"
	echo "/$rel" >>"$STAGE/etc/r3d-modules"
done
cp "$POOL/$KMOD"/modules.{order,builtin,builtin.modinfo} "$STAGE/$KMOD/"
depmod -b "$STAGE" "$KVER"
cp "$POOL/boot/vmlinuz-$KVER" "$OUT/vmlinuz.new"

# EDIDs that offer exactly one mode (see guest/mkedid.py)
for m in 1280x720 1024x768 1920x1080; do
	python3 "$ROOT/guest/mkedid.py" "${m%x*}" "${m#*x}" "$STAGE/lib/firmware/edid/r3d-$m.bin"
done

install -m 0755 "$ROOT/guest/init" "$STAGE/init"
printf '%s\n' "${PKGVERS[@]}" >"$STAGE/etc/r3d-packages"
echo "$KVER" >"$STAGE/etc/r3d-kernel"

# --- pack ------------------------------------------------------------------------
case $COMPRESS in
zstd) Z=(zstd -q -10 -T0 --stdout) ;;
gzip) Z=(gzip -6 -c) ;;
xz) Z=(xz --check=crc32 -6 -T0 -c) ;;
none) Z=(cat) ;;
*) die "R3D_GUEST_COMPRESS=$COMPRESS: use zstd, gzip, xz or none" ;;
esac
command -v "${Z[0]}" >/dev/null || die "${Z[0]} not found"
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
	"${Z[@]}" >"$OUT/initrd.img.new"
mv "$OUT/initrd.img.new" "$OUT/initrd.img"
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
echo "$KEY" >"$OUT/cache-key"
log "kernel $KVER; initramfs $(du -sh --apparent-size "$STAGE" | cut -f1) unpacked," \
	"$(du -h --apparent-size "$OUT/initrd.img" | cut -f1) $COMPRESS -> $OUT"
