#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Checks memleakd's goroutine probes on real Go programs, with no daemon.

Builds a fixture that leaks 20 goroutines/s (blocked on a channel) and runs
20 short-lived ones/s with each Go toolchain given (plain, PIE, stripped),
finds the probe sites with objdump (the CALL runtime.runqput in
runtime.newproc.func1, the instruction after CALL runtime.newproc1 in
runtime.newcoro.func1, the CALL runtime.casgstatus in runtime.gdestroy or
runtime.goexit0; research note 2.1), runs build/tools/gotrace_probe on it
and checks: creates - exits equals the growth of runtime.NumGoroutine() over
the window, goids positive and unique and rising, every gopc and every
creation stack in main.*, no loss, the probes are plain uprobes (bpftool
perf show: no uretprobe), re-attaching is skipped, tracer__attach_provider
refuses the Go file, detaching stops the records.

usage (root, from the repository): make build/tools/gotrace_probe &&
  tools/gotrace_probe.py [--seconds 5] [--dwarf] [GO ...]
GO defaults to /usr/bin/go and /usr/lib/go-1.23/bin/go.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

FIXTURE = r'''
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

var block = make(chan struct{})

//go:noinline
func blockForever(i int) {
	<-block
	_ = i
}

//go:noinline
func leakOne(i int) {
	go blockForever(i)
}

//go:noinline
func shortLived(i int, done chan int) {
	go func() { done <- i }()
}

func main() {
	secs := 30
	if len(os.Args) > 1 {
		fmt.Sscan(os.Args[1], &secs)
	}
	done := make(chan int, 100)
	go func() {
		for range done {
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	start := time.Now()
	n := 0
	for time.Since(start) < time.Duration(secs)*time.Second {
		<-tick.C
		leakOne(n)
		shortLived(n, done)
		n++
		if n%4 == 0 {
			fmt.Printf("%d %d\n", time.Now().UnixNano(), runtime.NumGoroutine())
		}
	}
}
'''

# Go >= 1.23: 20 leaked goroutines/s and 100 coroutines/s (iter.Pull; created
# by runtime.newcoro, not newproc, and torn down by gdestroy).
CORO_FIXTURE = r'''package main

import (
	"fmt"
	"iter"
	"os"
	"runtime"
	"time"
)

var block = make(chan struct{})

//go:noinline
func leakOne() {
	go func() { <-block }()
}

func seq(yield func(int) bool) {
	for i := 0; i < 3; i++ {
		if !yield(i) {
			return
		}
	}
}

//go:noinline
func pullOnce() {
	next, stop := iter.Pull(iter.Seq[int](seq))
	next()
	stop()
}

func main() {
	secs := 30
	if len(os.Args) > 1 {
		fmt.Sscan(os.Args[1], &secs)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	start := time.Now()
	n := 0
	for time.Since(start) < time.Duration(secs)*time.Second {
		<-tick.C
		leakOne()
		for i := 0; i < 5; i++ {
			pullOnce()
		}
		n++
		if n%4 == 0 {
			fmt.Printf("%d %d\n", time.Now().UnixNano(), runtime.NumGoroutine())
		}
	}
}
'''

# Go 1.19-1.22 and 1.23 (research note, section 4): runtime.g's goid, gopc.
G_OFFSETS = {(1, 19): (152, 296), (1, 20): (152, 296), (1, 21): (152, 280),
             (1, 22): (152, 280), (1, 23): (160, 288)}
ML_CNT_RB_DROPS, ML_CNT_STACK_FAIL, ML_CNT_GO_UNREADABLE = 1, 3, 21


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw).stdout


def go_version(go):
    m = re.search(r'go(\d+)\.(\d+)', run([go, 'version']))
    return int(m.group(1)), int(m.group(2))


def go_build(go, workdir, name, source, flags):
    src = os.path.join(workdir, name + '.go')
    with open(src, 'w') as f:
        f.write(source)
    env = dict(os.environ, GOTOOLCHAIN='local', GOFLAGS='-mod=mod',
               GOCACHE=os.path.join(workdir, 'cache'), HOME=workdir)
    binary = os.path.join(workdir, name)
    run([go, 'build'] + flags + ['-o', binary, src], env=env)
    return binary


