// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Allocation table and per-stack aggregation (src/allocs.h). Every test ends
 * by cross-checking the per-stack sums against the totals, because the two
 * are updated by separate code paths and a drift between them is exactly the
 * kind of bug a leak detector must not have.
 */
#include "allocs_fixture.h"

/* --- tests --------------------------------------------------------------- */

static void test_empty_table(void **state)
{
	struct allocs *t = *state;
	const struct alloc_totals *tot = allocs__totals(t);
	size_t n = 123;

	assert_non_null(tot);
	check_eq(tot->outstanding_bytes, 0);
	check_eq(tot->outstanding_count, 0);
	check_eq(tot->allocs, 0);
	check_eq(tot->frees, 0);
	allocs__stacks(t, &n);
	check_eq(n, 0);
	check_eq(allocs__live_count(t), 0);
	assert_true(allocs__memory_bytes(t) > 0);
	/* Destroying NULL is allowed, like free(). */
	allocs__destroy(NULL);
}

static void test_alloc_then_free(void **state)
{
	struct allocs *t = *state;
	const struct alloc_totals *tot = allocs__totals(t);
	const struct stack_stats *s;

	ALLOC_OK(t, 100, 0x1000, 64, 7);
	ALLOC_OK(t, 100, 0x2000, 36, 7);
	ALLOC_OK(t, 100, 0x3000, 1000, 8);
	check_eq(tot->outstanding_bytes, 1100);
	check_eq(tot->outstanding_count, 3);
	check_eq(tot->allocs, 3);
	check_eq(allocs__live_count(t), 3);

	s = must_find_stack(t, 100, 7);
	check_eq(s->outstanding_bytes, 100);
	check_eq(s->outstanding_count, 2);

	FREE_OK(t, 100, 0x1000);
	tot = allocs__totals(t);
	check_eq(tot->outstanding_bytes, 1036);
	check_eq(tot->outstanding_count, 2);
	check_eq(tot->frees, 1);
	check_eq(tot->unmatched_frees, 0);

	s = must_find_stack(t, 100, 7);
	check_eq(s->outstanding_bytes, 36);
	check_eq(s->outstanding_count, 1);
	check_eq(s->alloc_bytes, 100);
	check_eq(s->alloc_count, 2);
	check_eq(s->free_bytes, 64);
	check_eq(s->free_count, 1);

	s = must_find_stack(t, 100, 8);
	check_eq(s->outstanding_bytes, 1000);
	check_eq(s->free_count, 0);
	check_consistent(t);
}

static void test_lifetime_totals_survive_frees(void **state)
{
	struct allocs *t = *state;
	const struct stack_stats *s;
	uint64_t addr;
	size_t n;

	/* 10 rounds of alloc+free on one stack: nothing outstanding, lifetime keeps counting. */
	for (addr = 0x5000; addr < 0x5000 + 10 * 0x10; addr += 0x10) {
		ALLOC_OK(t, 1, addr, 24, 3);
		FREE_OK(t, 1, addr);
	}
	s = must_find_stack(t, 1, 3);
	check_eq(s->outstanding_bytes, 0);
	check_eq(s->outstanding_count, 0);
	check_eq(s->alloc_bytes, 240);
	check_eq(s->alloc_count, 10);
	check_eq(s->free_bytes, 240);
	check_eq(s->free_count, 10);
	/* A drained stack is still listed: the lifetime numbers are worth showing. */
	allocs__stacks(t, &n);
	check_eq(n, 1);
	check_eq(allocs__totals(t)->allocs, 10);
	check_eq(allocs__totals(t)->frees, 10);
	check_consistent(t);
}

