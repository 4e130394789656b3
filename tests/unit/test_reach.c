// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reachability engine (src/reach.h) over a synthetic memory image: a
 * few regions of (address, bytes), a reader that fails outside them, blocks
 * laid out in a heap region and pointers written into globals, stacks and
 * blocks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"
#include "reach.h"

#define GLOBALS	    0x600000ULL
#define STACK	    0x7ff000000000ULL
#define HEAP	    0x10000000ULL
#define HEAP_LEN    (1024 * 1024)
#define MAX_REGIONS 4
#define MAX_BLOCKS  64

#define check_true(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg("expected %s", #cond);                                            \
	} while (0)

struct image_region {
	uint64_t addr;
	size_t len;
	uint8_t *bytes;
};

struct image {
	struct image_region regions[MAX_REGIONS];
	size_t nr_regions;
	uint64_t reads;
	uint64_t largest_read;
	uint64_t sleep_ns; /* per read, for the time limit */
	struct reach_block blocks[MAX_BLOCKS];
	size_t nr_blocks;
	struct reach_region roots[MAX_REGIONS];
	size_t nr_roots;
	struct reach_stats stats;
};

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct image *img = ctx;
	size_t i;

	img->reads++;
	if (len > img->largest_read)
		img->largest_read = len;
	if (img->sleep_ns) {
		struct timespec ts = {.tv_nsec = (long)img->sleep_ns};

		nanosleep(&ts, NULL);
	}
	for (i = 0; i < img->nr_regions; i++) {
		const struct image_region *r = &img->regions[i];

		if (addr >= r->addr && addr - r->addr <= r->len &&
		    len <= r->len - (addr - r->addr)) {
			memcpy(buf, r->bytes + (addr - r->addr), len);
			return 0;
		}
	}
	return -EFAULT;
}

static struct image_region *add_region(struct image *img, uint64_t addr, size_t len)
{
	struct image_region *r = &img->regions[img->nr_regions++];

	assert_true(img->nr_regions <= MAX_REGIONS);
	r->addr = addr;
	r->len = len;
	r->bytes = calloc(1, len);
	assert_non_null(r->bytes);
	return r;
}

static void add_root(struct image *img, uint64_t start, size_t len, enum root_kind kind)
{
	img->roots[img->nr_roots++] = (struct reach_region){start, start + len, kind};
}

/* An image with 4 KiB of globals, a 4 KiB stack and a 1 MiB heap, all roots but the heap. */
static struct image *image_new(void)
{
	struct image *img = calloc(1, sizeof(*img));

	assert_non_null(img);
	add_region(img, GLOBALS, 4096);
	add_region(img, STACK, 4096);
	add_region(img, HEAP, HEAP_LEN);
	add_root(img, GLOBALS, 4096, ROOT_GLOBALS);
	add_root(img, STACK, 4096, ROOT_STACK);
	return img;
}

static void image_free(struct image *img)
{
	size_t i;

	for (i = 0; i < img->nr_regions; i++)
		free(img->regions[i].bytes);
	free(img);
}

static void put64(struct image *img, uint64_t addr, uint64_t value)
{
	size_t i;

	for (i = 0; i < img->nr_regions; i++) {
		struct image_region *r = &img->regions[i];

		if (addr >= r->addr && addr + 8 <= r->addr + r->len) {
			memcpy(r->bytes + (addr - r->addr), &value, 8);
			return;
		}
	}
	fail_msg("put64 %#llx: outside the image", (unsigned long long)addr);
}

/* Adds a block; blocks must be added in address order. Returns its index. */
static size_t add_block(struct image *img, uint64_t addr, uint64_t size)
{
	size_t i = img->nr_blocks++;

	assert_true(i < MAX_BLOCKS);
	if (i)
		assert_true(addr >= img->blocks[i - 1].addr + img->blocks[i - 1].size);
	img->blocks[i] =
	    (struct reach_block){.addr = addr, .size = size, .user = 1000 + (uint32_t)i};
	return i;
}

static int classify_limited(struct image *img, const uint64_t *regs, size_t nr_regs,
			    const struct reach_limits *limits)
{
	return reach__classify(img->blocks, img->nr_blocks, img->roots, img->nr_roots, regs,
			       nr_regs, image_read, img, limits, &img->stats);
}

static void classify(struct image *img)
{
	check_eq(classify_limited(img, NULL, 0, NULL), 0);
	check_eq(img->stats.truncated, false);
}

#define check_class(img, i, want)                                                                  \
	do {                                                                                       \
		if ((img)->blocks[i].cls != (want))                                                \
			fail_msg("block %zu (%s): got %s, want %s", (size_t)(i), #i,               \
				 reach_class__name((img)->blocks[i].cls),                          \
				 reach_class__name(want));                                         \
	} while (0)