def build(go, workdir):
    tag = '%d.%d' % go_version(go)
    out = {}
    for variant, flags in (('plain', []), ('pie', ['-buildmode=pie']),
                           ('stripped', ['-ldflags=-s -w'])):
        out[variant] = go_build(go, workdir, 'gleak-%s-%s' % (tag, variant), FIXTURE, flags)
    return out


def segments(binary):
    segs = []
    for line in run(['readelf', '-lW', binary]).splitlines():
        f = line.split()
        if f and f[0] == 'LOAD':
            segs.append((int(f[2], 16), int(f[1], 16), int(f[5], 16)))
    return segs


def file_offset(segs, vaddr):
    for va, off, size in segs:
        if va <= vaddr < va + size:
            return vaddr - va + off
    raise SystemExit('no PT_LOAD holds 0x%x' % vaddr)


def calls(binary, fn):
    """(address, callee, next instruction's address) of each CALL in fn."""
    out = run(['objdump', '-d', '--no-show-raw-insn', '--disassemble=' + fn, binary])
    lines = [l for l in out.splitlines() if re.match(r'\s+[0-9a-f]+:\t', l)]
    found = []
    for i, line in enumerate(lines):
        m = re.match(r'\s+([0-9a-f]+):\s+call\s+[0-9a-f]+ <([^>]+)>', line)
        if m:
            nxt = int(lines[i + 1].split(':')[0], 16) if i + 1 < len(lines) else None
            found.append((int(m.group(1), 16), m.group(2), nxt))
    return found


def sites(binary):
    """gotrace_probe's -c/-e arguments, from a binary with a symbol table."""
    segs = segments(binary)
    args = []
    for addr, callee, _ in calls(binary, 'runtime.newproc.func1'):
        if callee == 'runtime.runqput':
            args += ['-c', '0x%x:bx' % file_offset(segs, addr)]
            break
    for addr, callee, nxt in calls(binary, 'runtime.newcoro.func1'):
        if callee == 'runtime.newproc1':
            args += ['-c', '0x%x:ax' % file_offset(segs, nxt)]
            break
    for fn in ('runtime.gdestroy', 'runtime.goexit0'):
        found = [a for a, callee, _ in calls(binary, fn) if callee == 'runtime.casgstatus']
        if found:
            args += ['-e', '0x%x:ax' % file_offset(segs, found[0])]
            break
    return args


def same_bytes(a, b, offsets):
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        for off in offsets:
            fa.seek(off)
            fb.seek(off)
            if fa.read(5) != fb.read(5):
                return False
    return True


def symbolize(go, binary, pcs):
    pcs = sorted(set(pcs))
    if not pcs:
        return {}
    out = subprocess.run([go, 'tool', 'addr2line', binary], input=''.join(
        '0x%x\n' % pc for pc in pcs), capture_output=True, text=True, check=True,
        env=dict(os.environ, GOTOOLCHAIN='local')).stdout.splitlines()
    return {pc: out[2 * i] for i, pc in enumerate(pcs)}


def parse_probe(text):
    keys, creates, exits, stacks, counters = {}, [], [], {}, {}
    for line in text.splitlines():
        f = line.split()
        if f[0] == 'key':
            keys[f[1]] = int(float(f[2]))
        elif f[0] == 'create':
            creates.append((int(f[1]), int(f[2]), int(f[3], 16), int(f[5])))
        elif f[0] == 'exit':
            exits.append((int(f[1]), int(f[2])))
        elif f[0] == 'stack':
            stacks[int(f[1])] = [int(x, 16) for x in f[2:]]
        elif f[0] == 'counter':
            counters[int(f[1])] = int(f[2])
    return keys, creates, exits, stacks, counters


def interpolate(samples, t):
    for (t0, n0), (t1, n1) in zip(samples, samples[1:]):
        if t0 <= t <= t1:
            return n0 + (n1 - n0) * (t - t0) / (t1 - t0)
    raise SystemExit('no NumGoroutine sample around %d' % t)


