# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Reachability (issue 14): memleakd's verdicts per allocation site
# (definitely lost, indirectly lost, reachable) on the fixtures of
# tests/fixtures/reach, against a table of known answers, with LeakSanitizer's
# and valgrind's verdicts on the same fixtures printed beside them; the leak
# gate and its exit statuses; LSan suppression files; real programs; a scan
# of a live process.
# Sourced by tests/integration/run.sh, after lib.sh.

REACH="$FIX/reach"
# LSan: its own exit code, the leaked objects, full (slow) unwinding so that
# blocks glibc allocates are named by the fixture's site.
REACH_LSAN_OPTIONS="exitcode=23:report_objects=1:fast_unwind_on_malloc=0:detect_leaks=1"
# valgrind: every class; glibc's own blocks left as the program left them
# (by default valgrind frees them first with __libc_freeres).
REACH_VALGRIND=(valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite,indirect
	--error-exitcode=23 --run-libc-freeres=no --num-callers=40)
# glibc's locale case: a non-C locale when one is installed, else C.UTF-8.
REACH_LOCALE=$(locale -a 2>/dev/null | grep -Eiv '^(c|posix)($|\.)' | head -1)
: "${REACH_LOCALE:=C.UTF-8}"

# The known answers: "fixture site answer". An answer is the set of the
# classes of the site's live blocks at exit (reach_check.py): lost,
# indirect, reachable, joined with "+". The cases are described in each
# fixture's header comment.
reach_known() {
	cat <<'EOF'
cases site_data                 reachable      # .data global
cases site_bss                  reachable      # .bss global
cases site_tls                  reachable      # __thread (static TLS)
cases site_dlopen_tls           reachable      # a dlopen'ed library's __thread (dynamic TLS)
cases site_specific             reachable      # pthread_setspecific
cases site_interior             reachable      # only p + 8 held
cases site_big_reachable        reachable      # 200 KiB, mmap'd by malloc
cases site_big_lost             lost
cases site_self                 lost           # points to itself only
cases site_cycle2               lost+indirect  # a <-> b
cases site_cycle3               lost+indirect  # a -> b -> c -> a
cases site_tree_root            lost           # a dropped tree: the root...
cases site_tree_child           indirect       # ...and its children
cases site_zero_lost            lost           # malloc(0)
cases site_stale_new            reachable      # a stale global holds its (reused) address
cases site_thread_local         reachable      # a local of a thread still running
cases site_stack_local          reachable      # a local of the frame calling exit()
cases site_glibc_dlopen         reachable      # the loader's data
cases site_glibc_dtls           reachable      # the dynamic TLS block
cases site_glibc_running_thread reachable      # the running thread's DTV
register site_register          reachable      # only in r15 at _exit
register-clear site_register    lost           # the same, registers zeroed before _exit
fork site_fork_parent           reachable      # the parent's global (and the child's copy)
fork site_fork_child            lost           # the child's dropped block
tail site_tail_top               lost           # its last 8 bytes hold the top chunk's header
tail site_tail_bin               lost           # ... a binned free chunk's header
tail site_tail_guard             reachable
glibc site_glibc_threads        reachable      # DTVs of joined threads
glibc site_glibc_nss            reachable      # getpwnam, getpwuid
glibc site_glibc_locale         reachable      # setlocale(LC_ALL, "")
EOF
}

# Where LSan or valgrind differ from the known answer, and why:
# "tool site answer reason". Any other difference fails the test.
reach_documented() {
	cat <<'EOF'
lsan site_cycle2 indirect LSan marks every leaked block that another leaked block points to as indirect, so no block of a cycle is a direct leak; valgrind and memleakd call one block of each unreferenced cycle lost (the first in address order) and the rest indirect
lsan site_cycle3 indirect the same: a cycle has no direct leak for LSan
valgrind site_interior possible valgrind calls a block reached only through an interior pointer possibly lost; LSan and memleakd count interior pointers as references (C++ cookies, multiple inheritance)
valgrind site_stale_new lost valgrind delays reusing freed blocks (--freelist-vol): the new block gets another address (the fixture prints stale reused 0), nothing points to it, so in that run it is lost, rightly
valgrind site_register lost observed: valgrind's at-exit leak check (at exit_group) does not take the exiting thread's registers as roots; the clear control run, with no register holding it, is lost for all three
valgrind site_glibc_running_thread possible glibc's thread control block holds the DTV as dtv + 1 (past its generation slot): an interior pointer, possibly lost for valgrind
valgrind site_glibc_threads possible the same DTV pointer (dtv + 1), of joined threads whose stacks glibc caches
valgrind site_glibc_dlopen possible+reachable glibc's _dl_find_object_update allocates its mappings segment with room to align it and keeps only the aligned pointer (dl-find_object.c, _dlfo_mappings_segment_allocate): an interior pointer whenever malloc's block is not already aligned, which depends on the heap's layout (the length of the fixture's path changes it); valgrind then calls that block possibly lost
EOF
}

