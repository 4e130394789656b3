# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Stacks: fidelity against gdb, .debug_frame only, dlopen after attach, a
# deleted binary, demangling, and stack map pruning.
# Sourced by tests/integration/run.sh, after lib.sh.

# Stack fidelity against gdb's backtraces (tools/fidelity.py): the DWARF
# unwinder recovers >= 95% of true frames with <= 1% bogus ones, with and
# without frame pointers, through libc and libstdc++; the frame-pointer mode
# still works where frame pointers exist. The table goes to the log.
test_stack_fidelity() {
	local out="$WORK/fidelity.out"
	command -v gdb >/dev/null || fail "gdb not installed (tools/install-deps.sh)"
	python3 tools/fidelity.py --memleakd "$MEMLEAKD" --modes dwarf,fp \
		--check dwarf:0.95:0.01 "$FIX/fidelity-nofp" >"$out" 2>&1 ||
		fail "no-frame-pointer fixture:" "$(cat "$out")"
	python3 tools/fidelity.py --memleakd "$MEMLEAKD" --modes dwarf,fp \
		--check dwarf:0.95:0.01 --check fp:0.25:0.01 "$FIX/fidelity-fp" >>"$out" 2>&1 ||
		fail "frame-pointer fixture:" "$(cat "$out")"
	sed 's/^/# /' "$out"
}

# A program built without frame pointers and without .eh_frame (only
# .debug_frame): the DWARF walker still gives the whole chain.
test_debug_frame_only() {
	local folded="$WORK/debugframe.folded"
	start_fixture leaker-debugframe malloc 100
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^leaked'
	grep -q "^leaker-debugfra;_start;.*;main;leak_outer;leak_mid;leak_inner;allocate 100000$" "$folded" ||
		fail "incomplete stack from .debug_frame:" "$(cat "$folded")"
	grep -q "stacks (dwarf unwinding): 0 of " "$ML_OUT" ||
		fail "a stack ended early:" "$(grep '^stacks' "$ML_OUT")"
}

# dlopen_leak_is_unwound SECONDS: dlopener loads libleaklib after attach,
# waits SECONDS, leaks through it; the library's frames and its callers'
# carry exactly the bytes leaked.
dlopen_leak_is_unwound() {
	local folded="$WORK/dlopen.$1.folded" leaked got
	start_fixture dlopener "$PWD/$FIX/libleaklib.so" 200 "$1"
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^leaked'
	leaked=$(sed -n 's/^leaked //p' "$FIXTURE_OUT")
	got=$(folded_bytes "$folded" ";main;use_library;leaklib_make;leaklib_inner")
	[ "$got" = "$leaked" ] ||
		fail "expected $leaked B under main;use_library;leaklib_make;leaklib_inner, got '$got':" "$(cat "$folded")"
}

# A library loaded with dlopen after attach, without frame pointers: its
# unwind table arrives within a second and its callers are named.
test_dlopen_after_attach() {
	dlopen_leak_is_unwound 1.5
}

# The same library, called the moment dlopen returns: the process is held
# at the loader's hook until memleakd has read the new mapping, so the
# library's frames unwind and are named (not the file mapped there before).
test_dlopen_immediate_use() {
	dlopen_leak_is_unwound 0
}

# The binary is deleted from disk while it runs (an upgrade replaced it):
# unwind tables and symbols still come from the mapped file (map_files).
test_deleted_binary() {
	local copy="$WORK/leaker-deleted" folded="$WORK/deleted.folded"
	cp "$FIX/leaker" "$copy" || fail "cannot copy $FIX/leaker to $copy"
	"$copy" malloc 100 >"$WORK/deleted.out" 2>&1 &
	FIXTURE_PID=$!
	track_pid "$FIXTURE_PID"
	FIXTURE_OUT="$WORK/deleted.out"
	wait_for "$FIXTURE_OUT" '^ready' 10 || fail "copy did not start"
	rm -f "$copy"
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^leaked'
	grep -q "^leaker-deleted;_start;.*;main;leak_outer;leak_mid;leak_inner;allocate 100000$" "$folded" ||
		fail "deleted binary's stack not resolved:" "$(cat "$folded")"
}

# C++ names are demangled unless --no-demangle.
test_demangle() {
	local folded="$WORK/cxx.folded" raw="$WORK/cxx-raw.folded"
	start_fixture fidelity-nofp </dev/null
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^done'
	grep -q ';fid_vector_b;operator new(unsigned long) ' "$folded" ||
		fail "no demangled operator new under fid_vector_b:" "$(cat "$folded")"
	grep -q '_Znwm' "$folded" && fail "a mangled name is left:" "$(cat "$folded")"
	start_fixture fidelity-nofp </dev/null
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$raw" --no-demangle
	finish_traced '^done'
	grep -q ';fid_vector_b;_Znwm ' "$raw" ||
		fail "--no-demangle still demangles:" "$(cat "$raw")"
}

# 3,200 distinct stacks through a 1,024-slot stack map: stacks that hold no
# memory are pruned, so nothing is lost and the leak's stack still resolves.
test_stack_map_pruning() {
	local folded="$WORK/stacks.folded"
	start_fixture growth stacks
	start_memleakd -p "$FIXTURE_PID" -i 1 -d 14 --stack-slots 1024 --folded "$folded" -vv
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 40 || fail "memleakd still running after 40 s; stderr:" "$(cat "$ML_ERR")"
	grep -q "stacks pruned from the kernel's stack map" "$ML_ERR" || fail "nothing was pruned"
	grep -q "^lost: ringbuf drops 0, stack collisions 0, stack failures 0," "$ML_OUT" ||
		fail "stacks lost:" "$(grep '^lost' "$ML_OUT" | tail -1)"
	grep -q ";main;run;leak_among_many [0-9]*$" "$folded" ||
		fail "the leak's stack is not resolved:" "$(head -5 "$folded")"
}
