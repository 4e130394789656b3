// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The malloc/free microbenchmark: PAIRS malloc+free pairs of 16..4096 bytes,
 * each made DEPTH calls below main (so stack walking has frames to walk).
 * Prints "ready PID", waits for SIGUSR1 (a tracer attached) unless
 * --no-wait, then "ns_per_pair N".
 *
 * usage: mallocbench PAIRS DEPTH [--no-wait]
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile uintptr_t sink;

static NOINLINE void pairs_at_depth(long pairs, int depth)
{
	uint64_t state = 88172645463325252ULL;
	long i;

	if (depth > 0) {
		pairs_at_depth(pairs, depth - 1);
		__asm__ volatile("" ::: "memory"); /* no tail call: the frame stays */
		return;
	}
	for (i = 0; i < pairs; i++) {
		void *p;

		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		p = malloc(16 + state % 4081);
		sink += (uintptr_t)p;
		free(p);
	}
}

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? atol(argv[1]) : 100000;
	int depth = argc > 2 ? atoi(argv[2]) : 8, signo;
	struct timespec a, b;
	sigset_t usr1;

	if (pairs <= 0 || depth < 0 || depth > 100) {
		fprintf(stderr, "usage: mallocbench PAIRS DEPTH [--no-wait]\n");
		return 2;
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!(argc > 3 && !strcmp(argv[3], "--no-wait")))
		sigwait(&usr1, &signo);
	clock_gettime(CLOCK_MONOTONIC, &a);
	pairs_at_depth(pairs, depth);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("ns_per_pair %.1f\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)pairs);
	return 0;
}