static void test_unmatched_free(void **state)
{
	struct allocs *t = *state;
	const struct alloc_totals *tot;
	const struct stack_stats *s;

	/* Never allocated (allocated before attach): counted, nothing goes negative. */
	check_eq(allocs__record_free(t, 1, KIND_MALLOC, 0xdead0), -ENOENT);
	tot = allocs__totals(t);
	check_eq(tot->unmatched_frees, 1);
	check_eq(tot->frees, 0);
	check_eq(tot->outstanding_bytes, 0);
	check_eq(tot->outstanding_count, 0);

	/* Double free: the second one is unmatched and must not subtract again. */
	ALLOC_OK(t, 1, 0xbeef0, 128, 2);
	FREE_OK(t, 1, 0xbeef0);
	check_eq(allocs__record_free(t, 1, KIND_MALLOC, 0xbeef0), -ENOENT);
	/* Right address, wrong process. */
	ALLOC_OK(t, 1, 0xcafe0, 16, 2);
	check_eq(allocs__record_free(t, 2, KIND_MALLOC, 0xcafe0), -ENOENT);
	/* free(NULL) is legal and frees nothing. */
	check_eq(allocs__record_free(t, 1, KIND_MALLOC, 0), -ENOENT);

	tot = allocs__totals(t);
	check_eq(tot->unmatched_frees, 4);
	check_eq(tot->frees, 1);
	check_eq(tot->outstanding_bytes, 16);
	check_eq(tot->outstanding_count, 1);
	s = must_find_stack(t, 1, 2);
	check_eq(s->outstanding_bytes, 16);
	check_eq(s->outstanding_count, 1);
	check_eq(s->free_count, 1);
	assert_null(find_stack(t, 2, 2));
	check_consistent(t);
}

static void test_null_address_rejected(void **state)
{
	struct allocs *t = *state;

	/* Address 0 marks empty slots inside the table: it must never be stored. */
	check_eq(allocs__record_alloc(t, 1, KIND_MALLOC, 0, 10, 1, 0), -EINVAL);
	check_eq(allocs__totals(t)->allocs, 0);
	check_eq(allocs__live_count(t), 0);
	check_consistent(t);
}

static void test_address_reuse_counts_missed_free(void **state)
{
	struct allocs *t = *state;
	const struct alloc_totals *tot;
	const struct stack_stats *s;

	ALLOC_OK(t, 9, 0x7000, 100, 1);
	/* The FREE of 0x7000 was lost; the allocator hands it out again from stack 2. */
	ALLOC_OK(t, 9, 0x7000, 40, 2);

	tot = allocs__totals(t);
	check_eq(tot->missed_frees, 1);
	check_eq(tot->allocs, 2);
	check_eq(tot->outstanding_bytes, 40);
	check_eq(tot->outstanding_count, 1);
	check_eq(allocs__live_count(t), 1);

	s = must_find_stack(t, 9, 1);
	check_eq(s->outstanding_bytes, 0);
	check_eq(s->outstanding_count, 0);
	check_eq(s->free_count, 1);
	check_eq(s->free_bytes, 100);
	s = must_find_stack(t, 9, 2);
	check_eq(s->outstanding_bytes, 40);
	check_eq(s->outstanding_count, 1);

	/* The real free of the second block is charged to stack 2. */
	FREE_OK(t, 9, 0x7000);
	s = must_find_stack(t, 9, 2);
	check_eq(s->outstanding_bytes, 0);
	check_eq(s->free_bytes, 40);
	s = must_find_stack(t, 9, 1);
	check_eq(s->free_count, 1);
	tot = allocs__totals(t);
	check_eq(tot->outstanding_bytes, 0);
	check_eq(tot->unmatched_frees, 0);
	check_eq(allocs__record_free(t, 9, KIND_MALLOC, 0x7000), -ENOENT);
	check_consistent(t);
}

static void test_reuse_on_same_stack(void **state)
{
	struct allocs *t = *state;
	const struct stack_stats *s;

	ALLOC_OK(t, 9, 0x7000, 100, 5);
	ALLOC_OK(t, 9, 0x7000, 100, 5);
	s = must_find_stack(t, 9, 5);
	check_eq(s->outstanding_count, 1);
	check_eq(s->outstanding_bytes, 100);
	check_eq(s->alloc_count, 2);
	check_eq(allocs__totals(t)->missed_frees, 1);
	check_consistent(t);
}