# reach_command KEY: the fixture of a table key: reach_NAME for "NAME",
# reach_NAME ARG for "NAME-ARG". Sets REACH_BIN and REACH_ARGS.
reach_command() {
	REACH_BIN="$REACH/reach_${1%%-*}"
	REACH_ARGS=()
	[[ $1 == *-* ]] && REACH_ARGS=("${1#*-}")
}

# reach_compare KEY [MEMLEAKD-OPTION...]: memleakd (--fail-on-leaks
# --json, the gate's status as the known answer says), LSan and valgrind on
# KEY's fixture; prints the table; fails on an answer that is neither known
# nor documented. LSan and valgrind run in the background (started by
# reach_start_others) while memleakd runs.
reach_compare() {
	local name=$1 json="$WORK/reach-$1.json" known="$WORK/reach-$1.known" documented="$WORK/reach-documented"
	shift
	reach_known | awk -v f="$name" '$1 == f { print $2, $3 }' >"$known"
	reach_documented >"$documented"
	local code=0
	grep -Eq ' (lost|indirect|lost\+indirect)$' "$known" && code=10
	# As run_command, but the table comes before the exit status is checked.
	CMD_OUT="$WORK/reach-$name.ml-out"
	CMD_ERR="$WORK/reach-$name.ml-err"
	reach_command "$name"
	timeout 60 "$MEMLEAKD" --fail-on-leaks --json "$json" "$@" -- "$REACH_BIN" "${REACH_ARGS[@]}" \
		>"$CMD_OUT" 2>"$CMD_ERR" </dev/null
	EXIT_CODE=$?
	if [ "$name" = cases ] && grep -q '^stale reused 0' "$CMD_OUT"; then
		sed -i 's/^site_stale_new reachable/site_stale_new lost/' "$known"
		echo "# $name: glibc did not reuse the stale block's address: site_stale_new is lost"
	fi
	wait "${REACH_OTHERS[@]}"
	# valgrind's stale-pointer disagreement holds only when it did not reuse the address.
	grep -q '^stale reused 1' "$WORK/reach-$name.vg-stdout" && sed -i '/^valgrind site_stale_new /d' "$documented"
	local out="$WORK/reach-$name.table"
	python3 tests/integration/reach_check.py compare --known "$known" --documented "$documented" \
		--memleakd "$json" --lsan "$WORK/reach-$name.lsan" --valgrind "$WORK/reach-$name.vg".* >"$out"
	local rc=$?
	sed "s/^/# $name: /" "$out"
	if [ "$name" = cases ]; then
		echo "# cases: stale block's address reused at once: memleakd's run" \
			"$(awk '/^stale reused/ {print $3}' "$CMD_OUT"), LSan's $(awk '/^stale reused/ {print $3}' \
				"$WORK/reach-$name.lsan"), valgrind's $(awk '/^stale reused/ {print $3}' "$WORK/reach-$name.vg-stdout")"
	fi
	reach_scan_done "$json"
	[ $rc = 0 ] || fail "reach_$name: verdicts differ: $(grep "^FAIL" "$out")" "memleakd's stderr:" "$(cat "$CMD_ERR")"
	expect_eq "memleakd's exit status on reach_$name" $code "$EXIT_CODE" "$(cat "$CMD_ERR")"
}

# reach_start_others KEY: LSan and valgrind on KEY's fixture in the
# background; appends their pids to REACH_OTHERS.
reach_start_others() {
	local name=$1
	reach_command "$name"
	LSAN_OPTIONS=$REACH_LSAN_OPTIONS LC_ALL=$REACH_LOCALE timeout 60 "$REACH_BIN-lsan" "${REACH_ARGS[@]}" \
		>"$WORK/reach-$name.lsan" 2>&1 &
	REACH_OTHERS+=($!)
	track_pid $!
	LC_ALL=$REACH_LOCALE timeout 60 "${REACH_VALGRIND[@]}" --log-file="$WORK/reach-$name.vg.%p" \
		"$REACH_BIN" "${REACH_ARGS[@]}" >"$WORK/reach-$name.vg-stdout" 2>&1 &
	REACH_OTHERS+=($!)
	track_pid $!
}

