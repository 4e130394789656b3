# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Command mode (memleakd -- CMD): verdicts and exit codes, the command's
# own failure, its stdin/stdout and signals, -f across fork and exec.
# Sourced by tests/integration/run.sh, after lib.sh.

# A command that leaks: --fail-on-leaks exits 10 and names what it lost; the
# leaking function is blamed for exactly what it leaked, nothing else is.
# lifecycle's global 'sink' still points to the last of the 3 blocks: 2 are
# definitely lost, 1 still reachable.
test_command_leaks() {
	local folded="$WORK/cmd.folded"
	run_command 10 --fail-on-leaks --folded "$folded" -- "$FIX/lifecycle" leak 3
	grep -Eq "LEAKS: [0-9,]+ bytes definitely lost in [0-9]+ blocks? .*\(--fail-on-leaks\); the command exited with status 0$" "$CMD_ERR" ||
		fail "no leak verdict:" "$(cat "$CMD_ERR")"
	only_blamed "$folded" cmd_leak 3000
	grep -q "final report.*(lifecycle) exited" "$CMD_OUT" || fail "no final report at the command's exit:" "$(cat "$CMD_OUT")"
	# Under the threshold it passes.
	run_command 0 --fail-on-leaks=4k -- "$FIX/lifecycle" leak 3
	grep -q "under the gate: .* (--fail-on-leaks=4096); the command exited with status 0$" "$CMD_ERR" ||
		fail "no 'under the gate' verdict:" "$(cat "$CMD_ERR")"
	# =reachable: every block not freed counts, as the old gate did.
	run_command 10 --fail-on-leaks=reachable -- "$FIX/lifecycle" leak 3
	grep -q "LEAKS: .* (--fail-on-leaks=reachable); the command exited with status 0$" "$CMD_ERR" ||
		fail "no =reachable verdict:" "$(cat "$CMD_ERR")"
	# --no-exit-scan: nothing classifies the blocks; the gate counts them as lost.
	run_command 10 --no-exit-scan --fail-on-leaks -- "$FIX/lifecycle" leak 3
	grep -q "LEAKS: 3,000 bytes in 3 blocks no scan classified (counted as lost) (--fail-on-leaks)" "$CMD_ERR" ||
		fail "unclassified blocks not counted as lost:" "$(cat "$CMD_ERR")"
	# --error-exitcode: the status when leaks are found, and alone it turns the gate on.
	run_command 42 --error-exitcode 42 -- "$FIX/lifecycle" leak 3
}

test_command_no_leaks() {
	local folded="$WORK/clean.folded"
	run_command 0 --fail-on-leaks --folded "$folded" -- "$FIX/lifecycle" leak 0
	grep -q "^memleakd: no leaks: .* at exit; the command exited with status 0$" "$CMD_ERR" ||
		fail "unexpected verdict:" "$(cat "$CMD_ERR")"
	only_blamed "$folded"
	# The command's allocations were seen, from its first one: churn's 50 pairs at least.
	grep -Eq "since attach [0-9]+ allocations, [0-9]+ frees" "$CMD_OUT" &&
		[ "$(sed -n 's/.*since attach \([0-9]*\) allocations, \([0-9]*\) frees.*/\2/p' "$CMD_OUT" | tail -1)" -ge 50 ] ||
		fail "fewer than 50 frees seen:" "$(grep 'since attach' "$CMD_OUT")"
}

