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

/* What the goroutine tracking missed; a line only when it missed any. */
static void render_go_losses(FILE *out, const struct user_losses *l, uint64_t probe_unreadable)
{
	if (!l->go_exits_unseen_birth && !l->go_creates_missed && !l->go_exits_missed &&
	    !l->go_census_unreadable && !probe_unreadable)
		return;
	fprintf(out,
		"lost (goroutines): %" PRIu64 " exits of goroutines born unseen, %" PRIu64
		" creations missed, %" PRIu64 " exits missed, %" PRIu64
		" goroutines a census could not read, %" PRIu64
		" probe hits without a readable g\n",
		l->go_exits_unseen_birth, l->go_creates_missed, l->go_exits_missed,
		l->go_census_unreadable, probe_unreadable);
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
		t->outstanding_count, snap->nr_live_tracked, t->allocs, t->frees);
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
	render_go_losses(out, &snap->losses, snap->counters[ML_CNT_GO_UNREADABLE]);
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
static void render_growth(FILE *out, const struct snapshot_stack *st, int color, bool show_oldest)
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
	if (show_oldest)
		fprintf(out, ", oldest allocation %.0f s old", st->oldest_age_s);
	fputc('\n', out);
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
	render_growth(out, stack, color, true);
	if (problem)
		fprintf(out, "        [%s]\n", problem);
	for (i = 0; i < stack->nr_frames; i++)
		fprintf(
		    out, "        %s\n",
		    printable(frame__format(&stack->frames[i], FRAME_FULL, frame, sizeof(frame)),
			      clean, sizeof(clean)));
}

/* "server.go" of "/src/app/server.go". */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void render_frames(FILE *out, const char *indent, const struct frame *frames, size_t n)
{
	char frame[512], clean[512];
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(out, "%s%s\n", indent,
			printable(frame__format(&frames[i], FRAME_FULL, frame, sizeof(frame)),
				  clean, sizeof(clean)));
}

/* "main.(*Server).handle (server.go:88)": the go statement, the first frame shown. */
static const char *creation_site(const struct snapshot_stack *st, char *buf, size_t len)
{
	char clean[512], file[256];
	const struct frame *f;

	if (!st->nr_frames) {
		snprintf(buf, len, "an unknown site");
		return buf;
	}
	f = &st->frames[0];
	printable(f->symbol ? f->symbol : "?", clean, sizeof(clean));
	if (f->file)
		snprintf(buf, len, "%s (%s:%d)", clean,
			 printable(base_name(f->file), file, sizeof(file)), f->line);
	else
		snprintf(buf, len, "%s", clean);
	return buf;
}

/* The most common state that is waiting (not running, runnable or in a syscall), or NULL. */
static const char *blocking_state(const struct go_site *site)
{
	static const char *const busy[] = {"running", "runnable", "syscall"};
	const char *state;
	size_t i, j;

	for (i = 0; i < site->nr_states && i < GO_SITE_MAX_STATES; i++) {
		state = site->states[i].state;
		for (j = 0; state && j < sizeof(busy) / sizeof(busy[0]); j++)
			if (!strcmp(state, busy[j]))
				state = NULL;
		if (state && site->states[i].count)
			return state;
	}
	return NULL;
}

/* ", +20.0/s GROWING": goroutines per second, from the trend. */
static void render_goroutine_rate(FILE *out, const struct snapshot_stack *st, int color)
{
	const struct stack_history *h = st->hist;

	if (!h)
		return;
	fprintf(out, ", %+.1f/s", h->trend.rate);
	if (h->growing)
		fprintf(out, " %sGROWING%s", color ? "\033[1;31m" : "", color ? "\033[0m" : "");
}

static void render_go_states(FILE *out, const struct go_site *site)
{
	char count[HUMAN_COUNT_LEN], bytes[HUMAN_BYTES_LEN];
	size_t i;

	if (!site->nr_states && !site->stack_bytes)
		return;
	fprintf(out, "    states:");
	for (i = 0; i < site->nr_states && i < GO_SITE_MAX_STATES; i++)
		fprintf(out, "%s %s %s", i ? "," : "",
			site->states[i].state ? site->states[i].state : "?",
			format_count(site->states[i].count, count));
	fprintf(out, "%sgoroutine stacks pin %s\n", site->nr_states ? "; " : " ",
		format_bytes(site->stack_bytes, bytes));
}