/* Every block's user field survives, and the per-class stats add up. */
static void check_totals(const struct image *img)
{
	uint64_t count = 0, bytes = 0, size = 0, from = 0, reachable_interior = 0;
	size_t i;
	int c;

	for (i = 0; i < img->nr_blocks; i++) {
		check_eq(img->blocks[i].user, 1000 + i);
		size += img->blocks[i].size;
		if (img->blocks[i].cls == REACH_REACHABLE && img->blocks[i].interior_only)
			reachable_interior++;
		if (img->blocks[i].cls != REACH_REACHABLE) {
			check_eq(img->blocks[i].interior_only, false);
			check_eq(img->blocks[i].root, 0);
		}
	}
	for (c = 0; c < NR_REACH_CLASSES; c++) {
		count += img->stats.count[c];
		bytes += img->stats.bytes[c];
	}
	for (c = 0; c < NR_ROOT_KINDS; c++)
		from += img->stats.reached_from[c];
	check_u64(count, img->nr_blocks);
	check_u64(bytes, size);
	check_u64(from, img->stats.count[REACH_REACHABLE]);
	check_u64(img->stats.interior_only, reachable_interior);
	check_true(img->largest_read <= 64 * 1024);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(reach_class__name(REACH_UNSCANNED), "unscanned");
	assert_string_equal(reach_class__name(REACH_REACHABLE), "reachable");
	assert_string_equal(reach_class__name(REACH_INDIRECT), "indirect");
	assert_string_equal(reach_class__name(REACH_LOST), "lost");
	assert_string_equal(reach_class__name(NR_REACH_CLASSES), "unknown");
	assert_string_equal(root_kind__name(ROOT_GLOBALS), "globals");
	assert_string_equal(root_kind__name(ROOT_STACK), "stack");
	assert_string_equal(root_kind__name(ROOT_REGISTERS), "registers");
	assert_string_equal(root_kind__name(ROOT_UNTRACED), "untraced mapping");
	assert_string_equal(root_kind__name(NR_ROOT_KINDS), "unknown");
}

static void test_empty(void **state)
{
	struct image *img = image_new();
	struct reach_stats stats;

	(void)state;
	memset(&stats, 0xff, sizeof(stats));
	check_eq(reach__classify(NULL, 0, img->roots, img->nr_roots, NULL, 0, image_read, img, NULL,
				 &stats),
		 0);
	check_u64(stats.bytes_read, 0);
	check_u64(stats.count[REACH_LOST], 0);
	check_eq(stats.truncated, false);
	check_u64(img->reads, 0);

	/* Blocks but no roots and no registers: all lost, none read from a root. */
	add_block(img, HEAP, 32);
	add_block(img, HEAP + 48, 32);
	check_eq(reach__classify(img->blocks, img->nr_blocks, NULL, 0, NULL, 0, image_read, img,
				 NULL, NULL),
		 0);
	check_class(img, 0, REACH_LOST);
	check_class(img, 1, REACH_LOST);
	image_free(img);
}

/* G -> T1 -> T2 reachable from globals; a dropped tree R -> {C1 -> C3, C2} with R last. */
static void test_dropped_tree(void **state)
{
	struct image *img = image_new();
	size_t t1, t2, c1, c2, c3, r;

	(void)state;
	t1 = add_block(img, HEAP + 0x100, 64);
	c1 = add_block(img, HEAP + 0x200, 32);
	c2 = add_block(img, HEAP + 0x300, 32);
	c3 = add_block(img, HEAP + 0x400, 32);
	t2 = add_block(img, HEAP + 0x500, 32);
	r = add_block(img, HEAP + 0x600, 32);
	put64(img, GLOBALS + 64, HEAP + 0x100);
	put64(img, HEAP + 0x100 + 56, HEAP + 0x500);
	put64(img, HEAP + 0x600, HEAP + 0x200);
	put64(img, HEAP + 0x608, HEAP + 0x300);
	put64(img, HEAP + 0x200 + 24, HEAP + 0x400);
	classify(img);
	check_class(img, t1, REACH_REACHABLE);
	check_class(img, t2, REACH_REACHABLE);
	check_eq(img->blocks[t2].root, ROOT_GLOBALS);
	check_eq(img->blocks[t2].interior_only, false);
	check_class(img, r, REACH_LOST);
	check_class(img, c1, REACH_INDIRECT);
	check_class(img, c2, REACH_INDIRECT);
	check_class(img, c3, REACH_INDIRECT);
	check_u64(img->stats.count[REACH_LOST], 1);
	check_u64(img->stats.bytes[REACH_INDIRECT], 96);
	check_u64(img->stats.reached_from[ROOT_GLOBALS], 2);
	check_u64(img->stats.root_bytes[ROOT_GLOBALS], 4096);
	check_u64(img->stats.root_bytes[ROOT_STACK], 4096);
	check_u64(img->stats.blocks_scanned, 6);
	check_u64(img->stats.unreadable_bytes, 0);
	check_totals(img);
	image_free(img);
}

