# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# --unwind fp: memleakd's own BPF walker by frame pointers only (no CFI
# looked at), storing stacks in dwarf_stacks like dwarf mode, so they are
# pruned the same way. Its fidelity against gdb is test_stack_fidelity's.
# Sourced by tests/integration/run.sh, after lib.sh (and test_go.sh).

# The leaker (built with frame pointers): the whole chain from main down to
# the allocating function, and no frame counted as without CFI (frames
# without CFI are the normal case in fp mode), no fault, no depth cut.
test_unwind_fp_whole_chain() {
	local folded="$WORK/fp.folded" got
	start_fixture leaker malloc 100
	start_memleakd -p "$FIXTURE_PID" -i 1 --unwind fp --folded "$folded"
	finish_traced '^leaked'
	got=$(folded_bytes "$folded" ";main;leak_outer;leak_mid;leak_inner;allocate")
	expect_eq "bytes under main;leak_outer;leak_mid;leak_inner;allocate" "$(leaked_bytes)" "$got"
	grep -q "^stacks (fp unwinding): .*; unwind faults 0, depth cuts 0, frames without CFI 0, busy 0$" \
		"$ML_OUT" || fail "fp mode counted unwind losses:" "$(grep '^stacks' "$ML_OUT")"
	grep -q "^lost: ringbuf drops 0, stack collisions 0, stack failures 0," "$ML_OUT" ||
		fail "stacks lost:" "$(grep '^lost' "$ML_OUT" | tail -1)"
}

# 3,200 distinct stacks through a 1,024-slot stack map in fp mode: the
# stacks that hold no memory are pruned as in dwarf mode (the kernel's
# STACK_TRACE map of before lost them as collisions), so nothing is lost
# and the leak's stack still resolves.
test_unwind_fp_stack_map_pruning() {
	local folded="$WORK/fpstacks.folded"
	start_fixture growth stacks
	start_memleakd -p "$FIXTURE_PID" -i 1 -d 14 --unwind fp --stack-slots 1024 \
		--folded "$folded" -vv
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 40 || fail "memleakd still running after 40 s; stderr:" "$(cat "$ML_ERR")"
	grep -q "stacks pruned from the kernel's stack map" "$ML_ERR" || fail "nothing was pruned"
	grep -q "^lost: ringbuf drops 0, stack collisions 0, stack failures 0," "$ML_OUT" ||
		fail "stacks lost:" "$(grep '^lost' "$ML_OUT" | tail -1)"
	grep -q "^stacks (fp unwinding): " "$ML_OUT" ||
		fail "not reported as fp unwinding:" "$(grep '^stacks' "$ML_OUT")"
	grep -q ";main;run;leak_among_many [0-9]*$" "$folded" ||
		fail "the leak's stack is not resolved:" "$(head -5 "$folded")"
}

# Go in fp mode: goroutine creation stacks cross from g0's stack into the
# goroutine's (the walker's stack switches), so main.leakOne's site is found
# and grows at the fixture's rate, at the same file:line as in dwarf mode.
test_go_unwind_fp_leak_site() {
	local where
	start_gos gleak-1.23 -rate "$GO_RATE"
	trace_go 8 --unwind fp
	go_target gleak-1.23
	expect_leak_site gleak-1.23
	where=$(gocheck frame "$GO_JSON" "$FIXTURE_PID" goroutine main.leakOne)
	[[ $where == */gleak.go:[0-9]* ]] || fail "main.leakOne at '$where', want .../gleak.go:LINE"
	[ "$(tail -1 "$GO_JSON" | jq -r .unwind)" = fp ] ||
		fail "JSON unwind is not fp:" "$(tail -1 "$GO_JSON" | jq -c .unwind)"
	echo "# gleak-1.23 (fp): main.leakOne ($where) at $GO_SITE_RATE/s"
}