static void render_goroutine_stack(FILE *out, const struct snapshot *snap, size_t rank,
				   const struct snapshot_stack *st, int color)
{
	const struct stack_stats *s = &st->stats;
	const struct go_site *site = st->go_site;
	char live[HUMAN_COUNT_LEN], created[HUMAN_COUNT_LEN], exited[HUMAN_COUNT_LEN];
	char where[1024], comm[SNAPSHOT_COMM_LEN], spark[TREND_MAX_WINDOW * 3 + 1];
	const char *problem = snapshot__stack_problem(st);
	bool growing = st->hist && st->hist->growing;

	fprintf(out, "%s#%zu %s goroutines %s %s", color && growing ? "\033[1m" : "", rank,
		format_count(s->outstanding_count, live),
		site && site->before_attach ? "started before attach, running" : "created at",
		creation_site(st, where, sizeof(where)));
	render_goroutine_rate(out, st, color);
	if (site && blocking_state(site) && site->max_blocked_s > 0)
		fprintf(out, ", blocked in %s for up to %.0f s", blocking_state(site),
			site->max_blocked_s);
	fprintf(out, "%s\n", color && growing ? "\033[0m" : "");
	fprintf(out, "    pid %u (%s); since attach %s created, %s exited", s->pid,
		printable(snapshot__comm(snap, (int)s->pid), comm, sizeof(comm)),
		format_count(s->alloc_count, created), format_count(s->free_count, exited));
	if (st->hist)
		fprintf(
		    out, "; %s",
		    report__sparkline(st->hist->values, st->hist->nr_values, spark, sizeof(spark)));
	fprintf(out, "; oldest %.0f s old\n", st->oldest_age_s);
	if (site)
		render_go_states(out, site);
	if (problem)
		fprintf(out, "        [%s]\n", problem);
	if (st->nr_frames) {
		fprintf(out, "    created at:\n");
		render_frames(out, "        ", st->frames, st->nr_frames);
	}
	if (st->nr_blocked_frames) {
		fprintf(out, "    blocked in:\n");
		render_frames(out, "        ", st->blocked_frames, st->nr_blocked_frames);
	}
}

static void render_go_heap_stack(FILE *out, const struct snapshot *snap, size_t rank,
				 const struct snapshot_stack *st)
{
	const struct stack_stats *s = &st->stats;
	char inuse[HUMAN_BYTES_LEN], alloc[HUMAN_BYTES_LEN], objects[HUMAN_COUNT_LEN];
	char allocs[HUMAN_COUNT_LEN], comm[SNAPSHOT_COMM_LEN];
	const char *problem = snapshot__stack_problem(st);

	fprintf(out, "#%zu %s (%" PRIu64 " B) in %s objects, pid %u (%s)\n", rank,
		format_bytes(s->outstanding_bytes, inuse), s->outstanding_bytes,
		format_count(s->outstanding_count, objects), s->pid,
		printable(snapshot__comm(snap, (int)s->pid), comm, sizeof(comm)));
	fprintf(out, "    allocated since the program started: %s in %s objects\n",
		format_bytes(s->alloc_bytes, alloc), format_count(s->alloc_count, allocs));
	render_growth(out, st, 0, false);
	if (problem)
		fprintf(out, "        [%s]\n", problem);
	render_frames(out, "        ", st->frames, st->nr_frames);
}

/* The report groups: memory (malloc and mmap, as always), goroutines, the Go heap. */
enum group { GROUP_MEMORY, GROUP_GOROUTINES, GROUP_GO_HEAP, NR_GROUPS };

static enum group group_of(enum alloc_kind kind)
{
	if (kind == KIND_GOROUTINE)
		return GROUP_GOROUTINES;
	if (kind == KIND_GO_HEAP)
		return GROUP_GO_HEAP;
	return GROUP_MEMORY;
}

static size_t group_size(const struct snapshot *snap, enum group g)
{
	size_t i, n = 0;

	for (i = 0; i < snap->nr_stacks; i++)
		n += group_of(snap->stacks[i].stats.kind) == g;
	return n;
}

/* The GC cycle the heap figures are as of: the first Go process's with a heap profile. */
static uint32_t heap_gc_cycle(const struct snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr_procs; i++)
		if (snap->procs[i].go && snap->procs[i].go->heap_rate > 0)
			return snap->procs[i].go->gc_cycle;
	return 0;
}

