/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Live allocations keyed by (pid, kind, address) and per-stack totals keyed by
 * (pid, kind, stack id). Pure logic: no BPF, no globals; driven by events.
 */
#ifndef MEMLEAKD_ALLOCS_H
#define MEMLEAKD_ALLOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reach.h"

struct allocs;

/*
 * What an entry of the table is. Each kind has its own stacks and totals,
 * never matched with another kind's entries.
 */
enum alloc_kind {
	KIND_MALLOC, /* blocks of the malloc family and C++ new */
	KIND_MMAP,   /* --mmap: anonymous mappings */
	/*
	 * Live goroutines of a Go process by creation stack: address = goid,
	 * size = 1, so "bytes" count goroutines (gotrack.h).
	 */
	KIND_GOROUTINE,
	/* The Go runtime's heap profile by allocation stack: set, not tracked (allocs__set_stack).
	 */
	KIND_GO_HEAP,
	NR_KINDS
};

/* The kind as outputs name it: "malloc", "mmap", "goroutine", "go-heap". */
const char *alloc_kind__name(enum alloc_kind kind);
/* What its outstanding_bytes count: "bytes", or "goroutines". */
const char *alloc_kind__unit(enum alloc_kind kind);
/* Whether its amounts are bytes of memory (every kind but goroutines). */
bool alloc_kind__is_bytes(enum alloc_kind kind);
/* Whether its stacks can be a leak the exit verdict counts (malloc and mmap). */
bool alloc_kind__is_tracked(enum alloc_kind kind);

/* A stack's live blocks by their class at the last reachability scan (reach.h). */
struct reach_counts {
	uint64_t bytes[NR_REACH_CLASSES]; /* [REACH_UNSCANNED] stays 0: outstanding less the rest */
	uint64_t count[NR_REACH_CLASSES];
};

struct stack_stats {
	uint32_t pid;
	int32_t stack_id; /* negative: the stack capture failed with that -errno */
	enum alloc_kind kind;
	uint64_t outstanding_bytes;
	uint64_t outstanding_count;
	uint64_t alloc_bytes; /* lifetime, since attach */
	uint64_t alloc_count;
	uint64_t free_bytes;
	uint64_t free_count;
	struct reach_counts reach; /* of the outstanding blocks: what the last scan made of them */
};

struct alloc_totals {
	uint64_t outstanding_bytes;
	uint64_t outstanding_count;
	uint64_t allocs;
	uint64_t frees;
	uint64_t unmatched_frees; /* address not live: allocated before attach, or filtered */
	uint64_t missed_frees;	  /* an ALLOC hit a live address: its FREE never arrived */
};

struct allocs *allocs__new(void);
void allocs__destroy(struct allocs *table);

/* Records an allocation. 0 or -ENOMEM (the allocation is then not kept). */
int allocs__record_alloc(struct allocs *table, uint32_t pid, enum alloc_kind kind, uint64_t addr,
			 uint64_t size, int32_t stack_id, uint64_t ts_ns);
/* Records a free. 0, or -ENOENT when the address was not live (counted). */
int allocs__record_free(struct allocs *table, uint32_t pid, enum alloc_kind kind, uint64_t addr);
/* Same, but an address that is not live is not counted (munmap of a region never traced). */
int allocs__release_if_live(struct allocs *table, uint32_t pid, enum alloc_kind kind,
			    uint64_t addr);
/* Forgets everything of one process, of every kind (it exited or exec'd). */
void allocs__drop_pid(struct allocs *table, uint32_t pid);
/*
 * Files everything of pid under new_pid (which holds nothing yet): a dead
 * process whose PID is reused keeps its blocks apart. 0 or -ENOMEM (unchanged).
 */
int allocs__rename_pid(struct allocs *table, uint32_t pid, uint32_t new_pid);

/*
 * Sets a stack's figures outright (a kind read as a whole each interval,
 * like KIND_GO_HEAP): stats->pid, kind and stack_id name the stack, the
 * other fields replace its own. No live entries. 0 or -ENOMEM.
 */
int allocs__set_stack(struct allocs *table, const struct stack_stats *stats);

/* Totals of the malloc and mmap kinds (what the probes track block by block). */
const struct alloc_totals *allocs__totals(const struct allocs *table);
/* Totals of one kind. */
const struct alloc_totals *allocs__kind_totals(const struct allocs *table, enum alloc_kind kind);
/* All stacks seen, in no particular order; valid until the next change. */
const struct stack_stats *allocs__stacks(const struct allocs *table, size_t *count);
/*
 * The timestamp of each stack's oldest live allocation, in allocs__stacks()
 * order (UINT64_MAX for a stack holding nothing). One pass over the table.
 */
void allocs__oldest(const struct allocs *table, uint64_t *oldest_ns);
/*
 * The live blocks of (pid, kind), sorted by address, for a scan: addr,
 * size, cls = REACH_UNSCANNED, user = the stack's index in allocs__stacks()
 * order. *out is malloc'd (NULL when none). 0 or -ENOMEM.
 */
int allocs__collect_blocks(const struct allocs *table, uint32_t pid, enum alloc_kind kind,
			   struct reach_block **out, size_t *nr);
/*
 * Records a scan of (pid, kind): every live block of it takes the class
 * blocks[] gives its address (REACH_UNSCANNED when absent), and its stacks'
 * reach counts are recomputed. A block freed later leaves its stack's
 * counts; one allocated later is unscanned until the next scan.
 */
void allocs__set_reach(struct allocs *table, uint32_t pid, enum alloc_kind kind,
		       const struct reach_block *blocks, size_t nr);

/* Live allocations held now, and the bytes the table uses for them. */
size_t allocs__live_count(const struct allocs *table);
size_t allocs__memory_bytes(const struct allocs *table);

#endif
