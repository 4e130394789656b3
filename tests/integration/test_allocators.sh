# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Each allocator entry point, static binaries, preloaded and linked
# jemalloc/tcmalloc, C++ new, and --mmap's anonymous mappings.
# Sourced by tests/integration/run.sh, after lib.sh.
ALLOC_FUNCTIONS="malloc calloc realloc reallocarray posix_memalign aligned_alloc memalign valloc pvalloc"
ITERATIONS=200

# One allocator function: the leak through leak_outer -> leak_mid -> leak_inner
# is reported with the bytes the fixture says it leaked; churn holds nothing.
check_allocator() {
	local fn=$1 folded="$WORK/$1.folded" leaked got churn
	start_fixture leaker "$fn" "$ITERATIONS"
	start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^leaked' 30 || fail "fixture did not finish"
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	expect_eq "exit code" 0 "$EXIT_CODE"
	leaked=$(leaked_bytes)
	got=$(folded_bytes "$folded" "leak_outer;leak_mid;leak_inner")
	within 10 "$leaked" "$got" ||
		fail "folded leak_inner bytes: expected $leaked ±10%, got $got; folded:" "$(cat "$folded")"
	churn=$(folded_bytes "$folded" "churn_inner")
	[ "$churn" = 0 ] || fail "churn_inner holds $churn outstanding bytes, expected 0"
	grep -q "final report" "$ML_OUT" || fail "no final report on stdout"
	# A clean run loses nothing: no missed or stale return probes either.
	grep -q "^lost: ringbuf drops 0, stack collisions 0, stack failures 0, stash misses 0, stash full 0, stale stashes 0," "$ML_OUT" ||
		fail "losses in a clean run:" "$(grep '^lost' "$ML_OUT" | tail -1)"
	# The fixture's own DWARF gives the line of the call in leak_inner.
	grep -Eq "^        leak_inner\+0x[0-9a-f]+ \(leaker\) tests/fixtures/leaker.c:[0-9]+$" "$ML_OUT" ||
		fail "report lacks the frame 'leak_inner+0x.. (leaker) tests/fixtures/leaker.c:N'; report:" "$(cat "$ML_OUT")"
	# libc6-dbg's build-id debug file names the local function that calls main.
	grep -q "^leaker;_start;__libc_start_main[^;]*;__libc_start_call_main;main;leak_outer" "$folded" ||
		fail "libc's frame is not named from its debug file; folded:" "$(cat "$folded")"
	grep -Eq "^#1 .*\(($leaked|[0-9]+) B\) in $ITERATIONS allocations" "$ML_OUT" ||
		fail "top stack is not the $ITERATIONS leaked allocations; report:" "$(tail -20 "$ML_OUT")"
}

for fn in $ALLOC_FUNCTIONS; do
	eval "test_alloc_$fn() { check_allocator $fn; }"
done

# Static binaries: malloc inside the executable (glibc's, musl's).
test_static_binaries() {
	local folded="$WORK/static.folded" image
	for image in lifecycle-static lifecycle-musl; do
		run_command 10 --fail-on-leaks --folded "$folded" -- "$FIX/$image" leak 4
		only_blamed "$folded" cmd_leak 4000
		# The global 'sink' still points to the last block: 3 of the 4 are definitely lost.
		grep -Eq "LEAKS: [0-9,]+ bytes definitely lost in [0-9]+ blocks?.*; the command exited with status 0$" "$CMD_ERR" ||
			fail "$image: verdict:" "$(cat "$CMD_ERR")"
	done
}

# Preloaded jemalloc and tcmalloc are probed (not only libc) and blamed right.
test_preloaded_allocators() {
	local folded="$WORK/preload.folded" lib
	for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4; do
		[ -e "$lib" ] || fail "$lib missing: apt-get install libjemalloc2 libtcmalloc-minimal4"
		run_command 10 -v --fail-on-leaks --folded "$folded" -- env LD_PRELOAD="$lib" "$FIX/lifecycle" leak 3
		only_blamed "$folded" cmd_leak 3000
		grep -q "probing $(dirname "$lib")/lib\(jemalloc\|tcmalloc\)" "$CMD_ERR" ||
			fail "$lib was not probed:" "$(grep probing "$CMD_ERR")"
	done
}

# C++ new[] under jemalloc and tcmalloc, preloaded or linked: their operator
# new does not call malloc, so it is probed itself.
test_cxx_new_other_allocators() {
	local folded="$WORK/cxx.folded" lib
	for lib in /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4; do
		run_command 10 --fail-on-leaks --folded "$folded" -- env LD_PRELOAD="$lib" "$FIX/cxxleak"
		only_blamed "$folded" "cxx_leak()" 3000
	done
	run_command 10 --fail-on-leaks --folded "$folded" -- "$FIX/cxxleak-jemalloc"
	only_blamed "$folded" "cxx_leak()" 3000
}

# --mmap: anonymous mappings the program keeps are their own kind; one it
# unmaps, a file mapping and malloc's internal mmap are not blamed.
test_mmap_kind() {
	local folded="$WORK/mmap.folded"
	run_command 10 --mmap --fail-on-leaks --folded "$folded" -- "$FIX/lifecycle" mmap
	[ "$(folded_bytes "$folded" ";[mmap];")" = 196608 ] || fail "mapped bytes: folded:" "$(cat "$folded")"
	only_blamed "$folded" map_anonymous 196608
	grep -q "in 3 anonymous mappings \[mmap\]" "$CMD_OUT" || fail "report:" "$(cat "$CMD_OUT")"
	grep -q "stash misses 0," "$CMD_OUT" || fail "losses:" "$(grep '^lost' "$CMD_OUT")"
	# Without --mmap, mappings are not traced at all.
	run_command 0 --fail-on-leaks --folded "$folded" -- "$FIX/lifecycle" mmap
	only_blamed "$folded"
}
