// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The goroutine census (src/gocensus.c) over a synthetic memory image: an
 * allgs slice, its pointer array and gs laid out at the Go 1.19 and 1.23
 * offsets, stacks with frame-pointer chains, served by a mem_read_fn that
 * fails outside the image or inside a hole.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks.h"
#include "gocensus.h"

#define BASE	     0x7f0000000000ULL
#define IMAGE_BYTES  (4u << 20)
#define ALLGS	     (BASE + 0x0)
#define PTR_ARRAY    (BASE + 0x100)
#define G_AREA	     (BASE + 0x10000)
#define G_STRIDE     0x200
#define STACK_AREA   (BASE + 0x200000)
#define STACK_BYTES  0x1000
#define HOLE	     (BASE + 0x3f0000) /* reads touching [HOLE, HOLE + 0x1000) fail */
#define SYSTEM_PC_LO 0x401000	       /* startpcs in [LO, HI) are runtime functions */
#define SYSTEM_PC_HI 0x402000
#define USER_PC	     0x480000

/* Per-version table of the research note (section 4). */
static const struct go_g_offsets offsets_1_19 = {
    .goid = 152,
    .gopc = 296,
    .startpc = 312,
    .atomicstatus = 144,
    .waitsince = 168,
    .waitreason = 176,
    .stack_lo = 0,
    .stack_hi = 8,
    .sched_sp = 56,
    .sched_pc = 64,
    .sched_bp = 104,
    .size = 392,
};
static const struct go_g_offsets offsets_1_23 = {
    .goid = 160,
    .gopc = 288,
    .startpc = 304,
    .atomicstatus = 152,
    .waitsince = 176,
    .waitreason = 184,
    .stack_lo = 0,
    .stack_hi = 8,
    .sched_sp = 56,
    .sched_pc = 64,
    .sched_bp = 104,
    .size = 432,
};

struct image {
	unsigned char *bytes;
	uint64_t reads;
};

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct image *im = ctx;

	im->reads++;
	if (addr < BASE || addr - BASE > IMAGE_BYTES || len > IMAGE_BYTES - (addr - BASE))
		return -EFAULT;
	if (addr < HOLE + 0x1000 && addr + len > HOLE)
		return -EFAULT;
	memcpy(buf, im->bytes + (addr - BASE), len);
	return 0;
}

static bool startpc_is_runtime(void *ctx, uint64_t startpc)
{
	(void)ctx;
	return startpc >= SYSTEM_PC_LO && startpc < SYSTEM_PC_HI;
}

static void put_u64(struct image *im, uint64_t addr, uint64_t v)
{
	memcpy(im->bytes + (addr - BASE), &v, sizeof(v));
}

static void put_u32(struct image *im, uint64_t addr, uint32_t v)
{
	memcpy(im->bytes + (addr - BASE), &v, sizeof(v));
}

static uint64_t g_addr(size_t i)
{
	return G_AREA + i * G_STRIDE;
}

static uint64_t stack_lo(size_t i)
{
	return STACK_AREA + i * STACK_BYTES;
}

struct fake_g {
	uint64_t goid;
	uint32_t status; /* raw atomicstatus, scan bit and all */
	uint64_t startpc;
	uint8_t waitreason;
	int64_t waitsince;
};

/* g i as a runtime would lay it out; a distinct gopc and sched per i. */
static void put_g(struct image *im, const struct go_g_offsets *off, size_t i,
		  const struct fake_g *f)
{
	uint64_t g = g_addr(i);

	memset(im->bytes + (g - BASE), 0xa5, off->size); /* fields not set are noise */
	put_u64(im, g + off->goid, f->goid);
	put_u32(im, g + off->atomicstatus, f->status);
	put_u64(im, g + off->startpc, f->startpc);
	put_u64(im, g + off->gopc, 0x490000 + i);
	im->bytes[g - BASE + off->waitreason] = f->waitreason;
	put_u64(im, g + off->waitsince, (uint64_t)f->waitsince);
	put_u64(im, g + off->stack_lo, stack_lo(i));
	put_u64(im, g + off->stack_hi, stack_lo(i) + STACK_BYTES);
	put_u64(im, g + off->sched_sp, stack_lo(i) + 0x80);
	put_u64(im, g + off->sched_pc, 0x4a0000 + i);
	put_u64(im, g + off->sched_bp, stack_lo(i) + 0x100);
}

