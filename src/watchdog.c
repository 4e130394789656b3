// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watchdog.h"

struct watchdog {
	int pipe_wr; /* only memleakd holds it: EOF on the other end = memleakd is gone */
};

/* Every descriptor but stderr, keep_a and keep_b (keep_a < keep_b) is closed. */
static void close_all_but(int keep_a, int keep_b)
{
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	if (keep_a > 3)
		close_range(3, (unsigned int)keep_a - 1, 0);
	if (keep_b > keep_a + 1)
		close_range((unsigned int)keep_a + 1, (unsigned int)keep_b - 1, 0);
	close_range((unsigned int)keep_b + 1, ~0U, 0);
}

static void ignore_terminal_signals(void)
{
	static const int signals[] = {SIGINT,  SIGTERM, SIGHUP,	 SIGQUIT,
				      SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE};
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigset_t none;
	size_t i;

	sigemptyset(&ign.sa_mask);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &ign, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static _Noreturn void watch(int pipe_rd, int held_fd, watchdog_release_fn release)
{
	char byte;
	size_t nr;

	prctl(PR_SET_NAME, "memleakd-watch");
	ignore_terminal_signals();
	close_all_but(pipe_rd < held_fd ? pipe_rd : held_fd, pipe_rd < held_fd ? held_fd : pipe_rd);
	while (read(pipe_rd, &byte, 1) < 0 && errno == EINTR)
		;
	nr = release(held_fd);
	if (nr)
		fprintf(stderr,
			"memleakd: watchdog: memleakd exited holding %zu processes stopped; "
			"continued them\n",
			nr);
	_exit(0);
}

/*
 * Forked twice, the middle process exiting at once: the watchdog is no
 * descendant of memleakd (init, or the session's subreaper, adopts it), so
 * command mode's end of the tree, which ends memleakd's descendants, leaves
 * it alone, and nobody needs to reap it. Must run before memleakd becomes a
 * child subreaper.
 */
int watchdog__start(int held_fd, watchdog_release_fn release, struct watchdog **out)
{
	struct watchdog *w;
	int fds[2], status, err = 0;
	pid_t middle;

	if (held_fd < 0)
		return -EBADF;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC)) {
		free(w);
		return -errno;
	}
	fflush(stderr);
	middle = fork();
	if (middle == 0) {
		if (fork() == 0)
			watch(fds[0], held_fd, release);
		_exit(0);
	}
	if (middle < 0)
		err = -errno;
	else
		while (waitpid(middle, &status, 0) < 0 && errno == EINTR)
			;
	close(fds[0]);
	if (err) {
		close(fds[1]);
		free(w);
		return err;
	}
	w->pipe_wr = fds[1];
	*out = w;
	return 0;
}

void watchdog__stop(struct watchdog *w)
{
	if (!w)
		return;
	close(w->pipe_wr);
	free(w);
}
