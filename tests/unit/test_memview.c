// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's view against tracked memory (src/memview.h): parsing
 * /proc/PID/smaps_rollup and /proc/PID/status, the gap's series and
 * verdict, the hints.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "checks.h"

#include "memview.h"
#include "trend.h"

/* A real smaps_rollup (Linux 6.1). */
static const char rollup[] =
    "5569c7742000-7ffffffff000 ---p 00000000 00:00 0                          [rollup]\n"
    "Rss:                1644 kB\n"
    "Pss:                 307 kB\n"
    "Pss_Dirty:           124 kB\n"
    "Pss_Anon:            120 kB\n"
    "Pss_File:            183 kB\n"
    "Pss_Shmem:             0 kB\n"
    "Shared_Clean:       1476 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:        44 kB\n"
    "Private_Dirty:       124 kB\n"
    "Referenced:         1644 kB\n"
    "Anonymous:           128 kB\n"
    "KSM:                   0 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                  8 kB\n"
    "SwapPss:               0 kB\n"
    "Locked:                0 kB\n";

/* A real status, cut; the comm is the target's to choose. */
static const char status[] = "Name:\tRss: 1 kB\n"
			     "Umask:\t0022\n"
			     "State:\tR (running)\n"
			     "VmPeak:\t    9612 kB\n"
			     "VmRSS:\t    2216 kB\n"
			     "RssAnon:\t     176 kB\n"
			     "RssFile:\t    2040 kB\n"
			     "VmSwap:\t       0 kB\n"
			     "Threads:\t1\n";

static int parse_rollup(const char *text, struct memview_reading *r)
{
	return memview__parse_rollup(text, strlen(text), r);
}

static void test_parse_rollup(void **state)
{
	struct memview_reading r;

	(void)state;
	check_eq(parse_rollup(rollup, &r), 0);
	check_u64(r.rss_bytes, 1644 * 1024);
	check_u64(r.anon_bytes, 128 * 1024);
	check_u64(r.pss_anon_bytes, 120 * 1024);
	check_u64(r.private_dirty_bytes, 124 * 1024);
	check_u64(r.swap_bytes, 8 * 1024);
	assert_false(r.from_status);
	/* The length bounds the text: a cut before Anonymous misses it. */
	check_eq(memview__parse_rollup(rollup, (size_t)(strstr(rollup, "Anonymous") - rollup), &r),
		 -EINVAL);
	/* No trailing newline; optional fields missing (older kernels have no Pss_Anon). */
	check_eq(parse_rollup("Rss: 4 kB\nAnonymous: 0 kB", &r), 0);
	check_u64(r.rss_bytes, 4096);
	check_u64(r.anon_bytes, 0);
	check_u64(r.pss_anon_bytes, 0);
	/* The largest size that fits, and past it. */
	check_eq(parse_rollup("Rss: 18014398509481983 kB\nAnonymous: 1 kB\n", &r), 0);
	check_u64(r.rss_bytes, 18014398509481983ULL * 1024);
	check_eq(parse_rollup("Rss: 18014398509481984 kB\nAnonymous: 1 kB\n", &r), -ERANGE);
	check_eq(parse_rollup("Rss: 99999999999999999999999999 kB\nAnonymous: 1 kB\n", &r),
		 -ERANGE);
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "garbage",
	    "Rss: 4 kB\n",			       /* Anonymous missing */
	    "Anonymous: 4 kB\n",		       /* Rss missing */
	    "Rss: kB\nAnonymous: 4 kB\n",	       /* no digits */
	    "Rss: 4\nAnonymous: 4 kB\n",	       /* no unit */
	    "Rss: 4 MB\nAnonymous: 4 kB\n",	       /* another unit */
	    "Rss: -4 kB\nAnonymous: 4 kB\n",	       /* negative */
	    "Rss: 4 kB trailing\nAnonymous: 4 kB\n",   /* junk after the unit */
	    "Rss: 4 kB\nRss: 5 kB\nAnonymous: 4 kB\n", /* twice */
	    "Rss: 0x10 kB\nAnonymous: 4 kB\n",
	};
	struct memview_reading r;
	char nul[] = "Rss: 4 kB\nAnon\0mous: 4 kB\n";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0x55, sizeof(r));
		if (parse_rollup(bad[i], &r) == 0)
			fail_msg("parsed: '%s'", bad[i]);
		check_u64(r.rss_bytes, 0); /* zeroed, never half-filled garbage */
	}
	/* A NUL inside the text is a byte like another: "Anon\0mous" is no field. */
	check_eq(memview__parse_rollup(nul, sizeof(nul) - 1, &r), -EINVAL);
	check_eq(memview__parse_rollup(NULL, 0, &r), -EINVAL);
	/* Unknown fields and odd lines are ignored, whatever they hold. */
	check_eq(parse_rollup("Weird: xyz\n:::\n\n\nRss:\t4 kB \nAnonymous:4 kB\n", &r), 0);
	check_u64(r.anon_bytes, 4096);
}

