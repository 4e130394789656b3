// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"

struct command {
	pid_t pid;
	int go_fd;    /* writing one byte lets the child exec */
	int error_fd; /* the child writes errno here when exec fails; EOF on success */
	bool released;
	bool reaped;
	char *const *argv;
};

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

/* In the child: the signal handling memleakd found, then wait and exec. */
static void run_child(char *const argv[], const sigset_t *ignored, int go_fd, int error_fd)
{
	sigset_t none;
	size_t i;
	char go;
	int err;

	for (i = 0; i < NR_HANDLED; i++)
		signal(handled_signals[i],
		       sigismember(ignored, handled_signals[i]) ? SIG_IGN : SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* memleakd gone (killed): the command must not run on untraced, or stay stopped. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go_fd, &go, 1) != 1)
		_exit(127);
	execvp(argv[0], argv);
	err = errno;
	if (write(error_fd, &err, sizeof(err)) != sizeof(err))
		_exit(127);
	_exit(127);
}

int command__spawn(char *const argv[], const sigset_t *ignored, struct command **out)
{
	struct command *c = calloc(1, sizeof(*c));
	int go[2], error[2];

	if (!c)
		return -ENOMEM;
	if (pipe2(go, O_CLOEXEC)) {
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
		run_child(argv, ignored, go[0], error[1]);
	}
	close(go[0]);
	close(error[1]);
	c->go_fd = go[1];
	c->error_fd = error[0];
	c->argv = argv;
	*out = c;
	return 0;
}

int command__pid(const struct command *c)
{
	return c->pid;
}

int command__release(struct command *c, char *err, size_t err_len)
{
	int child_errno = 0;
	ssize_t n;

	c->released = true;
	if (write(c->go_fd, "g", 1) != 1)
		return -errno;
	close(c->go_fd);
	c->go_fd = -1;
	/* EOF when exec closed the pipe (close-on-exec); an errno when it failed. */
	do
		n = read(c->error_fd, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(c->error_fd);
	c->error_fd = -1;
	if (n != sizeof(child_errno))
		return 0;
	snprintf(err, err_len, "cannot run '%s': %s; check the command name and PATH", c->argv[0],
		 strerror(child_errno));
	return -child_errno;
}

int command__reap(struct command *c, int *wait_status)
{
	pid_t got;

	if (c->reaped)
		return 1;
	do
		got = waitpid(c->pid, wait_status, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got != c->pid)
		return 0;
	c->reaped = true;
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

void command__free(struct command *c)
{
	int status;

	if (!c)
		return;
	/* Never released: it never ran the command; nobody else will reap it. */
	if (!c->released) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
	}
	if (c->go_fd >= 0)
		close(c->go_fd);
	if (c->error_fd >= 0)
		close(c->error_fd);
	free(c);
}
