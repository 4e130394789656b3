// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The process list (src/targets.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "targets.h"

static void test_targets_list(void **state)
{
	struct target_list l = {0};
	struct target *first, *again;
	int pid;

	(void)state;
	first = targets__add(&l, 100, ROLE_PID);
	assert_non_null(first);
	check_eq(first->pidfd, -1);
	assert_string_equal(first->comm, "?");
	/* Adding a known pid returns its entry. */
	check_eq(targets__add(&l, 100, ROLE_CHILD) == first, 1);
	check_eq(first->role, ROLE_PID);
	/* Entries keep their address while the list grows past its capacity. */
	for (pid = 101; pid < 200; pid++)
		assert_non_null(targets__add(&l, pid, ROLE_SEEN));
	check_eq(l.nr, 100);
	check_eq(targets__find(&l, 100) == first, 1);
	again = targets__find(&l, 150);
	assert_non_null(again);
	check_eq(again->role, ROLE_SEEN);
	/* Removing an exited entry keeps the exited count right. */
	again->exited = true;
	l.nr_exited++;
	targets__remove(&l, 150);
	assert_null(targets__find(&l, 150));
	check_eq(l.nr, 99);
	check_eq(l.nr_exited, 0);
	targets__remove(&l, 9999); /* unknown: nothing happens */
	check_eq(l.nr, 99);
	check_eq(targets__find(&l, 199)->pid, 199);
	targets__free(&l);
	check_eq(l.nr, 0);
	targets__free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targets_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
