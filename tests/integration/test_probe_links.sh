# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# How probes are attached: uprobe_multi links (one per program and file) where
# the kernel has them, perf-event uprobes (one per probe point) where it has
# not, which MEMLEAKD_TEST_PERF_PROBES=1 forces; with --sample-bytes, uprobe
# sessions, or entry and return probes under MEMLEAKD_TEST_NO_SESSION=1. Each
# path finds the same leak. Sourced by tests/integration/run.sh, after lib.sh.

# perf_fds PID: how many perf events PID holds open (perf-event uprobes).
perf_fds() {
	find "/proc/$1/fd" -lname 'anon_inode:\[perf_event\]' 2>/dev/null | wc -l
}

# check_probe_links WHAT PROBES_LINE PERF_EVENTS PCT [ARGS...]: memleakd -p
# on the leaker, run through ML_WRAPPER, says PROBES_LINE in -v, holds perf
# events ("none" or "some") and reports the leak within PCT %.
check_probe_links() {
	local what=$1 line=$2 perf=$3 pct=$4 folded="$WORK/links.$RANDOM.folded" leaked got nr
	shift 4
	start_fixture leaker malloc 400
	start_memleakd -v -p "$FIXTURE_PID" -i 1 --folded "$folded" "$@"
	grep -qF "memleakd: probes: $line" "$ML_ERR" ||
		fail "$what: -v does not say 'probes: $line':" "$(grep 'probes:' "$ML_ERR")"
	nr=$(perf_fds "$ML_PID")
	case $perf in
	none) expect_eq "$what: perf events held" 0 "$nr" ;;
	some) [ "$nr" -gt 0 ] || fail "$what: no perf-event uprobe held:" "$(ls -l "/proc/$ML_PID/fd")" ;;
	esac
	finish_traced '^leaked'
	expect_eq "$what: exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	leaked=$(leaked_bytes)
	got=$(folded_bytes "$folded" "leak_outer;leak_mid;leak_inner")
	within "$pct" "$leaked" "$got" ||
		fail "$what: leak_inner holds $got B, expected $leaked ±$pct%; folded:" "$(cat "$folded")"
	[ "$(folded_bytes "$folded" "churn_inner")" = 0 ] || fail "$what: churn_inner holds memory"
	grep -q "^lost: ringbuf drops 0, stack collisions 0, stack failures 0, stash misses 0, stash full 0, stale stashes 0," "$ML_OUT" ||
		fail "$what: losses in a clean run:" "$(grep '^lost' "$ML_OUT" | tail -1)"
}

# This kernel has uprobe_multi links: no perf event per probe.
test_probe_links_multi() {
	check_probe_links "uprobe_multi" "uprobe_multi links" none 10
}

# The path of kernels before 6.6, forced: one perf-event uprobe per probe.
test_probe_links_perf() {
	ML_WRAPPER="env MEMLEAKD_TEST_PERF_PROBES=1" check_probe_links "perf path" \
		"one perf-event uprobe per probe point" some 10
}

# --sample-bytes with one uprobe session per file (Linux >= 6.12), and
# without sessions (separate entry and return links).
test_probe_links_sessions() {
	check_probe_links "sessions" "uprobe_multi links, one per program and file (detached at once); --sample-bytes: uprobe sessions" \
		none 25 --sample-bytes 2k
	ML_WRAPPER="env MEMLEAKD_TEST_NO_SESSION=1" check_probe_links "no sessions" \
		"uprobe_multi links, one per program and file (detached at once); --sample-bytes: entry and return probes" \
		none 25 --sample-bytes 2k
}