static void put_allgs(struct image *im, uint64_t array, uint64_t len, uint64_t cap)
{
	put_u64(im, ALLGS, array);
	put_u64(im, ALLGS + 8, len);
	put_u64(im, ALLGS + 16, cap);
}

/* gs[0..n) at g_addr(i), listed in order in allgs. */
static void put_gs(struct image *im, const struct go_g_offsets *off, const struct fake_g *gs,
		   size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		put_g(im, off, i, &gs[i]);
		put_u64(im, PTR_ARRAY + i * 8, g_addr(i));
	}
	put_allgs(im, PTR_ARRAY, n, n + 3);
}

static struct image *image_new(void)
{
	struct image *im = calloc(1, sizeof(*im));

	assert_non_null(im);
	im->bytes = calloc(1, IMAGE_BYTES);
	assert_non_null(im->bytes);
	return im;
}

static void image_free(struct image *im)
{
	free(im->bytes);
	free(im);
}

static struct go_census_opts opts_for(struct image *im, const struct go_g_offsets *off)
{
	return (struct go_census_opts){.allgs = ALLGS,
				       .off = off,
				       .read = image_read,
				       .read_ctx = im,
				       .is_system = startpc_is_runtime};
}

static const struct fake_g mixed_gs[] = {
    {.goid = 1, .status = GO_GRUNNING, .startpc = USER_PC}, /* runtime.main */
    {.goid = 2,
     .status = 0x1000 | GO_GWAITING,
     .startpc = USER_PC + 0x40, /* being scanned */
     .waitreason = 14,
     .waitsince = 123456789},
    {.goid = 3, .status = GO_GDEAD, .startpc = USER_PC},
    {.goid = 0, .status = GO_GIDLE},
    {.goid = 5, .status = GO_GRUNNABLE, .startpc = SYSTEM_PC_LO + 0x10}, /* a runtime worker */
    {.goid = 6, .status = 0x1000 | GO_GSYSCALL, .startpc = USER_PC + 0x80},
};

static void census_of_mixed_gs(const struct go_g_offsets *off)
{
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, off);
	struct go_census c;
	const size_t n = sizeof(mixed_gs) / sizeof(mixed_gs[0]);

	put_gs(im, off, mixed_gs, n);
	check_eq(gocensus__take(&opts, &c), 0);
	check_eq(c.nr_allgs, n);
	check_eq(c.nr, 4);
	check_eq(c.nr_user, 3);
	check_eq(c.nr_system, 1);
	check_eq(c.nr_unreadable, 0);
	check_eq(c.nr_skipped, 0);
	check_u64(c.bytes_read, 24 + n * 8 + n * off->size);

	/* In allgs order: goids 1, 2, 5, 6. */
	check_u64(c.gs[0].goid, 1);
	check_eq(c.gs[0].status, GO_GRUNNING);
	check_eq(c.gs[0].system, false);
	check_hex(c.gs[0].g, g_addr(0));
	check_u64(c.gs[1].goid, 2);
	check_eq(c.gs[1].status, GO_GWAITING);
	check_eq(c.gs[1].waitreason, 14);
	check_eq(c.gs[1].waitsince, 123456789);
	check_hex(c.gs[1].gopc, 0x490001);
	check_hex(c.gs[1].startpc, USER_PC + 0x40);
	check_hex(c.gs[1].sched_pc, 0x4a0001);
	check_hex(c.gs[1].sched_sp, stack_lo(1) + 0x80);
	check_hex(c.gs[1].sched_bp, stack_lo(1) + 0x100);
	check_hex(c.gs[1].stack_lo, stack_lo(1));
	check_hex(c.gs[1].stack_hi, stack_lo(1) + STACK_BYTES);
	check_u64(c.gs[2].goid, 5);
	check_eq(c.gs[2].system, true);
	check_u64(c.gs[3].goid, 6);
	check_eq(c.gs[3].status, GO_GSYSCALL);
	gocensus__free(&c);
	image_free(im);
}

