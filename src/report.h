/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The human report: a header with totals and loss counters, then the top stacks. */
#ifndef MEMLEAKD_REPORT_H
#define MEMLEAKD_REPORT_H

#include <stdio.h>

#include "snapshot.h"

struct report_opts {
	unsigned int top; /* stacks to print */
};

/* Renders snap; 0 or -EIO when the stream failed. */
int report__render(FILE *out, const struct snapshot *snap, const struct report_opts *opts);

#endif
