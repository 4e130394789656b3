#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The cost of tracing, always measured against an untraced run in the same
# invocation, modes alternating round by round (medians printed):
#
#   untraced   the program alone
#   floor      tools/bench/floor: memleakd's uprobes, empty BPF programs
#   fp         memleakd --unwind fp (frame-pointer stacks)
#   dwarf      memleakd (DWARF stacks, the default)
#   sampled    memleakd --sample-bytes 64k (DWARF stacks for the sampled blocks only)
#   bpftrace   a bpftrace memleak-style script (tools/bench/memleak.bt), if installed
#   heaptrack  heaptrack (LD_PRELOAD; starts the program itself), if installed
#
# Workloads: the malloc/free microbenchmark (1 thread; 2 threads with 20%
# of blocks kept live for a while) and sqlite3 running a scripted workload
# (tools/bench/sqlite.sql). Then the daemon's own table (table_bench) and its
# ring buffer drain against a synthetic BPF producer (drain_bench).
#
# Before the wall clock: the BPF side alone, ns per run of each of
# memleakd's programs and BPF ns per malloc+free pair from
# kernel.bpf_stats_enabled (tools/bench/bpf_stats.sh). After it: attach and
# detach times (tools/bench/attach_time.sh). The machine (date, kernel, CPU,
# virtualization) heads the output (tools/bench/machine.sh).
#
# usage: tools/bench/run.sh [ROUNDS]     (root; 'make bench')
#   ROUNDS (default 3) rounds of the wall clock and of the BPF side;
#   BENCH_QUICK=1: 1 round, 3 attach runs (a quick look, noisier)
set -u
: "${BUILD:=build}"
MEMLEAKD=${MEMLEAKD:-./memleakd}
BENCH="$BUILD/bench/mallocbench"
FLOOR="$BUILD/bench/floor"
HERE=$(dirname "$0")
if [ -n "${BENCH_QUICK:-}" ] && [ "$BENCH_QUICK" != 0 ]; then
	ROUNDS=${1:-1}
	ATTACH_RUNS=3
else
	ROUNDS=${1:-3}
	ATTACH_RUNS=5
fi
WORK=$(mktemp -d /tmp/memleakd-bench.XXXXXX)
trap 'kill -KILL $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench: needs root (uprobes)" >&2; exit 1; }
for b in "$BENCH" "$FLOOR"; do
	[ -x "$b" ] || { echo "bench: $b missing; run 'make bench'" >&2; exit 1; }
done

modes=(untraced floor fp dwarf sampled)
command -v bpftrace >/dev/null && modes+=(bpftrace)
command -v heaptrack >/dev/null && modes+=(heaptrack)

wait_line() { # FILE REGEX
	for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# start_tracer MODE PID: starts the tracer of MODE on PID; sets TRACER, waits until attached.
start_tracer() {
	local err="$WORK/tracer.err"
	rm -f "$err" # a ready line left by the last tracer must not be read as this one's
	case $1 in
	floor) "$FLOOR" -p "$2" >/dev/null 2>"$err" & ;;
	fp) "$MEMLEAKD" -p "$2" -i 3600 --unwind fp >/dev/null 2>"$err" & ;;
	dwarf) "$MEMLEAKD" -p "$2" -i 3600 >/dev/null 2>"$err" & ;;
	sampled) "$MEMLEAKD" -p "$2" -i 3600 --sample-bytes 64k >/dev/null 2>"$err" & ;;
	bpftrace) bpftrace -p "$2" tools/bench/memleak.bt >"$err" 2>&1 & ;;
	esac
	TRACER=$!
	case $1 in
	bpftrace) wait_line "$err" 'Attaching' && sleep 1 ;; # bpftrace says it before it is done
	floor) wait_line "$err" '^floor: ready' ;;
	*) wait_line "$err" '^memleakd: ready' ;;
	esac || { echo "bench: $1 did not start:" >&2; cat "$err" >&2; return 1; }
}

# stop_tracer: prints "cpu_seconds peak_rss_kib" of the tracer, then stops it.
stop_tracer() {
	local cpu rss
	cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$TRACER/stat")
	rss=$(awk '/^VmHWM/ {print $2}' "/proc/$TRACER/status")
	kill -INT "$TRACER"
	wait "$TRACER" 2>/dev/null
	echo "$cpu $rss"
}

