/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-stack history of outstanding bytes, one value per interval over a
 * window, and the growth verdict on it (trend.c). A stack's history starts
 * with the 0 it held before it was first seen. "growing" needs the trend
 * criteria to hold at two intervals in a row. Pure: no BPF, no globals.
 */
#ifndef MEMLEAKD_HISTORY_H
#define MEMLEAKD_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocs.h"
#include "trend.h"

struct history;

struct stack_history {
	uint64_t values[TREND_MAX_WINDOW]; /* oldest first */
	size_t nr_values;
	struct trend trend;
	bool growing;
};

/* window: 2..TREND_MAX_WINDOW values. NULL with errno on failure. */
struct history *history__new(size_t window, const struct trend_params *params);
void history__destroy(struct history *h);

/* Appends this interval's value for (pid, kind, stack_id) and judges it. 0 or -ENOMEM. */
/*
 * The growth floor of one kind, in its unit per second (goroutines grow by
 * a few a second, not by 64): replaces params->min_rate for that kind.
 */
void history__set_min_rate(struct history *h, enum alloc_kind kind, double min_rate);
int history__record(struct history *h, uint32_t pid, enum alloc_kind kind, int32_t stack_id,
		    uint64_t outstanding);
/* The history of a stack, or NULL when it was never recorded. */
const struct stack_history *history__get(const struct history *h, uint32_t pid,
					 enum alloc_kind kind, int32_t stack_id);
/* Forgets a process's stacks, of every kind. */
void history__drop_pid(struct history *h, uint32_t pid);

#endif