static void test_census_go1_19(void **state)
{
	(void)state;
	census_of_mixed_gs(&offsets_1_19);
}

static void test_census_go1_23(void **state)
{
	(void)state;
	census_of_mixed_gs(&offsets_1_23);
}

/* Without a classifier every live g is a user one. */
static void test_no_classifier_means_user(void **state)
{
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, &offsets_1_23);
	struct go_census c;

	(void)state;
	opts.is_system = NULL;
	put_gs(im, &offsets_1_23, mixed_gs, sizeof(mixed_gs) / sizeof(mixed_gs[0]));
	check_eq(gocensus__take(&opts, &c), 0);
	check_eq(c.nr_user, 4);
	check_eq(c.nr_system, 0);
	gocensus__free(&c);
	image_free(im);
}

/* Garbage gs are counted and skipped; the good ones around them are kept. */
static void test_garbage_gs_skipped(void **state)
{
	const struct go_g_offsets *off = &offsets_1_19;
	const struct fake_g gs[] = {
	    {.goid = 1, .status = GO_GRUNNING, .startpc = USER_PC},
	    {.goid = 2, .status = 10, .startpc = USER_PC},	     /* status past _Gpreempted */
	    {.goid = 0, .status = GO_GWAITING, .startpc = USER_PC},  /* live without a goid */
	    {.goid = 4, .status = GO_GRUNNABLE, .startpc = USER_PC}, /* stack lo >= hi below */
	    {.goid = 5, .status = GO_GRUNNABLE, .startpc = USER_PC}, /* pointer made NULL */
	    {.goid = 6, .status = GO_GRUNNABLE, .startpc = USER_PC}, /* pointer into the hole */
	    {.goid = 7, .status = 0x1000 | GO_GWAITING, .startpc = USER_PC}, /* good */
	};
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, off);
	struct go_census c;

	(void)state;
	put_gs(im, off, gs, 7);
	put_u64(im, g_addr(3) + off->stack_hi, stack_lo(3));
	put_u64(im, PTR_ARRAY + 4 * 8, 0);
	put_u64(im, PTR_ARRAY + 5 * 8, HOLE + 0x10);
	check_eq(gocensus__take(&opts, &c), 0);
	check_eq(c.nr_unreadable, 5);
	check_eq(c.nr, 2);
	check_u64(c.gs[0].goid, 1);
	check_u64(c.gs[1].goid, 7);
	gocensus__free(&c);
	image_free(im);
}

static void test_max_gs_bounds_the_census(void **state)
{
	struct fake_g gs[6];
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, &offsets_1_23);
	struct go_census c;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		gs[i] = (struct fake_g){.goid = i + 1, .status = GO_GRUNNABLE, .startpc = USER_PC};
	put_gs(im, &offsets_1_23, gs, 6);
	opts.max_gs = 4;
	check_eq(gocensus__take(&opts, &c), 0);
	check_eq(c.nr_allgs, 6);
	check_eq(c.nr, 4);
	check_eq(c.nr_skipped, 2);
	check_u64(c.gs[3].goid, 4);
	check_u64(c.bytes_read, 24 + 4 * 8 + 4 * offsets_1_23.size);
	gocensus__free(&c);
	image_free(im);
}

/* More gs than one pointer read holds: every one is read, the array in few reads. */
static void test_many_gs_in_chunks(void **state)
{
	const size_t n = 1100;
	struct fake_g g = {.status = GO_GWAITING, .startpc = USER_PC, .waitreason = 9};
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, &offsets_1_19);
	struct go_census c;
	size_t i;

	(void)state;
	for (i = 0; i < n; i++) {
		g.goid = 100 + i;
		put_g(im, &offsets_1_19, i, &g);
		put_u64(im, PTR_ARRAY + i * 8, g_addr(i));
	}
	put_allgs(im, PTR_ARRAY, n, n);
	check_eq(gocensus__take(&opts, &c), 0);
	check_eq(c.nr, n);
	check_u64(c.gs[n - 1].goid, 100 + n - 1);
	/* The slice, three pointer chunks (512, 512, 76), one read per g. */
	check_u64(im->reads, 1 + 3 + n);
	gocensus__free(&c);
	image_free(im);
}

