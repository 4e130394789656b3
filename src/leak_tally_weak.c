// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A stand-in for snapshot__leak_tally (snapshot.h) until snapshot.c
 * defines it: weak, so the real one replaces it at link time. It follows
 * the header: blocks by class outside suppressed stacks, summed over the
 * listed processes and those past the listing cap; what no scan classified
 * is unscanned. Delete this file once snapshot.c has its own.
 */
#include "snapshot.h"

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static void add_proc(const struct snapshot_proc *proc, struct leak_tally *out)
{
	uint64_t bytes = less(proc->outstanding_bytes, proc->suppressed_bytes);
	uint64_t count = less(proc->outstanding_count, proc->suppressed_count);
	int cls;

	for (cls = REACH_UNSCANNED + 1; cls < NR_REACH_CLASSES; cls++) {
		uint64_t b = less(proc->reach.bytes[cls], proc->suppressed_reach.bytes[cls]);
		uint64_t c = less(proc->reach.count[cls], proc->suppressed_reach.count[cls]);

		out->bytes[cls] += b;
		out->count[cls] += c;
		bytes = less(bytes, b);
		count = less(count, c);
	}
	out->bytes[REACH_UNSCANNED] += bytes;
	out->count[REACH_UNSCANNED] += count;
}

__attribute__((weak)) void snapshot__leak_tally(const struct snapshot *snap, struct leak_tally *out)
{
	size_t i;

	*out = snap->procs_omitted_tally;
	for (i = 0; i < snap->nr_procs; i++)
		add_proc(&snap->procs[i], out);
}
