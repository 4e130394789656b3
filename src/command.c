// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "proc.h"

struct command {
	pid_t pid;
	int go_fd;    /* writing one byte lets the child exec */
	int error_fd; /* the child writes a child_error here when it cannot exec; EOF on success */
	bool released;
	bool reaped;
	int wait_status; /* once reaped */
	char *const *argv;
	uid_t run_uid; /* for messages, with run_as_user */
	bool run_as_user;
};

/* What the child reports before it gives up: which step failed, and errno. */
struct child_error {
	int step;
	int err;
};

#define STEP_EXEC 0
#define STEP_USER 1 /* setgroups, setgid or setuid */
#define STEP_TREE 2 /* memleakd died while the child changed user */

static const int handled_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};

#define NR_HANDLED (sizeof(handled_signals) / sizeof(handled_signals[0]))

void command__ignored_signals(sigset_t *ignored)
{
	struct sigaction now;
	size_t i;

	sigemptyset(ignored);
	for (i = 0; i < NR_HANDLED; i++)
		if (!sigaction(handled_signals[i], NULL, &now) && now.sa_handler == SIG_IGN)
			sigaddset(ignored, handled_signals[i]);
}

/* --- --user ---------------------------------------------------------------- */

static struct passwd *lookup_passwd(const char *spec)
{
	char *end = NULL;
	unsigned long uid;

	if (*spec >= '0' && *spec <= '9') {
		errno = 0;
		uid = strtoul(spec, &end, 10);
		if (!errno && !*end && uid == (uid_t)uid)
			return getpwuid((uid_t)uid);
	}
	return getpwnam(spec);
}

/* getpwnam(3): "not found" may come with errno 0, ENOENT, ESRCH, EBADF or EPERM. */
static bool user_not_found(int err)
{
	return !err || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM;
}

int command__find_user(const char *spec, struct command_user *out)
{
	struct passwd *pw;
	int nr = 0;

	*out = (struct command_user){0};
	errno = 0;
	pw = lookup_passwd(spec);
	if (!pw)
		return user_not_found(errno) ? -ENOENT : -errno;
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	out->name = strdup(pw->pw_name);
	out->home = strdup(pw->pw_dir);
	if (!out->name || !out->home)
		return -ENOMEM;
	/* A first call tells how many groups; the second fills them. */
	getgrouplist(pw->pw_name, pw->pw_gid, NULL, &nr);
	out->groups = calloc(nr > 0 ? (size_t)nr : 1, sizeof(*out->groups));
	if (!out->groups)
		return -ENOMEM;
	if (nr <= 0 || getgrouplist(pw->pw_name, pw->pw_gid, out->groups, &nr) < 0) {
		out->groups[0] =
		    pw->pw_gid; /* the database would not say: the primary group only */
		nr = 1;
	}
	out->nr_groups = nr;
	return 0;
}

void command__user_free(struct command_user *user)
{
	free(user->groups);
	free(user->name);
	free(user->home);
	*user = (struct command_user){0};
}

/* --- the child ------------------------------------------------------------- */

static void report_and_exit(int error_fd, int step, int err)
{
	struct child_error e = {.step = step, .err = err};

	if (write(error_fd, &e, sizeof(e)) != sizeof(e))
		_exit(127);
	_exit(127);
}

/* In the child, just before exec. A credential change clears PDEATHSIG: set it again. */
static void become_user(const struct command_user *user, pid_t parent, int error_fd)
{
	if (setgroups((size_t)user->nr_groups, user->groups) || setgid(user->gid) ||
	    setuid(user->uid))
		report_and_exit(error_fd, STEP_USER, errno);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* memleakd died before the line above */
		report_and_exit(error_fd, STEP_TREE, ESRCH);
	/* The child is single-threaded: setenv (malloc) is safe here. */
	if (setenv("HOME", user->home, 1) || setenv("USER", user->name, 1) ||
	    setenv("LOGNAME", user->name, 1))
		report_and_exit(error_fd, STEP_USER, errno);
}

