#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What -f costs the processes it does not trace, and what it costs a
# fork-heavy tree (issue 12 item 4), modes alternating round by round,
# medians printed:
#
#   untraced     nothing runs
#   perpid       memleakd -p OTHER -f (OTHER: a sleep): probes per traced process
#   file-wide    the same with MEMLEAKD_TEST_FILE_WIDE=1 (the fallback for
#                kernels without uprobe_multi links)
#
# 1. An unrelated mallocbench's ns per malloc+free pair.
# 2. Wall time of `sh -c 'for i in $(seq N); do /bin/true; done'`, alone
#    and under memleakd -f (probes attached at every fork and exec).
#
# usage: tools/bench/perpid_bench.sh [ROUNDS [FORKS]]     (root)
set -u
: "${BUILD:=build}"
MEMLEAKD=${MEMLEAKD:-./memleakd}
BENCH="$BUILD/bench/mallocbench"
ROUNDS=${1:-5}
FORKS=${2:-200}
WORK=$(mktemp -d /tmp/memleakd-perpid.XXXXXX)
trap 'kill -KILL $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT

wait_line() { # FILE REGEX
	for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# start_other MODE: memleakd -p OTHER -f, OTHER a process that only waits (none for untraced).
start_other() {
	ML=
	[ "$1" = untraced ] && return 0
	sleep 3600 &
	OTHER=$!
	if [ "$1" = file-wide ]; then
		MEMLEAKD_TEST_FILE_WIDE=1 "$MEMLEAKD" -p "$OTHER" -f -i 3600 >/dev/null 2>"$WORK/ml.err" &
	else
		"$MEMLEAKD" -p "$OTHER" -f -i 3600 >/dev/null 2>"$WORK/ml.err" &
	fi
	ML=$!
	wait_line "$WORK/ml.err" '^memleakd: ready' || { cat "$WORK/ml.err" >&2; exit 1; }
	sleep 0.5
}

stop_other() {
	[ -n "$ML" ] || return 0
	kill -INT "$ML"
	wait "$ML" 2>/dev/null
	kill "$OTHER"
	wait "$OTHER" 2>/dev/null
}

modes=(untraced perpid file-wide)
for ((r = 0; r < ROUNDS; r++)); do
	for m in "${modes[@]}"; do
		start_other "$m"
		"$BENCH" 2000000 5 1 0 --no-wait | awk '/ns_per_pair/ {print $2}' >>"$WORK/bench.$m"
		stop_other
	done
done
echo "unrelated mallocbench (2M pairs, depth 5), ns/pair, median of $ROUNDS:"
base=$(median <"$WORK/bench.untraced")
for m in "${modes[@]}"; do
	v=$(median <"$WORK/bench.$m")
	awk -v m="$m" -v v="$v" -v b="$base" 'BEGIN {printf "  %-10s %8.1f  %.2fx\n", m, v, v / b}'
done

forky="for i in \$(seq $FORKS); do /bin/true; done"
for ((r = 0; r < ROUNDS; r++)); do
	s=$(date +%s.%N)
	sh -c "$forky"
	echo "$(date +%s.%N) - $s" | bc >>"$WORK/fork.untraced"
	for m in perpid file-wide; do
		s=$(date +%s.%N)
		if [ "$m" = file-wide ]; then
			MEMLEAKD_TEST_FILE_WIDE=1 "$MEMLEAKD" -f -- sh -c "$forky" >/dev/null 2>&1
		else
			"$MEMLEAKD" -f -- sh -c "$forky" >/dev/null 2>&1
		fi
		echo "$(date +%s.%N) - $s" | bc >>"$WORK/fork.$m"
	done
done
echo "sh running /bin/true $FORKS times, wall seconds, median of $ROUNDS (memleakd's start and exit included):"
for m in "${modes[@]}"; do
	printf "  %-10s %8.2f\n" "$m" "$(median <"$WORK/fork.$m")"
done
