/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reachability, the way LeakSanitizer decides it, done from outside: the
 * roots (module data, thread stacks, registers, untraced mappings) are
 * scanned conservatively for words that point into a live block, reached
 * blocks are scanned in turn, and each block ends reachable, indirectly
 * lost (only lost blocks point to it) or definitely lost (nothing does).
 *
 * Pure logic: the memory comes through a mem_read_fn, so unit tests run it
 * over a synthetic image. No BPF, no globals.
 */
#ifndef MEMLEAKD_REACH_H
#define MEMLEAKD_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmem.h"

/* What a block is, once scanned. Stored in 4 bits (allocs.c). */
enum reach_class {
	REACH_UNSCANNED = 0, /* no scan has seen the block (allocated since, or scan failed) */
	REACH_REACHABLE,     /* a root reaches it, directly or through reachable blocks */
	REACH_INDIRECT,	     /* only lost blocks point to it (LSan's "indirect leak") */
	REACH_LOST, /* nothing points to it ("direct leak", valgrind's "definitely lost") */
	NR_REACH_CLASSES
};

/* "unscanned", "reachable", "indirect", "lost". */
const char *reach_class__name(enum reach_class cls);

/* Where a root region comes from; said in -v output and the scan's stats. */
enum root_kind {
	ROOT_GLOBALS,	/* writable data of a loaded module: .data, .bss, relro */
	ROOT_STACK,	/* a thread's stack from its stack pointer (less the red zone) up */
	ROOT_REGISTERS, /* a thread's general registers */
	ROOT_UNTRACED,	/* writable memory no traced block lives in: other allocators, mmap pools,
			   TLS */
	NR_ROOT_KINDS
};

/* "globals", "stack", "registers", "untraced mapping". */
const char *root_kind__name(enum root_kind kind);

/*
 * A live block. The caller fills addr, size and sets cls = REACH_UNSCANNED;
 * reach__classify fills the rest. Blocks are sorted by addr and do not
 * overlap. A block of size 0 (malloc(0)) is matched as one byte.
 */
struct reach_block {
	uint64_t addr;
	uint64_t size;
	uint8_t cls;	    /* enum reach_class */
	uint8_t root;	    /* reachable: the enum root_kind it was first reached from */
	bool interior_only; /* reachable only through pointers into its middle (valgrind's
			       "possibly lost"); LSan and memleakd count it reachable */
	uint32_t user;	    /* the caller's own (e.g. the stack id); never touched */
};

/* A range of the target's memory to scan as a root. */
struct reach_region {
	uint64_t start;
	uint64_t end;
	enum root_kind kind;
};

/* Bounds on one scan; 0 = unbounded. */
struct reach_limits {
	uint64_t max_bytes; /* target memory read, roots and blocks together */
	uint64_t max_ns;    /* CLOCK_MONOTONIC time spent */
};

struct reach_stats {
	uint64_t bytes_read;		      /* roots and blocks */
	uint64_t root_bytes[NR_ROOT_KINDS];   /* read from each kind of root */
	uint64_t unreadable_bytes;	      /* of roots and blocks: the read failed (skipped) */
	uint64_t blocks_scanned;	      /* block contents read */
	uint64_t reached_from[NR_ROOT_KINDS]; /* blocks first reached from each kind of root */
	uint64_t ns;			      /* time spent */
	/* The limits cut the scan: nothing is called lost then (see reach__classify). */
	bool truncated;
	uint64_t count[NR_REACH_CLASSES]; /* blocks in each class */
	uint64_t bytes[NR_REACH_CLASSES]; /* their bytes */
	uint64_t interior_only;		  /* reachable blocks reached only by interior pointers */
};

/*
 * Classifies blocks[nr] (sorted by addr): scans roots[nr_roots] and the
 * register values regs[nr_regs] for 8-byte-aligned words that point at a
 * block's start or inside it (LSan counts interior pointers too: C++
 * arrays with a cookie, multiple inheritance, std::string), then the
 * contents of every block reached, transitively. Unreached blocks are
 * lost; a lost block that another lost block points to is indirect.
 * Cycles follow valgrind: the first block of a cycle (lowest address)
 * that no other lost block reaches is lost, the rest indirect. A block
 * pointing to itself stays lost.
 *
 * Reads go through read(ctx, ...) in pieces of at most 64 KiB; a failed
 * read skips that piece (counted in unreadable_bytes). When a limit cuts
 * the scan, stats->truncated is set and every block not yet reached is
 * left REACH_UNSCANNED: a partial scan never calls anything lost.
 * 0, or -ENOMEM (blocks untouched).
 */
int reach__classify(struct reach_block *blocks, size_t nr, const struct reach_region *roots,
		    size_t nr_roots, const uint64_t *regs, size_t nr_regs, mem_read_fn read,
		    void *ctx, const struct reach_limits *limits, struct reach_stats *stats);

#endif
