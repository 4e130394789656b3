// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "textsafe.h"
#include "units.h"

/*
 * Symbol names, paths and comm come from the target: never let them drive
 * the terminal (control characters, C1, bidi overrides, invalid UTF-8).
 */
static const char *printable(const char *text, char *buf, size_t len)
{
	return textsafe__terminal(text, buf, len);
}

const char *report__sparkline(const uint64_t *values, size_t n, char *buf, size_t len)
{
	static const char *const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
					   "\u2585", "\u2586", "\u2587", "\u2588"};
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i, used = 0, level;

	for (i = 0; i < n; i++) {
		lo = values[i] < lo ? values[i] : lo;
		hi = values[i] > hi ? values[i] : hi;
	}
	buf[0] = '\0';
	for (i = 0; i < n && used + 4 <= len; i++) {
		level = hi > lo ? (size_t)((double)(values[i] - lo) * 7.0 / (double)(hi - lo) + 0.5)
				: 0;
		memcpy(buf + used, bars[level > 7 ? 7 : level], 3);
		used += 3;
		buf[used] = '\0';
	}
	return buf;
}

/* Named in the header up to this many; past it, a process table follows. */
#define HEADER_PROCS 4
#define TABLE_PROCS  10

static void render_targets(FILE *out, const struct snapshot *snap)
{
	char comm[SNAPSHOT_COMM_LEN];
	size_t i;

	if (snap->nr_procs > HEADER_PROCS) {
		fprintf(out, " %zu processes", snap->nr_procs);
		return;
	}
	for (i = 0; i < snap->nr_procs; i++)
		fprintf(out, "%s pid %d (%s)%s", i ? "," : "", snap->procs[i].pid,
			printable(snap->procs[i].comm, comm, sizeof(comm)),
			snap->procs[i].exited ? " exited" : "");
}

static int by_proc_bytes_desc(const void *a, const void *b)
{
	const struct snapshot_proc *x = *(const struct snapshot_proc *const *)a;
	const struct snapshot_proc *y = *(const struct snapshot_proc *const *)b;

	if (x->outstanding_bytes != y->outstanding_bytes)
		return x->outstanding_bytes > y->outstanding_bytes ? -1 : 1;
	return x->pid - y->pid;
}

/* Several processes hold memory: who holds what, most first. */
static void render_procs(FILE *out, const struct snapshot *snap)
{
	const struct snapshot_proc **order;
	char comm[SNAPSHOT_COMM_LEN], bytes[HUMAN_BYTES_LEN];
	size_t i, shown = 0, holding = 0;

	for (i = 0; i < snap->nr_procs; i++)
		holding += snap->procs[i].outstanding_count > 0;
	if (holding < 2)
		return;
	order = malloc(snap->nr_procs * sizeof(*order));
	if (!order)
		return;
	for (i = 0; i < snap->nr_procs; i++)
		order[i] = &snap->procs[i];
	qsort(order, snap->nr_procs, sizeof(*order), by_proc_bytes_desc);
	fprintf(out, "processes:\n");
	for (i = 0; i < snap->nr_procs && shown < TABLE_PROCS; i++) {
		if (!order[i]->outstanding_count)
			continue;
		fprintf(out, "  pid %-7d %-16s %10s in %" PRIu64 " allocations, %zu stacks%s\n",
			order[i]->pid, printable(order[i]->comm, comm, sizeof(comm)),
			format_bytes(order[i]->outstanding_bytes, bytes),
			order[i]->outstanding_count, order[i]->nr_stacks,
			order[i]->exited ? ", exited" : "");
		shown++;
	}
	if (holding > shown)
		fprintf(out, "  (%zu more processes hold less)\n", holding - shown);
	free(order);
}

/* Losses userspace counts and what the caps left out; a line only when there are any. */
static void render_limits(FILE *out, const struct snapshot *snap)
{
	const struct user_losses *l = &snap->losses;
	char bytes[HUMAN_BYTES_LEN];

	if (!l->table_failures && !l->stack_ids_full && !snapshot__nr_omitted(snap) &&
	    !snap->nr_procs_omitted)
		return;
	fprintf(out,
		"lost to limits: %" PRIu64 " allocations not stored (out of memory), %" PRIu64
		" allocations past the stack-id cap (raise --stack-slots), %zu stacks holding %s "
		"past the %zu-stack cap (in no report or export), %zu processes not listed\n",
		l->table_failures, l->stack_ids_full, snapshot__nr_omitted(snap),
		format_bytes(snap->omitted_bytes, bytes), snap->max_stacks, snap->nr_procs_omitted);
}

