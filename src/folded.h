/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Folded stacks, the input of flame graph tools: one line per stack,
 * "comm;root;...;leaf BYTES" with the outstanding bytes. Kinds other than
 * malloc are marked after comm ("comm;[mmap];...", "[goroutine]",
 * "[go-heap]"); goroutine stacks weigh their live goroutines, go-heap
 * stacks their in-use bytes.
 */
#ifndef MEMLEAKD_FOLDED_H
#define MEMLEAKD_FOLDED_H

#include <stdio.h>

#include "snapshot.h"

/* 0 or -EIO. */
int folded__render(FILE *out, const struct snapshot *snap);

#endif