static void test_parse_status(void **state)
{
	struct memview_reading r;

	(void)state;
	/* A comm that looks like a field is on the Name: line, not a field's. */
	check_eq(memview__parse_status(status, strlen(status), &r), 0);
	check_u64(r.rss_bytes, 2216 * 1024);
	check_u64(r.anon_bytes, 176 * 1024);
	check_u64(r.swap_bytes, 0);
	assert_true(r.from_status);
	/* A kernel thread has no VmRSS. */
	check_eq(memview__parse_status("Name:\tkthreadd\nThreads:\t1\n", 26, &r), -EINVAL);
	assert_false(r.from_status);
	/* The status fields are not smaps_rollup's, and the other way round. */
	check_eq(parse_rollup(status, &r), -EINVAL);
	check_eq(memview__parse_status(rollup, strlen(rollup), &r), -EINVAL);
}

static struct trend_params params_1s(void)
{
	struct trend_params p = trend_defaults;

	p.interval_s = 1;
	p.min_rate = 64; /* --min-growth's default: the floor raises it */
	return p;
}

/* Memory growing outside what is tracked: flagged, at about its rate. */
static void test_series_growing(void **state)
{
	struct trend_params p = params_1s();
	struct memview *mv = memview__new(10, &p);
	struct memview_verdict v;
	uint64_t i;

	(void)state;
	assert_non_null(mv);
	assert_false(memview__get(mv, 7, &v));
	for (i = 0; i < 10; i++)
		check_eq(memview__record(mv, 7, (1 + i) << 20, 65536, false, &v), 0);
	assert_true(v.growing);
	assert_true(v.gap_rate > 0.99 * (1 << 20) && v.gap_rate < 1.01 * (1 << 20));
	check_eq(v.gap_bytes, (10 << 20) - 65536);
	check_eq(v.nr_values, 10);
	assert_true(memview__get(mv, 7, &v));
	assert_true(v.growing);
	memview__destroy(mv);
}

/*
 * Not flagged: memory growing as fast in what is tracked (the gap is flat),
 * a gap below the floor, a noisy flat gap, and a negative one.
 */
static void test_series_not_growing(void **state)
{
	struct trend_params p = params_1s();
	struct memview *mv = memview__new(10, &p);
	struct memview_verdict v;
	uint64_t i, noise;

	(void)state;
	for (i = 0; i < 20; i++) {
		/* pid 1: tracked grows with anonymous memory (--mmap traces the mmaps). */
		check_eq(memview__record(mv, 1, (1 + i) << 20, i << 20, false, &v), 0);
		assert_false(v.growing);
		/* pid 2: 32 KiB/s: under the 64 KiB/s floor, however steady. */
		check_eq(memview__record(mv, 2, 1000000 + i * 32768, 0, false, &v), 0);
		assert_false(v.growing);
		/* pid 3: a flat gap with page-sized noise. */
		noise = (i * 7919) % 17 * 4096;
		check_eq(memview__record(mv, 3, 4000000 + noise, 100000, false, &v), 0);
		assert_false(v.growing);
		/* pid 4: more tracked than resident (blocks never touched): negative, flat. */
		check_eq(memview__record(mv, 4, 1 << 20, 5 << 20, false, &v), 0);
		check_eq(v.gap_bytes, -(4 << 20));
		assert_false(v.growing);
	}
	memview__destroy(mv);
}

