# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Symbol names: versioned symbols print without their version, as gdb and
# perf print them.
# Sourced by tests/integration/run.sh, after lib.sh.

# libc's debug file (libc6-dbg) names __libc_start_main "__libc_start_main@@GLIBC_2.34"
# in its .symtab: the report and the folded stacks say "__libc_start_main".
test_versioned_names() {
	local folded="$WORK/versioned.folded"
	start_fixture leaker malloc 20
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^leaked'
	expect_eq "exit code" 0 "$EXIT_CODE"
	grep -q ";main;leak_outer;leak_mid;leak_inner" "$folded" || fail "no leak stack:" "$(cat "$folded")"
	grep -q '@' "$folded" && fail "a symbol version is left in the folded stacks:" "$(cat "$folded")"
	grep -q '@@\?GLIBC' "$ML_OUT" && fail "a symbol version is left in the report:" "$(cat "$ML_OUT")"
	echo "# folded: $(grep leak_inner "$folded" | head -1)"
}

# Audit finding 5: a leaking function named by a 423-byte mangled name whose
# demangled text doubles with each parameter. The report comes on time with
# the raw name, and memleakd stops on the first SIGINT.
test_demangle_bomb() {
	local folded="$WORK/bomb.folded"
	start_fixture demangle-bomb
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^leaked'
	expect_eq "exit code" 0 "$EXIT_CODE"
	grep -Eq ";_Z1f1BI1AS0_ES_IS1_S1_E[0-9A-Z_]*( |;)" "$folded" ||
		fail "the leak is not blamed on the raw name:" "$(cut -c1-300 "$folded")"
}
