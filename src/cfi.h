/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Compact unwind tables from an ELF file's call frame information
 * (.eh_frame), in the row format the BPF stack walker reads (memleak.h).
 * Pure: a file descriptor in, rows out; the file is untrusted input.
 */
#ifndef MEMLEAKD_CFI_H
#define MEMLEAKD_CFI_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "memleak.h"

struct cfi_table;

/* Counts of how the rows came out, for -v and the tests. */
struct cfi_stats {
	size_t rows;
	size_t no_cfi;	    /* gap rows: code without CFI (frame-pointer fallback) */
	size_t unsupported; /* rows with a rule the walker cannot follow */
	int debug_frame;    /* 1: from .debug_frame (the file has no .eh_frame) */
};

/*
 * Rows for every executable PT_LOAD segment of the ELF file open at fd,
 * sorted by pc (module vaddr), consecutive equal rules merged, from
 * .eh_frame or else .debug_frame. The file is read, never mapped, and
 * bounded: a CIE/FDE over cfi_scan's limits refuses the file, and the
 * build gives up after 2 s. 0 or -errno: -ENODATA when it has neither,
 * -E2BIG when its code lies beyond 4 GiB, needs more rows than a table may
 * hold or its CFI is over the limits, -ETIMEDOUT past 2 s, -EINVAL for a
 * file that is not ELF or whose CFI is malformed.
 */
int cfi_table__build(int fd, struct cfi_table **out);
const struct ml_unwind_row *cfi_table__rows(const struct cfi_table *t);
size_t cfi_table__nr_rows(const struct cfi_table *t);
const struct cfi_stats *cfi_table__stats(const struct cfi_table *t);
/* The row covering vaddr, as the BPF walker finds it; NULL before the first. */
const struct ml_unwind_row *cfi_table__find(const struct cfi_table *t, uint64_t vaddr);
/* The vaddr of a file offset inside an executable segment; 0 or -ENOENT. */
int cfi_table__offset_to_vaddr(const struct cfi_table *t, uint64_t offset, uint64_t *vaddr);
void cfi_table__free(struct cfi_table *t);

#endif
