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

/* A /proc/PID/stat line whose name holds spaces and parentheses. */
static const char stat_line[] =
    "4242 (a) b (c) S 1 4242 4242 0 -1 4194304 125 0 0 0 0 0 0 0 20 0 1 0 759652 3133440 383 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

static void test_parse_stat(void **state)
{
	uint64_t start_time = 0;
	char st = 0;

	(void)state;
	check_eq(targets__parse_stat(stat_line, &st, &start_time), 0);
	check_eq(st, 'S');
	check_eq(start_time, 759652);
	/* The start time as the last field, then cut short, then no name at all. */
	check_eq(targets__parse_stat("1 (x) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99", &st,
				     &start_time),
		 0);
	check_eq(st, 'Z');
	check_eq(start_time, 99);
	check_eq(targets__parse_stat("1 (x) S 1 2 3", &st, &start_time), -EINVAL);
	check_eq(targets__parse_stat("1 x S 1 2 3", &st, &start_time), -EINVAL);
	check_eq(targets__parse_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x", &st,
				     &start_time),
		 -EINVAL);
}

/* The liveness sweep's verdict for a target without a pidfd. */
static void test_gone(void **state)
{
	struct target t = {.pid = 4242, .start_time = 759652};
	char zombie[sizeof(stat_line)];

	(void)state;
	check_eq(targets__gone(&t, stat_line), false);
	/* No such PID, or /proc unreadable. */
	check_eq(targets__gone(&t, NULL), true);
	/* Exited, not reaped yet. */
	memcpy(zombie, stat_line, sizeof(zombie));
	*strstr(zombie, ") S ") = '\0';
	strcpy(zombie + strlen(zombie),
	       ") Z 1 4242 4242 0 -1 4194304 125 0 0 0 0 0 0 0 20 0 1 0 759652 1");
	check_eq(targets__gone(&t, zombie), true);
	/* Another process took the PID: another start time. */
	t.start_time = 759651;
	check_eq(targets__gone(&t, stat_line), true);
	/* Start time unknown: a live process with the PID counts as the target. */
	t.start_time = 0;
	check_eq(targets__gone(&t, stat_line), false);
	check_eq(targets__gone(&t, "garbage"), true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targets_list),
	    cmocka_unit_test(test_parse_stat),
	    cmocka_unit_test(test_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