/* In the child: the signal handling memleakd found, then wait and exec. */
static void run_child(char *const argv[], const sigset_t *ignored, const struct command_user *user,
		      pid_t parent, int go_fd, int error_fd)
{
	sigset_t none;
	size_t i;
	char go;

	for (i = 0; i < NR_HANDLED; i++)
		signal(handled_signals[i],
		       sigismember(ignored, handled_signals[i]) ? SIG_IGN : SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* memleakd gone (killed): the command must not run on untraced, or stay stopped. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go_fd, &go, 1) != 1)
		_exit(127);
	if (user)
		become_user(user, parent, error_fd);
	execvp(argv[0], argv);
	report_and_exit(error_fd, STEP_EXEC, errno);
}

int command__spawn(char *const argv[], const sigset_t *ignored, const struct command_user *user,
		   struct command **out)
{
	struct command *c = calloc(1, sizeof(*c));
	pid_t parent = getpid();
	int go[2], error[2];

	if (!c)
		return -ENOMEM;
	/* Orphans of the command become ours, not init's: command__end_tree finds them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || pipe2(go, O_CLOEXEC)) {
		free(c);
		return -errno;
	}
	if (pipe2(error, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		free(c);
		return -errno;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		close(error[0]);
		close(error[1]);
		free(c);
		return err;
	}
	if (c->pid == 0) {
		close(go[1]);
		close(error[0]);
		run_child(argv, ignored, user, parent, go[0], error[1]);
	}
	close(go[0]);
	close(error[1]);
	c->go_fd = go[1];
	c->error_fd = error[0];
	c->argv = argv;
	c->run_as_user = user != NULL;
	c->run_uid = user ? user->uid : 0;
	*out = c;
	return 0;
}

int command__pid(const struct command *c)
{
	return c->pid;
}

static void describe_child_error(const struct command *c, const struct child_error *e, char *err,
				 size_t err_len)
{
	if (e->step == STEP_USER)
		snprintf(err, err_len, "cannot run '%s' as uid %u: %s", c->argv[0],
			 (unsigned int)c->run_uid, strerror(e->err));
	else if (e->step == STEP_TREE)
		snprintf(err, err_len, "cannot run '%s': memleakd went away", c->argv[0]);
	else
		snprintf(err, err_len, "cannot run '%s': %s; check the command name and PATH",
			 c->argv[0], strerror(e->err));
}

int command__release(struct command *c, char *err, size_t err_len)
{
	struct child_error e;
	ssize_t n;

	c->released = true;
	if (write(c->go_fd, "g", 1) != 1)
		return -errno;
	close(c->go_fd);
	c->go_fd = -1;
	/* EOF when exec closed the pipe (close-on-exec); a child_error when it failed. */
	do
		n = read(c->error_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(c->error_fd);
	c->error_fd = -1;
	if (n != sizeof(e))
		return 0;
	describe_child_error(c, &e, err, err_len);
	return e.err > 0 ? -e.err : -EINVAL;
}

int command__reap(struct command *c, int *wait_status)
{
	pid_t got;
	int status;

	/* Every child: the command, and orphans adopted as subreaper (left as zombies otherwise).
	 */
	for (;;) {
		got = waitpid(-1, &status, WNOHANG);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (got == c->pid) {
			c->reaped = true;
			c->wait_status = status;
		}
	}
	if (!c->reaped)
		return 0;
	*wait_status = c->wait_status;
	return 1;
}

const char *command__describe(int wait_status, char *buf, size_t len)
{
	if (WIFEXITED(wait_status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(wait_status));
	else if (WIFSIGNALED(wait_status))
		snprintf(buf, len, "was killed by signal %d (%s)%s", WTERMSIG(wait_status),
			 strsignal(WTERMSIG(wait_status)),
			 WCOREDUMP(wait_status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with wait status %#x", wait_status);
	return buf;
}

/* --- the command's whole tree ----------------------------------------------- */

int command__parse_stat(const char *stat, char *state, int *ppid)
{
	const char *after_comm = strrchr(stat, ')'); /* comm may hold ')' and spaces */

	if (!after_comm || sscanf(after_comm + 1, " %c %d", state, ppid) != 2 || *ppid < 0)
		return -EINVAL;
	return 0;
}

size_t command__descendants(const struct proc_parent *all, size_t nr, int root, int *out)
{
	size_t found = 0, expanded = 0, i;
	int parent = root;

	/* Each process has one parent: one visit per found process, no duplicates. */
	for (;;) {
		for (i = 0; i < nr && found < nr; i++)
			if (all[i].ppid == parent && all[i].pid != root)
				out[found++] = all[i].pid;
		if (expanded == found)
			return found;
		parent = out[expanded++];
	}
}

struct proc_table {
	struct proc_parent *list;
	size_t nr, cap;
};

/* pid's parent; -1 when pid is gone or a zombie (it runs nothing, its parent reaps it). */
static int read_ppid(int pid)
{
	char path[64], *text, state;
	size_t len;
	int ppid, err;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_proc_file(path, &text, &len))
		return -1;
	err = command__parse_stat(text, &state, &ppid);
	free(text);
	return err || state == 'Z' || state == 'X' ? -1 : ppid;
}

static int add_process(void *ctx, int pid)
{
	struct proc_table *table = ctx;
	struct proc_parent *grown;
	int ppid = read_ppid(pid);

	if (ppid < 0)
		return 0; /* gone since readdir */
	if (table->nr == table->cap) {
		table->cap = table->cap ? table->cap * 2 : 256;
		grown = realloc(table->list, table->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		table->list = grown;
	}
	table->list[table->nr++] = (struct proc_parent){pid, ppid};
	return 0;
}

/* memleakd's descendants now, into *tree (malloc'ed): their count (0 on errors). */
static size_t find_tree(int **tree)
{
	struct proc_table table = {0};
	size_t nr = 0;

	*tree = NULL;
	if (!proc__for_each_pid(add_process, &table) && table.nr) {
		*tree = malloc(table.nr * sizeof(**tree));
		if (*tree)
			nr = command__descendants(table.list, table.nr, getpid(), *tree);
	}
	free(table.list);
	return nr;
}

static bool in_tree(int pid, const int *tree, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (tree[i] == pid)
			return true;
	return false;
}

/*
 * Signals pid through a pidfd, once its parent is seen to be memleakd or one
 * of the tree: a PID reused since the scan is never signalled.
 */
static void signal_member(int pid, const int *tree, size_t nr, const int *signals,
			  size_t nr_signals)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	int ppid;
	size_t i;

	if (fd < 0)
		return; /* gone, or no pidfds (Linux < 5.3): not signalled rather than guessed */
	ppid = read_ppid(pid);
	if (ppid == getpid() || in_tree(ppid, tree, nr))
		for (i = 0; i < nr_signals; i++)
			syscall(SYS_pidfd_send_signal, fd, signals[i], NULL, 0);
	close(fd);
}

static void signal_tree(const int *tree, size_t nr, const int *signals, size_t nr_signals)
{
	size_t i;

	for (i = 0; i < nr; i++)
		signal_member(tree[i], tree, nr, signals, nr_signals);
}

static void pause_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

size_t command__end_tree(struct command *c, int grace_ms, size_t *nr_killed)
{
	static const int term[] = {SIGTERM, SIGCONT}; /* a stopped process must wake to die */
	static const int kill_now[] = {SIGKILL};
	int status, *tree, waited, round;
	size_t nr_found, nr;

	*nr_killed = 0;
	command__reap(c, &status);
	nr_found = find_tree(&tree);
	if (nr_found)
		signal_tree(tree, nr_found, term, 2);
	free(tree);
	for (waited = 0, nr = nr_found; nr && waited < grace_ms; waited += 20) {
		pause_ms(20);
		command__reap(c, &status);
		nr = find_tree(&tree);
		free(tree);
	}
	/* Bounded: a tree forking faster than it is killed still ends the loop. */
	for (round = 0; nr && round < 100; round++) {
		nr = find_tree(&tree);
		signal_tree(tree, nr, kill_now, 1);
		free(tree);
		if (*nr_killed < nr)
			*nr_killed = nr;
		pause_ms(10);
		command__reap(c, &status);
	}
	return nr_found;
}

void command__free(struct command *c)
{
	int status;

	if (!c)
		return;
	/* Never released: it never ran the command; nobody else will reap it. */
	if (!c->released && !c->reaped) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
	}
	if (c->go_fd >= 0)
		close(c->go_fd);
	if (c->error_fd >= 0)
		close(c->error_fd);
	free(c);
}
