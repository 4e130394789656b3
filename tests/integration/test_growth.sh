# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Growth detection: memleakd -i 1 --json on the patterns of
# tests/fixtures/growth.c.
# Sourced by tests/integration/run.sh, after lib.sh.

# --- growth detection: memleakd -i 1 --json on one pattern of tests/fixtures/growth.c
# run_growth PATTERN SECONDS: sets GROWTH_JSON.
run_growth() {
	GROWTH_JSON="$WORK/growth-$1.json"
	start_fixture growth "$1"
	start_memleakd -p "$FIXTURE_PID" -i 1 -d "$2" -n 50 --json "$GROWTH_JSON"
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" $(($2 + 30)) || fail "memleakd did not stop after -d $2"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	local n
	n=$(python3 tests/integration/growth_check.py "$GROWTH_JSON" intervals)
	[ "$n" -ge $(($2 - 1)) ] || fail "only $n intervals in $GROWTH_JSON"
}

growth() { python3 tests/integration/growth_check.py "$GROWTH_JSON" "$@"; }

# A steady 20 KiB/s leak is flagged within 5 intervals.
test_growth_steady_leak() {
	local first
	run_growth steady 8
	first=$(growth first steady_leak)
	[ "$first" -ge 1 ] && [ "$first" -le 5 ] ||
		fail "steady_leak first flagged at interval '$first', want 1..5;" "$(growth flagged)"
	echo "# steady 20 KiB/s leak: flagged at interval $first"
}

# A 1 KB/s leak amid 20,000 malloc/free per second is flagged within 20
# intervals, and the churn never is.
test_growth_slow_leak_in_churn() {
	local first others rate
	run_growth slow 22
	first=$(growth first slow_leak)
	[ "$first" -ge 1 ] && [ "$first" -le 20 ] ||
		fail "slow_leak first flagged at interval '$first', want 1..20;" "$(growth flagged)"
	others=$(growth flagged | grep -v ':slow_leak:')
	[ -z "$others" ] || fail "other stacks flagged:" "$others"
	rate=$(sed -n 's/^churn \([0-9]*\) pairs.s$/\1/p' "$FIXTURE_OUT" | tail -1)
	[ -n "$rate" ] && [ "$rate" -ge 19000 ] ||
		fail "churn only reached '$rate' malloc/free pairs per second, want >= 20,000"
	echo "# slow 1 KB/s leak in $rate malloc/free per second: flagged at interval $first"
}

# A cache that fills in 3 s and then replaces entries is not flagged from 5
# intervals after its plateau on.
test_growth_cache_plateau() {
	local late
	run_growth cache 20
	late=$(growth flagged 8)
	[ -z "$late" ] || fail "flagged after the plateau:" "$late"
	echo "# bounded cache: flags at any interval: $(growth flagged | wc -l)"
}

# Grow 4 s, free everything, repeat: never flagged.
test_growth_sawtooth() {
	local flags
	run_growth sawtooth 21
	flags=$(growth flagged)
	[ -z "$flags" ] || fail "sawtooth flagged:" "$flags"
}

# Allocating and freeing without a leak: no stack flagged in 60 intervals.
test_growth_steady_workload() {
	local flags
	run_growth workload 61
	flags=$(growth flagged)
	[ -z "$flags" ] || fail "a stack was flagged:" "$flags"
}
