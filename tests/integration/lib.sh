# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Helpers for the integration tests: start fixtures and memleakd, wait for
# their readiness lines, and assert with messages that say expected vs got.
#
# run.sh runs each test function in a subshell of its own. fail prints its
# message and ends the test there, so a check is one line:
#
#	grep -q "final report" "$ML_OUT" || fail "no final report:" "$(cat "$ML_OUT")"
#	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
#
# The helpers that start or wait for something (start_fixture, start_memleakd,
# finish_traced, run_command, expect_error, only_blamed) fail the test
# themselves. A process a test starts in the background goes to track_pid:
# run.sh kills it when the test ends, passed or not.

: "${BUILD:=build}"
: "${MEMLEAKD:=./memleakd}"
FIX="$BUILD/fixtures"
WORK=$(mktemp -d /tmp/memleakd-it.XXXXXX)
PIDS_FILE="$WORK/pids"
# Made by fail: the test failed, even when fail ran in a nested subshell ($(...), a pipe).
FAILED_MARK="$WORK/test.failed"

# track_pid PID: killed when the current test ends.
track_pid() {
	echo "$1" >>"$PIDS_FILE"
}

# kill_tracked: SIGKILL to every tracked process, then forgets them.
kill_tracked() {
	local p
	[ -e "$PIDS_FILE" ] || return 0
	while read -r p; do
		kill -KILL "$p" 2>/dev/null
	done <"$PIDS_FILE"
	rm -f "$PIDS_FILE"
}

