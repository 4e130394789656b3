# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Refusals: one-line errors with the documented exit codes.
# Sourced by tests/integration/run.sh, after lib.sh.

test_dead_pid() {
	local pid
	sleep 0 & pid=$!
	wait "$pid"
	expect_error 5 "no process with PID $pid" -p "$pid"
}

test_pid_without_malloc() {
	"$FIX/no_malloc" & local pid=$!
	track_pid "$pid"
	sleep 0.2
	expect_error 5 "no object that defines malloc" -p "$pid"
}

test_unwritable_folded() {
	start_fixture leaker malloc 1
	expect_error 6 "cannot write --folded file '/nonexistent-dir/x.folded'" \
		-p "$FIXTURE_PID" --folded /nonexistent-dir/x.folded
	expect_error 6 "cannot write --folded file '$WORK'" -p "$FIXTURE_PID" --folded "$WORK"
}

test_bad_options() {
	expect_error 2 "invalid PID 'abc'" -p abc
	expect_error 2 "cannot be combined" -p 1 -- true
	expect_error 2 "invalid interval '0'" -p 1 -i 0
	expect_error 2 "unknown" -p 1 --no-such-option
}

test_not_root() {
	local err="$WORK/notroot.err"
	start_fixture leaker malloc 1
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$MEMLEAKD" -p "$FIXTURE_PID" >/dev/null 2>"$err"
	EXIT_CODE=$?
	[ "$EXIT_CODE" = 3 ] || fail "as nobody: exit code expected 3, got $EXIT_CODE: $(cat "$err")"
	grep -q "missing privileges (CAP_BPF" "$err" || fail "as nobody: unexpected message: $(cat "$err")"
}
