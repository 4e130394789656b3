# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# System-wide tracing: processes started later, --comm, new libcs in
# other mount namespaces, exits mid-interval; -p on a namespaced target.
# Sourced by tests/integration/run.sh, after lib.sh.

# System-wide: a process started after memleakd is picked up; --comm filters.
test_system_wide() {
	start_memleakd -i 1 --comm leaker
	start_fixture leaker malloc 40
	sleep 0.3
	finish_traced '^leaked'
	expect_eq "exit code" 0 "$EXIT_CODE"
	grep -Eq "^#1 39.1 KiB \(40000 B\) in 40 allocations, pid $FIXTURE_PID \(leaker\)" "$ML_OUT" ||
		fail "the new process's leak is not #1:" "$(sed -n '/final report/,$p' "$ML_OUT")"
	# --comm: only leaker is shown.
	! sed -n '/final report/,$p' "$ML_OUT" | grep -E "^#[0-9]+ " | grep -qv "(leaker)" ||
		fail "--comm leaker shows other processes:" "$(sed -n '/final report/,$p' "$ML_OUT")"
}

# start_namespaced_leaker ARGS...: the leaker in its own mount and PID namespace,
# mapping its own copy of libc (another inode); sets FIXTURE_PID, FIXTURE_OUT.
start_namespaced_leaker() {
	local copy="$WORK/nslib.$RANDOM" ns_pid libc_ino target_ino
	mkdir -p "$copy"
	cp /lib/x86_64-linux-gnu/libc.so.6 "$copy/libc.so.6"
	FIXTURE_OUT="$WORK/ns.$RANDOM.out"
	unshare --mount --pid --fork --propagation private sh -c \
		"mount --bind '$copy/libc.so.6' /lib/x86_64-linux-gnu/libc.so.6 && exec '$FIX/leaker' $*" >"$FIXTURE_OUT" 2>&1 &
	ns_pid=$!
	track_pid "$ns_pid"
	wait_for "$FIXTURE_OUT" '^ready' 10 || fail "namespaced fixture did not start:" "$(cat "$FIXTURE_OUT")"
	FIXTURE_PID=$(pgrep -P "$ns_pid" -x leaker)
	[ -n "$FIXTURE_PID" ] || fail "no leaker below unshare"
	track_pid "$FIXTURE_PID"
	libc_ino=$(stat -Lc %i /lib/x86_64-linux-gnu/libc.so.6)
	target_ino=$(awk '/libc.so.6/ {print $5; exit}' "/proc/$FIXTURE_PID/maps")
	[ "$target_ino" != "$libc_ino" ] || fail "test setup: the target maps the host's libc"
}

# System-wide, a "container" started later with its own libc: that libc is
# found and probed by the periodic refresh once the process's loader has mapped it.
test_system_wide_new_libc() {
	local folded="$WORK/swns.folded"
	start_memleakd -v -i 1 --comm leaker --folded "$folded"
	start_namespaced_leaker malloc 15
	# Not held (system-wide): the leak may start once its new libc is probed.
	wait_for "$ML_ERR" "pid $FIXTURE_PID \(leaker\): probing /usr/lib/x86_64-linux-gnu/libc.so.6" 20 ||
		fail "the new libc was not probed:" "$(grep -v 'probed at' "$ML_ERR")"
	finish_traced '^leaked'
	expect_eq "exit code" 0 "$EXIT_CODE"
	[ "$(blamed "$folded" leak_inner)" = 15000 ] || fail "leak in the new libc: folded:" "$(cat "$folded")" "stderr:" "$(cat "$ML_ERR")"
	echo "# folded: $(grep leak_inner "$folded")"
}

# A target in its own mount and PID namespace, mapping its own copy of libc:
# memleakd attaches to that copy (map_files) and symbolizes it.
test_namespaced_target() {
	local folded="$WORK/ns.folded"
	start_namespaced_leaker malloc 25
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^leaked'
	expect_eq "exit code" 0 "$EXIT_CODE"
	[ "$(blamed "$folded" leak_inner)" = 25000 ] || fail "namespaced leak: folded:" "$(cat "$folded")"
	grep -q "__libc_start_call_main;main;leak_outer" "$folded" || fail "the copy of libc is not symbolized:" "$(cat "$folded")"
}

# System-wide, a process that exits mid-interval: its blocks leave with it,
# the next report does not show them as anyone's leak.
test_exit_mid_interval() {
	start_memleakd -i 1 --comm leaker --folded "$WORK/mid.folded"
	start_fixture leaker malloc 40
	sleep 0.3
	kill -USR1 "$FIXTURE_PID"
	wait_for "$ML_OUT" "leak_inner" 20 || fail "the leak was never reported while the process lived"
	sleep 0.4 # mid-interval
	kill -TERM "$FIXTURE_PID"
	wait_exit "$FIXTURE_PID" 20 || fail "fixture did not exit"
	sleep 2.5 # two more intervals
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit"
	expect_eq "exit code" 0 "$EXIT_CODE"
	# Not among the live stacks; in the left-at-exit tally, which keeps its story.
	! sed -n '/final report/,/^Left at exit/p' "$ML_OUT" | grep -q "leak_inner" ||
		fail "the exited process's blocks are still reported live:" "$(sed -n '/final report/,$p' "$ML_OUT")"
	sed -n '/final report/,$p' "$ML_OUT" | sed -n '/^Left at exit/,$p' | grep -q "leak_inner" ||
		fail "the exited process's blocks are not in the left-at-exit tally:" "$(sed -n '/final report/,$p' "$ML_OUT")"
	! grep -q "leak_inner" "$WORK/mid.folded" || fail "the exited process is in the folded output"
}

# System-wide probes are on whole files, but not on the loader's hook: a
# program starting under valgrind's memcheck (which replaces the malloc
# family, so only ld.so's _dl_debug_state would trap) runs to its end.
test_system_wide_spares_valgrind() {
	local vg_out="$WORK/sw-vg.out"
	command -v valgrind >/dev/null || fail "valgrind not installed"
	start_memleakd -i 1 --comm leaker
	valgrind -q "$FIX/leaker" malloc 5 --exit >"$vg_out" 2>&1 &
	VG_PID=$!
	track_pid "$VG_PID"
	wait_for "$vg_out" '^ready' 60 || fail "leaker under valgrind did not start:" "$(cat "$vg_out")"
	kill -USR1 "$VG_PID"
	wait "$VG_PID"
	expect_eq "valgrind's exit status" 0 "$?" "$(cat "$vg_out")"
	grep -q SIGTRAP "$vg_out" && fail "valgrind run got SIGTRAP:" "$(cat "$vg_out")"
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit:" "$(stuck_report "$ML_PID" "$ML_ERR")"
}
