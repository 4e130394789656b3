#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Stack fidelity: how many true frames memleakd recovers, how many it invents.

For each fixture binary (tests/fixtures/fidelity.cc, built with and without
frame pointers) the true call chains come from gdb: a breakpoint on malloc
while the fixture's scenario flag is set, its backtrace past main, inline
frames included (memleakd expands them from DWARF as well).
memleakd then traces a fresh run of the same binary in each unwinding mode
and its folded output is compared, scenario by scenario:

  recovered = true frames found, in order, in the reported stack / true frames
  bogus     = reported frames that match no true frame / reported frames

A true stack is paired with the reported stack of its scenario that shares
the most frames with it (a scenario may allocate on more than one stack).

usage: tools/fidelity.py [--memleakd PATH] [--modes dwarf,fp]
                         [--check MODE:MIN_RECOVERED:MAX_BOGUS] [-v] BINARY...
Exit status 1 when a --check threshold fails, 2 on a setup error.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

GDB_SCRIPT = r'''
import gdb
gdb.execute("set print demangle off")
gdb.execute("set print asm-demangle off")
gdb.execute("set backtrace past-main on")
gdb.execute("set backtrace past-entry on")
class MallocBreak(gdb.Breakpoint):
    def stop(self):
        armed = int(gdb.parse_and_eval("fid_armed"))
        if not armed:
            return False
        frame = gdb.newest_frame().older()
        names = []
        while frame is not None:
            if frame.type() == gdb.INLINE_FRAME:
                function = frame.function()
                names.append(function.name if function else (frame.name() or "?"))
            else:
                text = gdb.execute("info symbol 0x%x" % (frame.pc() - 1), to_string=True)
                names.append(text.strip().split(" + ")[0].split(" in section")[0])
            frame = frame.older()
        print("TRUTH %d %s" % (armed, ";".join(names)))
        return False
MallocBreak("malloc")
gdb.execute("run --no-wait < /dev/null > /dev/null")
'''

SCENARIO_MARKERS = {
    1: "fid_direct_a",
    2: "fid_strdup_a",
    3: "fid_fopen_a",
    4: "fid_getline_a",
    5: "fid_qsort_a",
    6: "fid_string_a",
    7: "fid_vector_a",
}


def die(message):
    print("fidelity: error: " + message, file=sys.stderr)
    sys.exit(2)


def strip_templates(name):
    out, depth = [], 0
    for ch in name:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def normalize(name):
    """One name per function: gdb and memleakd may pick different aliases of
    one address ('strdup' / '__strdup' / '__GI___strdup'), symbol versions
    ('@@GLIBC_2.34') differ between symbol tables, and an inlined C++
    function is 'allocate' in DWARF but 'std::__new_allocator<int>::allocate'
    to gdb: compare the unqualified name without parameters or templates."""
    name = name.split("@")[0]
    if not name.startswith("_Z"):
        name = strip_templates(name.split("(")[0]).split("::")[-1]
    if name.startswith("__GI_"):
        name = name[len("__GI_"):]
    return name.lstrip("_")


def gdb_truth(binary):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(GDB_SCRIPT)
    try:
        out = subprocess.run(["gdb", "-q", "-batch", "-nx", "-x", script.name, binary],
                             capture_output=True, text=True, timeout=300).stdout
    finally:
        os.unlink(script.name)
    truth = {}
    for line in out.splitlines():
        m = re.match(r"^TRUTH (\d+) (.*)$", line)
        if m:
            frames = [normalize(f) for f in m.group(2).split(";")]
            truth.setdefault(int(m.group(1)), []).append(frames)
    if not truth:
        die("gdb gave no backtrace for '%s' (is gdb installed? was the binary built "
            "with the fid_armed flag?)" % binary)
    return truth