class Checks:
    def __init__(self, name):
        self.name, self.failed = name, 0

    def __call__(self, ok, what):
        print('  %s %s' % ('ok  ' if ok else 'FAIL', what))
        self.failed += not ok


def check_records(check, keys, creates, exits, samples, rate):
    # Only the window between the last probe on and the first probe off.
    inside = lambda ts: keys['attach_mono'] <= ts <= keys['detach_mono']
    creates = [r for r in creates if inside(r[0])]
    exits = [r for r in exits if inside(r[0])]
    grown = interpolate(samples, keys['detach_real']) - interpolate(samples, keys['attach_real'])
    window = (keys['detach_real'] - keys['attach_real']) / 1e9
    net = len(creates) - len(exits)
    check(abs(net - grown) <= 2, 'creates - exits = %d - %d = %d, NumGoroutine grew %.1f '
          'in %.2f s' % (len(creates), len(exits), net, grown, window))
    check(len(creates) >= 0.85 * rate * window, 'about %d creates/s: %d' % (rate, len(creates)))
    goids = [g for _, g, _, _ in sorted(creates)]
    check(goids and min(goids) > 0, 'goids positive')
    check(len(set(goids)) == len(goids), 'goids unique (%d)' % len(goids))
    check(len(goids) > 20 and min(goids[-10:]) > max(goids[:10]), 'goids rise: first %s, last %s'
          % (goids[:3], goids[-3:]))
    born = {g: ts for ts, g, _, _ in creates}
    late = [g for ts, g in exits if g in born and ts < born[g]]
    check(not late, 'no exit before its birth')
    seen_born = sum(1 for _, g in exits if g in born)
    check(seen_born >= len(exits) - 3, 'exits of goroutines born in the window: %d of %d'
          % (seen_born, len(exits)))


