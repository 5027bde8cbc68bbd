#!/bin/bash
# Boot the remote3d test guest (tools/build-guest.sh builds it).
#
# usage: guest/run-guest.sh [options] [-- extra qemu arguments]
#   --qemu PATH        QEMU binary (default: $R3D_QEMU, else the patched one in
#                      _build/prefix/bin/qemu-system-x86_64; there is no fallback)
#   --run WHAT         probe (default), kmscube, glmark2, xterm or shell
#   --duration S       run the program S seconds (glmark2: S per scene)
#   --fps N            probe: render N frames per second on an absolute
#                      deadline clock, like a 60 Hz display's vblank would
#                      pace a vsync'd app (default 0: unthrottled; under QEMU
#                      virtio-gpu page flips complete at once)
#   --args A,B,...     extra arguments for the program (commas become spaces)
#   --mode WxH         the guest's only display mode: 1280x720 (default),
#                      1024x768 or 1920x1080 (virtio-gpu xres/yres + an EDID)
#   --gl on|off        virtio-vga-gl (virgl; default) or plain virtio-vga
#   --accel auto|kvm|tcg   auto (default): KVM only where it runs a stock
#                      kernel at native speed; not under a nested PVM-based
#                      KVM (kvm_pvm), where Debian's kernel barely progresses
#   --mem MB           guest memory (default 2048: the initramfs is ~230 MB unpacked)
#   --serial FILE      the guest console goes to FILE (default: stdout)
#   --append ARGS      more kernel command line (e.g. "loglevel=7")
#   --dry-run          print the QEMU command line and exit
# The extra arguments go to QEMU as they are, e.g. `-display egl-headless`
# or `-spice port=5990,disable-ticketing=on,gl=on`. Without any -display
# argument the script adds `-display none` (gl off) or `-display egl-headless`
# (gl on).
# Prints "run-guest: accel=tcg (why)" on stderr before it starts QEMU.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${R3D_BUILD:-$ROOT/_build}
PREFIX=${R3D_PREFIX:-$BUILD/prefix}
GUEST=$BUILD/guest

qemu=${R3D_QEMU:-$PREFIX/bin/qemu-system-x86_64}
run=probe duration= fps= args= mode=1280x720 gl=on accel=${R3D_ACCEL:-auto} mem=2048
serial= dry=0 append=
die() { echo "run-guest: error: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--qemu) qemu=$2; shift ;;
	--run) run=$2; shift ;;
	--duration) duration=$2; shift ;;
	--fps) fps=$2; shift ;;
	--args) args=$2; shift ;;
	--mode) mode=$2; shift ;;
	--gl) gl=$2; shift ;;
	--accel) accel=$2; shift ;;
	--mem) mem=$2; shift ;;
	--serial) serial=$2; shift ;;
	--append) append=$2; shift ;;
	--dry-run) dry=1 ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done

[ -x "$qemu" ] || die "no QEMU at $qemu (the patched one is built by 'make build'; or pass --qemu)"
[ -f "$GUEST/vmlinuz" ] && [ -f "$GUEST/initrd.img" ] ||
	die "no guest in $GUEST (run tools/build-guest.sh or 'make guest')"
case $run in probe|kmscube|glmark2|xterm|shell) ;; *) die "--run $run: use probe, kmscube, glmark2, xterm or shell" ;; esac
case ${fps:-0} in *[!0-9]*) die "--fps $fps: a whole number of frames per second" ;; esac
case $mode in 1280x720|1024x768|1920x1080) ;; *) die "--mode $mode: use 1280x720, 1024x768 or 1920x1080" ;; esac
case $gl in on) vga=virtio-vga-gl ;; off) vga=virtio-vga ;; *) die "--gl $gl: use on or off" ;; esac

# --- accelerator ---------------------------------------------------------------
kvm_usable() {
	# stdout: why not, when it is not
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "no usable /dev/kvm"
		return 1
	fi
	if [ -d /sys/module/kvm_pvm ] || grep -qw 'nested_pvm=1' /proc/cmdline 2>/dev/null ||
		dmesg 2>/dev/null | grep -q 'kvm-pvm'; then
		echo "/dev/kvm is a nested PVM-based KVM (kvm_pvm), too slow for a stock kernel"
		return 1
	fi
	return 0
}
case $accel in
auto)
	if why=$(kvm_usable); then
		accel=kvm
		why="/dev/kvm is a regular KVM"
	else
		accel=tcg
	fi
	;;
kvm) why="asked for" ;;
tcg) why="asked for" ;;
*) die "--accel $accel: use auto, kvm or tcg" ;;
esac
if [ "$accel" = kvm ]; then
	accel_args=(-accel kvm -cpu host -smp 2)
else
	accel_args=(-accel tcg,thread=multi -cpu max -smp 2)
fi
echo "run-guest: accel=$accel ($why)" >&2

# --- command line ----------------------------------------------------------------
w=${mode%x*} h=${mode#*x}
cmdline="console=ttyS0 loglevel=4 panic=-1 drm.edid_firmware=edid/r3d-$mode.bin r3d.run=$run"
[ -n "$duration" ] && cmdline+=" r3d.duration=$duration"
[ -n "$fps" ] && [ "$fps" != 0 ] && cmdline+=" r3d.fps=$fps"
[ -n "$args" ] && cmdline+=" r3d.args=$args"
[ -n "$append" ] && cmdline+=" $append"

has_display=0
for a in "$@"; do
	[ "$a" = -display ] || [ "$a" = -nographic ] && has_display=1
done
display=()
if [ $has_display = 0 ]; then
	if [ "$gl" = on ]; then display=(-display egl-headless); else display=(-display none); fi
fi
if [ -n "$serial" ]; then serial_args=(-serial "file:$serial"); else serial_args=(-serial stdio); fi

# the dfsg QEMU source ships no firmware: Debian's seabios/ipxe packages have it
fw=()
for d in /usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu; do
	[ -d "$d" ] && fw+=(-L "$d")
done

cmd=("$qemu" "${accel_args[@]}" -m "$mem" -machine q35 -nodefaults -no-user-config
	"${fw[@]}"
	-kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.img" -append "$cmdline"
	-device "$vga,xres=$w,yres=$h"
	-device virtio-keyboard-pci -device virtio-tablet-pci
	"${serial_args[@]}" -monitor none -no-reboot
	"${display[@]}" "$@")
if [ $dry = 1 ]; then
	printf '%q ' "${cmd[@]}"
	echo
	exit 0
fi
exec "${cmd[@]}"
