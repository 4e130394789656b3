// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The link closer (src/link_closer.c): every fd queued is closed by its
 * threads, once and only once, by the time link_closer__wait returns; the
 * fds still queued when it is freed are closed too. Pipe ends stand in for
 * BPF links (whose close waits for a grace period).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "link_closer.h"

#define NR_PIPES 100

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* Opens NR_PIPES pipes into fds[2 * NR_PIPES]. */
static void open_pipes(int *fds)
{
	int i;

	for (i = 0; i < NR_PIPES; i++)
		assert_int_equal(pipe(fds + 2 * i), 0);
}

static void test_every_fd_closed_by_wait(void **state)
{
	struct link_closer *c = link_closer__new(8);
	int fds[2 * NR_PIPES], i;

	(void)state;
	assert_non_null(c);
	open_pipes(fds);
	for (i = 0; i < 2 * NR_PIPES; i++)
		link_closer__close(c, fds[i]);
	link_closer__wait(c);
	assert_int_equal(link_closer__pending(c), 0);
	for (i = 0; i < 2 * NR_PIPES; i++)
		assert_false(is_open(fds[i]));
	link_closer__free(c);
}

static void test_free_closes_what_is_queued(void **state)
{
	struct link_closer *c = link_closer__new(2);
	int fds[2 * NR_PIPES], i;

	(void)state;
	assert_non_null(c);
	open_pipes(fds);
	for (i = 0; i < 2 * NR_PIPES; i++)
		link_closer__close(c, fds[i]);
	link_closer__free(c);
	for (i = 0; i < 2 * NR_PIPES; i++)
		assert_false(is_open(fds[i]));
}

/* Without a closer (or threads), the fd is closed by the caller; -1 is ignored. */
static void test_no_closer_closes_inline(void **state)
{
	struct link_closer *none = link_closer__new(0);
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	link_closer__close(NULL, fds[0]);
	assert_false(is_open(fds[0]));
	link_closer__close(none, fds[1]);
	assert_false(is_open(fds[1]));
	link_closer__close(none, -1);
	assert_int_equal(link_closer__pending(none), 0);
	link_closer__wait(NULL);
	link_closer__free(none);
	link_closer__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_fd_closed_by_wait),
	    cmocka_unit_test(test_free_closes_what_is_queued),
	    cmocka_unit_test(test_no_closer_closes_inline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
