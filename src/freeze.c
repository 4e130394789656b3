// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stopping every thread of a process with PTRACE_SEIZE + PTRACE_INTERRUPT.
 *
 * Options 0 (no PTRACE_O_EXITKILL, no auto-attach of clones): if memleakd
 * dies, the kernel detaches and the threads run on; new threads are found
 * by rescanning /proc/PID/task once every known thread has stopped.
 *
 * Waiting: waitpid(tid, __WALL | WNOHANG) per thread, never waitpid(-1)
 * (memleakd waits for its own children elsewhere). A thread group leader
 * that exits is only peeked at (waitid WNOWAIT) when memleakd is its real
 * parent, so the command's exit status stays for the code that reaps it.
 *
 * A signal that arrives while a thread is being stopped may make it report
 * a signal-delivery-stop instead of the interrupt's PTRACE_EVENT_STOP: that
 * signal was already dequeued, so it is remembered (pending_sig) and handed
 * back with PTRACE_DETACH, which delivers it.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <elf.h>

#include "array.h"
#include "freeze.h"
#include "proc.h"

/* Index of the stack pointer in the NT_PRSTATUS register set, as 64-bit words. */
#if defined(__x86_64__)
#define FREEZE_SP_INDEX (offsetof(struct user_regs_struct, rsp) / sizeof(uint64_t))
#elif defined(__aarch64__)
#define FREEZE_SP_INDEX (offsetof(struct user_regs_struct, sp) / sizeof(uint64_t))
#else
#error "freeze.c: add this architecture's stack pointer index in NT_PRSTATUS"
#endif

/* Longest sleep between two polls of the threads that have not stopped yet. */
#define POLL_MAX_SLEEP_NS 2000000ull
#define POLL_MIN_SLEEP_NS 20000ull
/* How long a failed freeze waits at most for threads it just seized to stop, to detach them. */
#define RELEASE_GRACE_NS  100000000ull

struct tracee {
	int tid;
	bool stopped;
	int pending_sig;
};

struct freezer {
	int pid;
	int timeout_ms;
	uint64_t deadline_ns;
	bool we_are_parent; /* of pid: its exit status is not ours to reap */
	struct tracee *tracees;
	size_t nr, cap;
	char *why;
	size_t why_len;
};

/* Threads seized by a freeze that timed out: let go once they stop. */
struct straggler {
	int pid;
	int tid;
	bool we_are_parent;
};

static struct straggler *stragglers;
static size_t nr_stragglers, cap_stragglers;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull),
			      .tv_nsec = (long)(ns % 1000000000ull)};

	nanosleep(&ts, NULL);
}

/* The state letter of one thread ('R', 'S', 'D', 'T', 't', 'Z', ...), '\0' when gone. */
static char thread_state(int pid, int tid)
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

static bool thread_gone(int pid, int tid)
{
	char state = thread_state(pid, tid);

	return state == '\0' || state == 'Z' || state == 'X' || state == 'x';
}

/* A numeric "Key:\tN" field of /proc/PID[/task/TID]/status or stat's ppid; -1 when unreadable. */
static long status_field(const char *path, const char *key)
{
	size_t len, key_len = strlen(key);
	char *text, *line;
	long value = -1;

	if (read_proc_file(path, &text, &len))
		return -1;
	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, key, key_len) == 0 && line[key_len] == ':') {
			value = strtol(line + key_len + 1, NULL, 10);
			break;
		}
	}
	free(text);
	return value;
}

static long tracer_of(int pid, int tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	return status_field(path, "TracerPid");
}

/* kernel.yama.ptrace_scope, -1 when yama is not there. */
static int yama_ptrace_scope(void)
{
	char *text;
	size_t len;
	int scope;

	if (read_proc_file("/proc/sys/kernel/yama/ptrace_scope", &text, &len))
		return -1;
	scope = atoi(text);
	free(text);
	return scope;
}

static bool is_parent_of(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return status_field(path, "PPid") == (long)getpid();
}

