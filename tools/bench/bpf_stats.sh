#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What memleakd's own BPF programs cost, apart from the uprobe traps
# (issue 15): the figure that does not depend on what a trap costs on the
# machine at hand.
#
# For each traced mode (fp, dwarf, sampled 64k), mallocbench PAIRS 8 1 0
# (PAIRS malloc+free pairs, 8 frames below main, 1 thread) runs under
# memleakd -p with kernel.bpf_stats_enabled=1 (set here, restored to its
# old value on any exit, Ctrl-C included; on x86-64 a BPF_ENABLE_STATS fd
# keeps the stats on too, whatever other benchmarks write to the sysctl
# meanwhile). run_cnt and run_time_ns of every BPF program that memleakd
# holds open (the prog_id of its fds, links included: bpftool 7.1 lists no
# pids) are read just before the pairs start and just after they end
# (mallocbench --hold waits before its exit, so nothing of the exit is
# counted). Printed per program that ran: runs, ns per run and ns per
# pair; then BPF ns per malloc+free pair = the programs' total run_time_ns
# / PAIRS. Program names are not hard-coded: whatever ran
# is printed. Medians of ROUNDS runs, modes alternating round by round.
#
# usage: tools/bench/bpf_stats.sh [ROUNDS [PAIRS]]     (root; run.sh runs it)
set -u
: "${BUILD:=build}"
MEMLEAKD=${MEMLEAKD:-./memleakd}
BENCH="$BUILD/bench/mallocbench"
ROUNDS=${1:-3}
PAIRS=${2:-200000}
DEPTH=8
MODES=(fp dwarf sampled)
WORK=$(mktemp -d /tmp/memleakd-bpfstats.XXXXXX)
STATS_WAS=

restore() {
	[ -n "$STATS_WAS" ] && sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS"
	# shellcheck disable=SC2046
	kill -KILL $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap restore EXIT
trap 'echo "bpf_stats: interrupted" >&2; exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bpf_stats: needs root (uprobes, sysctl)" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "bpf_stats: $BENCH missing; run 'make bench'" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "bpf_stats: bpftool missing ('make deps')" >&2; exit 1; }

wait_line() { # FILE REGEX
	for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

mode_flags() { # MODE: memleakd's options for it
	case $1 in
	fp) echo "--unwind fp" ;;
	dwarf) echo "" ;;
	sampled) echo "--sample-bytes 64k" ;;
	esac
}

# prog_stats PID: "name run_time_ns run_cnt" of every BPF program PID holds
# open (prog fds and link fds both show prog_id in fdinfo).
# hold_stats FILE: keeps BPF run-time stats on for as long as it runs, with a
# BPF_ENABLE_STATS fd (counted by the kernel apart from the sysctl), so
# another benchmark that restores the sysctl meanwhile cannot switch them
# off under this one. Writes "held" or "failed" to FILE; sets HOLDER.
hold_stats() {
	python3 -c '
import ctypes, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.c_uint32 * 32  # union bpf_attr, enable_stats.type = BPF_STATS_RUN_TIME (0)
SYS_bpf, BPF_ENABLE_STATS = 321, 32  # x86-64
fd = libc.syscall(SYS_bpf, BPF_ENABLE_STATS, ctypes.byref(attr()), 4)
print("held" if fd >= 0 else "failed", flush=True)
if fd >= 0:
    signal.pause()
' >"$1" 2>&1 &
	HOLDER=$!
}

. "$(dirname "$0")/prog_stats.sh"

