# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# -p targets over their lifetime: exits, several pids, exec, -d expiry,
# SIGTERM, and SIGKILL leaving nothing attached.
# Sourced by tests/integration/run.sh, after lib.sh.

# The target exits while traced: memleakd notices, prints a final report of
# what it held at exit, and exits 0 by itself.
test_target_exits() {
	start_fixture leaker malloc 100 --exit
	start_memleakd -p "$FIXTURE_PID" -i 1
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd still running after the target exited"
	expect_eq "exit code" 0 "$EXIT_CODE"
	grep -q "final report.*exited" "$ML_OUT" || fail "final report does not say the target exited"
	grep -q "leak_inner" "$ML_OUT" || fail "final report lacks leak_inner"
}

# Two targets; one exits: it is dropped (never a leak of the living), the
# other keeps being traced and reported.
test_two_pids_one_exits() {
	local first second first_out folded="$WORK/two.folded"
	start_fixture leaker malloc 100 --exit
	first=$FIXTURE_PID first_out=$FIXTURE_OUT
	start_fixture leaker calloc 100
	second=$FIXTURE_PID
	start_memleakd -p "$first" -p "$second" -i 1 --folded "$folded"
	kill -USR1 "$first" "$second"
	wait_for "$first_out" '^leaked' 30 || fail "first fixture did not finish"
	wait_for "$FIXTURE_OUT" '^leaked' 30 || fail "second fixture did not finish"
	wait_for "$ML_ERR" "pid $first \(leaker\) exited; its allocations are dropped" 10 ||
		fail "no drop message for pid $first:" "$(cat "$ML_ERR")"
	kill -0 "$ML_PID" 2>/dev/null || fail "memleakd stopped although pid $second still runs"
	sleep 1.5 # one more interval, written after the drop
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit"
	expect_eq "exit code" 0 "$EXIT_CODE"
	within 10 "$(leaked_bytes)" "$(folded_bytes "$folded" "leak_inner")" ||
		fail "second target's leak: expected $(leaked_bytes), folded:" "$(cat "$folded")"
	! sed -n '/final report/,$p' "$ML_OUT" | grep -Eq "^#[0-9]+ .*, pid $first \(leaker\)$" ||
		fail "the exited pid $first still has stacks in the final report"
}

# Two -p targets at once: each one's leak under its own pid.
test_two_pids() {
	local a a_out b folded="$WORK/two2.folded"
	start_fixture leaker malloc 30
	a=$FIXTURE_PID a_out=$FIXTURE_OUT
	start_fixture leaker calloc 70
	b=$FIXTURE_PID
	start_memleakd -p "$a" -p "$b" -i 1 --folded "$folded"
	kill -USR1 "$a"
	wait_for "$a_out" '^leaked' 30 || fail "first fixture did not finish"
	finish_traced '^leaked'
	[ "$(awk '/^leaked/ {print $2}' "$a_out")" = 30000 ] || fail "fixture a: $(cat "$a_out")"
	grep -q "^processes:" "$ML_OUT" || fail "no process table:" "$(cat "$ML_OUT")"
	grep -Eq "^#[0-9]+ 29.3 KiB \(30000 B\) in 30 allocations, pid $a \(leaker\)" "$ML_OUT" ||
		fail "pid $a's leak not reported:" "$(cat "$ML_OUT")"
	grep -Eq "^#[0-9]+ 68.4 KiB \(70000 B\) in 70 allocations, pid $b \(leaker\)" "$ML_OUT" ||
		fail "pid $b's leak not reported:" "$(cat "$ML_OUT")"
}

# -d expiry ends the run with a final report.
test_duration_expiry() {
	start_fixture leaker malloc 10
	start_memleakd -p "$FIXTURE_PID" -i 1 -d 2
	wait_exit "$ML_PID" 15 || fail "memleakd did not stop after -d 2"
	expect_eq "exit code" 0 "$EXIT_CODE"
	grep -q "final report" "$ML_OUT" || fail "no final report"
}

# SIGTERM is a clean stop too.
test_sigterm_final_report() {
	start_fixture leaker malloc 10
	start_memleakd -p "$FIXTURE_PID" -i 5
	kill -TERM "$ML_PID"
	wait_exit "$ML_PID" 15 || fail "memleakd did not stop on SIGTERM"
	expect_eq "exit code" 0 "$EXIT_CODE"
	grep -q "final report" "$ML_OUT" || fail "no final report"
}

# -p on a process that execs: it is held at exec until the new image's
# allocator (here a static binary's own malloc) is probed, then traced.
test_pid_exec() {
	local out="$WORK/pexec.out" folded="$WORK/pexec.folded" flag="$WORK/pexec.go"
	sh -c "echo ready; while [ ! -e '$flag' ]; do sleep 0.05; done; exec '$FIX/lifecycle-static' leak 5" >"$out" 2>&1 &
	FIXTURE_PID=$!
	track_pid "$FIXTURE_PID"
	wait_for "$out" '^ready' 10 || fail "shell did not start"
	start_memleakd -v -p "$FIXTURE_PID" -i 1 --folded "$folded"
	touch "$flag"
	wait_exit "$ML_PID" 20 || fail "memleakd did not end with its target"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	grep -q "pid $FIXTURE_PID exec'd lifecycle-stati$" "$ML_ERR" ||
		fail "no exec message for pid $FIXTURE_PID:" "$(cat "$ML_ERR")"
	only_blamed "$folded" cmd_leak 5000
}

# held_ids PID KEY: the BPF object ids (KEY prog_id or link_id) of the fds PID holds.
held_ids() {
	awk -v key="$2:" '$1 == key {print $2}' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u
}

# A SIGKILLed memleakd leaves nothing attached: links, perf events, programs.
# Its own, by id: other memleakds may come and go on the machine meanwhile.
test_sigkill_leaves_no_probes() {
	local progs links id i left
	start_fixture leaker malloc 1
	start_memleakd -p "$FIXTURE_PID" -i 1
	progs=$(held_ids "$ML_PID" prog_id)
	links=$(held_ids "$ML_PID" link_id)
	for id in $progs; do
		bpftool prog show id "$id" 2>/dev/null
	done | grep -qE "name (malloc_enter|free_enter|alloc_return|process_exit)\b" ||
		fail "memleakd's programs not visible in bpftool while running (its prog ids: $progs)"
	bpftool perf list 2>/dev/null | grep -q "pid $ML_PID " ||
		fail "bpftool perf shows no uprobe of pid $ML_PID while running"
	kill -KILL "$ML_PID"
	wait "$ML_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		left=
		for id in $progs; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || fail "programs still loaded after SIGKILL:" "$(for id in $left; do bpftool prog show id "$id"; done)"
	! bpftool perf list 2>/dev/null | grep -q "pid $ML_PID " || fail "perf links of pid $ML_PID remain"
	for id in $links; do
		! bpftool link show id "$id" >/dev/null 2>&1 || fail "bpf link $id remains:" "$(bpftool link show id "$id")"
	done
}
