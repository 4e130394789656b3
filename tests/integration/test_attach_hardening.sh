# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Attach hardening (issue 12): a -p target caught before or during its exec,
# probes attached through memleakd's own descriptor of the file read, and
# emulated processes (valgrind) warned about under file-wide probes.
# Sourced by tests/integration/run.sh, after lib.sh.

# ml_ready_or_exit ERR PID: 0 once memleakd says ready, 1 when it exited first.
ml_ready_or_exit() {
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -q '^memleakd: ready' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# `sh -c 'exec prog' & memleakd -p $!`: memleakd may read the shell's maps,
# or the new image's before its loader mapped libc; it must wait, read them
# again and trace the program, every time.
test_attach_before_exec() {
	local i out err delay
	for ((i = 1; i <= 10; i++)); do
		out="$WORK/exec.$i.out" err="$WORK/exec.$i.err"
		# Half the runs exec at once, half a little later (while memleakd loads).
		delay=$((i % 2 ? 0 : i * 10))
		bash -c "sleep 0.$(printf %03d $delay); exec '$FIX/leaker' malloc 10 --exit" >"$out" 2>&1 &
		FIXTURE_PID=$!
		track_pid "$FIXTURE_PID"
		timeout 60 "$MEMLEAKD" -p "$FIXTURE_PID" -i 1 >"$WORK/exec.$i.report" 2>"$err" &
		ML_PID=$!
		track_pid "$ML_PID"
		ml_ready_or_exit "$err" "$ML_PID" ||
			fail "run $i: memleakd did not get ready:" "$(cat "$err")"
		wait_for "$out" '^ready' 20 || fail "run $i: leaker did not start:" "$(cat "$out")"
		kill -USR1 "$FIXTURE_PID"
		wait_exit "$ML_PID" 30 || fail "run $i: memleakd did not end with its target"
		expect_eq "run $i: exit code" 0 "$EXIT_CODE" "$(cat "$err")"
		grep -q "tracing pid $FIXTURE_PID (leaker) through" "$err" ||
			fail "run $i: not traced as leaker:" "$(cat "$err")"
		grep -q leak_inner "$WORK/exec.$i.report" ||
			fail "run $i: leak not reported:" "$(cat "$WORK/exec.$i.report")" "$(cat "$err")"
	done
}
