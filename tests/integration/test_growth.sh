# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Growth detection: memleakd -i 1 --json on the patterns of
# tests/fixtures/growth.c.
# Sourced by tests/integration/run.sh, after lib.sh.
#
# One memleakd run traces one fixture per pattern (-p each, for the longest
# duration a test needs) and writes GROWTH_JSON and GROWTH_SVG: growth is
# judged per process and stack, so each test reads its own pid's stacks over
# the intervals it needs. The first test to need the run makes it; the others
# (and test_svg_flame_graph) read its files. CI time: one 61 s run instead of
# five runs of 8, 22, 20, 21 and 61 s.
GROWTH_PATTERNS="steady slow cache sawtooth workload"
GROWTH_SECONDS=61
GROWTH_JSON="$WORK/growth.json"
GROWTH_SVG="$WORK/growth.svg"
GROWTH_FAILED="$WORK/growth.failed" # why the shared run failed, for every test that reads it

# growth_pid PATTERN, growth_out PATTERN: the pid and output file of PATTERN's fixture.
growth_pid() { cat "$WORK/growth-$1.pid"; }
growth_out() { echo "$WORK/growth-$1.out"; }

# run_growth_patterns: the shared run, once per test session.
run_growth_patterns() {
	local p pids=() args=() n
	[ -e "$GROWTH_FAILED" ] && fail "the shared growth run failed:" "$(cat "$GROWTH_FAILED")"
	[ -s "$GROWTH_JSON" ] && return 0
	for p in $GROWTH_PATTERNS; do
		start_fixture growth "$p"
		mv "$FIXTURE_OUT" "$(growth_out "$p")" # the fixture keeps writing to it
		echo "$FIXTURE_PID" >"$WORK/growth-$p.pid"
		pids+=("$FIXTURE_PID")
		args+=(-p "$FIXTURE_PID")
	done
	start_memleakd "${args[@]}" -i 1 -d "$GROWTH_SECONDS" -n 50 --json "$GROWTH_JSON.part" --svg "$GROWTH_SVG"
	kill -USR1 "${pids[@]}"
	if ! wait_exit "$ML_PID" $((GROWTH_SECONDS + 30)); then
		echo "memleakd did not stop after -d $GROWTH_SECONDS" >"$GROWTH_FAILED"
	elif [ "$EXIT_CODE" != 0 ]; then
		echo "exit code: expected 0, got $EXIT_CODE; $(cat "$ML_ERR")" >"$GROWTH_FAILED"
	else
		n=$(python3 tests/integration/growth_check.py "$GROWTH_JSON.part" intervals)
		[ "$n" -ge $((GROWTH_SECONDS - 1)) ] || echo "only $n intervals in $GROWTH_JSON.part" >"$GROWTH_FAILED"
	fi
	[ -e "$GROWTH_FAILED" ] && fail "the shared growth run failed:" "$(cat "$GROWTH_FAILED")"
	kill -KILL "${pids[@]}"
	mv "$GROWTH_JSON.part" "$GROWTH_JSON"
}

# growth PATTERN SECONDS QUESTION...: growth_check.py on PATTERN's stacks in
# the first SECONDS intervals (the run a test of SECONDS used to make alone).
growth() {
	python3 tests/integration/growth_check.py "$GROWTH_JSON" --pid "$(growth_pid "$1")" --until "$2" "${@:3}"
}

# A steady 20 KiB/s leak is flagged within 5 intervals.
test_growth_steady_leak() {
	local first
	run_growth_patterns
	first=$(growth steady 8 first steady_leak)
	[ "$first" -ge 1 ] && [ "$first" -le 5 ] ||
		fail "steady_leak first flagged at interval '$first', want 1..5;" "$(growth steady 8 flagged)"
	echo "# steady 20 KiB/s leak: flagged at interval $first"
}

# A 1 KB/s leak amid 20,000 malloc/free per second is flagged within 20
# intervals, and the churn never is.
test_growth_slow_leak_in_churn() {
	local first others rate
	run_growth_patterns
	first=$(growth slow 22 first slow_leak)
	[ "$first" -ge 1 ] && [ "$first" -le 20 ] ||
		fail "slow_leak first flagged at interval '$first', want 1..20;" "$(growth slow 22 flagged)"
	others=$(growth slow 22 flagged | grep -v ':slow_leak:')
	[ -z "$others" ] || fail "other stacks flagged:" "$others"
	rate=$(sed -n 's/^churn \([0-9]*\) pairs.s$/\1/p' "$(growth_out slow)" | tail -1)
	[ -n "$rate" ] && [ "$rate" -ge 19000 ] ||
		fail "churn only reached '$rate' malloc/free pairs per second, want >= 20,000"
	echo "# slow 1 KB/s leak in $rate malloc/free per second: flagged at interval $first"
}

# A cache that fills in 3 s and then replaces entries is not flagged from 5
# intervals after its plateau on.
test_growth_cache_plateau() {
	local late
	run_growth_patterns
	late=$(growth cache 20 flagged 8)
	[ -z "$late" ] || fail "flagged after the plateau:" "$late"
	echo "# bounded cache: flags at any interval: $(growth cache 20 flagged | wc -l)"
}

# Grow 4 s, free everything, repeat: never flagged.
test_growth_sawtooth() {
	local flags
	run_growth_patterns
	flags=$(growth sawtooth 21 flagged)
	[ -z "$flags" ] || fail "sawtooth flagged:" "$flags"
}

# Allocating and freeing without a leak: no stack flagged in 60 intervals.
test_growth_steady_workload() {
	local flags
	run_growth_patterns
	flags=$(growth workload 61 flagged)
	[ -z "$flags" ] || fail "a stack was flagged:" "$flags"
}
