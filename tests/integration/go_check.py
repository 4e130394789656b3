#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Answers the Go tests' questions (tests/integration/test_go.sh) about
memleakd --json lines, the Go fixtures' ground truth and go tool pprof -raw.

A stack's *site* is its first frame outside runtime.* (frames are leaf
first): the function of the go statement for a goroutine stack, the
allocating function for a go-heap stack.

  go_check.py site JSON PID FUNC
      "live created exited growing rate" of FUNC's goroutine site in the
      last interval (live etc. summed over its stacks; growing if any is)
  go_check.py sites JSON PID KIND
      "seq site growing" of every KIND stack of PID, one per line
  go_check.py census JSON PID FIXTURE_OUT SLACK
      every interval after the first: the sum of live over PID's goroutine
      stacks equals targets[].go.goroutines (or that plus system_goroutines,
      should system goroutines have stacks), and lies within SLACK of the
      fixture's own "NumGoroutine N UNIX-NS" lines during that second
  go_check.py heap JSON PID RAW DUMP_NS RESUME_NS FUNC
      the intervals inside the fixture's pause (after its dump, before it
      allocates again), at the GC cycle of the first of them: PID's go-heap
      inuse_bytes/inuse_objects, summed for FUNC's site and in total, equal
      go tool pprof -raw's (RAW) exactly
  go_check.py target JSON PID FIELD
      targets[].go.FIELD of PID in the last interval that has it
  go_check.py frame JSON PID KIND FUNC
      "file:line" of FUNC's first frame in PID's KIND stacks
  go_check.py uprobes BINARY
      every uprobe on BINARY (its real path) the kernel holds now, one per
      line, "uprobe ..." or "uretprobe ...": uprobe_multi links (read with
      the bpf syscall: bpftool 7.1 does not decode them) and perf-event
      uprobes (bpftool perf show)
  go_check.py negatives JSON PID
      every goroutine stack with live < 0 or more exits than births
      (exited > created; goroutines born before attach count as created),
      one per line; nothing when none
"""
import json
import sys


def snapshots(path, final=False):
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                if final or not o.get("final"):
                    out.append(o)
    return out


def site(stack):
    for frame in stack.get("frames", []):
        sym = frame.get("symbol") or ""
        if sym and not sym.startswith("runtime."):
            return sym
    return "?"


def stacks_of(snap, pid, kind):
    return [s for s in snap.get("stacks", []) if s.get("pid") == pid and s.get("kind") == kind]


def target_go(snap, pid):
    for t in snap.get("targets", []):
        if t.get("pid") == pid and isinstance(t.get("go"), dict):
            return t["go"]
    return None


def snap_ns(snap):
    """The interval's wall time in ns, and its uncertainty (the JSON's time is whole seconds)."""
    if "time_ns" in snap:
        return snap["time_ns"], 0
    return snap["time"] * 1000000000, 1000000000


def cmd_site(js, pid, func):
    snaps = snapshots(js)
    if not snaps:
        sys.exit("no intervals")
    live = created = exited = 0
    growing, rate = False, 0.0
    for st in stacks_of(snaps[-1], pid, "goroutine"):
        if site(st) != func:
            continue
        live += st.get("live", 0)
        created += st.get("created", 0)
        exited += st.get("exited", 0)
        growing = growing or st.get("growing", False)
        rate += st.get("growth_bytes_per_s", 0)
    print(live, created, exited, "true" if growing else "false", "%.1f" % rate)


def cmd_sites(js, pid, kind):
    for snap in snapshots(js):
        for st in stacks_of(snap, pid, kind):
            print(snap["seq"], site(st), "true" if st.get("growing") else "false")


def fixture_counts(path):
    counts = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) >= 3 and w[-3] == "NumGoroutine":
                counts.append((int(w[-1]), int(w[-2])))
    return counts


def cmd_census(js, pid, fixture_out, slack):
    counts = fixture_counts(fixture_out)
    bad, checked = [], 0
    for snap in snapshots(js)[1:]:
        go = target_go(snap, pid)
        if go is None:
            bad.append("seq %d: no targets[].go for pid %d" % (snap["seq"], pid))
            continue
        live = sum(st.get("live", 0) for st in stacks_of(snap, pid, "goroutine"))
        total = go.get("goroutines")
        # System goroutines are counted apart; should they have stacks, they add up too.
        if live != total and live != (total or 0) + go.get("system_goroutines", 0):
            bad.append("seq %d: sum of live %d != targets[].go.goroutines %s (system_goroutines %s)" %
                       (snap["seq"], live, total, go.get("system_goroutines")))
        t, width = snap_ns(snap)
        near = [n for (ns, n) in counts if t - 200000000 <= ns <= t + width + 200000000]
        if not near:
            continue
        checked += 1
        if not (min(near) - slack <= live <= max(near) + slack):
            bad.append("seq %d: live %d, fixture's NumGoroutine %d..%d (slack %d)" %
                       (snap["seq"], live, min(near), max(near), slack))
    if checked == 0:
        bad.append("no interval overlaps the fixture's NumGoroutine lines")
    for b in bad:
        print(b)
    if not bad:
        print("ok %d intervals" % checked)
    sys.exit(1 if bad else 0)


def pprof_raw(path):
    """[(site, inuse_objects, inuse_space)] of go tool pprof -raw's heap samples."""
    samples, funcs, section, last_id = [], {}, None, None
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s in ("Samples:", "Locations", "Mappings"):
                section = s
                continue
            if section == "Samples:" and ":" in s and not s.startswith(("bytes:", "alloc_")):
                values, locs = s.split(":", 1)
                v = [int(x) for x in values.split()]
                if len(v) == 4:
                    samples.append((v[2], v[3], [int(x) for x in locs.split()]))
            elif section == "Locations" and s:
                w = s.split()
                if w[0].endswith(":") and w[0][:-1].isdigit():
                    last_id = int(w[0][:-1])
                    names = [x for x in w[2:] if not x.startswith(("M=", "s="))]
                    funcs[last_id] = funcs.get(last_id, []) + names[:1]
                elif last_id is not None and w:
                    funcs[last_id].append(w[0])  # an inlined caller
    out = []
    for objects, space, locs in samples:
        name = "?"
        for loc in locs:
            for fn in funcs.get(loc, []):
                if not fn.startswith("runtime."):
                    name = fn
                    break
            if name != "?":
                break
        out.append((name, objects, space))
    return out