static void test_cycles(void **state)
{
	struct image *img = image_new();
	size_t a, b, c, d, e, x, y, z;

	(void)state;
	/* 2-cycle, pointers at the start and the interior. */
	a = add_block(img, HEAP + 0x1000, 32);
	b = add_block(img, HEAP + 0x1100, 32);
	put64(img, HEAP + 0x1000 + 8, HEAP + 0x1100);
	put64(img, HEAP + 0x1100 + 16, HEAP + 0x1000 + 4);
	/* 3-cycle C -> D -> E -> C, written the other way round. */
	c = add_block(img, HEAP + 0x2000, 32);
	d = add_block(img, HEAP + 0x2100, 32);
	e = add_block(img, HEAP + 0x2200, 32);
	put64(img, HEAP + 0x2000, HEAP + 0x2100);
	put64(img, HEAP + 0x2100, HEAP + 0x2200);
	put64(img, HEAP + 0x2200, HEAP + 0x2000);
	/* A cycle Y <-> Z that a lost block X above it points into. */
	y = add_block(img, HEAP + 0x3000, 32);
	z = add_block(img, HEAP + 0x3100, 32);
	x = add_block(img, HEAP + 0x3200, 32);
	put64(img, HEAP + 0x3000, HEAP + 0x3100);
	put64(img, HEAP + 0x3100, HEAP + 0x3000);
	put64(img, HEAP + 0x3200, HEAP + 0x3100);
	classify(img);
	check_class(img, a, REACH_LOST);
	check_class(img, b, REACH_INDIRECT);
	check_class(img, c, REACH_LOST);
	check_class(img, d, REACH_INDIRECT);
	check_class(img, e, REACH_INDIRECT);
	check_class(img, x, REACH_LOST);
	check_class(img, y, REACH_INDIRECT);
	check_class(img, z, REACH_INDIRECT);
	check_u64(img->stats.count[REACH_LOST], 3);
	check_u64(img->stats.count[REACH_INDIRECT], 5);
	check_totals(img);
	image_free(img);
}

/* A lost block that points into a cycle below it and into a chain above it. */
static void test_clique_merges_later_chain(void **state)
{
	struct image *img = image_new();
	size_t p, q, leader, s1, s2;

	(void)state;
	p = add_block(img, HEAP + 0x100, 32);
	q = add_block(img, HEAP + 0x200, 32);
	leader = add_block(img, HEAP + 0x300, 32);
	s1 = add_block(img, HEAP + 0x400, 32);
	s2 = add_block(img, HEAP + 0x500, 32);
	put64(img, HEAP + 0x100, HEAP + 0x200); /* P -> Q -> P */
	put64(img, HEAP + 0x200, HEAP + 0x100);
	put64(img, HEAP + 0x300, HEAP + 0x200); /* L -> Q, L -> S1 -> S2 -> L */
	put64(img, HEAP + 0x308, HEAP + 0x400);
	put64(img, HEAP + 0x400, HEAP + 0x500);
	put64(img, HEAP + 0x500, HEAP + 0x300);
	classify(img);
	check_class(img, p, REACH_INDIRECT);
	check_class(img, q, REACH_INDIRECT);
	check_class(img, leader, REACH_LOST);
	check_class(img, s1, REACH_INDIRECT);
	check_class(img, s2, REACH_INDIRECT);
	check_totals(img);
	image_free(img);
}

static void test_self_pointer(void **state)
{
	struct image *img = image_new();
	size_t self, inner;

	(void)state;
	self = add_block(img, HEAP + 0x100, 32);
	put64(img, HEAP + 0x100, HEAP + 0x100);
	put64(img, HEAP + 0x108, HEAP + 0x110);
	/* Reached through its middle only, it points to its own start: still interior only. */
	inner = add_block(img, HEAP + 0x200, 64);
	put64(img, HEAP + 0x200 + 8, HEAP + 0x200);
	put64(img, STACK + 128, HEAP + 0x200 + 16);
	classify(img);
	check_class(img, self, REACH_LOST);
	check_class(img, inner, REACH_REACHABLE);
	check_eq(img->blocks[inner].interior_only, true);
	check_eq(img->blocks[inner].root, ROOT_STACK);
	check_u64(img->stats.interior_only, 1);
	check_totals(img);
	image_free(img);
}

static void test_lost_points_to_reachable(void **state)
{
	struct image *img = image_new();
	size_t lost, kept;

	(void)state;
	lost = add_block(img, HEAP + 0x100, 32);
	kept = add_block(img, HEAP + 0x200, 32);
	put64(img, HEAP + 0x100, HEAP + 0x200);
	put64(img, GLOBALS, HEAP + 0x200);
	classify(img);
	check_class(img, lost, REACH_LOST);
	check_class(img, kept, REACH_REACHABLE);
	check_eq(img->blocks[kept].interior_only, false);
	check_totals(img);
	image_free(img);
}

