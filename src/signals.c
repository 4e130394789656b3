// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>

#include "signals.h"

/* Signal handlers can only reach file-scope state: these flags, nothing else. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t forward_signal;
static volatile sig_atomic_t stop_signals_seen; /* command mode: SIGINT and SIGTERM so far */

static void on_stop_signal(int signo)
{
	(void)signo;
	stop_requested = 1;
}

/* The default action from now on: the next one ends memleakd at once. */
static void reset_to_default(int signo)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	sigemptyset(&dfl.sa_mask);
	sigaction(signo, &dfl, NULL); /* async-signal-safe */
}

/*
 * Command mode. The first SIGINT already reached the command (same process
 * group); the first SIGTERM is passed on. The second of either stops the run
 * (final report, then the command's whole tree is ended); a third kills.
 */
static void on_command_signal(int signo)
{
	if (signo == SIGINT || signo == SIGTERM) {
		if (stop_signals_seen < 2)
			stop_signals_seen++;
		if (stop_signals_seen >= 2) {
			stop_requested = 1;
			reset_to_default(SIGINT);
			reset_to_default(SIGTERM);
			return;
		}
	}
	if (signo == SIGTERM || signo == SIGHUP)
		forward_signal = signo;
}

int signals__install(bool command_mode)
{
	/* SA_RESETHAND: a second Ctrl-C gets the default action, so a stuck exit can be forced. */
	struct sigaction sa = {.sa_handler = on_stop_signal, .sa_flags = SA_RESETHAND};
	struct sigaction ignore = {.sa_handler = SIG_IGN};

	if (command_mode)
		sa = (struct sigaction){.sa_handler = on_command_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL) || sigaction(SIGPIPE, &ignore, NULL))
		return -errno;
	if (command_mode && sigaction(SIGQUIT, &sa, NULL))
		return -errno;
	return 0;
}

bool signals__stop_requested(void)
{
	return stop_requested;
}

void signals__request_stop(void)
{
	stop_requested = 1;
}

int signals__take_forward(void)
{
	int signo = forward_signal;

	forward_signal = 0;
	return signo;
}
