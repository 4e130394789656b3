/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One interval's picture: the stacks worth showing, sorted and symbolized
 * once, with totals and loss counters. Every renderer (report, folded, ...)
 * reads this and nothing else.
 */
#ifndef MEMLEAKD_SNAPSHOT_H
#define MEMLEAKD_SNAPSHOT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocs.h"
#include "gosite.h"
#include "history.h"
#include "memleak.h"
#include "suppfile.h"
#include "symbolize.h"

#define SNAPSHOT_COMM_LEN 17
#define SNAPSHOT_EXE_LEN  256 /* an executable's path, cut to this (labels, the tally's key) */

/* A process's last reachability scan (scan.h), copied into the snapshot. */
enum scan_state {
	SCAN_NONE,   /* never scanned (no --scan, not yet, or it did not end through _exit) */
	SCAN_DONE,   /* its blocks carry the classes of that scan */
	SCAN_FAILED, /* the last attempt failed: why says so; classes are older or none */
};

struct snapshot_scan {
	enum scan_state state;
	bool at_exit;	/* taken as the process exited, after its last user code */
	bool truncated; /* a bound cut it: blocks not reached stay unscanned, none called lost */
	char why[160];	/* SCAN_FAILED: the cause and the fix */
	unsigned int nr_scans;
	double age_s;	 /* since the scan, at the snapshot */
	double pause_ms; /* the process stood still this long */
	double scan_ms;	 /* of which reading and classifying */
	size_t nr_threads;
	uint64_t bytes_read; /* target memory read: roots and blocks */
	uint64_t root_bytes[NR_ROOT_KINDS];
	uint64_t heap_bytes;		  /* live block bytes the scan knew (its "heap") */
	uint64_t count[NR_REACH_CLASSES]; /* the process's blocks by class at that scan */
	uint64_t bytes[NR_REACH_CLASSES];
	uint64_t interior_only; /* reachable only through interior pointers ("possibly lost") */
};

/*
 * Blocks by class outside suppressed stacks, summed over processes (those
 * past the listing cap too): what the leak gate counts. [REACH_UNSCANNED]
 * holds what no scan classified.
 */
struct leak_tally {
	uint64_t bytes[NR_REACH_CLASSES];
	uint64_t count[NR_REACH_CLASSES];
};

/*
 * The kernel's view of a process's memory next to what memleakd tracks
 * (memview.h): read from /proc/PID/smaps_rollup at the snapshot.
 */
struct snapshot_memview {
	bool valid;	     /* read at this snapshot (false: gone, unreadable, kernel thread) */
	uint64_t rss_bytes;  /* Rss */
	uint64_t anon_bytes; /* Anonymous: what a heap, malloc'd or not, lives in */
	uint64_t
	    tracked_bytes; /* outstanding bytes memleakd tracks for it (malloc, mmap, go-heap) */
	int64_t gap_bytes; /* anon_bytes - tracked_bytes: memory memleakd does not see */
	double gap_rate;   /* bytes per second over the growth window */
	bool gap_growing;  /* the trend test flags the gap */
	const char *hint;  /* static text: where a growing gap may come from, or NULL */
};

struct snapshot_proc {
	int pid;
	char comm[SNAPSHOT_COMM_LEN];
	char exe[SNAPSHOT_EXE_LEN]; /* /proc/PID/exe when first seen or at exec; "" unknown */
	bool exited;
	/* Filled by snapshot__sum_procs from every live stack of the process: */
	uint64_t outstanding_bytes;
	uint64_t outstanding_count;
	size_t nr_stacks;
	uint64_t suppressed_bytes; /* of the shown stacks: in suppressed ones */
	uint64_t suppressed_count;
	struct reach_counts reach;	      /* of its tracked stacks: blocks by class */
	struct reach_counts suppressed_reach; /* of its suppressed shown stacks */
	struct snapshot_scan scan;	      /* its last scan; copied by snapshot__finish */
	struct snapshot_memview mem;	      /* RSS and anonymous memory against tracked */
	/* Lifetime totals over all its stacks of the byte kinds (rates come from these): */
	uint64_t alloc_count;
	uint64_t alloc_bytes;
	uint64_t free_count;
	uint64_t free_bytes;
	size_t nr_growing;				     /* its live stacks flagged growing */
	uint64_t kind_bytes[NR_KINDS], kind_count[NR_KINDS]; /* outstanding, by kind (metrics) */
	struct snapshot_go *go; /* a Go process: what the runtime says; NULL otherwise */
};

/* A Go process, as its runtime says (copied into the snapshot). */
struct snapshot_go {
	char version[32];    /* "go1.19.8" */
	uint64_t goroutines; /* user goroutines by the last census: runtime.NumGoroutine() */
	uint64_t system_goroutines;
	bool goroutines_traced;	    /* probes on births and deaths (else census only) */
	const char *goroutines_off; /* why goroutines are not counted, or NULL */
	int64_t heap_rate;	    /* MemProfileRate: 0 = heap profiling off */
	const char *heap_off;	    /* why there is no heap profile, or NULL */
	uint32_t gc_cycle;	    /* completed GC cycles: the heap figures are as of the last */
	uint64_t heap_inuse_bytes;  /* summed over its go-heap stacks (scaled, like pprof) */
	uint64_t heap_inuse_objects;
	double census_ms; /* the last census's duration, and what it read */
	uint64_t census_bytes;
	double heap_read_ms; /* the last heap profile read's duration, and what it read */
	uint64_t heap_read_bytes;
	size_t heap_buckets;
};

