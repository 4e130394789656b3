/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A stack's identity that survives restarts of memleakd and of the traced
 * program: a hash of its symbolized frames (module basename and function,
 * or module and file offset where there is no symbol), never of addresses,
 * which ASLR changes on every run. Metrics label series with it; the
 * "left at exit" tally merges the same stack of different processes by it.
 * Pure.
 */
#ifndef MEMLEAKD_STACKID_H
#define MEMLEAKD_STACKID_H

#include <stddef.h>
#include <stdint.h>

#include "allocs.h"
#include "symbolize.h"

/* Of frames[0..nr) (leaf first) and the kind; 64-bit FNV-1a. */
uint64_t stackid__hash(enum alloc_kind kind, const struct frame *frames, size_t nr);
/* As 16 lowercase hex digits into buf[17]; returns buf. */
const char *stackid__format(uint64_t hash, char buf[17]);

#endif
