#!/usr/bin/env python3
"""Fuzz remote3d-wire's capture reader and SPICE decoder (tools/
wire_capture.py, wire_spice.py, remote3d_wire.py): Python, so not a
libFuzzer target; this is a small coverage-guided mutation fuzzer of the
same kind.

Seeds: the synthetic captures of tests/integration/test_wire_synthetic.py
(each case's first capture: pcapng and classic pcap, raw IP, Ethernet and
IPv6, mini and full headers, loss and reordering, two sessions, TLS, the
latency-sim comments), cut to MAX_LEN bytes. Each input is written to a
file and remote3d-wire's main() runs on it in this process (--json, --csv,
--quiet, a --view drawn at random). What it must do, whatever the bytes:
return 0, 1 or 2, with every stderr line starting "remote3d-wire:", within
TIMEOUT_S. An exception, another exit status or a hang is a crash: the
input is kept as WORK/crash-N (and the traceback printed) and the run
fails. Coverage is the set of (file, line) pairs of those three modules
that ran (sys.settrace); an input that reaches a new one joins the corpus
(WORK/corpus, also reread as seeds on the next run). SEEDS (the
repository's tests/fuzz/corpus/wire: regressions) run first.

Usage: fuzz_wire.py SECONDS SEEDS WORKDIR
       fuzz_wire.py --replay FILE...
Prints one line like the libFuzzer targets':
  fuzz wire: EXECS execs in S s, cov LINES, corpus N (seeds M); no crash
"""
import contextlib
import io
import os
import random
import signal
import struct
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import remote3d_wire  # noqa: E402

TARGETS = {os.path.join(ROOT, "tools", m) for m in
           ("remote3d_wire.py", "wire_capture.py", "wire_spice.py")}
MAX_LEN = 64 * 1024
TIMEOUT_S = 10
INTERESTING32 = (0, 1, 2, 3, 4, 8, 12, 16, 20, 28, 32, 0x7f, 0x80, 0xff, 0x100, 0xffff,
                 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff)
VIEWS = ("auto", "capture", "client", "server")


class Captured(Exception):
    pass


def seeds_from_synthetic(wd):
    """The first capture each synthetic case writes (run_wire intercepted)."""
    import test_wire_synthetic as tws
    got = []

    def keep(wire, cap, *opts, **kw):
        with open(cap, "rb") as f:
            got.append(f.read(MAX_LEN))
        raise Captured()

    tws.run_wire = keep
    tws.log = lambda *a, **k: None
    for name in sorted(tws.CASES):
        try:
            tws.CASES[name]("remote3d-wire", wd)
        except Captured:
            pass
    return got


class Coverage:
    def __init__(self):
        self.seen = set()
        self.new = 0

    def tracer(self, frame, event, arg):
        if frame.f_code.co_filename not in TARGETS:
            return None
        return self.line

    def line(self, frame, event, arg):
        if event == "line":
            key = (frame.f_code.co_filename, frame.f_lineno)
            if key not in self.seen:
                self.seen.add(key)
                self.new += 1
        return self.line


class Hang(Exception):
    pass


def on_alarm(signum, frame):
    raise Hang()


def run_one(data, path, rng, cov):
    """Runs remote3d-wire on data; returns None when it behaved, else why."""
    with open(path, "wb") as f:
        f.write(data)
    argv = [path, "--json", path + ".json", "--csv", path + ".csv", "--quiet",
            "--view", rng.choice(VIEWS)]
    out, err = io.StringIO(), io.StringIO()
    signal.alarm(TIMEOUT_S)
    sys.settrace(cov.tracer)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = remote3d_wire.main(argv)
    except Hang:
        return "no result within %d s" % TIMEOUT_S
    except SystemExit as e:
        return "exited through SystemExit(%r)" % (e.code,)
    except BaseException:
        return "raised:\n" + traceback.format_exc()
    finally:
        sys.settrace(None)
        signal.alarm(0)
    if rc not in (0, 1, 2):
        return "returned %r (not 0, 1 or 2)" % (rc,)
    for line in err.getvalue().splitlines():
        if not line.startswith("remote3d-wire:"):
            return "a stderr line not its own one-line error: %r" % line[:200]
    if rc == 2 and not err.getvalue():
        return "exit 2 without an error line"
    return None


