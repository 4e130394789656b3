# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The DWARF walker's per-PC cache (bpf/unwind.bpf.c) forgets a process's
# rules when its mappings change.
# Sourced by tests/integration/run.sh, after lib.sh.

# dlswap walks through libswap-a.so (its call sites' rules get cached),
# dlcloses it and dlopens libswap-b.so at the same address: the same code,
# so the same return addresses, with frames of other sizes. B's leak must
# unwind with B's rules: whole stacks, every byte under its callers. A
# cache keyed by pid and pc alone fails here (stacks end early).
test_unwind_cache_dlclose_dlopen_same_address() {
	local folded="$WORK/dlswap.folded" lib_a="$PWD/$FIX/libswap-a.so" lib_b="$PWD/$FIX/libswap-b.so"
	local sym a b base_a base_b leaked got
	# The premise: both builds put each function at the same offset, same size.
	for sym in swaplib_inner swaplib_make; do
		a=$(nm -S "$lib_a" | awk -v s="$sym" '$4 == s { print $1, $2 }')
		b=$(nm -S "$lib_b" | awk -v s="$sym" '$4 == s { print $1, $2 }')
		[ -n "$a" ] && [ "$a" = "$b" ] || fail "$sym differs between the builds: '$a' vs '$b'"
	done
	start_fixture dlswap "$lib_a" "$lib_b" 300
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^leaked'
	base_a=$(sed -n 's/^base_a //p' "$FIXTURE_OUT")
	base_b=$(sed -n 's/^base_b //p' "$FIXTURE_OUT")
	[ -n "$base_a" ] && [ "$base_a" = "$base_b" ] ||
		fail "libswap-b.so not loaded where libswap-a.so was:" "$(cat "$FIXTURE_OUT")"
	leaked=$(sed -n 's/^leaked //p' "$FIXTURE_OUT")
	got=$(folded_bytes "$folded" ";main;use_library;swaplib_make;swaplib_inner")
	[ "$got" = "$leaked" ] ||
		fail "expected $leaked B under main;use_library;swaplib_make;swaplib_inner, got '$got':" \
			"$(cat "$folded")"
	grep -q "stacks (dwarf unwinding): 0 of .*unwind faults 0," "$ML_OUT" ||
		fail "a stack ended early:" "$(grep '^stacks' "$ML_OUT")"
}
