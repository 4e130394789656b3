// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's own side of the pipeline, without BPF: how many events per
 * second the allocation table takes on one core (a synthetic producer: a
 * live set of allocations churning over 1,000 stacks), and what 10 million
 * live allocations cost in memory and in the time to build a report.
 *
 * usage: table_bench [EVENTS_MILLIONS] [LIVE_MILLIONS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "allocs.h"
#include "snapshot.h"
#include "symbolize.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int no_frames(void *ctx, int32_t stack_id, uint64_t *ips, size_t max)
{
	(void)ctx;
	(void)stack_id;
	(void)ips;
	(void)max;
	return 0;
}

/* Events per second: allocations and frees over a live set of `live` blocks. */
static void throughput(size_t events, size_t live)
{
	struct allocs *t = allocs__new();
	uint64_t *addrs = calloc(live, sizeof(*addrs)), next = 0x10000;
	size_t i, slot;
	double start;

	if (!t || !addrs)
		exit(1);
	for (i = 0; i < live; i++) {
		addrs[i] = next += 64;
		allocs__record_alloc(t, 100, KIND_MALLOC, addrs[i], 64, (int32_t)(i % 1000), i);
	}
	start = now_s();
	for (i = 0; i < events / 2; i++) {
		slot = next_random() % live;
		allocs__record_free(t, 100, KIND_MALLOC, addrs[slot]);
		addrs[slot] = next += 64;
		allocs__record_alloc(t, 100, KIND_MALLOC, addrs[slot], 16 + next_random() % 4096,
				     (int32_t)(next_random() % 1000), i);
	}
	printf("table: %.1f M events/s on one core (%zu M events, %zu live, 1000 stacks)\n",
	       (double)events / (now_s() - start) / 1e6, events / 1000000, live);
	allocs__destroy(t);
	free(addrs);
}

/* Memory per live allocation and report latency with `live` outstanding blocks. */
static void many_live(size_t live)
{
	struct allocs *t = allocs__new();
	struct symbolizer *s = symbolizer__new();
	struct snapshot_opts opts = {.max_stacks = 20000, .read_stack = no_frames, .symbolizer = s};
	struct snapshot *snap = NULL;
	double start;
	size_t i;

	if (!t || !s)
		exit(1);
	start = now_s();
	for (i = 0; i < live; i++)
		if (allocs__record_alloc(t, 100, KIND_MALLOC, 0x10000 + 64 * (uint64_t)i, 48,
					 (int32_t)(i % 5000), i)) {
			printf("table: out of memory at %zu live allocations\n", i);
			exit(1);
		}
	printf("table: %zu M live allocations recorded in %.2f s; %.1f bytes per live "
	       "allocation\n",
	       live / 1000000, now_s() - start,
	       (double)allocs__memory_bytes(t) / (double)allocs__live_count(t));
	start = now_s();
	if (snapshot__build(t, &opts, &snap)) {
		printf("table: snapshot failed\n");
		exit(1);
	}
	printf("table: a report snapshot of %zu M live allocations in 5000 stacks takes %.0f ms\n",
	       live / 1000000, (now_s() - start) * 1e3);
	snapshot__free(snap);
	symbolizer__destroy(s);
	allocs__destroy(t);
}

int main(int argc, char **argv)
{
	size_t events = (size_t)(argc > 1 ? atof(argv[1]) : 20) * 1000000;
	size_t live = (size_t)(argc > 2 ? atof(argv[2]) : 10) * 1000000;

	throughput(events, 100000);
	many_live(live);
	return 0;
}
