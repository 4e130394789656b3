// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Signals in command mode (src/signals.h): the first SIGTERM is passed on to
 * the command, SIGHUP always is; the second SIGINT or SIGTERM stops the run,
 * and the one after that gets the default action. The flags are process-wide:
 * one test, in order.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "signals.h"

static bool handler_is_default(int signo)
{
	struct sigaction now;

	return !sigaction(signo, NULL, &now) && now.sa_handler == SIG_DFL;
}

static void test_command_mode_second_signal_stops(void **state)
{
	(void)state;
	check_eq(signals__install(true), 0);
	check_eq(signals__stop_requested(), 0);
	raise(SIGHUP);
	check_eq(signals__take_forward(), SIGHUP);
	check_eq(signals__take_forward(), 0);
	/* The first SIGTERM goes to the command; the run goes on. */
	raise(SIGTERM);
	check_eq(signals__take_forward(), SIGTERM);
	check_eq(signals__stop_requested(), 0);
	check_eq(handler_is_default(SIGTERM), 0);
	/* SIGQUIT (the terminal sent it to the command too) changes nothing. */
	raise(SIGQUIT);
	check_eq(signals__stop_requested(), 0);
	/* The second (a Ctrl-C here) stops the run, is not passed on, and arms the default. */
	raise(SIGINT);
	check_eq(signals__stop_requested(), 1);
	check_eq(signals__take_forward(), 0);
	check_eq(handler_is_default(SIGINT), 1);
	check_eq(handler_is_default(SIGTERM), 1);
	/* SIGHUP is still passed on while the run ends. */
	raise(SIGHUP);
	check_eq(signals__take_forward(), SIGHUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_command_mode_second_signal_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