static void render_header(FILE *out, const struct snapshot *snap)
{
	const struct alloc_totals *t = &snap->totals;
	const uint64_t *c = snap->counters;
	char when[16] = "", bytes[HUMAN_BYTES_LEN];
	time_t wall = (time_t)snap->wall_time_s;
	struct tm tm;

	if (localtime_r(&wall, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(out,
		"== memleakd %s report %u at %s (+%.1f s):", snap->final ? "final" : "interval",
		snap->seq, when, snap->elapsed_s);
	render_targets(out, snap);
	fprintf(out, " ==\n");
	fprintf(out,
		"outstanding %s (%" PRIu64 " B) in %" PRIu64 " allocations from %zu stacks;"
		" since attach %" PRIu64 " allocations, %" PRIu64 " frees\n",
		format_bytes(t->outstanding_bytes, bytes), t->outstanding_bytes,
		t->outstanding_count, snap->nr_live_stacks, t->allocs, t->frees);
	fprintf(out,
		"lost: ringbuf drops %" PRIu64 ", stack collisions %" PRIu64
		", stack failures %" PRIu64 ", stash misses %" PRIu64 ", stash full %" PRIu64
		", stale stashes %" PRIu64 ", failed reallocs %" PRIu64 ", memptr faults %" PRIu64
		"\n",
		c[ML_CNT_RB_DROPS], c[ML_CNT_STACK_COLLISION], c[ML_CNT_STACK_FAIL],
		c[ML_CNT_STASH_MISS], c[ML_CNT_STASH_FULL], c[ML_CNT_STASH_STALE],
		c[ML_CNT_REALLOC_FAILED], c[ML_CNT_MEMPTR_FAULT]);
	fprintf(out,
		"unmatched frees %" PRIu64
		" (blocks allocated before attach or filtered), missed frees %" PRIu64
		", filtered allocations %" PRIu64 "\n",
		t->unmatched_frees, t->missed_frees, c[ML_CNT_FILTERED]);
	fprintf(out,
		"stacks (%s unwinding): %zu of %zu end before an entry point (%s); unwind faults "
		"%" PRIu64 ", depth cuts %" PRIu64 ", frames without CFI %" PRIu64 ", busy %" PRIu64
		"\n",
		snap->unwind_mode ? snap->unwind_mode : "?", snap->nr_partial, snap->nr_stacks,
		format_bytes(snap->partial_bytes, bytes), c[ML_CNT_UNWIND_FAULT],
		c[ML_CNT_UNWIND_DEPTH], c[ML_CNT_UNWIND_NOCFI], c[ML_CNT_STACK_NESTED]);
	fprintf(out, "growing: %zu of %zu stacks (trend over the last %u intervals of %.1f s)\n",
		snap->nr_growing, snap->nr_live_stacks, snap->window, snap->interval_s);
	if (c[ML_CNT_TARGETS_FULL] || snap->attach_failures || c[ML_CNT_EXEC_NOT_HELD] ||
	    c[ML_CNT_LIFE_LOST] || c[ML_CNT_EXIT_LOST] || c[ML_CNT_HOLD_EXPIRED])
		fprintf(out,
			"lost to lifecycles: %" PRIu64
			" children not followed (target set full), %" PRIu64
			" new images whose allocator could not be probed (see stderr), %" PRIu64
			" execs not held, %" PRIu64 " lifecycle records lost, %" PRIu64
			" exit records lost, %" PRIu64 " exec holds expired\n",
			c[ML_CNT_TARGETS_FULL], snap->attach_failures, c[ML_CNT_EXEC_NOT_HELD],
			c[ML_CNT_LIFE_LOST], c[ML_CNT_EXIT_LOST], c[ML_CNT_HOLD_EXPIRED]);
	render_limits(out, snap);
	if (snap->nr_suppressed)
		fprintf(out,
			"suppressed: %zu stacks holding %s (libc's one-time buffers, library "
			"constructors, --suppress), listed last\n",
			snap->nr_suppressed, format_bytes(snap->suppressed_bytes, bytes));
	if (snap->nr_hidden)
		fprintf(out, "filtered out: %zu stacks (--comm, --min-bytes)\n", snap->nr_hidden);
	if (snap->sample_bytes)
		fprintf(
		    out,
		    "sampling: one allocation per %s on average; bytes are estimates, counts are "
		    "of sampled allocations; sample set full %" PRIu64 "\n",
		    format_bytes(snap->sample_bytes, bytes), c[ML_CNT_SAMPLE_FULL]);
}

/* "growth +1.2 KiB/s ▁▂▃▅▇ GROWING, oldest 42 s": the stack's trend at a glance. */
static void render_growth(FILE *out, const struct snapshot_stack *st, int color)
{
	char rate[HUMAN_BYTES_LEN], spark[TREND_MAX_WINDOW * 3 + 1];
	const struct stack_history *h = st->hist;
	double r;

	if (!h)
		return;
	r = h->trend.rate;
	fprintf(out, "    growth %s%s/s %s", r < 0 ? "-" : "+",
		format_bytes((uint64_t)(r < 0 ? -r : r), rate),
		report__sparkline(h->values, h->nr_values, spark, sizeof(spark)));
	if (h->growing)
		fprintf(out, " %sGROWING%s", color ? "\033[1;31m" : "", color ? "\033[0m" : "");
	fprintf(out, ", oldest allocation %.0f s old\n", st->oldest_age_s);
}

static void render_stack(FILE *out, const struct snapshot *snap, size_t rank,
			 const struct snapshot_stack *stack, int color)
{
	const struct stack_stats *s = &stack->stats;
	char a[HUMAN_BYTES_LEN], b[HUMAN_BYTES_LEN], c[HUMAN_BYTES_LEN], frame[512], clean[512];
	char comm[SNAPSHOT_COMM_LEN];
	const char *problem = snapshot__stack_problem(stack);
	size_t i;

	fprintf(out, "%s#%zu %s (%" PRIu64 " B) in %" PRIu64 " %s, pid %u (%s)%s\n",
		color && stack->hist && stack->hist->growing ? "\033[1m" : "", rank,
		format_bytes(s->outstanding_bytes, a), s->outstanding_bytes, s->outstanding_count,
		s->kind == KIND_MMAP ? "anonymous mappings [mmap]" : "allocations", s->pid,
		printable(snapshot__comm(snap, (int)s->pid), comm, sizeof(comm)),
		color && stack->hist && stack->hist->growing ? "\033[0m" : "");
	if (stack->suppressed_by)
		fprintf(out, "    suppressed: a frame matches '%s'\n",
			printable(stack->suppressed_by, clean, sizeof(clean)));
	fprintf(out, "    since attach: allocated %s in %" PRIu64 ", freed %s in %" PRIu64 "\n",
		format_bytes(s->alloc_bytes, b), s->alloc_count, format_bytes(s->free_bytes, c),
		s->free_count);
	render_growth(out, stack, color);
	if (problem)
		fprintf(out, "        [%s]\n", problem);
	for (i = 0; i < stack->nr_frames; i++)
		fprintf(
		    out, "        %s\n",
		    printable(frame__format(&stack->frames[i], FRAME_FULL, frame, sizeof(frame)),
			      clean, sizeof(clean)));
}

int report__render(FILE *out, const struct snapshot *snap, const struct report_opts *opts)
{
	size_t i, shown = snap->nr_stacks < opts->top ? snap->nr_stacks : opts->top;

	render_header(out, snap);
	render_procs(out, snap);
	if (!shown)
		fprintf(out, "no outstanding allocations\n");
	for (i = 0; i < shown; i++)
		render_stack(out, snap, i + 1, &snap->stacks[i], opts->color);
	/* -n only reaches the stacks the snapshot kept; the cap's are in "lost to limits". */
	if (snap->nr_stacks > shown)
		fprintf(out, "(%zu more stacks not shown; raise -n to see them)\n",
			snap->nr_stacks - shown);
	if (snapshot__nr_omitted(snap))
		fprintf(out, "(%zu more stacks past the %zu-stack cap, not shown)\n",
			snapshot__nr_omitted(snap), snap->max_stacks);
	fputc('\n', out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
