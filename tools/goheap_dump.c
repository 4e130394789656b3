// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * goheap_dump: reads a Go process's heap profile from outside (src/goheap.c
 * over process_vm_readv) and prints its totals, and with -v one line per
 * bucket, so they can be compared with `go tool pprof -raw` of a profile
 * the program writes itself (tools/goheap_check.sh does). Addresses are
 * runtime addresses (link address + load bias), in hex:
 *
 *   goheap_dump [-v] [-e RATE] [-n READS] PID MBUCKETS MPROFCYCLE MEMPROFILERATE
 *
 * -e writes RATE into runtime.MemProfileRate first (the opt-in); -n reads
 * READS times, a second apart, with one reader (later reads hit its cache:
 * compare bytes_read and duration_ns). Exit 0, 1 on a read error, 2 on
 * usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goheap.h"
#include "procmem.h"

struct totals {
	int64_t inuse_objects, inuse_bytes, alloc_objects, alloc_bytes;
};

static void print_bucket(const struct goheap_bucket *b)
{
	size_t i;

	printf("bucket size %" PRIu64 " inuse %" PRId64 " %" PRId64 " alloc %" PRId64 " %" PRId64
	       " pcs",
	       b->size, b->inuse_objects, b->inuse_bytes, b->alloc_objects, b->alloc_bytes);
	for (i = 0; i < b->nr_pcs; i++)
		printf(" %#" PRIx64, b->pcs[i]);
	printf("\n");
}

static void print_profile(const struct goheap_profile *p, uint64_t reads, bool verbose)
{
	struct totals t = {0};
	size_t i;

	for (i = 0; i < p->nr_buckets; i++) {
		const struct goheap_bucket *b = &p->buckets[i];

		t.inuse_objects += b->inuse_objects;
		t.inuse_bytes += b->inuse_bytes;
		t.alloc_objects += b->alloc_objects;
		t.alloc_bytes += b->alloc_bytes;
		if (verbose)
			print_bucket(b);
	}
	printf("rate %" PRId64 " cycle %u all_cycles %d buckets %zu invalid %zu bytes_read %" PRIu64
	       " reads %" PRIu64 " duration_ns %" PRIu64 "\n",
	       p->rate, p->cycle, p->all_cycles, p->nr_buckets, p->nr_invalid, p->bytes_read, reads,
	       p->duration_ns);
	printf("inuse_objects %" PRId64 " inuse_space %" PRId64 " alloc_objects %" PRId64
	       " alloc_space %" PRId64 "\n",
	       t.inuse_objects, t.inuse_bytes, t.alloc_objects, t.alloc_bytes);
}

static bool parse_u64(const char *text, int base, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, base);
	return !errno && end != text && !*end;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: goheap_dump [-v] [-e RATE] PID MBUCKETS MPROFCYCLE MEMPROFILERATE\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct goheap_globals g;
	struct goheap_profile p;
	struct procmem pm = {0};
	struct goheap *h;
	uint64_t pid, rate = 0, reads = 1, n;
	bool verbose = false;
	int opt, err;

	while ((opt = getopt(argc, argv, "ve:n:")) != -1) {
		if (opt == 'v')
			verbose = true;
		else if (opt == 'n' && parse_u64(optarg, 10, &reads) && reads)
			continue;
		else if (opt != 'e' || !parse_u64(optarg, 10, &rate) || !rate || rate > INT64_MAX)
			return usage();
	}
	if (argc - optind != 4 || !parse_u64(argv[optind], 10, &pid) || !pid || pid > INT32_MAX ||
	    !parse_u64(argv[optind + 1], 16, &g.mbuckets) ||
	    !parse_u64(argv[optind + 2], 16, &g.mprofcycle) ||
	    !parse_u64(argv[optind + 3], 16, &g.memprofilerate))
		return usage();
	pm.pid = (int)pid;
	if (rate) {
		err = goheap__enable_sampling(&g, procmem__write, &pm, (int64_t)rate);
		if (err) {
			fprintf(stderr, "goheap_dump: error: cannot set MemProfileRate in %d: %s\n",
				pm.pid, strerror(-err));
			return 1;
		}
	}
	h = goheap__new();
	if (!h)
		return 1;
	for (n = 0; n < reads; n++) {
		uint64_t calls_before = pm.reads;

		if (n)
			sleep(1);
		err = goheap__read(h, &g, procmem__read, &pm, &p);
		if (err) {
			fprintf(stderr,
				"goheap_dump: error: cannot read the heap profile of %d: %s\n",
				pm.pid, strerror(-err));
			goheap__free(h);
			return 1;
		}
		print_profile(&p, pm.reads - calls_before, verbose);
	}
	goheap__free(h);
	return 0;
}
