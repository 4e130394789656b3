// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The demo's leaky "service": every 10 ms it handles a request. Parsing a
 * request builds a session record that is never freed (a leak of 256 bytes
 * per request through handle_request -> parse_request -> new_session), while
 * its scratch buffers are freed properly. Prints what it leaked on SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE      __attribute__((noinline))
#define SESSION_BYTES 256

static volatile sig_atomic_t stop;
static size_t leaked_bytes;

static void on_signal(int signo)
{
	(void)signo;
	stop = 1;
}

static NOINLINE char *new_session(const char *user)
{
	char *session = malloc(SESSION_BYTES);

	if (session)
		snprintf(session, SESSION_BYTES, "session of %s", user);
	leaked_bytes += SESSION_BYTES;
	return session; /* the caller forgets it: the leak */
}

static NOINLINE void parse_request(int n)
{
	char *scratch = malloc(4096); /* freed below: must not show up as a leak */

	if (!scratch)
		return;
	snprintf(scratch, 4096, "user%d", n);
	new_session(scratch);
	free(scratch);
}

static NOINLINE void handle_request(int n)
{
	parse_request(n);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	int n = 0;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("demo_leaker: pid %d, leaking %d bytes per request\n", getpid(), SESSION_BYTES);
	fflush(stdout);
	while (!stop) {
		handle_request(n++);
		usleep(10000);
	}
	printf("demo_leaker: leaked %zu bytes in %d requests\n", leaked_bytes, n);
	return 0;
}
