#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What memleakd's goroutine probes cost a Go program (issue 13): the churn
# benchmark tests/fixtures/go/gchurn.go (N goroutines created and joined in
# batches of 1000) untraced and under memleakd -p, alternating round by
# round in the same invocation, for each Go toolchain's build; medians of
# ns per goroutine create+exit, and the ratio traced/untraced.
#
# Then, with kernel.bpf_stats_enabled=1 (restored afterwards), one more
# traced run: ns per run of each of memleakd's BPF programs over the churn
# (run_time_ns / run_cnt from bpftool, counted from the churn's start).
#
# usage: tools/bench/go_churn.sh [ROUNDS [N]]     (root; 'make bench')
set -u
: "${BUILD:=build}"
MEMLEAKD=${MEMLEAKD:-./memleakd}
ROUNDS=${1:-5}
N=${2:-200000}
VERSIONS=${GO_VERSIONS:-1.19 1.23}
WORK=$(mktemp -d /tmp/memleakd-gochurn.XXXXXX)
STATS_WAS=
restore() {
	[ -n "$STATS_WAS" ] && sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS"
	kill -KILL $(jobs -p) 2>/dev/null
	rm -rf "$WORK"
}
trap restore EXIT

[ "$(id -u)" = 0 ] || { echo "go_churn: needs root (uprobes)" >&2; exit 1; }
for v in $VERSIONS; do
	[ -x "$BUILD/fixtures/go/gchurn-$v" ] || { echo "go_churn: $BUILD/fixtures/go/gchurn-$v missing; run 'make fixtures'" >&2; exit 1; }
done

wait_line() { # FILE REGEX
	for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# untraced BINARY: ns per goroutine of one run.
untraced() {
	"$1" -n "$N" | awk '/^ns_per_goroutine/ {print $2}'
}

# start_traced BINARY: gchurn waiting, memleakd -p on it and ready; sets CHURN, CHURN_OUT, ML.
start_traced() {
	CHURN_OUT="$WORK/churn.out"
	"$1" -n "$N" -wait >"$CHURN_OUT" 2>&1 &
	CHURN=$!
	wait_line "$CHURN_OUT" '^ready' || { echo "go_churn: $1 did not start" >&2; exit 1; }
	"$MEMLEAKD" -p "$CHURN" -i 3600 >/dev/null 2>"$WORK/ml.err" &
	ML=$!
	wait_line "$WORK/ml.err" '^memleakd: ready' || { echo "go_churn: memleakd did not start:" >&2; cat "$WORK/ml.err" >&2; exit 1; }
}

# finish_traced: starts the churn, waits for it, stops memleakd; prints ns per goroutine.
finish_traced() {
	kill -USR1 "$CHURN"
	wait_line "$CHURN_OUT" '^ns_per_goroutine' || { echo "go_churn: no result:" >&2; cat "$CHURN_OUT" >&2; exit 1; }
	kill -USR1 "$CHURN"
	wait "$CHURN"
	kill -INT "$ML" 2>/dev/null # it may have ended with its target
	wait "$ML" 2>/dev/null
	awk '/^ns_per_goroutine/ {print $2}' "$CHURN_OUT"
}

. "$(dirname "$0")/prog_stats.sh"

echo "Go goroutine churn: $N goroutines create+exit per run, $ROUNDS rounds, medians (ns per goroutine)"
printf '  %-6s %10s %10s %7s\n' go untraced traced ratio
for v in $VERSIONS; do
	bin="$BUILD/fixtures/go/gchurn-$v"
	: >"$WORK/untraced" && : >"$WORK/traced"
	for ((r = 0; r < ROUNDS; r++)); do
		untraced "$bin" >>"$WORK/untraced"
		start_traced "$bin"
		finish_traced >>"$WORK/traced"
	done
	u=$(median <"$WORK/untraced")
	t=$(median <"$WORK/traced")
	printf '  %-6s %10.1f %10.1f %6.2fx\n' "$v" "$u" "$t" "$(awk -v u="$u" -v t="$t" 'BEGIN {print (u > 0) ? t / u : 0}')"
done

# Per-program cost over one traced churn, bpf_stats on only for it.
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
v=${VERSIONS%% *}
start_traced "$BUILD/fixtures/go/gchurn-$v"
sysctl -q -w kernel.bpf_stats_enabled=1
prog_stats "$ML" >"$WORK/before"
kill -USR1 "$CHURN"
wait_line "$CHURN_OUT" '^ns_per_goroutine' || { echo "go_churn: no result:" >&2; cat "$CHURN_OUT" >&2; exit 1; }
prog_stats "$ML" >"$WORK/after"
kill -USR1 "$CHURN"
wait "$CHURN"
sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS"
kill -INT "$ML" 2>/dev/null
wait "$ML" 2>/dev/null
echo "BPF programs over one traced churn (gchurn-$v, $N goroutines; kernel.bpf_stats_enabled=1 for it only):"
printf '  %-24s %10s %10s\n' program runs ns/run
awk 'NR == FNR {t[$1] = $3; c[$1] = $4; next}
	{runs = $4 - c[$1]; if (runs > 0) printf "  %-24s %10d %10.0f\n", $2, runs, ($3 - t[$1]) / runs}' \
	"$WORK/before" "$WORK/after"