static void explain_eperm(const struct freezer *f, int tid)
{
	long tracer = tracer_of(f->pid, tid);
	int scope = yama_ptrace_scope();
	char comm[32];

	if (tracer > 0 && tracer != (long)getpid()) {
		proc__read_comm((int)tracer, comm, sizeof(comm));
		snprintf(f->why, f->why_len,
			 "pid %d is traced by another process (pid %ld \"%s\": gdb, strace?): "
			 "cannot scan it until that tracer detaches",
			 f->pid, tracer, comm);
	} else if (tracer > 0) {
		snprintf(f->why, f->why_len,
			 "thread %d of pid %d is still held by an earlier scan of memleakd "
			 "(a thread that did not stop in time): retry later",
			 tid, f->pid);
	} else if (scope == 3) {
		snprintf(f->why, f->why_len,
			 "ptrace is disabled on this system (kernel.yama.ptrace_scope = 3 in "
			 "/proc/sys/kernel/yama/ptrace_scope; only a reboot lowers it): cannot "
			 "scan pid %d",
			 f->pid);
	} else if (scope > 0) {
		snprintf(f->why, f->why_len,
			 "not permitted to ptrace pid %d (kernel.yama.ptrace_scope = %d): run "
			 "memleakd as root or with CAP_SYS_PTRACE",
			 f->pid, scope);
	} else {
		snprintf(f->why, f->why_len,
			 "not permitted to ptrace pid %d: run memleakd as root or with "
			 "CAP_SYS_PTRACE",
			 f->pid);
	}
}

static void explain_timeout(const struct freezer *f, int tid)
{
	char state = thread_state(f->pid, tid);

	snprintf(f->why, f->why_len,
		 "thread %d of pid %d did not stop within %d ms (state %c%s): retry the scan "
		 "later or give it more time",
		 tid, f->pid, f->timeout_ms, state ? state : '?',
		 state == 'D' ? ": uninterruptible sleep, e.g. disk or NFS I/O, vfork" : "");
}

/*
 * Collects an exit, unless tid is a leader whose real parent we are (the
 * exit status belongs to whoever waits for the command).
 */
static void reap_exited(int pid, int tid, bool we_are_parent)
{
	if (tid == pid && we_are_parent)
		return;
	while (waitpid(tid, NULL, __WALL | WNOHANG) < 0 && errno == EINTR)
		;
}

enum poll_result { POLL_RUNNING, POLL_STOPPED, POLL_GONE };

/*
 * Whether a seized thread has stopped, without blocking. A stop is
 * consumed; a signal-delivery-stop's signal goes to *pending_sig.
 */
static enum poll_result poll_thread(int pid, int tid, bool we_are_parent, int *pending_sig)
{
	siginfo_t info;
	int status, event;
	pid_t got;

	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)tid, &info, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0)
		return errno == EINTR ? POLL_RUNNING : POLL_GONE; /* ECHILD: not ours any more */
	if (info.si_pid == 0)
		return POLL_RUNNING;
	if (info.si_code == CLD_EXITED || info.si_code == CLD_KILLED ||
	    info.si_code == CLD_DUMPED) {
		reap_exited(pid, tid, we_are_parent);
		return POLL_GONE;
	}
	got = waitpid(tid, &status, __WALL | WNOHANG);
	if (got <= 0)
		return got < 0 && errno != EINTR ? POLL_GONE : POLL_RUNNING;
	if (!WIFSTOPPED(status))
		return WIFEXITED(status) || WIFSIGNALED(status) ? POLL_GONE : POLL_RUNNING;
	event = status >> 16;
	/* PTRACE_EVENT_STOP: our interrupt, or a group-stop (SIGSTOP, SIGTSTP...). */
	if (event == 0)
		*pending_sig = WSTOPSIG(status);
	return POLL_STOPPED;
}

static void detach_thread(int pid, int tid, int sig, bool we_are_parent)
{
	if (ptrace(PTRACE_DETACH, tid, NULL, (void *)(uintptr_t)sig) == 0)
		return;
	/* ESRCH: killed meanwhile (SIGKILL takes a thread out of its stop). */
	reap_exited(pid, tid, we_are_parent);
}

static void remember_straggler(int pid, int tid, bool we_are_parent)
{
	if (ARRAY_RESERVE(stragglers, cap_stragglers, nr_stragglers + 1, 8))
		return; /* it will be let go when memleakd exits */
	stragglers[nr_stragglers++] =
	    (struct straggler){.pid = pid, .tid = tid, .we_are_parent = we_are_parent};
}

size_t freeze__release_stragglers(void)
{
	size_t i = 0;

	while (i < nr_stragglers) {
		struct straggler *s = &stragglers[i];
		int sig = 0;

		switch (poll_thread(s->pid, s->tid, s->we_are_parent, &sig)) {
		case POLL_RUNNING:
			i++;
			continue;
		case POLL_STOPPED:
			detach_thread(s->pid, s->tid, sig, s->we_are_parent);
			break;
		case POLL_GONE:
			break;
		}
		stragglers[i] = stragglers[--nr_stragglers];
	}
	if (!nr_stragglers) {
		free(stragglers);
		stragglers = NULL;
		cap_stragglers = 0;
	}
	return nr_stragglers;
}

/*
 * Polls every seized thread that has not stopped yet once, dropping the
 * ones that exited. The tid of one still running, or 0 when all stopped.
 */
