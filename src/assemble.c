// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assemble.h"
#include "log.h"
#include "selfstat.h"
#include "memview.h"
#include "proc.h"

#define MAX_EXPORTED_STACKS  20000 /* stacks symbolized per snapshot */
#define MAX_LISTED_PROCS     1000  /* processes a snapshot lists (command mode keeps exited ones) */
#define MAX_DEFAULT_SUPPRESS 16
#define MAX_EXPORTED_EXITED  2000 /* "left at exit" entries a snapshot carries */

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* --comm: whether pid's name is one of those asked for. */
static bool comm_wanted(void *ctx, uint32_t pid)
{
	const struct run_tables *run = ctx;
	const struct target *t = targets__find(lifecycle__targets(run->lifecycle), (int)pid);
	int i;

	for (i = 0; t && i < run->opts->nr_comms; i++)
		if (!strcmp(t->comm, run->opts->comms[i]))
			return true;
	return false;
}

/* stack_reader_fn: the kernel's stacks, or those userspace made (Go heap, census). */
static int read_any_stack(void *ctx, int32_t stack_id, uint64_t *ips, size_t max_ips)
{
	const struct run_tables *run = ctx;

	if (ustacks__owns(stack_id))
		return ustacks__read(golang__stacks(run->golang), stack_id, ips, max_ips);
	return tracer__read_stack(run->tracer, stack_id, ips, max_ips);
}

/* The processes the report lists: every target, or those --comm names. NULL: no memory. */
static struct snapshot_proc *shown_procs(const struct run_tables *run, size_t *nr)
{
	const struct target_list *targets = lifecycle__targets(run->lifecycle);
	struct snapshot_proc *procs = calloc(targets->nr ? targets->nr : 1, sizeof(*procs));
	size_t i;

	*nr = 0;
	for (i = 0; procs && i < targets->nr; i++) {
		const struct target *t = targets->list[i];

		if (run->opts->nr_comms && !comm_wanted((void *)run, (uint32_t)t->pid))
			continue;
		procs[*nr].pid = t->pid;
		memcpy(procs[*nr].comm, t->comm, sizeof(procs[*nr].comm));
		memcpy(procs[*nr].exe, t->exe, sizeof(procs[*nr].exe));
		procs[*nr].exited = t->exited;
		procs[*nr].go = (struct snapshot_go *)golang__info(run->golang, t->pid);
		procs[*nr].scan = t->scan;
		if (t->scan_ns)
			procs[*nr].scan.age_s = (double)(monotonic_ns() - t->scan_ns) / 1e9;
		(*nr)++;
	}
	return procs;
}

static double monotonic_s(void)
{
	return (double)monotonic_ns() / 1e9;
}

/*
 * The kernel's view of pid's memory: smaps_rollup, or status where that
 * cannot be read or costs too much for this process (memview.h).
 */
