// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Root regions from maps (src/roots.h): module data with relro and .bss,
 * stacks from the stack pointer, glibc's [heap] and arena heaps, mappings
 * holding live blocks, untraced anonymous memory, what is never a root,
 * hostile maps, and a real forked child with a thread of its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "procmaps.h"
#include "procmem.h"
#include "roots.h"

/* --- helpers ------------------------------------------------------------------ */

static struct procmaps *maps_of(const char *text)
{
	struct procmaps *pm = NULL;
	int ret = procmaps__parse(text, strlen(text), &pm);

	if (ret)
		fail_msg("procmaps__parse returned %d for:\n%s", ret, text);
	return pm;
}

/* A synthetic target: a few 40-byte images (glibc heap_info headers); the rest unmapped. */
struct fake_image {
	uint64_t addr;
	uint64_t words[5];
};

struct fake_mem {
	const struct fake_image *images;
	size_t nr;
	unsigned int reads;
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *mem = ctx;
	size_t i;

	mem->reads++;
	for (i = 0; i < mem->nr; i++) {
		if (addr >= mem->images[i].addr &&
		    addr + len <= mem->images[i].addr + sizeof(mem->images[i].words)) {
			memcpy(buf,
			       (const char *)mem->images[i].words + (addr - mem->images[i].addr),
			       len);
			return 0;
		}
	}
	return -EFAULT;
}

/* Every read fails with a different error, or returns junk. */
static int junk_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	uint64_t *seed = ctx;
	size_t i;

	if (addr % 3 == 0)
		return -EIO;
	for (i = 0; i < len; i++)
		((unsigned char *)buf)[i] = (unsigned char)rng_next(seed);
	return 0;
}

struct collected {
	struct reach_region *regions;
	size_t nr;
	struct roots_stats stats;
};

/*
 * roots__collect, then what must hold of any output: sorted, not
 * overlapping, adjacent regions of one kind merged, every region inside
 * a mapping, the stats adding up to the mappings' bytes.
 */
static struct collected collect(const struct procmaps *pm, const struct reach_block *blocks,
				size_t nr_blocks, const uint64_t *sps, size_t nr_sps,
				mem_read_fn read, void *ctx)
{
	struct collected c = {0};
	uint64_t total = 0, accounted, by_kind[NR_ROOT_KINDS] = {0};
	size_t i;
	int ret;

	c.stats.nr_regions = 12345; /* must be overwritten */
	ret = roots__collect(pm, blocks, nr_blocks, sps, nr_sps, read, ctx, &c.regions, &c.nr,
			     &c.stats);
	check_eq(ret, 0);
	check_eq(c.stats.nr_regions, c.nr);
	for (i = 0; i < c.nr; i++) {
		const struct reach_region *r = &c.regions[i];
		const struct mapping *m = procmaps__find(pm, r->start);

		if (r->start >= r->end)
			fail_msg("region %zu is empty: %#" PRIx64 "-%#" PRIx64, i, r->start,
				 r->end);
		if (i && r->start < c.regions[i - 1].end)
			fail_msg("region %zu (%#" PRIx64 ") overlaps or precedes the one before", i,
				 r->start);
		if (i && r->start == c.regions[i - 1].end && r->kind == c.regions[i - 1].kind)
			fail_msg("regions %zu and %zu are adjacent, one kind, not merged", i - 1,
				 i);
		if (!m)
			fail_msg("region %zu (%#" PRIx64 ") is in no mapping", i, r->start);
		assert_true((unsigned)r->kind < NR_ROOT_KINDS);
		by_kind[r->kind] += r->end - r->start;
	}
	for (i = 0; i < NR_ROOT_KINDS; i++)
		check_u64(c.stats.bytes[i], by_kind[i]);
	for (i = 0; pm && i < pm->nr; i++)
		total += pm->maps[i].end - pm->maps[i].start;
	accounted = c.stats.heap_bytes_skipped + c.stats.skipped_bytes;
	for (i = 0; i < NR_ROOT_KINDS; i++)
		accounted += by_kind[i];
	check_u64(accounted, total);
	return c;
}

static const struct reach_region *region_at(const struct collected *c, uint64_t addr)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		if (addr >= c->regions[i].start && addr < c->regions[i].end)
			return &c->regions[i];
	return NULL;
}

