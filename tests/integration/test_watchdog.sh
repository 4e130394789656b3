# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The watchdog (src/watchdog.c): a process BPF holds at exec is continued
# even when memleakd is SIGKILLed before it could do so. Sourced by run.sh.

# state_of PID: the state letter of /proc/PID/stat ("" when gone).
state_of() {
	sed -n 's/.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null
}

# wait_state PID WANT|!WANT SECONDS: until PID's state is (or is not) WANT.
wait_state() {
	local pid=$1 want=$2 i now
	for ((i = 0; i < $3 * 10; i++)); do
		now=$(state_of "$pid")
		if [[ $want == !* ]]; then
			[ "$now" != "${want#!}" ] && return 0
		else
			[ "$now" = "$want" ] && return 0
		fi
		sleep 0.1
	done
	return 1
}

test_watchdog_continues_held_after_sigkill() {
	local started="$WORK/watch.started" go="$WORK/watch.go" pf="$WORK/watch.pid" err="$WORK/watch.err"
	local ml held
	rm -f "$started" "$go" "$pf"
	# Shell builtins only until the child: nothing else of the command execs (and is held).
	"$MEMLEAKD" -f -i 1 -- sh -c "echo go > $started; while [ ! -e $go ]; do :; done; sleep 8 & echo \$! > $pf; wait" \
		>/dev/null 2>"$err" </dev/null &
	ml=$!
	track_pid "$ml"
	wait_for "$started" '^go' 20 || fail "the command did not start:" "$(cat "$err")"
	# memleakd stalls: the exec of sleep is held, and nobody handles its record.
	kill -STOP "$ml"
	touch "$go"
	wait_for "$pf" '^[0-9]' 10 || fail "the command did not start its child"
	held=$(cat "$pf")
	track_pid "$held"
	wait_state "$held" T 5 || fail "pid $held was not held at exec (state $(state_of "$held"))"
	kill -KILL "$ml"
	wait_state "$held" '!T' 10 ||
		fail "pid $held still stopped 10 s after memleakd was killed:" "$(cat "$err")"
	grep -q 'watchdog: memleakd exited holding' "$err" ||
		fail "the watchdog did not say what it did:" "$(cat "$err")"
}
