# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# With -f only the traced tree pays (issue 12 item 4): probes go on per
# traced process (uprobe_multi links with the kernel's pid filter), a
# forked child is held at fork until its own are on. A process outside the
# tree never traps: its code keeps no breakpoint, and one under valgrind
# (which runs a breakpoint as its program's own and dies of SIGTRAP) lives.
# MEMLEAKD_TEST_FILE_WIDE=1 brings back the file-wide probes (the fallback
# for kernels without uprobe_multi links): then both checks fail.
# Sourced by tests/integration/run.sh, after lib.sh.

# code_byte PID SITE: the byte at file offset SITE of PID's libc, in PID's memory, in hex.
code_byte() {
	python3 - "$1" "$2" <<'PY'
import sys
pid, site = sys.argv[1], int(sys.argv[2], 16)
for line in open(f"/proc/{pid}/maps"):
    f = line.split()
    if len(f) < 6 or "/libc.so" not in f[5] or "x" not in f[1]:
        continue
    start, end = (int(x, 16) for x in f[0].split("-"))
    off = int(f[2], 16)
    if off <= site < off + end - start:
        mem = open(f"/proc/{pid}/mem", "rb")
        mem.seek(start + site - off)
        print(mem.read(1).hex())
        break
PY
}

# file_byte PATH SITE: the byte at offset SITE of PATH, in hex.
file_byte() {
	python3 -c "f = open('$1', 'rb'); f.seek(int('$2', 16)); print(f.read(1).hex())"
}

# start_follow_tree STOP: memleakd -f -- a shell that runs lifecycle fork
# (a parent and a forked child that leak), twice, then forks sleeps until
# STOP exists. Waits until both trees were traced.
start_follow_tree() {
	ML_FOLDED="$WORK/tree.$RANDOM.folded"
	ML_OUT="$WORK/tree.$RANDOM.out" ML_ERR="$WORK/tree.$RANDOM.err"
	"$MEMLEAKD" -v -f -i 1 --folded "$ML_FOLDED" -- sh -c \
		"'$FIX/lifecycle' fork; '$FIX/lifecycle' fork; while [ ! -e '$1' ]; do sleep 0.1; done" \
		>"$ML_OUT" 2>"$ML_ERR" </dev/null &
	ML_PID=$!
	track_pid "$ML_PID"
	wait_for "$ML_ERR" 'pid [0-9]+ exec.d sleep' 30 ||
		fail "the traced tree did not get to its loop:" "$(cat "$ML_ERR")"
}

# stop_follow_tree STOP: ends the tree, memleakd with it (exit 0), and checks
# every forked child's leak was traced from its first instruction.
stop_follow_tree() {
	touch "$1"
	wait_exit "$ML_PID" 30 || fail "memleakd did not end with the tree:" "$(cat "$ML_ERR")"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	expect_eq "parent_leak bytes" 1000 "$(blamed "$ML_FOLDED" parent_leak)" "$(cat "$ML_FOLDED")"
	expect_eq "child_leak bytes (every child traced from its start)" 4000 \
		"$(blamed "$ML_FOLDED" child_leak)" "$(cat "$ML_FOLDED")"
}

# The int3 check: while memleakd -f traces a tree, an unrelated process's
# malloc keeps its own code.
test_perpid_unrelated_code_unchanged() {
	local site libc stop="$WORK/stop.$RANDOM" mode
	start_fixture leaker malloc 5
	libc=$(awk '/libc.so/ {print $6; exit}' "/proc/$FIXTURE_PID/maps")
	start_follow_tree "$stop"
	grep -q "probes per traced process" "$ML_ERR" ||
		fail "-v does not say the probes are per process:" "$(cat "$ML_ERR")"
	site=$(sed -n 's/.*: malloc probed at .*libc.so.6+0x\([0-9a-f]*\) .*/\1/p' "$ML_ERR" | head -1)
	[ -n "$site" ] || fail "no malloc probe site in -v:" "$(cat "$ML_ERR")"
	expect_eq "unrelated process's malloc (0x$site) while -f runs" "$(file_byte "$libc" "$site")" \
		"$(code_byte "$FIXTURE_PID" "$site")" "$(cat "$ML_ERR")"
	stop_follow_tree "$stop"
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^leaked' 10 || fail "the unrelated leaker did not run:" "$(cat "$FIXTURE_OUT")"
	! grep -Eq "pid $FIXTURE_PID[ :]" "$ML_ERR" || fail "the unrelated process was traced:" "$(cat "$ML_ERR")"
}

