#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What attaching and detaching cost memleakd's user (issue 15 item 4),
# wall clock, medians of RUNS runs (min and max beside them):
#
#   -- /bin/true        the whole run of a command that does nothing
#   -p: start->ready    from memleakd's start to its "memleakd: ready" line
#   -d 1: report->exit  from the "final report" line (-p PID -d 1 -i 1) to
#                       memleakd's exit: the detach the user waits for
#   Ctrl-C: ->exit      from SIGINT (-p PID) to the exit, and from the final
#                       report line to the exit
#
# memleakd's stdout and stderr go through a FIFO to a reader that stamps
# each line as it comes (bash's EPOCHREALTIME, the same clock as the start
# and exit stamps). The -p target is mallocbench waiting for its start
# signal: libc mapped, no allocations. memleakd -v's line on the attach
# path (uprobe_multi links or one perf event per probe) is printed when it
# has one.
#
# usage: tools/bench/attach_time.sh [RUNS]     (root; run.sh runs it)
set -u
: "${BUILD:=build}"
MEMLEAKD=${MEMLEAKD:-./memleakd}
BENCH="$BUILD/bench/mallocbench"
RUNS=${1:-5}
WORK=$(mktemp -d /tmp/memleakd-attach.XXXXXX)

cleanup() {
	# shellcheck disable=SC2046
	kill -KILL $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "attach_time: interrupted" >&2; exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "attach_time: needs root (uprobes)" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "attach_time: $BENCH missing; run 'make bench'" >&2; exit 1; }

wait_line() { # FILE REGEX
	for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# stamp: each line of stdin prefixed with the wall clock in seconds (µs).
stamp() {
	local line
	while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
}

# stamp_of FILE REGEX: the stamp of the first stamped line matching REGEX.
stamp_of() {
	awk -v re="$2" '{t = $1; $1 = ""; sub(/^ /, "")} $0 ~ re {print t; exit}' "$1"
}

ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f\n", (b - a) * 1000}'; }

# start_target: a mallocbench waiting for SIGUSR1 (never sent); sets TARGET.
start_target() {
	rm -f "$WORK/target.out"
	"$BENCH" 1000 8 1 0 >"$WORK/target.out" 2>&1 &
	TARGET=$!
	wait_line "$WORK/target.out" '^ready' || { echo "attach_time: mallocbench did not start" >&2; exit 1; }
}

stop_target() {
	kill -KILL "$TARGET" 2>/dev/null
	wait "$TARGET" 2>/dev/null
}

# traced ARGS...: memleakd ARGS with its output stamped into $WORK/log;
# sets T_START and ML (running). finish_traced waits for it, sets T_EXIT.
traced() {
	rm -f "$WORK/fifo" "$WORK/log"
	mkfifo "$WORK/fifo"
	stamp <"$WORK/fifo" >"$WORK/log" &
	READER=$!
	T_START=$EPOCHREALTIME
	"$MEMLEAKD" "$@" >"$WORK/fifo" 2>&1 &
	ML=$!
}

finish_traced() {
	wait "$ML"
	T_EXIT=$EPOCHREALTIME
	wait "$READER"
}

for ((r = 1; r <= RUNS; r++)); do
	# The command mode, whole run.
	t0=$EPOCHREALTIME
	"$MEMLEAKD" -- /bin/true >/dev/null 2>&1
	ms "$t0" "$EPOCHREALTIME" >>"$WORK/true.ms"

	# -p PID -d 1: start to ready, final report to exit.
	start_target
	traced -p "$TARGET" -d 1 -i 1
	finish_traced
	stop_target
	ready=$(stamp_of "$WORK/log" '^memleakd: ready')
	final=$(stamp_of "$WORK/log" '^== memleakd final report')
	if [ -z "$ready" ] || [ -z "$final" ]; then
		echo "attach_time: memleakd -p -d 1 printed no ready line or no final report:" >&2
		cat "$WORK/log" >&2
		exit 1
	fi
	ms "$T_START" "$ready" >>"$WORK/ready.ms"
	ms "$final" "$T_EXIT" >>"$WORK/duration_exit.ms"
	ms "$T_START" "$T_EXIT" >>"$WORK/duration_total.ms"

	# -p PID, Ctrl-C once ready.
	start_target
	traced -p "$TARGET" -i 3600
	wait_line "$WORK/log" 'memleakd: ready' || { echo "attach_time: memleakd -p did not start:" >&2; cat "$WORK/log" >&2; exit 1; }
	t_int=$EPOCHREALTIME
	kill -INT "$ML"
	finish_traced
	stop_target
	final=$(stamp_of "$WORK/log" '^== memleakd final report')
	[ -n "$final" ] || { echo "attach_time: no final report after Ctrl-C:" >&2; cat "$WORK/log" >&2; exit 1; }
	ms "$t_int" "$T_EXIT" >>"$WORK/int_exit.ms"
	ms "$final" "$T_EXIT" >>"$WORK/int_report_exit.ms"
done

path=$("$MEMLEAKD" -v -- /bin/true 2>&1 >/dev/null | grep -i -m1 -E 'uprobe.multi|per.probe|multi.link|attach (path|mode)')

[ -n "${BENCH_NO_HEADER:-}" ] || { bash "$(dirname "$0")/machine.sh"; echo; }
echo "Attach and detach, wall clock, median of $RUNS (min..max), ms; -p target: mallocbench waiting"
echo "attach path: ${path:-(memleakd -v does not say)}"
row() { # LABEL FILE
	printf '  %-46s %7s   (%s..%s)\n' "$1" "$(median <"$WORK/$2")" "$(sort -n "$WORK/$2" | head -1)" \
		"$(sort -n "$WORK/$2" | tail -1)"
}
row "memleakd -- /bin/true, whole run" true.ms
row "memleakd -p PID: start to 'memleakd: ready'" ready.ms
row "memleakd -p PID -d 1: final report to exit" duration_exit.ms
row "memleakd -p PID -d 1 -i 1: whole run" duration_total.ms
row "memleakd -p PID, Ctrl-C: signal to exit" int_exit.ms
row "memleakd -p PID, Ctrl-C: final report to exit" int_report_exit.ms