/* Losses only userspace sees; the BPF side's are the snapshot's counters[]. */
struct user_losses {
	uint64_t table_failures; /* allocations the table could not store (out of memory) */
	uint64_t stack_ids_full; /* allocations past the stack-id cap: in one "stack lost" entry */
	/* Go goroutines (gotrack.h): */
	uint64_t go_exits_unseen_birth;
	uint64_t go_creates_missed;
	uint64_t go_exits_missed;
	uint64_t go_census_unreadable;
	/* Caps of a long run (evictions, never silent): */
	uint64_t
	    exited_stacks_evicted;  /* "left at exit" entries dropped past --max-exited-stacks */
	uint64_t exited_stacks_cut; /* stacks of an exiting process past the per-process cap */
};

/*
 * Per executable and stack: what exited processes held when they exited
 * (exitlog.h), summed. A stack every recycled worker leaks on grows here.
 */
struct snapshot_exited {
	char exe[SNAPSHOT_EXE_LEN];
	char comm[SNAPSHOT_COMM_LEN]; /* of the last process that added to it */
	enum alloc_kind kind;
	uint64_t stack_hash;  /* stackid__hash of its frames: stable across runs */
	struct frame *frames; /* leaf first, owned by the snapshot */
	size_t nr_frames;
	uint64_t bytes; /* left at exit, summed over processes */
	uint64_t count;
	uint64_t nr_procs;	/* processes that left blocks on it */
	double rate;		/* bytes per second over the growth window */
	bool growing;		/* flagged by the same trend test as a live stack */
	double last_exit_age_s; /* since the last process added to it */
};

/* memleakd itself, for the metrics (selfstat.h). */
struct snapshot_self {
	double cpu_s;	     /* user + system since start */
	uint64_t rss_bytes;  /* resident now */
	double start_time_s; /* Unix time it started */
};

struct snapshot_stack {
	struct stack_stats stats;
	struct frame *frames; /* leaf first */
	size_t nr_frames;
	int read_error; /* -errno when the frames could not be read, else 0 */
	bool complete;	/* the outermost frame is a process or thread entry point */
	const struct stack_history *hist; /* series and growth verdict, or NULL */
	double oldest_age_s;		  /* age of its oldest outstanding allocation */
	const char *suppressed_by;	  /* the --suppress pattern a frame matched, or NULL */
	const struct go_site *go_site; /* KIND_GOROUTINE: the census's view of the site, or NULL */
	struct frame *blocked_frames;  /* go_site's blocked-in stack, leaf first */
	size_t nr_blocked_frames;
};

struct snapshot {
	double elapsed_s;     /* since tracing started */
	uint64_t wall_time_s; /* Unix time of the snapshot */
	unsigned int seq;     /* 1 for the first report */
	bool final;	      /* the report printed on the way out */
	struct alloc_totals totals;
	uint64_t counters[ML_CNT_MAX]; /* from the BPF side, summed over CPUs */
	size_t nr_live_stacks;	       /* stacks holding outstanding memory */
	size_t nr_live_tracked;	       /* of those, malloc and mmap ones (what totals count) */
	struct snapshot_stack *stacks; /* most outstanding bytes first */
	size_t nr_stacks;	       /* <= max_stacks; nr_live_stacks - nr_stacks omitted */
	size_t nr_partial;	  /* of nr_stacks: not complete (ended early or unknown root) */
	uint64_t partial_bytes;	  /* outstanding bytes of those */
	const char *unwind_mode;  /* "dwarf" or "fp" */
	size_t nr_growing;	  /* of the live stacks: flagged growing */
	double interval_s;	  /* between history values */
	unsigned int window;	  /* history values the growth test looks at */
	uint64_t sample_bytes;	  /* sampling mean; 0 = every allocation seen */
	uint64_t attach_failures; /* new images whose allocator or loader could not be probed */
	struct snapshot_proc *procs;
	size_t nr_procs;
	size_t nr_hidden;	   /* live stacks left out by --comm / --min-bytes */
	size_t nr_suppressed;	   /* of nr_stacks: suppressed */
	uint64_t suppressed_bytes; /* outstanding bytes of those */
	/* Losses counted in userspace, and what the caps left out (audit 15): */
	struct user_losses losses;
	size_t max_stacks;	     /* the export cap; nr_live_stacks - nr_stacks are past it */
	uint64_t omitted_bytes;	     /* outstanding bytes of the stacks past the cap */
	uint64_t omitted_count;	     /* their outstanding allocations */
	size_t nr_procs_omitted;     /* processes past the listing cap: not in procs */
	uint64_t procs_omitted_leak; /* their bytes outside suppressed stacks (for the verdict) */
	struct leak_tally procs_omitted_tally; /* the same by class */
	bool lost_first; /* the stacks are sorted lost + indirect bytes first (a scan ran) */
	/* Exited processes' "left at exit" tally, most bytes first (growing first with --sort
	 * growth): */
	struct snapshot_exited *exited;
	size_t nr_exited;
	size_t nr_exited_omitted; /* entries of the tally past the export cap */
	uint64_t exited_procs;	  /* processes that added to the tally so far */
	struct snapshot_self self;
};

