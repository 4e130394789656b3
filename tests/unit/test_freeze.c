// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stopping every thread of a process (src/freeze.h), on children of this
 * test (ptrace of one's own child needs no privilege): running, blocked,
 * self-stopped, signalled while being frozen, creating threads, traced by
 * someone else, gone, and stuck in an uninterruptible wait (a vfork).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "freeze.h"
#include "proc.h"
#include "procmaps.h"

#define NR_SPINNERS 4
#define MAX_TIDS    4096

/* What a child and this test share (MAP_SHARED): counters the child advances. */
struct shared {
	uint64_t spins[NR_SPINNERS];
	int ready; /* threads that reached their loop or blocking call */
	int stop;
	uint64_t sigusr1_handled;
	uint64_t sigusr1_sent;
	int read_done;
	long read_ret;
	int read_errno;
	char read_buf[16];
	int grandchild;
	int vfork_returned;
	uint64_t threads_created;
	int live_threads;
	int pipe_fds[2];
};

static struct shared *sh;

/* Children a test started, killed by teardown when a failed check skipped the test's own cleanup.
 */
static pid_t children[4];
static size_t nr_children;

static void track_child(pid_t pid)
{
	if (nr_children < sizeof(children) / sizeof(children[0]))
		children[nr_children++] = pid;
}

static uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static int load32(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Polls cond for up to ms milliseconds. */
#define WAIT_UNTIL(cond, ms)                                                                       \
	({                                                                                         \
		uint64_t until_ = mono_ms() + (ms);                                                \
		bool ok_;                                                                          \
		while (!(ok_ = (cond)) && mono_ms() < until_)                                      \
			sleep_ms(2);                                                               \
		ok_;                                                                               \
	})

static int setup(void **state)
{
	(void)state;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	return 0;
}

static void kill_child(pid_t pid);

static int teardown(void **state)
{
	(void)state;
	while (nr_children)
		kill_child(children[nr_children - 1]);
	munmap(sh, sizeof(*sh));
	return 0;
}

static pid_t start_child(void (*body)(void))
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		body();
		_exit(0);
	}
	track_child(pid);
	return pid;
}

static void untrack_child(pid_t pid)
{
	for (size_t i = 0; i < nr_children; i++)
		if (children[i] == pid)
			children[i--] = children[--nr_children];
}

static void kill_child(pid_t pid)
{
	untrack_child(pid);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static char task_state(pid_t pid, int tid)
{
	char path[64], *text;
	size_t len;
	char state;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (read_proc_file(path, &text, &len))
		return '\0';
	state = proc__stat_state(text);
	free(text);
	return state;
}

static long task_tracer(pid_t pid, int tid)
{
	char path[64], *text, *at;
	size_t len;
	long tracer = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	if (read_proc_file(path, &text, &len))
		return -1;
	at = strstr(text, "TracerPid:");
	if (at)
		tracer = strtol(at + strlen("TracerPid:"), NULL, 10);
	free(text);
	return tracer;
}

static size_t list_tids(pid_t pid, int *tids, size_t cap)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < cap)
		if (de->d_name[0] != '.')
			tids[n++] = atoi(de->d_name);
	closedir(dir);
	return n;
}

static bool frozen_has(const struct frozen *f, int tid)
{
	for (size_t i = 0; i < f->nr_threads; i++)
		if (f->threads[i].tid == tid)
			return true;
	return false;
}

/* Every thread of pid is one of f's and in a tracing stop, and f holds no other. */
static void check_all_frozen(pid_t pid, const struct frozen *f)
{
	static int tids[MAX_TIDS];
	size_t n = list_tids(pid, tids, MAX_TIDS);

	check_eq(f->nr_threads, n);
	for (size_t i = 0; i < n; i++) {
		if (!frozen_has(f, tids[i]))
			fail_msg("thread %d of pid %d was not frozen", tids[i], pid);
		if (task_state(pid, tids[i]) != 't')
			fail_msg("thread %d of pid %d is in state '%c', want 't'", tids[i], pid,
				 task_state(pid, tids[i]));
	}
}

static void check_none_traced(pid_t pid)
{
	static int tids[MAX_TIDS];
	size_t n = list_tids(pid, tids, MAX_TIDS);

	for (size_t i = 0; i < n; i++)
		if (task_tracer(pid, tids[i]) > 0)
			fail_msg("thread %d of pid %d is still traced by %ld", tids[i], pid,
				 task_tracer(pid, tids[i]));
}

