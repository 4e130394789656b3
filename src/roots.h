/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The root regions of a process for a reachability scan, from its maps,
 * its live blocks and its threads' stack pointers: what LSan scans from
 * inside (module data, thread stacks, TLS), plus every writable mapping
 * memleakd does not see blocks in (another allocator's arena, an mmap
 * pool): a pointer kept there counts, so a block it points to is never
 * called lost. The allocator's own heap (glibc's [heap] and arena heaps,
 * a mapping that holds a live block) is not a root: its free chunks hold
 * stale pointers.
 *
 * Pure logic but for the reads through mem_read_fn (arena headers).
 */
#ifndef MEMLEAKD_ROOTS_H
#define MEMLEAKD_ROOTS_H

#include <stddef.h>
#include <stdint.h>

#include "procmaps.h"
#include "procmem.h"
#include "reach.h"

/* Bytes below a stack pointer scanned too: x86-64's red zone. */
#define ROOTS_RED_ZONE 128

struct roots_stats {
	size_t nr_regions;
	uint64_t bytes[NR_ROOT_KINDS];
	uint64_t heap_bytes_skipped; /* [heap], arena heaps, mappings with live blocks */
	uint64_t skipped_bytes;	     /* neither root nor heap: read-only, devices, shared files */
};

/*
 * Root regions of a process: maps as /proc/PID/maps gave them (sorted),
 * blocks[nr_blocks] its live blocks sorted by address (only their ranges
 * are used), sps[nr_sps] its threads' stack pointers. read/ctx read the
 * target (glibc arena headers are checked, not guessed). Into *out
 * (malloc'd, sorted, not overlapping) and *nr_out. 0 or -ENOMEM.
 *
 * - A file's private writable mappings, the read-only mapping of the same
 *   file right before one (relro), and the anonymous mapping right after
 *   its last (.bss past the file's end): ROOT_GLOBALS.
 *   A live block inside module data is left out of it.
 * - The mapping a stack pointer is in, from sp - ROOTS_RED_ZONE (not
 *   below the mapping) to its end: ROOT_STACK (a thread's TCB and static
 *   TLS sit above its stack, so they are scanned too). On a heap, only a
 *   live block the sp is in (a coroutine's stack), from sp up.
 * - Any other readable, writable private mapping, anonymous (also
 *   [anon:NAME], or [stack] with no sp in it) or of /dev/zero, that holds
 *   no live block and is neither [heap] nor a glibc arena heap:
 *   ROOT_UNTRACED. One whose live blocks are all glibc mmapped chunks
 *   (checked through read) is untraced but for those chunks' pages: the
 *   kernel merges them with neighbouring anonymous mmaps.
 * - Never: [vvar], [vsyscall], [vdso], mappings not readable or not
 *   writable (but relro), shared mappings (files, memfd, shared
 *   anonymous memory), other /dev files.
 */
int roots__collect(const struct procmaps *maps, const struct reach_block *blocks, size_t nr_blocks,
		   const uint64_t *sps, size_t nr_sps, mem_read_fn read, void *ctx,
		   struct reach_region **out, size_t *nr_out, struct roots_stats *stats);

#endif
