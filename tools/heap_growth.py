#!/usr/bin/python3
"""Where a process's heap grew: heaptrack's record of a process (heaptrack
-p PID attached after warm-up, so that what it saw allocated and never freed
is the growth) summed by the code that allocated it.

usage: heap_growth.py FILE.zst [--json OUT]

Each allocation still live at the end is charged to the innermost frame of
its stack that is not an allocator (libc, GLib's g_malloc family, QEMU's
memalign wrappers): that frame's library, with QEMU's own binary split into
libremote3d (r3d_* functions, linked statically), TCG (the translator's and
the soft TLB's caches, bounded by their sizes) and the rest of QEMU. Prints
one line per owner, largest first: bytes, MB/h over the recorded time, and
the top stack's innermost named frames. Needs heaptrack_print (Debian's
heaptrack). Frames of libraries without symbols show as addresses; their
library is read from heaptrack's leak report.
"""
import json
import re
import subprocess
import sys

ALLOCATOR_MODULES = ("/libc.so", "/libglib-2.0.so", "/libheaptrack", "/ld-linux")
ALLOCATOR_FUNCS = ("g_malloc", "g_malloc0", "g_realloc", "g_try_malloc", "g_slice_alloc",
                   "g_slice_alloc0", "g_memdup", "g_strdup", "qemu_memalign",
                   "qemu_try_memalign", "malloc", "calloc", "realloc", "posix_memalign")
TCG_FUNCS = re.compile(r"^(tlb_|tcg_|tb_|qht_|page_|cpu_tb|setjmp_gen_code|gen_intermediate)")
FRAME_MODULE = re.compile(r"^\s+in (\S+)")
FRAME_NAME = re.compile(r"^\s*(\S.*?)\s*$")


def heaptrack_print(path, *args):
    r = subprocess.run(["heaptrack_print", "-f", path, "--print-peaks", "0",
                        "--print-allocators", "0", "--print-temporary", "0",
                        ] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise SystemExit("heap-growth: heaptrack_print %s failed:\n%s" % (path, r.stdout[-2000:]))
    return r.stdout


def frame_modules(leaks_text):
    """{frame as the folded stacks name it: its library} from the leak report."""
    mods = {}
    last = None
    for line in leaks_text.splitlines():
        m = FRAME_MODULE.match(line)
        if m and last:
            mods.setdefault(last, m.group(1))
            continue
        if line.strip().startswith("at "):  # a source line between a frame and its library
            continue
        if " leaked over " in line or line.startswith(("MEMORY", "total", "calls", "peak")):
            last = None
            continue
        m = FRAME_NAME.match(line)
        last = m.group(1).split(" (")[0] if m else None
    return mods


NEAR = 32 << 20   # an unnamed frame this close to a known one is in its library


class Modules:
    """The library of a frame: named in the leak report, or for an address
    the report did not print, the library of the nearest address it did."""

    def __init__(self, mods):
        self.mods = mods
        self.addrs = sorted((int(k, 16), v) for k, v in mods.items()
                            if re.match(r"^0x[0-9a-f]+$", k))

    def get(self, frame):
        if frame in self.mods or not re.match(r"^0x[0-9a-f]+$", frame) or not self.addrs:
            return self.mods.get(frame, "")
        a = int(frame, 16)
        best = min(self.addrs, key=lambda km: abs(km[0] - a))
        return best[1] if abs(best[0] - a) <= NEAR else ""


def owner_of(frames, mods):
    """The owner of one stack (innermost frame last) and its innermost frames."""
    frames = [f for f in frames if f]
    for i in range(len(frames) - 1, -1, -1):
        f = frames[i].split(" (")[0]
        mod = mods.get(f)
        if f in ALLOCATOR_FUNCS or any(a in mod for a in ALLOCATOR_MODULES):
            continue
        shown = [x.split(" (")[0] for x in frames[max(0, i - 3):i + 1]]
        if f.startswith("r3d_"):
            return "libremote3d", shown
        if "qemu-system" in mod or (not mod and not f.startswith("0x")):
            return ("QEMU TCG (bounded caches)" if TCG_FUNCS.match(f) else "QEMU"), shown
        if "_dri.so" in mod:
            return "host GL driver (%s)" % mod.rsplit("/", 1)[-1], shown
        if mod:
            return mod.rsplit("/", 1)[-1], shown
        return "unknown", shown
    return "allocator only", frames[-3:]


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        raise SystemExit(__doc__)
    path = sys.argv[1]
    out_json = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    leaks = heaptrack_print(path, "--print-leaks", "1")
    m = re.search(r"total runtime: ([0-9.]+)s", leaks)
    runtime = float(m.group(1)) if m else 0.0
    mods = Modules(frame_modules(leaks))
    folded_path = path + ".leaked.folded"
    heaptrack_print(path, "--print-leaks", "0", "--print-flamegraph", folded_path,
                    "--flamegraph-cost-type", "leaked")
    owners = {}
    with open(folded_path) as f:
        for line in f:
            stack, _, cost = line.rstrip("\n").rpartition(" ")
            if not cost.isdigit():
                continue
            who, shown = owner_of(stack.split(";"), mods)
            o = owners.setdefault(who, {"bytes": 0, "top": (0, [])})
            o["bytes"] += int(cost)
            if int(cost) > o["top"][0]:
                o["top"] = (int(cost), shown)
    total = sum(o["bytes"] for o in owners.values())
    hours = runtime / 3600.0 if runtime else float("nan")
    print("heap-growth: %s: %.1f MB still allocated of what was allocated in %.0f s "
          "(%.2f MB/h)" % (path, total / 1e6, runtime, total / 1e6 / hours))
    print("  %-34s %10s %8s  %s" % ("owner", "bytes", "MB/h", "innermost frames of its top stack"))
    rows = []
    for who, o in sorted(owners.items(), key=lambda kv: -kv[1]["bytes"]):
        rate = o["bytes"] / 1e6 / hours
        print("  %-34s %10d %8.3f  %s" % (who, o["bytes"], rate, " <- ".join(reversed(o["top"][1]))))
        rows.append({"owner": who, "bytes": o["bytes"], "mb_per_h": rate,
                     "top_stack": o["top"][1]})
    if out_json:
        with open(out_json, "w") as f:
            json.dump({"file": path, "runtime_s": runtime, "bytes": total, "owners": rows}, f,
                      indent=1)


if __name__ == "__main__":
    main()