# reach_scan_done JSON: every process of the final object was scanned at exit.
reach_scan_done() {
	local bad
	bad=$(python3 tests/integration/reach_check.py scans "$1" | grep -v ' done at_exit$')
	[ -z "$bad" ] || fail "not scanned at exit:" "$bad"
	python3 tests/integration/reach_check.py scans "$1" | grep -q ' done at_exit$' ||
		fail "no scan in $1:" "$(tail -1 "$1" | cut -c1-2000)"
}

# Every fixture, memleakd against the known answers; LSan and valgrind beside.
test_reach_fixtures() {
	REACH_OTHERS=()
	local f
	for f in cases register register-clear fork glibc; do
		reach_start_others $f
	done
	reach_compare cases
	reach_compare register
	reach_compare register-clear
	reach_compare fork -f
	LC_ALL=$REACH_LOCALE reach_compare glibc
	echo "# glibc's locale case ran under LC_ALL=$REACH_LOCALE"
}

# glibc's malloc keeps the next chunk's header in the last 8 bytes of a
# block whose size is 8 past a multiple of 16 (200 B in a 208-byte chunk):
# its pointers to that chunk (the top chunk, a bin) are no reference to the
# block, which stays lost.
test_reach_chunk_tails() {
	REACH_OTHERS=()
	reach_start_others tail
	reach_compare tail
}

# reach_leaks JSON FIELD: the final object's "leaks" FIELD.
reach_leaks() {
	python3 tests/integration/reach_check.py leaks "$1" "$2"
}

# The gate counts blocks: a lost malloc(0) is a leak (10, or --error-exitcode);
# the command's own status passes through when nothing leaked (77, 3), a
# signal gives 128 + N; =reachable counts every block not freed.
test_reach_gate() {
	local json="$WORK/zero.json"
	# (The default status, 10, is checked by test_reach_fixtures.)
	run_command 42 --fail-on-leaks --error-exitcode 42 --json "$json" -- "$REACH/reach_zero"
	expect_eq "lost blocks" 1 "$(reach_leaks "$json" lost_count)"
	expect_eq "lost bytes" 0 "$(reach_leaks "$json" lost_bytes)"
	expect_eq "site_zero_gate's lost_count" 1 \
		"$(python3 tests/integration/reach_check.py stack "$json" site_zero_gate lost_count)"
	json="$WORK/status77.json"
	run_command 77 --fail-on-leaks --json "$json" -- "$REACH/reach_status" 77
	expect_eq "site_status_reachable's reachable_count" 1 \
		"$(python3 tests/integration/reach_check.py stack "$json" site_status_reachable reachable_count)"
	expect_eq "lost blocks" 0 "$(reach_leaks "$json" lost_count)"
	run_command 3 --fail-on-leaks -- "$REACH/reach_status" 3
	run_command 10 --fail-on-leaks=reachable -- "$REACH/reach_status" 0
	run_command 143 --fail-on-leaks -- "$REACH/reach_status" term
	# LSan agrees on the fixtures: the lost malloc(0) is its leak too.
	LSAN_OPTIONS=$REACH_LSAN_OPTIONS "$REACH/reach_zero-lsan" >/dev/null 2>&1
	expect_eq "LSan's exit status on reach_zero" 23 $?
	LSAN_OPTIONS=$REACH_LSAN_OPTIONS "$REACH/reach_status-lsan" 77 >/dev/null 2>&1
	expect_eq "LSan's exit status on reach_status 77" 77 $?
}

# An LSan suppression file removes a site from the gate, for LSan and memleakd.
test_reach_suppressions() {
	local supp="$WORK/lsan.supp"
	printf '# an LSan suppression file\nleak:site_zero_gate\n' >"$supp"
	run_command 0 --fail-on-leaks --suppressions "$supp" -- "$REACH/reach_zero"
	LSAN_OPTIONS=$REACH_LSAN_OPTIONS:suppressions=$supp "$REACH/reach_zero-lsan" >/dev/null 2>&1
	expect_eq "LSan's exit status with $supp" 0 $?
	# A pattern that matches nothing suppresses nothing.
	printf 'leak:no_such_function\n' >"$supp"
	run_command 10 --fail-on-leaks --suppressions "$supp" -- "$REACH/reach_zero"
}

