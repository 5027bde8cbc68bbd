# remote3d — the two commands a person needs:
#   make demo   set up everything on a fresh Debian 12 machine (as root) and run the main job
#   make test   set up everything and run the whole test suite
# Everything built lives under _build/ (delete it to start over).

SHELL := /bin/bash
BUILD := $(CURDIR)/_build
PREFIX := $(BUILD)/prefix
MESON_DIR := $(BUILD)/meson
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
export PKG_CONFIG_PATH := $(PREFIX)/lib/$(MULTIARCH)/pkgconfig:$(PREFIX)/lib/pkgconfig:$(PREFIX)/share/pkgconfig$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))
export LD_LIBRARY_PATH := $(PREFIX)/lib/$(MULTIARCH):$(PREFIX)/lib$(if $(LD_LIBRARY_PATH),:$(LD_LIBRARY_PATH))
export R3D_BUILD := $(BUILD)
export R3D_PREFIX := $(PREFIX)
export R3D_MESON_DIR := $(MESON_DIR)

MESON_OPTS ?=
# our own meson project builds with warnings as errors (CI runs make test);
# QEMU's and spice-server's builds keep their own flags
MESON_WERROR ?= -Dwerror=true

.PHONY: all deps spice qemu guest meson-build build test unit-test bench bench-link bench-latency-sim bench-extract bench-vm bench-xterm bench-viewer bench-sweep bench-soak demo demo-xterm env clean fuzz fuzz-build asan-build asan-test

all: build

deps:
	@tools/deps.sh --with-src

# Debian's spice 0.15.1 + spice-server-patches/, into $(PREFIX); cached
spice: deps
	@tools/build-spice.sh

# the test guest: Debian's kernel + an initramfs from Debian packages and
# guest/ (tools/build-guest.sh), into $(BUILD)/guest; cached
guest: deps
	@tools/build-guest.sh

# the project's meson build (libremote3d, programs, tests) in $(MESON_DIR)
meson-build: spice guest
	@if [ ! -f $(MESON_DIR)/build.ninja ]; then \
		meson setup $(MESON_DIR) $(MESON_WERROR) $(MESON_OPTS) >$(BUILD)/meson-setup.log || { cat $(BUILD)/meson-setup.log; exit 1; }; \
	fi
	@ninja -C $(MESON_DIR) | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
	@ninja -C $(MESON_DIR) >/dev/null

# Debian's QEMU 7.2 + qemu-patches/, linked with libremote3d from the meson
# build, into $(PREFIX)/bin; cached (tools/build-qemu.sh)
qemu: meson-build
	@tools/build-qemu.sh

build: meson-build qemu

test: build fuzz-build asan-build
	@tools/run-tests.sh

# libFuzzer targets (tests/fuzz, clang + ASan/UBSan) in $(FUZZ_DIR); tests
# suite "fuzz" runs each for R3D_FUZZ_SECONDS (make test: 30)
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
fuzz-build: spice
	@if [ ! -f $(FUZZ_DIR)/build.ninja ]; then \
		CC=clang meson setup $(FUZZ_DIR) -Dfuzzing=true -Db_sanitize=address,undefined \
			-Db_lundef=false >$(BUILD)/fuzz-setup.log || { cat $(BUILD)/fuzz-setup.log; exit 1; }; \
	fi
	@ninja -C $(FUZZ_DIR) fuzzers >/dev/null

# each target for FUZZ_SECONDS (default 60): execs, coverage, crashes
fuzz: fuzz-build
	@tools/run-fuzz.sh $(FUZZ_SECONDS)

# libremote3d, the client, testsrc and latency-sim with ASan + UBSan in
# $(ASAN_DIR): make test runs the unit and integration suites on it (a sanitizer
# report, an LSan leak included, fails the test whose program made it)
ASAN_DIR := $(BUILD)/asan
asan-build: spice
	@if [ ! -f $(ASAN_DIR)/build.ninja ]; then \
		meson setup $(ASAN_DIR) -Db_sanitize=address,undefined -Db_lundef=false \
			-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all \
			>$(BUILD)/asan-setup.log || { cat $(BUILD)/asan-setup.log; exit 1; }; \
	fi
	@ninja -C $(ASAN_DIR) | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
	@ninja -C $(ASAN_DIR) >/dev/null

