// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exittally.h"
#include "log.h"

#define MAX_DEFAULT_SUPPRESS 16

struct exittally {
	struct run_tables run; /* tracer set later; exited unused */
	struct exitlog *log;
	const char *suppress[OPTS_MAX_SUPPRESS + MAX_DEFAULT_SUPPRESS];
	size_t nr_suppress;
};

static double monotonic_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

struct exittally *exittally__new(const struct run_tables *run)
{
	const struct opts *o = run->opts;
	struct trend_params params = trend_defaults;
	struct exittally *et = calloc(1, sizeof(*et));
	const char *const *defaults;
	size_t i, nr_defaults;

	if (!et)
		return NULL;
	et->run = *run;
	params.interval_s = o->interval_s;
	params.min_rate = o->min_growth;
	et->log = exitlog__new(o->exited_max_stacks, o->window, &params);
	if (!et->log) {
		free(et);
		return NULL;
	}
	/* The suppressions of the live stacks (assemble.c), so both lists agree. */
	defaults = snapshot__default_suppressions(&nr_defaults);
	for (i = 0; i < (size_t)o->nr_suppress; i++)
		et->suppress[et->nr_suppress++] = o->suppress[i];
	for (i = 0; !o->no_default_suppress && i < nr_defaults && i < MAX_DEFAULT_SUPPRESS; i++)
		et->suppress[et->nr_suppress++] = defaults[i];
	return et;
}

void exittally__set_tracer(struct exittally *et, struct tracer *tracer)
{
	if (et)
		et->run.tracer = tracer;
}

void exittally__free(struct exittally *et)
{
	if (!et)
		return;
	exitlog__free(et->log);
	free(et);
}

struct exitlog *exittally__log(struct exittally *et)
{
	return et ? et->log : NULL;
}

/* --comm: the tally keeps what the reports show. */
static bool comm_wanted(const struct opts *o, const char *comm)
{
	int i;

	for (i = 0; i < o->nr_comms; i++)
		if (!strcmp(comm, o->comms[i]))
			return true;
	return !o->nr_comms;
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct stack_stats *x = a, *y = b;

	if (x->outstanding_bytes != y->outstanding_bytes)
		return x->outstanding_bytes > y->outstanding_bytes ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

/*
 * pid's malloc and mmap stacks holding memory, most bytes first, into *out
 * (malloc'd). Goroutines and the Go heap are not blocks left at exit: a
 * goroutine count ends with its process, and the Go heap figures are the
 * runtime's scaled samples of a heap the kernel frees whole. -ENOMEM or
 * how many.
 */
static long stacks_of(const struct allocs *allocs, int pid, struct stack_stats **out)
{
	size_t nr_all, i, n = 0;
	const struct stack_stats *all = allocs__stacks(allocs, &nr_all);

	*out = NULL;
	for (i = 0; i < nr_all; i++)
		n += all[i].pid == (uint32_t)pid && all[i].outstanding_count &&
		     alloc_kind__is_tracked(all[i].kind);
	if (!n)
		return 0;
	*out = malloc(n * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < nr_all; i++)
		if (all[i].pid == (uint32_t)pid && all[i].outstanding_count &&
		    alloc_kind__is_tracked(all[i].kind))
			(*out)[n++] = all[i];
	qsort(*out, n, sizeof(**out), by_bytes_desc);
	return (long)n;
}

/* The stack's frames, symbolized as the live stacks are (snapshot.c); *nr 0 when lost. */
static struct frame *frames_of(struct exittally *et, int pid, const struct stack_stats *s,
			       size_t *nr)
{
	uint64_t ips[ML_MAX_STACK_DEPTH];
	struct frame *frames;
	int n = -1, i;

	*nr = 0;
	if (s->stack_id >= 0 && et->run.tracer)
		n = tracer__read_stack(et->run.tracer, s->stack_id, ips, ML_MAX_STACK_DEPTH);
	frames = calloc(n > 0 ? (size_t)n * SYMBOLIZER_MAX_INLINE : 1, sizeof(*frames));
	for (i = 0; frames && i < n; i++)
		*nr += symbolizer__resolve_frames(et->run.symbolizer, pid, ips[i], 1, &frames[*nr],
						  SYMBOLIZER_MAX_INLINE);
	return frames;
}

static bool suppressed(const struct exittally *et, const struct frame *frames, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (snapshot__match_suppression(frames[i].symbol, et->suppress, et->nr_suppress))
			return true;
		if (et->run.suppfile && suppfile__match_frame(et->run.suppfile, frames[i].symbol,
							      frames[i].file, frames[i].module))
			return true;
	}
	return false;
}

void exittally__on_exited(void *ctx, int pid, const char *comm, const char *exe, bool kept)
{
	struct exittally *et = ctx;
	struct exitlog_stack add = {.exe = exe, .comm = comm};
	struct stack_stats *stacks;
	double start = monotonic_s();
	uint64_t proc, bytes = 0;
	size_t i, nr_added = 0;
	long nr;
	int err = 0;

	(void)kept; /* kept (command mode) or not, what it left is evidence, not the gate's */
	if (!comm_wanted(et->run.opts, comm))
		return;
	nr = stacks_of(et->run.allocs, pid, &stacks);
	if (nr <= 0) {
		if (nr < 0)
			p_warn("out of memory: what pid %d left at exit is not tallied", pid);
		return;
	}
	/*
	 * A process never identified (system-wide, gone before a report named
	 * it) has no maps: its frames would be bare addresses, unique to it
	 * under ASLR, entries that never merge. Counted, not tallied.
	 */
	if ((!exe || !exe[0]) && (!comm || !strcmp(comm, "?"))) {
		exitlog__count_cut(et->log, (uint64_t)nr);
		free(stacks);
		return;
	}
	if ((size_t)nr > EXITLOG_MAX_PROC_STACKS) {
		exitlog__count_cut(et->log, (uint64_t)nr - EXITLOG_MAX_PROC_STACKS);
		nr = EXITLOG_MAX_PROC_STACKS;
	}
	proc = exitlog__begin_proc(et->log);
	add.now_s = start;
	for (i = 0; !err && i < (size_t)nr; i++) {
		struct frame *frames = frames_of(et, pid, &stacks[i], &add.nr_frames);

		if (!frames) {
			err = -ENOMEM;
			break;
		}
		if (!suppressed(et, frames, add.nr_frames)) {
			add.kind = stacks[i].kind;
			add.frames = frames;
			add.bytes = stacks[i].outstanding_bytes;
			add.count = stacks[i].outstanding_count;
			err = exitlog__add(et->log, proc, &add);
			nr_added += !err;
			bytes += err ? 0 : add.bytes;
		}
		free(frames);
	}
	if (err)
		p_warn("out of memory: what pid %d left at exit is tallied in part", pid);
	free(stacks);
	p_info("pid %d exited: %zu stacks, %llu bytes left, added to the tally of %s in %.2f ms",
	       pid, nr_added, (unsigned long long)bytes, exe && exe[0] ? exe : comm,
	       (monotonic_s() - start) * 1e3);
}