static void test_unreadable_allgs(void **state)
{
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, &offsets_1_19);
	struct go_census c;

	(void)state;
	put_gs(im, &offsets_1_19, mixed_gs, 6);
	opts.allgs = HOLE;
	check_eq(gocensus__take(&opts, &c), -EFAULT);
	opts.allgs = ALLGS;
	put_allgs(im, PTR_ARRAY, 7, 6); /* len > cap: not a slice */
	check_eq(gocensus__take(&opts, &c), -EFAULT);
	put_allgs(im, 0, 6, 6); /* a length without an array */
	check_eq(gocensus__take(&opts, &c), -EFAULT);
	put_allgs(im, UINT64_MAX - 8, 6, 6); /* the array would wrap */
	check_eq(gocensus__take(&opts, &c), -EFAULT);
	image_free(im);
}

/* A pointer array that cannot be read: every g it lists is counted unreadable. */
static void test_unreadable_pointer_array(void **state)
{
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, &offsets_1_19);
	struct go_census c;

	(void)state;
	put_gs(im, &offsets_1_19, mixed_gs, 6);
	put_allgs(im, HOLE + 0x800, 6, 6);
	check_eq(gocensus__take(&opts, &c), 0);
	check_eq(c.nr, 0);
	check_eq(c.nr_unreadable, 6);
	gocensus__free(&c);
	image_free(im);
}

/* Offsets that reach past the g's size are refused rather than read. */
static void test_offsets_past_size_refused(void **state)
{
	struct image *im = image_new();
	struct go_g_offsets off = offsets_1_19;
	struct go_census_opts opts = opts_for(im, &off);
	struct go_census c;

	(void)state;
	put_gs(im, &offsets_1_19, mixed_gs, 6);
	off.startpc = off.size - 4;
	check_eq(gocensus__take(&opts, &c), -EINVAL);
	off = offsets_1_19;
	off.size = 1u << 20;
	check_eq(gocensus__take(&opts, &c), -EINVAL);
	image_free(im);
}

/* ---- blocked-in stacks ----------------------------------------------------------------- */

/* A frame record at bp: the caller's bp, then the return address. */
static void put_frame(struct image *im, uint64_t bp, uint64_t next_bp, uint64_t ret)
{
	put_u64(im, bp, next_bp);
	put_u64(im, bp + 8, ret);
}

static struct go_g parked_g(void)
{
	return (struct go_g){.goid = 9,
			     .status = GO_GWAITING,
			     .sched_pc = 0x4a0000,
			     .sched_bp = stack_lo(0) + 0x100,
			     .stack_lo = stack_lo(0),
			     .stack_hi = stack_lo(0) + STACK_BYTES};
}

static void test_blocked_stack_walk(void **state)
{
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, &offsets_1_19);
	struct go_g g = parked_g();
	uint64_t pcs[16], lo = stack_lo(0);

	(void)state;
	put_frame(im, lo + 0x100, lo + 0x200, 0x4b0001);
	put_frame(im, lo + 0x200, lo + 0x300, 0x4b0002);
	put_frame(im, lo + 0x300, 0, 0x4b0003); /* goexit's frame: the chain ends */
	check_eq(gocensus__blocked_stack(&opts, &g, pcs, 16), 4);
	check_hex(pcs[0], 0x4a0000);
	check_hex(pcs[1], 0x4b0001);
	check_hex(pcs[2], 0x4b0002);
	check_hex(pcs[3], 0x4b0003);
	/* Bounded by max. */
	check_eq(gocensus__blocked_stack(&opts, &g, pcs, 2), 2);
	check_hex(pcs[1], 0x4b0001);
	/* Only a parked g has a saved stack. */
	g.status = GO_GRUNNING;
	check_eq(gocensus__blocked_stack(&opts, &g, pcs, 16), 0);
	image_free(im);
}