# The valgrind check: `valgrind --tool=none` runs a program whose mallocs it
# translates; a breakpoint in them is SIGTRAP for it. Unrelated, it lives.
test_perpid_unrelated_valgrind_lives() {
	local out="$WORK/vg.out" stop="$WORK/stop.$RANDOM" vg
	command -v valgrind >/dev/null || fail "valgrind not installed"
	valgrind --tool=none -q "$FIX/leaker" malloc 50 --exit >"$out" 2>&1 &
	vg=$!
	track_pid "$vg"
	wait_for "$out" '^ready' 60 || fail "leaker under valgrind did not start:" "$(cat "$out")"
	start_follow_tree "$stop"
	kill -USR1 "$vg"
	wait_exit "$vg" 60 || fail "the leaker under valgrind did not end:" "$(cat "$out")"
	expect_eq "unrelated valgrind's exit code" 0 "$EXIT_CODE" "$(cat "$out")"
	grep -q '^leaked' "$out" || fail "the leaker under valgrind did not finish:" "$(cat "$out")"
	! grep -q "runs under valgrind" "$ML_ERR" ||
		fail "warned about a process it does not probe:" "$(cat "$ML_ERR")"
	stop_follow_tree "$stop"
}

# The fallback keeps the file-wide probes: the same check sees the breakpoint.
test_perpid_file_wide_fallback() {
	local site libc stop="$WORK/stop.$RANDOM"
	start_fixture leaker malloc 5
	libc=$(awk '/libc.so/ {print $6; exit}' "/proc/$FIXTURE_PID/maps")
	MEMLEAKD_TEST_FILE_WIDE=1 start_follow_tree "$stop"
	site=$(sed -n 's/.*: malloc probed at .*libc.so.6+0x\([0-9a-f]*\) .*/\1/p' "$ML_ERR" | head -1)
	[ -n "$site" ] || fail "no malloc probe site in -v:" "$(cat "$ML_ERR")"
	expect_eq "unrelated process's malloc under file-wide probes" cc \
		"$(code_byte "$FIXTURE_PID" "$site")" "$(cat "$ML_ERR")"
	stop_follow_tree "$stop"
}

# A forked child's own loader hook: the library it dlopens is read before
# it runs (the child held at the hook), its leak named through the library.
test_perpid_child_dlopen() {
	local out="$WORK/dl.$RANDOM.out" folded="$WORK/dl.$RANDOM.folded" got leaked
	run_command 0 -f --folded "$folded" -- sh -c "
		'$FIX/dlopener' '$PWD/$FIX/libleaklib.so' 200 0 >'$out' & p=\$!
		until grep -q ready '$out'; do sleep 0.05; done; kill -USR1 \$p
		until grep -q leaked '$out'; do sleep 0.05; done; kill \$p; wait \$p; exit 0"
	leaked=$(sed -n 's/^leaked //p' "$out")
	got=$(folded_bytes "$folded" ";main;use_library;leaklib_make;leaklib_inner")
	[ -n "$leaked" ] && [ "$got" = "$leaked" ] ||
		fail "expected $leaked B under main;use_library;leaklib_make;leaklib_inner, got '$got':" \
			"$(cat "$folded")" "$(cat "$CMD_ERR")"
}
