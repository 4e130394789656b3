#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Integration tests: real BPF programs against the fixtures in tests/fixtures.
# Needs root. Prints "ok"/"not ok" per test and "N passed, N failed" at the end.
#
#   BUILD=build MEMLEAKD=./memleakd bash tests/integration/run.sh [NAME-FILTER]
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh

ALLOC_FUNCTIONS="malloc calloc realloc reallocarray posix_memalign aligned_alloc memalign valloc pvalloc"
ITERATIONS=200

# One allocator function: the leak through leak_outer -> leak_mid -> leak_inner
# is reported with the bytes the fixture says it leaked; churn holds nothing.
check_allocator() {
	local fn=$1 folded="$WORK/$1.folded" leaked got churn
	start_fixture leaker "$fn" "$ITERATIONS" || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded" || return 1
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^leaked' 30 || fail "fixture did not finish" || return 1
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code: expected 0, got $EXIT_CODE" || return 1
	leaked=$(leaked_bytes)
	got=$(folded_bytes "$folded" "leak_outer;leak_mid;leak_inner")
	within 10 "$leaked" "$got" ||
		fail "folded leak_inner bytes: expected $leaked ±10%, got $got; folded:" "$(cat "$folded")" ||
		return 1
	churn=$(folded_bytes "$folded" "churn_inner")
	[ "$churn" = 0 ] || fail "churn_inner holds $churn outstanding bytes, expected 0" || return 1
	grep -q "final report" "$ML_OUT" || fail "no final report on stdout" || return 1
	# A clean run loses nothing: no missed or stale return probes either.
	grep -q "^lost: ringbuf drops 0, stack collisions 0, stack failures 0, stash misses 0, stash full 0, stale stashes 0," "$ML_OUT" ||
		fail "losses in a clean run:" "$(grep '^lost' "$ML_OUT" | tail -1)" || return 1
	# The fixture's own DWARF gives the line of the call in leak_inner.
	grep -Eq "^        leak_inner\+0x[0-9a-f]+ \(leaker\) tests/fixtures/leaker.c:[0-9]+$" "$ML_OUT" ||
		fail "report lacks the frame 'leak_inner+0x.. (leaker) tests/fixtures/leaker.c:N'; report:" "$(cat "$ML_OUT")" || return 1
	# libc6-dbg's build-id debug file names the local function that calls main.
	grep -q "^leaker;_start;__libc_start_main[^;]*;__libc_start_call_main;main;leak_outer" "$folded" ||
		fail "libc's frame is not named from its debug file; folded:" "$(cat "$folded")" || return 1
	grep -Eq "^#1 .*\(($leaked|[0-9]+) B\) in $ITERATIONS allocations" "$ML_OUT" ||
		fail "top stack is not the $ITERATIONS leaked allocations; report:" "$(tail -20 "$ML_OUT")" || return 1
}

for fn in $ALLOC_FUNCTIONS; do
	eval "test_alloc_$fn() { check_allocator $fn; }"
done

# The target exits while traced: memleakd notices, prints a final report of
# what it held at exit, and exits 0 by itself.
test_target_exits() {
	start_fixture leaker malloc 100 --exit || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 || return 1
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd still running after the target exited" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code: expected 0, got $EXIT_CODE" || return 1
	grep -q "final report.*exited" "$ML_OUT" || fail "final report does not say the target exited" || return 1
	grep -q "leak_inner" "$ML_OUT" || fail "final report lacks leak_inner" || return 1
}

# Two targets; one exits: it is dropped (never a leak of the living), the
# other keeps being traced and reported.
test_two_pids_one_exits() {
	local first second first_out folded="$WORK/two.folded"
	start_fixture leaker malloc 100 --exit || return 1
	first=$FIXTURE_PID first_out=$FIXTURE_OUT
	start_fixture leaker calloc 100 || return 1
	second=$FIXTURE_PID
	start_memleakd -p "$first" -p "$second" -i 1 --folded "$folded" || return 1
	kill -USR1 "$first" "$second"
	wait_for "$first_out" '^leaked' 30 || fail "first fixture did not finish" || return 1
	wait_for "$FIXTURE_OUT" '^leaked' 30 || fail "second fixture did not finish" || return 1
	wait_for "$ML_ERR" "pid $first \(leaker\) exited; its allocations are dropped" 10 ||
		fail "no drop message for pid $first:" "$(cat "$ML_ERR")" || return 1
	kill -0 "$ML_PID" 2>/dev/null || fail "memleakd stopped although pid $second still runs" || return 1
	sleep 1.5 # one more interval, written after the drop
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code: expected 0, got $EXIT_CODE" || return 1
	within 10 "$(leaked_bytes)" "$(folded_bytes "$folded" "leak_inner")" ||
		fail "second target's leak: expected $(leaked_bytes), folded:" "$(cat "$folded")" || return 1
	! sed -n '/final report/,$p' "$ML_OUT" | grep -Eq "^#[0-9]+ .*, pid $first \(leaker\)$" ||
		fail "the exited pid $first still has stacks in the final report" || return 1
}

# -d expiry ends the run with a final report.
test_duration_expiry() {
	start_fixture leaker malloc 10 || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 -d 2 || return 1
	wait_exit "$ML_PID" 15 || fail "memleakd did not stop after -d 2" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code: expected 0, got $EXIT_CODE" || return 1
	grep -q "final report" "$ML_OUT" || fail "no final report" || return 1
}

# SIGTERM is a clean stop too.
test_sigterm_final_report() {
	start_fixture leaker malloc 10 || return 1
	start_memleakd -p "$FIXTURE_PID" -i 5 || return 1
	kill -TERM "$ML_PID"
	wait_exit "$ML_PID" 15 || fail "memleakd did not stop on SIGTERM" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code: expected 0, got $EXIT_CODE" || return 1
	grep -q "final report" "$ML_OUT" || fail "no final report" || return 1
}