static void render_group_title(FILE *out, const struct snapshot *snap, enum group g)
{
	if (g == GROUP_MEMORY)
		fprintf(out, "Memory (malloc and mmap), in bytes outstanding:\n");
	else if (g == GROUP_GOROUTINES)
		fprintf(out, "Goroutines, in live %s by creation site:\n",
			alloc_kind__unit(KIND_GOROUTINE));
	else
		fprintf(out,
			"Go heap (in use, sampled and scaled like pprof; as of GC cycle %u), in %s "
			"and objects:\n",
			heap_gc_cycle(snap), alloc_kind__unit(KIND_GO_HEAP));
}

/* The stacks of one group, at most top of them, ranked within the group. */
static void render_group(FILE *out, const struct snapshot *snap, enum group g,
			 const struct report_opts *opts, bool titled)
{
	size_t i, rank = 0, total = group_size(snap, g);
	const struct snapshot_stack *st;

	if (!total)
		return;
	if (titled)
		render_group_title(out, snap, g);
	for (i = 0; i < snap->nr_stacks && rank < opts->top; i++) {
		st = &snap->stacks[i];
		if (group_of(st->stats.kind) != g)
			continue;
		rank++;
		if (g == GROUP_GOROUTINES)
			render_goroutine_stack(out, snap, rank, st, opts->color);
		else if (g == GROUP_GO_HEAP)
			render_go_heap_stack(out, snap, rank, st);
		else
			render_stack(out, snap, rank, st, opts->color);
	}
	/* -n only reaches the stacks the snapshot kept; the cap's are in "lost to limits". */
	if (total > rank)
		fprintf(out, "(%zu more stacks not shown; raise -n to see them)\n", total - rank);
}

static void render_go_heap_status(FILE *out, const struct snapshot_go *go)
{
	char rate[HUMAN_BYTES_LEN], bytes[HUMAN_BYTES_LEN], clean[256];

	if (go->heap_off)
		fprintf(out, "    heap profile: none: %s\n",
			printable(go->heap_off, clean, sizeof(clean)));
	else if (go->heap_rate <= 0)
		fprintf(out, "    heap profile: none: heap profiling is off in this binary (the "
			     "linker disables it when the program never references runtime/pprof); "
			     "--go-heap-sampling turns it on\n");
	else
		fprintf(out,
			"    heap profile: one sample per %s allocated on average, as of GC cycle "
			"%u; read in %.1f ms (%s, %zu buckets)\n",
			format_bytes((uint64_t)go->heap_rate, rate), go->gc_cycle, go->heap_read_ms,
			format_bytes(go->heap_read_bytes, bytes), go->heap_buckets);
}

/* Per Go process: its version, goroutines and what the heap profile can say. */
static void render_go_procs(FILE *out, const struct snapshot *snap)
{
	char comm[SNAPSHOT_COMM_LEN], version[64], user[HUMAN_COUNT_LEN], sys[HUMAN_COUNT_LEN];
	char bytes[HUMAN_BYTES_LEN], clean[256];
	const struct snapshot_go *go;
	size_t i;

	for (i = 0; i < snap->nr_procs; i++) {
		go = snap->procs[i].go;
		if (!go)
			continue;
		fprintf(out, "Go pid %d (%s): %s, %s goroutines (NumGoroutine) + %s system",
			snap->procs[i].pid, printable(snap->procs[i].comm, comm, sizeof(comm)),
			go->version[0] ? printable(go->version, version, sizeof(version))
				       : "unknown Go version",
			format_count(go->goroutines, user),
			format_count(go->system_goroutines, sys));
		if (go->goroutines_off)
			fprintf(out, "; goroutines not counted: %s",
				printable(go->goroutines_off, clean, sizeof(clean)));
		else
			fprintf(out, "; %s; census %.1f ms (%s read)",
				go->goroutines_traced ? "births and exits traced"
						      : "census only (births and exits not traced)",
				go->census_ms, format_bytes(go->census_bytes, bytes));
		fputc('\n', out);
		render_go_heap_status(out, go);
	}
}

int report__render(FILE *out, const struct snapshot *snap, const struct report_opts *opts)
{
	bool has_go = group_size(snap, GROUP_GOROUTINES) || group_size(snap, GROUP_GO_HEAP);
	int g;

	render_header(out, snap);
	render_procs(out, snap);
	render_go_procs(out, snap);
	if (!snap->nr_stacks)
		fprintf(out, "no outstanding allocations\n");
	for (g = 0; g < NR_GROUPS; g++)
		render_group(out, snap, (enum group)g, opts, has_go);
	if (snapshot__nr_omitted(snap))
		fprintf(out, "(%zu more stacks past the %zu-stack cap, not shown)\n",
			snapshot__nr_omitted(snap), snap->max_stacks);
	fputc('\n', out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
