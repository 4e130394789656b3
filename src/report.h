/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The human report: a header with totals and loss counters, then the top stacks. */
#ifndef MEMLEAKD_REPORT_H
#define MEMLEAKD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot.h"

struct report_opts {
	unsigned int top; /* stacks to print */
	int color;	  /* ANSI colour: a terminal without NO_COLOR */
};

/* Eight-level bar characters (UTF-8) for values, scaled min..max; len bytes at most. */
const char *report__sparkline(const uint64_t *values, size_t n, char *buf, size_t len);

/* Renders snap; 0 or -EIO when the stream failed. */
int report__render(FILE *out, const struct snapshot *snap, const struct report_opts *opts);

#endif