/*
 * A gap that grows from a negative level (tracked was ahead: pages not yet
 * touched) is judged on its shape, not its sign.
 */
static void test_series_negative_to_positive(void **state)
{
	struct trend_params p = params_1s();
	struct memview *mv = memview__new(10, &p);
	struct memview_verdict v;
	uint64_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		check_eq(memview__record(mv, 9, (i + 1) << 20, 5 << 20, false, &v), 0);
	assert_true(v.growing);
	check_eq(v.gap_bytes, 5 << 20);
	memview__destroy(mv);
}

/*
 * A small-block leak grows anonymous memory faster than tracked: malloc's
 * per-block overhead, on a leak already shown, is not memory outside malloc.
 */
static void test_series_malloc_overhead(void **state)
{
	struct trend_params p = params_1s();
	struct memview *mv = memview__new(10, &p);
	struct memview_verdict v;
	uint64_t i;

	(void)state;
	for (i = 0; i < 10; i++) {
		/* pid 5: 32-byte blocks take 48 bytes: tracked 4 MiB/s, the gap 2 MiB/s. */
		check_eq(memview__record(mv, 5, i * (6 << 20), i * (4 << 20), false, &v), 0);
		assert_false(v.growing);
		/* pid 6: 16-byte blocks take 32 bytes: the gap grows as fast as tracked. */
		check_eq(memview__record(mv, 6, i * (8 << 20), i * (4 << 20), false, &v), 0);
		assert_false(v.growing);
	}
	assert_true(v.gap_rate > 3.9 * (1 << 20));
	/* pid 7: the gap grows twice as fast as tracked: more than any block's overhead. */
	for (i = 0; i < 10; i++)
		check_eq(memview__record(mv, 7, i * (3 << 20), i * (1 << 20), false, &v), 0);
	assert_true(v.growing);
	/* pid 8: the same gap with tracked flat is memory outside malloc. */
	for (i = 0; i < 10; i++)
		check_eq(memview__record(mv, 8, i * (2 << 20), 1 << 20, false, &v), 0);
	assert_true(v.growing);
	memview__destroy(mv);
}

/*
 * A Go heap's footprint grows faster than its live data (GC headroom:
 * GOGC=100 lets it reach twice the live heap) and the profile lags a GC
 * cycle: a gap at 1.7 times the profile's growth (measured on gheap) is the
 * leak the profile shows; without the Go allowance it would be flagged.
 */
static void test_series_go_headroom(void **state)
{
	struct trend_params p = params_1s();
	struct memview *mv = memview__new(10, &p);
	struct memview_verdict v;
	uint64_t i;

	(void)state;
	for (i = 0; i < 10; i++) {
		check_eq(memview__record(mv, 1, i * (27 << 20) / 10, i * (1 << 20), true, &v), 0);
		assert_false(v.growing);
		check_eq(memview__record(mv, 2, i * (27 << 20) / 10, i * (1 << 20), false, &v), 0);
	}
	assert_true(v.growing);
	/* Far more than headroom explains: flagged for Go too. */
	for (i = 0; i < 10; i++)
		check_eq(memview__record(mv, 3, i * (5 << 20), i * (1 << 20), true, &v), 0);
	assert_true(v.growing);
	memview__destroy(mv);
}