# Real programs keep memory in globals until exit: no leak verdict, and their
# own status passes through.
test_reach_real_programs() {
	local json="$WORK/real.json" t
	t=$SECONDS
	run_command 0 --fail-on-leaks --json "$json" -- ls /usr/lib
	reach_scan_done "$json"
	run_command 2 --fail-on-leaks -- ls /nonexistent
	run_command 0 --fail-on-leaks --json "$json" -- sqlite3 :memory: 'select 1'
	reach_scan_done "$json"
	grep -qx 1 "$CMD_OUT" || fail "sqlite3 printed:" "$(cat "$CMD_OUT")"
	run_command 0 --fail-on-leaks --json "$json" -- /usr/bin/python3 -c pass
	reach_scan_done "$json"
	echo "# python3 -c pass: $(python3 tests/integration/reach_check.py leaks "$json" reachable_count) reachable blocks"
	echo "# ls, sqlite3, python3 under memleakd: $((SECONDS - t)) s"
}

# A live service: memleakd -p PID --scan 1 tells the stack leaking unreachable
# blocks from the one growing a reachable list, while the service runs; the
# service keeps running normally once memleakd is gone.
test_reach_live() {
	local json="$WORK/live.json" leak list reach_list table reach_table tick1 tick2
	mkdir -p "$WORK/reach"
	start_fixture reach/reach_service
	start_memleakd -p "$FIXTURE_PID" --scan 1 -i 1 -d 5 --json "$json"
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 40 || fail "memleakd did not stop after -d 5"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	leak=$(python3 tests/integration/reach_check.py stack "$json" site_service_leak lost_count all | tr '\n' ' ')
	list=$(python3 tests/integration/reach_check.py stack "$json" site_service_list lost_count all | tr '\n' ' ')
	reach_list=$(python3 tests/integration/reach_check.py stack "$json" site_service_list reachable_count all |
		tr '\n' ' ')
	echo "# live: site_service_leak lost per interval: $leak"
	echo "# live: site_service_list lost per interval: $list; reachable: $reach_list"
	# Entries of a table allocated before attach (a block memleakd does not
	# know): reachable, never lost.
	table=$(python3 tests/integration/reach_check.py stack "$json" site_service_table lost_count all |
		tr '\n' ' ')
	reach_table=$(python3 tests/integration/reach_check.py stack "$json" site_service_table \
		reachable_count all | tr '\n' ' ')
	echo "# live: site_service_table lost per interval: $table; reachable: $reach_table"
	python3 - "$table" "$reach_table" <<'EOF' || fail "entries of a table allocated before attach came out lost"
import sys
lost, reach = ([int(v) for v in a.split()] for a in sys.argv[1:])
seen = [v for v in reach if v > 0]
sys.exit(0 if not any(lost) and len(seen) >= 3 and seen[-1] > seen[0] else 1)
EOF
	python3 - "$leak" "$list" "$reach_list" <<'EOF' || fail "the live scan did not tell the stacks apart"
import sys
leak, lost_list, reach_list = ([int(v) for v in a.split()] for a in sys.argv[1:])
seen = [v for v in leak if v > 0]
ok = len(seen) >= 3 and seen[-1] > seen[0] and all(b >= a for a, b in zip(seen, seen[1:]))
reach_seen = [v for v in reach_list if v > 0]
ok = ok and not any(lost_list) and len(reach_seen) >= 3 and reach_seen[-1] > reach_seen[0]
sys.exit(0 if ok else 1)
EOF
	# Left running, not stopped, and still making progress.
	kill -0 "$FIXTURE_PID" 2>/dev/null || fail "the service died:" "$(tail -3 "$FIXTURE_OUT")"
	local state
	state=$(awk '{print $3}' "/proc/$FIXTURE_PID/stat")
	[ "$state" != T ] && [ "$state" != t ] || fail "the service is left stopped (state $state)"
	expect_eq "the service's tracer after memleakd" 0 "$(awk '/^TracerPid:/ {print $2}' "/proc/$FIXTURE_PID/status")"
	tick1=$(awk '/^tick/ {t = $2} END {print t + 0}' "$FIXTURE_OUT")
	sleep 0.5
	tick2=$(awk '/^tick/ {t = $2} END {print t + 0}' "$FIXTURE_OUT")
	[ "$tick2" -gt "$tick1" ] || fail "the service's progress counter stopped at $tick1"
	echo "# live: service ticks $tick1 -> $tick2 after memleakd exited"
}
