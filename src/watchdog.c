// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "watchdog.h"

struct watchdog {
	/*
	 * Only memleakd holds it: EOF on the other end = memleakd is gone; a
	 * byte before it = a normal stop.
	 */
	int pipe_wr;
};

/* Every descriptor but stderr and keep[0..3) (ascending, -1 for none) is closed. */
static void close_all_but(const int keep[3])
{
	int from = 3, i;

	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	for (i = 0; i < 3; i++) {
		if (keep[i] < 0)
			continue;
		if (keep[i] > from)
			close_range((unsigned int)from, (unsigned int)keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	close_range((unsigned int)from, ~0U, 0);
}

static void sort3(int v[3])
{
	int i, j, tmp;

	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			if (v[j] < v[i]) {
				tmp = v[i];
				v[i] = v[j];
				v[j] = tmp;
			}
}

/*
 * memleakd died (EOF without its stop byte): its probe links go with its
 * descriptors, closed one by one at its exit (each uprobe link ~50 ms).
 * Until the last is closed its programs can hold a process again (one
 * continued here would stop at its exec): wait until it is gone (its
 * pidfd polls readable), a minute at most.
 */
static void wait_gone(int daemon_pidfd)
{
	struct pollfd pfd = {.fd = daemon_pidfd, .events = POLLIN};

	if (daemon_pidfd < 0)
		return;
	while (poll(&pfd, 1, 60000) < 0 && errno == EINTR)
		;
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

static _Noreturn void watch(int pipe_rd, int held_fd, int daemon_pidfd, watchdog_release_fn release)
{
	int keep[3] = {pipe_rd, held_fd, daemon_pidfd};
	ssize_t got;
	char byte;
	size_t nr;

	prctl(PR_SET_NAME, "memleakd-watch");
	ignore_terminal_signals();
	sort3(keep);
	close_all_but(keep);
	while ((got = read(pipe_rd, &byte, 1)) < 0 && errno == EINTR)
		;
	if (got != 1) /* no stop byte: memleakd died */
		wait_gone(daemon_pidfd);
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
	int fds[2], status, err = 0, daemon_pidfd;
	pid_t middle;

	if (held_fd < 0)
		return -EBADF;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	/* A socket pair, so the stop byte can go without SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds)) {
		free(w);
		return -errno;
	}
	/* memleakd's own pidfd (none: the release comes at the EOF). */
	daemon_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	fflush(stderr);
	middle = fork();
	if (middle == 0) {
		if (fork() == 0)
			watch(fds[0], held_fd, daemon_pidfd, release);
		_exit(0);
	}
	if (daemon_pidfd >= 0)
		close(daemon_pidfd);
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
	static const char stop = 'S';

	if (!w)
		return;
	/* The stop byte: memleakd continued what it held, its probes are off (no SIGPIPE). */
	(void)!send(w->pipe_wr, &stop, 1, MSG_NOSIGNAL);
	close(w->pipe_wr);
	free(w);
}