/* Reads the raw user stack of stack_id, leaf first: count, or -errno. */
typedef int (*stack_reader_fn)(void *ctx, int32_t stack_id, uint64_t *ips, size_t max_ips);

#define SNAPSHOT_SORT_BYTES  0 /* most outstanding bytes first */
#define SNAPSHOT_SORT_GROWTH 1 /* growing stacks first, fastest first */

struct snapshot_opts {
	size_t max_stacks;	       /* cap on symbolized stacks (exporters want them all) */
	int sort;		       /* SNAPSHOT_SORT_* */
	const struct history *history; /* NULL: no growth data */
	uint64_t now_ns;	       /* the clock of the allocation timestamps, for ages */
	stack_reader_fn read_stack;
	void *reader_ctx;
	struct symbolizer *symbolizer;
	/* Filters: processes to show (NULL: all), smallest stack shown. */
	bool (*keep_pid)(void *ctx, uint32_t pid);
	void *keep_ctx;
	uint64_t min_bytes;
	/* Stacks through one of these functions are marked suppressed ("name" or "prefix*"). */
	const char *const *suppress;
	size_t nr_suppress;
	/* --suppressions files (LSan's format): function, source file or module of a frame. */
	const struct suppfile *suppfile;
	/* Stacks holding lost or indirect blocks first (then as sort says). */
	bool lost_first;
	/* KIND_GOROUTINE stacks: the census's aggregate (copied), NULL: none. */
	const struct go_site *(*go_site)(void *ctx, uint32_t pid, int32_t stack_id);
	void *go_ctx;
};

/* Builds the stack part; snapshot__finish adds times, counters and procs. */
int snapshot__build(const struct allocs *table, const struct snapshot_opts *opts,
		    struct snapshot **out);

/* What the run knows of itself at the snapshot, copied into it. */
struct snapshot_meta {
	double elapsed_s;
	uint64_t wall_time_s;
	unsigned int seq;
	bool final;
	const char *unwind_mode; /* static string */
	uint64_t sample_bytes;
	uint64_t attach_failures;
	double interval_s;
	unsigned int window;
	uint64_t counters[ML_CNT_MAX];
	struct user_losses losses;
	size_t max_procs; /* processes listed at most (the rest counted); 0: all */
};

/*
 * Completes a built snapshot: copies meta and the processes to show (pid,
 * comm, exited of each; their totals are summed here from the table).
 * Past meta->max_procs, those holding the most memory are kept, then the
 * live ones, then the latest; the others are counted in nr_procs_omitted.
 * 0 or -ENOMEM.
 */
int snapshot__finish(struct snapshot *snap, const struct snapshot_meta *meta,
		     const struct snapshot_proc *procs, size_t nr_procs,
		     const struct allocs *table);

/*
 * Allocations glibc makes once per process and keeps until exit on purpose
 * (valgrind calls them "still reachable"): suppressed unless
 * --no-default-suppressions. Sets *nr.
 */
const char *const *snapshot__default_suppressions(size_t *nr);

/* What the processes hold outside suppressed stacks (omitted ones too): at exit, their leaks. */
uint64_t snapshot__leaked_bytes(const struct snapshot *snap);
/* The same, block by block and by class. */
void snapshot__leak_tally(const struct snapshot *snap, struct leak_tally *out);
/* Whether a reachability scan ran (or was tried) on a listed process. */
bool snapshot__any_scan(const struct snapshot *snap);
void snapshot__free(struct snapshot *snap);

/* Fills each proc's totals from the table and the shown stacks. */
void snapshot__sum_procs(struct snapshot *snap, const struct allocs *table);

/* The pattern of patterns[] that symbol matches ("name", or "prefix*"), or NULL. */
const char *snapshot__match_suppression(const char *symbol, const char *const *patterns,
					size_t nr_patterns);

/* The comm of pid, or "?" when unknown. */
const char *snapshot__comm(const struct snapshot *snap, int pid);

/* True when a frame's symbol is where every user stack begins (_start, clone...). */
bool snapshot__is_root_symbol(const char *symbol);

/* Live stacks past the export cap: in no report, JSON, folded, pprof or SVG. */
size_t snapshot__nr_omitted(const struct snapshot *snap);

/* Why a stack has no frames: "stack lost: map collision" etc. */
const char *snapshot__stack_problem(const struct snapshot_stack *stack);

#endif
