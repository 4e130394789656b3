/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Is a stack's outstanding memory growing? A series of outstanding bytes,
 * one value per interval, oldest first, judged by:
 *   - a Mann-Kendall trend test (one-sided, tie-corrected, z >= z_min),
 *   - a Theil-Sen slope of at least min_rate bytes/s,
 *   - a rise over the window of at least min_signal times the robust scatter
 *     around the trend line (noise that happens to drift is not a leak),
 *   - growth that goes on: the last `recent` intervals hold at least
 *     recent_share of their pro-rata part of the range (a cache that
 *     filled and plateaued stops),
 *   - no large drop: the series never fell by more than max_drawdown of its
 *     range (a sawtooth frees everything every cycle; a leak never does),
 *   - no single jump: no one interval holds more than max_jump of the
 *     range (one big allocation kept is a step, not a trend).
 * Pure: no globals, no I/O.
 */
#ifndef MEMLEAKD_TREND_H
#define MEMLEAKD_TREND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TREND_MAX_WINDOW 64

struct trend_params {
	double interval_s;   /* seconds between values */
	size_t min_points;   /* fewer values: never growing */
	double z_min;	     /* Mann-Kendall z threshold */
	double min_rate;     /* bytes/s */
	size_t recent;	     /* intervals the growth must still show in */
	double recent_share; /* of the slope, over those intervals */
	double max_drawdown; /* largest drop allowed, as a share of max - min */
	double max_jump;     /* largest one-interval rise allowed, as a share of max - min */
	double min_signal;   /* rise over the window / robust scatter around the trend line */
};

extern const struct trend_params trend_defaults;

struct trend {
	double rate;	 /* Theil-Sen slope, bytes/s (0 with fewer than 2 values) */
	double z;	 /* Mann-Kendall z (0 when there is no upward trend) */
	double drawdown; /* largest drop as a share of the range */
	double jump;	 /* largest one-interval rise as a share of the range */
	bool growing;
};

/* Judges x[0..n) (oldest first, n <= TREND_MAX_WINDOW; more are cut to the newest). */
void trend__evaluate(const uint64_t *x, size_t n, const struct trend_params *p, struct trend *out);

#endif