def cmd_heap(js, pid, raw, dump_ns, resume_ns, func):
    truth = pprof_raw(raw)
    want = {"total": [sum(o for _, o, _ in truth), sum(b for _, _, b in truth)],
            func: [sum(o for n, o, _ in truth if n == func), sum(b for n, _, b in truth if n == func)]}
    if want[func][1] == 0:
        sys.exit("pprof -raw shows nothing in use for %s" % func)
    bad, compared, cycle = [], [], None
    for snap in snapshots(js):
        t, width = snap_ns(snap)
        # Whole in the pause: taken after the dump (plus the snapshot's own second).
        if t < dump_ns + 500000000 or t + width > resume_ns - 500000000:
            continue
        go = target_go(snap, pid)
        if go is None:
            continue
        if cycle is None:
            cycle = go.get("gc_cycle")
        if go.get("gc_cycle") != cycle:
            continue
        heap = stacks_of(snap, pid, "go-heap")
        got = {"total": [sum(s.get("inuse_objects", 0) for s in heap), sum(s.get("inuse_bytes", 0) for s in heap)],
               func: [sum(s.get("inuse_objects", 0) for s in heap if site(s) == func),
                      sum(s.get("inuse_bytes", 0) for s in heap if site(s) == func)]}
        compared.append(snap["seq"])
        for key in want:
            if got[key] != want[key]:
                bad.append("seq %d (gc_cycle %s) %s: memleakd inuse_objects/inuse_bytes %s, pprof -raw %s" %
                           (snap["seq"], cycle, key, got[key], want[key]))
    if not compared:
        bad.append("no interval inside the pause")
    for b in bad:
        print(b)
    if not bad:
        print("ok: %s = %d objects, %d B; total %d objects, %d B (intervals %s)" %
              (func, want[func][0], want[func][1], want["total"][0], want["total"][1], compared))
    sys.exit(1 if bad else 0)


def cmd_target(js, pid, field):
    value = None
    for snap in snapshots(js, final=True):
        go = target_go(snap, pid)
        if go is not None and field in go:
            value = go[field]
    print("" if value is None else json.dumps(value))


def cmd_frame(js, pid, kind, func):
    for snap in snapshots(js, final=True):
        for st in stacks_of(snap, pid, kind):
            for fr in st.get("frames", []):
                if fr.get("symbol") == func:
                    print("%s:%s" % (fr.get("file"), fr.get("line")))
                    return
    print("")