static void test_same_address_two_pids(void **state)
{
	struct allocs *t = *state;
	const struct alloc_totals *tot;

	/* Separate address spaces: the same pointer value is two allocations. */
	ALLOC_OK(t, 10, 0x55550000, 100, 1);
	ALLOC_OK(t, 20, 0x55550000, 300, 1);
	tot = allocs__totals(t);
	check_eq(tot->missed_frees, 0);
	check_eq(tot->outstanding_count, 2);
	check_eq(tot->outstanding_bytes, 400);
	/* Same stack id in two processes: two stacks (ids are per stack map, pids differ). */
	check_eq(must_find_stack(t, 10, 1)->outstanding_bytes, 100);
	check_eq(must_find_stack(t, 20, 1)->outstanding_bytes, 300);

	FREE_OK(t, 20, 0x55550000);
	check_eq(must_find_stack(t, 10, 1)->outstanding_bytes, 100);
	check_eq(must_find_stack(t, 20, 1)->outstanding_bytes, 0);
	FREE_OK(t, 10, 0x55550000);
	check_eq(allocs__totals(t)->outstanding_bytes, 0);
	check_consistent(t);
}

static void test_negative_stack_ids(void **state)
{
	struct allocs *t = *state;
	size_t n;

	/* A failed capture (-EEXIST collision, -EFAULT) is still a stack worth counting. */
	ALLOC_OK(t, 3, 0x100, 10, -EEXIST);
	ALLOC_OK(t, 3, 0x200, 20, -EEXIST);
	ALLOC_OK(t, 3, 0x300, 40, -EFAULT);
	/* 17 == EEXIST: the positive id must not merge with the failure. */
	ALLOC_OK(t, 3, 0x400, 80, EEXIST);
	allocs__stacks(t, &n);
	check_eq(n, 3);
	check_eq(must_find_stack(t, 3, -EEXIST)->outstanding_bytes, 30);
	check_eq(must_find_stack(t, 3, -EEXIST)->outstanding_count, 2);
	check_eq(must_find_stack(t, 3, -EFAULT)->outstanding_bytes, 40);
	check_eq(must_find_stack(t, 3, EEXIST)->outstanding_bytes, 80);

	FREE_OK(t, 3, 0x200);
	check_eq(must_find_stack(t, 3, -EEXIST)->outstanding_bytes, 10);
	check_eq(must_find_stack(t, 3, -EEXIST)->free_bytes, 20);
	check_consistent(t);
}

static void test_many_stacks(void **state)
{
	struct allocs *t = *state;
	const int nr = 5000;
	size_t n;
	int i;

	/* Past the initial 256-slot stack index: it must rehash and still find every stack. */
	for (i = 0; i < nr; i++)
		ALLOC_OK(t, 77, 0x10000 + (uint64_t)i * 16, (uint64_t)i + 1, i);
	for (i = 0; i < nr; i++)
		ALLOC_OK(t, 77, 0x900000 + (uint64_t)i * 16, 1, i);
	allocs__stacks(t, &n);
	check_eq(n, nr);
	for (i = 0; i < nr; i += 499) {
		const struct stack_stats *s = must_find_stack(t, 77, i);

		check_eq(s->outstanding_count, 2);
		check_eq(s->outstanding_bytes, (uint64_t)i + 2);
	}
	check_consistent(t);
}

