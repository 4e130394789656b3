// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trend.h"

const struct trend_params trend_defaults = {
    .interval_s = 1.0,
    .min_points = 5,
    .z_min = 2.2,     /* one-sided p < 0.014; a 5-point monotone run reaches 2.20 */
    .min_rate = 64.0, /* bytes/s: below this, not worth a flag */
    .recent = 4,      /* a plateau stops being flagged 4-5 intervals in */
    .recent_share = 0.5,
    .max_drawdown = 0.25,
    .max_jump = 0.5,
    .min_signal = 4.0,
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Mann-Kendall z for an upward trend, with the variance corrected for ties. */
static double mann_kendall_z(const uint64_t *x, size_t n)
{
	uint64_t sorted[TREND_MAX_WINDOW];
	double var, s = 0;
	size_t i, j, run;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			s += (x[j] > x[i]) - (x[j] < x[i]);
	var = (double)n * (n - 1) * (2 * n + 5);
	memcpy(sorted, x, n * sizeof(*x));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && sorted[j] == sorted[i]; j++)
			;
		run = j - i;
		var -= (double)run * (run - 1) * (2 * run + 5);
	}
	var /= 18;
	if (s <= 0 || var <= 0)
		return 0;
	return (s - 1) / sqrt(var); /* continuity correction */
}

/* Theil-Sen: the median of all pairwise slopes, per interval. */
static double theil_sen(const uint64_t *x, size_t n)
{
	double slopes[TREND_MAX_WINDOW * (TREND_MAX_WINDOW - 1) / 2], median;
	size_t i, j, k = 0;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			slopes[k++] = ((double)x[j] - (double)x[i]) / (double)(j - i);
	if (!k)
		return 0;
	qsort(slopes, k, sizeof(slopes[0]), cmp_double);
	median = k % 2 ? slopes[k / 2] : (slopes[k / 2 - 1] + slopes[k / 2]) / 2;
	return median;
}

/* The largest fall from an earlier peak, as a share of the series' range. */
static double drawdown(const uint64_t *x, size_t n)
{
	uint64_t peak = x[0], lo = x[0], hi = x[0], worst = 0;
	size_t i;

	for (i = 1; i < n; i++) {
		if (x[i] > peak)
			peak = x[i];
		if (peak - x[i] > worst)
			worst = peak - x[i];
		if (x[i] < lo)
			lo = x[i];
		if (x[i] > hi)
			hi = x[i];
	}
	return hi > lo ? (double)worst / (double)(hi - lo) : 0;
}

/* The largest rise between neighbours, as a share of the series' range. */
static double largest_jump(const uint64_t *x, size_t n)
{
	uint64_t lo = x[0], hi = x[0], best = 0;
	size_t i;

	for (i = 1; i < n; i++) {
		if (x[i] > x[i - 1] && x[i] - x[i - 1] > best)
			best = x[i] - x[i - 1];
		if (x[i] < lo)
			lo = x[i];
		if (x[i] > hi)
			hi = x[i];
	}
	return hi > lo ? (double)best / (double)(hi - lo) : 0;
}

static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Scatter around the Theil-Sen line (per interval slope), as a robust
 * standard deviation: 1.4826 x the median absolute deviation of residuals.
 */
static double residual_noise(const uint64_t *x, size_t n, double slope)
{
	double resid[TREND_MAX_WINDOW], dev[TREND_MAX_WINDOW], center;
	size_t i;

	for (i = 0; i < n; i++)
		resid[i] = (double)x[i] - slope * (double)i;
	memcpy(dev, resid, n * sizeof(*dev));
	center = median_of(dev, n);
	for (i = 0; i < n; i++)
		dev[i] = fabs(resid[i] - center);
	return 1.4826 * median_of(dev, n);
}

void trend__evaluate(const uint64_t *x, size_t n, const struct trend_params *p, struct trend *out)
{
	double interval = p->interval_s > 0 ? p->interval_s : 1.0, recent_growth, range, growth;
	uint64_t lo, hi;
	size_t recent, i;

	memset(out, 0, sizeof(*out));
	if (n > TREND_MAX_WINDOW) {
		x += n - TREND_MAX_WINDOW;
		n = TREND_MAX_WINDOW;
	}
	if (n < 2)
		return;
	out->rate = theil_sen(x, n) / interval;
	out->z = mann_kendall_z(x, n);
	out->drawdown = drawdown(x, n);
	out->jump = largest_jump(x, n);
	if (n < p->min_points || out->z < p->z_min || out->rate < p->min_rate ||
	    out->drawdown > p->max_drawdown || out->jump > p->max_jump)
		return;
	/* The rise over the window must stand out of the scatter around it. */
	growth = out->rate * interval * (double)(n - 1);
	if (growth < p->min_signal * residual_noise(x, n, out->rate * interval))
		return;
	/* The newest intervals carry their share of the range: still growing, not a plateau. */
	for (lo = hi = x[0], i = 1; i < n; i++) {
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	range = (double)(hi - lo);
	recent = p->recent < n - 1 ? p->recent : n - 1;
	recent_growth = (double)x[n - 1] - (double)x[n - 1 - recent];
	out->growing = recent_growth >= p->recent_share * range * (double)recent / (double)(n - 1);
}