static void test_interior_pointers(void **state)
{
	struct image *img = image_new();
	size_t only_inside, both, past_end;

	(void)state;
	only_inside = add_block(img, HEAP + 0x100, 64);
	both = add_block(img, HEAP + 0x200, 64);
	past_end = add_block(img, HEAP + 0x300, 64);
	put64(img, GLOBALS, HEAP + 0x100 + 63);
	put64(img, GLOBALS + 8, HEAP + 0x200 + 32);
	put64(img, STACK + 8, HEAP + 0x200);
	put64(img, GLOBALS + 16, HEAP + 0x300 + 64); /* one past the end, into no block */
	/* Unaligned words are not pointers. */
	put64(img, GLOBALS + 24, 0);
	memcpy(img->regions[0].bytes + 28, &(uint64_t){HEAP + 0x300}, 8);
	classify(img);
	check_class(img, only_inside, REACH_REACHABLE);
	check_eq(img->blocks[only_inside].interior_only, true);
	check_class(img, both, REACH_REACHABLE);
	check_eq(img->blocks[both].interior_only, false);
	check_class(img, past_end, REACH_LOST);
	check_u64(img->stats.interior_only, 1);
	check_totals(img);
	image_free(img);
}

/*
 * A block's foreign address (glibc's next chunk header in its last 8
 * bytes, where the arena points at a top or free chunk) does not reach it;
 * any other interior pointer still does.
 */
static void test_foreign_address(void **state)
{
	struct image *img = image_new();
	size_t tail_only, other_word;

	(void)state;
	tail_only = add_block(img, HEAP + 0x100, 24);
	img->blocks[tail_only].foreign = HEAP + 0x110;
	other_word = add_block(img, HEAP + 0x200, 24);
	img->blocks[other_word].foreign = HEAP + 0x210;
	put64(img, GLOBALS, HEAP + 0x110);
	put64(img, GLOBALS + 8, HEAP + 0x208);
	classify(img);
	check_class(img, tail_only, REACH_LOST);
	check_class(img, other_word, REACH_REACHABLE);
	check_totals(img);
	image_free(img);
}

/*
 * Heap gaps between known blocks as roots (scan.c, when unknown blocks may
 * exist): many small regions close together are read at once, the blocks
 * between them are not roots, and what the gaps point to is reachable.
 */
static void test_small_roots_read_together(void **state)
{
	struct image *img = image_new();
	struct reach_region gaps[8];
	size_t between[8], target[8], k;

	(void)state;
	img->nr_roots = 0; /* only the gaps */
	for (k = 0; k < 8; k++) {
		between[k] = add_block(img, HEAP + 0x100 * k, 0x40);
		gaps[k] = (struct reach_region){HEAP + 0x100 * k + 0x40, HEAP + 0x100 * (k + 1),
						ROOT_UNTRACED};
	}
	for (k = 0; k < 8; k++) {
		target[k] = add_block(img, HEAP + 0x10000 + 0x100 * k, 0x40);
		put64(img, gaps[k].start + 8 * k, HEAP + 0x10000 + 0x100 * k);
		/* The known block in between points to the next target: not a root. */
		put64(img, HEAP + 0x100 * k, HEAP + 0x10000 + 0x100 * ((k + 1) % 8));
	}
	img->reads = 0;
	check_eq(reach__classify(img->blocks, img->nr_blocks, gaps, 8, NULL, 0, image_read, img,
				 NULL, &img->stats),
		 0);
	for (k = 0; k < 8; k++) {
		check_class(img, target[k], REACH_REACHABLE);
		check_class(img, between[k], REACH_LOST);
	}
	check_u64(img->stats.root_bytes[ROOT_UNTRACED], 8 * 0xc0);
	/* One read for the eight gaps, then the targets (read together too). */
	check_true(img->reads <= 4);
	image_free(img);
}

static void test_zero_size_blocks(void **state)
{
	struct image *img = image_new();
	size_t kept, lost, next;

	(void)state;
	kept = add_block(img, HEAP + 0x100, 0);
	lost = add_block(img, HEAP + 0x110, 0);
	next = add_block(img, HEAP + 0x120, 16);
	put64(img, GLOBALS, HEAP + 0x100);
	put64(img, GLOBALS + 8, HEAP + 0x111); /* past the one byte a malloc(0) owns */
	classify(img);
	check_class(img, kept, REACH_REACHABLE);
	check_class(img, lost, REACH_LOST);
	check_class(img, next, REACH_LOST);
	check_u64(img->stats.count[REACH_LOST], 2);
	check_u64(img->stats.bytes[REACH_LOST], 16);
	check_totals(img);
	image_free(img);
}

