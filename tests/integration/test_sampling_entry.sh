# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sampling across the allocator families. With uprobe sessions the sample is
# drawn at the entry and the return probe of an unsampled call is skipped;
# a family whose calls nest (glibc's reallocarray tail-jumps into realloc)
# or whose size is computed at entry (calloc's nmemb * size) must still be
# drawn once per call, by its requested size: a call drawn twice would
# double its estimate, a lost record would shrink it.

test_sampling_families() {
	local folded leaked got churn fn
	for fn in calloc realloc reallocarray posix_memalign; do
		folded="$WORK/sampled-$fn.folded"
		start_fixture leaker "$fn" 2000
		start_memleakd -p "$FIXTURE_PID" -i 1 --sample-bytes 4k --folded "$folded"
		finish_traced '^leaked'
		leaked=$(leaked_bytes)
		got=$(folded_bytes "$folded" "leak_outer;leak_mid;leak_inner")
		within 25 "$leaked" "$got" || fail "$fn: estimated $got B for $leaked B leaked (±25%)"
		churn=$(folded_bytes "$folded" "churn_inner")
		[ "$churn" = 0 ] || fail "$fn: churn_inner holds $churn B"
		grep -q "^unmatched frees 0 " "$ML_OUT" ||
			fail "$fn: unsampled frees reached userspace:" "$(grep '^unmatched' "$ML_OUT" | tail -1)"
		grep -q "stash misses 0, stash full 0, stale stashes 0, failed reallocs 0" "$ML_OUT" ||
			fail "$fn: lost calls:" "$(grep '^lost' "$ML_OUT" | tail -1)"
		echo "# $fn sampled 1 per 4 KiB: estimated $got B for $leaked B leaked"
	done
}
