// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Command mode's child handling (src/command.h): held before exec, exec
 * failures reported, exit status and signals described.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
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

	check_eq(command__spawn(argv, ignored, NULL, &c), 0);
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
	check_eq(command__spawn(argv, &none, NULL, &c), 0);
	pid = command__pid(c);
	check_eq(pid > 0, 1);
	check_eq(command__reap(c, &status), 0); /* held before exec */
	command__free(c);
	check_eq(waitpid(pid, &status, WNOHANG), -1);
	check_eq(errno, ECHILD);
}

static void test_parse_stat(void **state)
{
	char st = 0;
	int ppid = 0;

	(void)state;
	check_eq(command__parse_stat("42 (sleep) S 7 42 7 0 -1", &st, &ppid), 0);
	check_eq(st, 'S');
	check_eq(ppid, 7);
	/* A comm made to look like more fields: the last ')' ends it. */
	check_eq(command__parse_stat("43 (a) R 1 (b) Z 99 1 1", &st, &ppid), 0);
	check_eq(st, 'Z');
	check_eq(ppid, 99);
	check_eq(command__parse_stat("44 (x", &st, &ppid), -EINVAL);
	check_eq(command__parse_stat("45 (x) S", &st, &ppid), -EINVAL);
	check_eq(command__parse_stat("", &st, &ppid), -EINVAL);
}

static void test_descendants(void **state)
{
	/* 10 is the root; 11, 12 its children; 13 under 11, 14 under 13; 20, 21 elsewhere. */
	const struct proc_parent all[] = {
	    {14, 13}, {20, 1}, {11, 10}, {13, 11}, {12, 10}, {21, 20}, {10, 1},
	};
	const struct proc_parent loop[] = {{5, 6}, {6, 5}, {7, 1}};
	int out[7], found[32] = {0};
	size_t n, i;

	(void)state;
	n = command__descendants(all, 7, 10, out);
	check_eq(n, 4);
	for (i = 0; i < n; i++)
		found[out[i]]++;
	check_eq(found[11] + found[12] + found[13] + found[14], 4);
	check_eq(found[10] + found[20] + found[21], 0);
	/* Breadth first: a parent comes before its children. */
	check_eq(out[0] == 11 || out[0] == 12, 1);
	check_eq(out[3], 14);
	check_eq(command__descendants(all, 7, 99, out), 0);
	/* A cycle not through the root (a racy /proc snapshot) is never reached. */
	check_eq(command__descendants(loop, 3, 1, out), 1);
	check_eq(out[0], 7);
}

static void test_find_user(void **state)
{
	struct command_user u;

	(void)state;
	check_eq(command__find_user("root", &u), 0);
	check_eq(u.uid, 0);
	check_eq(u.gid, 0);
	check_eq(u.nr_groups >= 1, 1);
	assert_string_equal(u.name, "root");
	assert_non_null(u.home);
	command__user_free(&u);
	check_eq(command__find_user("0", &u), 0);
	check_eq(u.uid, 0);
	assert_string_equal(u.name, "root");
	command__user_free(&u);
	check_eq(command__find_user("memleakd-no-such-user", &u), -ENOENT);
	check_eq(command__find_user("4000000000", &u), -ENOENT); /* digits: a uid, none has it */
	command__user_free(&u);
	command__user_free(&u); /* a freed (zeroed) one again */
}

/* --user: the command runs with the user's uid and gid (needs root to switch). */
static void test_run_as_user(void **state)
{
	char *const as_nobody[] = {
	    "sh", "-c",
	    "[ \"$(id -u)\" = \"$(id -u nobody)\" ] && [ \"$(id -g)\" = \"$(id -g nobody)\" ] && "
	    "[ \"$USER\" = nobody ] && [ \"$LOGNAME\" = nobody ] && "
	    "[ \"$HOME\" = \"$(getent passwd nobody | cut -d: -f6)\" ]",
	    NULL};
	struct command_user nobody;
	struct command *c;
	sigset_t none;
	char err[256] = "";
	int status = -1, i;

	(void)state;
	if (geteuid() != 0 || command__find_user("nobody", &nobody)) {
		skip();
		return;
	}
	sigemptyset(&none);
	check_eq(command__spawn(as_nobody, &none, &nobody, &c), 0);
	check_eq(command__release(c, err, sizeof(err)), 0);
	for (i = 0; i < 500 && !command__reap(c, &status); i++)
		usleep(10000);
	check_eq(WIFEXITED(status) && WEXITSTATUS(status) == 0, 1);
	command__free(c);
	command__user_free(&nobody);
}

static bool alive(int pid)
{
	char path[64], line[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, ") Z ") == NULL && line[0];
}

static int read_pids(const char *path, int *pids, int max)
{
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && n < max && fscanf(f, "%d", &pids[n]) == 1)
		n++;
	if (f)
		fclose(f);
	return n;
}

/*
 * At exit every process left is ended: the command, its child, an orphan
 * adopted by the subreaper, one ignoring SIGTERM (killed after the grace),
 * one stopped (SIGCONT lets SIGTERM act).
 */
static void test_end_tree(void **state)
{
	char pids_path[] = "/tmp/memleakd-test-tree.XXXXXX";
	char script[512];
	char *const argv[] = {"sh", "-c", script, NULL};
	struct command *c;
	size_t nr, nr_killed;
	sigset_t none;
	char err[256] = "";
	int pids[8], n = 0, i, fd, status;

	(void)state;
	fd = mkstemp(pids_path);
	check_eq(fd >= 0, 1);
	close(fd);
	snprintf(script, sizeof(script),
		 "sleep 61 & echo $! >>%s; "
		 "sh -c 'sleep 62 & echo $! >>%s'; "
		 "sh -c 'trap \"\" TERM; echo $$ >>%s; exec sleep 63' & "
		 "sleep 64 & kill -STOP $!; echo $! >>%s; "
		 "echo $$ >>%s; wait",
		 pids_path, pids_path, pids_path, pids_path, pids_path);
	sigemptyset(&none);
	check_eq(command__spawn(argv, &none, NULL, &c), 0);
	check_eq(command__release(c, err, sizeof(err)), 0);
	for (i = 0; i < 500 && n < 5; i++) {
		usleep(10000);
		n = read_pids(pids_path, pids, 8);
	}
	check_eq(n, 5);
	nr = command__end_tree(c, 300, &nr_killed);
	/* sh and its four sleeps; the one ignoring TERM (its pid written once it does) needs
	 * SIGKILL. */
	check_eq(nr, 5);
	check_eq(nr_killed, 1);
	for (i = 0; i < n; i++)
		if (alive(pids[i]))
			fail_msg("pid %d still alive after command__end_tree", pids[i]);
	check_eq(command__reap(c, &status), 1);
	check_eq(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, 1);
	/* Everything reaped: no zombie left with us. */
	check_eq(waitpid(-1, &status, WNOHANG), -1);
	command__free(c);
	unlink(pids_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_command_status), cmocka_unit_test(test_command_never_released),
	    cmocka_unit_test(test_parse_stat),	   cmocka_unit_test(test_descendants),
	    cmocka_unit_test(test_find_user),	   cmocka_unit_test(test_run_as_user),
	    cmocka_unit_test(test_end_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
