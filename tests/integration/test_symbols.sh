# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Symbols from hostile files: versioned names print without their version (as gdb and
# perf print them), an exponential mangled name, a debug link out of the root.
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

# contained_leaker DIR: the static leaker, as DIR/bin/target, run with DIR as
# its root in a mount namespace of its own (nsrun: pivot_root, as a container).
contained_leaker() {
	local dir=$1
	FIXTURE_OUT="$WORK/contained.$RANDOM.out"
	"$FIX/nsrun" "$dir" /bin/target malloc 20 >"$FIXTURE_OUT" 2>&1 &
	FIXTURE_PID=$!
	track_pid "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^ready' 10 || fail "contained fixture did not start:" "$(cat "$FIXTURE_OUT")"
	grep -q ' /bin/target$' "/proc/$FIXTURE_PID/maps" ||
		fail "test setup: maps does not show /bin/target:" "$(cat "/proc/$FIXTURE_PID/maps")"
}

# Audit finding 2: the target's debug link is an absolute symlink to a host
# file (with the right CRC) that does not exist inside its root. Resolved
# inside the root, it names nothing: no file:line from the host's file. The
# same file placed inside the root is used (the control).
test_debuglink_in_root() {
	local ctr="$WORK/ctr.$RANDOM" host="$WORK/host.$RANDOM"
	mkdir -p "$ctr/bin" "$host"
	objcopy --only-keep-debug "$FIX/leaker-static" "$host/target.debug"
	strip --strip-debug -o "$ctr/bin/target" "$FIX/leaker-static"
	objcopy --add-gnu-debuglink="$host/target.debug" "$ctr/bin/target"
	ln -s "$host/target.debug" "$ctr/bin/target.debug"
	[ -e "/proc/self/root$ctr/bin/target.debug" ] || fail "test setup: the link does not resolve on the host"

	contained_leaker "$ctr"
	start_memleakd -p "$FIXTURE_PID" -i 1
	finish_traced '^leaked'
	grep -q "leak_inner" "$ML_OUT" || fail "no leak reported:" "$(cat "$ML_OUT")"
	grep -q "leaker\.c:[0-9]" "$ML_OUT" &&
		fail "file:line read from the host file the target's symlink names:" "$(grep -m3 'leaker\.c:' "$ML_OUT")"
	kill -TERM "$FIXTURE_PID"

	rm "$ctr/bin/target.debug"
	cp "$host/target.debug" "$ctr/bin/target.debug"
	contained_leaker "$ctr"
	start_memleakd -p "$FIXTURE_PID" -i 1
	finish_traced '^leaked'
	grep -q "leak_inner+0x[0-9a-f]* (target) .*leaker\.c:[0-9]" "$ML_OUT" ||
		fail "the debug file inside the root was not used:" "$(grep -m5 'leak_' "$ML_OUT")"
}
