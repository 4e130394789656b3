// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>

#include "sample.h"

void sample__steps(uint64_t mean, uint64_t *steps)
{
	size_t i;
	double step;

	for (i = 0; i < ML_SAMPLE_QUANTILES; i++) {
		step = -(double)mean * log(1.0 - ((double)i + 0.5) / ML_SAMPLE_QUANTILES);
		steps[i] = step < 1 ? 1 : (uint64_t)(step + 0.5);
	}
}

uint64_t sample__estimate(uint64_t size, uint64_t mean)
{
	double p;

	if (!mean || !size)
		return size;
	p = -expm1(-(double)size / (double)mean); /* 1 - exp(-x), exact for small x */
	return p > 0 ? (uint64_t)((double)size / p + 0.5) : size;
}
