# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Processes held at exec, exited without a record, stopped by someone else,
# and PIDs reused (issue 12: audit findings 8, 10, 11, 14). Sourced by run.sh.
#
# MEMLEAKD_TEST_DROP_RECORDS=exit,fork,exec,ready (test only) makes the BPF
# side lose those lifecycle records as if its ring buffers were full.

# stall_memleakd PID FIXTURE_PID SECONDS: memleakd stopped (a slow snapshot,
# say) while the fixture, told to go, forks 0.5 s into the stall.
stall_memleakd() {
	kill -STOP "$1"
	kill -USR1 "$2"
	sleep "$3"
	kill -CONT "$1"
}

# process_state PID: the state letter of /proc/PID/stat ("" when gone).
process_state() {
	sed -n 's/.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null
}

# Finding 8: a full ring buffer must not leave an exec'ing child stopped for good.
test_exec_hold_full_ringbuf() {
	local status="$WORK/lifeflood.status" out="$WORK/hold.out" err="$WORK/hold.err" ml fixture child
	rm -f "$status" # another test's "flooding PID" line would name a process long gone
	"$MEMLEAKD" -f --ringbuf 1M -i 1 -- "$FIX/lifeflood" exec "$status" >"$out" 2>"$err" </dev/null &
	ml=$!
	track_pid "$ml"
	wait_for "$status" '^flooding' 30 || fail "the command did not start:" "$(cat "$err")"
	fixture=$(awk '/^flooding/ {print $2}' "$status")
	track_pid "$fixture"
	stall_memleakd "$ml" "$fixture" 1.5
	if ! wait_exit "$ml" 20; then
		child=$(awk '$1 == "child" {print $2}' "$status")
		[ -n "$child" ] && track_pid "$child"
		fail "the command did not finish within 20 s; child $child in state" \
			"$(process_state "$child")" "status:" "$(cat "$status")" "stderr:" "$(cat "$err")"
	fi
	grep -q '^child done' "$status" || fail "the child was not reaped:" "$(cat "$status")"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$err")"
	# The flood overran the buffer: the loss line says so.
	grep -Eq '^lost: ringbuf drops [1-9]' "$out" ||
		fail "no ringbuf drops in the loss line:" "$(grep -E '^lost' "$out")"
	grep -E '^lost:' "$out" | tail -1 | sed 's/^/# /'
	grep -E '^lost to' "$out" | tail -1 | sed 's/^/# /'
}

# Finding 8: with no room for the EXEC record, the process is not held at all, and that is counted.
test_exec_not_held_counted() {
	local out="$WORK/noheld.out" err="$WORK/noheld.err"
	MEMLEAKD_TEST_DROP_RECORDS=exec timeout 20 "$MEMLEAKD" -f -- sh -c "$FIX/lifecycle leak 1" \
		>"$out" 2>"$err" </dev/null
	EXIT_CODE=$?
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$err")"
	grep -Eq '^lost to lifecycles: .* [1-9][0-9]* execs not held' "$out" ||
		fail "no execs not held counted:" "$(grep -E '^lost' "$out")"
}

# Finding 8: a hold whose record goes unhandled (MEMLEAKD_TEST_IGNORE_READY,
# test only: READY records are ignored) ends after about 1 s, counted.
test_exec_hold_swept() {
	local out="$WORK/swept.out" err="$WORK/swept.err"
	MEMLEAKD_TEST_IGNORE_READY=1 timeout 20 "$MEMLEAKD" -f -- "$FIX/lifecycle" leak 1 \
		>"$out" 2>"$err" </dev/null
	EXIT_CODE=$?
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$err")"
	grep -Eq '^lost to lifecycles: .* [1-9][0-9]* exec holds expired' "$out" ||
		fail "no expired hold counted:" "$(grep -E '^lost' "$out")" "$(cat "$err")"
	grep -q "held (at fork, exec or the loader.s hook) for more than 1 s" "$err" || fail "no warning:" "$(cat "$err")"
}

# Finding 10: a child whose EXIT record is lost is still found exited. The
# audit lost it to a full ring buffer during a stall; the lifecycle ring
# buffer keeps it now, so the test drops it on purpose.
test_child_exit_record_lost() {
	local status="$WORK/lifeflood.status" child
	rm -f "$status"
	"$FIX/lifeflood" exit "$status" >/dev/null 2>&1 &
	FLOOD_PID=$!
	track_pid "$FLOOD_PID"
	wait_for "$status" '^flooding' 10 || fail "lifeflood did not start"
	export MEMLEAKD_TEST_DROP_RECORDS=exit
	start_memleakd -p "$FLOOD_PID" -f -i 1 -d 4
	kill -USR1 "$FLOOD_PID"
	wait_for "$status" '^child [0-9]+ exited' 10 || fail "no child exited:" "$(cat "$status")"
	child=$(awk '$3 == "exited" {print $2}' "$status")
	wait_exit "$ML_PID" 30 || fail "memleakd did not end after -d"
	# Its 10 x 1000 B are not a living process's leak.
	grep -Eq "pid $child \(lifeflood\) exited; its allocations are dropped" "$ML_ERR" ||
		fail "child $child not marked exited; stderr:" "$(cat "$ML_ERR")" "stdout:" "$(cat "$ML_OUT")"
	sed -n '/final report/,$p' "$ML_OUT" >"$WORK/final.out"
	grep -q "final report" "$WORK/final.out" || fail "no final report:" "$(cat "$ML_OUT")"
	grep -Eq "pid $child " "$WORK/final.out" && fail "child $child still in the final report:" "$(cat "$WORK/final.out")"
	grep -Eq '^lost to lifecycles: .* [1-9][0-9]* exit records lost' "$WORK/final.out" ||
		fail "the lost exit record is not counted:" "$(grep -E '^lost' "$WORK/final.out")"
}

# Finding 14: a process the operator stopped stays stopped after memleakd leaves.
test_stopped_target_stays_stopped() {
	local pid state
	sleep 300 &
	pid=$!
	track_pid "$pid"
	# Stopped after its exec, not in the forked shell before it.
	wait_for "/proc/$pid/comm" '^sleep$' 5 || fail "sleep did not start"
	kill -STOP "$pid"
	wait_for "/proc/$pid/stat" ') T ' 5 || fail "sleep did not stop"
	timeout 30 "$MEMLEAKD" -p "$pid" -i 0.5 -d 1 >/dev/null 2>"$WORK/stopped.err"
	EXIT_CODE=$?
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$WORK/stopped.err")"
	state=$(process_state "$pid")
	expect_eq "state of the stopped sleep" T "$state"
}

# Finding 11: a PID reused after its process exited keeps that process's leaks in the verdict.
test_pid_reuse_keeps_leaks() {
	local folded="$WORK/reuse.folded" script
	# The leaker exits; the next child is made to take its PID (ns_last_pid = PID - 1).
	script="$FIX/lifecycle leak 4 & P=\$!; wait \$P; echo \$((P - 1)) > /proc/sys/kernel/ns_last_pid; /bin/true"
	run_command 10 -f --fail-on-leaks --folded "$folded" -- sh -c "$script"
	expect_eq "bytes blamed on cmd_leak" 4000 "$(blamed "$folded" cmd_leak)" "$(cat "$CMD_OUT")"
}