static void test_large_block(void **state)
{
	struct image *img = image_new();
	uint64_t big_addr = HEAP + 0x10000, big_size = 200 * 1024;
	size_t big, tail, hidden;

	(void)state;
	big = add_block(img, big_addr, big_size);
	tail = add_block(img, big_addr + big_size + 16, 32);
	hidden = add_block(img, big_addr + big_size + 64, 32);
	put64(img, STACK + 4000, big_addr + 100 * 1024); /* interior */
	put64(img, big_addr + big_size - 8, big_addr + big_size + 16);
	/* Past the big block's end, in the gap: not scanned. */
	put64(img, big_addr + big_size, big_addr + big_size + 64);
	classify(img);
	check_class(img, big, REACH_REACHABLE);
	check_eq(img->blocks[big].interior_only, true);
	check_class(img, tail, REACH_REACHABLE);
	check_eq(img->blocks[tail].root, ROOT_STACK);
	check_class(img, hidden, REACH_LOST);
	check_u64(img->stats.reached_from[ROOT_STACK], 2);
	check_u64(img->stats.bytes[REACH_REACHABLE], big_size + 32);
	check_true(img->largest_read <= 64 * 1024);
	check_totals(img);
	image_free(img);
}

static void test_adjacent_blocks_and_gaps(void **state)
{
	struct image *img = image_new();
	size_t a, b, c, d;

	(void)state;
	a = add_block(img, HEAP + 0x1000, 16);
	b = add_block(img, HEAP + 0x1010, 16);
	c = add_block(img, HEAP + 0x1040, 16);
	d = add_block(img, HEAP + 0x1080, 16);
	put64(img, GLOBALS, HEAP + 0x1010);	 /* one past A: B's start */
	put64(img, GLOBALS + 8, HEAP + 0x1020);	 /* the gap between B and C */
	put64(img, GLOBALS + 16, HEAP + 0x1070); /* the gap between C and D */
	put64(img, GLOBALS + 24, HEAP + 0x2000); /* after the last block */
	put64(img, GLOBALS + 32, HEAP + 0x800);	 /* before the first */
	classify(img);
	check_class(img, a, REACH_LOST);
	check_class(img, b, REACH_REACHABLE);
	check_eq(img->blocks[b].interior_only, false);
	check_class(img, c, REACH_LOST);
	check_class(img, d, REACH_LOST);
	check_totals(img);
	image_free(img);
}

static void test_registers_and_root_kinds(void **state)
{
	struct image *img = image_new();
	uint64_t regs[3] = {HEAP + 0x208, 12345, HEAP + 0x300};
	size_t from_global, via_global, from_reg, via_reg, both, untraced_only;

	(void)state;
	add_region(img, 0x7f0000000000ULL, 4096);
	add_root(img, 0x7f0000000000ULL, 4096, ROOT_UNTRACED);
	from_global = add_block(img, HEAP + 0x100, 32);
	from_reg = add_block(img, HEAP + 0x200, 32);
	both = add_block(img, HEAP + 0x300, 32);
	via_global = add_block(img, HEAP + 0x400, 32);
	via_reg = add_block(img, HEAP + 0x500, 32);
	untraced_only = add_block(img, HEAP + 0x600, 32);
	put64(img, GLOBALS, HEAP + 0x100);
	put64(img, HEAP + 0x100, HEAP + 0x400);
	put64(img, HEAP + 0x200, HEAP + 0x500);
	put64(img, STACK + 16, HEAP + 0x300);
	put64(img, 0x7f0000000000ULL + 8, HEAP + 0x600);
	check_eq(classify_limited(img, regs, 3, NULL), 0);
	check_class(img, from_reg, REACH_REACHABLE);
	check_eq(img->blocks[from_reg].root, ROOT_REGISTERS);
	check_eq(img->blocks[from_reg].interior_only, true);
	check_eq(img->blocks[via_reg].root, ROOT_REGISTERS);
	check_eq(img->blocks[via_global].root, ROOT_GLOBALS);
	check_eq(img->blocks[from_global].root, ROOT_GLOBALS);
	/* The stack came first: a register to its start clears interior_only only. */
	check_eq(img->blocks[both].root, ROOT_STACK);
	check_eq(img->blocks[untraced_only].root, ROOT_UNTRACED);
	check_u64(img->stats.reached_from[ROOT_GLOBALS], 2);
	check_u64(img->stats.reached_from[ROOT_REGISTERS], 2);
	check_u64(img->stats.reached_from[ROOT_STACK], 1);
	check_u64(img->stats.reached_from[ROOT_UNTRACED], 1);
	check_u64(img->stats.root_bytes[ROOT_UNTRACED], 4096);
	check_u64(img->stats.root_bytes[ROOT_REGISTERS],
		  3 * 8); /* the values given, not memory read */
	check_u64(img->stats.count[REACH_REACHABLE], 6);
	check_totals(img);
	image_free(img);
}