# Exit statuses as valgrind's --error-exitcode and LSan's exitcode give them:
# no leaks, the command's own status passes through (128+N for signal N);
# leaks, the leak code whatever the command returned.
test_command_failure() {
	# 'lifecycle fail' exits 3 with its one 1000 B block still reachable from a global.
	run_command 3 --fail-on-leaks -- "$FIX/lifecycle" fail
	grep -q "^memleakd: no leaks: .*; the command exited with status 3$" "$CMD_ERR" ||
		fail "status not reported:" "$(cat "$CMD_ERR")"
	# A failing command that leaked is not hidden by its failure.
	run_command 10 --fail-on-leaks=reachable -- "$FIX/lifecycle" fail
	grep -q "LEAKS: .*; the command exited with status 3$" "$CMD_ERR" || fail "verdict:" "$(cat "$CMD_ERR")"
	run_command 10 --no-exit-scan --fail-on-leaks -- "$FIX/lifecycle" fail
	# --error-exitcode 0: leaks are said, the status stays the command's.
	run_command 3 --fail-on-leaks=reachable --error-exitcode 0 -- "$FIX/lifecycle" fail
	grep -q "LEAKS: .*; the command exited with status 3$" "$CMD_ERR" || fail "verdict:" "$(cat "$CMD_ERR")"
	# A test runner's 77 ("skipped") survives the gate; no gate, any status passes.
	run_command 77 --fail-on-leaks -- sh -c 'exit 77'
	run_command 3 -- "$FIX/lifecycle" fail
	run_command 139 -- sh -c 'kill -SEGV $$'
	grep -q "killed by signal 11" "$CMD_ERR" || fail "signal not reported:" "$(cat "$CMD_ERR")"
	expect_error 5 "cannot run '/nonexistent/cmd': No such file or directory" -- /nonexistent/cmd
}

# stdin and stdout pass through; SIGTERM sent to memleakd reaches the command,
# and memleakd still prints its report when the command is gone.
test_command_io_and_signals() {
	local out="$WORK/echo.out" err="$WORK/wait.err" pid
	echo "through the pipe" | "$MEMLEAKD" -- "$FIX/lifecycle" echo >"$out" 2>/dev/null
	EXIT_CODE=$?
	[ "$EXIT_CODE" = 0 ] || fail "echo: exit code $EXIT_CODE"
	grep -q "^through the pipe$" "$out" || fail "stdin did not reach stdout:" "$(cat "$out")"
	"$MEMLEAKD" -- "$FIX/lifecycle" wait >"$out" 2>"$err" &
	pid=$!
	track_pid "$pid"
	wait_for "$out" '^waiting' 20 || fail "command did not start:" "$(cat "$err")"
	kill -TERM "$pid"
	wait_exit "$pid" 20 || fail "memleakd did not end after SIGTERM"
	expect_eq "exit code (128 + SIGTERM)" 143 "$EXIT_CODE"
	grep -q "killed by signal 15" "$err" || fail "SIGTERM not passed on:" "$(cat "$err")"
	grep -q "final report" "$out" || fail "no final report"
}

# -f: a forked child is traced from its first allocation; without -f it is not.
test_follow_fork() {
	local folded="$WORK/fork.folded"
	run_command 0 -f --folded "$folded" -- "$FIX/lifecycle" fork
	only_blamed "$folded" parent_leak 500 child_leak 2000
	grep -Eq "^lifecycle;.*child_leak" "$folded" || fail "child_leak not attributed to the child:" "$(cat "$folded")"
	run_command 0 --folded "$folded" -- "$FIX/lifecycle" fork
	only_blamed "$folded" parent_leak 500
}

# -f across exec: the child's pre-exec memory goes with its old image; the new
# image's allocator is probed before it runs, even a static binary's own malloc.
test_follow_exec() {
	local folded="$WORK/exec.folded" image
	for image in lifecycle lifecycle-static lifecycle-musl; do
		run_command 0 -v -f --folded "$folded" -- "$FIX/lifecycle" exec "$FIX/$image"
		only_blamed "$folded" parent_leak 500 cmd_leak 2000
		# -v names the exec and the new image (its comm: 15 characters at most).
		grep -q "pid [0-9]* exec'd ${image:0:15}$" "$CMD_ERR" ||
			fail "$image: no exec message:" "$(cat "$CMD_ERR")"
	done
}

# The gate's options are checked before anything loads: exit 2, one line naming cause and fix.
test_command_gate_usage() {
	expect_error 2 "--fail-on-leaks needs a command \('memleakd --fail-on-leaks -- COMMAND'\)" --fail-on-leaks -p 1
	expect_error 2 "--error-exitcode needs a command" --error-exitcode 3
	expect_error 2 "invalid --error-exitcode '256': give a status from 0 to 255" --error-exitcode 256 -- true
	expect_error 2 "invalid --fail-on-leaks '0'" --fail-on-leaks=0 -- true
	expect_error 2 "invalid --scan '0'" --scan 0 -- true
	expect_error 2 "--scan-max-bytes bounds scans" --no-exit-scan --scan-max-bytes 1G -- true
}
