// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Go heap profile reader (src/goheap.h) over a synthetic address space
 * laid out like the amd64 runtime's: globals, then buckets (48-byte header,
 * PCs, 128-byte memRecord) pushed at the head of the allnext list. Folding
 * as runtime.MemProfile, scaling as runtime/pprof's scaleHeapSample (values
 * pinned from Go 1.19 and 1.23 with and without FMA), the header cache,
 * garbage, loops, holes, rate 0 and the opt-in write.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "goheap.h"

#define MEM_BASE	 0x10000ull
#define MEM_SIZE	 65536
#define G_MBUCKETS	 (MEM_BASE + 0)
#define G_MPROFCYCLE	 (MEM_BASE + 8)
#define G_MEMPROFILERATE (MEM_BASE + 16)
#define FIRST_BUCKET	 (MEM_BASE + 64)
#define RECORD_SIZE	 128

static const struct goheap_globals globals = {
    .mbuckets = G_MBUCKETS, .mprofcycle = G_MPROFCYCLE, .memprofilerate = G_MEMPROFILERATE};

/* The target's memory: one buffer at MEM_BASE, an optional unreadable hole. */
struct fake_mem {
	unsigned char bytes[MEM_SIZE];
	uint64_t next_free;
	uint64_t hole_lo, hole_hi;
	uint64_t reads, bytes_read;
};

static bool in_range(const struct fake_mem *m, uint64_t addr, size_t len)
{
	if (addr < MEM_BASE || addr - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (addr - MEM_BASE))
		return false;
	return addr + len <= m->hole_lo || addr >= m->hole_hi;
}

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *m = ctx;

	m->reads++;
	if (!in_range(m, addr, len))
		return -EFAULT;
	memcpy(buf, m->bytes + (addr - MEM_BASE), len);
	m->bytes_read += len;
	return 0;
}

static int fake_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct fake_mem *m = ctx;

	if (!in_range(m, addr, len))
		return -EFAULT;
	memcpy(m->bytes + (addr - MEM_BASE), buf, len);
	return 0;
}

static void put_u64(struct fake_mem *m, uint64_t addr, uint64_t v)
{
	memcpy(m->bytes + (addr - MEM_BASE), &v, sizeof(v));
}

static uint64_t get_u64(const struct fake_mem *m, uint64_t addr)
{
	uint64_t v;

	memcpy(&v, m->bytes + (addr - MEM_BASE), sizeof(v));
	return v;
}

static struct fake_mem *mem_new(int64_t rate, uint32_t cycle, bool flushed)
{
	struct fake_mem *m = calloc(1, sizeof(*m));
	uint32_t word = cycle << 1 | flushed;

	assert_non_null(m);
	m->next_free = FIRST_BUCKET;
	put_u64(m, G_MEMPROFILERATE, (uint64_t)rate);
	memcpy(m->bytes + (G_MPROFCYCLE - MEM_BASE), &word, sizeof(word));
	return m;
}

/* A bucket like runtime.newBucket + stkbucket: PCs pc0, pc0+1, …, pushed at the head. */
static uint64_t push_bucket(struct fake_mem *m, uint64_t size, uint64_t nstk, uint64_t pc0)
{
	uint64_t b = m->next_free, i;

	m->next_free += 48 + 8 * nstk + RECORD_SIZE;
	assert_true(m->next_free <= MEM_BASE + MEM_SIZE);
	put_u64(m, b + 8, get_u64(m, G_MBUCKETS)); /* allnext */
	put_u64(m, b + 16, 1);			   /* typ memProfile */
	put_u64(m, b + 24, 0x1234);		   /* hash */
	put_u64(m, b + 32, size);
	put_u64(m, b + 40, nstk);
	for (i = 0; i < nstk; i++)
		put_u64(m, b + 48 + 8 * i, pc0 + i);
	put_u64(m, G_MBUCKETS, b);
	return b;
}

#define ACTIVE (-1)