# expect_error CODE REGEX ARGS...: memleakd exits with CODE and says REGEX on stderr.
expect_error() {
	local code=$1 regex=$2 err="$WORK/err.$RANDOM"
	shift 2
	timeout 30 "$MEMLEAKD" "$@" >/dev/null 2>"$err"
	EXIT_CODE=$?
	[ "$EXIT_CODE" = "$code" ] || fail "memleakd $*: exit code expected $code, got $EXIT_CODE; stderr: $(cat "$err")" || return 1
	grep -Eq -- "$regex" "$err" || fail "memleakd $*: stderr lacks /$regex/: $(cat "$err")" || return 1
	[ "$(wc -l <"$err")" -le 2 ] || fail "memleakd $*: expected a one-line error, got: $(cat "$err")" || return 1
}

test_dead_pid() {
	local pid
	sleep 0 & pid=$!
	wait "$pid"
	expect_error 5 "no process with PID $pid" -p "$pid"
}

test_pid_without_malloc() {
	"$FIX/no_malloc" & local pid=$!
	PIDS_TO_KILL+=("$pid")
	sleep 0.2
	expect_error 5 "no object that defines malloc" -p "$pid"
}

test_unwritable_folded() {
	start_fixture leaker malloc 1 || return 1
	expect_error 6 "cannot write --folded file '/nonexistent-dir/x.folded'" \
		-p "$FIXTURE_PID" --folded /nonexistent-dir/x.folded || return 1
	expect_error 6 "cannot write --folded file '$WORK'" -p "$FIXTURE_PID" --folded "$WORK"
}

test_bad_options() {
	expect_error 2 "invalid PID 'abc'" -p abc || return 1
	expect_error 2 "cannot be combined" -p 1 -- true || return 1
	expect_error 2 "invalid interval '0'" -p 1 -i 0 || return 1
	expect_error 2 "unknown" -p 1 --no-such-option
}

test_not_root() {
	local err="$WORK/notroot.err"
	start_fixture leaker malloc 1 || return 1
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$MEMLEAKD" -p "$FIXTURE_PID" >/dev/null 2>"$err"
	EXIT_CODE=$?
	[ "$EXIT_CODE" = 3 ] || fail "as nobody: exit code expected 3, got $EXIT_CODE: $(cat "$err")" || return 1
	grep -q "missing privileges (CAP_BPF" "$err" || fail "as nobody: unexpected message: $(cat "$err")"
}

# ours_loaded: how many of memleakd's BPF programs the kernel holds.
ours_loaded() {
	bpftool prog show 2>/dev/null | grep -cE "name (malloc_enter|free_enter|alloc_return|process_exit)\b"
}

# A SIGKILLed memleakd leaves nothing attached: links, perf events, programs.
test_sigkill_leaves_no_probes() {
	local before i
	before=$(ours_loaded)
	start_fixture leaker malloc 1 || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 || return 1
	[ "$(ours_loaded)" -gt "$before" ] || fail "memleakd's programs not visible in bpftool while running" || return 1
	bpftool perf list 2>/dev/null | grep -q "pid $ML_PID " ||
		fail "bpftool perf shows no uprobe of pid $ML_PID while running" || return 1
	kill -KILL "$ML_PID"
	wait "$ML_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		[ "$(ours_loaded)" -le "$before" ] && break
		sleep 0.1
	done
	[ "$(ours_loaded)" -le "$before" ] || fail "programs still loaded after SIGKILL: $(bpftool prog show | grep -E 'malloc_enter|free_enter')" || return 1
	! bpftool perf list 2>/dev/null | grep -q "pid $ML_PID " || fail "perf links of pid $ML_PID remain" || return 1
	! bpftool link list 2>/dev/null | grep -qE "prog [0-9]+ .*(malloc_enter|free_enter|process_exit)" ||
		fail "bpf links remain: $(bpftool link list)" || return 1
}

# The README's demo puts the demo's leaking function on top with the exact bytes.
test_demo() {
	local out="$WORK/demo.out" bytes count
	[ -x "$BUILD/demo_leaker" ] || fail "$BUILD/demo_leaker not built" || return 1
	BUILD=$BUILD bash tools/demo.sh >"$out" 2>&1 || fail "demo failed:" "$(cat "$out")" || return 1
	grep -A3 '^#1 ' "$out" | tail -1 | grep -q '^        new_session+0x' ||
		fail "new_session is not the top frame of stack #1:" "$(cat "$out")" || return 1
	# The leak is 256 B per allocation, nothing else is outstanding.
	grep -A2 '^#1 ' "$out" | grep -q 'GROWING' ||
		fail "the demo's leak is not flagged growing:" "$(cat "$out")" || return 1
	read -r bytes count < <(sed -n 's/^#1 .*(\([0-9]*\) B) in \([0-9]*\) allocations.*/\1 \2/p' "$out" | tail -1)
	[ -n "$count" ] && [ "$count" -gt 0 ] && [ "$bytes" = $((count * 256)) ] ||
		fail "stack #1: expected 256 B x allocations, got '$bytes' B in '$count'" || return 1
}