static bool spinners_all_advance(void)
{
	uint64_t before[NR_SPINNERS];
	bool all = true;

	for (int i = 0; i < NR_SPINNERS; i++)
		before[i] = load64(&sh->spins[i]);
	sleep_ms(20);
	for (int i = 0; i < NR_SPINNERS; i++)
		all = all && load64(&sh->spins[i]) != before[i];
	return all;
}

static bool spinners_still(int ms)
{
	uint64_t before[NR_SPINNERS];
	bool still = true;

	for (int i = 0; i < NR_SPINNERS; i++)
		before[i] = load64(&sh->spins[i]);
	sleep_ms(ms);
	for (int i = 0; i < NR_SPINNERS; i++)
		still = still && load64(&sh->spins[i]) == before[i];
	return still;
}

/* --- child bodies ----------------------------------------------------------- */

static void *spin_thread(void *arg)
{
	uint64_t *counter = arg;

	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!load32(&sh->stop))
		__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *read_thread(void *arg)
{
	char c;

	(void)arg;
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		if (read(sh->pipe_fds[0], &c, 1) < 0 && errno != EINTR)
			return NULL;
}

static void *sleep_thread(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		sleep_ms(100000);
	return NULL;
}

static void start_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	if (pthread_create(&t, NULL, fn, arg))
		_exit(3);
	pthread_detach(t);
}

static void start_spinners(void)
{
	for (int i = 0; i < NR_SPINNERS; i++)
		start_thread(spin_thread, &sh->spins[i]);
}

/* Main thread in pause(), 4 threads spinning, 2 blocked in read, 2 in nanosleep. */
static void nine_threads_body(void)
{
	if (pipe(sh->pipe_fds))
		_exit(3);
	start_spinners();
	for (int i = 0; i < 2; i++) {
		start_thread(read_thread, NULL);
		start_thread(sleep_thread, NULL);
	}
	for (;;)
		pause();
}

/* --- tests ------------------------------------------------------------------ */

#if defined(__x86_64__)
#define PC_INDEX     (offsetof(struct user_regs_struct, rip) / 8)
#define WANT_NR_REGS (sizeof(struct user_regs_struct) / 8)
#elif defined(__aarch64__)
#define PC_INDEX     (offsetof(struct user_regs_struct, pc) / 8)
#define WANT_NR_REGS (sizeof(struct user_regs_struct) / 8)
#endif

static void check_registers(pid_t pid, const struct frozen *f)
{
	struct procmaps *pm;
	const struct mapping *m;

	check_eq(procmaps__read(pid, &pm), 0);
	for (size_t i = 0; i < f->nr_threads; i++) {
		const struct frozen_thread *t = &f->threads[i];

		check_eq(t->nr_regs, WANT_NR_REGS);
		check_eq(t->pending_sig, 0);
		m = procmaps__find(pm, t->sp);
		if (!m || !m->writable || m->exec || mapping__is_file(m))
			fail_msg("thread %d: sp %#llx is not in a stack mapping", t->tid,
				 (unsigned long long)t->sp);
		m = procmaps__find(pm, t->regs[PC_INDEX]);
		if (!m || !m->exec)
			fail_msg("thread %d: pc %#llx is not in an executable mapping", t->tid,
				 (unsigned long long)t->regs[PC_INDEX]);
	}
	procmaps__free(pm);
}

static void test_freezes_running_and_blocked_threads(void **state)
{
	struct frozen *f = NULL;
	char why[256];
	uint64_t before;
	pid_t pid;

	(void)state;
	pid = start_child(nine_threads_body);
	assert_true(WAIT_UNTIL(load32(&sh->ready) == 8 && spinners_all_advance(), 5000));
	sleep_ms(20); /* the blocked ones reach read/nanosleep */

	before = mono_ms();
	check_eq(freeze__process(pid, 5000, &f, why, sizeof(why)), 0);
	assert_non_null(f);
	check_eq(f->pid, pid);
	check_eq(f->nr_threads, 9);
	assert_true(f->frozen_at_ns / 1000000u >= before &&
		    f->frozen_at_ns / 1000000u <= mono_ms());
	check_all_frozen(pid, f);
	check_registers(pid, f);
	assert_true(spinners_still(50));

	freeze__thaw(f);
	assert_true(WAIT_UNTIL(spinners_all_advance(), 3000));
	check_none_traced(pid);
	kill_child(pid);
}

