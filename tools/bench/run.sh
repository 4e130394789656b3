#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Cost of tracing, measured against an untraced run in the same invocation:
# the malloc/free microbenchmark untraced, then traced by memleakd in each
# unwinding mode, alternating for ROUNDS rounds; prints the median ns per
# malloc+free pair, the slowdown ratio, and memleakd's CPU time and peak RSS.
#
# usage: tools/bench/run.sh [PAIRS] [DEPTH] [ROUNDS]   (root; 'make bench')
set -u
: "${BUILD:=build}"
MEMLEAKD=${MEMLEAKD:-./memleakd}
BENCH="$BUILD/bench/mallocbench"
PAIRS=${1:-200000}
DEPTH=${2:-8}
ROUNDS=${3:-3}
WORK=$(mktemp -d /tmp/memleakd-bench.XXXXXX)
trap 'kill -KILL $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT

[ "$(id -u)" = 0 ] || { echo "bench: needs root (uprobes)" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "bench: $BENCH missing; run 'make bench'" >&2; exit 1; }

wait_line() { # FILE REGEX
	for _ in $(seq 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# run_one MODE -> prints "ns_per_pair cpu_seconds peak_rss_kib"
run_one() {
	local mode=$1 out="$WORK/bench.out" err="$WORK/ml.err" pid ml ns stat
	"$BENCH" "$PAIRS" "$DEPTH" >"$out" 2>&1 &
	pid=$!
	wait_line "$out" '^ready' || { echo "bench did not start" >&2; return 1; }
	if [ "$mode" = untraced ]; then
		kill -USR1 "$pid"
		wait "$pid"
		echo "$(sed -n 's/^ns_per_pair //p' "$out") 0 0"
		return
	fi
	"$MEMLEAKD" -p "$pid" -i 3600 --unwind "$mode" >/dev/null 2>"$err" &
	ml=$!
	wait_line "$err" '^memleakd: ready' || { echo "memleakd did not start:" >&2; cat "$err" >&2; return 1; }
	kill -USR1 "$pid"
	wait "$pid"
	ns=$(sed -n 's/^ns_per_pair //p' "$out")
	# utime+stime in ticks, and VmHWM, before the daemon exits
	stat=$(awk '{print ($14 + $15) / 100}' "/proc/$ml/stat")
	rss=$(awk '/^VmHWM/ {print $2}' "/proc/$ml/status")
	kill -INT "$ml"
	wait "$ml"
	echo "$ns $stat $rss"
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

modes=(untraced fp dwarf)
for ((r = 1; r <= ROUNDS; r++)); do
	for m in "${modes[@]}"; do
		run_one "$m" >>"$WORK/$m.txt" || exit 1
	done
done

echo "memleakd bench: $(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r)"
echo "malloc+free pairs of 16..4096 B, $PAIRS per run, $DEPTH frames below main, median of $ROUNDS"
printf '%-10s %12s %10s %12s %14s\n' mode ns/pair slowdown "daemon cpu" "daemon rss"
base=$(cut -d' ' -f1 "$WORK/untraced.txt" | median)
for m in "${modes[@]}"; do
	ns=$(cut -d' ' -f1 "$WORK/$m.txt" | median)
	cpu=$(cut -d' ' -f2 "$WORK/$m.txt" | median)
	rss=$(cut -d' ' -f3 "$WORK/$m.txt" | median)
	printf '%-10s %12.1f %9.1fx %11ss %11s KiB\n' "$m" "$ns" "$(echo "$ns / $base" | bc -l)" "$cpu" "$rss"
done
fp=$(cut -d' ' -f1 "$WORK/fp.txt" | median)
dwarf=$(cut -d' ' -f1 "$WORK/dwarf.txt" | median)
printf 'dwarf / fp per-pair cost: %.2fx\n' "$(echo "$dwarf / $fp" | bc -l)"
