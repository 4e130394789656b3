/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Go runtime's own heap profile, read from a process's memory (no
 * probes, nothing written): the runtime.mbuckets list, folded the way
 * runtime.MemProfile folds it (as of the last completed GC; all cycles
 * when no GC completed yet) and scaled the way runtime/pprof scales it
 * (scaleHeapSample), so the numbers are what `go tool pprof` shows for a
 * heap profile the program would write. Bucket headers and PCs never
 * change: they are read once per bucket and cached, only the records are
 * re-read. Memory is untrusted: bounded walk, validated buckets. Pure
 * logic over a mem_read_fn.
 */
#ifndef MEMLEAKD_GOHEAP_H
#define MEMLEAKD_GOHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmem.h"

struct goheap;

/* Runtime addresses (link-time address + load bias) of the globals. */
struct goheap_globals {
	uint64_t mbuckets, mprofcycle, memprofilerate;
};

/* One bucket: one (stack, size) of the profile, values scaled like pprof's. */
struct goheap_bucket {
	const uint64_t *pcs; /* return addresses, leaf first; owned by the goheap */
	size_t nr_pcs;
	uint64_t size; /* the allocation size class of the bucket */
	int64_t inuse_objects, inuse_bytes, alloc_objects, alloc_bytes;
};

struct goheap_profile {
	int64_t rate;	 /* MemProfileRate: 0 = profiling off; the pprof period */
	uint32_t cycle;	 /* completed GC cycles (mProfCycle >> 1) */
	bool all_cycles; /* no GC completed yet: every cycle folded (as MemProfile does) */
	const struct goheap_bucket *buckets; /* valid until the next read */
	size_t nr_buckets;
	size_t nr_invalid; /* buckets that read as garbage: skipped */
	uint64_t bytes_read;
	uint64_t duration_ns;
};

#define GOHEAP_MAX_BUCKETS 1000000

struct goheap *goheap__new(void);
void goheap__free(struct goheap *h);
/*
 * Reads the profile now. 0, -EFAULT (globals unreadable, or a negative
 * MemProfileRate), -ENOMEM. A bucket list that cannot be walked to its end
 * (unreadable bucket, loop, GOHEAP_MAX_BUCKETS) gives the buckets before
 * that point and counts one invalid; the next read walks it all again.
 */
int goheap__read(struct goheap *h, const struct goheap_globals *g, mem_read_fn read, void *ctx,
		 struct goheap_profile *out);
/*
 * The opt-in: sets runtime.MemProfileRate to rate in the target, so
 * allocations from now on are sampled. 0, -EINVAL (rate not positive) or
 * the writer's -errno.
 */
int goheap__enable_sampling(const struct goheap_globals *g, mem_write_fn write, void *ctx,
			    int64_t rate);

/* pprof's scaleHeapSample: count and bytes sampled at rate, scaled to estimates. */
void goheap__scale(int64_t count, int64_t bytes, int64_t rate, int64_t *scaled_count,
		   int64_t *scaled_bytes);
/*
 * Go's math.Exp as the amd64 runtime computes it (math/exp_amd64.s), with
 * or without FMA (Go takes the FMA path when the CPU has AVX and FMA):
 * glibc's exp differs in the last bit for ~8% of the arguments, enough to
 * move a scaled value by one. goheap__scale uses the path of this CPU.
 */
double goheap__go_exp(double x, bool use_fma);

#endif
