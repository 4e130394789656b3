/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A snapshot as Prometheus metrics (text exposition format 0.0.4), for
 * --metrics. Per process, per stack of an executable (the same stack of
 * several processes of one executable is one series, summed), the "left at
 * exit" tally, the losses and memleakd's own figures. Label values come
 * from the targets (comm, exe, symbols) and are escaped. The stack
 * families are bounded: per kind, the top K series by outstanding bytes
 * plus up to K growing ones (fastest first); the tally the same. Pure: no
 * I/O, no globals.
 */
#ifndef MEMLEAKD_METRICS_H
#define MEMLEAKD_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "allocs.h"
#include "snapshot.h"
#include "symbolize.h"

struct metrics_opts {
	unsigned int top;    /* K: series per kind by bytes, and growing ones beyond them */
	const char *version; /* memleakd_build_info{version} */
};

/*
 * Renders snap (NULL: before the first snapshot, build_info only) into a
 * malloc'd *text of *len bytes (NUL-terminated). 0 or -ENOMEM.
 */
int metrics__render(const struct snapshot *snap, const struct metrics_opts *mo, char **text,
		    size_t *len);

/* The `leaf` label: frames[0]'s function, "module+0xOFF", or "?". */
const char *metrics__leaf(const struct frame *frames, size_t nr, char *buf, size_t len);
/*
 * The `caller` label: the first frame outside the allocator (its entry
 * points, libjemalloc/libtcmalloc/libmimalloc, runtime.* for Go kinds), as
 * metrics__leaf names it; "?" when every frame is the allocator's.
 */
const char *metrics__caller(enum alloc_kind kind, const struct frame *frames, size_t nr, char *buf,
			    size_t len);
/* Whether a frame is the allocator's (for metrics__caller). */
bool metrics__is_allocator_frame(enum alloc_kind kind, const struct frame *f);

#endif