/* Two processes with interleaved entries; pid A's are dropped. */
static void test_drop_pid(void **state)
{
	struct allocs *t = *state;
	const uint32_t a = 1000, b = 2000;
	const size_t nr = 6000;
	const struct alloc_totals *tot;
	const struct stack_stats *all;
	uint64_t b_bytes = 0;
	size_t i, n;

	for (i = 0; i < nr; i++) {
		uint64_t addr = 0x7f0000000000ULL + i * 32;

		/* Same addresses in both: their hashes differ, their probe chains mix. */
		ALLOC_OK(t, a, addr, 8, (int32_t)(i % 13));
		ALLOC_OK(t, b, addr, i % 100 + 1, (int32_t)(i % 7));
		b_bytes += i % 100 + 1;
	}
	/* Some stacks of a sit between b's in the dense array; drop must compact it. */
	ALLOC_OK(t, a, 0x1234560, 5, -EFAULT);
	tot = allocs__totals(t);
	check_eq(tot->outstanding_count, 2 * nr + 1);

	allocs__drop_pid(t, a);

	tot = allocs__totals(t);
	check_eq(tot->outstanding_count, nr);
	check_eq(tot->outstanding_bytes, b_bytes);
	check_eq(allocs__live_count(t), nr);
	all = allocs__stacks(t, &n);
	check_eq(n, 7);
	for (i = 0; i < n; i++)
		check_eq(all[i].pid, b);
	assert_null(find_stack(t, a, 0));
	assert_null(find_stack(t, a, -EFAULT));
	check_consistent(t);

	/* The dropped process's blocks are gone: their frees no longer match. */
	check_eq(allocs__record_free(t, a, KIND_MALLOC, 0x7f0000000000ULL), -ENOENT);

	/* New allocations of b land on its existing stacks (the index was rebuilt). */
	ALLOC_OK(t, b, 0x1000, 1000, 3);
	allocs__stacks(t, &n);
	check_eq(n, 7);
	b_bytes += 1000;

	/* Every block of b is still there and is freed against the right stack. */
	for (i = 0; i < nr; i++) {
		uint64_t addr = 0x7f0000000000ULL + i * 32;
		int ret = allocs__record_free(t, b, KIND_MALLOC, addr);

		if (ret)
			fail_msg("free #%zu of pid %u at %#" PRIx64 " after drop: got %d, want 0",
				 i, b, addr, ret);
		b_bytes -= i % 100 + 1;
	}
	tot = allocs__totals(t);
	check_eq(tot->outstanding_bytes, b_bytes);
	check_eq(tot->outstanding_bytes, 1000);
	check_eq(must_find_stack(t, b, 3)->outstanding_bytes, 1000);
	check_eq(must_find_stack(t, b, 3)->outstanding_count, 1);
	for (i = 0; i < 7; i++)
		if (i != 3)
			check_eq(must_find_stack(t, b, (int32_t)i)->outstanding_count, 0);
	check_consistent(t);

	/* A fresh allocation by the dropped pid starts from scratch. */
	ALLOC_OK(t, a, 0x7f0000000000ULL, 8, 0);
	check_eq(must_find_stack(t, a, 0)->alloc_count, 1);
	check_consistent(t);
}

static void test_drop_unknown_and_all(void **state)
{
	struct allocs *t = *state;
	size_t n;

	allocs__drop_pid(t, 42); /* empty table */
	ALLOC_OK(t, 1, 0x10, 10, 1);
	allocs__drop_pid(t, 42); /* pid with nothing */
	check_eq(allocs__totals(t)->outstanding_bytes, 10);
	/* A pid whose stacks hold nothing: the stacks go, pid 1 keeps its block. */
	ALLOC_OK(t, 7, 0x20, 30, 2);
	ALLOC_OK(t, 7, 0x30, 30, 3);
	check_eq(allocs__record_free(t, 7, KIND_MALLOC, 0x20), 0);
	check_eq(allocs__record_free(t, 7, KIND_MALLOC, 0x30), 0);
	allocs__stacks(t, &n);
	check_eq(n, 3);
	allocs__drop_pid(t, 7);
	allocs__stacks(t, &n);
	check_eq(n, 1);
	check_eq(must_find_stack(t, 1, 1)->outstanding_bytes, 10);
	check_consistent(t);
	check_eq(allocs__record_free(t, 1, KIND_MALLOC, 0x10), 0);
	ALLOC_OK(t, 1, 0x10, 10, 1);
	allocs__drop_pid(t, 1);
	check_eq(allocs__totals(t)->outstanding_bytes, 0);
	check_eq(allocs__live_count(t), 0);
	allocs__stacks(t, &n);
	check_eq(n, 0);
	/* The table is still usable afterwards. */
	ALLOC_OK(t, 1, 0x10, 10, 1);
	FREE_OK(t, 1, 0x10);
	check_consistent(t);
}