/* The region holding start is exactly [start, end) of that kind. */
#define expect_region(c, start_, end_, kind_)                                                      \
	do {                                                                                       \
		const struct reach_region *r_ = region_at((c), (start_));                          \
		if (!r_)                                                                           \
			fail_msg("no region at %#llx, want %#llx-%#llx %s",                        \
				 (unsigned long long)(start_), (unsigned long long)(start_),       \
				 (unsigned long long)(end_), #kind_);                              \
		check_hex(r_->start, (start_));                                                    \
		check_hex(r_->end, (end_));                                                        \
		check_eq(r_->kind, (kind_));                                                       \
	} while (0)

/* No byte of [start, end) is in a region. */
#define expect_no_root(c, start_, end_)                                                            \
	do {                                                                                       \
		size_t i_;                                                                         \
		for (i_ = 0; i_ < (c)->nr; i_++)                                                   \
			if ((c)->regions[i_].start < (end_) && (c)->regions[i_].end > (start_))    \
				fail_msg("%#llx-%#llx should be no root; region %#" PRIx64         \
					 "-%#" PRIx64 " kind %d covers it",                        \
					 (unsigned long long)(start_), (unsigned long long)(end_), \
					 (c)->regions[i_].start, (c)->regions[i_].end,             \
					 (c)->regions[i_].kind);                                   \
	} while (0)

/* --- module data ---------------------------------------------------------------- */

/*
 * As a PIE, libc and ld.so map on glibc 2.36 (from a real process): text,
 * rodata, relro (contiguous in file and memory with .data), .data, .bss
 * past the file. ld.so's .bss fits its last file page.
 */
static const char module_maps[] =
    "559655cea000-559655ceb000 r--p 00000000 fe:00 10953203   /tmp/mt\n"
    "559655ceb000-559655cec000 r-xp 00001000 fe:00 10953203   /tmp/mt\n"
    "559655cec000-559655ced000 r--p 00002000 fe:00 10953203   /tmp/mt\n"
    "559655ced000-559655cee000 r--p 00002000 fe:00 10953203   /tmp/mt\n"
    "559655cee000-559655cef000 rw-p 00003000 fe:00 10953203   /tmp/mt\n"
    "559655cef000-559655def000 rw-p 00000000 00:00 0 \n"
    "7f6c25afe000-7f6c25b24000 r--p 00000000 fe:00 332835     /usr/lib/libc.so.6\n"
    "7f6c25b24000-7f6c25c7a000 r-xp 00026000 fe:00 332835     /usr/lib/libc.so.6\n"
    "7f6c25c7a000-7f6c25ccd000 r--p 0017c000 fe:00 332835     /usr/lib/libc.so.6\n"
    "7f6c25ccd000-7f6c25cd1000 r--p 001cf000 fe:00 332835     /usr/lib/libc.so.6\n"
    "7f6c25cd1000-7f6c25cd3000 rw-p 001d3000 fe:00 332835     /usr/lib/libc.so.6\n"
    "7f6c25cd3000-7f6c25ce0000 rw-p 00000000 00:00 0 \n"
    "7f6c25ce2000-7f6c25ceb000 rw-p 00000000 00:00 0 \n"
    "7f6c25cf5000-7f6c25cf6000 r--p 00000000 fe:00 332383     /usr/lib/ld-linux-x86-64.so.2\n"
    "7f6c25cf6000-7f6c25d1c000 r-xp 00001000 fe:00 332383     /usr/lib/ld-linux-x86-64.so.2\n"
    "7f6c25d1c000-7f6c25d26000 r--p 00027000 fe:00 332383     /usr/lib/ld-linux-x86-64.so.2\n"
    "7f6c25d26000-7f6c25d28000 r--p 00031000 fe:00 332383     /usr/lib/ld-linux-x86-64.so.2\n"
    "7f6c25d28000-7f6c25d2a000 rw-p 00033000 fe:00 332383     /usr/lib/ld-linux-x86-64.so.2\n"
    "7f6c25d2b000-7f6c25d2c000 rw-p 00000000 00:00 0 \n";

static void test_roots_module_data(void **state)
{
	struct procmaps *pm = maps_of(module_maps);
	struct collected c;

	(void)state;
	c = collect(pm, NULL, 0, NULL, 0, NULL, NULL);
	/* relro + .data + .bss as one region; rodata (not file-contiguous) is not in it. */
	expect_region(&c, 0x559655ced000, 0x559655def000, ROOT_GLOBALS);
	expect_no_root(&c, 0x559655cea000, 0x559655ced000);
	expect_region(&c, 0x7f6c25ccd000, 0x7f6c25ce0000, ROOT_GLOBALS);
	expect_no_root(&c, 0x7f6c25afe000, 0x7f6c25ccd000);
	/* Not adjacent to libc's .bss: another anonymous mapping, untraced. */
	expect_region(&c, 0x7f6c25ce2000, 0x7f6c25ceb000, ROOT_UNTRACED);
	expect_region(&c, 0x7f6c25d26000, 0x7f6c25d2a000, ROOT_GLOBALS);
	expect_no_root(&c, 0x7f6c25cf5000, 0x7f6c25d26000);
	/* A page gap after ld.so's data: not its .bss. */
	expect_region(&c, 0x7f6c25d2b000, 0x7f6c25d2c000, ROOT_UNTRACED);
	check_eq(c.nr, 5);
	check_u64(c.stats.bytes[ROOT_GLOBALS],
		  0x102000 + (0x7f6c25ce0000 - 0x7f6c25ccd000) + 0x4000);
	check_u64(c.stats.bytes[ROOT_UNTRACED], 0x9000 + 0x1000);
	check_u64(c.stats.heap_bytes_skipped, 0);
	free(c.regions);
	procmaps__free(pm);
}

static void test_roots_relro_needs_same_file_and_contiguity(void **state)
{
	/* Each read-only mapping before the data fails one condition. */
	struct procmaps *pm =
	    maps_of("10000-11000 r--p 00005000 08:01 7   /lib/a.so\n" /* other inode */
		    "11000-12000 rw-p 00006000 08:01 8   /lib/b.so\n"
		    "20000-21000 r--p 00001000 08:01 9   /lib/c.so\n" /* file gap */
		    "21000-22000 rw-p 00006000 08:01 9   /lib/c.so\n"
		    "30000-31000 r--p 00005000 08:01 10  /lib/d.so\n"
		    "32000-33000 rw-p 00006000 08:01 10  /lib/d.so\n" /* address gap */
		    "40000-41000 r-xp 00005000 08:01 11  /lib/e.so\n" /* text */
		    "41000-42000 rw-p 00006000 08:01 11  /lib/e.so\n"
		    "50000-51000 r--p 00005000 09:01 12  /lib/f.so\n" /* other dev */
		    "51000-52000 rw-p 00006000 08:01 12  /lib/f.so\n"
		    "60000-61000 r--s 00005000 08:01 13  /lib/g.so\n" /* shared */
		    "61000-62000 rw-p 00006000 08:01 13  /lib/g.so\n"
		    "70000-71000 r--p 00005000 08:01 14  /lib/h.so\n" /* the good one */
		    "71000-72000 rw-p 00006000 08:01 14  /lib/h.so\n");
	struct collected c;

	(void)state;
	c = collect(pm, NULL, 0, NULL, 0, NULL, NULL);
	expect_no_root(&c, 0x10000, 0x11000);
	expect_no_root(&c, 0x20000, 0x21000);
	expect_no_root(&c, 0x30000, 0x31000);
	expect_no_root(&c, 0x40000, 0x41000);
	expect_no_root(&c, 0x50000, 0x51000);
	expect_no_root(&c, 0x60000, 0x61000);
	expect_region(&c, 0x11000, 0x12000, ROOT_GLOBALS);
	expect_region(&c, 0x70000, 0x72000, ROOT_GLOBALS);
	check_eq(c.nr, 7);
	free(c.regions);
	procmaps__free(pm);
}

/* Private writable file mappings are data; shared ones and devices are not. */
static void test_roots_file_mappings(void **state)
{
	struct procmaps *pm =
	    maps_of("10000-12000 rw-p 00000000 08:01 20  /var/data.bin\n"
		    "12000-13000 rw-p 00000000 00:00 0 \n" /* after it: .bss-like */
		    "20000-22000 rw-s 00000000 08:01 21  /var/shared.db\n"
		    "22000-23000 rw-p 00000000 00:00 0 \n" /* after shared: untraced */
		    "30000-31000 rw-s 00000000 00:01 22  /memfd:pool (deleted)\n"
		    "40000-41000 rw-s 00000000 00:01 23  /SYSV00000001 (deleted)\n"
		    "50000-51000 rw-p 00000000 00:05 24  /dev/dri/card0\n"
		    "60000-61000 rw-s 00000000 00:05 25  /dev/fb0\n"
		    "70000-71000 rw-p 00000000 08:01 26  /tmp/gone (deleted)\n"
		    "80000-81000 r--p 00000000 08:01 27  /usr/share/locale.bin\n");
	struct collected c;

	(void)state;
	c = collect(pm, NULL, 0, NULL, 0, NULL, NULL);
	expect_region(&c, 0x10000, 0x13000, ROOT_GLOBALS);
	expect_no_root(&c, 0x20000, 0x22000);
	expect_region(&c, 0x22000, 0x23000, ROOT_UNTRACED);
	expect_no_root(&c, 0x30000, 0x61000);
	expect_region(&c, 0x70000, 0x71000, ROOT_GLOBALS);
	expect_no_root(&c, 0x80000, 0x81000);
	check_eq(c.nr, 3);
	check_u64(c.stats.skipped_bytes, 0x2000 + 4 * 0x1000 + 0x1000);
	free(c.regions);
	procmaps__free(pm);
}

/* A live block in module data (another allocator's pool in .bss) is carved out, not scanned. */
static void test_roots_globals_less_blocks(void **state)
{
	struct procmaps *pm = maps_of("10000-11000 r--p 00005000 08:01 14  /lib/h.so\n"
				      "11000-12000 rw-p 00006000 08:01 14  /lib/h.so\n"
				      "12000-20000 rw-p 00000000 00:00 0 \n");
	struct reach_block blocks[] = {
	    {.addr = 0xf000, .size = 0x1800}, /* starts before, reaches in */
	    {.addr = 0x13000, .size = 0x100},
	    {.addr = 0x13100, .size = 0},      /* malloc(0): one byte */
	    {.addr = 0x1f000, .size = 0x5000}, /* runs past the end */
	};
	struct collected c;

	(void)state;
	c = collect(pm, blocks, 4, NULL, 0, NULL, NULL);
	expect_region(&c, 0x10800, 0x13000, ROOT_GLOBALS);
	expect_region(&c, 0x13101, 0x1f000, ROOT_GLOBALS);
	check_eq(c.nr, 2);
	check_u64(c.stats.heap_bytes_skipped, 0x800 + 0x101 + 0x1000);
	free(c.regions);
	procmaps__free(pm);
}

/* --- stacks ----------------------------------------------------------------------- */

static const char stack_maps[] =
    "7f6c242f8000-7f6c242f9000 ---p 00000000 00:00 0 \n"
    "7f6c242f9000-7f6c24af9000 rw-p 00000000 00:00 0 \n"
    "7f6c24af9000-7f6c24afa000 ---p 00000000 00:00 0 \n"
    "7f6c24afa000-7f6c252fa000 rw-p 00000000 00:00 0 \n"
    "7f6c252fa000-7f6c252fb000 ---p 00000000 00:00 0 \n"
    "7f6c252fb000-7f6c25afb000 rw-p 00000000 00:00 0 \n"
    "7ffc465ca000-7ffc465eb000 rw-p 00000000 00:00 0          [stack]\n";

static void test_roots_stacks(void **state)
{
	struct procmaps *pm = maps_of(stack_maps);
	uint64_t sps[] = {
	    0x7ffc465e9f18,		    /* main thread */
	    0x7f6c24af8e00,		    /* thread 1 */
	    0x7f6c24afa040,		    /* thread 2, less than a red zone above the bottom */
	    0x7f6c25af0000, 0x7f6c25aef000, /* two threads in one mapping: from the lower */
	    0x1234,			    /* in no mapping */
	    0x7f6c242f8800,		    /* in a guard page: not writable */
	};
	struct collected c;

	(void)state;
	c = collect(pm, NULL, 0, sps, sizeof(sps) / sizeof(sps[0]), NULL, NULL);
	expect_region(&c, 0x7ffc465e9f18 - ROOTS_RED_ZONE, 0x7ffc465eb000, ROOT_STACK);
	expect_region(&c, 0x7f6c24af8e00 - ROOTS_RED_ZONE, 0x7f6c24af9000, ROOT_STACK);
	expect_region(&c, 0x7f6c24afa000, 0x7f6c252fa000, ROOT_STACK);
	expect_region(&c, 0x7f6c25aef000 - ROOTS_RED_ZONE, 0x7f6c25afb000, ROOT_STACK);
	expect_no_root(&c, 0x7f6c242f8000, 0x7f6c24af8e00 - ROOTS_RED_ZONE);
	check_eq(c.nr, 4);
	/* Guard pages and the dead stack below each sp are neither root nor heap. */
	check_u64(c.stats.skipped_bytes, 3 * 0x1000 +
					     (0x7ffc465e9f18 - ROOTS_RED_ZONE - 0x7ffc465ca000) +
					     (0x7f6c24af8e00 - ROOTS_RED_ZONE - 0x7f6c242f9000) +
					     (0x7f6c25aef000 - ROOTS_RED_ZONE - 0x7f6c252fb000));
	check_u64(c.stats.bytes[ROOT_UNTRACED], 0);
	free(c.regions);

	/* No stack pointer at all: every stack is untraced memory, scanned whole. */
	c = collect(pm, NULL, 0, NULL, 0, NULL, NULL);
	expect_region(&c, 0x7ffc465ca000, 0x7ffc465eb000, ROOT_UNTRACED);
	expect_region(&c, 0x7f6c242f9000, 0x7f6c24af9000, ROOT_UNTRACED);
	check_eq(c.nr, 4);
	free(c.regions);
	procmaps__free(pm);
}

/* --- the allocator's heap --------------------------------------------------------- */

#define GLIBC_ARENA_ALIGN (64ULL << 20)
#define ARENA1		  0x7f6c18000000ULL /* multiples of glibc's HEAP_MAX_SIZE (64 MiB) */
#define ARENA2		  0x7f6c1c000000ULL
#define ARENA3		  0x7f6c20000000ULL
#define ARENA4		  0x7f6c24000000ULL
#define ARENA5		  0x7f6c28000000ULL
#define ARENA6		  0x7f6c2c000000ULL
#define ARENA7		  0x7f6c34000000ULL
#define ARENA8		  0x7f6c38000000ULL
#define ARENA9		  0x7f6c3c000000ULL
#define ARENA10		  0x7f6c40000000ULL
#define ARENA11		  0x7f6c44000000ULL
#define ARENA12		  0x7f6c48000000ULL
#define ARENA13		  0x7f6c50000000ULL
#define ARENA14		  0x7f6c58000000ULL

/*
 * Arena heaps as glibc 2.36 lays them out (seen in a real process): rw
 * for mprotect_size bytes, the rest of the 64 MiB PROT_NONE. Only the
 * first has a valid header; the others each fail one check.
 */
static const char arena_maps[] = "55967b18f000-55967b1b0000 rw-p 00000000 00:00 0   [heap]\n"
				 "7f6c18000000-7f6c18021000 rw-p 00000000 00:00 0 \n"
				 "7f6c18021000-7f6c1c000000 ---p 00000000 00:00 0 \n"
				 "7f6c1c000000-7f6c1c021000 rw-p 00000000 00:00 0 \n"
				 "7f6c1c021000-7f6c20000000 ---p 00000000 00:00 0 \n"
				 "7f6c20000000-7f6c20021000 rw-p 00000000 00:00 0 \n"
				 "7f6c20021000-7f6c24000000 ---p 00000000 00:00 0 \n"
				 "7f6c24000000-7f6c24021000 rw-p 00000000 00:00 0 \n"
				 "7f6c24021000-7f6c28000000 ---p 00000000 00:00 0 \n"
				 "7f6c28000000-7f6c28021000 rw-p 00000000 00:00 0 \n"
				 "7f6c28021000-7f6c2c000000 ---p 00000000 00:00 0 \n"
				 "7f6c2c000000-7f6c2c021000 rw-p 00000000 00:00 0 \n"
				 "7f6c30001000-7f6c30022000 rw-p 00000000 00:00 0 \n"
				 "7f6c34000000-7f6c34021000 rw-p 00000000 00:00 0 \n"
				 "7f6c38000000-7f6c38021000 rw-p 00000000 00:00 0 \n"
				 "7f6c3c000000-7f6c3c040000 rw-p 00000000 00:00 0 \n"
				 "7f6c3c040000-7f6c40000000 ---p 00000000 00:00 0 \n"
				 "7f6c40000000-7f6c40400000 rw-p 00000000 00:00 0 \n"
				 "7f6c44000000-7f6c44021000 rw-p 00000000 00:00 0 \n"
				 "7f6c48000000-7f6c4c021000 rw-p 00000000 00:00 0 \n"
				 "7f6c50000000-7f6c54021000 rw-p 00000000 00:00 0 \n"
				 "7f6c58000000-7f6c5c021000 rw-p 00000000 00:00 0 \n";

static void test_roots_glibc_heaps(void **state)
{
	const struct fake_image images[] = {
	    /* ar_ptr, prev, size, mprotect_size, pagesize: what glibc 2.36 wrote. */
	    {ARENA1, {ARENA1 + 0x30, 0, 0x21000, 0x21000, 0x1000}},
	    {ARENA2, {ARENA1 + 0x30, 0, 0x21000, 0x22000, 0x1000}}, /* not this mapping's length */
	    {ARENA3, {ARENA1 + 0x30, 0, 0x22000, 0x21000, 0x1000}}, /* size above mprotect_size */
	    {ARENA4, {ARENA1 + 0x30, 0, 0x21000, 0x21000, 0x1800}}, /* page size not a power of 2 */
	    {ARENA5, {ARENA1 + 0x30, 0, 0x21000, 0x21000, 0x800}},  /* page size too small */
	    /* ARENA6: unreadable. 0x7f6c30001000: a good header, not aligned. */
	    {0x7f6c30001000, {ARENA1 + 0x30, 0, 0x21000, 0x21000, 0x1000}},
	    {ARENA7, {0, 0, 0x21000, 0x21000, 0x1000}},			 /* no arena */
	    {ARENA8, {ARENA1 + 0x30, 0, 0, 0x21000, 0x1000}},		 /* nothing in use */
	    {ARENA9, {ARENA1 + 0x30, ARENA1, 0x21000, 0x40000, 0x1000}}, /* 2nd heap, shrunk */
	    {ARENA10, {ARENA1 + 0x30, 0, 0x200000, 0x400000, 0x200000}}, /* huge pages */
	    {ARENA11, {ARENA1 + 0x30, 0, 0x21000, 0x21000, 0x2000}},	 /* length not in pages */
	    /* A full heap and the arena's next one, merged into one mapping by the kernel. */
	    {ARENA12, {ARENA12 + 0x30, 0, 0x4000000, 0x4000000, 0x1000}},
	    {ARENA12 + GLIBC_ARENA_ALIGN, {ARENA12 + 0x30, ARENA12, 0x21000, 0x21000, 0x1000}},
	    /* The same, but what follows the full heap is no heap. */
	    {ARENA13, {ARENA13 + 0x30, 0, 0x4000000, 0x4000000, 0x1000}},
	    {ARENA13 + GLIBC_ARENA_ALIGN, {0, 0, 0x21000, 0x21000, 0x1000}},
	    /* A heap that is not full cannot have merged with the next one. */
	    {ARENA14, {ARENA14 + 0x30, 0, 0x21000, 0x21000, 0x1000}},
	    {ARENA14 + GLIBC_ARENA_ALIGN, {ARENA14 + 0x30, ARENA14, 0x21000, 0x21000, 0x1000}},
	};
	struct fake_mem mem = {images, sizeof(images) / sizeof(images[0]), 0};
	struct procmaps *pm = maps_of(arena_maps);
	struct collected c;

	(void)state;
	c = collect(pm, NULL, 0, NULL, 0, fake_read, &mem);
	expect_no_root(&c, 0x55967b18f000, 0x55967b1b0000);
	expect_no_root(&c, ARENA1, ARENA2);
	expect_region(&c, ARENA2, ARENA2 + 0x21000, ROOT_UNTRACED);
	expect_region(&c, ARENA3, ARENA3 + 0x21000, ROOT_UNTRACED);
	expect_region(&c, ARENA4, ARENA4 + 0x21000, ROOT_UNTRACED);
	expect_region(&c, ARENA5, ARENA5 + 0x21000, ROOT_UNTRACED);
	expect_region(&c, ARENA6, ARENA6 + 0x21000, ROOT_UNTRACED);
	expect_region(&c, 0x7f6c30001000, 0x7f6c30022000, ROOT_UNTRACED);
	expect_region(&c, ARENA7, ARENA7 + 0x21000, ROOT_UNTRACED);
	expect_region(&c, ARENA8, ARENA8 + 0x21000, ROOT_UNTRACED);
	expect_no_root(&c, ARENA9, ARENA10 + 0x400000);
	expect_region(&c, ARENA11, ARENA11 + 0x21000, ROOT_UNTRACED);
	expect_no_root(&c, ARENA12, ARENA12 + GLIBC_ARENA_ALIGN + 0x21000);
	expect_region(&c, ARENA13, ARENA13 + GLIBC_ARENA_ALIGN + 0x21000, ROOT_UNTRACED);
	expect_region(&c, ARENA14, ARENA14 + GLIBC_ARENA_ALIGN + 0x21000, ROOT_UNTRACED);
	check_eq(c.nr, 11);
	check_u64(c.stats.heap_bytes_skipped,
		  0x21000 + 0x21000 + 0x40000 + 0x400000 + GLIBC_ARENA_ALIGN + 0x21000);
	/* Only aligned mappings are read: one header each. */
	check_eq(mem.reads, 16);
	free(c.regions);

	/* Without a reader nothing is taken for an arena. */
	c = collect(pm, NULL, 0, NULL, 0, NULL, NULL);
	expect_region(&c, ARENA1, ARENA1 + 0x21000, ROOT_UNTRACED);
	expect_no_root(&c, 0x55967b18f000, 0x55967b1b0000);
	free(c.regions);
	procmaps__free(pm);
}

/* Any anonymous mapping with a live block in it is the allocator's; [heap] always is. */
static void test_roots_mappings_with_blocks(void **state)
{
	struct procmaps *pm = maps_of("10000-20000 rw-p 00000000 00:00 0 \n"
				      "20000-50000 rw-p 00000000 00:00 0 \n" /* a 128+ KiB block */
				      "50000-60000 rw-p 00000000 00:00 0 \n"
				      "60000-70000 rw-p 00000000 00:00 0   [anon:pool]\n"
				      "70000-80000 rw-p 00000000 00:00 0   [heap]\n");
	struct reach_block blocks[] = {
	    {.addr = 0x1fff0, .size = 0x100}, /* starts in the first, runs into the second */
	    {.addr = 0x20010, .size = 0x2fff0},
	    {.addr = 0x60000, .size = 0},
	};
	struct collected c;

	(void)state;
	c = collect(pm, blocks, 3, NULL, 0, NULL, NULL);
	expect_no_root(&c, 0x10000, 0x50000);
	expect_region(&c, 0x50000, 0x60000, ROOT_UNTRACED);
	expect_no_root(&c, 0x60000, 0x80000);
	check_eq(c.nr, 1);
	check_u64(c.stats.heap_bytes_skipped, 0x60000);
	free(c.regions);
	procmaps__free(pm);
}

/*
 * glibc's mmapped chunks (blocks over the mmap threshold) merged by the
 * kernel with a plain anonymous mmap between them: the chunks' pages are
 * the allocator's, the rest is untraced memory and a root.
 */
static const char chunk_maps[] = "100000-200000 rw-p 00000000 00:00 0 \n";

static const struct fake_image chunk_headers[] = {
    {0x120000, {0, 0x31000 | 0x2}},	/* malloc(200000): one chunk from its first page */
    {0x180ff0, {0xff0, 0x20010 | 0x2}}, /* memalign(4096): the chunk 0xff0 into its pages */
};

static void test_roots_mmapped_chunks(void **state)
{
	struct fake_image bad_headers[2];
	struct fake_mem mem = {chunk_headers, 2, 0};
	struct procmaps *pm = maps_of(chunk_maps);
	struct reach_block blocks[] = {
	    {.addr = 0x120010, .size = 200000},
	    {.addr = 0x181000, .size = 0x1f000},
	};
	uint64_t sp = 0x130000;
	struct collected c;
	size_t i;

	(void)state;
	c = collect(pm, blocks, 2, NULL, 0, fake_read, &mem);
	expect_region(&c, 0x100000, 0x120000, ROOT_UNTRACED);
	expect_region(&c, 0x151000, 0x180000, ROOT_UNTRACED);
	expect_region(&c, 0x1a1000, 0x200000, ROOT_UNTRACED);
	check_eq(c.nr, 3);
	check_u64(c.stats.heap_bytes_skipped, 0x31000 + 0x21000);
	free(c.regions);

	/* A thread running on the first block (a coroutine's stack). */
	c = collect(pm, blocks, 2, &sp, 1, fake_read, &mem);
	expect_region(&c, 0x130000 - ROOTS_RED_ZONE, 0x120010 + 200000, ROOT_STACK);
	expect_region(&c, 0x151000, 0x180000, ROOT_UNTRACED);
	check_eq(c.nr, 4);
	free(c.regions);

	/* Any block that is no mmapped chunk: the mapping is a heap, no root at all. */
	for (i = 0; i < 5; i++) {
		memcpy(bad_headers, chunk_headers, sizeof(bad_headers));
		if (i == 0)
			bad_headers[1].words[1] &= ~0x2ULL; /* not IS_MMAPPED */
		else if (i == 1)
			bad_headers[1].words[0] = 0x81000; /* pages start before the mapping */
		else if (i == 2)
			bad_headers[1].words[1] = 0x80010 | 0x2; /* ends past the mapping */
		else if (i == 3)
			bad_headers[1].words[1] = 0x1e010 | 0x2; /* shorter than the block */
		else
			bad_headers[1].words[0] = 0xfe0; /* pages not page-aligned */
		mem = (struct fake_mem){bad_headers, 2, 0};
		c = collect(pm, blocks, 2, NULL, 0, fake_read, &mem);
		if (c.nr)
			fail_msg("header variant %zu: %zu regions, want none", i, c.nr);
		check_u64(c.stats.heap_bytes_skipped, 0x100000);
		free(c.regions);
	}
	procmaps__free(pm);
}

/*
 * A thread running on a live block (a coroutine's malloc'd stack): the
 * block from sp up is its stack. On the heap but no block: nothing (not
 * the rest of the heap).
 */
static void test_roots_stack_on_a_block(void **state)
{
	struct procmaps *pm = maps_of("10000-90000 rw-p 00000000 00:00 0   [heap]\n");
	struct reach_block blocks[] = {
	    {.addr = 0x20000, .size = 0x10000},
	    {.addr = 0x40000, .size = 0x10000},
	};
	uint64_t sps[] = {0x2f000, 0x2e000, 0x40010, 0x60000};
	struct collected c;

	(void)state;
	c = collect(pm, blocks, 2, sps, 4, NULL, NULL);
	expect_region(&c, 0x2e000 - ROOTS_RED_ZONE, 0x30000, ROOT_STACK);
	expect_region(&c, 0x40000, 0x50000, ROOT_STACK);
	check_eq(c.nr, 2);
	check_u64(c.stats.heap_bytes_skipped,
		  0x80000 - (0x30000 - 0x2e000 + ROOTS_RED_ZONE) - 0x10000);
	free(c.regions);
	procmaps__free(pm);
}

/* --- untraced memory and what is never a root ---------------------------------------- */

static void test_roots_untraced_and_never(void **state)
{
	struct procmaps *pm =
	    maps_of("10000-11000 rw-p 00000000 00:00 0 \n"
		    "12000-13000 rw-p 00000000 00:00 0   [anon:my pool]\n"
		    "14000-15000 rw-p 00000000 00:05 4   /dev/zero\n"
		    "16000-17000 rwxp 00000000 00:00 0 \n" /* a JIT's code cache */
		    "18000-19000 rw-s 00000000 00:01 1027   /dev/zero (deleted)\n"
		    "1a000-1b000 rw-s 00000000 00:01 1028   [anon_shmem:ring]\n"
		    "1c000-1d000 r--p 00000000 00:00 0 \n"
		    "1e000-1f000 -w-p 00000000 00:00 0 \n"
		    "20000-21000 ---p 00000000 00:00 0 \n"
		    "22000-23000 rw-p 00000000 00:00 0   [stack:1234]\n"
		    "24000-25000 rw-p 00000000 00:00 0   [weird]\n"
		    "26000-27000 rw-p 00000000 00:0e 9   anon_inode:dmabuf\n"
		    "7f3190312000-7f3190314000 r--p 00000000 00:00 0   [vvar]\n"
		    "7f3190314000-7f3190316000 r-xp 00000000 00:00 0   [vdso]\n"
		    "7fff00000000-7fff00001000 r-xp 00000000 00:00 0   [uprobes]\n"
		    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0   [vsyscall]\n");
	struct collected c;

	(void)state;
	c = collect(pm, NULL, 0, NULL, 0, NULL, NULL);
	expect_region(&c, 0x10000, 0x11000, ROOT_UNTRACED);
	expect_region(&c, 0x12000, 0x13000, ROOT_UNTRACED);
	expect_region(&c, 0x14000, 0x15000, ROOT_UNTRACED);
	expect_region(&c, 0x16000, 0x17000, ROOT_UNTRACED);
	expect_region(&c, 0x22000, 0x23000, ROOT_UNTRACED);
	expect_no_root(&c, 0x18000, 0x22000);
	expect_no_root(&c, 0x24000, UINT64_MAX);
	check_eq(c.nr, 5);
	check_u64(c.stats.heap_bytes_skipped, 0);
	free(c.regions);
	procmaps__free(pm);
}

/* A thread whose sp is in a writable mapping that is otherwise no root: still its stack. */
static void test_roots_stack_anywhere_writable(void **state)
{
	struct procmaps *pm = maps_of("10000-20000 rw-s 00000000 00:01 1027   /dev/zero (deleted)\n"
				      "20000-30000 rw-p 00006000 08:01 14  /lib/h.so\n");
	uint64_t sps[] = {0x18000, 0x28000};
	struct collected c;

	(void)state;
	c = collect(pm, NULL, 0, sps, 2, NULL, NULL);
	expect_region(&c, 0x18000 - ROOTS_RED_ZONE, 0x20000, ROOT_STACK);
	/* In module data (a coroutine stack in .bss): the data is scanned whole anyway. */
	expect_region(&c, 0x20000, 0x30000, ROOT_GLOBALS);
	check_eq(c.nr, 2);
	free(c.regions);
	procmaps__free(pm);
}

/* --- untrusted input ---------------------------------------------------------------- */

static const char *const odd_names[] = {
    "",	      "[heap]",	      "[stack]",   "[anon:]",	"[anon:x]",	      "[stack:1]",
    "[vvar]", "/dev/zero",    "/dev/null", "/lib/x.so", "/memfd:a (deleted)", "[",
    "]",      "anon_inode:x", "/",
};

/* Random maps (names, perms, adjacency), blocks, sps and reads: always a valid answer. */
static void test_roots_hostile(void **state)
{
	static const char perms[][5] = {"rw-p", "r--p", "rw-s", "---p", "rwxp", "r-xp"};
	uint64_t seed = 0x9e3779b97f4a7c15ULL, addr, sps[64];
	struct reach_block blocks[256];
	size_t nr_blocks, len, i, round;
	struct procmaps *pm;
	struct collected c;
	char *text;

	(void)state;
	text = malloc(1 << 20);
	assert_non_null(text);
	for (round = 0; round < 200; round++) {
		addr = (rng_next(&seed) % 4) ? 0x10000 : 0xffffffff00000000ULL;
		len = 0;
		for (i = 0; i < 300 && addr < 0xfffffffffff00000ULL; i++) {
			uint64_t size = 0x1000 * (1 + rng_next(&seed) % 16);
			unsigned long inode = rng_next(&seed) % 3 ? 0 : 1 + rng_next(&seed) % 3;

			if (rng_next(&seed) % 3 == 0)
				addr += 0x1000; /* a gap */
			if (rng_next(&seed) % 8 == 0 && addr < 0xfffffffff0000000ULL)
				addr = (addr + GLIBC_ARENA_ALIGN - 1) & ~(GLIBC_ARENA_ALIGN - 1);
			len += (size_t)snprintf(
			    text + len, (1 << 20) - len,
			    "%" PRIx64 "-%" PRIx64 " %s %08" PRIx64 " 08:01 %lu %s\n", addr,
			    addr + size, perms[rng_next(&seed) % 6], rng_next(&seed) % 4 * 0x1000,
			    inode, odd_names[rng_next(&seed) % 15]);
			addr += size;
		}
		pm = maps_of(text);
		nr_blocks = 0;
		addr = 0;
		while (nr_blocks < 256) {
			addr += rng_next(&seed) % 0x8000;
			blocks[nr_blocks++] = (struct reach_block){
			    .addr = 0x10000 + addr, .size = rng_next(&seed) % 0x4000};
			addr += blocks[nr_blocks - 1].size + 1;
		}
		for (i = 0; i < 64; i++)
			sps[i] = i % 8 ? 0x10000 + rng_next(&seed) % 0x200000 : rng_next(&seed);
		c = collect(pm, blocks, nr_blocks, sps, 64, junk_read, &seed);
		free(c.regions);
		procmaps__free(pm);
	}
	free(text);

	/* Nothing at all. */
	c = collect(NULL, NULL, 0, NULL, 0, NULL, NULL);
	check_eq(c.nr, 0);
	free(c.regions);
}

/* --- a real process ----------------------------------------------------------------- */

/* glibc's own, also under ASan. */
extern void *__libc_malloc(size_t size);
extern int __libc_mallopt(int param, int value);

struct child_report {
	uint64_t heap_block;  /* from the main thread: glibc's [heap] */
	uint64_t arena_block; /* from a thread: a glibc arena heap */
	uint64_t main_sp;
	uint64_t thread_sp;
	uint64_t big_blocks[2]; /* over the mmap threshold: mmapped chunks */
	uint64_t pool;		/* a plain anonymous mmap between them */
};

#define BIG_BLOCK_SIZE 200000
#define POOL_SIZE      (1 << 20)

static int report_fd = -1;

static int cmp_block_addr(const void *a, const void *b)
{
	uint64_t x = ((const struct reach_block *)a)->addr,
		 y = ((const struct reach_block *)b)->addr;

	return x < y ? -1 : x > y;
}

static void *child_thread(void *arg)
{
	struct child_report *report = arg;
	volatile char local = 0;

	report->arena_block = (uint64_t)(uintptr_t)__libc_malloc(100);
	report->thread_sp = (uint64_t)(uintptr_t)&local;
	if (write(report_fd, report, sizeof(*report)) != (ssize_t)sizeof(*report))
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

static void child_main(int fd)
{
	static struct child_report report;
	volatile char local = 0;
	pthread_t thread;

	alarm(60); /* never outlives a failed test */
	report_fd = fd;
	report.heap_block = (uint64_t)(uintptr_t)__libc_malloc(100);
	report.main_sp = (uint64_t)(uintptr_t)&local;
	/* Likely merged into one mapping by the kernel; classified the same either way. */
	/* Fixed, so that frees in the test process before the fork do not raise it. */
	__libc_mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	report.big_blocks[0] = (uint64_t)(uintptr_t)__libc_malloc(BIG_BLOCK_SIZE);
	report.pool = (uint64_t)(uintptr_t)mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	report.big_blocks[1] = (uint64_t)(uintptr_t)__libc_malloc(BIG_BLOCK_SIZE);
	if (pthread_create(&thread, NULL, child_thread, &report))
		_exit(1);
	for (;;)
		pause();
}

static const struct mapping *libc_data(const struct procmaps *pm)
{
	const char *base;
	size_t i;

	for (i = 0; i < pm->nr; i++) {
		base = strrchr(pm->maps[i].path, '/');
		if (base && !strncmp(base, "/libc.so", 8) && pm->maps[i].writable)
			return &pm->maps[i];
	}
	return NULL;
}

/*
 * A forked child with a thread, each having malloc'd from glibc: its
 * [stack] and the thread's stack are stacks from their sp, libc's relro,
 * .data and .bss module data, [heap] and the thread's arena heap (checked
 * through its real heap_info) no root.
 */
static void test_roots_real_process(void **state)
{
	struct child_report report;
	struct procmaps *pm = NULL;
	const struct mapping *data, *heap, *arena, *stack, *tstack;
	struct reach_block blocks[4];
	const struct reach_region *pool;
	struct procmem mem = {0};
	struct collected with_blocks = {0}, without_blocks = {0};
	uint64_t sps[2];
	int fds[2], status, err;
	pid_t child;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		child_main(fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &report, sizeof(report)) != (ssize_t)sizeof(report)) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		fail_msg("the child reported nothing");
	}
	close(fds[0]);
	err = procmaps__read(child, &pm);
	mem.pid = child;
	sps[0] = report.main_sp;
	sps[1] = report.thread_sp;
	blocks[0] = (struct reach_block){.addr = report.heap_block, .size = 100};
	blocks[1] = (struct reach_block){.addr = report.arena_block, .size = 100};
	blocks[2] = (struct reach_block){.addr = report.big_blocks[0], .size = BIG_BLOCK_SIZE};
	blocks[3] = (struct reach_block){.addr = report.big_blocks[1], .size = BIG_BLOCK_SIZE};
	qsort(blocks, 4, sizeof(blocks[0]), cmp_block_addr);
	if (!err) {
		with_blocks = collect(pm, blocks, 4, sps, 2, procmem__read, &mem);
		without_blocks = collect(pm, NULL, 0, sps, 2, procmem__read, &mem);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	check_eq(err, 0);

	stack = procmaps__find(pm, report.main_sp);
	assert_non_null(stack);
	assert_string_equal(stack->path, "[stack]");
	expect_region(&without_blocks, report.main_sp - ROOTS_RED_ZONE, stack->end, ROOT_STACK);
	tstack = procmaps__find(pm, report.thread_sp);
	assert_non_null(tstack);
	expect_region(&without_blocks, report.thread_sp - ROOTS_RED_ZONE, tstack->end, ROOT_STACK);

	data = libc_data(pm);
	assert_non_null(data);
	assert_non_null(region_at(&without_blocks, data->start));
	check_eq(region_at(&without_blocks, data->start)->kind, ROOT_GLOBALS);
	/* Its relro and its .bss (libc has both) are in the same region. */
	check_hex(region_at(&without_blocks, data->start)->start, (data - 1)->start);
	check_hex(region_at(&without_blocks, data->start)->end, (data + 1)->end);
	assert_string_equal((data + 1)->path, "");

	heap = procmaps__find(pm, report.heap_block);
	assert_non_null(heap);
	assert_string_equal(heap->path, "[heap]");
	arena = procmaps__find(pm, report.arena_block);
	assert_non_null(arena);
	check_hex(arena->start % GLIBC_ARENA_ALIGN, 0);
	expect_no_root(&with_blocks, heap->start, heap->end);
	expect_no_root(&with_blocks, arena->start, arena->end);
	/* Without the blocks, [heap] by its name and the arena by its heap_info. */
	expect_no_root(&without_blocks, heap->start, heap->end);
	expect_no_root(&without_blocks, arena->start, arena->end);

	/* The big blocks' pages are no root; the plain mmap between them is. */
	assert_true(report.pool != (uint64_t)(uintptr_t)MAP_FAILED);
	expect_no_root(&with_blocks, report.big_blocks[0] - 16,
		       report.big_blocks[0] + BIG_BLOCK_SIZE);
	expect_no_root(&with_blocks, report.big_blocks[1] - 16,
		       report.big_blocks[1] + BIG_BLOCK_SIZE);
	if (procmaps__find(pm, report.pool) != procmaps__find(pm, report.big_blocks[0]))
		print_message("note: the kernel did not merge the mmap with the big blocks here\n");
	pool = region_at(&with_blocks, report.pool);
	assert_non_null(pool);
	check_eq(pool->kind, ROOT_UNTRACED);
	assert_true(pool->start <= report.pool && pool->end >= report.pool + POOL_SIZE);
	assert_true(without_blocks.stats.heap_bytes_skipped >=
		    (heap->end - heap->start) + (arena->end - arena->start));
	free(with_blocks.regions);
	free(without_blocks.regions);
	procmaps__free(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roots_module_data),
	    cmocka_unit_test(test_roots_relro_needs_same_file_and_contiguity),
	    cmocka_unit_test(test_roots_file_mappings),
	    cmocka_unit_test(test_roots_globals_less_blocks),
	    cmocka_unit_test(test_roots_stacks),
	    cmocka_unit_test(test_roots_glibc_heaps),
	    cmocka_unit_test(test_roots_mappings_with_blocks),
	    cmocka_unit_test(test_roots_mmapped_chunks),
	    cmocka_unit_test(test_roots_stack_on_a_block),
	    cmocka_unit_test(test_roots_untraced_and_never),
	    cmocka_unit_test(test_roots_stack_anywhere_writable),
	    cmocka_unit_test(test_roots_hostile),
	    cmocka_unit_test(test_roots_real_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
