// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The allocation table (src/allocs.h) under churn: hundreds of thousands of
 * blocks, random frees and a pid dropped from a dense table, checked against
 * what the test kept itself and by the sums cross-check.
 */
#include "allocs_fixture.h"

/*
 * 200k live blocks (the table grows from 1024 slots many times), then half
 * freed in a random order: every backward-shift deletion must keep the probe
 * chains of the survivors intact, which the final free-everything pass checks.
 */
static void test_growth_and_random_frees(void **state)
{
	struct allocs *t = *state;
	const size_t nr = 200000, nr_stacks = 97;
	uint64_t *stack_bytes = calloc(nr_stacks, sizeof(*stack_bytes));
	uint64_t *stack_count = calloc(nr_stacks, sizeof(*stack_count));
	size_t *order = malloc(nr * sizeof(*order));
	bool *live = calloc(nr, sizeof(*live));
	uint64_t bytes = 0, count = 0;
	size_t memory_before, i, k, n;
	const struct alloc_totals *tot;

	assert_non_null(stack_bytes);
	assert_non_null(stack_count);
	assert_non_null(order);
	assert_non_null(live);
	memory_before = allocs__memory_bytes(t);

#define ADDR(i)	 (0x555555554000ULL + (uint64_t)(i)*48)
#define SIZE(i)	 ((uint64_t)((i) % 1000) + 1)
#define STACK(i) ((int32_t)((i) % nr_stacks))
	for (i = 0; i < nr; i++) {
		int ret = allocs__record_alloc(t, 4242, KIND_MALLOC, ADDR(i), SIZE(i), STACK(i), i);

		if (ret)
			fail_msg("alloc #%zu: got %d, want 0", i, ret);
		live[i] = true;
		stack_bytes[STACK(i)] += SIZE(i);
		stack_count[STACK(i)]++;
		bytes += SIZE(i);
		count++;
	}
	check_eq(allocs__live_count(t), nr);
	check_eq(allocs__totals(t)->outstanding_bytes, bytes);
	/* 200k entries at <= 3/4 load need at least 2^18 slots of 32 bytes. */
	assert_true(allocs__memory_bytes(t) >= (1u << 18) * 32);
	assert_true(allocs__memory_bytes(t) > memory_before);

	for (i = 0; i < nr; i++)
		order[i] = i;
	shuffle(order, nr, 0x9e3779b97f4a7c15ULL);
	for (k = 0; k < nr / 2; k++) {
		size_t j = order[k];
		int ret = allocs__record_free(t, 4242, KIND_MALLOC, ADDR(j));

		if (ret)
			fail_msg("free #%zu (block %zu at %#llx): got %d, want 0", k, j,
				 (unsigned long long)ADDR(j), ret);
		live[j] = false;
		stack_bytes[STACK(j)] -= SIZE(j);
		stack_count[STACK(j)]--;
		bytes -= SIZE(j);
		count--;
	}

	tot = allocs__totals(t);
	check_eq(tot->outstanding_bytes, bytes);
	check_eq(tot->outstanding_count, count);
	check_eq(tot->allocs, nr);
	check_eq(tot->frees, nr / 2);
	check_eq(tot->unmatched_frees, 0);
	check_eq(allocs__live_count(t), nr - nr / 2);
	allocs__stacks(t, &n);
	check_eq(n, nr_stacks);
	for (i = 0; i < nr_stacks; i++) {
		const struct stack_stats *s = must_find_stack(t, 4242, (int32_t)i);

		if (s->outstanding_bytes != stack_bytes[i] ||
		    s->outstanding_count != stack_count[i])
			fail_msg("stack %zu: outstanding %" PRIu64 " B in %" PRIu64
				 ", want %" PRIu64 " B in %" PRIu64,
				 i, s->outstanding_bytes, s->outstanding_count, stack_bytes[i],
				 stack_count[i]);
	}
	check_consistent(t);

	/* Freed blocks are gone... */
	for (k = 0; k < nr / 2; k += 101) {
		int ret = allocs__record_free(t, 4242, KIND_MALLOC, ADDR(order[k]));

		if (ret != -ENOENT)
			fail_msg("second free of block %zu: got %d, want -ENOENT", order[k], ret);
	}
	/* ...and every survivor is found exactly once, in yet another order. */
	shuffle(order, nr, 12345);
	for (k = 0; k < nr; k++) {
		size_t j = order[k];
		int ret;

		if (!live[j])
			continue;
		ret = allocs__record_free(t, 4242, KIND_MALLOC, ADDR(j));
		if (ret)
			fail_msg("free of surviving block %zu at %#llx: got %d, want 0", j,
				 (unsigned long long)ADDR(j), ret);
		ret = allocs__record_free(t, 4242, KIND_MALLOC, ADDR(j));
		if (ret != -ENOENT)
			fail_msg("double free of block %zu: got %d, want -ENOENT", j, ret);
	}
#undef ADDR
#undef SIZE
#undef STACK
	tot = allocs__totals(t);
	check_eq(tot->outstanding_bytes, 0);
	check_eq(tot->outstanding_count, 0);
	check_eq(tot->frees, nr);
	check_eq(allocs__live_count(t), 0);
	check_consistent(t);
	free(stack_bytes);
	free(stack_count);
	free(order);
	free(live);
}

/* Big interleaved table, random frees of both pids, then drop one: exercises drop's rescans. */
static void test_drop_pid_after_random_frees(void **state)
{
	struct allocs *t = *state;
	const size_t nr = 40000;
	size_t *order = malloc(nr * sizeof(*order));
	bool *freed = calloc(nr, sizeof(*freed));
	uint64_t b_bytes = 0;
	size_t i, k;

	assert_non_null(order);
	assert_non_null(freed);
	/* Even i: pid 1, odd i: pid 2; all in one dense address range. */
	for (i = 0; i < nr; i++)
		ALLOC_OK(t, 1 + (uint32_t)(i & 1), 0x10000000ULL + (i / 2) * 16, 16 + (i & 1),
			 (int32_t)(i % 5));
	for (i = 0; i < nr; i++)
		order[i] = i;
	shuffle(order, nr, 777);
	for (k = 0; k < nr / 3; k++) {
		i = order[k];
		FREE_OK(t, 1 + (uint32_t)(i & 1), 0x10000000ULL + (i / 2) * 16);
		freed[i] = true;
	}
	allocs__drop_pid(t, 1);
	for (i = 1; i < nr; i += 2)
		if (!freed[i])
			b_bytes += 17;
	check_eq(allocs__totals(t)->outstanding_bytes, b_bytes);
	check_consistent(t);
	for (i = 1; i < nr; i += 2) {
		int ret = allocs__record_free(t, 2, KIND_MALLOC, 0x10000000ULL + (i / 2) * 16);

		if (ret != (freed[i] ? -ENOENT : 0))
			fail_msg("free of pid 2 block %zu (freed before drop: %d): got %d", i,
				 freed[i], ret);
	}
	check_eq(allocs__totals(t)->outstanding_bytes, 0);
	check_eq(allocs__live_count(t), 0);
	check_consistent(t);
	free(order);
	free(freed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_growth_and_random_frees),
	    T(test_drop_pid_after_random_frees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
