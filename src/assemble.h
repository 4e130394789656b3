/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The end of an interval: the snapshot assembled from the run's tables
 * (stacks, growth, the processes shown, suppressions, counters), the
 * growth history advanced, the kernel's stack map pruned. The only place
 * output reads the live tables; renderers see the snapshot alone.
 */
#ifndef MEMLEAKD_ASSEMBLE_H
#define MEMLEAKD_ASSEMBLE_H

#include <stdbool.h>

#include "allocs.h"
#include "exitlog.h"
#include "golang.h"
#include "history.h"
#include "lifecycle.h"
#include "memview.h"
#include "opts.h"
#include "snapshot.h"
#include "symbolize.h"
#include "tracer.h"

struct run_tables {
	const struct opts *opts;
	struct allocs *allocs;
	struct history *history;
	struct symbolizer *symbolizer;
	struct tracer *tracer;
	struct lifecycle *lifecycle;
	struct golang *golang;
	const struct suppfile *suppfile; /* --suppressions files, or NULL */
	struct exitlog *exited;		 /* the "left at exit" tally (exittally.h), or NULL */
	struct memview *memview;	 /* the untracked memory's series per process, or NULL */
};

/*
 * meta's BPF counters and the caps (stacks, processes listed) are set here;
 * the rest, userspace losses included, is the caller's. 0 or -errno.
 */
int assemble__snapshot(const struct run_tables *run, struct snapshot_meta *meta,
		       struct snapshot **out);
/* One value per stack for the growth test (and per entry of the "left at exit" tally). */
void assemble__record_history(const struct run_tables *run);
/* Stacks holding no memory leave the kernel's stack map (their frames stay cached). */
void assemble__prune_stacks(const struct run_tables *run);

#endif