def load_bias(pid, binary):
    """Runtime address - link address of binary's text in pid (PIE; 0 otherwise)."""
    first_vaddr = min(va for va, _, _ in segments(binary)) & ~0xfff
    real = os.path.realpath(binary)
    with open('/proc/%d/maps' % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == real and int(fields[2], 16) == 0:
                return int(fields[0].split('-')[0], 16) - first_vaddr
    raise SystemExit('%s not mapped in %d' % (binary, pid))


def check_symbols(check, go, symbols_from, creates, stacks, bias, gopc_in):
    creates = [(ts, g, pc - bias, sid) for ts, g, pc, sid in creates]
    stacks = {sid: [pc - bias for pc in ips] for sid, ips in stacks.items()}
    gopcs = [pc for _, _, pc, _ in creates]
    frames = [pc for ips in stacks.values() for pc in ips]
    names = symbolize(go, symbols_from, gopcs + frames)
    check(all(names[pc].startswith(gopc_in) for pc in gopcs), 'every gopc in %s: %s' %
          (' or '.join(gopc_in), sorted(set(names[pc] for pc in gopcs))))
    ids = set(sid for _, _, _, sid in creates)
    check(all(sid >= 0 for sid in ids), 'every create has a stack')
    user = [sid for sid in ids if any(names[pc].startswith('main.') for pc in stacks[sid])]
    check(len(user) == len(ids), 'creation stacks with main.* frames: %d of %d' %
          (len(user), len(ids)))
    whole = [sid for sid in ids if stacks[sid] and names[stacks[sid][-1]] == 'runtime.goexit']
    check(len(whole) == len(ids), 'creation stacks walked to runtime.goexit: %d of %d' %
          (len(whole), len(ids)))
    if stacks:
        sid = max(stacks, key=lambda s: len(stacks[s]))
        print('    e.g. ' + ' <- '.join(names[pc] for pc in stacks[sid]))


def run_one(args, go, binary, symbols_from, offsets, rate=40, gopc_in=('main.',)):
    check = Checks(binary)
    print('%s (%s)' % (os.path.basename(binary), go))
    probe_args = sites(symbols_from)
    if binary != symbols_from and not same_bytes(binary, symbols_from, [
            int(a.split(':')[0], 16) for a in probe_args[1::2]]):
        check(False, 'stripped binary lays text out like its unstripped twin')
        return check.failed
    fixture = subprocess.Popen([binary, str(int(args.seconds) + 6)], stdout=subprocess.PIPE,
                               text=True)
    time.sleep(1.5)
    cmd = [args.probe, '-p', str(fixture.pid), '-f', binary, '-G', str(offsets[0]), '-P',
           str(offsets[1]), '-s', str(args.seconds), '-g'] + probe_args
    if args.dwarf:
        cmd.append('-d')
    if args.per_process:
        cmd.append('-F')
    errlog = tempfile.TemporaryFile(mode='w+')
    probe = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errlog, text=True)
    while probe.poll() is None and 'ready' not in open('/proc/self/fd/%d' % errlog.fileno()).read():
        time.sleep(0.05)
    perf = run(['bpftool', 'perf', 'show'])
    bias = load_bias(fixture.pid, binary)
    out, _ = probe.communicate()
    errlog.seek(0)
    err = errlog.read()
    fixture.wait()
    samples = [tuple(map(int, l.split())) for l in fixture.stdout.read().splitlines()]
    if probe.returncode:
        check(False, 'gotrace_probe ran: %s' % err.strip())
        return check.failed
    keys, creates, exits, stacks, counters = parse_probe(out)
    mine = [l for l in perf.splitlines() if 'pid %d ' % probe.pid in l and 'probe' in l]
    nsites = len(probe_args) // 2
    check(keys['links'] == nsites, 'one link per site: %d' % keys['links'])
    check(len(mine) == nsites and all(' uprobe ' in l and 'uretprobe' not in l for l in mine),
          'bpftool perf show: %d plain uprobes, no uretprobe' % len(mine))
    check(keys['reattach_rc'] == 1, 'attaching again is skipped')
    check(keys['stale_rc'] == -116 and keys['births_only_rc'] == -22 and
          keys['links_after_refusals'] == nsites,
          'refused: another file (-ESTALE), births without deaths (-EINVAL); nothing attached')
    check(keys['guard_rc'] == -95 and keys['guard_links_added'] == 0,
          'tracer__attach_provider refuses the Go file (-ENOTSUP), nothing attached')
    check(keys['links_after_detach'] == 0 and keys['records_after_detach'] == 0,
          'tracer__detach_pid: no link, no record after')
    check(counters.get(ML_CNT_GO_UNREADABLE) == 0 and counters.get(ML_CNT_RB_DROPS) == 0
          and counters.get(ML_CNT_STACK_FAIL) == 0, 'no loss (go unreadable, drops, stack '
          'failures: %s)' % [counters.get(i) for i in (21, 1, 3)])
    check_records(check, keys, creates, exits, samples, rate)
    check_symbols(check, args.symbolizer, symbols_from, creates, stacks, bias, gopc_in)
    return check.failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seconds', type=float, default=5)
    parser.add_argument('--dwarf', action='store_true', help='DWARF stack walker mode')
    parser.add_argument('--per-process', action='store_true',
                        help="-f's per-process probes (Go probes stay perf-event uprobes)")
    parser.add_argument('--probe', default='build/tools/gotrace_probe')
    # Go 1.19's addr2line cannot read its own PIE binaries: a newer one symbolizes.
    parser.add_argument('--symbolizer', default='/usr/lib/go-1.23/bin/go',
                        help="the go whose 'tool addr2line' names the frames")
    parser.add_argument('go', nargs='*', default=['/usr/bin/go', '/usr/lib/go-1.23/bin/go'])
    args = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory(prefix='gotrace.') as workdir:
        for go in args.go:
            offsets = G_OFFSETS[go_version(go)]
            bins = build(go, workdir)
            for variant in ('plain', 'pie', 'stripped'):
                twin = bins['plain'] if variant == 'stripped' else bins[variant]
                failed += run_one(args, go, bins[variant], twin, offsets)
            if go_version(go) >= (1, 23):
                coro = go_build(go, workdir, 'coro-%d.%d' % go_version(go), CORO_FIXTURE, [])
                failed += run_one(args, go, coro, coro, offsets, 120, ('main.', 'iter.'))
    print('%s: %d failed checks' % ('FAIL' if failed else 'PASS', failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
