#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Reads memleakd --json lines and answers questions about growth flags.

  growth_check.py FILE [--pid PID] [--until SEQ] QUESTION...

--pid: only the stacks of process PID; --until: only the intervals up to
SEQ (one run traces several processes for as long as the longest check).

  growth_check.py FILE first FUNCTION   interval (seq) at which a stack with
                                        FUNCTION is first flagged growing; 0 never
  growth_check.py FILE flagged [FROM]   "seq:function" of every growing stack in
                                        intervals >= FROM (default 1), one per line
  growth_check.py FILE intervals        number of interval (non-final) objects
"""
import json
import sys


def objects(path):
    with open(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def leaf_function(stack):
    for frame in stack["frames"]:
        if frame["symbol"] and not frame["symbol"].startswith(("malloc", "calloc")):
            return frame["symbol"]
    return "?"


def main():
    args = sys.argv[1:]
    path = args.pop(0)
    pid = until = None
    while args and args[0] in ("--pid", "--until"):
        opt, value = args.pop(0), int(args.pop(0))
        if opt == "--pid":
            pid = value
        else:
            until = value
    question = args[0]
    sys.argv = [sys.argv[0], path] + args
    snaps = [o for o in objects(path) if not o["final"] and (until is None or o["seq"] <= until)]
    if pid is not None:
        for o in snaps:
            o["stacks"] = [st for st in o["stacks"] if st["pid"] == pid]
    if question == "intervals":
        print(len(snaps))
    elif question == "first":
        name = sys.argv[3]
        for o in snaps:
            for st in o["stacks"]:
                if st["growing"] and any(f["symbol"] == name for f in st["frames"]):
                    print(o["seq"])
                    return
        print(0)
    elif question == "flagged":
        start = int(sys.argv[3]) if len(sys.argv) > 3 else 1
        for o in snaps:
            if o["seq"] < start:
                continue
            for st in o["stacks"]:
                if st["growing"]:
                    print("%d:%s:%s" % (o["seq"], leaf_function(st), st["series"]))
    else:
        sys.exit("unknown question " + question)


if __name__ == "__main__":
    main()