/* Unreadable memory: a root, a block whose contents cannot be read, its neighbours. */
static void test_unreadable(void **state)
{
	struct image *img = image_new();
	uint64_t outside = HEAP + HEAP_LEN; /* the heap region ends here */
	size_t first, behind_near, hidden, near_end, unread, lost_unread, indirect_unread;

	(void)state;
	add_root(img, 0x500000, 8192, ROOT_GLOBALS); /* not in the image */
	first = add_block(img, HEAP + 0x100, 32);
	behind_near = add_block(img, HEAP + 0x200, 32);
	hidden = add_block(img, HEAP + 0x300, 32);
	near_end = add_block(img, outside - 64, 32);
	unread = add_block(img, outside + 0x10, 32);
	lost_unread = add_block(img, outside + 0x100, 32);
	indirect_unread = add_block(img, outside + 0x200, 32);
	put64(img, GLOBALS, HEAP + 0x100);
	put64(img, HEAP + 0x100, outside - 64);
	put64(img, HEAP + 0x108, outside + 0x10);
	put64(img, outside - 64, HEAP + 0x200);
	put64(img, HEAP + 0x300, outside + 0x200);
	classify(img);
	check_class(img, first, REACH_REACHABLE);
	/* Read in one window with the unreadable block, then alone. */
	check_class(img, near_end, REACH_REACHABLE);
	check_class(img, behind_near, REACH_REACHABLE);
	check_class(img, unread, REACH_REACHABLE);
	check_class(img, hidden, REACH_LOST);
	check_class(img, lost_unread, REACH_LOST);
	check_class(img, indirect_unread, REACH_INDIRECT);
	check_u64(img->stats.unreadable_bytes, 8192 + 3 * 32);
	check_u64(img->stats.root_bytes[ROOT_GLOBALS], 4096);
	check_u64(img->stats.blocks_scanned, 4);
	check_totals(img);
	image_free(img);
}

/* Heap blocks in a chain from the globals: first, then every 0x100 bytes. */
static void build_chain(struct image *img, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		add_block(img, HEAP + 0x100 * (i + 1), 32);
		if (i + 1 < nr)
			put64(img, HEAP + 0x100 * (i + 1), HEAP + 0x100 * (i + 2));
	}
	put64(img, GLOBALS, HEAP + 0x100);
}

static void test_byte_limit(void **state)
{
	struct image *img = image_new();
	struct reach_limits limits = {.max_bytes = 1};
	size_t i, lost;

	(void)state;
	build_chain(img, 8);
	lost = add_block(img, HEAP + 0x10000, 32);
	/* Nothing fits: nothing read, nothing reached, nothing called lost. */
	check_eq(classify_limited(img, NULL, 0, &limits), 0);
	check_eq(img->stats.truncated, true);
	check_u64(img->stats.bytes_read, 0);
	check_u64(img->stats.count[REACH_UNSCANNED], img->nr_blocks);
	check_totals(img);

	/* The roots fit, not all blocks: reached blocks stay reachable, the rest unscanned. */
	limits.max_bytes = 2 * 4096 + 100;
	check_eq(classify_limited(img, NULL, 0, &limits), 0);
	check_eq(img->stats.truncated, true);
	check_true(img->stats.bytes_read <= limits.max_bytes);
	check_true(img->stats.bytes_read >= 2 * 4096 + 32);
	/* Each read is a block ahead of the last: the chain is cut after the last one read. */
	for (i = 0; i < 8; i++) {
		if (img->blocks[i].cls == REACH_UNSCANNED)
			break;
		check_class(img, i, REACH_REACHABLE);
	}
	check_true(i >= 2);
	check_u64(img->stats.count[REACH_REACHABLE], i);
	check_u64(img->stats.count[REACH_UNSCANNED], img->nr_blocks - i);
	check_class(img, lost, REACH_UNSCANNED);
	check_u64(img->stats.count[REACH_LOST] + img->stats.count[REACH_INDIRECT], 0);
	check_totals(img);

	/* Enough for everything: nothing cut. */
	limits.max_bytes = 1 << 20;
	check_eq(classify_limited(img, NULL, 0, &limits), 0);
	check_eq(img->stats.truncated, false);
	check_u64(img->stats.count[REACH_REACHABLE], 8);
	check_class(img, lost, REACH_LOST);
	check_totals(img);
	image_free(img);
}

static void test_time_limit(void **state)
{
	struct image *img = image_new();
	struct reach_limits limits = {.max_ns = 1000000};
	size_t lost;

	(void)state;
	build_chain(img, 4);
	lost = add_block(img, HEAP + 0x10000, 32);
	img->sleep_ns = 2000000; /* every read takes longer than the whole budget */
	check_eq(classify_limited(img, NULL, 0, &limits), 0);
	check_eq(img->stats.truncated, true);
	check_true(img->reads <= 2);
	if (img->reads) /* none when the machine stalled us past the budget before the first */
		check_true(img->stats.ns >= 2000000);
	check_class(img, lost, REACH_UNSCANNED);
	check_u64(img->stats.count[REACH_LOST] + img->stats.count[REACH_INDIRECT], 0);
	check_totals(img);
	image_free(img);
}

