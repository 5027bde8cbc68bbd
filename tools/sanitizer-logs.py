#!/usr/bin/env python3
"""Check the ASan/UBSan/LSan logs of the ASan suites (tools/run-tests.sh).

Every sanitizer report of a test's programs lands in DIR (log_path; one
folder per test below it, tools/asan-test-wrap.sh), also from programs
whose exit status a test does not look at. Prints each report that counts
and exits 1 when there is one; --quiet: nothing when there is none. One report is passed:
GLib's first quark block (Direct leak of 16384 bytes, malloc <- g_malloc
and nothing else: g_quark drops it on purpose when the table grows), which
the fast unwinder cannot name for a suppression (tests/sanitizers/lsan.supp).
"""
import os
import re
import sys

QUARK = re.compile(
    r"Direct leak of 16384 byte\(s\) in 1 object\(s\) allocated from:\n"
    r"\s+#0 0x[0-9a-f]+ in (__interceptor_)?malloc [^\n]*\n"
    r"\s+#1 0x[0-9a-f]+ in g_malloc \([^\n]*libglib-2\.0\.so[^\n]*\)\n\n")


# spice-gtk's coroutines (swapcontext) make ASan say it may be wrong: a
# note, not a report
NOTES = re.compile(
    r"^(==(?:[^=\n]+==)?\d+==WARNING: ASan doesn't fully support makecontext/swapcontext[^\n]*"
    r"|==(?:[^=\n]+==)?\d+==WARNING: ASan is ignoring requested __asan_handle_no_return[^\n]*"
    r"|False positive error reports may follow"
    r"|For details see https://github.com/google/sanitizers/issues/189)\n", re.M)


def real_reports(text):
    # the quark block alone: nothing else in the log but LSan's frame
    rest = NOTES.sub("", text)
    rest = QUARK.sub("", rest)
    rest = re.sub(r"SUMMARY: AddressSanitizer: 16384 byte\(s\) leaked in 1 allocation\(s\)\.\n?",
                  "", rest)
    rest = re.sub(r"=+\n==(?:[^=\n]+==)?\d+==ERROR: LeakSanitizer: detected memory leaks\n",
                  "", rest)
    return rest.strip()


def main():
    args = sys.argv[1:]
    quiet = "--quiet" in args
    args = [a for a in args if a != "--quiet"]
    if len(args) != 1:
        sys.exit("usage: sanitizer-logs.py [--quiet] DIR")
    d = args[0]
    bad = 0
    # log_path's files: asan.PROGRAM.PID, ubsan.PROGRAM.PID, in DIR or in a
    # test's folder below it (tools/asan-test-wrap.sh)
    for top, dirs, files in sorted(os.walk(d)) if os.path.isdir(d) else []:
        dirs.sort()
        for name in sorted(files):
            if not name.startswith(("asan.", "ubsan.")):
                continue
            path = os.path.join(top, name)
            with open(path, errors="replace") as f:
                text = real_reports(f.read())
            if text:
                bad += 1
                print(f"== sanitizer report {os.path.relpath(path, d)} ==\n{text}\n")
    if bad or not quiet:
        print(f"sanitizer reports: {bad}")
    sys.exit(1 if bad else 0)


main()
