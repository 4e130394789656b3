// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Byte-based sampling (src/sample.h): the step table has the right mean, and
 * the estimate of a sampled block makes sums unbiased whatever the sizes:
 * checked by running the kernel's countdown on synthetic allocations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "checks.h"

#include "sample.h"

static void test_steps_mean(void **state)
{
	uint64_t steps[ML_SAMPLE_QUANTILES];
	double sum = 0;
	size_t i;

	(void)state;
	sample__steps(65536, steps);
	for (i = 0; i < ML_SAMPLE_QUANTILES; i++) {
		sum += (double)steps[i];
		assert_true(steps[i] >= 1);
		if (i)
			assert_true(steps[i] >= steps[i - 1]); /* quantiles rise */
	}
	/* The mean of Exp(65536), within the table's discretisation. */
	assert_true(sum / ML_SAMPLE_QUANTILES > 65536 * 0.98 &&
		    sum / ML_SAMPLE_QUANTILES < 65536 * 1.02);
}

static void test_estimate_limits(void **state)
{
	(void)state;
	check_u64(sample__estimate(1000, 0), 1000); /* no sampling: as is */
	check_u64(sample__estimate(0, 4096), 0);
	/* Tiny blocks stand for about one mean's worth of bytes, huge ones for themselves. */
	assert_true(sample__estimate(1, 65536) > 65000 && sample__estimate(1, 65536) < 66000);
	assert_true(sample__estimate(100 << 20, 65536) == 100 << 20);
}

/* The kernel's countdown (bpf/sample.bpf.c), in userspace, over mixed sizes. */
static void test_unbiased_by_size(void **state)
{
	uint64_t steps[ML_SAMPLE_QUANTILES], rng = 42, mean = 16384, size, truth[3] = {0},
					     estimate[3] = {0};
	static const uint64_t sizes[3] = {32, 4000, 100000};
	int64_t left = 0;
	size_t i, kind;

	(void)state;
	sample__steps(mean, steps);
	for (i = 0; i < 6000000; i++) {
		kind = rng_next(&rng) % 3;
		size = sizes[kind];
		truth[kind] += size;
		left -= (int64_t)size;
		if (left > 0)
			continue;
		left = (int64_t)steps[rng_next(&rng) % ML_SAMPLE_QUANTILES];
		estimate[kind] += sample__estimate(size, mean);
	}
	for (kind = 0; kind < 3; kind++) {
		double ratio = (double)estimate[kind] / (double)truth[kind];

		print_message("(size %llu: estimate / truth = %.3f)\n",
			      (unsigned long long)sizes[kind], ratio);
		assert_true(ratio > 0.95 && ratio < 1.05); /* ~2,000+ samples of each size */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_steps_mean),
	    cmocka_unit_test(test_estimate_limits),
	    cmocka_unit_test(test_unbiased_by_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
