#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs every test: unit tests (plain and ASan+UBSan builds), then the
# integration tests (root). Ends with one "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${BUILD:=build}"
export BUILD

passed=0
failed=0
failures=()

# count_cmocka LOG: adds cmocka's own PASSED/FAILED totals.
count_cmocka() {
	local ok bad
	ok=$(awk '/\[  PASSED  \] [0-9]+ test/ {s += $4} END {print s + 0}' "$1")
	bad=$(awk '/\[  FAILED  \] [0-9]+ test/ {s += $4} END {print s + 0}' "$1")
	passed=$((passed + ok))
	failed=$((failed + bad))
}

echo "== unit tests =="
for t in "$BUILD"/tests/test_* "$BUILD"/tests/san-test_*; do
	[ -x "$t" ] || continue
	log=$(mktemp)
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	count_cmocka "$log"
	if [ $rc != 0 ] && ! grep -q '\[  FAILED  \]' "$log"; then
		failed=$((failed + 1)) # crashed before cmocka could count
		failures+=("$t crashed (exit $rc)")
	fi
	[ $rc != 0 ] && failures+=("$t")
	rm -f "$log"
done

# A bounded fuzz run over the ELF/DWARF readers, seeded with the fixtures.
echo "== fuzz: ELF/DWARF readers, ${FUZZ_SECONDS:=20} s =="
corpus=$(mktemp -d)
cp "$BUILD"/fixtures/libsymfix*.so "$BUILD"/fixtures/leaker "$corpus"/ 2>/dev/null
# -timeout: the readers give up on a file after 2 s; an input running 20 s is a hang.
# A fixed seed by default, so a CI run can be replayed; FUZZ_SEED=0 picks one at random.
if "$BUILD"/fuzz/fuzz_elf -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=20 \
	-seed="${FUZZ_SEED:-1}" \
	-artifact_prefix="$BUILD/fuzz/" "$corpus" >"$corpus.log" 2>&1; then
	echo "ok - fuzz_elf: $(grep -o 'Done [0-9]* runs' "$corpus.log") without a crash"
	passed=$((passed + 1))
else
	tail -40 "$corpus.log"
	echo "not ok - fuzz_elf (crash input saved under $BUILD/fuzz/)"
	failed=$((failed + 1))
	failures+=("fuzz_elf")
fi
rm -rf "$corpus" "$corpus.log"

echo "== integration tests =="
log=$(mktemp)
MEMLEAKD=./memleakd bash tests/integration/run.sh 2>&1 | tee "$log"
ok=$(awk '/^integration: / {print $2}' "$log")
bad=$(awk '/^integration: / {print $4}' "$log")
if [ -z "$ok" ]; then
	ok=$(awk '/^[0-9]+ passed, [0-9]+ failed/ {print $1}' "$log")
	bad=$(awk '/^[0-9]+ passed, [0-9]+ failed/ {print $3}' "$log")
fi
passed=$((passed + ${ok:-0}))
failed=$((failed + ${bad:-1}))
grep -q '^not ok' "$log" && failures+=("integration")
rm -f "$log"

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
