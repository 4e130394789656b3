/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the allocation table's tests share: a table per test, lookups, and the sums cross-check. */
#ifndef MEMLEAKD_TEST_ALLOCS_FIXTURE_H
#define MEMLEAKD_TEST_ALLOCS_FIXTURE_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "allocs.h"

static inline void shuffle(size_t *v, size_t n, uint64_t seed)
{
	uint64_t state = seed;
	size_t i, j, tmp;

	for (i = n; i > 1; i--) {
		j = (size_t)(rng_next(&state) % i);
		tmp = v[i - 1];
		v[i - 1] = v[j];
		v[j] = tmp;
	}
}

static inline const struct stack_stats *find_stack(const struct allocs *t, uint32_t pid,
						   int32_t stack_id)
{
	const struct stack_stats *all;
	const struct stack_stats *found = NULL;
	size_t n, i;

	all = allocs__stacks(t, &n);
	for (i = 0; i < n; i++) {
		if (all[i].pid != pid || all[i].stack_id != stack_id)
			continue;
		/* A second entry for the same key means the index lost track of the first. */
		if (found)
			fail_msg("stack (pid %u, id %d) listed twice", pid, stack_id);
		found = &all[i];
	}
	return found;
}

static inline const struct stack_stats *must_find_stack(const struct allocs *t, uint32_t pid,
							int32_t stack_id)
{
	const struct stack_stats *s = find_stack(t, pid, stack_id);

	if (!s)
		fail_msg("stack (pid %u, id %d) not listed", pid, stack_id);
	return s;
}

/* The totals must equal the sum over the stacks, and the live count must match. */
static inline void check_consistent(const struct allocs *t)
{
	const struct alloc_totals *tot = allocs__totals(t);
	const struct stack_stats *all;
	uint64_t bytes = 0, count = 0, live = 0;
	uint64_t kind_bytes[NR_KINDS] = {0}, kind_count[NR_KINDS] = {0};
	size_t n, i, k;

	all = allocs__stacks(t, &n);
	for (i = 0; i < n; i++) {
		if (all[i].outstanding_count > all[i].alloc_count)
			fail_msg("stack (pid %u, id %d): outstanding count %" PRIu64
				 " > allocated %" PRIu64 " (went negative?)",
				 all[i].pid, all[i].stack_id, all[i].outstanding_count,
				 all[i].alloc_count);
		if (all[i].alloc_count - all[i].free_count != all[i].outstanding_count)
			fail_msg("stack (pid %u, id %d): allocs %" PRIu64 " - frees %" PRIu64
				 " != outstanding %" PRIu64,
				 all[i].pid, all[i].stack_id, all[i].alloc_count, all[i].free_count,
				 all[i].outstanding_count);
		if (all[i].alloc_bytes - all[i].free_bytes != all[i].outstanding_bytes)
			fail_msg("stack (pid %u, id %d): alloc bytes %" PRIu64
				 " - free bytes %" PRIu64 " != outstanding %" PRIu64,
				 all[i].pid, all[i].stack_id, all[i].alloc_bytes, all[i].free_bytes,
				 all[i].outstanding_bytes);
		uint64_t classified_bytes = 0, classified_count = 0;

		for (k = 0; k < NR_REACH_CLASSES; k++) {
			classified_bytes += all[i].reach.bytes[k];
			classified_count += all[i].reach.count[k];
		}
		if (classified_bytes > all[i].outstanding_bytes ||
		    classified_count > all[i].outstanding_count)
			fail_msg("stack (pid %u, id %d): classified %" PRIu64 " B in %" PRIu64
				 " > outstanding",
				 all[i].pid, all[i].stack_id, classified_bytes, classified_count);
		kind_bytes[all[i].kind] += all[i].outstanding_bytes;
		kind_count[all[i].kind] += all[i].outstanding_count;
		if (all[i].kind != KIND_GO_HEAP)
			live += all[i].outstanding_count; /* the Go heap is set, not tracked */
		if (!alloc_kind__is_tracked(all[i].kind))
			continue;
		bytes += all[i].outstanding_bytes;
		count += all[i].outstanding_count;
	}
	for (k = 0; k < NR_KINDS; k++)
		if (kind_bytes[k] !=
			allocs__kind_totals(t, (enum alloc_kind)k)->outstanding_bytes ||
		    kind_count[k] != allocs__kind_totals(t, (enum alloc_kind)k)->outstanding_count)
			fail_msg("kind %s: stacks sum to %" PRIu64 " B in %" PRIu64
				 ", its totals say otherwise",
				 alloc_kind__name((enum alloc_kind)k), kind_bytes[k],
				 kind_count[k]);
	if (bytes != tot->outstanding_bytes)
		fail_msg("sum of stack outstanding bytes %" PRIu64 " != total %" PRIu64, bytes,
			 tot->outstanding_bytes);
	if (count != tot->outstanding_count)
		fail_msg("sum of stack outstanding counts %" PRIu64 " != total %" PRIu64, count,
			 tot->outstanding_count);
	if (live != allocs__live_count(t))
		fail_msg("outstanding count %" PRIu64 " != live entries %zu", live,
			 allocs__live_count(t));
}

static inline int setup_table(void **state)
{
	*state = allocs__new();
	return *state ? 0 : -1;
}

static inline int teardown_table(void **state)
{
	allocs__destroy(*state);
	return 0;
}

#define ALLOC_OK(t, pid, addr, size, stack)                                                        \
	check_eq(allocs__record_alloc((t), (pid), KIND_MALLOC, (addr), (size), (stack), 0), 0)
#define FREE_OK(t, pid, addr) check_eq(allocs__record_free((t), (pid), KIND_MALLOC, (addr)), 0)

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_table, teardown_table)

#endif
