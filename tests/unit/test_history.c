// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The per-stack history store (src/history.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "checks.h"

#include "history.h"
#include "trend.h"

static void test_history_store(void **state)
{
	struct history *h = history__new(4, &trend_defaults);
	const struct stack_history *sh;
	int32_t id;

	(void)state;
	assert_null(history__new(1, &trend_defaults));
	assert_null(history__get(h, 1, KIND_MALLOC, 1));
	/* Many stacks of two processes: growth of the table keeps every series. */
	for (id = -5; id < 500; id++) {
		check_eq(history__record(h, 1, KIND_MALLOC, id, (uint64_t)(id + 10)), 0);
		check_eq(history__record(h, 2, KIND_MALLOC, id, 7), 0);
	}
	for (id = 0; id < 6; id++)
		check_eq(history__record(h, 1, KIND_MALLOC, 3, 100 * (uint64_t)id), 0);
	sh = history__get(h, 1, KIND_MALLOC, 3);
	assert_non_null(sh);
	check_eq(sh->nr_values, 4); /* the window keeps the newest 4 */
	check_u64(sh->values[0], 200);
	check_u64(sh->values[3], 500);
	sh = history__get(h, 2, KIND_MALLOC, 499);
	check_eq(sh->nr_values, 2); /* the 0 before it was seen, then 7 */
	check_u64(sh->values[0], 0);
	history__drop_pid(h, 2);
	assert_null(history__get(h, 2, KIND_MALLOC, 499));
	assert_non_null(history__get(h, 1, KIND_MALLOC, 499));
	history__destroy(h);
	history__destroy(NULL);
}

/*
 * A goroutine site leaking 2 a second is a leak; 2 bytes a second of
 * malloc are below the floor. Each kind has its own.
 */
static void test_min_rate_per_kind(void **state)
{
	struct trend_params params = trend_defaults;
	const struct stack_history *go, *mal;
	struct history *h;
	uint64_t i;

	(void)state;
	params.interval_s = 1;
	h = history__new(10, &params);
	assert_non_null(h);
	history__set_min_rate(h, KIND_GOROUTINE, 0.1);
	for (i = 1; i <= 10; i++) {
		check_eq(history__record(h, 1, KIND_GOROUTINE, 5, 2 * i), 0);
		check_eq(history__record(h, 1, KIND_MALLOC, 5, 2 * i), 0);
	}
	go = history__get(h, 1, KIND_GOROUTINE, 5);
	mal = history__get(h, 1, KIND_MALLOC, 5);
	assert_true(go->growing);
	assert_false(mal->growing);
	history__destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_history_store),
	    cmocka_unit_test(test_min_rate_per_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
