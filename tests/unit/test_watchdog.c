// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The watchdog: release runs once memleakd is gone, however it went (a
 * normal stop, or an abrupt exit as a SIGKILL or a crash leaves it), and
 * the watchdog keeps no descriptor but the two it needs.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "watchdog.h"

/* The "held map" is a pipe here: release writes one report into it. */
static size_t report_release(int held_fd)
{
	char report[64];
	int n = snprintf(report, sizeof(report), "released %d", held_fd);

	if (write(held_fd, report, (size_t)n) != n)
		return 0;
	return 1;
}

/* What the watchdog wrote into the pipe read_fd, within 10 s ("" if nothing). */
static void read_report(int read_fd, char *buf, size_t len)
{
	struct pollfd pfd = {.fd = read_fd, .events = POLLIN};
	ssize_t n = 0;

	buf[0] = '\0';
	if (poll(&pfd, 1, 10000) == 1)
		n = read(read_fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

static void test_release_after_stop(void **state)
{
	struct watchdog *w = NULL;
	char expect[64], got[64];
	int held[2];

	(void)state;
	assert_int_equal(pipe(held), 0);
	assert_int_equal(watchdog__start(held[1], report_release, &w), 0);
	close(held[1]); /* the watchdog keeps its own */
	watchdog__stop(w);
	read_report(held[0], got, sizeof(got));
	snprintf(expect, sizeof(expect), "released %d", held[1]);
	assert_string_equal(got, expect);
	close(held[0]);
}

/* memleakd dies without a word (SIGKILL, a crash): the watchdog still releases. */
static void test_release_after_abrupt_exit(void **state)
{
	char got[64];
	int held[2], status;
	pid_t daemon;

	(void)state;
	assert_int_equal(pipe(held), 0);
	daemon = fork();
	assert_true(daemon >= 0);
	if (daemon == 0) {
		struct watchdog *w;

		if (watchdog__start(held[1], report_release, &w))
			_exit(1);
		raise(SIGKILL); /* no watchdog__stop, no cleanup */
		_exit(2);
	}
	close(held[1]);
	assert_int_equal(waitpid(daemon, &status, 0), daemon);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	read_report(held[0], got, sizeof(got));
	assert_true(strncmp(got, "released ", 9) == 0);
	close(held[0]);
}

/* While memleakd lives, nothing is released. */
static void test_no_release_while_alive(void **state)
{
	struct pollfd pfd;
	struct watchdog *w = NULL;
	int held[2];

	(void)state;
	assert_int_equal(pipe(held), 0);
	assert_int_equal(watchdog__start(held[1], report_release, &w), 0);
	close(held[1]);
	pfd = (struct pollfd){.fd = held[0], .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 200), 0);
	watchdog__stop(w);
	close(held[0]);
}

/* The watchdog holds no other descriptor: a pipe we hold sees EOF once we close it. */
static void test_other_descriptors_closed(void **state)
{
	struct pollfd pfd;
	struct watchdog *w = NULL;
	char byte;
	int held[2], other[2];

	(void)state;
	assert_int_equal(pipe(held), 0);
	assert_int_equal(pipe(other), 0);
	assert_int_equal(watchdog__start(held[1], report_release, &w), 0);
	close(other[1]);
	/* EOF, not a block: the watchdog did not keep other[1] open. */
	pfd = (struct pollfd){.fd = other[0], .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(read(other[0], &byte, 1), 0);
	watchdog__stop(w);
	close(held[1]);
	close(held[0]);
	close(other[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_release_after_stop),
	    cmocka_unit_test(test_release_after_abrupt_exit),
	    cmocka_unit_test(test_no_release_while_alive),
	    cmocka_unit_test(test_other_descriptors_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
