// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The growth detector (src/trend.h) on synthetic series, one value per 1 s
 * interval: leaks (monotone, noisy, slow) are flagged, and caches that
 * plateau, steps, sawtooths, spikes and noise are not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "checks.h"

#include "history.h"
#include "trend.h"

static struct trend judge(const uint64_t *x, size_t n)
{
	struct trend t;

	trend__evaluate(x, n, &trend_defaults, &t);
	return t;
}

/*
 * Feeds x[1..n) to a history (x[0] = 0 stands for "before it was seen", as
 * history adds it): the 1-based interval at which the stack is first
 * flagged growing, or 0 for never.
 */
static size_t first_flag(const uint64_t *x, size_t n, size_t window)
{
	struct history *h = history__new(window, &trend_defaults);
	size_t i, flagged = 0;

	assert_non_null(h);
	assert_int_equal(x[0], 0);
	for (i = 1; i < n && !flagged; i++) {
		check_eq(history__record(h, 7, KIND_MALLOC, 1, x[i]), 0);
		if (history__get(h, 7, KIND_MALLOC, 1)->growing)
			flagged = i;
	}
	history__destroy(h);
	return flagged;
}

/* The same with a series that does not start at 0 (prefixed with it). */
static size_t first_flag_from(const uint64_t *x, size_t n, size_t window)
{
	uint64_t with_zero[128] = {0};

	assert_true(n < 128);
	memcpy(with_zero + 1, x, n * sizeof(*x));
	return first_flag(with_zero, n + 1, window);
}

static void test_monotone_leak(void **state)
{
	uint64_t x[20];
	size_t i;
	struct trend t;

	(void)state;
	/* The history starts with the 0 the stack held before it was first seen. */
	for (i = 0; i < 20; i++)
		x[i] = 10240 * i;	    /* 10 KiB/s */
	check_eq(first_flag(x, 20, 10), 5); /* the 5th interval */
	t = judge(x, 10);
	assert_true(t.growing);
	check_eq((long long)t.rate, 10240);
	assert_true(t.z > 2.5);
}

static void test_noisy_slow_leak(void **state)
{
	uint64_t x[40], rng = 7;
	size_t i;

	(void)state;
	/* 1 KiB/s with up to 300 B of jitter (blocks in flight at the sample). */
	for (i = 0; i < 40; i++)
		x[i] = 200000 + 1024 * i + rng_next(&rng) % 300;
	assert_true(first_flag_from(x, 40, 10) > 0);
	assert_true(first_flag_from(x, 40, 10) <= 20);
	assert_true(judge(x + 30, 10).growing);
}

static void test_cache_plateau(void **state)
{
	uint64_t x[30], rng = 11;
	size_t i, end;

	(void)state;
	/* Fills in 3 s, then replaces entries: +-1 entry of 1 KiB at the sample. */
	for (i = 0; i < 30; i++)
		x[i] = i < 3 ? 100 * 1024 * (i + 1) : 300 * 1024 - (rng_next(&rng) % 2) * 1024;
	/* Never flagged (so certainly not from 5 intervals after the plateau). */
	check_eq(first_flag_from(x, 30, 10), 0);
	for (end = 3 + 5; end <= 30; end++)
		assert_false(judge(x + (end > 10 ? end - 10 : 0), end > 10 ? 10 : end).growing);
}

static void test_step(void **state)
{
	uint64_t x[20];
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		x[i] = i < 7 ? 4096 : 1 << 20; /* one big allocation, kept */
	check_eq(first_flag_from(x, 20, 10), 0);
}

static void test_sawtooth(void **state)
{
	uint64_t x[60];
	size_t i;

	(void)state;
	/* Grows for 4 s (4 samples after the empty one), frees everything, repeats. */
	for (i = 0; i < 60; i++)
		x[i] = (i % 5) * 40960;
	check_eq(first_flag(x, 60, 10), 0);
	/* Starting anywhere in the cycle changes nothing. */
	for (i = 1; i < 5; i++)
		check_eq(first_flag_from(x + i, 60 - i, 10), 0);
}

static void test_single_spike(void **state)
{
	uint64_t x[20] = {0};

	(void)state;
	x[9] = 1 << 20;
	check_eq(first_flag(x, 20, 10), 0);
	check_eq(first_flag_from(x + 9, 11, 10), 0);
	x[9] = 0;
	check_eq(first_flag(x, 20, 10), 0); /* all zero: no trend at all */
	check_eq((long long)judge(x, 20).rate, 0);
}

/* Allocations and frees with no leak: random blocks in flight at each sample. */
static void test_noise_never_flagged(void **state)
{
	uint64_t x[60], rng = 3;
	size_t run, i, flags = 0;

	(void)state;
	/* Uniform noise of +-32 KiB: chance runs that look like growth are rare. */
	for (run = 0; run < 1000; run++) {
		for (i = 0; i < 60; i++)
			x[i] = 100000 + rng_next(&rng) % 65536;
		flags += first_flag_from(x, 60, 10) != 0;
	}
	print_message("(%zu of 1000 noise series of 60 intervals flagged)\n", flags);
	assert_true(flags <= 5);
}

static void test_short_and_long_series(void **state)
{
	uint64_t x[100];
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		x[i] = 1000 * i;
	assert_false(judge(x, 0).growing);
	assert_false(judge(x, 1).growing);
	assert_false(judge(x, 4).growing); /* fewer than min_points */
	assert_true(judge(x, 5).growing);
	assert_true(judge(x, 100).growing); /* cut to the newest TREND_MAX_WINDOW */
	check_eq((long long)judge(x, 100).rate, 1000);
}

static void test_min_rate(void **state)
{
	uint64_t x[10];
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		x[i] = 1000 + 10 * i; /* 10 B/s: real, but below the default floor */
	assert_false(judge(x, 10).growing);
	assert_true(judge(x, 10).z > 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_monotone_leak),
	    cmocka_unit_test(test_noisy_slow_leak),
	    cmocka_unit_test(test_cache_plateau),
	    cmocka_unit_test(test_step),
	    cmocka_unit_test(test_sawtooth),
	    cmocka_unit_test(test_single_spike),
	    cmocka_unit_test(test_noise_never_flagged),
	    cmocka_unit_test(test_short_and_long_series),
	    cmocka_unit_test(test_min_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
