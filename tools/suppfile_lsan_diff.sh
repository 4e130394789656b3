#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Cross-checks memleakd's LSan suppression matcher (src/suppfile.c) with
# LeakSanitizer itself: builds a leaker with -fsanitize=leak whose leaks
# come from functions named over {q, j} (letters no libc, liblsan or path
# frame holds), runs it once per pattern with LSAN_OPTIONS=suppressions=,
# and compares the leaks LSan still reports with those memleakd's matcher
# leaves, fed LSan's own frames (stack_trace_format "%f|%s|%m"). Not part
# of 'make test' (one LSan run per pattern: about 0.3 s each).
#
#	tools/suppfile_lsan_diff.sh [NPATTERNS [SEED]]
#
# Needs gcc with liblsan (Debian: liblsan0) and 'make' having built
# build/obj/suppfile.o. Exits 0 when every pattern agrees, 1 otherwise.
set -eu
cd "$(dirname "$0")/.."
n=${1:-200}
seed=${2:-14}
work=$(mktemp -d /tmp/suppfile_lsan_diff.XXXXXX)
trap 'rm -rf "$work"' EXIT

names=(q j qj jq qq qjq jqj qjqj qqj jqq qjjq qqjqq jjqjj qjqjq)
{
	echo '#include <stdlib.h>'
	for i in "${!names[@]}"; do
		echo "__attribute__((noinline)) void *${names[$i]}(void) { return malloc($((i + 1))); }"
	done
	echo 'int main(void) { void *volatile p;'
	for f in "${names[@]}"; do echo "p = $f();"; done
	echo 'p = 0; (void)p; return 0; }'
} >"$work/leaker.c"
gcc -g -O0 -fsanitize=leak -o "$work/leaker" "$work/leaker.c"
gcc -std=c11 -D_GNU_SOURCE -O1 -Isrc -o "$work/diff" tools/suppfile_lsan_diff.c build/obj/suppfile.o

# LSan's frames for every leak, as it matches them.
LSAN_OPTIONS='stack_trace_format="FRAME %f|%s|%m"' "$work/leaker" 2>&1 |
	sed -n 's/^Direct leak of \([0-9]*\) byte.*/LEAK \1/p; /^FRAME /p' >"$work/frames"

# Random patterns over q, j, '*', '^', '$', a leading '^' on some.
python3 - "$n" "$seed" >"$work/patterns" <<'PY'
import random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
seen = set()
while len(seen) < n:
    p = "".join(rng.choice("qqjj**^$") for _ in range(rng.randint(1, 7)))
    seen.add(("^" if rng.random() < 0.3 else "") + p)
print("\n".join(sorted(seen)))
PY

diffs=0
while IFS= read -r pattern; do
	printf 'leak:%s\n' "$pattern" >"$work/supp"
	lsan=$(LSAN_OPTIONS="suppressions=$work/supp" "$work/leaker" 2>&1 |
		sed -n 's/^Direct leak of \([0-9]*\) byte.*/\1/p' | sort -n | tr '\n' ' ')
	ours=$("$work/diff" "$work/supp" "$work/frames")
	if [ "$lsan" != "$ours" ]; then
		echo "differs on 'leak:$pattern': LSan leaves [$lsan], memleakd [$ours]"
		diffs=$((diffs + 1))
	fi
done <"$work/patterns"
echo "$(wc -l <"$work/patterns") patterns, $diffs differ"
[ "$diffs" -eq 0 ]