/* Sets a record cycle of bucket b (ACTIVE or future[0..2]) to n allocs and f frees of size. */
static void set_cycle(struct fake_mem *m, uint64_t b, int which, uint64_t allocs, uint64_t frees,
		      uint64_t size)
{
	uint64_t rec = b + 48 + 8 * get_u64(m, b + 40) + 32 * (uint64_t)(which + 1);

	put_u64(m, rec, allocs);
	put_u64(m, rec + 8, frees);
	put_u64(m, rec + 16, allocs * size);
	put_u64(m, rec + 24, frees * size);
}

static const struct goheap_bucket *find_bucket(const struct goheap_profile *p, uint64_t pc0)
{
	size_t i;

	for (i = 0; i < p->nr_buckets; i++)
		if (p->buckets[i].nr_pcs && p->buckets[i].pcs[0] == pc0)
			return &p->buckets[i];
	fail_msg("no bucket with leaf pc %#llx", (unsigned long long)pc0);
	return NULL;
}

static void check_bucket(const struct goheap_profile *p, uint64_t pc0, int64_t alloc_objects,
			 int64_t inuse_objects, uint64_t size)
{
	const struct goheap_bucket *b = find_bucket(p, pc0);

	check_eq(b->alloc_objects, alloc_objects);
	check_eq(b->alloc_bytes, alloc_objects * (int64_t)size);
	check_eq(b->inuse_objects, inuse_objects);
	check_eq(b->inuse_bytes, inuse_objects * (int64_t)size);
	check_u64(b->size, size);
}

/* After GCs: active + future[cycle % 3], the other two futures are not yet published. */
static void test_fold_after_gc(void **state)
{
	struct fake_mem *m = mem_new(1, 4, true); /* rate 1: no scaling; cycle 4 → future[1] */
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	uint64_t a = push_bucket(m, 1024, 3, 0x401000), b = push_bucket(m, 64, 2, 0x402000);
	uint32_t cycle;

	(void)state;
	set_cycle(m, a, ACTIVE, 10, 4, 1024);
	set_cycle(m, a, 1, 2, 1, 1024);
	set_cycle(m, a, 0, 100, 0, 1024); /* next cycle's frees, allocs after: not shown */
	set_cycle(m, a, 2, 50, 7, 1024);
	set_cycle(m, b, 1, 5, 0, 64); /* only in the cycle being flushed */
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.rate, 1);
	check_eq(p.cycle, 4);
	assert_false(p.all_cycles);
	check_eq(p.nr_buckets, 2);
	check_eq(p.nr_invalid, 0);
	check_eq(p.buckets[0].pcs[0], 0x402000); /* head first, like the runtime's list */
	check_eq(p.buckets[0].nr_pcs, 2);
	check_eq(p.buckets[1].pcs[2], 0x401002);
	check_bucket(&p, 0x401000, 12, 7, 1024);
	check_bucket(&p, 0x402000, 5, 5, 64);

	/* Cycle 5, not flushed yet: future[2] is folded now (MemProfile flushes it itself). */
	cycle = 5 << 1;
	memcpy(m->bytes + (G_MPROFCYCLE - MEM_BASE), &cycle, sizeof(cycle));
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.cycle, 5);
	check_bucket(&p, 0x401000, 60, 49, 1024);
	check_bucket(&p, 0x402000, 0, 0, 64);
	goheap__free(h);
	free(m);
}

/* No GC yet (or GOGC=off): nothing published, so every cycle is folded. */
static void test_fold_without_gc(void **state)
{
	struct fake_mem *m = mem_new(1, 0, false);
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	uint64_t a = push_bucket(m, 32, 1, 0x401000), b = push_bucket(m, 48, 1, 0x402000);

	(void)state;
	set_cycle(m, a, 1, 7, 0, 32);
	set_cycle(m, a, 2, 3, 0, 32);
	set_cycle(m, b, 2, 4, 1, 48);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	assert_true(p.all_cycles);
	check_bucket(&p, 0x401000, 10, 10, 32);
	check_bucket(&p, 0x402000, 4, 3, 48);

	/* One bucket with published data: the others are shown as of the last flush (empty). */
	set_cycle(m, a, ACTIVE, 1, 0, 32);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	assert_false(p.all_cycles);
	check_bucket(&p, 0x401000, 1, 1, 32);
	check_bucket(&p, 0x402000, 0, 0, 48);
	goheap__free(h);
	free(m);
}