# Stack fidelity against gdb's backtraces (tools/fidelity.py): the DWARF
# unwinder recovers >= 95% of true frames with <= 1% bogus ones, with and
# without frame pointers, through libc and libstdc++; the frame-pointer mode
# still works where frame pointers exist. The table goes to the log.
test_stack_fidelity() {
	local out="$WORK/fidelity.out"
	command -v gdb >/dev/null || fail "gdb not installed (tools/install-deps.sh)" || return 1
	python3 tools/fidelity.py --memleakd "$MEMLEAKD" --modes dwarf,fp \
		--check dwarf:0.95:0.01 "$FIX/fidelity-nofp" >"$out" 2>&1 ||
		fail "no-frame-pointer fixture:" "$(cat "$out")" || return 1
	python3 tools/fidelity.py --memleakd "$MEMLEAKD" --modes dwarf,fp \
		--check dwarf:0.95:0.01 --check fp:0.25:0.01 "$FIX/fidelity-fp" >>"$out" 2>&1 ||
		fail "frame-pointer fixture:" "$(cat "$out")" || return 1
	sed 's/^/# /' "$out"
}

# A program built without frame pointers and without .eh_frame (only
# .debug_frame): the DWARF walker still gives the whole chain.
test_debug_frame_only() {
	local folded="$WORK/debugframe.folded"
	start_fixture leaker-debugframe malloc 100 || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded" || return 1
	finish_traced '^leaked' || return 1
	grep -q "^leaker-debugfra;_start;.*;main;leak_outer;leak_mid;leak_inner;allocate 100000$" "$folded" ||
		fail "incomplete stack from .debug_frame:" "$(cat "$folded")" || return 1
	grep -q "stacks (dwarf unwinding): 0 of " "$ML_OUT" ||
		fail "a stack ended early:" "$(grep '^stacks' "$ML_OUT")" || return 1
}

# A library loaded with dlopen after attach, without frame pointers: its
# unwind table arrives within a second and its callers are named.
test_dlopen_after_attach() {
	local folded="$WORK/dlopen.folded" leaked got
	start_fixture dlopener "$PWD/$FIX/libleaklib.so" 200 1.5 || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded" || return 1
	finish_traced '^leaked' || return 1
	leaked=$(sed -n 's/^leaked //p' "$FIXTURE_OUT")
	got=$(folded_bytes "$folded" ";main;use_library;leaklib_make;leaklib_inner")
	[ "$got" = "$leaked" ] ||
		fail "expected $leaked B under main;use_library;leaklib_make;leaklib_inner, got '$got':" "$(cat "$folded")" || return 1
}

# The binary is deleted from disk while it runs (an upgrade replaced it):
# unwind tables and symbols still come from the mapped file (map_files).
test_deleted_binary() {
	local copy="$WORK/leaker-deleted" folded="$WORK/deleted.folded"
	cp "$FIX/leaker" "$copy" || return 1
	"$copy" malloc 100 >"$WORK/deleted.out" 2>&1 &
	FIXTURE_PID=$!
	PIDS_TO_KILL+=("$FIXTURE_PID")
	FIXTURE_OUT="$WORK/deleted.out"
	wait_for "$FIXTURE_OUT" '^ready' 10 || fail "copy did not start" || return 1
	rm -f "$copy"
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded" || return 1
	finish_traced '^leaked' || return 1
	grep -q "^leaker-deleted;_start;.*;main;leak_outer;leak_mid;leak_inner;allocate 100000$" "$folded" ||
		fail "deleted binary's stack not resolved:" "$(cat "$folded")" || return 1
}

# --- growth detection: memleakd -i 1 --json on one pattern of tests/fixtures/growth.c
# run_growth PATTERN SECONDS: sets GROWTH_JSON.
run_growth() {
	GROWTH_JSON="$WORK/growth-$1.json"
	start_fixture growth "$1" || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 -d "$2" -n 50 --json "$GROWTH_JSON" || return 1
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" $(($2 + 30)) || fail "memleakd did not stop after -d $2" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code $EXIT_CODE:" "$(cat "$ML_ERR")" || return 1
	local n
	n=$(python3 tests/integration/growth_check.py "$GROWTH_JSON" intervals)
	[ "$n" -ge $(($2 - 1)) ] || fail "only $n intervals in $GROWTH_JSON" || return 1
}

growth() { python3 tests/integration/growth_check.py "$GROWTH_JSON" "$@"; }

# A steady 20 KiB/s leak is flagged within 5 intervals.
test_growth_steady_leak() {
	local first
	run_growth steady 8 || return 1
	first=$(growth first steady_leak)
	[ "$first" -ge 1 ] && [ "$first" -le 5 ] ||
		fail "steady_leak first flagged at interval '$first', want 1..5;" "$(growth flagged)" || return 1
	echo "# steady 20 KiB/s leak: flagged at interval $first"
}

# A 1 KB/s leak amid 20,000 malloc/free per second is flagged within 20
# intervals, and the churn never is.
test_growth_slow_leak_in_churn() {
	local first others rate
	run_growth slow 22 || return 1
	first=$(growth first slow_leak)
	[ "$first" -ge 1 ] && [ "$first" -le 20 ] ||
		fail "slow_leak first flagged at interval '$first', want 1..20;" "$(growth flagged)" || return 1
	others=$(growth flagged | grep -v ':slow_leak:')
	[ -z "$others" ] || fail "other stacks flagged:" "$others" || return 1
	rate=$(sed -n 's/^churn \([0-9]*\) pairs.s$/\1/p' "$FIXTURE_OUT" | tail -1)
	[ -n "$rate" ] && [ "$rate" -ge 19000 ] ||
		fail "churn only reached '$rate' malloc/free pairs per second, want >= 20,000" || return 1
	echo "# slow 1 KB/s leak in $rate malloc/free per second: flagged at interval $first"
}

# A cache that fills in 3 s and then replaces entries is not flagged from 5
# intervals after its plateau on.
test_growth_cache_plateau() {
	local late
	run_growth cache 20 || return 1
	late=$(growth flagged 8)
	[ -z "$late" ] || fail "flagged after the plateau:" "$late" || return 1
	echo "# bounded cache: flags at any interval: $(growth flagged | wc -l)"
}

