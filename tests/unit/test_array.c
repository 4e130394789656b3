// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Growable arrays (src/array.c): doubling, contents kept, overflow refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "array.h"
#include "checks.h"

struct row {
	uint64_t a;
	uint32_t b;
};

static void test_doubles_and_keeps(void **state)
{
	struct row *rows = NULL;
	size_t cap = 0, i;

	(void)state;
	check_eq(ARRAY_RESERVE(rows, cap, 1, 4), 0);
	check_eq(cap, 4);
	for (i = 0; i < 4; i++)
		rows[i] = (struct row){.a = i * 3, .b = (uint32_t)i};
	/* Room already there: nothing moves. */
	check_eq(ARRAY_RESERVE(rows, cap, 4, 4), 0);
	check_eq(cap, 4);
	check_eq(ARRAY_RESERVE(rows, cap, 5, 4), 0);
	check_eq(cap, 8);
	/* A jump past the next doubling doubles until it fits. */
	check_eq(ARRAY_RESERVE(rows, cap, 100, 4), 0);
	check_eq(cap, 128);
	for (i = 0; i < 4; i++) {
		check_u64(rows[i].a, i * 3);
		check_eq(rows[i].b, i);
	}
	rows[127].a = 1; /* the whole capacity is usable (ASan checks) */
	free(rows);
}

static void test_first_zero_and_overflow(void **state)
{
	uint64_t *values = NULL, *before;
	size_t cap = 0;

	(void)state;
	check_eq(ARRAY_RESERVE(values, cap, 3, 0), 0); /* no first size: from 1 */
	check_eq(cap, 4);
	before = values;
	check_eq(ARRAY_RESERVE(values, cap, SIZE_MAX / 4, 0), -ENOMEM);
	check_eq(ARRAY_RESERVE(values, cap, SIZE_MAX, 0), -ENOMEM);
	/* Refused: the array and its capacity are as they were. */
	assert_ptr_equal(values, before);
	check_eq(cap, 4);
	free(values);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_doubles_and_keeps),
	    cmocka_unit_test(test_first_zero_and_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
