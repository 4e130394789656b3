/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reachability scans of traced processes: at exit (a target held in _exit
 * by BPF, ML_EV_EXITING) and every --scan SECONDS on live ones. A scan
 * stops every thread (freeze.h), takes in the records they sent before
 * stopping, classifies the process's live malloc blocks from its roots
 * (roots.h, reach.h), stores each block's class in the allocation table,
 * and lets the process go: a held one is continued, a running one runs on.
 *
 * A block memleakd does not know (allocated before attach, not sampled,
 * its record lost) is no node of the graph: a chain through it would break
 * and what lies beyond would look lost. So when such blocks may exist (a
 * process traced after it started, sampling or size filters, lost
 * records), the heap's memory outside the known blocks counts as a root
 * too: a block is then lost only when neither a known block nor any other
 * heap memory (free chunks' stale contents included) points to it.
 */
#ifndef MEMLEAKD_SCAN_H
#define MEMLEAKD_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "allocs.h"
#include "lifecycle.h"
#include "reach.h"
#include "snapshot.h"

/* Takes in every record waiting in the ring buffers (tracer__drain). */
typedef void (*scan_drain_fn)(void *ctx);

struct scanner_opts {
	uint64_t max_bytes; /* target memory one scan reads at most (--scan-max-bytes) */
	double every_s;	    /* --scan SECONDS on live targets; 0: never */
	/* Not every block is traced by design: --sample-bytes, --min-size, --max-size. */
	bool partial_tracking;
	/* Whether allocation records were lost so far (ring buffer drops...); may be NULL. */
	bool (*records_lost)(void *ctx);
	void *records_ctx;
};

struct scanner;

/* NULL when out of memory. The lifecycle's targets keep each one's last scan. */
struct scanner *scanner__new(const struct scanner_opts *opts, struct allocs *allocs,
			     struct lifecycle *lc, scan_drain_fn drain, void *drain_ctx);
void scanner__free(struct scanner *sc);

/* lifecycle's exiting_fn: queues the exit scan of a held process. */
void scanner__on_exiting(void *scanner, int pid, int tid, int status, uint64_t exit_sp,
			 uint64_t held_ns);
/*
 * Runs the queued exit scans (and those queued meanwhile), continuing each
 * process after its scan. Call after every drain, before the hold sweep.
 */
void scanner__run_exits(struct scanner *sc);
/*
 * --scan: scans the live targets holding blocks when every_s has passed
 * since the last round, or now with force (the final report's round).
 */
void scanner__run_live(struct scanner *sc, uint64_t now_ns, bool force);
/* Continues every process still queued (memleakd is leaving). */
void scanner__release(struct scanner *sc);

/*
 * One scan of pid: 0 with out filled (state SCAN_DONE, or SCAN_FAILED and
 * why: the process is then left as it was); -ESRCH when it is gone.
 */
int scanner__scan(struct scanner *sc, int pid, bool at_exit, struct snapshot_scan *out);

#endif