static void self_stopping_body(void)
{
	start_spinners();
	while (load32(&sh->ready) < NR_SPINNERS)
		sched_yield();
	raise(SIGSTOP); /* as memleakd's exit hold does */
	for (;;)
		pause();
}

static bool all_threads_in_state(pid_t pid, char want)
{
	static int tids[MAX_TIDS];
	size_t n = list_tids(pid, tids, MAX_TIDS);

	for (size_t i = 0; i < n; i++)
		if (task_state(pid, tids[i]) != want)
			return false;
	return n > 0;
}

static void test_stopped_process_stays_stopped(void **state)
{
	struct frozen *f = NULL;
	char why[256];
	int status;
	pid_t pid;

	(void)state;
	pid = start_child(self_stopping_body);
	check_eq(waitpid(pid, &status, WUNTRACED), pid);
	assert_true(WIFSTOPPED(status));
	assert_true(WAIT_UNTIL(all_threads_in_state(pid, 'T'), 3000));

	check_eq(freeze__process(pid, 5000, &f, why, sizeof(why)), 0);
	check_eq(f->nr_threads, NR_SPINNERS + 1);
	check_all_frozen(pid, f);
	freeze__thaw(f);

	/* Still stopped: memleakd's SIGCONT, not the thaw, lets it go. */
	assert_true(WAIT_UNTIL(all_threads_in_state(pid, 'T'), 3000));
	check_none_traced(pid);
	assert_true(spinners_still(100));
	assert_true(all_threads_in_state(pid, 'T'));

	kill(pid, SIGCONT);
	assert_true(WAIT_UNTIL(spinners_all_advance(), 3000));
	kill_child(pid);
}

static void on_sigusr1(int sig)
{
	(void)sig;
	__atomic_add_fetch(&sh->sigusr1_handled, 1, __ATOMIC_SEQ_CST);
}

static void *self_signal_thread(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!load32(&sh->stop)) {
		__atomic_add_fetch(&sh->sigusr1_sent, 1, __ATOMIC_SEQ_CST);
		syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR1);
	}
	return NULL;
}

static void install_sigusr1(void)
{
	struct sigaction sa = {.sa_handler = on_sigusr1};

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &sa, NULL))
		_exit(3);
}

static void counting_body(void)
{
	install_sigusr1();
	start_spinners();
	for (;;)
		pause();
}

/* kill() while every thread is stopped: the signal is handled after the thaw. */
static void test_signal_sent_while_frozen_is_delivered(void **state)
{
	struct frozen *f = NULL;
	char why[256];
	pid_t pid;

	(void)state;
	pid = start_child(counting_body);
	assert_true(WAIT_UNTIL(load32(&sh->ready) == NR_SPINNERS, 5000));

	check_eq(freeze__process(pid, 5000, &f, why, sizeof(why)), 0);
	check_eq(kill(pid, SIGUSR1), 0);
	sleep_ms(50);
	check_u64(load64(&sh->sigusr1_handled), 0);
	freeze__thaw(f);
	assert_true(WAIT_UNTIL(load64(&sh->sigusr1_handled) == 1, 3000));
	kill_child(pid);
}

static void self_signalling_body(void)
{
	install_sigusr1();
	start_thread(self_signal_thread, NULL);
	start_thread(self_signal_thread, NULL);
	for (;;)
		pause();
}

/*
 * Threads that signal themselves without pause are often caught in a
 * signal-delivery-stop: that signal, already taken off the queue, must
 * still be handled after the thaw (every one sent is handled once).
 */