def wait_line(path, regex, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with open(path, errors="replace") as f:
                if any(re.search(regex, line) for line in f):
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return False


def traced_stacks(memleakd, binary, mode, work):
    """Leaf-first frame lists memleakd reports for one run of binary."""
    fixture_out = os.path.join(work, "fixture.out")
    ml_err = os.path.join(work, "memleakd.err")
    folded = os.path.join(work, "stacks.folded")
    with open(fixture_out, "w") as out, open(os.devnull) as devnull:
        fixture = subprocess.Popen([binary], stdin=devnull, stdout=out, stderr=out)
    memleakd_proc = None
    try:
        if not wait_line(fixture_out, r"^ready", 10):
            die("fixture '%s' did not start" % binary)
        with open(ml_err, "w") as err, open(os.devnull, "w") as devnull:
            memleakd_proc = subprocess.Popen(
                [memleakd, "-p", str(fixture.pid), "-i", "1", "--unwind", mode,
                 "--folded", folded, "--no-demangle"], stdout=devnull, stderr=err)
        if not wait_line(ml_err, r"^memleakd: ready", 60):
            die("memleakd did not start: " + open(ml_err).read().strip())
        fixture.send_signal(signal.SIGUSR1)
        if not wait_line(fixture_out, r"^done", 20):
            die("fixture '%s' did not finish" % binary)
        time.sleep(0.5)  # the last records reach the daemon within its 20 ms drain
        memleakd_proc.send_signal(signal.SIGINT)
        if memleakd_proc.wait(timeout=30) != 0:
            die("memleakd failed: " + open(ml_err).read().strip())
    finally:
        for proc in (memleakd_proc, fixture):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
    stacks = []
    with open(folded) as f:
        for line in f:
            frames, _, _ = line.rstrip("\n").rpartition(" ")
            names = frames.split(";")[1:]  # drop the comm
            stacks.append([normalize(n) for n in reversed(names)])
    return stacks


def lcs(a, b):
    """Length of the longest common subsequence of two frame lists."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def score(truth, reported, verbose, label):
    true_total = recovered = reported_total = bogus = 0
    for scenario, true_stacks in sorted(truth.items()):
        marker = SCENARIO_MARKERS.get(scenario)
        candidates = [r for r in reported if marker in r]
        for true_stack in true_stacks:
            best = max(candidates, key=lambda r: (lcs(true_stack, r), -len(r)), default=[])
            matched = lcs(true_stack, best)
            true_total += len(true_stack)
            recovered += matched
            reported_total += len(best)
            bogus += len(best) - matched
            if verbose:
                print("  %s scenario %d: %d/%d true frames, %d bogus\n    true: %s\n"
                      "    got:  %s" % (label, scenario, matched, len(true_stack),
                                        len(best) - matched, ";".join(true_stack),
                                        ";".join(best) or "(no stack)"))
    return true_total, recovered, reported_total, bogus


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--memleakd", default="./memleakd")
    parser.add_argument("--modes", default="dwarf,fp")
    parser.add_argument("--check", action="append", default=[],
                        help="MODE:MIN_RECOVERED:MAX_BOGUS, e.g. dwarf:0.95:0.01")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()

    checks = {}
    for check in args.check:
        try:
            mode, low, high = check.split(":")
            checks[mode] = (float(low), float(high))
        except ValueError:
            die("invalid --check '%s': give MODE:MIN_RECOVERED:MAX_BOGUS" % check)

    failed = False
    print("%-22s %-6s %12s %10s %8s" % ("binary", "unwind", "true frames", "recovered",
                                         "bogus"))
    for binary in args.binaries:
        truth = gdb_truth(binary)
        for mode in args.modes.split(","):
            with tempfile.TemporaryDirectory(prefix="fidelity.") as work:
                reported = traced_stacks(args.memleakd, binary, mode, work)
            label = "%s/%s" % (os.path.basename(binary), mode)
            true_total, recovered, reported_total, bogus = score(truth, reported,
                                                                 args.verbose, label)
            recovered_frac = recovered / true_total if true_total else 0.0
            bogus_frac = bogus / reported_total if reported_total else 0.0
            print("%-22s %-6s %12d %9.1f%% %7.1f%%" % (os.path.basename(binary), mode,
                                                      true_total, 100 * recovered_frac,
                                                      100 * bogus_frac))
            if mode in checks:
                low, high = checks[mode]
                if recovered_frac < low or bogus_frac > high:
                    print("fidelity: FAIL %s: recovered %.3f (min %.3f), bogus %.3f (max %.3f)"
                          % (label, recovered_frac, low, bogus_frac, high))
                    failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