static int poll_unstopped(struct freezer *f)
{
	int running_tid = 0;
	size_t i;

	for (i = 0; i < f->nr;) {
		struct tracee *t = &f->tracees[i];
		enum poll_result r = POLL_STOPPED;

		if (!t->stopped)
			r = poll_thread(f->pid, t->tid, f->we_are_parent, &t->pending_sig);
		if (r == POLL_GONE) {
			f->tracees[i] = f->tracees[--f->nr];
			continue;
		}
		t->stopped = r == POLL_STOPPED;
		if (!t->stopped && !running_tid)
			running_tid = t->tid;
		i++;
	}
	return running_tid;
}

/*
 * Polls until every seized thread has stopped or exited, or until the
 * deadline: the tid of one still running then, or 0.
 */
static int wait_until(struct freezer *f, uint64_t deadline_ns)
{
	uint64_t nap = POLL_MIN_SLEEP_NS, now;
	int running_tid;

	for (;;) {
		running_tid = poll_unstopped(f);
		now = now_ns();
		if (!running_tid || now >= deadline_ns)
			return running_tid;
		sleep_ns(nap < deadline_ns - now ? nap : deadline_ns - now);
		nap = nap * 2 > POLL_MAX_SLEEP_NS ? POLL_MAX_SLEEP_NS : nap * 2;
	}
}

/*
 * Lets every seized thread go after a failure. A thread seized a moment
 * ago gets until the deadline (at most RELEASE_GRACE_NS) to stop, so it
 * can be detached; one still running then is left to
 * freeze__release_stragglers.
 */
static void release_all(struct freezer *f)
{
	uint64_t grace_end = now_ns() + RELEASE_GRACE_NS;
	size_t i;

	wait_until(f, grace_end < f->deadline_ns ? grace_end : f->deadline_ns);
	for (i = 0; i < f->nr; i++) {
		struct tracee *t = &f->tracees[i];

		if (t->stopped)
			detach_thread(f->pid, t->tid, t->pending_sig, f->we_are_parent);
		else
			remember_straggler(f->pid, t->tid, f->we_are_parent);
	}
	f->nr = 0;
}

static bool known_tid(const struct freezer *f, int tid)
{
	size_t i;

	for (i = 0; i < f->nr; i++)
		if (f->tracees[i].tid == tid)
			return true;
	return false;
}

/* 1 seized (and interrupted), 0 gone, or -errno with why filled. */
static int seize_thread(struct freezer *f, int tid)
{
	int err;

	if (ARRAY_RESERVE(f->tracees, f->cap, f->nr + 1, 16)) {
		snprintf(f->why, f->why_len, "out of memory for the threads of pid %d", f->pid);
		return -ENOMEM;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
		err = -errno;
		if (err == -ESRCH || (err == -EPERM && thread_gone(f->pid, tid)))
			return 0;
		if (err == -EPERM)
			explain_eperm(f, tid);
		else
			snprintf(f->why, f->why_len, "cannot ptrace thread %d of pid %d: %s", tid,
				 f->pid, strerror(-err));
		return err;
	}
	f->tracees[f->nr++] = (struct tracee){.tid = tid};
	/* ESRCH here: it exited already, the wait sees it. */
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	return 1;
}

static int parse_tid(const char *name)
{
	char *end;
	long tid;

	errno = 0;
	tid = strtol(name, &end, 10);
	if (errno || *end || end == name || tid <= 0 || tid > INT32_MAX)
		return 0;
	return (int)tid;
}

/* Seizes every thread of /proc/PID/task not seized yet; *added counts them. 0 or -errno. */
static int seize_new_threads(struct freezer *f, size_t *added)
{
	char path[64];
	struct dirent *de;
	DIR *dir;
	int tid, ret = 0;

	*added = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", f->pid);
	dir = opendir(path);
	if (!dir) {
		ret = errno == ENOENT ? -ESRCH : -errno;
		snprintf(f->why, f->why_len, "cannot list the threads of pid %d: %s", f->pid,
			 ret == -ESRCH ? "no such process" : strerror(-ret));
		return ret;
	}
	while ((de = readdir(dir))) {
		tid = parse_tid(de->d_name);
		if (!tid || known_tid(f, tid))
			continue;
		ret = seize_thread(f, tid);
		if (ret < 0)
			break;
		*added += (size_t)ret;
		ret = 0;
	}
	closedir(dir);
	return ret;
}

/* Waits until every seized thread has stopped (dropping the ones that exit). 0 or -ETIMEDOUT. */
static int wait_all_stopped(struct freezer *f)
{
	int running_tid = wait_until(f, f->deadline_ns);

	if (!running_tid)
		return 0;
	explain_timeout(f, running_tid);
	return -ETIMEDOUT;
}