/* The same address as a malloc block and as a mapping: two entries, two stacks, never mixed. */
static void test_kinds_apart(void **state)
{
	struct allocs *t = *state;
	const struct stack_stats *stacks;
	size_t nr, i;

	check_eq(allocs__record_alloc(t, 5, KIND_MALLOC, 0x7000, 100, 3, 0), 0);
	check_eq(allocs__record_alloc(t, 5, KIND_MMAP, 0x7000, 4096, 3, 0), 0);
	check_eq(allocs__totals(t)->missed_frees, 0); /* not one address reused */
	stacks = allocs__stacks(t, &nr);
	check_eq(nr, 2);
	for (i = 0; i < nr; i++) {
		check_eq(stacks[i].pid, 5);
		check_eq(stacks[i].stack_id, 3);
		check_u64(stacks[i].outstanding_bytes, stacks[i].kind == KIND_MMAP ? 4096 : 100);
	}
	assert_string_equal(alloc_kind__name(KIND_MALLOC), "malloc");
	assert_string_equal(alloc_kind__name(KIND_MMAP), "mmap");
	/* A munmap finds the mapping only; free() the block only. */
	check_eq(allocs__release_if_live(t, 5, KIND_MMAP, 0x7000), 0);
	check_eq(allocs__release_if_live(t, 5, KIND_MMAP, 0x7000), -ENOENT);
	check_u64(allocs__totals(t)->outstanding_bytes, 100);
	check_eq(allocs__record_alloc(t, 5, KIND_MMAP, 0x9000, 8192, 4, 0), 0);
	check_eq(allocs__record_free(t, 5, KIND_MALLOC, 0x9000), -ENOENT);
	check_eq(allocs__totals(t)->unmatched_frees, 1);
	/* A process's exit drops every kind it held. */
	allocs__drop_pid(t, 5);
	check_u64(allocs__totals(t)->outstanding_bytes, 0);
	check_eq(allocs__live_count(t), 0);
	check_consistent(t);
}

/* Goroutines and the Go heap have totals of their own: the tracked kinds' stay bytes of blocks. */
static void test_go_kinds(void **state)
{
	struct allocs *t = *state;
	struct stack_stats heap = {.pid = 9, .stack_id = 0x40000001, .kind = KIND_GO_HEAP};

	ALLOC_OK(t, 9, 0x1000, 64, 7);
	check_eq(allocs__record_alloc(t, 9, KIND_GOROUTINE, 42, 1, 8, 0), 0);
	check_eq(allocs__record_alloc(t, 9, KIND_GOROUTINE, 43, 1, 8, 0), 0);
	heap.outstanding_bytes = 5000;
	heap.outstanding_count = 5;
	heap.alloc_bytes = 8000;
	heap.alloc_count = 8;
	heap.free_bytes = 3000;
	heap.free_count = 3;
	check_eq(allocs__set_stack(t, &heap), 0);
	check_u64(allocs__totals(t)->outstanding_bytes, 64);
	check_u64(allocs__kind_totals(t, KIND_GOROUTINE)->outstanding_count, 2);
	check_u64(allocs__kind_totals(t, KIND_GO_HEAP)->outstanding_bytes, 5000);
	check_consistent(t);
	/* A later read replaces the figures, it does not add to them. */
	heap.outstanding_bytes = 6000;
	heap.alloc_bytes = 9000;
	check_eq(allocs__set_stack(t, &heap), 0);
	check_u64(allocs__kind_totals(t, KIND_GO_HEAP)->outstanding_bytes, 6000);
	check_u64(must_find_stack(t, 9, 0x40000001)->outstanding_bytes, 6000);
	/* An exit unseen at birth is the goroutine kind's loss, not malloc's. */
	check_eq(allocs__record_free(t, 9, KIND_GOROUTINE, 99), -ENOENT);
	check_u64(allocs__totals(t)->unmatched_frees, 0);
	check_u64(allocs__kind_totals(t, KIND_GOROUTINE)->unmatched_frees, 1);
	check_eq(allocs__release_if_live(t, 9, KIND_GOROUTINE, 42), 0);
	check_consistent(t);
	allocs__drop_pid(t, 9);
	check_u64(allocs__kind_totals(t, KIND_GO_HEAP)->outstanding_bytes, 0);
	check_u64(allocs__kind_totals(t, KIND_GOROUTINE)->outstanding_count, 0);
	check_consistent(t);
	assert_string_equal(alloc_kind__name(KIND_GO_HEAP), "go-heap");
	assert_string_equal(alloc_kind__unit(KIND_GOROUTINE), "goroutines");
	assert_string_equal(alloc_kind__unit(KIND_GO_HEAP), "bytes");
}

