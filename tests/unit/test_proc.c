// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc helpers (src/proc.c) on processes the test makes itself: this one,
 * a zombie child, a reaped one.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks.h"
#include "proc.h"

/* A child that exits at once and is left unreaped: a zombie. */
static pid_t make_zombie(void)
{
	siginfo_t info;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	/* Wait for it to exit without reaping it. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	return pid;
}

static void test_comm(void **state)
{
	char comm[17], want[17] = "";

	(void)state;
	prctl(PR_GET_NAME, want);
	proc__read_comm(getpid(), comm, sizeof(comm));
	assert_string_equal(comm, want);
	/* Cut to the buffer, never past it. */
	proc__read_comm(getpid(), comm, 4);
	assert_int_equal(strlen(comm), 3);
	assert_memory_equal(comm, want, 3);
	proc__read_comm(-1, comm, sizeof(comm));
	assert_string_equal(comm, "?");
}

static void test_alive_and_maps(void **state)
{
	pid_t zombie = make_zombie();

	(void)state;
	assert_true(proc__alive(getpid()));
	assert_true(proc__maps_anything(getpid()));
	/* A zombie is not alive, and its maps read empty (as a kernel thread's do). */
	assert_false(proc__alive(zombie));
	assert_false(proc__maps_anything(zombie));
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);
	assert_false(proc__alive(zombie));
	assert_false(proc__alive(-1));
}

/* The state letter after comm, whatever comm holds; stopped and gone as attach needs them. */
static void test_state_stopped_gone(void **state)
{
	pid_t child, zombie;
	int pidfd;

	(void)state;
	assert_int_equal(proc__stat_state("42 (leaker) S 1 2 3"), 'S');
	assert_int_equal(proc__stat_state("42 (a) T (b)) t 1"), 't'); /* the last ')' ends comm */
	assert_int_equal(proc__stat_state("42 (x) "), '\0');
	assert_int_equal(proc__stat_state("42 (x)"), '\0');
	assert_int_equal(proc__stat_state("garbage"), '\0');
	assert_false(proc__stopped(getpid()));
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	pidfd = proc__open_pidfd(child);
	assert_true(pidfd >= 0);
	assert_false(proc__gone(child, pidfd));
	assert_false(proc__gone(child, -1));
	kill(child, SIGSTOP);
	assert_int_equal(waitpid(child, NULL, WUNTRACED), child);
	assert_true(proc__stopped(child));
	assert_true(proc__alive(child)); /* stopped is alive */
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_true(proc__gone(child, pidfd));
	assert_true(proc__gone(child, -1));
	assert_false(proc__stopped(child));
	close(pidfd);
	zombie = make_zombie();
	assert_true(proc__gone(zombie, -1));
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);
}

static void test_pidfd(void **state)
{
	pid_t zombie;
	int fd;

	(void)state;
	fd = proc__open_pidfd(getpid());
	assert_true(fd >= 0 || fd == PROC_NO_PIDFD);
	if (fd >= 0)
		close(fd);
	zombie = make_zombie();
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);
	/* Reaped: no such process (unless the PID was reused in between, which a test cannot rule
	 * out). */
	fd = proc__open_pidfd(zombie);
	if (fd >= 0)
		close(fd);
	else
		check_eq(fd, -ESRCH);
	check_eq(proc__open_pidfd(0), -EINVAL);
}

struct pid_search {
	int want;
	int seen_want;
	int seen_self;
	int calls;
};

static int note_pid(void *ctx, int pid)
{
	struct pid_search *s = ctx;

	s->calls++;
	s->seen_want |= pid == s->want;
	s->seen_self |= pid == getpid();
	return 0;
}

static int stop_at_first(void *ctx, int pid)
{
	(void)pid;
	++*(int *)ctx;
	return 42;
}

static void test_for_each_pid(void **state)
{
	struct pid_search search = {.want = (int)getppid()};
	int calls = 0;

	(void)state;
	assert_int_equal(proc__for_each_pid(note_pid, &search), 0);
	assert_true(search.seen_want);	/* the parent is listed */
	assert_false(search.seen_self); /* memleakd never lists itself */
	assert_true(search.calls > 1);
	/* A non-zero return stops the walk and is passed on. */
	assert_int_equal(proc__for_each_pid(stop_at_first, &calls), 42);
	assert_int_equal(calls, 1);
}

static void test_read_proc_file_bounds(void **state)
{
	char *text;
	size_t len;

	(void)state;
	check_eq(read_proc_file("/proc/self/no-such-file", &text, &len), -ENOENT);
	assert_int_equal(read_proc_file("/proc/self/status", &text, &len), 0);
	assert_int_equal(strlen(text), len); /* NUL-terminated, no embedded NUL */
	assert_non_null(strstr(text, "Pid:"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_comm),	 cmocka_unit_test(test_alive_and_maps),
	    cmocka_unit_test(test_pidfd),	 cmocka_unit_test(test_state_stopped_gone),
	    cmocka_unit_test(test_for_each_pid), cmocka_unit_test(test_read_proc_file_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