/* No buckets at all: MemProfile's "clear" holds, nothing to show. */
static void test_empty_list(void **state)
{
	struct fake_mem *m = mem_new(524288, 3, true);
	struct goheap *h = goheap__new();
	struct goheap_profile p;

	(void)state;
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.rate, 524288);
	check_eq(p.nr_buckets, 0);
	check_eq(p.nr_invalid, 0);
	assert_true(p.all_cycles);
	goheap__free(h);
	free(m);
}

/* Go's math.Exp bits on amd64, printed by Go 1.19 and 1.23 with GODEBUG=cpu.fma=off and on. */
static void test_go_exp_pinned(void **state)
{
	static const struct {
		double size;
		uint64_t fma, no_fma, glibc_differs;
	} pins[] = {
	    {757, 0x3feff42e2f595315, 0x3feff42e2f595315, 1},
	    {1027, 0x3fefeff8055629c8, 0x3fefeff8055629c8, 1},
	    {1897, 0x3fefe269b6082d97, 0x3fefe269b6082d98, 0},
	    {2605, 0x3fefd765d803f56b, 0x3fefd765d803f56a, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		double x = -pins[i].size / 524288, with = goheap__go_exp(x, true);
		double without = goheap__go_exp(x, false), libm = exp(x);
		uint64_t bits;

		memcpy(&bits, &with, sizeof(bits));
		check_hex(bits, pins[i].fma);
		memcpy(&bits, &without, sizeof(bits));
		check_hex(bits, pins[i].no_fma);
		if (pins[i].glibc_differs) /* why libm's exp is not used */
			assert_true(libm != with);
	}
	assert_true(goheap__go_exp(-INFINITY, true) == 0);
	assert_true(goheap__go_exp(INFINITY, false) == INFINITY);
	assert_true(isnan(goheap__go_exp(NAN, true)));
	assert_true(goheap__go_exp(710, true) == INFINITY);
	assert_true(goheap__go_exp(-1e300, true) == 0);
	assert_true(goheap__go_exp(0, false) == 1);
	assert_true(goheap__go_exp(-740, false) > 0); /* subnormal result */
	assert_true(goheap__go_exp(-740, false) < 1e-300);
}

/* scaleHeapSample's results, printed by Go (1.19 FMA and not, 1.23) for the same inputs. */
static void test_scale_pinned(void **state)
{
	bool fma = __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
	static const struct {
		int64_t count, bytes, rate, want_count, want_bytes, want_bytes_no_fma;
	} pins[] = {
	    {83226, 768508884, 549073, 4990522, 46082480964, 46082480964}, /* glibc: …963 */
	    {31215, 1843058460, 1024481, 557373, 32909554916, 32909554917},
	    {1000, 1024000, 524288, 512500, 524800166, 524800166},
	    {1, 16, 524288, 32768, 524296, 524296},
	    {3, 3 * 1048576, 524288, 3, 3638089, 3638089},
	    {5, 80, 1, 5, 80, 80}, /* rate 1: every allocation sampled */
	    {5, 80, 0, 5, 80, 80}, /* rate < 1: unknown, unscaled */
	    {0, 80, 524288, 0, 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		int64_t count, bytes;

		goheap__scale(pins[i].count, pins[i].bytes, pins[i].rate, &count, &bytes);
		check_eq(count, pins[i].want_count);
		check_eq(bytes, fma ? pins[i].want_bytes : pins[i].want_bytes_no_fma);
	}
}

/* The same formula computed here step by step, for the buckets of a read at the default rate. */
static void expect_scaled(int64_t count, int64_t bytes, int64_t got_count, int64_t got_bytes)
{
	bool fma = __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
	double avg = (double)bytes / (double)count;
	double scale = 1 / (1 - goheap__go_exp(-avg / 524288.0, fma));

	check_eq(got_count, (int64_t)((double)count * scale));
	check_eq(got_bytes, (int64_t)((double)bytes * scale));
	assert_true(got_bytes > bytes); /* sampled at 512 KiB: estimates exceed the samples */
}

static void test_read_scales(void **state)
{
	struct fake_mem *m = mem_new(524288, 2, true);
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	uint64_t a = push_bucket(m, 1024, 4, 0x401000), b = push_bucket(m, 4096, 4, 0x402000);
	const struct goheap_bucket *got;

	(void)state;
	set_cycle(m, a, ACTIVE, 1000, 0, 1024);
	set_cycle(m, b, ACTIVE, 300, 120, 4096);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	got = find_bucket(&p, 0x401000);
	check_eq(got->inuse_objects, 512500); /* pinned above */
	check_eq(got->inuse_bytes, 524800166);
	got = find_bucket(&p, 0x402000);
	expect_scaled(300, 300 * 4096, got->alloc_objects, got->alloc_bytes);
	expect_scaled(180, 180 * 4096, got->inuse_objects, got->inuse_bytes);
	goheap__free(h);
	free(m);
}

/* Headers and PCs are read once: later reads read the records only, and new heads. */
static void test_cache(void **state)
{
	struct fake_mem *m = mem_new(1, 1, true);
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	uint64_t first_bytes, b[20], fresh;
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		b[i] = push_bucket(m, 16, 32, 0x400000 + 0x1000 * (uint64_t)i);
		set_cycle(m, b[i], ACTIVE, (uint64_t)i + 1, 0, 16);
	}
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 20);
	first_bytes = p.bytes_read;
	check_u64(first_bytes, 8 + 4 + 8 + 20 * (48 + 32 * 8) + 19 * 432 + RECORD_SIZE);

	/* Headers no longer read: a clobbered header does not matter, a changed record does. */
	put_u64(m, b[3] + 16, 7);
	set_cycle(m, b[5], ACTIVE, 100, 40, 16);
	m->reads = 0;
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 20);
	check_eq(p.nr_invalid, 0);
	assert_true(p.bytes_read < first_bytes);
	check_eq(m->reads, 3 + 1); /* globals, then one span: the buckets are adjacent */
	check_bucket(&p, 0x405000, 100, 60, 16);
	check_bucket(&p, 0x403000, 4, 4, 16);

	/* A new bucket at the head: read in full, the others still from the cache. */
	fresh = push_bucket(m, 512, 5, 0x4f0000);
	set_cycle(m, fresh, ACTIVE, 9, 2, 512);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 21);
	check_bucket(&p, 0x4f0000, 9, 7, 512);
	check_eq(find_bucket(&p, 0x4f0000)->pcs[4], 0x4f0004);
	check_eq(find_bucket(&p, 0x413000)->pcs[31], 0x413000 + 31);
	check_bucket(&p, 0x413000, 20, 20, 16);
	goheap__free(h);
	free(m);
}