# one_run MODE: one traced mallocbench; writes "name runs run_time_ns" per
# program that ran to $WORK/MODE.progs.N and the wall ns/pair to $WORK/MODE.wall.
# Fails (status 2) when someone switched bpf_stats off during the run.
one_run() {
	local mode=$1 n=$2 out="$WORK/bench.out" err="$WORK/ml.err" bench ml
	rm -f "$out" "$err"
	"$BENCH" "$PAIRS" "$DEPTH" 1 0 --hold >"$out" 2>&1 &
	bench=$!
	wait_line "$out" '^ready' || { echo "bpf_stats: mallocbench did not start" >&2; return 1; }
	# shellcheck disable=SC2046
	"$MEMLEAKD" -p "$bench" -i 3600 $(mode_flags "$mode") >/dev/null 2>"$err" &
	ml=$!
	wait_line "$err" '^memleakd: ready' || { echo "bpf_stats: memleakd $mode did not start:" >&2; cat "$err" >&2; return 1; }
	prog_stats "$ml" >"$WORK/before"
	kill -USR1 "$bench"
	wait_line "$out" '^ns_per_pair' || { echo "bpf_stats: no result:" >&2; cat "$out" >&2; return 1; }
	prog_stats "$ml" >"$WORK/after"
	kill -USR1 "$bench"
	wait "$bench"
	kill -INT "$ml" 2>/dev/null # it may have ended with its target
	wait "$ml" 2>/dev/null
	[ "$HELD" = 1 ] || [ "$(sysctl -n kernel.bpf_stats_enabled)" = 1 ] || return 2
	# Programs of one name (one program per attach kind) are summed.
	awk 'NR == FNR {t[$1] = $3; c[$1] = $4; next}
		{runs[$2] += $4 - c[$1]; ns[$2] += $3 - t[$1]}
		END {for (p in runs) if (runs[p] > 0) print p, runs[p], ns[p]}' \
		"$WORK/before" "$WORK/after" >"$WORK/$mode.progs.$n"
	sed -n 's/^ns_per_pair //p' "$out" >>"$WORK/$mode.wall"
}

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
HELD=0
if [ "$(uname -m)" = x86_64 ]; then
	hold_stats "$WORK/held"
	wait_line "$WORK/held" '^held\|^failed' && grep -q '^held' "$WORK/held" && HELD=1
fi
for ((r = 1; r <= ROUNDS; r++)); do
	for m in "${MODES[@]}"; do
		for try in 1 2 3; do
			one_run "$m" "$r"
			case $? in
			0) break ;;
			2)
				echo "bpf_stats: kernel.bpf_stats_enabled was switched off during the run (another benchmark?); again ($try)" >&2
				sysctl -q -w kernel.bpf_stats_enabled=1
				;;
			*) exit 1 ;;
			esac
		done
		[ -s "$WORK/$m.progs.$r" ] || { echo "bpf_stats: no program of memleakd $m ran" >&2; exit 1; }
		# Every malloc and every free traps: some program runs once a pair at least.
		awk -v n="$PAIRS" '$2 >= n {ok = 1} END {exit !ok}' "$WORK/$m.progs.$r" ||
			echo "bpf_stats: warning: no program of memleakd $m ran $PAIRS times: not every pair was traced" >&2
	done
done
sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS"
STATS_WAS=
[ "$HELD" = 1 ] && kill "$HOLDER" && wait "$HOLDER" 2>/dev/null

[ -n "${BENCH_NO_HEADER:-}" ] || { bash "$(dirname "$0")/machine.sh"; echo; }
printf "BPF side: memleakd's programs over mallocbench %d %d 1 0 (%d malloc+free pairs, %d frames\n" \
	"$PAIRS" "$DEPTH" "$PAIRS" "$DEPTH"
echo "below main, 1 thread), kernel.bpf_stats_enabled=1 for these runs only; run_time_ns times"
echo "the programs alone, not the traps. Median of $ROUNDS runs:"
printf '%-8s %-22s %10s %9s %9s\n' mode program runs ns/run ns/pair
for m in "${MODES[@]}"; do
	# Per program: median runs, median ns per run, median ns per pair.
	# shellcheck disable=SC2013 # program names are single words
	for p in $(cat "$WORK/$m".progs.* | awk '{print $1}' | sort -u); do
		runs=$(cat "$WORK/$m".progs.* | awk -v p="$p" '$1 == p {print $2}' | median)
		per_run=$(cat "$WORK/$m".progs.* | awk -v p="$p" '$1 == p {print $3 / $2}' | median)
		per_pair=$(cat "$WORK/$m".progs.* | awk -v p="$p" -v n="$PAIRS" '$1 == p {print $3 / n}' | median)
		printf '%-8s %-22s %10.0f %9.0f %9.0f\n' "$m" "$p" "$runs" "$per_run" "$per_pair"
	done | sort -k5,5nr
	total=$(for f in "$WORK/$m".progs.*; do awk -v n="$PAIRS" '{s += $3} END {print s / n}' "$f"; done | median)
	printf '%-8s %-22s %30.0f\n' "$m" "BPF per malloc+free pair" "$total"
	echo "$m $total $(median <"$WORK/$m.wall")" >>"$WORK/summary"
done
echo
printf '%-8s %14s %22s\n' mode "BPF ns/pair" "wall ns/pair (these runs)"
while read -r m total wall; do
	printf '%-8s %14.0f %22.0f\n' "$m" "$total" "$wall"
done <"$WORK/summary"