static void test_blocked_stack_loop_stops(void **state)
{
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, &offsets_1_19);
	struct go_g g = parked_g();
	uint64_t pcs[64], lo = stack_lo(0);

	(void)state;
	put_frame(im, lo + 0x100, lo + 0x200, 0x4b0001);
	put_frame(im, lo + 0x200, lo + 0x100, 0x4b0002); /* back down: a loop */
	check_eq(gocensus__blocked_stack(&opts, &g, pcs, 64), 3);
	check_hex(pcs[2], 0x4b0002);
	put_frame(im, lo + 0x200, lo + 0x200, 0x4b0002); /* points at itself */
	check_eq(gocensus__blocked_stack(&opts, &g, pcs, 64), 3);
	image_free(im);
}

static void test_blocked_stack_leaves_stack(void **state)
{
	struct image *im = image_new();
	struct go_census_opts opts = opts_for(im, &offsets_1_19);
	struct go_g g = parked_g();
	uint64_t pcs[16], lo = stack_lo(0), hi = lo + STACK_BYTES;

	(void)state;
	/* The next bp is above the stack (a neighbouring stack's frame, readable): not followed. */
	put_frame(im, lo + 0x100, hi + 0x100, 0x4b0001);
	put_frame(im, hi + 0x100, hi + 0x200, 0x4b0bad);
	check_eq(gocensus__blocked_stack(&opts, &g, pcs, 16), 2);
	check_hex(pcs[1], 0x4b0001);
	/* A record straddling the stack's top is not read. */
	put_frame(im, lo + 0x100, hi - 8, 0x4b0001);
	put_u64(im, hi - 8, hi + 0x100);
	put_u64(im, hi, 0x4b0bad);
	check_eq(gocensus__blocked_stack(&opts, &g, pcs, 16), 2);
	/* A saved bp below the stack: only the parked pc. */
	g.sched_bp = lo - 0x100;
	put_frame(im, lo - 0x100, lo + 0x200, 0x4b0bad);
	check_eq(gocensus__blocked_stack(&opts, &g, pcs, 16), 1);
	check_hex(pcs[0], 0x4a0000);
	image_free(im);
}

static void test_wait_reason_names(void **state)
{
	(void)state;
	assert_string_equal(gocensus__wait_reason(1, 19, 14), "chan receive");
	assert_string_equal(gocensus__wait_reason(1, 23, 14), "chan receive");
	assert_string_equal(gocensus__wait_reason(1, 21, 14), "chan receive");
	assert_string_equal(gocensus__wait_reason(1, 18, 9), "select");
	assert_string_equal(gocensus__wait_reason(1, 22, 19), "sleep");
	/* Where the lists part: 21 differs between 1.19 and 1.23. */
	assert_string_equal(gocensus__wait_reason(1, 19, 21), "timer goroutine (idle)");
	assert_string_equal(gocensus__wait_reason(1, 23, 21), "sync.Mutex.Lock");
	assert_null(gocensus__wait_reason(1, 21, 21));
	assert_string_equal(gocensus__wait_reason(1, 19, 26), "debug call");
	assert_null(gocensus__wait_reason(1, 19, 27));
	assert_string_equal(gocensus__wait_reason(1, 23, 36), "coroutine");
	assert_null(gocensus__wait_reason(1, 23, 38));
	assert_null(gocensus__wait_reason(1, 17, 14));
	assert_null(gocensus__wait_reason(1, 24, 14));
	assert_null(gocensus__wait_reason(2, 19, 14));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_census_go1_19),
	    cmocka_unit_test(test_census_go1_23),
	    cmocka_unit_test(test_no_classifier_means_user),
	    cmocka_unit_test(test_garbage_gs_skipped),
	    cmocka_unit_test(test_max_gs_bounds_the_census),
	    cmocka_unit_test(test_many_gs_in_chunks),
	    cmocka_unit_test(test_unreadable_allgs),
	    cmocka_unit_test(test_unreadable_pointer_array),
	    cmocka_unit_test(test_offsets_past_size_refused),
	    cmocka_unit_test(test_blocked_stack_walk),
	    cmocka_unit_test(test_blocked_stack_loop_stops),
	    cmocka_unit_test(test_blocked_stack_leaves_stack),
	    cmocka_unit_test(test_wait_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
