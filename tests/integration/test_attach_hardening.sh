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
		timeout 60 "$MEMLEAKD" -v -p "$FIXTURE_PID" -i 1 >"$WORK/exec.$i.report" 2>"$err" &
		ML_PID=$!
		track_pid "$ML_PID"
		ml_ready_or_exit "$err" "$ML_PID" ||
			fail "run $i: memleakd did not get ready:" "$(cat "$err")"
		wait_for "$out" '^ready' 20 || fail "run $i: leaker did not start:" "$(cat "$out")"
		kill -USR1 "$FIXTURE_PID"
		wait_exit "$ML_PID" 30 || fail "run $i: memleakd did not end with its target"
		expect_eq "run $i: exit code" 0 "$EXIT_CODE" "$(cat "$err")"
		# Traced as leaker from the start, or as the shell and then through its
		# exec (the shell may still be sleeping when memleakd attaches, on a
		# loaded machine even in the runs meant to exec first).
		grep -Eq "tracing pid $FIXTURE_PID \(leaker\) through|pid $FIXTURE_PID exec'd leaker" "$err" ||
			fail "run $i: not traced as leaker:" "$(cat "$err")"
		grep -q leak_inner "$WORK/exec.$i.report" ||
			fail "run $i: leak not reported:" "$(cat "$WORK/exec.$i.report")" "$(cat "$err")"
	done
}

# start_valgrind OUT: a leaker under valgrind, waiting for SIGUSR1; sets VG_PID.
start_valgrind() {
	valgrind -q "$FIX/leaker" malloc 5 --exit >"$1" 2>&1 &
	VG_PID=$!
	track_pid "$VG_PID"
	wait_for "$1" '^ready' 60 || fail "leaker under valgrind did not start:" "$(cat "$1")"
}

# With -f on whole files (kernels without uprobe_multi links) the probes
# trap in every process mapping libc: a process under valgrind (whose JIT
# runs the int3 as its program's own) is named with a warning, whether it
# ran before memleakd started or started after. (Per-process probes leave
# it alone: test_perpid.sh.)
test_emulated_warning() {
	local before after
	command -v valgrind >/dev/null || fail "valgrind not installed"
	start_valgrind "$WORK/vg-before.out"
	before=$VG_PID
	start_fixture leaker malloc 5
	MEMLEAKD_TEST_FILE_WIDE=1 start_memleakd -p "$FIXTURE_PID" -f -i 1
	grep -q "warning: pid $before (memcheck-amd64-) runs under valgrind: it dies of SIGTRAP" "$ML_ERR" ||
		fail "no warning for pid $before, running before the start:" "$(cat "$ML_ERR")"
	# Started later it may die at the loader's hook before its first line: not waited for.
	valgrind -q "$FIX/leaker" malloc 5 --exit >"$WORK/vg-after.out" 2>&1 &
	after=$!
	track_pid "$after"
	wait_for "$ML_ERR" "warning: pid $after \(memcheck-amd64-\) runs under valgrind" 10 ||
		fail "no warning for pid $after, started later:" "$(cat "$ML_ERR")"
	[ "$(grep -c "pid $before (memcheck" "$ML_ERR")" = 1 ] ||
		fail "pid $before warned about more than once:" "$(cat "$ML_ERR")"
	# The -p target under valgrind: warned too, even without -f.
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit"
	start_valgrind "$WORK/vg-target.out"
	after=$VG_PID
	start_memleakd -p "$after" -i 1
	grep -q "warning: pid $after (memcheck-amd64-) runs under valgrind: it dies of SIGTRAP" "$ML_ERR" ||
		fail "no warning for the -p target under valgrind:" "$(cat "$ML_ERR")"
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit"
}

# victim_bytes PID ADDR: 5 bytes of PID's memory at ADDR, in hex.
victim_bytes() {
	python3 -c "import sys; f = open('/proc/$1/mem', 'rb'); f.seek(int('$2', 16)); print(f.read(5).hex())"
}

# Audit finding 1: a traced process maps another file over its "allocator"
# as soon as memleakd opens it. With -f the probes are on whole files: they
# must go on the file memleakd read, never on what the range holds by the
# time of the attach (here swap_victim, which nobody traces: a breakpoint
# on its immediate would make it print 112233cc).
test_swapped_file_not_probed() {
	local victim_out="$WORK/victim.out" addr victim attacker
	start_fixture swap_victim
	victim=$FIXTURE_PID victim_out=$FIXTURE_OUT
	addr=$(awk '/^ready/ {print $3; exit}' "$victim_out")
	expect_eq "victim's code" b844332211 "$(victim_bytes "$victim" "$addr")"
	start_fixture swap_attacker "$FIX/swap_fake" "$FIX/swap_victim"
	attacker=$FIXTURE_PID
	start_memleakd -v -p "$attacker" -f -i 1
	wait_for "$FIXTURE_OUT" '^swapped' 10 || fail "the attacker never swapped:" "$(cat "$FIXTURE_OUT")"
	sleep 1
	expect_eq "victim's code while memleakd runs" b844332211 "$(victim_bytes "$victim" "$addr")" \
		"$(cat "$ML_ERR")"
	! grep -q 112233cc "$victim_out" || fail "the victim ran a breakpoint:" "$(tail -3 "$victim_out")"
	kill -0 "$ML_PID" || fail "memleakd exited:" "$(cat "$ML_ERR")"
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit"
}
