#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Integration tests: real BPF programs against the fixtures in tests/fixtures.
# The tests are the test_* functions of tests/integration/test_*.sh (one file
# per feature, helpers in lib.sh); this driver runs each in a subshell of its
# own, prints "ok"/"not ok" per test and ends with
#
#	integration: N passed, N failed, N skipped
#
# They need root and BPF. Without them every selected test is skipped, with
# the reason; under CI=true a test that cannot run is a failure instead.
#
#   BUILD=build MEMLEAKD=./memleakd bash tests/integration/run.sh [NAME-FILTER]
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
for f in tests/integration/test_*.sh; do
	. "$f"
done

filter=${1:-}
selected=()
for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
	[ -n "$filter" ] && [[ $t != *$filter* ]] && continue
	selected+=("$t")
done

# why_not_runnable: prints why the tests cannot run here, nothing when they can.
why_not_runnable() {
	if [ "$(id -u)" != 0 ]; then
		echo "they need root (run 'sudo make test')"
	elif ! bpftool prog show >/dev/null 2>&1; then
		echo "BPF is not available ('bpftool prog show' fails)"
	fi
}

reason=$(why_not_runnable)
if [ -n "$reason" ]; then
	if [ "${CI:-}" = true ]; then
		echo "not ok - ${#selected[@]} integration tests not run: $reason, and CI must run them"
		echo "integration: 0 passed, ${#selected[@]} failed, 0 skipped"
		exit 1
	fi
	echo "SKIP: ${#selected[@]} integration tests not run: $reason"
	echo "integration: 0 passed, 0 failed, ${#selected[@]} skipped"
	exit 0
fi

passed=0
failed=0
suite_start=$SECONDS
for t in "${selected[@]}"; do
	rm -f "$FAILED_MARK"
	test_start=$SECONDS
	# A subshell: fail ends the test, and nothing it sets leaks into the next one.
	("$t") >"$WORK/test.out" 2>&1
	rc=$?
	echo "# ${t#test_} took $((SECONDS - test_start)) s" >>"$WORK/test.out"
	[ -e "$FAILED_MARK" ] && rc=1
	kill_tracked
	if [ $rc = 0 ]; then
		echo "ok - ${t#test_}"
		grep '^# ' "$WORK/test.out" # a passing test's measurements, TAP-style
		passed=$((passed + 1))
	else
		echo "not ok - ${t#test_}"
		[ -s "$FAILED_MARK" ] && head -n 12 "$FAILED_MARK" | sed 's/^/    # why: /'
		sed 's/^/    /' "$WORK/test.out"
		failed=$((failed + 1))
	fi
done
echo "# integration tests took $((SECONDS - suite_start)) s"
echo "integration: $passed passed, $failed failed, 0 skipped"
[ $failed = 0 ]