# micro MODE ARGS...: one mallocbench run; prints "ns_per_pair cpu rss".
micro() {
	local mode=$1 out="$WORK/bench.out" pid res
	shift
	if [ "$mode" = heaptrack ]; then
		heaptrack -o "$WORK/ht" "$BENCH" "$@" --no-wait >"$out" 2>&1
		echo "$(sed -n 's/^ns_per_pair //p' "$out") - -"
		rm -f "$WORK"/ht*
		return
	fi
	rm -f "$out" # the last run's "ready": SIGUSR1 too early would kill this one
	"$BENCH" "$@" >"$out" 2>&1 &
	pid=$!
	wait_line "$out" '^ready' || { echo "bench did not start" >&2; return 1; }
	if [ "$mode" = untraced ]; then
		kill -USR1 "$pid"
		wait "$pid"
		echo "$(sed -n 's/^ns_per_pair //p' "$out") - -"
		return
	fi
	start_tracer "$mode" "$pid" || return 1
	kill -USR1 "$pid"
	wait "$pid"
	res=$(stop_tracer)
	echo "$(sed -n 's/^ns_per_pair //p' "$out") $res"
}

# sqlite MODE: seconds sqlite3 spends on tools/bench/sqlite.sql; prints "seconds cpu rss".
sqlite() {
	local mode=$1 gate="$WORK/gate" out="$WORK/sqlite.out" pid res
	if [ "$mode" = heaptrack ]; then
		heaptrack -o "$WORK/ht" sqlite3 :memory: <tools/bench/sqlite.sql >"$out" 2>&1
		echo "$(awk '/^Run Time: real/ {s += $4} END {print s}' "$out") - -"
		rm -f "$WORK"/ht*
		return
	fi
	rm -f "$gate"
	mkfifo "$gate"
	# sqlite3 starts (libraries mapped) and waits on stdin until the gate opens.
	{ read -r _ <"$gate"; cat tools/bench/sqlite.sql; } | sqlite3 :memory: >"$out" 2>&1 &
	pid=$!
	sleep 0.3
	if [ "$mode" != untraced ]; then
		start_tracer "$mode" "$pid" || return 1
	fi
	echo go >"$gate"
	wait "$pid"
	res="- -"
	[ "$mode" != untraced ] && res=$(stop_tracer)
	echo "$(awk '/^Run Time: real/ {s += $4} END {print s}' "$out") $res"
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# table NAME UNIT: prints the rows of one workload from $WORK/NAME.MODE.txt.
table() {
	local name=$1 unit=$2 base floor m v cpu rss
	base=$(cut -d' ' -f1 "$WORK/$name.untraced.txt" | median)
	floor=$(cut -d' ' -f1 "$WORK/$name.floor.txt" | median)
	printf '%-10s %14s %10s %9s %12s %12s\n' mode "$unit" slowdown "÷ floor" "tracer cpu" "tracer rss"
	for m in "${modes[@]}"; do
		v=$(cut -d' ' -f1 "$WORK/$name.$m.txt" | median)
		cpu=$(cut -d' ' -f2 "$WORK/$name.$m.txt" | median)
		rss=$(cut -d' ' -f3 "$WORK/$name.$m.txt" | median)
		[ "$rss" != - ] && rss="$((rss / 1024)) MiB"
		[ "$cpu" != - ] && cpu="$cpu s"
		printf '%-10s %14.1f %9.2fx %8.2fx %12s %12s\n' "$m" "$v" "$(echo "$v / $base" | bc -l)" \
			"$(echo "$v / $floor" | bc -l)" "$cpu" "$rss"
	done
}

bash "$HERE/machine.sh"
echo
BENCH_NO_HEADER=1 bash "$HERE/bpf_stats.sh" "$ROUNDS" || exit 1
echo

workloads=("micro1:200000 8 1 0" "micro2:100000 8 2 20")
for ((r = 1; r <= ROUNDS; r++)); do
	for w in "${workloads[@]}"; do
		for m in "${modes[@]}"; do
			# shellcheck disable=SC2086
			micro "$m" ${w#*:} >>"$WORK/${w%%:*}.$m.txt" || exit 1
		done
	done
	if command -v sqlite3 >/dev/null; then
		for m in "${modes[@]}"; do
			sqlite "$m" >>"$WORK/sqlite.$m.txt" || exit 1
		done
	fi
done

echo "Wall clock, median of $ROUNDS rounds, modes alternating round by round:"
echo
echo "malloc+free pairs of 16..4096 B, 8 frames below main, 1 thread, 200,000 pairs:"
table micro1 ns/pair
echo
echo "2 threads, 100,000 pairs each, 20% of blocks kept live in a ring of 1,024:"
table micro2 ns/pair
if command -v sqlite3 >/dev/null; then
	echo
	echo "sqlite3 :memory: < tools/bench/sqlite.sql (seconds of SQL work, lower is better):"
	table sqlite seconds
fi
echo
"$BUILD/bench/table_bench"
echo
echo "Ring buffer drain: a BPF producer (BPF_PROG_TEST_RUN) on one thread, the daemon's"
echo "drain path (epoll, 20 ms timer, allocation table) on another; 3 s each:"
"$BUILD/bench/drain_bench" 3
echo
BENCH_NO_HEADER=1 bash "$HERE/attach_time.sh" "$ATTACH_RUNS" || exit 1
