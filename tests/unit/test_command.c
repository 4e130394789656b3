// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Command mode's child handling (src/command.h): held before exec, exec
 * failures reported, exit status and signals described.
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

#include "command.h"

static int run_ignoring(char *const argv[], const sigset_t *ignored, int *status, char *err,
			size_t err_len)
{
	struct command *c;
	int ret, reaped = 0, i;

	check_eq(command__spawn(argv, ignored, &c), 0);
	ret = command__release(c, err, err_len);
	for (i = 0; i < 500 && !reaped; i++) {
		reaped = command__reap(c, status);
		if (!reaped)
			usleep(10000);
	}
	check_eq(reaped, 1);
	command__free(c);
	return ret;
}

static int run(char *const argv[], int *status, char *err, size_t err_len)
{
	sigset_t none;

	sigemptyset(&none);
	return run_ignoring(argv, &none, status, err, err_len);
}

/* sh -c: exit 0 when signal bit BIT of SigIgn is set, 1 when not. */
#define SIGIGN_BIT_SET(bit)                                                                        \
	"m=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status); [ $((0x$m & " bit ")) != 0 ]"

static void test_command_status(void **state)
{
	char *const ok[] = {"sh", "-c", "exit 0", NULL};
	char *const three[] = {"sh", "-c", "exit 3", NULL};
	char *const segv[] = {"sh", "-c", "kill -SEGV $$", NULL};
	/* Whether SIGPIPE (bit 12) and SIGINT (bit 1) are ignored in the child. */
	char *const pipe_ignored[] = {"sh", "-c", SIGIGN_BIT_SET("0x1000"), NULL};
	char *const int_ignored[] = {"sh", "-c", SIGIGN_BIT_SET("0x2"), NULL};
	sigset_t ignored;
	char *const missing[] = {"/nonexistent/memleakd-test", NULL};
	char err[256] = "", how[96];
	int status = -1;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	check_eq(run(ok, &status, err, sizeof(err)), 0);
	assert_string_equal(command__describe(status, how, sizeof(how)), "exited with status 0");
	check_eq(run(three, &status, err, sizeof(err)), 0);
	assert_string_equal(command__describe(status, how, sizeof(how)), "exited with status 3");
	check_eq(run(segv, &status, err, sizeof(err)), 0);
	assert_non_null(strstr(command__describe(status, how, sizeof(how)),
			       "killed by signal 11 (Segmentation fault)"));
	/* memleakd ignores SIGPIPE and handles SIGINT; the command gets them as found. */
	signal(SIGINT, SIG_IGN);
	check_eq(run(pipe_ignored, &status, err, sizeof(err)), 0);
	check_eq(WIFEXITED(status) && WEXITSTATUS(status) == 1, 1);
	check_eq(run(int_ignored, &status, err, sizeof(err)), 0);
	check_eq(WIFEXITED(status) && WEXITSTATUS(status) == 1, 1);
	sigemptyset(&ignored);
	sigaddset(&ignored, SIGINT);
	check_eq(run_ignoring(int_ignored, &ignored, &status, err, sizeof(err)), 0);
	check_eq(WIFEXITED(status) && WEXITSTATUS(status) == 0, 1);
	signal(SIGINT, SIG_DFL);
	command__ignored_signals(&ignored);
	check_eq(sigismember(&ignored, SIGPIPE), 1);
	check_eq(sigismember(&ignored, SIGINT), 0);
	check_eq(run(missing, &status, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot run '/nonexistent/memleakd-test': No such file or "
				 "directory; check the command name and PATH");
	signal(SIGPIPE, SIG_DFL);
}

/* A child never released never runs the command, and is reaped on free. */
static void test_command_never_released(void **state)
{
	char *const argv[] = {"sh", "-c", "exit 0", NULL};
	struct command *c;
	int pid, status;

	sigset_t none;

	(void)state;
	sigemptyset(&none);
	check_eq(command__spawn(argv, &none, &c), 0);
	pid = command__pid(c);
	check_eq(pid > 0, 1);
	check_eq(command__reap(c, &status), 0); /* held before exec */
	command__free(c);
	check_eq(waitpid(pid, &status, WNOHANG), -1);
	check_eq(errno, ECHILD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_command_status),
	    cmocka_unit_test(test_command_never_released),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