static int read_memview(struct memview *mv, int pid, struct memview_reading *r)
{
	char path[64];
	char *text = NULL;
	size_t len = 0;
	double start;
	int err;

	if (!mv || memview__rollup_wanted(mv, (uint32_t)pid)) {
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
		start = monotonic_s();
		err = read_proc_file(path, &text, &len);
		if (mv)
			memview__rollup_cost(mv, (uint32_t)pid, monotonic_s() - start);
		if (!err)
			err = memview__parse_rollup(text, len, r);
		free(text);
		if (!err || err == -ESRCH)
			return err;
		text = NULL;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	err = read_proc_file(path, &text, &len);
	if (!err)
		err = memview__parse_status(text, len, r);
	free(text);
	return err;
}

/*
 * Each listed live process: RSS and anonymous memory against what memleakd
 * tracks of it, and the gap's trend. record: an interval's snapshot (the
 * final one shows the last verdict); pids no longer listed are forgotten.
 */
static void fill_memview(const struct run_tables *run, struct snapshot *snap, bool record)
{
	const struct opts *o = run->opts;
	struct memview_verdict v;
	struct memview_reading r;
	struct snapshot_proc *p;
	size_t i;
	bool known;

	for (i = 0; i < snap->nr_procs; i++) {
		p = &snap->procs[i];
		memset(&p->mem, 0, sizeof(p->mem));
		if (p->exited || read_memview(run->memview, p->pid, &r))
			continue; /* gone, a kernel thread, or unreadable: no line */
		p->mem.valid = true;
		p->mem.rss_bytes = r.rss_bytes;
		p->mem.anon_bytes = r.anon_bytes;
		p->mem.tracked_bytes = p->outstanding_bytes + (p->go ? p->go->heap_inuse_bytes : 0);
		p->mem.gap_bytes = memview__gap(p->mem.anon_bytes, p->mem.tracked_bytes);
		if (!run->memview)
			continue;
		if (record) {
			if (memview__record(run->memview, (uint32_t)p->pid, p->mem.anon_bytes,
					    p->mem.tracked_bytes, p->go != NULL, &v)) {
				p_warn("out of memory: the untracked memory's trend is incomplete");
				continue;
			}
			known = true;
		} else {
			known = memview__get(run->memview, (uint32_t)p->pid, &v);
		}
		if (!known)
			continue;
		p->mem.gap_rate = v.gap_rate;
		p->mem.gap_growing = v.growing;
		if (v.growing)
			p->mem.hint =
			    memview__hint(p->go != NULL, o->trace_mmap, o->sample_bytes > 0);
	}
	if (record && run->memview)
		memview__sweep(run->memview);
}

int assemble__snapshot(const struct run_tables *run, struct snapshot_meta *meta,
		       struct snapshot **out)
{
	const struct opts *o = run->opts;
	const char *suppress[OPTS_MAX_SUPPRESS + MAX_DEFAULT_SUPPRESS];
	struct snapshot_opts sopts = {
	    .max_stacks = MAX_EXPORTED_STACKS,
	    .sort = o->sort,
	    .history = run->history,
	    .now_ns = monotonic_ns(),
	    .read_stack = read_any_stack,
	    .reader_ctx = (void *)run,
	    .symbolizer = run->symbolizer,
	    .keep_pid = o->nr_comms ? comm_wanted : NULL,
	    .keep_ctx = (void *)run,
	    .min_bytes = o->min_bytes,
	    .suppress = suppress,
	    .suppfile = run->suppfile,
	    .lost_first = true,
	    .go_site = golang__site,
	    .go_ctx = run->golang,
	};
	const char *const *defaults;
	struct snapshot_proc *procs;
	size_t i, nr_defaults, nr_procs;
	int err;

	defaults = snapshot__default_suppressions(&nr_defaults);
	for (i = 0; i < (size_t)o->nr_suppress; i++)
		suppress[sopts.nr_suppress++] = o->suppress[i];
	for (i = 0; !o->no_default_suppress && i < nr_defaults && i < MAX_DEFAULT_SUPPRESS; i++)
		suppress[sopts.nr_suppress++] = defaults[i];
	*out = NULL;
	err = snapshot__build(run->allocs, &sopts, out);
	if (err)
		return err;
	if (tracer__counters(run->tracer, meta->counters))
		p_warn("cannot read the BPF loss counters: %s", strerror(errno));
	meta->max_procs = MAX_LISTED_PROCS;
	if (run->exited) {
		meta->losses.exited_stacks_evicted = exitlog__evicted(run->exited);
		meta->losses.exited_stacks_cut = exitlog__cut(run->exited);
	}
	procs = shown_procs(run, &nr_procs);
	err = procs ? snapshot__finish(*out, meta, procs, nr_procs, run->allocs) : -ENOMEM;
	if (!err)
		fill_memview(run, *out, !meta->final);
	free(procs);
	if (!err)
		selfstat__read(&(*out)->self); /* unreadable: zeros, the metrics say so */
	if (!err && run->exited) {
		err = exitlog__export(run->exited, o->sort, MAX_EXPORTED_EXITED,
				      (double)sopts.now_ns / 1e9, &(*out)->exited,
				      &(*out)->nr_exited, &(*out)->nr_exited_omitted);
		(*out)->exited_procs = exitlog__procs(run->exited);
	}
	return err;
}

void assemble__record_history(const struct run_tables *run)
{
	size_t nr, i;
	const struct stack_stats *all = allocs__stacks(run->allocs, &nr);

	if (run->exited)
		exitlog__end_interval(run->exited);
	for (i = 0; i < nr; i++)
		if (history__record(run->history, all[i].pid, all[i].kind, all[i].stack_id,
				    all[i].outstanding_bytes)) {
			p_warn("out of memory: growth history incomplete");
			return;
		}
}

void assemble__prune_stacks(const struct run_tables *run)
{
	size_t nr, i, max_id = 0;
	const struct stack_stats *all = allocs__stacks(run->allocs, &nr);
	bool *in_use;

	/* Only the kernel's stacks: ids userspace made (ustacks.h) are far above them. */
	for (i = 0; i < nr; i++)
		if (all[i].stack_id >= 0 && !ustacks__owns(all[i].stack_id) &&
		    (size_t)all[i].stack_id + 1 > max_id)
			max_id = (size_t)all[i].stack_id + 1;
	in_use = calloc(max_id ? max_id : 1, sizeof(*in_use));
	if (!in_use)
		return;
	for (i = 0; i < nr; i++)
		if (all[i].stack_id >= 0 && !ustacks__owns(all[i].stack_id) &&
		    all[i].outstanding_count)
			in_use[all[i].stack_id] = true;
	if (tracer__prune_stacks(run->tracer, in_use, max_id) > 0)
		p_debug("%llu stacks pruned from the kernel's stack map so far",
			(unsigned long long)tracer__pruned_stacks(run->tracer));
	free(in_use);
}