/* A pid not recorded since the last sweep is forgotten; drop_pid forgets at once. */
static void test_sweep_and_drop(void **state)
{
	struct trend_params p = params_1s();
	struct memview *mv = memview__new(4, &p);
	struct memview_verdict v;
	uint32_t pid;
	int round;

	(void)state;
	assert_null(memview__new(1, &p));
	assert_null(memview__new(TREND_MAX_WINDOW + 1, &p));
	for (round = 0; round < 3; round++) {
		for (pid = 1; pid <= 300; pid++)
			if (round == 0 || pid % 2)
				check_eq(memview__record(mv, pid, pid * 4096, 0, false, &v), 0);
		memview__sweep(mv);
	}
	check_eq(memview__nr_pids(mv), 150);
	assert_false(memview__get(mv, 2, &v));
	assert_true(memview__get(mv, 3, &v));
	check_eq(v.nr_values, 3);
	memview__drop_pid(mv, 3);
	assert_false(memview__get(mv, 3, &v));
	check_eq(memview__nr_pids(mv), 149);
	/* A pid that comes back starts a new series. */
	check_eq(memview__record(mv, 2, 4096, 0, false, &v), 0);
	check_eq(v.nr_values, 1);
	memview__destroy(mv);
	memview__destroy(NULL);
}

/* A process whose smaps_rollup is slow to read is read through status from then on. */
static void test_rollup_cost(void **state)
{
	struct trend_params p = params_1s();
	struct memview *mv = memview__new(4, &p);
	struct memview_verdict v;

	(void)state;
	assert_true(memview__rollup_wanted(mv, 5));
	memview__rollup_cost(mv, 5, MEMVIEW_ROLLUP_SLOW_S / 2);
	assert_true(memview__rollup_wanted(mv, 5));
	check_eq(memview__nr_pids(mv), 0);
	memview__rollup_cost(mv, 5, 0.031); /* 64,000 mappings */
	assert_false(memview__rollup_wanted(mv, 5));
	assert_false(memview__get(mv, 5, &v)); /* no reading yet */
	check_eq(memview__record(mv, 5, 1 << 20, 0, false, &v), 0);
	assert_true(memview__get(mv, 5, &v));
	memview__sweep(mv);
	assert_false(memview__rollup_wanted(mv, 5)); /* recorded: kept */
	memview__sweep(mv);
	assert_true(memview__rollup_wanted(mv, 5)); /* no longer listed: forgotten */
	memview__destroy(mv);
}

static void test_gap_saturates(void **state)
{
	(void)state;
	check_eq(memview__gap(10, 3), 7);
	check_eq(memview__gap(3, 10), -7);
	check_eq(memview__gap(UINT64_MAX, 0), INT64_MAX);
	check_eq(memview__gap(0, UINT64_MAX), -INT64_MAX);
}

static void test_hints(void **state)
{
	const char *c = memview__hint(false, false, false);
	const char *c_mmap = memview__hint(false, true, false);
	const char *go = memview__hint(true, false, false);

	(void)state;
	assert_non_null(strstr(c, "outside malloc"));
	assert_non_null(strstr(c, "--mmap"));
	assert_null(strstr(c_mmap, "--mmap"));
	assert_non_null(strstr(c_mmap, "custom allocator"));
	assert_non_null(strstr(go, "Go heap profile"));
	assert_non_null(strstr(go, "GOGC"));
	assert_ptr_equal(memview__hint(true, true, false), go); /* Go maps by syscall anyway */
	assert_null(strstr(c, "estimate"));
	assert_non_null(strstr(memview__hint(false, false, true), "--mmap"));
	assert_non_null(strstr(memview__hint(false, false, true), "estimate"));
	assert_non_null(strstr(memview__hint(false, true, true), "estimate"));
	assert_non_null(strstr(memview__hint(true, false, true), "estimate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_rollup),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_parse_status),
	    cmocka_unit_test(test_series_growing),
	    cmocka_unit_test(test_series_not_growing),
	    cmocka_unit_test(test_series_negative_to_positive),
	    cmocka_unit_test(test_series_malloc_overhead),
	    cmocka_unit_test(test_series_go_headroom),
	    cmocka_unit_test(test_sweep_and_drop),
	    cmocka_unit_test(test_rollup_cost),
	    cmocka_unit_test(test_gap_saturates),
	    cmocka_unit_test(test_hints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