/* A truncated second pass calls nothing lost either. */
static void test_limit_in_second_pass(void **state)
{
	struct image *img = image_new();
	struct reach_limits limits;
	size_t i;

	(void)state;
	/* Two reachable blocks, then lost blocks far apart: one read each in the second pass. */
	build_chain(img, 2);
	for (i = 0; i < 4; i++)
		add_block(img, HEAP + 0x10000 * (i + 1), 32);
	classify(img);
	check_u64(img->stats.count[REACH_LOST], 4);
	limits = (struct reach_limits){.max_bytes = img->stats.bytes_read - 1};
	check_eq(classify_limited(img, NULL, 0, &limits), 0);
	check_eq(img->stats.truncated, true);
	check_u64(img->stats.count[REACH_REACHABLE], 2);
	check_u64(img->stats.count[REACH_UNSCANNED], 4);
	check_totals(img);
	image_free(img);
}

static void test_enomem_leaves_blocks(void **state)
{
	struct reach_block blocks[2] = {
	    {.addr = 0x1000, .size = 16, .cls = 7, .root = 3, .user = 9},
	    {.addr = 0x2000, .size = 16, .cls = 7, .root = 3, .user = 9}};
	struct reach_block copy[2];
	struct reach_stats stats;

	(void)state;
	memcpy(copy, blocks, sizeof(copy));
	/* A count whose worklist size overflows; the blocks behind it are never touched. */
	check_eq(
	    reach__classify(blocks, SIZE_MAX / 4, NULL, 0, NULL, 0, image_read, NULL, NULL, &stats),
	    -ENOMEM);
	assert_memory_equal(blocks, copy, sizeof(copy));
}

/* Small blocks packed in the heap are read together, a window at a time. */
static void test_packed_blocks_read_together(void **state)
{
	struct image *img = image_new();
	size_t i;

	(void)state;
	img->nr_blocks = 0;
	/* 48 blocks of 48 bytes, 16 bytes apart, a list from the last one down. */
	for (i = 0; i < MAX_BLOCKS - 16; i++) {
		add_block(img, HEAP + 64 * i, 48);
		if (i)
			put64(img, HEAP + 64 * i + 40, HEAP + 64 * (i - 1));
	}
	put64(img, STACK, HEAP + 64 * (MAX_BLOCKS - 17) + 8);
	classify(img);
	check_u64(img->stats.count[REACH_REACHABLE], MAX_BLOCKS - 16);
	check_u64(img->stats.blocks_scanned, MAX_BLOCKS - 16);
	/* 2 roots, then the list: at most a handful of reads, not one a block. */
	check_true(img->reads <= 2 + 4);
	check_totals(img);

	/* Lost, the same: the second pass reads through the window too. */
	put64(img, STACK, 0);
	img->reads = 0;
	classify(img);
	check_u64(img->stats.count[REACH_LOST], 1);
	check_u64(img->stats.count[REACH_INDIRECT], MAX_BLOCKS - 17);
	check_class(img, MAX_BLOCKS - 17, REACH_LOST);
	check_true(img->reads <= 2 + 4);
	check_totals(img);
	image_free(img);
}

/*
 * The reference: the same verdicts from the definitions, the slow way (a
 * transitive closure), over random heaps: random sizes (malloc(0) too),
 * pointers to starts, interiors, ends, gaps, and numbers.
 */
#define RANDOM_BLOCKS 40

struct reference {
	bool edge[RANDOM_BLOCKS][RANDOM_BLOCKS];       /* i holds a word pointing into j */
	bool start_edge[RANDOM_BLOCKS][RANDOM_BLOCKS]; /* ... to j's start */
	bool root[RANDOM_BLOCKS], root_start[RANDOM_BLOCKS];
	bool reach[RANDOM_BLOCKS][RANDOM_BLOCKS]; /* i reaches j through unreached blocks */
};

static size_t reference_find(const struct image *img, uint64_t w)
{
	size_t i;

	for (i = 0; i < img->nr_blocks; i++) {
		uint64_t extent = img->blocks[i].size ? img->blocks[i].size : 1;

		if (w >= img->blocks[i].addr && w - img->blocks[i].addr < extent)
			return i;
	}
	return SIZE_MAX;
}

static uint64_t random_word(struct image *img, uint64_t *seed)
{
	const struct reach_block *b = &img->blocks[rng_next(seed) % img->nr_blocks];

	switch (rng_next(seed) % 5) {
	case 0:
		return b->addr;
	case 1:
		return b->addr + rng_next(seed) % (b->size + 8); /* interior, end or gap */
	case 2:
		return b->addr - 1 - rng_next(seed) % 16;
	case 3:
		return rng_next(seed) % 1000;
	default:
		return 0;
	}
}