/* The blocks of one process and kind, sorted, each with its stack's index. */
static void test_collect_blocks(void **state)
{
	struct allocs *t = *state;
	const struct stack_stats *stacks;
	struct reach_block *blocks;
	size_t nr, nr_stacks;

	ALLOC_OK(t, 100, 0x3000, 30, 7);
	ALLOC_OK(t, 100, 0x1000, 10, 8);
	ALLOC_OK(t, 100, 0x2000, 0, 7); /* malloc(0) */
	ALLOC_OK(t, 200, 0x1800, 99, 7);
	check_eq(allocs__record_alloc(t, 100, KIND_MMAP, 0x9000, 4096, 7, 1), 0);
	check_eq(allocs__collect_blocks(t, 100, KIND_MALLOC, &blocks, &nr), 0);
	check_eq(nr, 3);
	check_eq(blocks[0].addr, 0x1000);
	check_eq(blocks[1].addr, 0x2000);
	check_eq(blocks[1].size, 0);
	check_eq(blocks[2].addr, 0x3000);
	check_eq(blocks[2].cls, REACH_UNSCANNED);
	stacks = allocs__stacks(t, &nr_stacks);
	assert_true(blocks[0].user < nr_stacks);
	check_eq(stacks[blocks[0].user].stack_id, 8);
	check_eq(stacks[blocks[2].user].stack_id, 7);
	free(blocks);
	check_eq(allocs__collect_blocks(t, 300, KIND_MALLOC, &blocks, &nr), 0);
	check_eq(nr, 0);
	assert_null(blocks);
	check_consistent(t);
}

/* A scan's classes land on the stacks; a freed block leaves its class, a new one is unscanned. */
static void test_set_reach(void **state)
{
	struct allocs *t = *state;
	const struct stack_stats *s7, *s8;
	struct reach_block *blocks;
	size_t nr;

	ALLOC_OK(t, 100, 0x1000, 10, 7);
	ALLOC_OK(t, 100, 0x2000, 20, 7);
	ALLOC_OK(t, 100, 0x3000, 40, 8);
	ALLOC_OK(t, 200, 0x1000, 80, 7); /* another process: untouched */
	check_eq(allocs__collect_blocks(t, 100, KIND_MALLOC, &blocks, &nr), 0);
	check_eq(nr, 3);
	blocks[0].cls = REACH_LOST;
	blocks[1].cls = REACH_REACHABLE;
	blocks[2].cls = REACH_INDIRECT;
	allocs__set_reach(t, 100, KIND_MALLOC, blocks, nr);
	s7 = must_find_stack(t, 100, 7);
	s8 = must_find_stack(t, 100, 8);
	check_eq(s7->reach.bytes[REACH_LOST], 10);
	check_eq(s7->reach.count[REACH_LOST], 1);
	check_eq(s7->reach.bytes[REACH_REACHABLE], 20);
	check_eq(s8->reach.bytes[REACH_INDIRECT], 40);
	check_eq(must_find_stack(t, 200, 7)->reach.count[REACH_LOST], 0);
	check_consistent(t);

	FREE_OK(t, 100, 0x1000);
	s7 = must_find_stack(t, 100, 7);
	check_eq(s7->reach.bytes[REACH_LOST], 0);
	check_eq(s7->reach.count[REACH_LOST], 0);
	check_eq(s7->reach.bytes[REACH_REACHABLE], 20);
	ALLOC_OK(t, 100, 0x1000, 10, 7); /* the address again: a new block, not scanned */
	s7 = must_find_stack(t, 100, 7);
	check_eq(s7->reach.count[REACH_LOST], 0);
	check_eq(s7->outstanding_count, 2);
	check_consistent(t);

	/* A second scan replaces the first: a block it does not list is unscanned again. */
	allocs__set_reach(t, 100, KIND_MALLOC, blocks + 2, 1);
	s7 = must_find_stack(t, 100, 7);
	check_eq(s7->reach.count[REACH_REACHABLE], 0);
	check_eq(must_find_stack(t, 100, 8)->reach.count[REACH_INDIRECT], 1);
	free(blocks);

	allocs__drop_pid(t, 100);
	check_consistent(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_empty_table),
	    T(test_alloc_then_free),
	    T(test_lifetime_totals_survive_frees),
	    T(test_unmatched_free),
	    T(test_null_address_rejected),
	    T(test_address_reuse_counts_missed_free),
	    T(test_reuse_on_same_stack),
	    T(test_same_address_two_pids),
	    T(test_negative_stack_ids),
	    T(test_many_stacks),
	    T(test_drop_pid),
	    T(test_drop_unknown_and_all),
	    T(test_kinds_apart),
	    T(test_go_kinds),
	    T(test_collect_blocks),
	    T(test_set_reach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