def mutate(data, corpus, rng):
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 6))):
        op = rng.randrange(9)
        n = len(b)
        if op == 0 and n:                       # flip a bit
            i = rng.randrange(n)
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1 and n:                     # a random byte
            b[rng.randrange(n)] = rng.randrange(256)
        elif op == 2 and n >= 4:                # an interesting 32-bit field
            i = rng.randrange(0, n - 3) & ~3 if rng.random() < 0.7 else rng.randrange(n - 3)
            v = rng.choice(INTERESTING32)
            if rng.random() < 0.3:
                v = (v + rng.randrange(-4, 5)) & 0xffffffff
            b[i:i + 4] = struct.pack(rng.choice("<>") + "I", v)
        elif op == 3 and n >= 2:                # an interesting 16-bit field
            i = rng.randrange(n - 1)
            b[i:i + 2] = struct.pack(rng.choice("<>") + "H",
                                     rng.choice((0, 1, 0x7f, 0xff, 0xffff, 1400, 1500)))
        elif op == 4 and n:                     # delete a chunk
            i = rng.randrange(n)
            del b[i:i + rng.randrange(1, 64)]
        elif op == 5 and n:                     # duplicate a chunk
            i = rng.randrange(n)
            j = rng.randrange(n)
            b[j:j] = b[i:i + rng.randrange(1, 256)]
        elif op == 6:                           # insert random bytes
            i = rng.randrange(n + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
        elif op == 7 and n:                     # cut short
            del b[rng.randrange(n):]
        elif op == 8 and corpus:                # splice with another input
            other = rng.choice(corpus)
            if other and n:
                i, j = rng.randrange(n), rng.randrange(len(other))
                b = b[:i] + other[j:j + rng.randrange(1, 4096)]
    return bytes(b[:MAX_LEN])


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    cov = Coverage()
    tmp = tempfile.mkdtemp(prefix="fuzz-wire-")
    path = os.path.join(tmp, "input")
    if sys.argv[1:2] == ["--replay"]:
        bad = 0
        for f in sys.argv[2:]:
            with open(f, "rb") as fh:
                why = run_one(fh.read(), path, rng, cov)
            print("%s: %s" % (f, why or "ok"))
            bad += why is not None
        sys.exit(1 if bad else 0)
    if len(sys.argv) != 4:
        sys.exit("usage: fuzz_wire.py SECONDS SEEDS WORKDIR | --replay FILE...")
    seconds, seed_dir, work = float(sys.argv[1]), sys.argv[2], sys.argv[3]
    cdir = os.path.join(work, "corpus")
    os.makedirs(cdir, exist_ok=True)

    seeds = []
    for d in (seed_dir, cdir):
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                seeds.append(f.read(MAX_LEN))
    seeds += seeds_from_synthetic(tmp)
    seeds.append(b"")
    corpus = []
    execs = 0
    crashes = 0
    t0 = time.monotonic()

    def attempt(data, keep):
        nonlocal execs, crashes
        before = cov.new
        why = run_one(data, path, rng, cov)
        execs += 1
        if why:
            crashes += 1
            out = os.path.join(work, "crash-%d" % crashes)
            with open(out, "wb") as f:
                f.write(data)
            print("fuzz wire: CRASH (%d bytes, kept as %s): %s" % (len(data), out, why))
            return
        if cov.new > before or keep:
            corpus.append(data)
            if not keep:
                name = "%08x" % (hash(data) & 0xffffffff)
                with open(os.path.join(cdir, name), "wb") as f:
                    f.write(data)

    for s in seeds:
        attempt(s, True)
    while time.monotonic() - t0 < seconds and crashes < 5:
        attempt(mutate(rng.choice(corpus), corpus, rng), False)
    print("fuzz wire: %d execs in %.0f s, cov %d lines, corpus %d (seeds %d, %s); %s" % (
        execs, time.monotonic() - t0, len(cov.seen), len(corpus), len(seeds), seed_dir,
        "no crash" if not crashes else "%d CRASHED" % crashes))
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()