def cmd_negatives(js, pid):
    for snap in snapshots(js, final=True):
        for st in stacks_of(snap, pid, "goroutine"):
            live, created, exited = st.get("live", 0), st.get("created", 0), st.get("exited", 0)
            # Goroutines born before attach count as created, in stacks of their own.
            if live < 0 or exited > created:
                print("seq %d %s: live %d created %d exited %d before_attach %s" %
                      (snap["seq"], site(st), live, created, exited, st.get("go", {}).get("before_attach")))


# The bpf(2) commands, link type and flag the uprobes question needs (uapi/linux/bpf.h).
SYS_BPF = 321  # x86-64
BPF_OBJ_GET_INFO_BY_FD, BPF_LINK_GET_FD_BY_ID, BPF_LINK_GET_NEXT_ID = 15, 30, 31
BPF_LINK_TYPE_UPROBE_MULTI = 12
BPF_F_UPROBE_MULTI_RETURN = 1


def uprobe_multi_links():
    """[(path, retprobe, count, pid)] of every uprobe_multi link."""
    import ctypes
    import os
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    def bpf(cmd, attr):
        return libc.syscall(SYS_BPF, cmd, ctypes.byref(attr), ctypes.sizeof(attr))

    out, next_id = [], 0
    while True:
        attr = (ctypes.c_uint32 * 32)()
        attr[0] = next_id
        if bpf(BPF_LINK_GET_NEXT_ID, attr) < 0:
            break
        next_id = attr[1]
        attr = (ctypes.c_uint32 * 32)()
        attr[0] = next_id
        fd = bpf(BPF_LINK_GET_FD_BY_ID, attr)
        if fd < 0:
            continue
        path = ctypes.create_string_buffer(4096)
        info = (ctypes.c_uint8 * 256)()
        # struct bpf_link_info: type, id, prog_id, pad, then uprobe_multi:
        # path (u64 @16), offsets, ref_ctr_offsets, cookies, path_size (u32 @48), count, flags, pid.
        ctypes.c_uint64.from_buffer(info, 16).value = ctypes.addressof(path)
        ctypes.c_uint32.from_buffer(info, 48).value = ctypes.sizeof(path)
        attr = (ctypes.c_uint64 * 8)()
        attr[0] = fd | (ctypes.sizeof(info) << 32)
        attr[1] = ctypes.addressof(info)
        ok = bpf(BPF_OBJ_GET_INFO_BY_FD, attr) == 0
        os.close(fd)
        if not ok or ctypes.c_uint32.from_buffer(info, 0).value != BPF_LINK_TYPE_UPROBE_MULTI:
            continue
        flags = ctypes.c_uint32.from_buffer(info, 56).value
        out.append((path.value.decode(errors="replace"), bool(flags & BPF_F_UPROBE_MULTI_RETURN),
                    ctypes.c_uint32.from_buffer(info, 52).value, ctypes.c_uint32.from_buffer(info, 60).value))
    return out


def cmd_uprobes(binary):
    import os
    import subprocess
    real = os.path.realpath(binary)
    for path, ret, count, pid in uprobe_multi_links():
        if os.path.realpath(path) == real:
            print("%s multi-link count %d pid %d" % ("uretprobe" if ret else "uprobe", count, pid))
    perf = subprocess.run(["bpftool", "-j", "perf", "show"], capture_output=True, text=True).stdout
    for entry in json.loads(perf or "[]"):
        name = entry.get("filename", "")
        if name.startswith("/proc/self/"):  # the tracer's own fd: resolve it in the tracer
            name = "/proc/%s/%s" % (entry.get("pid"), name[len("/proc/self/"):])
        if entry.get("fd_type") in ("uprobe", "uretprobe") and name and os.path.realpath(name) == real:
            print("%s perf-event pid %s offset %s" % (entry["fd_type"], entry.get("pid"), entry.get("offset")))


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    q = a[0]
    if q == "site":
        cmd_site(a[1], int(a[2]), a[3])
    elif q == "sites":
        cmd_sites(a[1], int(a[2]), a[3])
    elif q == "census":
        cmd_census(a[1], int(a[2]), a[3], int(a[4]))
    elif q == "heap":
        cmd_heap(a[1], int(a[2]), a[3], int(a[4]), int(a[5]), a[6])
    elif q == "target":
        cmd_target(a[1], int(a[2]), a[3])
    elif q == "frame":
        cmd_frame(a[1], int(a[2]), a[3], a[4])
    elif q == "uprobes":
        cmd_uprobes(a[1])
    elif q == "negatives":
        cmd_negatives(a[1], int(a[2]))
    else:
        sys.exit("unknown question " + q)


if __name__ == "__main__":
    main()