# the unit and integration suites under ASan + UBSan, as make test runs them
# (without the fuzz targets)
asan-test: build asan-build
	@R3D_ASAN_SUITES="unit integration" tools/run-tests.sh

# only the fast unit tests (no set-up beyond the meson build)
unit-test:
	@meson setup $(MESON_DIR) $(MESON_WERROR) $(MESON_OPTS) >/dev/null 2>&1 || true
	@meson test -C $(MESON_DIR) --suite unit --print-errorlogs

bench: build
	@tools/bench.sh

# rate control off vs on: testsrc -> remote3d-client behind latency-sim for
# link profiles (lan, wan10, dsl2, drop, rise, lossy, bursty, outage): a table,
# CSVs and PNG plots (BENCH_LINK_OUT, default /tmp/r3d-bench-link)
bench-link: build
	@/usr/bin/python3 tools/bench_link.py

# latency-sim vs. freddy77/latency (R3D_BASELINE_LATENCY=path/to/its binary)
bench-latency-sim: build
	@tools/bench-latency-sim.sh

# extraction: synchronous BGRx readback (baseline) vs GPU NV12 + async PBO
bench-extract: meson-build
	@tools/bench-extract.sh

# the test guest streamed (spice gl=on) beside the stock egl-headless 2D path:
# guest fps with/without a client, client fps, bitrate, input-to-photon
bench-vm: build
	@tools/bench-vm.sh

# the xterm test: key-to-glyph typing into the guest's xterm, remote3d
# (spice gl=on) beside the stock egl-headless 2D path, loopback and behind
# latency-sim (BENCH_XTERM_OUT, default /tmp/r3d-bench-xterm: CSVs + PNG)
bench-xterm: build
	@/usr/bin/python3 tools/bench_xterm.py

# soak: the guest streamed for BENCH_SOAK_SECONDS (default 3600) to a client
# that reconnects every minute, the link changing every 5 min; QEMU's RSS,
# fds, threads and encoder restarts over time, a PNG and the RSS slope in
# MB/h (BENCH_SOAK_OUT, default /tmp/r3d-bench-soak; tools/bench_soak.py --help)
bench-soak: build
	@/usr/bin/python3 tools/bench_soak.py

# the stock client: remote-viewer's window timed by remote3d-screen-watch
# beside remote3d-client with and without spice-gtk's stock H.264 parser
bench-viewer: build
	@/usr/bin/python3 tools/bench_viewer.py

# encoder tuning: a sweep over encoders, x264 knobs, bitrates, scenes and
# links (BENCH_SWEEP_CONFIG, default tools/sweeps/default.conf): PSNR/SSIM,
# latency, CPU per point; CSV, JSON, PNG plots (BENCH_SWEEP_OUT)
bench-sweep: build
	@/usr/bin/python3 tools/bench_sweep.py $(or $(BENCH_SWEEP_CONFIG),tools/sweeps/default.conf)

demo: build
	@tools/demo.sh

# the xterm guest: type a line, key-to-glyph + the wire view, then serve
# for remote-viewer until Ctrl-C
demo-xterm: build
	@/usr/bin/python3 tools/bench_xterm.py --demo

# eval "$$(make -s env)": the built programs on PATH, by name
env:
	@echo "export PATH=\"$(MESON_DIR)/client:$(MESON_DIR)/testsrc:$(MESON_DIR)/latency-sim:$(MESON_DIR)/tools:$(PREFIX)/bin:\$$PATH\""
	@echo "export LD_LIBRARY_PATH=\"$(PREFIX)/lib/$(MULTIARCH):$(PREFIX)/lib\$${LD_LIBRARY_PATH:+:\$$LD_LIBRARY_PATH}\""

clean:
	rm -rf $(BUILD)