static void test_signal_caught_while_freezing_is_not_lost(void **state)
{
	uint64_t until;
	int freezes = 0, caught = 0;
	char why[256];
	pid_t pid;

	(void)state;
	pid = start_child(self_signalling_body);
	assert_true(WAIT_UNTIL(load32(&sh->ready) == 2, 5000));

	until = mono_ms() + 4000;
	while ((caught < 5 || freezes < 50) && mono_ms() < until) {
		struct frozen *f = NULL;

		check_eq(freeze__process(pid, 5000, &f, why, sizeof(why)), 0);
		for (size_t i = 0; i < f->nr_threads; i++) {
			if (f->threads[i].pending_sig) {
				check_eq(f->threads[i].pending_sig, SIGUSR1);
				caught++;
			}
		}
		freeze__thaw(f);
		freezes++;
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	print_message("%d freezes, %d caught a thread taking SIGUSR1\n", freezes, caught);
	if (!WAIT_UNTIL(load64(&sh->sigusr1_handled) == load64(&sh->sigusr1_sent), 3000))
		fail_msg("%llu SIGUSR1 sent, %llu handled: a signal was lost",
			 (unsigned long long)load64(&sh->sigusr1_sent),
			 (unsigned long long)load64(&sh->sigusr1_handled));
	if (!caught)
		fail_msg("no freeze in %d caught a signal-delivery-stop: the test did not test",
			 freezes);
	kill_child(pid);
}

static void *short_lived_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		sched_yield();
	__atomic_sub_fetch(&sh->live_threads, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void thread_factory_body(void)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (;;) {
		if (load32(&sh->live_threads) >= 32) {
			sched_yield();
			continue;
		}
		__atomic_add_fetch(&sh->live_threads, 1, __ATOMIC_SEQ_CST);
		if (pthread_create(&t, &attr, short_lived_thread, NULL))
			__atomic_sub_fetch(&sh->live_threads, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&sh->threads_created, 1, __ATOMIC_SEQ_CST);
	}
}

static void test_threads_created_while_freezing_are_caught(void **state)
{
	uint64_t created;
	char why[256];
	pid_t pid;

	(void)state;
	pid = start_child(thread_factory_body);
	assert_true(WAIT_UNTIL(load64(&sh->threads_created) > 100, 5000));
	for (int round = 0; round < 20; round++) {
		struct frozen *f = NULL;

		check_eq(freeze__process(pid, 5000, &f, why, sizeof(why)), 0);
		check_all_frozen(pid, f);
		created = load64(&sh->threads_created);
		sleep_ms(5);
		check_u64(load64(&sh->threads_created), created);
		freeze__thaw(f);
		assert_true(WAIT_UNTIL(load64(&sh->threads_created) > created + 10, 3000));
	}
	kill_child(pid);
}

static void pausing_body(void)
{
	for (;;)
		pause();
}

static void test_traced_by_another_process(void **state)
{
	struct frozen *f = NULL;
	char why[256], who[32];
	pid_t target, tracer;

	(void)state;
	target = start_child(pausing_body);
	tracer = fork();
	assert_true(tracer >= 0);
	if (tracer == 0) {
		if (ptrace(PTRACE_SEIZE, target, NULL, NULL))
			_exit(3);
		for (;;)
			pause();
	}
	track_child(tracer);
	if (!WAIT_UNTIL(task_tracer(target, target) == tracer, 3000)) {
		kill_child(tracer);
		kill_child(target);
		skip(); /* not allowed to trace a sibling here (yama?) */
	}

	check_eq(freeze__process(target, 2000, &f, why, sizeof(why)), -EPERM);
	assert_null(f);
	if (!strstr(why, "is traced by another process (pid"))
		fail_msg("why: %s", why);
	snprintf(who, sizeof(who), "pid %d ", tracer);
	if (!strstr(why, who))
		fail_msg("why does not name the tracer %d: %s", tracer, why);
	check_eq(task_tracer(target, target), tracer);

	kill_child(tracer);
	assert_true(WAIT_UNTIL(task_tracer(target, target) == 0, 3000));
	check_eq(freeze__process(target, 2000, &f, why, sizeof(why)), 0);
	freeze__thaw(f);
	kill_child(target);
}

static void test_gone_process(void **state)
{
	struct frozen *f = NULL;
	char why[256] = "";
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(42);
	track_child(pid);
	/* A zombie: gone, and its exit status is still its parent's to reap. */
	assert_true(WAIT_UNTIL(task_state(pid, pid) == 'Z', 3000));
	check_eq(freeze__process(pid, 1000, &f, why, sizeof(why)), -ESRCH);
	assert_null(f);
	if (!strstr(why, "gone"))
		fail_msg("why: %s", why);
	check_eq(waitpid(pid, &status, WNOHANG), pid);
	untrack_child(pid); /* reaped */
	assert_true(WIFEXITED(status));
	check_eq(WEXITSTATUS(status), 42);

	/* Reaped: no such process at all. */
	why[0] = '\0';
	check_eq(freeze__process(pid, 1000, &f, why, sizeof(why)), -ESRCH);
	assert_null(f);
	assert_true(why[0] != '\0');
	freeze__thaw(NULL);
}

static void *reader_once_thread(void *arg)
{
	long got;

	(void)arg;
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	got = read(sh->pipe_fds[0], sh->read_buf, sizeof(sh->read_buf) - 1);
	sh->read_errno = got < 0 ? errno : 0;
	sh->read_ret = got;
	__atomic_store_n(&sh->read_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void one_reader_body(void)
{
	close(sh->pipe_fds[1]);
	start_thread(reader_once_thread, NULL);
	for (;;)
		pause();
}

/* A thread blocked in read when frozen: the read restarts and gets the data. */
static void test_blocked_read_restarts(void **state)
{
	struct frozen *f = NULL;
	char why[256];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(sh->pipe_fds), 0);
	pid = start_child(one_reader_body);
	close(sh->pipe_fds[0]);
	assert_true(WAIT_UNTIL(load32(&sh->ready) == 1, 5000));
	sleep_ms(30); /* in read() by now */

	check_eq(freeze__process(pid, 5000, &f, why, sizeof(why)), 0);
	check_eq(f->nr_threads, 2);
	check_eq(write(sh->pipe_fds[1], "hello", 5), 5);
	sleep_ms(50);
	check_eq(load32(&sh->read_done), 0); /* frozen: it did not return */
	freeze__thaw(f);

	assert_true(WAIT_UNTIL(load32(&sh->read_done), 3000));
	check_eq(sh->read_ret, 5);
	check_eq(sh->read_errno, 0);
	assert_string_equal(sh->read_buf, "hello");
	close(sh->pipe_fds[1]);
	kill_child(pid);
}

static int vfork_child(void *arg)
{
	(void)arg;
	__atomic_store_n(&sh->grandchild, getpid(), __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return 0;
}

/* A thread in a vfork waits uninterruptibly ('D') until the new child exits. */
static void vfork_body(void)
{
	size_t stack_size = 256 * 1024;
	char *stack =
	    mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (stack == MAP_FAILED)
		_exit(3);
	start_spinners();
	while (load32(&sh->ready) < NR_SPINNERS)
		sched_yield();
	if (clone(vfork_child, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL) < 0)
		_exit(3);
	__atomic_store_n(&sh->vfork_returned, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
}

static void test_thread_that_cannot_stop_times_out(void **state)
{
	struct frozen *f = NULL;
	char why[256], want[64];
	uint64_t started, took;
	pid_t pid;

	(void)state;
	pid = start_child(vfork_body);
	assert_true(WAIT_UNTIL(load32(&sh->grandchild) != 0, 5000));
	assert_true(WAIT_UNTIL(task_state(pid, pid) == 'D', 3000));

	started = mono_ms();
	check_eq(freeze__process(pid, 200, &f, why, sizeof(why)), -ETIMEDOUT);
	took = mono_ms() - started;
	assert_null(f);
	if (took > 200 + 300)
		fail_msg("freeze__process took %llu ms past a 200 ms timeout",
			 (unsigned long long)took);
	snprintf(want, sizeof(want), "thread %d of pid %d did not stop within 200 ms (state D", pid,
		 pid);
	if (!strstr(why, want))
		fail_msg("why: %s", why);

	/* The other threads were let go; the one in vfork waits to be. */
	assert_true(WAIT_UNTIL(spinners_all_advance(), 3000));
	check_eq(freeze__release_stragglers(), 1);
	check_eq(task_tracer(pid, pid), (long)getpid());

	kill(load32(&sh->grandchild), SIGKILL);
	assert_true(WAIT_UNTIL(freeze__release_stragglers() == 0, 3000));
	assert_true(WAIT_UNTIL(load32(&sh->vfork_returned), 3000));
	check_none_traced(pid);
	kill_child(pid);
}

#define FREEZE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FREEZE_TEST(test_freezes_running_and_blocked_threads),
	    FREEZE_TEST(test_stopped_process_stays_stopped),
	    FREEZE_TEST(test_signal_sent_while_frozen_is_delivered),
	    FREEZE_TEST(test_signal_caught_while_freezing_is_not_lost),
	    FREEZE_TEST(test_threads_created_while_freezing_are_caught),
	    FREEZE_TEST(test_traced_by_another_process),
	    FREEZE_TEST(test_gone_process),
	    FREEZE_TEST(test_blocked_read_restarts),
	    FREEZE_TEST(test_thread_that_cannot_stop_times_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
