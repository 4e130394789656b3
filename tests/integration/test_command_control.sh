# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Command mode's process control: the command as another user (--user);
# nothing the command started runs on once memleakd leaves (-d expiry, a
# second SIGTERM, or the command's exit with children still running); a
# second SIGINT or SIGTERM ends memleakd even when the command ignores them.
# Sourced by tests/integration/run.sh, after lib.sh.

# expect_gone PID WHAT: fails unless PID is gone (or a zombie) within 2 s.
expect_gone() {
	local pid=$1 what=$2 state i
	for ((i = 0; i < 40; i++)); do
		state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
		[ -z "$state" ] || [ "$state" = Z ] && return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null # not left behind for the next tests
	fail "$what (pid $pid) still running after memleakd's exit"
}

# The first SIGTERM goes to the command (which ignores it here); the second
# ends memleakd, with its final report, and the whole tree: the background
# sleep ignores SIGTERM too (inherited), so it takes the SIGKILL after the grace.
test_command_second_sigterm_ends_tree() {
	local out="$WORK/tree.out" err="$WORK/tree.err" pid bg
	"$MEMLEAKD" -f -- sh -c 'trap "" INT TERM; sleep 60 & echo "bg $!"; wait' \
		>"$out" 2>"$err" </dev/null &
	pid=$!
	track_pid "$pid"
	wait_for "$out" '^bg [0-9]+$' 20 || fail "command did not start:" "$(cat "$err")"
	bg=$(awk '/^bg/ {print $2}' "$out")
	track_pid "$bg"
	kill -TERM "$pid"
	sleep 0.5
	kill -0 "$pid" 2>/dev/null || fail "memleakd ended at the first SIGTERM:" "$(cat "$err")"
	kill -TERM "$pid"
	wait_exit "$pid" 20 || fail "memleakd still running 20 s after a second SIGTERM"
	expect_eq "exit code (the command did not end)" 11 "$EXIT_CODE" "$(cat "$err")"
	grep -q "final report" "$out" || fail "no final report:" "$(cat "$out")"
	expect_gone "$bg" "the command's background sleep"
	grep -Eq "ended [0-9]+ processes of the command still running at exit \(SIGTERM; [1-9][0-9]* needed SIGKILL" "$err" ||
		fail "no line about the processes ended:" "$(cat "$err")"
}

# The same with SIGINT (Ctrl-C reaches the command too; the second one counts).
test_command_second_sigint_ends_run() {
	local out="$WORK/int.out" err="$WORK/int.err" pid
	"$MEMLEAKD" -- sh -c 'trap "" INT TERM; echo started; sleep 60' >"$out" 2>"$err" </dev/null &
	pid=$!
	track_pid "$pid"
	wait_for "$out" '^started$' 20 || fail "command did not start:" "$(cat "$err")"
	kill -INT "$pid"
	sleep 0.5
	kill -0 "$pid" 2>/dev/null || fail "memleakd ended at the first SIGINT:" "$(cat "$err")"
	kill -INT "$pid"
	wait_exit "$pid" 20 || fail "memleakd still running 20 s after a second SIGINT"
	expect_eq "exit code (the command did not end)" 11 "$EXIT_CODE" "$(cat "$err")"
	grep -q "final report" "$out" || fail "no final report:" "$(cat "$out")"
}

# -d expiry: the command gets SIGTERM (its trap runs) and the grace period;
# its background child and a grandchild orphaned to memleakd (the subreaper)
# are ended too.
test_command_duration_ends_tree() {
	local bg orphan
	run_command 11 -i 0.5 -d 1 -- sh -c 'sleep 60 & echo "bg $!"
		sh -c "sleep 61 & echo orphan \$!"
		trap "echo term trap; exit 0" TERM
		wait'
	bg=$(awk '/^bg/ {print $2}' "$CMD_OUT")
	orphan=$(awk '/^orphan/ {print $2}' "$CMD_OUT")
	[ -n "$bg" ] && [ -n "$orphan" ] || fail "the command did not start its children:" "$(cat "$CMD_OUT")"
	expect_gone "$bg" "the command's background child"
	expect_gone "$orphan" "the orphaned grandchild"
	grep -q "^term trap$" "$CMD_OUT" || fail "the command was not given SIGTERM first:" "$(cat "$CMD_OUT")"
	grep -q "ended 3 processes of the command" "$CMD_ERR" || fail "unexpected count:" "$(cat "$CMD_ERR")"
}

# The command exits leaving a background process: it does not run on untraced.
test_command_exit_ends_leftovers() {
	local bg
	run_command 0 -- sh -c 'sleep 60 & echo "bg $!"'
	bg=$(awk '/^bg/ {print $2}' "$CMD_OUT")
	[ -n "$bg" ] || fail "the command did not start its child:" "$(cat "$CMD_OUT")"
	expect_gone "$bg" "the command's leftover child"
}

# --user: the command runs with the user's uid and groups, HOME, USER and
# LOGNAME (like su); memleakd stays root.
test_command_user() {
	local uid gid home
	uid=$(id -u nobody) && gid=$(id -g nobody) || fail "no user nobody on this system"
	home=$(getent passwd nobody | cut -d: -f6)
	run_command 0 --user nobody -- sh -c 'id -u; id -g; echo "$HOME $USER $LOGNAME"'
	expect_eq "uid" "$uid" "$(sed -n 1p "$CMD_OUT")" "$(cat "$CMD_ERR")"
	expect_eq "gid" "$gid" "$(sed -n 2p "$CMD_OUT")"
	expect_eq "HOME USER LOGNAME" "$home nobody nobody" "$(sed -n 3p "$CMD_OUT")"
	run_command 0 --user "$uid" -- id -u
	expect_eq "uid (given as a number)" "$uid" "$(sed -n 1p "$CMD_OUT")"
	# Traced as any other command: its allocations are seen.
	run_command 0 --user nobody -- sh -c 'ls / >/dev/null'
	grep -Eq "since attach [1-9][0-9]* allocations" "$CMD_OUT" || fail "nothing traced as nobody:" "$(cat "$CMD_OUT")"
}

test_command_user_unknown() {
	expect_error 5 "no user 'memleakd-no-such-user' \(--user\)" --user memleakd-no-such-user -- true
	expect_error 2 "--user sets who runs the command" --user nobody
}