MAIN_SHELL=$BASHPID
cleanup_all() {
	# Forked children (a fixture before its exec) inherit the trap: only the main shell cleans.
	[ "$BASHPID" = "$MAIN_SHELL" ] || return 0
	kill_tracked
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup_all EXIT

# fail MESSAGE...: prints the message and ends the test (its subshell) as failed.
fail() {
	echo "$*"
	# The driver prints the reason again right under "not ok", where a shortened log keeps it.
	printf '%s\n' "$*" | head -c 2000 >>"$FAILED_MARK"
	exit 1
}

# expect_eq WHAT EXPECTED GOT [CONTEXT...]: fails with "WHAT: expected E, got G" unless equal.
expect_eq() {
	[ "$2" = "$3" ] && return 0
	fail "$1: expected $2, got $3" "${@:4}"
}

# wait_for FILE REGEX [SECONDS]: 0 once a line of FILE matches.
wait_for() {
	local file=$1 regex=$2 limit=${3:-20} i
	for ((i = 0; i < limit * 20; i++)); do
		grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# start_fixture NAME ARGS...: sets FIXTURE_PID and FIXTURE_OUT.
start_fixture() {
	local name=$1
	shift
	FIXTURE_OUT="$WORK/$name.$RANDOM.out"
	"$FIX/$name" "$@" >"$FIXTURE_OUT" 2>&1 &
	FIXTURE_PID=$!
	track_pid "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^ready' 10 || fail "fixture $name did not start:" "$(cat "$FIXTURE_OUT")"
}

# start_memleakd ARGS...: sets ML_PID, ML_OUT, ML_ERR; waits for "ready".
start_memleakd() {
	ML_OUT="$WORK/ml.$RANDOM.out"
	ML_ERR="$WORK/ml.$RANDOM.err"
	${ML_WRAPPER:-} "$MEMLEAKD" "$@" >"$ML_OUT" 2>"$ML_ERR" &
	ML_PID=$!
	track_pid "$ML_PID"
	wait_for "$ML_ERR" '^memleakd: ready' 60 ||
		fail "memleakd did not get ready; stderr:" "$(sed 's/^/    /' "$ML_ERR")"
}

# finish_traced REGEX: SIGUSR1 starts the fixture's work; once its output
# matches REGEX and the last records have drained, memleakd is stopped with
# SIGINT (EXIT_CODE set) and has written its final outputs.
finish_traced() {
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" "$1" 30 || fail "fixture did not print '$1':" "$(cat "$FIXTURE_OUT")"
	sleep 0.5
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT:" "$(stuck_report "$ML_PID" "$ML_ERR")"
}

# stuck_report PID ERRFILE: what a memleakd that does not exit is doing: the
# end of its stderr and every thread's backtrace (for a failure message).
stuck_report() {
	echo "stderr (last lines):"
	tail -n 15 "$2" 2>/dev/null
	echo "backtraces:"
	timeout 20 gdb -q -batch -p "$1" -ex "thread apply all bt 12" 2>/dev/null | grep -E '^(Thread|#)' | head -n 60
}

# wait_exit PID SECONDS: sets EXIT_CODE; 1 if still running after SECONDS.
wait_exit() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			EXIT_CODE=$?
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# leaked_bytes: the "leaked N" line of the current fixture.
leaked_bytes() {
	awk '/^leaked/ {print $2}' "$FIXTURE_OUT"
}

# folded_bytes FILE PATTERN: sum of the values of the lines matching PATTERN.
folded_bytes() {
	awk -v pat="$2" 'index($0, pat) { sum += $NF } END { print sum + 0 }' "$1"
}

# within PCT EXPECTED GOT: 0 if |got - expected| <= pct% of expected.
within() {
	awk -v pct="$1" -v e="$2" -v g="$3" 'BEGIN { d = g - e; if (d < 0) d = -d; exit !(e > 0 && d * 100 <= pct * e) }'
}

# expect_error CODE REGEX ARGS...: memleakd exits with CODE and says REGEX on stderr.
expect_error() {
	local code=$1 regex=$2 err="$WORK/err.$RANDOM"
	shift 2
	timeout 30 "$MEMLEAKD" "$@" >/dev/null 2>"$err"
	EXIT_CODE=$?
	[ "$EXIT_CODE" = "$code" ] || fail "memleakd $*: exit code expected $code, got $EXIT_CODE; stderr: $(cat "$err")"
	grep -Eq -- "$regex" "$err" || fail "memleakd $*: stderr lacks /$regex/: $(cat "$err")"
	[ "$(wc -l <"$err")" -le 2 ] || fail "memleakd $*: expected a one-line error, got: $(cat "$err")"
}

# run_command CODE ARGS...: memleakd ARGS (a command after --) exits with CODE;
# sets CMD_OUT (stdout) and CMD_ERR (stderr).
run_command() {
	local code=$1
	shift
	CMD_OUT="$WORK/cmd.$RANDOM.out"
	CMD_ERR="$WORK/cmd.$RANDOM.err"
	timeout 60 "$MEMLEAKD" "$@" >"$CMD_OUT" 2>"$CMD_ERR" </dev/null
	EXIT_CODE=$?
	[ "$EXIT_CODE" = "$code" ] ||
		fail "memleakd $*: exit code expected $code, got $EXIT_CODE; stderr:" "$(cat "$CMD_ERR")" "stdout:" "$(cat "$CMD_OUT")"
}

# blamed FOLDED FUNCTION: the bytes the folded file gives stacks through FUNCTION.
blamed() {
	awk -v fn="$2" 'index($0, ";" fn ";") || index($0, ";" fn " ") { sum += $NF } END { print sum + 0 }' "$1"
}

# only_blamed FOLDED FUNCTION BYTES [FUNCTION BYTES...]: exactly these functions
# hold memory outside suppressed stacks, with these bytes; nothing else does.
only_blamed() {
	local folded=$1 total=0 fn bytes got all
	shift
	while [ $# -gt 0 ]; do
		fn=$1 bytes=$2
		shift 2
		got=$(blamed "$folded" "$fn")
		[ "$got" = "$bytes" ] || fail "$fn: expected $bytes B, got $got; folded:" "$(cat "$folded")"
		total=$((total + bytes))
	done
	# Suppressed stacks (libc's stdio buffers, loader tables) are not blamed.
	all=$(grep -vE '_IO_file_doallocate|_dl_non_dynamic_init|_dl_init|call_init' "$folded" | awk '{s += $NF} END {print s + 0}')
	[ "$all" = "$total" ] || fail "expected $total B blamed in all, got $all; folded:" "$(cat "$folded")"
}