/* A head the cache does not lead to (a new runtime at the same address): the cache is replaced. */
static void test_cache_replaced(void **state)
{
	struct fake_mem *m = mem_new(1, 1, true);
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	uint64_t b;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		b = push_bucket(m, 16, 4, 0x400000 + 0x1000 * (uint64_t)i);
		set_cycle(m, b, ACTIVE, 1, 0, 16);
	}
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 3);

	put_u64(m, G_MBUCKETS, 0);
	for (i = 0; i < 2; i++) {
		b = push_bucket(m, 32, 3, 0x500000 + 0x1000 * (uint64_t)i);
		set_cycle(m, b, ACTIVE, 2, 1, 32);
	}
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 2);
	check_bucket(&p, 0x500000, 2, 1, 32);
	check_bucket(&p, 0x501000, 2, 1, 32);
	check_eq(find_bucket(&p, 0x500000)->pcs[2], 0x500002);
	check_eq(find_bucket(&p, 0x501000)->pcs[2], 0x501002);

	b = push_bucket(m, 48, 1, 0x502000);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 3);
	check_eq(find_bucket(&p, 0x501000)->pcs[1], 0x501001);
	check_eq(find_bucket(&p, 0x502000)->nr_pcs, 1);
	goheap__free(h);
	free(m);
}

