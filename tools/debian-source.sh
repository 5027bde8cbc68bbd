# Sourced by tools/build-spice.sh and tools/build-qemu.sh: the steps both
# take to turn a Debian source package into a pristine, patched tree.
# The caller defines $log (the build log) and fail() (prints it and exits).

# run CMD...: run a command with its output in the build log
run() {
	echo "+ $*" >> "$log"
	"$@" >> "$log" 2>&1
}

# patched_debian_source PKG VERSION DL_DIR TREE PATCH...
# Download PKG=VERSION's source once into DL_DIR (apt-get source, from the
# deb-src entries `make deps` enables), extract it afresh into TREE
# (dpkg-source applies Debian's own patches) and apply our PATCHes in order,
# so that a changed series always applies to pristine code.
patched_debian_source() {
	local pkg=$1 version=$2 dl=$3 tree=$4 p
	shift 4
	local dsc="$dl/${pkg}_${version#*:}.dsc"

	if [ ! -f "$dsc" ]; then
		(cd "$dl" && run apt-get source --download-only "$pkg=$version") ||
			fail "apt-get source $pkg=$version (is deb-src enabled? run 'make deps')"
	fi
	rm -rf "$tree"
	run dpkg-source --no-check -x "$dsc" "$tree" || fail "dpkg-source -x"
	for p in "$@"; do
		echo "+ applying $(basename "$p")" >> "$log"
		(cd "$tree" && run patch -p1 --batch --forward -i "$p") ||
			fail "patch $(basename "$p") does not apply"
	done
}
