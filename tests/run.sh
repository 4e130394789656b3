#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs every test: unit tests (plain and ASan+UBSan builds), a bounded fuzz
# run, the docs check (options, exit codes, JSON fields), then the
# integration tests (root and BPF). Ends with one line:
#
#	N passed, N failed, N skipped
#
# A skipped test is one that could not run here: the integration tests
# without root or BPF, the unit tests that need privileges. Each skip is
# listed above that line; under CI=true a skipped test counts as failed.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${BUILD:=build}"
export BUILD

passed=0
failed=0
skipped=0
failures=()
skips=()

# count_cmocka LOG NAME: adds cmocka's own PASSED/FAILED/SKIPPED totals.
count_cmocka() {
	local ok bad skip
	ok=$(awk '/^\[  PASSED  \] [0-9]+ test/ {s += $4} END {print s + 0}' "$1")
	bad=$(awk '/^\[  FAILED  \] [0-9]+ test/ {s += $4} END {print s + 0}' "$1")
	skip=$(awk '/^\[  SKIPPED \] [0-9]+ test/ {s += $4} END {print s + 0}' "$1")
	passed=$((passed + ok))
	failed=$((failed + bad))
	skipped=$((skipped + skip))
	[ "$skip" = 0 ] || skips+=("$skip unit tests of $2")
}

# Bounded fuzz runs, about 38 s in all, from a fixed seed by default so a CI
# run can be replayed (FUZZ_SEED=0 picks one at random). They run one after
# another in the background while the unit tests run (CI time: the unit
# tests are mostly one process at a time on a machine of two or more CPUs);
# their results are printed and counted after the unit tests.
FUZZ_RESULTS=$(mktemp -d)

# fuzz_run NAME SECONDS CORPUS [libFuzzer options]: one run, counted as one
# test; writes FUZZ_RESULTS/NAME.ok or NAME.failed with what to print.
fuzz_run() {
	local name=$1 secs=$2 corpus=$3 log
	shift 3
	log=$(mktemp)
	# ASan keeps up to 256 MiB of freed memory in quarantine, which counts
	# against -rss_limit_mb: an input that spends fuzz_elf's 2 s budget in
	# libdw (each lookup allocates and frees) reached 450 MiB that way, with
	# 2.4 MiB resident without ASan. A smaller quarantine keeps the RSS limit
	# a finding about memleakd's memory, not ASan's.
	if ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32" \
		"$BUILD/fuzz/$name" -max_total_time="$secs" -seed="${FUZZ_SEED:-1}" \
		-artifact_prefix="$BUILD/fuzz/$name-" "$@" "$corpus" >"$log" 2>&1; then
		echo "ok - $name: $(grep -o 'Done [0-9]* runs' "$log") in $secs s without a crash" \
			>"$FUZZ_RESULTS/$name.ok"
	else
		{
			tail -40 "$log"
			echo "not ok - $name (crash input saved under $BUILD/fuzz/)"
		} >"$FUZZ_RESULTS/$name.failed"
	fi
	rm -f "$log"
}

# fuzz_all: every harness, one after another.
fuzz_all() {
	local corpus b
	corpus=$(mktemp -d)
	# Seeds: the symbol fixtures and the hostile DWARF of audit findings 4 and 7
	# (up to 1 MB: -max_len lets inputs of that size and larger through).
	cp "$BUILD"/fixtures/libsymfix*.so "$BUILD"/fixtures/leaker "$BUILD"/fixtures/hostile-*.so \
		"$corpus"/ 2>/dev/null
	# A resource harness: -timeout=5 because cfi_table__build gives up on a file
	# after 2 s (its clock is read at every lookup, and the pre-scan bounds what
	# one lookup costs) and the symbol and line readers bound sizes, not time; an
	# input running 5 s under ASan is a hang. Memory: 256 MiB in one malloc or
	# 512 MiB resident is a finding.
	fuzz_run fuzz_elf "$FUZZ_SECONDS" "$corpus" -max_len=4194304 -timeout=5 \
		-malloc_limit_mb=256 -rss_limit_mb=512
	rm -rf "$corpus"
	corpus=$(mktemp -d)
	cp /proc/self/maps "$corpus"/self 2>/dev/null
	fuzz_run fuzz_procmaps 5 "$corpus" -max_len=65536 -timeout=5
	rm -rf "$corpus"
	corpus=$(mktemp -d)
	fuzz_run fuzz_probesite 5 "$corpus" -max_len=64 -timeout=5
	rm -rf "$corpus"
	# Go's .gopclntab: seeds from the Go binaries of the unit tests
	# (tests/fixtures/go.mk builds them before the tests run); without them
	# libFuzzer starts from nothing.
	corpus=$(mktemp -d)
	for b in "$BUILD"/go-symtest/go1*-plain "$BUILD"/go-symtest/go1*-stripped; do
		[ -f "$b" ] && objcopy -O binary --only-section=.gopclntab "$b" "$corpus/${b##*/}"
	done
	fuzz_run fuzz_gopclntab 5 "$corpus" -max_len=1048576 -timeout=5
	rm -rf "$corpus"
	# Whole Go executables (build info, sites, globals, g offsets), seeded with
	# the stripped builds; and the heap reader over a hostile process memory.
	corpus=$(mktemp -d)
	for b in "$BUILD"/go-symtest/go1*-stripped; do [ -f "$b" ] && cp "$b" "$corpus/"; done
	fuzz_run fuzz_gobin 5 "$corpus" -max_len=4194304 -timeout=10 -malloc_limit_mb=600 \
		-rss_limit_mb=1024
	rm -rf "$corpus"
	corpus=$(mktemp -d)
	fuzz_run fuzz_goheap 3 "$corpus" -max_len=65536 -timeout=5
	rm -rf "$corpus"
	# The reachability engine over hostile blocks, roots and memory.
	corpus=$(mktemp -d)
	fuzz_run fuzz_reach 5 "$corpus" -max_len=65536 -timeout=5
	rm -rf "$corpus"
	# /proc/PID/smaps_rollup and status texts (the target's to shape), seeded with ours.
	corpus=$(mktemp -d)
	cp /proc/self/smaps_rollup "$corpus"/rollup 2>/dev/null
	cp /proc/self/status "$corpus"/status
	fuzz_run fuzz_memview 3 "$corpus" -max_len=65536 -timeout=5
	rm -rf "$corpus"
	# The demangler: libiberty is not instrumented, so this is a crash and hang
	# smoke test from mangled seeds more than a guided search. Kept short: until
	# the fix for audit finding 5 (exponential demangling) is in, it could find
	# that hang.
	corpus=$(mktemp -d)
	printf '_ZN3foo3barEv' >"$corpus"/cxx
	printf '_ZNSt6vectorIiSaIiEE6resizeEm' >"$corpus"/cxx-template
	printf '_ZN3foo3bar17h0123456789abcdefE' >"$corpus"/rust-legacy
	printf '_RNvCs1234_7mycrate3foo' >"$corpus"/rust-v0
	fuzz_run fuzz_demangle 3 "$corpus" -max_len=4096 -timeout=5
	rm -rf "$corpus"
}

