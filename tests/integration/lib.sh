# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Helpers for the integration tests: start fixtures and memleakd, wait for
# their readiness lines, and assert with messages that say expected vs got.

: "${BUILD:=build}"
: "${MEMLEAKD:=./memleakd}"
FIX="$BUILD/fixtures"
WORK=$(mktemp -d /tmp/memleakd-it.XXXXXX)
PIDS_TO_KILL=()

MAIN_SHELL=$BASHPID
cleanup_all() {
	local p
	# Forked children (a fixture before its exec) inherit the trap: only the main shell cleans.
	[ "$BASHPID" = "$MAIN_SHELL" ] || return 0
	for p in "${PIDS_TO_KILL[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup_all EXIT

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
	PIDS_TO_KILL+=("$FIXTURE_PID")
	wait_for "$FIXTURE_OUT" '^ready' 10 || { echo "fixture $name did not start"; return 1; }
}

# start_memleakd ARGS...: sets ML_PID, ML_OUT, ML_ERR; waits for "ready".
start_memleakd() {
	ML_OUT="$WORK/ml.$RANDOM.out"
	ML_ERR="$WORK/ml.$RANDOM.err"
	${ML_WRAPPER:-} "$MEMLEAKD" "$@" >"$ML_OUT" 2>"$ML_ERR" &
	ML_PID=$!
	PIDS_TO_KILL+=("$ML_PID")
	if ! wait_for "$ML_ERR" '^memleakd: ready' 60; then
		echo "memleakd did not get ready; stderr:"
		sed 's/^/    /' "$ML_ERR"
		return 1
	fi
}

# finish_traced REGEX: SIGUSR1 starts the fixture's work; once its output
# matches REGEX and the last records have drained, memleakd is stopped with
# SIGINT (EXIT_CODE set) and has written its final outputs.
finish_traced() {
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" "$1" 30 || fail "fixture did not print '$1':" "$(cat "$FIXTURE_OUT")" || return 1
	sleep 0.5
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT" || return 1
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

fail() {
	echo "$*"
	return 1
}