/* Buckets that cannot be runtime buckets, and records no runtime writes, are skipped and counted.
 */
static void test_garbage_buckets(void **state)
{
	struct fake_mem *m = mem_new(1, 1, true);
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	uint64_t good1, wrong_typ, no_pcs, too_deep, negative, over_freed, good2;

	(void)state;
	good1 = push_bucket(m, 16, 2, 0x401000);
	wrong_typ = push_bucket(m, 16, 2, 0x402000);
	no_pcs = push_bucket(m, 16, 2, 0x403000);
	too_deep = push_bucket(m, 16, 2, 0x404000);
	negative = push_bucket(m, 16, 2, 0x405000);
	over_freed = push_bucket(m, 16, 2, 0x406000);
	good2 = push_bucket(m, 16, 2, 0x407000);
	set_cycle(m, good1, ACTIVE, 3, 1, 16);
	set_cycle(m, good2, ACTIVE, 5, 0, 16);
	put_u64(m, wrong_typ + 16, 2); /* blockProfile */
	put_u64(m, no_pcs + 40, 0);
	put_u64(m, too_deep + 40, 1025);
	set_cycle(m, negative, ACTIVE, 1, 0, 16);
	put_u64(m, negative + 48 + 16 + 16, (uint64_t)INT64_MIN); /* alloc_bytes < 0 */
	set_cycle(m, over_freed, ACTIVE, 1, 2, 16);
	put_u64(m, over_freed + 48 + 16 + 24, 16); /* free_bytes fine: only the count is off */
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 2);
	check_eq(p.nr_invalid, 5);
	check_bucket(&p, 0x401000, 3, 2, 16);
	check_bucket(&p, 0x407000, 5, 5, 16);
	/* Counted again on the next read (from the cache). */
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 2);
	check_eq(p.nr_invalid, 5);
	goheap__free(h);
	free(m);
}

/* A loop in allnext ends the walk; each bucket is shown once. */
static void test_loop(void **state)
{
	struct fake_mem *m = mem_new(1, 1, true);
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	uint64_t b[7];
	size_t i, j;

	(void)state;
	for (i = 0; i < 7; i++) {
		b[i] = push_bucket(m, 16, 1, 0x400000 + 0x1000 * i);
		set_cycle(m, b[i], ACTIVE, 1, 0, 16);
	}
	put_u64(m, b[0] + 8, b[4]); /* the oldest links back into the middle */
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_invalid, 1);
	check_eq(p.nr_buckets, 7);
	for (i = 0; i < p.nr_buckets; i++)
		for (j = i + 1; j < p.nr_buckets; j++)
			assert_true(p.buckets[i].pcs[0] != p.buckets[j].pcs[0]);

	put_u64(m, b[6] + 8, b[6]); /* the head links to itself */
	put_u64(m, G_MBUCKETS, b[6]);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 1);
	check_eq(p.nr_invalid, 1);
	goheap__free(h);
	free(m);
}

