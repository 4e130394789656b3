// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pure pieces src/lifecycle.c builds on when a process dies and its PID
 * is reused (lifecycle.c itself needs BPF): the dead process's blocks move
 * to an id of their own (allocs__rename_pid), and neither its frees nor
 * its later allocations mix with those of the process that took the PID.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "allocs.h"

#define DEAD_ID (100 + (1 << 22))

/* Outstanding bytes of pid, from the per-stack totals. */
static uint64_t outstanding_of(const struct allocs *t, uint32_t pid)
{
	const struct stack_stats *s;
	uint64_t bytes = 0;
	size_t nr, i;

	s = allocs__stacks(t, &nr);
	for (i = 0; i < nr; i++)
		if (s[i].pid == pid)
			bytes += s[i].outstanding_bytes;
	return bytes;
}

static void test_rename_keeps_the_dead_apart(void **state)
{
	struct allocs *t = allocs__new();
	uint64_t addr;

	(void)state;
	assert_non_null(t);
	/* The dead process leaked 4 x 1000 B at these addresses; another pid holds one block. */
	for (addr = 0x1000; addr < 0x5000; addr += 0x1000)
		check_eq(allocs__record_alloc(t, 100, KIND_MALLOC, addr, 1000, 7, 1), 0);
	check_eq(allocs__record_alloc(t, 200, KIND_MALLOC, 0x1000, 50, 8, 1), 0);
	check_eq(allocs__rename_pid(t, 100, DEAD_ID), 0);
	check_eq(outstanding_of(t, 100), 0);
	check_eq(outstanding_of(t, DEAD_ID), 4000);
	check_eq(allocs__totals(t)->outstanding_bytes, 4050);
	/* The new process at pid 100 frees one of the same addresses: not the dead one's. */
	check_eq(allocs__record_free(t, 100, KIND_MALLOC, 0x1000), -ENOENT);
	check_eq(allocs__record_alloc(t, 100, KIND_MALLOC, 0x2000, 10, 7, 2), 0);
	check_eq(allocs__totals(t)->missed_frees, 0);
	/* Dropping the new process (its exec) leaves the dead one's blocks. */
	allocs__drop_pid(t, 100);
	check_eq(outstanding_of(t, DEAD_ID), 4000);
	/* The blocks are findable under the new id: its frees still match. */
	check_eq(allocs__record_free(t, DEAD_ID, KIND_MALLOC, 0x4000), 0);
	check_eq(outstanding_of(t, DEAD_ID), 3000);
	check_eq(outstanding_of(t, 200), 50);
	check_eq(allocs__record_free(t, 200, KIND_MALLOC, 0x1000), 0);
	allocs__destroy(t);
}

/* Many blocks: the rebuilt tables still find every one. */
static void test_rename_many(void **state)
{
	struct allocs *t = allocs__new();
	uint64_t i;

	(void)state;
	assert_non_null(t);
	for (i = 1; i <= 5000; i++) {
		check_eq(
		    allocs__record_alloc(t, 100, KIND_MALLOC, i * 16, 16, (int32_t)(i % 97), 1), 0);
		check_eq(allocs__record_alloc(t, 300, KIND_MALLOC, i * 16, 8, (int32_t)(i % 13), 1),
			 0);
	}
	check_eq(allocs__rename_pid(t, 100, DEAD_ID), 0);
	for (i = 1; i <= 5000; i++) {
		check_eq(allocs__record_free(t, DEAD_ID, KIND_MALLOC, i * 16), 0);
		check_eq(allocs__record_free(t, 300, KIND_MALLOC, i * 16), 0);
	}
	check_eq(allocs__totals(t)->outstanding_count, 0);
	check_eq(allocs__totals(t)->unmatched_frees, 0);
	allocs__destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rename_keeps_the_dead_apart),
	    cmocka_unit_test(test_rename_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
