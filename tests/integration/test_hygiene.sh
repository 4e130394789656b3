# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# memleakd itself: clean under valgrind and under ASan/UBSan.
# Sourced by tests/integration/run.sh, after lib.sh.

# The daemon itself leaks nothing and makes no memory errors (valgrind),
# every output on, tracing a C leaker and a Go program at once (no malloc
# provider: the path of describe_target's leak, goroutines and a heap). One
# run under valgrind for both (CI time: it was one run each).
test_valgrind_clean() {
	local leaker leaker_out out="$WORK/vg" i
	command -v valgrind >/dev/null || fail "valgrind not installed"
	start_fixture leaker malloc 100
	leaker=$FIXTURE_PID leaker_out=$FIXTURE_OUT
	start_go gheap-1.23
	ML_WRAPPER="valgrind --quiet --suppressions=tests/valgrind.supp --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99" \
		start_memleakd -p "$leaker" -p "$FIXTURE_PID" -i 1 --folded "$out.folded" --json "$out.json" \
		--pprof "$out.pb.gz" --svg "$out.svg"
	kill -USR1 "$leaker"
	wait_for "$leaker_out" '^leaked' 30 || fail "fixture did not finish:" "$(cat "$leaker_out")"
	# Six intervals written (the Go run's -d 6 of before), the leak in the last ones.
	for ((i = 0; i < 90 * 10; i++)); do
		[ "$(wc -l <"$out.json")" -ge 6 ] && break
		sleep 0.1
	done
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 90 || fail "memleakd under valgrind did not exit"
	[ "$EXIT_CODE" = 0 ] || fail "valgrind: exit code $EXIT_CODE; stderr:" "$(cat "$ML_ERR")"
	grep -q "leak_inner" "$out.folded" || fail "under valgrind the leak was not reported"
	grep -q '"kind":"goroutine"' "$out.json" || fail "gheap-1.23: under valgrind no goroutine stack"
}

# The sanitizer build traces a leak with no ASan/UBSan report.
test_sanitizer_build() {
	MEMLEAKD="$BUILD/memleakd-san" check_allocator realloc
	! grep -qE "ERROR: AddressSanitizer|runtime error:" "$ML_ERR" || fail "sanitizer report:" "$(cat "$ML_ERR")"
}
