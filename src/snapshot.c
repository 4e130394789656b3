// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

static int by_outstanding_desc(const void *a, const void *b)
{
	const struct stack_stats *x = *(const struct stack_stats *const *)a;
	const struct stack_stats *y = *(const struct stack_stats *const *)b;

	if (x->outstanding_bytes != y->outstanding_bytes)
		return x->outstanding_bytes > y->outstanding_bytes ? -1 : 1;
	if (x->outstanding_count != y->outstanding_count)
		return x->outstanding_count > y->outstanding_count ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

static int fill_frames(struct snapshot_stack *out, const struct snapshot_opts *opts, uint64_t *ips)
{
	struct frame *shrunk;
	size_t used = 0;
	int nr, i;

	if (out->stats.stack_id < 0)
		return 0; /* capture failed in BPF; snapshot__stack_problem says why */
	nr = opts->read_stack(opts->reader_ctx, out->stats.stack_id, ips, ML_MAX_STACK_DEPTH);
	if (nr < 0) {
		out->read_error = nr;
		return 0;
	}
	out->frames = calloc(nr ? (size_t)nr * SYMBOLIZER_MAX_INLINE : 1, sizeof(*out->frames));
	if (!out->frames)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		used += symbolizer__resolve_frames(opts->symbolizer, (int)out->stats.pid, ips[i], 1,
						   &out->frames[used], SYMBOLIZER_MAX_INLINE);
	out->nr_frames = used;
	/* Most addresses have no inlines: give back the room they did not need. */
	shrunk = realloc(out->frames, (used ? used : 1) * sizeof(*out->frames));
	if (shrunk)
		out->frames = shrunk;
	nr = (int)used;
	out->complete = nr > 0 && snapshot__is_root_symbol(out->frames[nr - 1].symbol);
	return 0;
}

bool snapshot__is_root_symbol(const char *symbol)
{
	static const char *const roots[] = {
	    "_start",
	    "__libc_start_main",
	    "__libc_start_call_main",
	    "start_thread",
	    "clone",
	    "clone3",
	    "__clone",
	    "__clone3",
	    "_start_c", /* musl */
	};
	size_t i, len;

	if (!symbol)
		return false;
	/* Versioned names from .dynsym: "__libc_start_main@@GLIBC_2.34". */
	len = strcspn(symbol, "@");
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strlen(roots[i]) == len && !strncmp(symbol, roots[i], len))
			return true;
	return false;
}

int snapshot__build(const struct allocs *table, const struct snapshot_opts *opts,
		    struct snapshot **out)
{
	const struct stack_stats *all, **live;
	uint64_t ips[ML_MAX_STACK_DEPTH];
	struct snapshot *snap;
	size_t nr_all, nr_live = 0, i;
	int err = 0;

	snap = calloc(1, sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	snap->totals = *allocs__totals(table);
	all = allocs__stacks(table, &nr_all);
	live = malloc((nr_all ? nr_all : 1) * sizeof(*live));
	if (!live) {
		free(snap);
		return -ENOMEM;
	}
	for (i = 0; i < nr_all; i++)
		if (all[i].outstanding_count)
			live[nr_live++] = &all[i];
	qsort(live, nr_live, sizeof(*live), by_outstanding_desc);
	snap->nr_live_stacks = nr_live;
	snap->nr_stacks = nr_live < opts->max_stacks ? nr_live : opts->max_stacks;
	snap->stacks = calloc(snap->nr_stacks ? snap->nr_stacks : 1, sizeof(*snap->stacks));
	if (!snap->stacks)
		err = -ENOMEM;
	for (i = 0; !err && i < snap->nr_stacks; i++) {
		snap->stacks[i].stats = *live[i];
		err = fill_frames(&snap->stacks[i], opts, ips);
		if (!err && !snap->stacks[i].complete) {
			snap->nr_partial++;
			snap->partial_bytes += live[i]->outstanding_bytes;
		}
	}
	free(live);
	if (err) {
		snapshot__free(snap);
		return err;
	}
	*out = snap;
	return 0;
}

void snapshot__free(struct snapshot *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; snap->stacks && i < snap->nr_stacks; i++)
		free(snap->stacks[i].frames);
	free(snap->stacks);
	free(snap->procs);
	free(snap);
}

const char *snapshot__comm(const struct snapshot *snap, int pid)
{
	size_t i;

	for (i = 0; i < snap->nr_procs; i++)
		if (snap->procs[i].pid == pid)
			return snap->procs[i].comm;
	return "?";
}

const char *snapshot__stack_problem(const struct snapshot_stack *stack)
{
	if (stack->stats.stack_id == -EEXIST)
		return "stack lost: stack map collision (raise --stack-slots)";
	if (stack->stats.stack_id == -ENOSPC)
		return "stack lost: more distinct stacks than --stack-slots";
	if (stack->stats.stack_id < 0)
		return "stack lost: the user stack could not be walked";
	if (stack->read_error)
		return "stack lost: no longer in the stack map";
	if (stack->nr_frames == 0)
		return "stack empty";
	return NULL;
}
