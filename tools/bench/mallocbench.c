// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The malloc/free microbenchmark: PAIRS malloc+free pairs of 16..4096 bytes
 * per thread, each made DEPTH calls below main (so stack walking has frames
 * to walk), on THREADS threads; LIVE_PERCENT of the blocks are kept in a
 * ring of 1024 and freed later instead of at once. Prints "ready PID",
 * waits for SIGUSR1 (a tracer attached) unless --no-wait, then
 * "ns_per_pair N" (wall time per pair of one thread). With --hold it then
 * waits for SIGUSR1 again before it exits, so a tracer's counters can be
 * read over the pairs alone, before the exit (tools/bench/bpf_stats.sh).
 *
 * usage: mallocbench PAIRS DEPTH [THREADS [LIVE_PERCENT [--no-wait] [--hold]]]
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ready.h"

#define NOINLINE __attribute__((noinline))

#include <pthread.h>

static volatile uintptr_t sink;
static long pairs;
static int depth, live_percent;

static NOINLINE void pairs_at_depth(int level, uint64_t state)
{
	void *ring[1024] = {0};
	long i;

	if (level > 0) {
		pairs_at_depth(level - 1, state);
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
		if ((int)(state % 100) < live_percent) {
			/* Kept a while: the table holds a live set, the free comes later. */
			free(ring[i % 1024]);
			ring[i % 1024] = p;
		} else {
			free(p);
		}
	}
	for (i = 0; i < 1024; i++)
		free(ring[i]);
}

static void *thread_main(void *arg)
{
	pairs_at_depth(depth, 88172645463325252ULL + (uintptr_t)arg);
	return NULL;
}

/* Blocks until SIGUSR1 (blocked since announce_and_wait). */
static void wait_usr1(void)
{
	sigset_t usr1;
	int signo;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigwait(&usr1, &signo);
}

int main(int argc, char **argv)
{
	int threads = argc > 3 ? atoi(argv[3]) : 1, t, arg;
	int wait_start = 1, hold_at_end = 0, bad_flag = 0;
	pthread_t ids[64];
	struct timespec a, b;

	pairs = argc > 1 ? atol(argv[1]) : 100000;
	depth = argc > 2 ? atoi(argv[2]) : 8;
	live_percent = argc > 4 ? atoi(argv[4]) : 0;
	for (arg = 5; arg < argc; arg++) {
		if (!strcmp(argv[arg], "--no-wait"))
			wait_start = 0;
		else if (!strcmp(argv[arg], "--hold"))
			hold_at_end = 1;
		else
			bad_flag = 1;
	}
	if (bad_flag || pairs <= 0 || depth < 0 || depth > 100 || threads < 1 || threads > 64 ||
	    live_percent < 0 || live_percent > 100) {
		fprintf(stderr, "usage: mallocbench PAIRS DEPTH [THREADS [LIVE_PERCENT [--no-wait] "
				"[--hold]]]\n");
		return 2;
	}
	announce_and_wait(wait_start);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (t = 0; t < threads; t++)
		pthread_create(&ids[t], NULL, thread_main, (void *)(uintptr_t)t);
	for (t = 0; t < threads; t++)
		pthread_join(ids[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("ns_per_pair %.1f\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
		   (double)pairs);
	fflush(stdout);
	if (hold_at_end)
		wait_usr1();
	return 0;
}