FUZZ_HARNESSES="fuzz_elf fuzz_procmaps fuzz_probesite fuzz_gopclntab fuzz_gobin fuzz_goheap fuzz_reach fuzz_demangle"
: "${FUZZ_SECONDS:=12}"
fuzz_all &
fuzz_pid=$!

echo "== unit tests =="
# The binaries of today's tests/unit/test_*.c only: a renamed or removed
# test file leaves its old binary behind in $BUILD/tests.
for prefix in "" san-; do
	for src in tests/unit/test_*.c; do
		t="$BUILD/tests/$prefix$(basename "$src" .c)"
		if [ ! -x "$t" ]; then
			failed=$((failed + 1))
			failures+=("$t not built (make unit-tests san-build)")
			continue
		fi
		log=$(mktemp)
		"$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		count_cmocka "$log" "$(basename "$t")"
		if [ $rc != 0 ] && ! grep -q '\[  FAILED  \]' "$log"; then
			failed=$((failed + 1)) # crashed before cmocka could count
			failures+=("$t crashed (exit $rc)")
		elif [ $rc != 0 ]; then
			failures+=("$t")
		fi
		rm -f "$log"
	done
done

echo "== fuzz: ELF/DWARF readers $FUZZ_SECONDS s, maps, probe sites and Go tables 5 s each, demangler 3 s =="
wait "$fuzz_pid"
for name in $FUZZ_HARNESSES; do
	if [ -e "$FUZZ_RESULTS/$name.ok" ]; then
		cat "$FUZZ_RESULTS/$name.ok"
		passed=$((passed + 1))
	else
		if [ -e "$FUZZ_RESULTS/$name.failed" ]; then
			cat "$FUZZ_RESULTS/$name.failed"
		else
			echo "not ok - $name: no result"
		fi
		failed=$((failed + 1))
		failures+=("$name")
	fi
done
rm -rf "$FUZZ_RESULTS"

echo "== docs: --help, the man page and the README agree =="
log=$(mktemp)
bash tests/docs/check_options.sh ./memleakd | tee "$log"
read -r ok bad < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log" | tail -1)
if [ -z "${ok:-}" ]; then
	failed=$((failed + 1))
	failures+=("docs: tests/docs/check_options.sh ended without its summary line")
else
	passed=$((passed + ok))
	failed=$((failed + bad))
	[ "$bad" = 0 ] || failures+=("docs: $bad checks (tests/docs/check_options.sh)")
fi
rm -f "$log"

echo "== integration tests =="
log=$(mktemp)
MEMLEAKD=./memleakd bash tests/integration/run.sh 2>&1 | tee "$log"
# "integration: N passed, N failed, N skipped", even when they could not run.
read -r ok bad skip < <(sed -n 's/^integration: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$log" | tail -1)
if [ -z "${ok:-}" ]; then
	failed=$((failed + 1))
	failures+=("integration: the driver ended without its summary line")
else
	passed=$((passed + ok))
	failed=$((failed + bad))
	skipped=$((skipped + skip))
	[ "$bad" = 0 ] || failures+=("integration: $bad tests")
	[ "$skip" = 0 ] || skips+=("$(sed -n 's/^SKIP: //p' "$log" | tail -1)")
fi
rm -f "$log"

echo
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
for s in "${skips[@]}"; do
	echo "SKIPPED: $s"
done
if [ "${CI:-}" = true ] && [ "$skipped" != 0 ]; then
	echo "FAILED: CI=true and $skipped tests did not run"
	failed=$((failed + skipped))
	skipped=0
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