static void build_random(struct image *img, struct reference *ref, uint64_t *seed)
{
	uint64_t addr = HEAP + 16, w, word;
	size_t i, j;

	for (i = 0; i < RANDOM_BLOCKS; i++) {
		add_block(img, addr, rng_next(seed) % 8 ? (rng_next(seed) % 12) * 8 : 0);
		addr += img->blocks[i].size + 16 * (1 + rng_next(seed) % 4);
	}
	for (i = 0; i < RANDOM_BLOCKS; i++)
		for (w = 0; w + 8 <= img->blocks[i].size; w += 8) {
			word = rng_next(seed) % 3 ? random_word(img, seed) : 0;
			put64(img, img->blocks[i].addr + w, word);
			j = reference_find(img, word);
			if (j != SIZE_MAX) {
				ref->edge[i][j] = true;
				ref->start_edge[i][j] |= word == img->blocks[j].addr;
			}
		}
	for (w = 0; w < 6; w++) {
		word = random_word(img, seed);
		put64(img, GLOBALS + 8 * w, word);
		j = reference_find(img, word);
		if (j != SIZE_MAX) {
			ref->root[j] = true;
			ref->root_start[j] |= word == img->blocks[j].addr;
		}
	}
}

static void reference_reachable(struct reference *ref, bool *reachable)
{
	bool changed = true;
	size_t i, j;

	for (i = 0; i < RANDOM_BLOCKS; i++)
		reachable[i] = ref->root[i];
	while (changed) {
		changed = false;
		for (i = 0; i < RANDOM_BLOCKS; i++)
			for (j = 0; j < RANDOM_BLOCKS; j++)
				if (reachable[i] && ref->edge[i][j] && !reachable[j])
					reachable[j] = changed = true;
	}
}

static enum reach_class reference_class(struct reference *ref, const bool *reachable, size_t b)
{
	size_t c;

	if (reachable[b])
		return REACH_REACHABLE;
	for (c = 0; c < RANDOM_BLOCKS; c++) {
		bool same_component = ref->reach[b][c] && ref->reach[c][b];

		if (c == b || reachable[c] || !ref->reach[c][b])
			continue;
		if (!same_component || c < b)
			return REACH_INDIRECT;
	}
	return REACH_LOST;
}

static void check_against_reference(struct image *img, struct reference *ref)
{
	bool reachable[RANDOM_BLOCKS];
	size_t i, j, k;

	reference_reachable(ref, reachable);
	for (i = 0; i < RANDOM_BLOCKS; i++)
		for (j = 0; j < RANDOM_BLOCKS; j++)
			ref->reach[i][j] = !reachable[i] && !reachable[j] && ref->edge[i][j];
	for (k = 0; k < RANDOM_BLOCKS; k++)
		for (i = 0; i < RANDOM_BLOCKS; i++)
			for (j = 0; j < RANDOM_BLOCKS; j++)
				ref->reach[i][j] |= ref->reach[i][k] && ref->reach[k][j];
	for (i = 0; i < RANDOM_BLOCKS; i++) {
		bool interior = !ref->root_start[i];

		check_class(img, i, reference_class(ref, reachable, i));
		if (!reachable[i])
			continue;
		for (j = 0; j < RANDOM_BLOCKS; j++)
			if (j != i && reachable[j] && ref->start_edge[j][i])
				interior = false;
		if (img->blocks[i].interior_only != interior)
			fail_msg("block %zu: interior_only %d, want %d", i,
				 img->blocks[i].interior_only, interior);
	}
}

static void test_random_heaps_against_reference(void **state)
{
	uint64_t seed = 0x5eed0001, seen[NR_REACH_CLASSES] = {0}, interior = 0;
	int round, c;

	(void)state;
	for (round = 0; round < 400; round++) {
		struct image *img = image_new();
		struct reference *ref = calloc(1, sizeof(*ref));

		assert_non_null(ref);
		build_random(img, ref, &seed);
		classify(img);
		check_against_reference(img, ref);
		check_totals(img);
		for (c = 0; c < NR_REACH_CLASSES; c++)
			seen[c] += img->stats.count[c];
		interior += img->stats.interior_only;
		free(ref);
		image_free(img);
	}
	/* The heaps exercise every verdict. */
	check_u64(seen[REACH_UNSCANNED], 0);
	check_true(seen[REACH_REACHABLE] > 1000);
	check_true(seen[REACH_INDIRECT] > 1000);
	check_true(seen[REACH_LOST] > 1000);
	check_true(interior > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_dropped_tree),
	    cmocka_unit_test(test_cycles),
	    cmocka_unit_test(test_clique_merges_later_chain),
	    cmocka_unit_test(test_self_pointer),
	    cmocka_unit_test(test_lost_points_to_reachable),
	    cmocka_unit_test(test_interior_pointers),
	    cmocka_unit_test(test_foreign_address),
	    cmocka_unit_test(test_small_roots_read_together),
	    cmocka_unit_test(test_zero_size_blocks),
	    cmocka_unit_test(test_large_block),
	    cmocka_unit_test(test_adjacent_blocks_and_gaps),
	    cmocka_unit_test(test_registers_and_root_kinds),
	    cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_byte_limit),
	    cmocka_unit_test(test_time_limit),
	    cmocka_unit_test(test_limit_in_second_pass),
	    cmocka_unit_test(test_enomem_leaves_blocks),
	    cmocka_unit_test(test_packed_blocks_read_together),
	    cmocka_unit_test(test_random_heaps_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