/* Unreadable globals fail; an unreadable bucket ends the walk; an unreadable record skips one. */
static void test_unreadable(void **state)
{
	struct fake_mem *m = mem_new(1, 1, true);
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	struct goheap_globals bad = globals;
	uint64_t b[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		b[i] = push_bucket(m, 16, 2, 0x400000 + 0x1000 * (uint64_t)i);
		set_cycle(m, b[i], ACTIVE, 2, 1, 16);
	}
	bad.memprofilerate = 0x1000;
	check_eq(goheap__read(h, &bad, fake_read, m, &p), -EFAULT);
	bad = globals;
	bad.mbuckets = MEM_BASE + MEM_SIZE - 4;
	check_eq(goheap__read(h, &bad, fake_read, m, &p), -EFAULT);
	bad = globals;
	bad.mprofcycle = 8;
	check_eq(goheap__read(h, &bad, fake_read, m, &p), -EFAULT);

	/* b[1]'s header unreadable: b[3], b[2] shown, the walk stops there. */
	m->hole_lo = b[1];
	m->hole_hi = b[1] + 8;
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 2);
	check_eq(p.nr_invalid, 1);
	find_bucket(&p, 0x403000);
	find_bucket(&p, 0x402000);

	/* Readable again: the whole list (the partial cache is not trusted). */
	m->hole_lo = m->hole_hi = 0;
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 4);
	check_eq(p.nr_invalid, 0);

	/* b[2]'s record unreadable: the span fails, its neighbours are read one by one. */
	m->hole_lo = b[2] + 48 + 16 + 8;
	m->hole_hi = m->hole_lo + 8;
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 3);
	check_eq(p.nr_invalid, 1);
	check_bucket(&p, 0x400000, 2, 1, 16);
	check_bucket(&p, 0x401000, 2, 1, 16);
	check_bucket(&p, 0x403000, 2, 1, 16);

	/* A list pointing outside the address space. */
	m->hole_lo = m->hole_hi = 0;
	put_u64(m, G_MBUCKETS, UINT64_MAX - 40);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.nr_buckets, 0);
	check_eq(p.nr_invalid, 1);
	goheap__free(h);
	free(m);
}

/* MemProfileRate 0: profiling off, nothing else read; negative: not a rate. */
static void test_rate_zero(void **state)
{
	struct fake_mem *m = mem_new(0, 1, true);
	struct goheap *h = goheap__new();
	struct goheap_profile p;
	uint64_t b = push_bucket(m, 16, 1, 0x401000);

	(void)state;
	set_cycle(m, b, ACTIVE, 1, 0, 16);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), 0);
	check_eq(p.rate, 0);
	check_eq(p.nr_buckets, 0);
	check_eq(m->reads, 1);
	check_u64(p.bytes_read, 8);
	put_u64(m, G_MEMPROFILERATE, (uint64_t)-5);
	check_eq(goheap__read(h, &globals, fake_read, m, &p), -EFAULT);
	goheap__free(h);
	free(m);
}

/* The opt-in writes the int64 rate at MemProfileRate, and only a positive one. */
static void test_enable_sampling(void **state)
{
	struct fake_mem *m = mem_new(0, 0, false);
	struct goheap_globals bad = globals;

	(void)state;
	put_u64(m, G_MEMPROFILERATE + 8, 0xdeadbeef);
	check_eq(goheap__enable_sampling(&globals, fake_write, m, 524288), 0);
	check_u64(get_u64(m, G_MEMPROFILERATE), 524288);
	check_hex(get_u64(m, G_MEMPROFILERATE + 8), 0xdeadbeef);
	check_u64(get_u64(m, G_MBUCKETS), 0);
	check_eq(goheap__enable_sampling(&globals, fake_write, m, 0), -EINVAL);
	check_eq(goheap__enable_sampling(&globals, fake_write, m, -1), -EINVAL);
	check_u64(get_u64(m, G_MEMPROFILERATE), 524288);
	bad.memprofilerate = 0x10;
	check_eq(goheap__enable_sampling(&bad, fake_write, m, 4096), -EFAULT);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fold_after_gc),   cmocka_unit_test(test_fold_without_gc),
	    cmocka_unit_test(test_empty_list),	    cmocka_unit_test(test_go_exp_pinned),
	    cmocka_unit_test(test_scale_pinned),    cmocka_unit_test(test_read_scales),
	    cmocka_unit_test(test_cache),	    cmocka_unit_test(test_cache_replaced),
	    cmocka_unit_test(test_garbage_buckets), cmocka_unit_test(test_loop),
	    cmocka_unit_test(test_unreadable),	    cmocka_unit_test(test_rate_zero),
	    cmocka_unit_test(test_enable_sampling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
