// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Userspace stacks (src/ustacks.h): equal PC arrays share one id, ids stay
 * apart from the kernel's, reads give back what was interned.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks.h"
#include "ustacks.h"

static void test_same_pcs_same_id(void **state)
{
	const uint64_t a[] = {0x401000, 0x402000, 0x403000};
	const uint64_t b[] = {0x401000, 0x402000, 0x403001};
	struct ustacks *s = ustacks__new();
	uint64_t back[8];
	int32_t ida, idb;

	(void)state;
	assert_non_null(s);
	ida = ustacks__intern(s, a, 3);
	idb = ustacks__intern(s, b, 3);
	assert_true(ustacks__owns(ida) && ustacks__owns(idb));
	assert_true(ida != idb);
	check_eq(ustacks__intern(s, a, 3), ida);
	check_eq(ustacks__intern(s, a, 2), ustacks__intern(s, a, 2));
	assert_true(ustacks__intern(s, a, 2) != ida);
	check_eq(ustacks__count(s), 3);
	check_eq(ustacks__read(s, idb, back, 8), 3);
	check_hex(back[2], 0x403001);
	/* A short buffer gets the leaf-most frames. */
	check_eq(ustacks__read(s, ida, back, 1), 1);
	check_hex(back[0], 0x401000);
	ustacks__free(s);
}

static void test_foreign_ids(void **state)
{
	const uint64_t a[] = {1};
	struct ustacks *s = ustacks__new();
	uint64_t back[2];

	(void)state;
	assert_false(ustacks__owns(0));
	assert_false(ustacks__owns(16383));
	assert_false(ustacks__owns(-EEXIST));
	check_eq(ustacks__read(s, 5, back, 2), -ENOENT);
	check_eq(ustacks__read(s, USTACK_ID_BASE, back, 2), -ENOENT);
	check_eq(ustacks__intern(s, a, 1), USTACK_ID_BASE);
	check_eq(ustacks__read(s, USTACK_ID_BASE + 1, back, 2), -ENOENT);
	ustacks__free(s);
	ustacks__free(NULL);
}

/* Many stacks whose hashes may collide: each reads back as itself. */
static void test_many(void **state)
{
	struct ustacks *s = ustacks__new();
	uint64_t pcs[4], back[4], rng = 7;
	int32_t ids[5000];
	size_t i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		pcs[0] = i;
		pcs[1] = rng_next(&rng) & 0xff;
		ids[i] = ustacks__intern(s, pcs, 2);
		assert_true(ustacks__owns(ids[i]));
	}
	for (i = 0; i < 5000; i++) {
		check_eq(ustacks__read(s, ids[i], back, 4), 2);
		check_eq(back[0], i);
	}
	ustacks__free(s);
}

/* Deeper than the kernel's stacks: cut at USTACK_MAX_DEPTH. */
static void test_depth_cap(void **state)
{
	uint64_t pcs[USTACK_MAX_DEPTH + 10], back[USTACK_MAX_DEPTH + 10];
	struct ustacks *s = ustacks__new();
	size_t i;

	(void)state;
	for (i = 0; i < USTACK_MAX_DEPTH + 10; i++)
		pcs[i] = 0x1000 + i;
	check_eq(ustacks__read(s, ustacks__intern(s, pcs, USTACK_MAX_DEPTH + 10), back,
			       USTACK_MAX_DEPTH + 10),
		 USTACK_MAX_DEPTH);
	ustacks__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_pcs_same_id),
	    cmocka_unit_test(test_foreign_ids),
	    cmocka_unit_test(test_many),
	    cmocka_unit_test(test_depth_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
