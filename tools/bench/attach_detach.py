#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Attach and detach costs (issue 15 item 4), medians of ROUNDS runs, modes
alternating round by round:

  multi   uprobe_multi links (Linux >= 6.6): one per program and file
  perf    MEMLEAKD_TEST_PERF_PROBES=1: one perf-event uprobe per probe point
          (the path of older kernels)

Per mode:
  true    wall seconds of `memleakd -- /bin/true`
  ready   memleakd -p PID: start to "memleakd: ready"
  exit    memleakd -p PID -i 1 -d 1: its final report to its exit

usage: tools/bench/attach_detach.py [ROUNDS]      (root; BUILD, MEMLEAKD)
"""
import os
import statistics
import subprocess
import sys
import time

BUILD = os.environ.get("BUILD", "build")
MEMLEAKD = os.environ.get("MEMLEAKD", "./memleakd")
MODES = {"multi": {}, "perf": {"MEMLEAKD_TEST_PERF_PROBES": "1"}}


def env_of(mode):
    env = dict(os.environ)
    env.update(MODES[mode])
    return env


def time_true(mode):
    start = time.monotonic()
    subprocess.run([MEMLEAKD, "--", "/bin/true"], env=env_of(mode),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - start


def time_pid(mode):
    """(start to ready, final report to exit) of memleakd -p on a waiting leaker."""
    fixture = subprocess.Popen([f"{BUILD}/fixtures/leaker", "malloc", "100"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    fixture.stdout.readline()  # "ready": it waits for SIGUSR1, allocating nothing
    start = time.monotonic()
    ml = subprocess.Popen([MEMLEAKD, "-p", str(fixture.pid), "-i", "1", "-d", "1"],
                          env=env_of(mode), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    ready = final = None
    for line in ml.stdout:
        now = time.monotonic()
        if ready is None and line.startswith("memleakd: ready"):
            ready = now - start
        if line.startswith("== memleakd final report"):
            final = now
    ml.wait()
    end = time.monotonic()
    fixture.kill()
    fixture.wait()
    if ready is None or final is None or ml.returncode:
        sys.exit(f"memleakd -p failed in mode {mode} (exit {ml.returncode})")
    return ready, end - final


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    got = {mode: {"true": [], "ready": [], "exit": []} for mode in MODES}
    for _ in range(rounds):
        for mode in MODES:
            got[mode]["true"].append(time_true(mode))
            ready, exit_s = time_pid(mode)
            got[mode]["ready"].append(ready)
            got[mode]["exit"].append(exit_s)
    print(f"median of {rounds}, seconds")
    print(f"{'mode':8}{'-- /bin/true':>14}{'-p ready':>10}{'-p exit':>10}")
    for mode, g in got.items():
        print(f"{mode:8}{statistics.median(g['true']):14.2f}"
              f"{statistics.median(g['ready']):10.2f}{statistics.median(g['exit']):10.2f}")


if __name__ == "__main__":
    main()