# Grow 4 s, free everything, repeat: never flagged.
test_growth_sawtooth() {
	local flags
	run_growth sawtooth 21 || return 1
	flags=$(growth flagged)
	[ -z "$flags" ] || fail "sawtooth flagged:" "$flags" || return 1
}

# Allocating and freeing without a leak: no stack flagged in 60 intervals.
test_growth_steady_workload() {
	local flags
	run_growth workload 61 || return 1
	flags=$(growth flagged)
	[ -z "$flags" ] || fail "a stack was flagged:" "$flags" || return 1
}

# --pprof: go tool pprof reads the profile, and its inuse_space total is
# memleakd's own outstanding total (the final JSON line of the same snapshot).
test_pprof_matches_totals() {
	local prof="$WORK/leak.pb.gz" json="$WORK/leak.json" top total want
	command -v go >/dev/null || fail "go not installed (tools/install-deps.sh: golang-go)" || return 1
	start_fixture fidelity-nofp </dev/null || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --pprof "$prof" --json "$json" || return 1
	finish_traced '^done' || return 1
	top=$(HOME=$WORK GOCACHE=$WORK/go-cache go tool pprof -top -unit=B -sample_index=inuse_space "$prof" 2>&1)
	total=$(sed -n 's/^Showing nodes accounting for \([0-9]*\)B, 100% of \([0-9]*\)B total$/\2/p' <<<"$top")
	want=$(tail -1 "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["outstanding_bytes"])')
	[ -n "$total" ] && [ "$total" = "$want" ] ||
		fail "pprof inuse_space total '$total', memleakd total '$want'; pprof said:" "$top" || return 1
	grep -q "fid_direct_c" <<<"$top" || fail "fid_direct_c missing from pprof -top:" "$top" || return 1
	# The four sample types, and inlined frames kept as such.
	top=$(HOME=$WORK GOCACHE=$WORK/go-cache go tool pprof -traces -sample_index=alloc_objects "$prof" 2>&1)
	grep -q "getline (inline)" <<<"$top" || fail "no inlined frame in pprof -traces:" "$top" || return 1
	echo "# pprof inuse_space total = memleakd total = $want B"
}

# --svg: a well-formed flame graph in which the leaking function's frame is
# drawn, titled with its bytes and growth, and marked growing.
test_svg_flame_graph() {
	local svg="$WORK/leak.svg" check
	start_fixture growth steady || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 -d 8 --svg "$svg" || return 1
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 30 || return 1
	check=$(python3 - "$svg" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", "root is not <svg>"
found = [g for g in root.iter(ns + "g")
         if g.find(ns + "title") is not None and g.find(ns + "title").text.startswith("steady_leak ")]
assert found, "no frame titled steady_leak"
g = found[0]
assert g.get("class") == "growing", "steady_leak not marked growing"
assert "growing +" in g.find(ns + "title").text, "title lacks the growth rate"
assert " B, " in g.find(ns + "title").text, "title lacks the bytes"
assert g.find(ns + "rect") is not None and float(g.find(ns + "rect").get("width")) > 100, "frame too narrow"
texts = [t.text for t in root.iter(ns + "text") if t.text]
assert any(t.startswith("steady_leak") for t in texts), "steady_leak not written on its frame"
print("ok")
PY
)
	[ "$check" = ok ] || fail "SVG check failed: $check" || return 1
}

# Colour on a terminal only: a pty gets ANSI codes on a growing stack;
# NO_COLOR and a pipe get none.
test_color_only_on_terminal() {
	local tty_out="$WORK/tty.out" nocolor_out="$WORK/nocolor.out"
	command -v script >/dev/null || fail "script(1) missing (util-linux)" || return 1
	start_fixture growth steady || return 1
	kill -USR1 "$FIXTURE_PID"
	script -qec "$MEMLEAKD -p $FIXTURE_PID -i 1 -d 8 -n 1" /dev/null >"$tty_out" 2>&1 ||
		fail "memleakd on a pty failed:" "$(cat "$tty_out")" || return 1
	grep -q $'\033\[1;31mGROWING' "$tty_out" || fail "no colour on a terminal:" "$(tail -5 "$tty_out")" || return 1
	NO_COLOR=1 script -qec "$MEMLEAKD -p $FIXTURE_PID -i 1 -d 7 -n 1" /dev/null >"$nocolor_out" 2>&1 ||
		return 1
	grep -q 'GROWING' "$nocolor_out" || fail "no GROWING with NO_COLOR:" "$(tail -5 "$nocolor_out")" || return 1
	! grep -q $'\033\[' "$nocolor_out" || fail "colour despite NO_COLOR" || return 1
	# Every other test reads a pipe: the steady leak's report there has no escape either.
	"$MEMLEAKD" -p "$FIXTURE_PID" -i 1 -d 7 -n 1 2>/dev/null | grep -q $'\033' &&
		fail "colour in a pipe" && return 1
	return 0
}

# --sample-bytes: the leak's bytes are estimated within 20% (about 470
# samples of 1000 B at one per 4 KiB), the churn holds nothing, and the
# frees of unsampled blocks stay in the kernel (no unmatched frees).
test_sampling_estimates() {
	local folded="$WORK/sampled.folded" leaked got churn
	start_fixture leaker malloc 2000 || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --sample-bytes 4k --folded "$folded" || return 1
	finish_traced '^leaked' || return 1
	leaked=$(leaked_bytes)
	got=$(folded_bytes "$folded" "leak_outer;leak_mid;leak_inner")
	within 20 "$leaked" "$got" || fail "estimated $got B for $leaked B leaked (±20%)" || return 1
	churn=$(folded_bytes "$folded" "churn_inner")
	[ "$churn" = 0 ] || fail "churn_inner holds $churn B" || return 1
	grep -q "^unmatched frees 0 " "$ML_OUT" || fail "unsampled frees reached userspace:" "$(grep '^unmatched' "$ML_OUT" | tail -1)" || return 1
	grep -q "^sampling: one allocation per 4.0 KiB" "$ML_OUT" || fail "report does not say it samples" || return 1
	echo "# sampling 1 per 4 KiB: estimated $got B for $leaked B leaked"
}

# With sampling, a target that exits leaves nothing behind in the kernel's
# set of sampled blocks, while the other target's blocks stay.
test_sampling_purged_on_exit() {
	local first second dump
	start_fixture leaker malloc 30 --exit || return 1
	first=$FIXTURE_PID
	start_fixture leaker malloc 30 || return 1
	second=$FIXTURE_PID
	start_memleakd -p "$first" -p "$second" -i 1 --sample-bytes 1 || return 1
	kill -USR1 "$first" "$second"
	wait_for "$ML_ERR" "pid $first .*exited" 30 || fail "exit not noticed:" "$(cat "$ML_ERR")" || return 1
	wait_for "$FIXTURE_OUT" '^leaked' 30 || return 1
	sleep 0.5
	dump=$(bpftool -j map dump name sampled 2>&1 | python3 -c '
import json, sys
pids = [e["formatted"]["key"]["tgid"] for e in json.load(sys.stdin)]
print(" ".join(str(p) for p in sorted(set(pids))), len(pids))')
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || return 1
	[[ " $dump " != *" $first "* ]] || fail "blocks of exited pid $first still in the map: $dump" || return 1
	[[ " $dump " == *" $second "* ]] || fail "the living target's blocks are gone: $dump" || return 1
}

# --json -: stdout carries JSON lines only, one valid object per interval.
test_json_stdout() {
	local out="$WORK/json-stdout.out"
	start_fixture leaker malloc 20 || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 -d 3 --json - || return 1
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 20 || return 1
	python3 - "$ML_OUT" >"$out" 2>&1 <<'PY' || fail "stdout is not JSON lines:" "$(cat "$out")" || return 1
import json, sys
objs = [json.loads(line) for line in open(sys.argv[1])]
assert len(objs) >= 3, "%d objects" % len(objs)
assert objs[-1]["final"] and not objs[0]["final"]
assert [o["seq"] for o in objs] == list(range(1, len(objs) + 1))
leak = [s for s in objs[-1]["stacks"] if any(f["symbol"] == "leak_inner" for f in s["frames"])]
assert leak and leak[0]["outstanding_bytes"] == 20000, leak
PY
}

# 3,200 distinct stacks through a 1,024-slot stack map: stacks that hold no
# memory are pruned, so nothing is lost and the leak's stack still resolves.
test_stack_map_pruning() {
	local folded="$WORK/stacks.folded"
	start_fixture growth stacks || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 -d 14 --stack-slots 1024 --folded "$folded" -vv || return 1
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 40 || return 1
	grep -q "stacks pruned from the kernel's stack map" "$ML_ERR" || fail "nothing was pruned" || return 1
	grep -q "^lost: ringbuf drops 0, stack collisions 0, stack failures 0," "$ML_OUT" ||
		fail "stacks lost:" "$(grep '^lost' "$ML_OUT" | tail -1)" || return 1
	grep -q ";main;run;leak_among_many [0-9]*$" "$folded" ||
		fail "the leak's stack is not resolved:" "$(head -5 "$folded")" || return 1
}

# C++ names are demangled unless --no-demangle.
test_demangle() {
	local folded="$WORK/cxx.folded" raw="$WORK/cxx-raw.folded"
	start_fixture fidelity-nofp </dev/null || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded" || return 1
	finish_traced '^done' || return 1
	grep -q ';fid_vector_b;operator new(unsigned long) ' "$folded" ||
		fail "no demangled operator new under fid_vector_b:" "$(cat "$folded")" || return 1
	grep -q '_Znwm' "$folded" && fail "a mangled name is left:" "$(cat "$folded")" && return 1
	start_fixture fidelity-nofp </dev/null || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$raw" --no-demangle || return 1
	finish_traced '^done' || return 1
	grep -q ';fid_vector_b;_Znwm ' "$raw" ||
		fail "--no-demangle still demangles:" "$(cat "$raw")" || return 1
}

# The daemon itself leaks nothing and makes no memory errors (valgrind).
# --- command mode, lifecycles, allocators, system-wide ---------------------------

# run_command CODE ARGS...: memleakd ARGS (a command after --) exits with CODE;
# sets CMD_OUT (stdout) and CMD_ERR (stderr).
run_command() {
	local code=$1
	shift
	CMD_OUT="$WORK/cmd.$RANDOM.out"
	CMD_ERR="$WORK/cmd.$RANDOM.err"
	timeout 60 "$MEMLEAKD" "$@" >"$CMD_OUT" 2>"$CMD_ERR" </dev/null
	EXIT_CODE=$?
	[ "$EXIT_CODE" = "$code" ] ||
		fail "memleakd $*: exit code expected $code, got $EXIT_CODE; stderr:" "$(cat "$CMD_ERR")" "stdout:" "$(cat "$CMD_OUT")"
}

# blamed FOLDED FUNCTION: the bytes the folded file gives stacks through FUNCTION.
blamed() {
	awk -v fn="$2" 'index($0, ";" fn ";") || index($0, ";" fn " ") { sum += $NF } END { print sum + 0 }' "$1"
}

# only_blamed FOLDED FUNCTION BYTES [FUNCTION BYTES...]: exactly these functions
# hold memory outside suppressed stacks, with these bytes; nothing else does.
only_blamed() {
	local folded=$1 total=0 fn bytes got all
	shift
	while [ $# -gt 0 ]; do
		fn=$1 bytes=$2
		shift 2
		got=$(blamed "$folded" "$fn")
		[ "$got" = "$bytes" ] || fail "$fn: expected $bytes B, got $got; folded:" "$(cat "$folded")" || return 1
		total=$((total + bytes))
	done
	# Suppressed stacks (libc's stdio buffers, loader tables) are not blamed.
	all=$(grep -vE '_IO_file_doallocate|_dl_non_dynamic_init|_dl_init|call_init' "$folded" | awk '{s += $NF} END {print s + 0}')
	[ "$all" = "$total" ] || fail "expected $total B blamed in all, got $all; folded:" "$(cat "$folded")"
}

# A command that leaks: --fail-on-leaks exits 10 and names the bytes; the
# leaking function is blamed for exactly what it leaked, nothing else is.
test_command_leaks() {
	local folded="$WORK/cmd.folded"
	run_command 10 --fail-on-leaks --folded "$folded" -- "$FIX/lifecycle" leak 3 || return 1
	grep -q "LEAKS: 3000 bytes not freed at exit" "$CMD_ERR" || fail "no leak verdict:" "$(cat "$CMD_ERR")" || return 1
	only_blamed "$folded" cmd_leak 3000 || return 1
	grep -q "final report.*(lifecycle) exited" "$CMD_OUT" || fail "no final report at the command's exit:" "$(cat "$CMD_OUT")" || return 1
	# Under the threshold it passes.
	run_command 0 --fail-on-leaks=4k -- "$FIX/lifecycle" leak 3
}

test_command_no_leaks() {
	local folded="$WORK/clean.folded"
	run_command 0 --fail-on-leaks --folded "$folded" -- "$FIX/lifecycle" leak 0 || return 1
	grep -q "the command exited with status 0; 0 bytes not freed at exit" "$CMD_ERR" ||
		fail "unexpected verdict:" "$(cat "$CMD_ERR")" || return 1
	only_blamed "$folded" || return 1
	# The command's allocations were seen, from its first one: churn's 50 pairs at least.
	grep -Eq "since attach [0-9]+ allocations, [0-9]+ frees" "$CMD_OUT" &&
		[ "$(sed -n 's/.*since attach \([0-9]*\) allocations, \([0-9]*\) frees.*/\2/p' "$CMD_OUT" | tail -1)" -ge 50 ] ||
		fail "fewer than 50 frees seen:" "$(grep 'since attach' "$CMD_OUT")"
}

# The command's own failure is reported apart from leaks: exit 11 with its status.
test_command_failure() {
	run_command 11 --fail-on-leaks -- "$FIX/lifecycle" fail || return 1
	grep -q "the command exited with status 3" "$CMD_ERR" || fail "status not reported:" "$(cat "$CMD_ERR")" || return 1
	run_command 11 -- sh -c 'kill -SEGV $$' || return 1
	grep -q "killed by signal 11" "$CMD_ERR" || fail "signal not reported:" "$(cat "$CMD_ERR")" || return 1
	expect_error 5 "cannot run '/nonexistent/cmd': No such file or directory" -- /nonexistent/cmd
}

# stdin and stdout pass through; SIGTERM sent to memleakd reaches the command,
# and memleakd still prints its report when the command is gone.
test_command_io_and_signals() {
	local out="$WORK/echo.out" err="$WORK/wait.err" pid
	echo "through the pipe" | "$MEMLEAKD" -- "$FIX/lifecycle" echo >"$out" 2>/dev/null
	EXIT_CODE=$?
	[ "$EXIT_CODE" = 0 ] || fail "echo: exit code $EXIT_CODE" || return 1
	grep -q "^through the pipe$" "$out" || fail "stdin did not reach stdout:" "$(cat "$out")" || return 1
	"$MEMLEAKD" -- "$FIX/lifecycle" wait >"$out" 2>"$err" &
	pid=$!
	PIDS_TO_KILL+=("$pid")
	wait_for "$out" '^waiting' 20 || fail "command did not start:" "$(cat "$err")" || return 1
	kill -TERM "$pid"
	wait_exit "$pid" 20 || fail "memleakd did not end after SIGTERM" || return 1
	[ "$EXIT_CODE" = 11 ] || fail "exit code: expected 11, got $EXIT_CODE" || return 1
	grep -q "killed by signal 15" "$err" || fail "SIGTERM not passed on:" "$(cat "$err")" || return 1
	grep -q "final report" "$out" || fail "no final report"
}

# -f: a forked child is traced from its first allocation; without -f it is not.
test_follow_fork() {
	local folded="$WORK/fork.folded"
	run_command 0 -f --folded "$folded" -- "$FIX/lifecycle" fork || return 1
	only_blamed "$folded" parent_leak 500 child_leak 2000 || return 1
	grep -Eq "^lifecycle;.*child_leak" "$folded" || fail "child_leak not attributed to the child:" "$(cat "$folded")" || return 1
	run_command 0 --folded "$folded" -- "$FIX/lifecycle" fork || return 1
	only_blamed "$folded" parent_leak 500
}

# -f across exec: the child's pre-exec memory goes with its old image; the new
# image's allocator is probed before it runs, even a static binary's own malloc.
test_follow_exec() {
	local folded="$WORK/exec.folded" image
	for image in lifecycle lifecycle-static lifecycle-musl; do
		run_command 0 -f --folded "$folded" -- "$FIX/lifecycle" exec "$FIX/$image" || return 1
		only_blamed "$folded" parent_leak 500 cmd_leak 2000 || return 1
		grep -q "pid [0-9]* exec'd" "$CMD_ERR" || true
	done
}

# Static binaries: malloc inside the executable (glibc's, musl's).
test_static_binaries() {
	local folded="$WORK/static.folded" image
	for image in lifecycle-static lifecycle-musl; do
		run_command 10 --fail-on-leaks --folded "$folded" -- "$FIX/$image" leak 4 || return 1
		only_blamed "$folded" cmd_leak 4000 || return 1
		grep -q "LEAKS: 4000 bytes" "$CMD_ERR" || fail "$image: verdict:" "$(cat "$CMD_ERR")" || return 1
	done
}

# Preloaded jemalloc and tcmalloc are probed (not only libc) and blamed right.
test_preloaded_allocators() {
	local folded="$WORK/preload.folded" lib
	for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4; do
		[ -e "$lib" ] || fail "$lib missing: apt-get install libjemalloc2 libtcmalloc-minimal4" || return 1
		run_command 10 -v --fail-on-leaks --folded "$folded" -- env LD_PRELOAD="$lib" "$FIX/lifecycle" leak 3 || return 1
		only_blamed "$folded" cmd_leak 3000 || return 1
		grep -q "probing $(dirname "$lib")/lib\(jemalloc\|tcmalloc\)" "$CMD_ERR" ||
			fail "$lib was not probed:" "$(grep probing "$CMD_ERR")" || return 1
	done
}

# C++ new[] under jemalloc and tcmalloc, preloaded or linked: their operator
# new does not call malloc, so it is probed itself.
test_cxx_new_other_allocators() {
	local folded="$WORK/cxx.folded" lib
	for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4; do
		run_command 10 --fail-on-leaks --folded "$folded" -- env LD_PRELOAD="$lib" "$FIX/cxxleak" || return 1
		only_blamed "$folded" "cxx_leak()" 3000 || return 1
	done
	run_command 10 --fail-on-leaks --folded "$folded" -- "$FIX/cxxleak-jemalloc" || return 1
	only_blamed "$folded" "cxx_leak()" 3000
}

# Two -p targets at once: each one's leak under its own pid.
test_two_pids() {
	local a a_out b folded="$WORK/two2.folded"
	start_fixture leaker malloc 30 || return 1
	a=$FIXTURE_PID a_out=$FIXTURE_OUT
	start_fixture leaker calloc 70 || return 1
	b=$FIXTURE_PID
	start_memleakd -p "$a" -p "$b" -i 1 --folded "$folded" || return 1
	kill -USR1 "$a"
	wait_for "$a_out" '^leaked' 30 || fail "first fixture did not finish" || return 1
	finish_traced '^leaked' || return 1
	[ "$(awk '/^leaked/ {print $2}' "$a_out")" = 30000 ] || fail "fixture a: $(cat "$a_out")" || return 1
	grep -q "^processes:" "$ML_OUT" || fail "no process table:" "$(cat "$ML_OUT")" || return 1
	grep -Eq "^#[0-9]+ 29.3 KiB \(30000 B\) in 30 allocations, pid $a \(leaker\)" "$ML_OUT" ||
		fail "pid $a's leak not reported:" "$(cat "$ML_OUT")" || return 1
	grep -Eq "^#[0-9]+ 68.4 KiB \(70000 B\) in 70 allocations, pid $b \(leaker\)" "$ML_OUT" ||
		fail "pid $b's leak not reported:" "$(cat "$ML_OUT")"
}

# System-wide: a process started after memleakd is picked up; --comm filters.
test_system_wide() {
	start_memleakd -i 1 --comm leaker || return 1
	start_fixture leaker malloc 40 || return 1
	sleep 0.3
	finish_traced '^leaked' || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code $EXIT_CODE" || return 1
	grep -Eq "^#1 39.1 KiB \(40000 B\) in 40 allocations, pid $FIXTURE_PID \(leaker\)" "$ML_OUT" ||
		fail "the new process's leak is not #1:" "$(sed -n '/final report/,$p' "$ML_OUT")" || return 1
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
	PIDS_TO_KILL+=("$ns_pid")
	wait_for "$FIXTURE_OUT" '^ready' 10 || fail "namespaced fixture did not start:" "$(cat "$FIXTURE_OUT")" || return 1
	FIXTURE_PID=$(pgrep -P "$ns_pid" -x leaker)
	[ -n "$FIXTURE_PID" ] || fail "no leaker below unshare" || return 1
	PIDS_TO_KILL+=("$FIXTURE_PID")
	libc_ino=$(stat -Lc %i /lib/x86_64-linux-gnu/libc.so.6)
	target_ino=$(awk '/libc.so.6/ {print $5; exit}' "/proc/$FIXTURE_PID/maps")
	[ "$target_ino" != "$libc_ino" ] || fail "test setup: the target maps the host's libc"
}

# System-wide, a "container" started later with its own libc: that libc is
# found and probed when the process's loader has mapped it.
test_system_wide_new_libc() {
	local folded="$WORK/swns.folded"
	start_memleakd -v -i 1 --comm leaker --folded "$folded" || return 1
	start_namespaced_leaker malloc 15 || return 1
	# Not held (system-wide): the leak may start once its new libc is probed.
	wait_for "$ML_ERR" "pid $FIXTURE_PID \(leaker\): probing /usr/lib/x86_64-linux-gnu/libc.so.6" 20 ||
		fail "the new libc was not probed:" "$(grep -v 'probed at' "$ML_ERR")" || return 1
	finish_traced '^leaked' || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code $EXIT_CODE" || return 1
	[ "$(blamed "$folded" leak_inner)" = 15000 ] || fail "leak in the new libc: folded:" "$(cat "$folded")" "stderr:" "$(cat "$ML_ERR")" || return 1
	echo "# folded: $(grep leak_inner "$folded")"
}

# A target in its own mount and PID namespace, mapping its own copy of libc:
# memleakd attaches to that copy (map_files) and symbolizes it.
test_namespaced_target() {
	local folded="$WORK/ns.folded"
	start_namespaced_leaker malloc 25 || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded" || return 1
	finish_traced '^leaked' || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code $EXIT_CODE" || return 1
	[ "$(blamed "$folded" leak_inner)" = 25000 ] || fail "namespaced leak: folded:" "$(cat "$folded")" || return 1
	grep -q "__libc_start_call_main;main;leak_outer" "$folded" || fail "the copy of libc is not symbolized:" "$(cat "$folded")"
}

# System-wide, a process that exits mid-interval: its blocks leave with it,
# the next report does not show them as anyone's leak.
test_exit_mid_interval() {
	start_memleakd -i 1 --comm leaker --folded "$WORK/mid.folded" || return 1
	start_fixture leaker malloc 40 || return 1
	sleep 0.3
	kill -USR1 "$FIXTURE_PID"
	wait_for "$ML_OUT" "leak_inner" 20 || fail "the leak was never reported while the process lived" || return 1
	sleep 0.4 # mid-interval
	kill -TERM "$FIXTURE_PID"
	wait_exit "$FIXTURE_PID" 20 || fail "fixture did not exit" || return 1
	sleep 2.5 # two more intervals
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code $EXIT_CODE" || return 1
	! sed -n '/final report/,$p' "$ML_OUT" | grep -q "leak_inner" ||
		fail "the exited process's blocks are still reported:" "$(sed -n '/final report/,$p' "$ML_OUT")" || return 1
	! grep -q "leak_inner" "$WORK/mid.folded" || fail "the exited process is in the folded output"
}

# --mmap: anonymous mappings the program keeps are their own kind; one it
# unmaps, a file mapping and malloc's internal mmap are not blamed.
test_mmap_kind() {
	local folded="$WORK/mmap.folded"
	run_command 10 --mmap --fail-on-leaks --folded "$folded" -- "$FIX/lifecycle" mmap || return 1
	[ "$(folded_bytes "$folded" ";[mmap];")" = 196608 ] || fail "mapped bytes: folded:" "$(cat "$folded")" || return 1
	only_blamed "$folded" map_anonymous 196608 || return 1
	grep -q "in 3 anonymous mappings \[mmap\]" "$CMD_OUT" || fail "report:" "$(cat "$CMD_OUT")" || return 1
	grep -q "stash misses 0," "$CMD_OUT" || fail "losses:" "$(grep '^lost' "$CMD_OUT")" || return 1
	# Without --mmap, mappings are not traced at all.
	run_command 0 --fail-on-leaks --folded "$folded" -- "$FIX/lifecycle" mmap || return 1
	only_blamed "$folded"
}

# -p on a process that execs: it is held at exec until the new image's
# allocator (here a static binary's own malloc) is probed, then traced.
test_pid_exec() {
	local out="$WORK/pexec.out" folded="$WORK/pexec.folded" flag="$WORK/pexec.go"
	sh -c "echo ready; while [ ! -e '$flag' ]; do sleep 0.05; done; exec '$FIX/lifecycle-static' leak 5" >"$out" 2>&1 &
	FIXTURE_PID=$!
	PIDS_TO_KILL+=("$FIXTURE_PID")
	wait_for "$out" '^ready' 10 || fail "shell did not start" || return 1
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded" || return 1
	touch "$flag"
	wait_exit "$ML_PID" 20 || fail "memleakd did not end with its target" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "exit code $EXIT_CODE:" "$(cat "$ML_ERR")" || return 1
	grep -q "pid $FIXTURE_PID exec'd\|exec'd" "$ML_ERR" || true
	only_blamed "$folded" cmd_leak 5000
}

test_valgrind_clean() {
	command -v valgrind >/dev/null || fail "valgrind not installed" || return 1
	start_fixture leaker malloc 100 || return 1
	ML_WRAPPER="valgrind --quiet --suppressions=tests/valgrind.supp --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99" \
		start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$WORK/vg.folded" || return 1
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^leaked' 30 || return 1
	sleep 1.5
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 60 || fail "memleakd under valgrind did not exit" || return 1
	[ "$EXIT_CODE" = 0 ] || fail "valgrind: exit code $EXIT_CODE; stderr:" "$(cat "$ML_ERR")" || return 1
	grep -q "leak_inner" "$WORK/vg.folded" || fail "under valgrind the leak was not reported" || return 1
}

# The sanitizer build traces a leak with no ASan/UBSan report.
test_sanitizer_build() {
	MEMLEAKD="$BUILD/memleakd-san" check_allocator realloc || return 1
	! grep -qE "ERROR: AddressSanitizer|runtime error:" "$ML_ERR" || fail "sanitizer report:" "$(cat "$ML_ERR")"
}

ALL_TESTS=$(declare -F | awk '{print $3}' | grep '^test_')
filter=${1:-}
passed=0
failed=0
if [ "$(id -u)" != 0 ]; then
	if [ "${CI:-}" = true ]; then
		echo "not ok - integration tests need root, and CI must run them"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: integration tests need root (run 'sudo make test')"
	echo "0 passed, 0 failed, $(echo "$ALL_TESTS" | wc -l) skipped"
	exit 0
fi
for t in $ALL_TESTS; do
	[ -n "$filter" ] && [[ $t != *$filter* ]] && continue
	# Not in a subshell: the test's PIDS_TO_KILL must reach the cleanup below.
	"$t" >"$WORK/test.out" 2>&1
	rc=$?
	out=$(cat "$WORK/test.out")
	for p in "${PIDS_TO_KILL[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	PIDS_TO_KILL=()
	if [ $rc = 0 ]; then
		echo "ok - ${t#test_}"
		grep '^# ' <<<"$out" # a passing test's measurements, TAP-style
		passed=$((passed + 1))
	else
		echo "not ok - ${t#test_}"
		echo "$out" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "integration: $passed passed, $failed failed"
[ $failed = 0 ]