/* Seizes and stops threads until a pass over /proc/PID/task finds no new one. */
static int stop_every_thread(struct freezer *f)
{
	size_t added;
	int err;

	do {
		err = seize_new_threads(f, &added);
		if (err)
			return err;
		err = wait_all_stopped(f);
		if (err)
			return err;
		if (added && now_ns() >= f->deadline_ns) {
			snprintf(f->why, f->why_len,
				 "pid %d kept creating threads for %d ms: could not stop them all",
				 f->pid, f->timeout_ms);
			return -ETIMEDOUT;
		}
	} while (added);
	if (!f->nr) {
		snprintf(f->why, f->why_len, "pid %d is gone (it has no live thread)", f->pid);
		return -ESRCH;
	}
	return 0;
}

/* 0, 1 when the thread is gone, or -errno. */
static int read_registers(struct freezer *f, struct frozen_thread *ft)
{
	struct iovec iov = {.iov_base = ft->regs, .iov_len = sizeof(ft->regs)};
	int err;

	if (ptrace(PTRACE_GETREGSET, ft->tid, (void *)(uintptr_t)NT_PRSTATUS, &iov) < 0) {
		err = -errno;
		if (err == -ESRCH)
			return 1;
		snprintf(f->why, f->why_len, "cannot read the registers of thread %d of pid %d: %s",
			 ft->tid, f->pid, strerror(-err));
		return err;
	}
	ft->nr_regs = iov.iov_len / sizeof(uint64_t);
	if (ft->nr_regs <= FREEZE_SP_INDEX) {
		snprintf(f->why, f->why_len,
			 "thread %d of pid %d: the kernel gave %zu register bytes, too few to "
			 "hold the stack pointer",
			 ft->tid, f->pid, iov.iov_len);
		return -EIO;
	}
	ft->sp = ft->regs[FREEZE_SP_INDEX];
	return 0;
}

/* Builds *out from the stopped threads; the threads stay attached. 0 or -errno. */
static int collect_threads(struct freezer *f, struct frozen **out)
{
	struct frozen *fr;
	size_t i;
	int ret;

	fr = calloc(1, sizeof(*fr));
	if (fr)
		fr->threads = calloc(f->nr, sizeof(*fr->threads));
	if (!fr || !fr->threads) {
		free(fr);
		snprintf(f->why, f->why_len, "out of memory for the threads of pid %d", f->pid);
		return -ENOMEM;
	}
	fr->pid = f->pid;
	fr->frozen_at_ns = now_ns(); /* every thread is stopped by now */
	for (i = 0; i < f->nr; i++) {
		struct frozen_thread *ft = &fr->threads[fr->nr_threads];

		ft->tid = f->tracees[i].tid;
		ft->pending_sig = f->tracees[i].pending_sig;
		ret = read_registers(f, ft);
		if (ret < 0) {
			free(fr->threads);
			free(fr);
			return ret;
		}
		if (ret == 0)
			fr->nr_threads++;
	}
	if (!fr->nr_threads) {
		free(fr->threads);
		free(fr);
		snprintf(f->why, f->why_len, "pid %d is gone (it has no live thread)", f->pid);
		return -ESRCH;
	}
	*out = fr;
	return 0;
}

int freeze__process(int pid, int timeout_ms, struct frozen **out, char *why, size_t why_len)
{
	struct freezer f = {.pid = pid, .timeout_ms = timeout_ms, .why = why, .why_len = why_len};
	char dummy[1];
	int err;

	if (!why || !why_len) {
		why = dummy;
		why_len = sizeof(dummy);
		f.why = why;
		f.why_len = why_len;
	}
	why[0] = '\0';
	freeze__release_stragglers();
	if (pid <= 0 || timeout_ms < 0) {
		snprintf(why, why_len, "no process to freeze (pid %d, timeout %d ms)", pid,
			 timeout_ms);
		return pid <= 0 ? -ESRCH : -EINVAL;
	}
	f.deadline_ns = now_ns() + (uint64_t)timeout_ms * 1000000ull;
	f.we_are_parent = is_parent_of(pid);
	err = stop_every_thread(&f);
	if (!err)
		err = collect_threads(&f, out);
	if (err)
		release_all(&f);
	free(f.tracees);
	return err;
}

void freeze__thaw(struct frozen *f)
{
	bool we_are_parent;
	size_t i;

	if (!f)
		return;
	we_are_parent = is_parent_of(f->pid);
	for (i = 0; i < f->nr_threads; i++)
		detach_thread(f->pid, f->threads[i].tid, f->threads[i].pending_sig, we_are_parent);
	free(f->threads);
	free(f);
	freeze__release_stragglers();
}
