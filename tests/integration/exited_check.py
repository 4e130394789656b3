#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checks the "exited" array of memleakd's last JSON line (the left-at-exit tally).

Usage: exited_check.py JSON_FILE MODE [ARGS...]
  leak PER_PROC [lossy-ok]
                  the entry through remember_session holds exactly
                  processes * PER_PROC bytes and is growing; the cache entry
                  (cache_store) is not growing; exited_processes counts them.
                  With lossy-ok, a run whose losses say records were dropped
                  (system-wide on a busy machine) only needs the entry, with
                  a whole number of requests' leaks per process at most
  evicted         losses.exited_stacks_evicted > 0 and the tally holds at
                  most 2 entries
Prints what it found; exits 1 with the reason on a mismatch.
"""
import json
import re
import sys


def fail(msg, doc=None):
    print("exited_check: " + msg)
    if doc is not None:
        print(json.dumps(doc.get("exited"), indent=1)[:3000])
    sys.exit(1)


def entry_through(doc, function):
    for e in doc["exited"]:
        if any(f["symbol"] == function for f in e["frames"]):
            return e
    return None


def main():
    path, mode = sys.argv[1], sys.argv[2]
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    if not lines:
        fail("no JSON lines in " + path)
    doc = lines[-1]
    for key in ("exited", "exited_processes", "exited_not_exported"):
        if key not in doc:
            fail("no '%s' field in the last line" % key)
    for e in doc["exited"]:
        for key in ("exe", "comm", "kind", "stack_id", "left_bytes", "left_allocs",
                    "processes", "growth_bytes_per_s", "growing", "last_exit_age_s", "frames"):
            if key not in e:
                fail("an entry lacks '%s'" % key, doc)
        if not re.fullmatch(r"[0-9a-f]{16}", e["stack_id"]):
            fail("stack_id %r is not 16 hex digits" % e["stack_id"], doc)
    if mode == "leak":
        per_proc = int(sys.argv[3])
        leak = entry_through(doc, "remember_session")
        if not leak:
            fail("no entry through remember_session", doc)
        losses = doc["losses"]
        lossy = losses["ringbuf_drops"] or losses["exit_records_lost"] or losses["stack_failures"]
        if len(sys.argv) > 4 and sys.argv[4] == "lossy-ok" and lossy:
            if leak["left_bytes"] > leak["processes"] * per_proc or leak["left_bytes"] % 1000:
                fail("remember_session: %d bytes from %d processes"
                     % (leak["left_bytes"], leak["processes"]), doc)
            print("records were lost (ringbuf drops %d, exit records lost %d): "
                  "remember_session: %d bytes from %d processes, not checked exactly"
                  % (losses["ringbuf_drops"], losses["exit_records_lost"], leak["left_bytes"],
                     leak["processes"]))
            return
        if leak["left_bytes"] != leak["processes"] * per_proc:
            fail("remember_session: %d bytes from %d processes, expected %d each"
                 % (leak["left_bytes"], leak["processes"], per_proc), doc)
        if not leak["growing"]:
            fail("remember_session is not growing", doc)
        if leak["kind"] != "malloc" or not leak["exe"].endswith("prefork"):
            fail("remember_session entry: kind %s, exe %s" % (leak["kind"], leak["exe"]), doc)
        cache = entry_through(doc, "cache_store")
        if cache and cache["growing"]:
            fail("the cache's entry is flagged growing", doc)
        if doc["exited_processes"] < leak["processes"]:
            fail("exited_processes %d < %d" % (doc["exited_processes"], leak["processes"]), doc)
        print("remember_session: %d bytes from %d processes, %.0f B/s, growing"
              % (leak["left_bytes"], leak["processes"], leak["growth_bytes_per_s"]))
    elif mode == "evicted":
        evicted = doc["losses"]["exited_stacks_evicted"]
        if evicted <= 0:
            fail("no eviction counted: %r" % doc["losses"], doc)
        if len(doc["exited"]) > 2:
            fail("%d entries past --max-exited-stacks 2" % len(doc["exited"]), doc)
        print("evicted %d, %d entries kept" % (evicted, len(doc["exited"])))
    else:
        fail("unknown mode " + mode)


main()
