# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# memleakd itself: clean under valgrind and under ASan/UBSan.
# Sourced by tests/integration/run.sh, after lib.sh.

# The daemon itself leaks nothing and makes no memory errors (valgrind).
test_valgrind_clean() {
	command -v valgrind >/dev/null || fail "valgrind not installed"
	start_fixture leaker malloc 100
	ML_WRAPPER="valgrind --quiet --suppressions=tests/valgrind.supp --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99" \
		start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$WORK/vg.folded"
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^leaked' 30 || fail "fixture did not finish:" "$(cat "$FIXTURE_OUT")"
	sleep 1.5
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 60 || fail "memleakd under valgrind did not exit"
	[ "$EXIT_CODE" = 0 ] || fail "valgrind: exit code $EXIT_CODE; stderr:" "$(cat "$ML_ERR")"
	grep -q "leak_inner" "$WORK/vg.folded" || fail "under valgrind the leak was not reported"
}

# The sanitizer build traces a leak with no ASan/UBSan report.
test_sanitizer_build() {
	MEMLEAKD="$BUILD/memleakd-san" check_allocator realloc
	! grep -qE "ERROR: AddressSanitizer|runtime error:" "$ML_ERR" || fail "sanitizer report:" "$(cat "$ML_ERR")"
}
