// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exitlog.h"
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

/* --- the kernel's view: resident and anonymous memory against tracked --------------- */

/* "-1.5 MiB" or "90.0 MiB" for a signed size. */
static const char *format_signed_bytes(int64_t bytes, char buf[HUMAN_BYTES_LEN + 1])
{
	uint64_t magnitude = bytes < 0 ? (uint64_t)0 - (uint64_t)bytes : (uint64_t)bytes;

	buf[0] = '-';
	format_bytes(magnitude, buf + (bytes < 0));
	return buf;
}

/* A growing gap first, then the most anonymous memory. */
static int by_gap_interest(const void *a, const void *b)
{
	const struct snapshot_proc *x = *(const struct snapshot_proc *const *)a;
	const struct snapshot_proc *y = *(const struct snapshot_proc *const *)b;

	if (x->mem.gap_growing != y->mem.gap_growing)
		return x->mem.gap_growing ? -1 : 1;
	if (x->mem.anon_bytes != y->mem.anon_bytes)
		return x->mem.anon_bytes > y->mem.anon_bytes ? -1 : 1;
	return x->pid - y->pid;
}

/* One process's line, and its hint when the untracked part grows. */
static void render_memview_line(FILE *out, const struct snapshot_proc *p)
{
	char comm[SNAPSHOT_COMM_LEN], rss[HUMAN_BYTES_LEN], anon[HUMAN_BYTES_LEN];
	char tracked[HUMAN_BYTES_LEN], gap[HUMAN_BYTES_LEN + 1], rate[HUMAN_BYTES_LEN];
	double r = isfinite(p->mem.gap_rate) ? fabs(p->mem.gap_rate) : 0;

	fprintf(out,
		"memory pid %d (%s): RSS %s, anonymous %s, tracked %s, untracked %s (%s%s/s%s)\n",
		p->pid, printable(p->comm, comm, sizeof(comm)), format_bytes(p->mem.rss_bytes, rss),
		format_bytes(p->mem.anon_bytes, anon), format_bytes(p->mem.tracked_bytes, tracked),
		format_signed_bytes(p->mem.gap_bytes, gap), p->mem.gap_rate < 0 ? "-" : "+",
		format_bytes(r < 1e18 ? (uint64_t)r : (uint64_t)1e18, rate),
		p->mem.gap_growing ? ", GROWING" : "");
	if (p->mem.gap_growing && p->mem.hint)
		fprintf(out, "  hint: %s\n", p->mem.hint);
}

/*
 * Per listed live process: RSS, anonymous, tracked and the untracked rest
 * with its trend. Up to HEADER_PROCS processes, each; past that (-p many,
 * system-wide) only those whose untracked part grows, and a count.
 */
static void render_memview(FILE *out, const struct snapshot *snap)
{
	const struct snapshot_proc **order;
	size_t i, nr = 0, shown = 0, growing = 0;

	order = malloc((snap->nr_procs ? snap->nr_procs : 1) * sizeof(*order));
	if (!order)
		return;
	for (i = 0; i < snap->nr_procs; i++)
		if (snap->procs[i].mem.valid)
			order[nr++] = &snap->procs[i];
	qsort(order, nr, sizeof(*order), by_gap_interest);
	for (; shown < nr && shown < TABLE_PROCS; shown++) {
		if (nr > HEADER_PROCS && !order[shown]->mem.gap_growing)
			break;
		render_memview_line(out, order[shown]);
	}
	for (i = shown; i < nr; i++)
		growing += order[i]->mem.gap_growing;
	if (shown && nr > shown)
		fprintf(out,
			"  (%zu more processes read, %zu of them with a growing untracked part)\n",
			nr - shown, growing);
	else if (nr > shown)
		fprintf(out, "memory: %zu processes read, none with a growing untracked part\n",
			nr);
	if (shown)
		fprintf(out,
			"  (tracked counts only what was allocated since memleakd attached, so "
			"untracked includes older memory: its trend, not its level, is the "
			"signal)\n");
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

/* What the "left at exit" tally's caps left out; a line only when they left any. */
static void render_exited_limits(FILE *out, const struct user_losses *l)
{
	if (!l->exited_stacks_evicted && !l->exited_stacks_cut)
		return;
	fprintf(out,
		"lost to the left-at-exit tally: %" PRIu64
		" entries evicted (past --max-exited-stacks), %" PRIu64
		" stacks of exiting processes not added (past %d per process, or of a process "
		"never identified)\n",
		l->exited_stacks_evicted, l->exited_stacks_cut, EXITLOG_MAX_PROC_STACKS);
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

/* --- reachability ----------------------------------------------------------- */

static const struct snapshot_proc *proc_of(const struct snapshot *snap, uint32_t pid)
{
	size_t i;

	for (i = 0; i < snap->nr_procs; i++)
		if (snap->procs[i].pid == (int)pid)
			return &snap->procs[i];
	return NULL;
}

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static const char *class_label(enum reach_class cls)
{
	static const char *const labels[NR_REACH_CLASSES] = {
	    [REACH_UNSCANNED] = "unscanned",
	    [REACH_REACHABLE] = "reachable",
	    [REACH_INDIRECT] = "indirect",
	    [REACH_LOST] = "lost",
	};

	return (unsigned int)cls < NR_REACH_CLASSES ? labels[cls] : "?";
}

/* The report's order: the leaks first. */
static const enum reach_class class_order[] = {REACH_LOST, REACH_INDIRECT, REACH_REACHABLE,
					       REACH_UNSCANNED};

/*
 * "lost 96 B in 3 blocks, indirect 64 B in 2, reachable 1.0 KiB in 5":
 * the classes holding any block (a malloc(0) block holds 0 bytes), or
 * "no blocks". bytes[]/count[] by enum reach_class, unscanned included.
 */
static void render_classes(FILE *out, const uint64_t *bytes, const uint64_t *count, int color)
{
	char human[HUMAN_BYTES_LEN];
	bool first = true;
	size_t i;
	enum reach_class cls;

	for (i = 0; i < sizeof(class_order) / sizeof(class_order[0]); i++) {
		cls = class_order[i];
		if (!bytes[cls] && !count[cls])
			continue;
		fprintf(out, "%s%s%s%s %s in %" PRIu64 "%s", first ? "" : ", ",
			color && cls == REACH_LOST ? "\033[1;31m" : "", class_label(cls),
			color && cls == REACH_LOST ? "\033[0m" : "",
			format_bytes(bytes[cls], human), count[cls], first ? " blocks" : "");
		first = false;
	}
	if (first)
		fprintf(out, "no blocks");
}

/* "at exit", "scan 3.2 s ago": when the classes of a process were decided. */
static const char *scan_when(const struct snapshot_scan *scan, char *buf, size_t len)
{
	if (scan->state == SCAN_FAILED)
		snprintf(buf, len, "the last scan failed");
	else if (scan->state == SCAN_NONE)
		snprintf(buf, len, "process not scanned");
	else if (scan->at_exit)
		snprintf(buf, len, "at exit");
	else
		snprintf(buf, len, "scan %.1f s ago", scan->age_s);
	return buf;
}

/*
 * A malloc or mmap stack's blocks by class, e.g. "reach: lost 96 B in 3
 * blocks, reachable 1.0 KiB in 5 (at exit)"; a stack that is all reachable
 * says it is not a leak.
 */
static void render_stack_reach(FILE *out, const struct snapshot *snap, const struct stack_stats *s,
			       int color)
{
	const struct snapshot_proc *proc = proc_of(snap, s->pid);
	static const struct snapshot_scan unlisted = {.state = SCAN_NONE};
	uint64_t bytes[NR_REACH_CLASSES], count[NR_REACH_CLASSES];
	char when[48];
	int cls;

	bytes[REACH_UNSCANNED] = s->outstanding_bytes;
	count[REACH_UNSCANNED] = s->outstanding_count;
	for (cls = REACH_UNSCANNED + 1; cls < NR_REACH_CLASSES; cls++) {
		bytes[cls] = s->reach.bytes[cls];
		count[cls] = s->reach.count[cls];
		bytes[REACH_UNSCANNED] = less(bytes[REACH_UNSCANNED], bytes[cls]);
		count[REACH_UNSCANNED] = less(count[REACH_UNSCANNED], count[cls]);
	}
	fprintf(out, "    reach: ");
	render_classes(out, bytes, count, color);
	fprintf(out, " (%s)", scan_when(proc ? &proc->scan : &unlisted, when, sizeof(when)));
	if (count[REACH_REACHABLE] && !count[REACH_LOST] && !count[REACH_INDIRECT] &&
	    !count[REACH_UNSCANNED])
		fprintf(out, ": still reachable, not a leak");
	fputc('\n', out);
}

/* The scan's why, bounded (a full buffer need not end in NUL) and safe for a terminal. */
static const char *scan_why(const struct snapshot_scan *scan, char *buf, size_t len)
{
	char why[sizeof(scan->why) + 1];

	memcpy(why, scan->why, sizeof(scan->why));
	why[sizeof(scan->why)] = '\0';
	return printable(why, buf, len);
}

/* "read 1.2 MiB (roots: globals 64.0 KiB, stack 8.0 KiB, ...; heap 5.0 KiB)". */
static void render_scan_reads(FILE *out, const struct snapshot_scan *scan)
{
	static const char *const root_names[NR_ROOT_KINDS] = {
	    [ROOT_GLOBALS] = "globals",
	    [ROOT_STACK] = "stack",
	    [ROOT_REGISTERS] = "registers",
	    [ROOT_UNTRACED] = "untraced",
	};
	char bytes[HUMAN_BYTES_LEN];
	int kind;

	fprintf(out, "read %s (roots:", format_bytes(scan->bytes_read, bytes));
	for (kind = 0; kind < NR_ROOT_KINDS; kind++)
		fprintf(out, "%s %s %s", kind ? "," : "", root_names[kind],
			format_bytes(scan->root_bytes[kind], bytes));
	fprintf(out, "; heap %s)", format_bytes(scan->heap_bytes, bytes));
}

/*
 * One process's last scan: when, how long it stood still, what was read,
 * and its blocks by class; or why it failed.
 */
static void render_scan(FILE *out, const struct snapshot_proc *proc, int color)
{
	const struct snapshot_scan *scan = &proc->scan;
	char comm[SNAPSHOT_COMM_LEN], why[512];
	bool classified = false;
	int cls;

	for (cls = 0; cls < NR_REACH_CLASSES; cls++)
		classified |= scan->count[cls] || scan->bytes[cls];
	fprintf(out, "scan pid %d (%s): ", proc->pid, printable(proc->comm, comm, sizeof(comm)));
	if (scan->state == SCAN_FAILED) {
		fprintf(out, "FAILED: %s; %s\n", scan_why(scan, why, sizeof(why)),
			classified ? "its blocks keep the classes of an earlier scan"
				   : "its blocks are unscanned");
		return;
	}
	if (scan->at_exit)
		fprintf(out, "at exit");
	else
		fprintf(out, "last scan %.1f s ago (%u scans)", scan->age_s, scan->nr_scans);
	fprintf(out, ", paused %.1f ms (%.1f ms scanning), ", scan->pause_ms, scan->scan_ms);
	render_scan_reads(out, scan);
	fprintf(out, ", %zu threads: ", scan->nr_threads);
	render_classes(out, scan->bytes, scan->count, color);
	if (scan->interior_only)
		fprintf(out, " (%" PRIu64 " reachable only through interior pointers)",
			scan->interior_only);
	if (scan->truncated)
		fprintf(out,
			"; TRUNCATED: %s (blocks not reached stay unscanned, none is called lost)",
			scan->why[0] ? scan_why(scan, why, sizeof(why))
				     : "a bound (--scan-max-bytes or the time limit) cut the scan");
	fputc('\n', out);
}

/* A line per scanned process (at most TABLE_PROCS), then how many were not scanned. */
static void render_scans(FILE *out, const struct snapshot *snap, int color)
{
	size_t i, shown = 0, more = 0, none = 0;

	if (!snapshot__any_scan(snap))
		return;
	for (i = 0; i < snap->nr_procs; i++) {
		if (snap->procs[i].scan.state == SCAN_NONE)
			none++;
		else if (shown < TABLE_PROCS) {
			render_scan(out, &snap->procs[i], color);
			shown++;
		} else
			more++;
	}
	if (more)
		fprintf(out, "(%zu more processes scanned)\n", more);
	if (none)
		fprintf(out,
			"not scanned: %zu processes (no scan yet, or they did not exit through "
			"_exit)\n",
			none);
}

/* Why some blocks are unscanned, from the processes' scans: "a scan failed; ...". */
static const char *unscanned_why(const struct snapshot *snap, char *buf, size_t len)
{
	bool failed = false, truncated = false, live = false, none = false;
	size_t i, used = 0;
	const char *parts[4];
	size_t nr = 0;

	for (i = 0; i < snap->nr_procs; i++) {
		const struct snapshot_scan *scan = &snap->procs[i].scan;

		failed |= scan->state == SCAN_FAILED;
		none |= scan->state == SCAN_NONE;
		truncated |= scan->state == SCAN_DONE && scan->truncated;
		live |= scan->state == SCAN_DONE && !scan->at_exit;
	}
	if (live)
		parts[nr++] = "allocated since the last scan";
	if (truncated)
		parts[nr++] = "a scan bound cut the scan short";
	if (failed)
		parts[nr++] = "a scan failed";
	if (none)
		parts[nr++] = "in processes not scanned";
	if (!nr)
		parts[nr++] = "no scan classified them";
	buf[0] = '\0';
	for (i = 0; i < nr && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "; " : "", parts[i]);
	return buf;
}

/*
 * The final report's verdict, worded like LeakSanitizer's: what the leak
 * gate counts (outside suppressed stacks, every process), then what no
 * scan classified.
 */
static void render_leak_summary(FILE *out, const struct snapshot *snap)
{
	char b[NR_REACH_CLASSES][HUMAN_COUNT_LEN], c[NR_REACH_CLASSES][HUMAN_COUNT_LEN];
	char why[160];
	struct leak_tally tally;
	int cls;

	if (!snap->final || !snapshot__any_scan(snap))
		return;
	snapshot__leak_tally(snap, &tally);
	for (cls = 0; cls < NR_REACH_CLASSES; cls++) {
		format_count(tally.bytes[cls], b[cls]);
		format_count(tally.count[cls], c[cls]);
	}
	fprintf(out,
		"SUMMARY: memleakd: %s byte(s) definitely lost in %s block(s), %s byte(s) "
		"indirectly lost in %s block(s); %s byte(s) still reachable in %s block(s) (not "
		"leaks)\n",
		b[REACH_LOST], c[REACH_LOST], b[REACH_INDIRECT], c[REACH_INDIRECT],
		b[REACH_REACHABLE], c[REACH_REACHABLE]);
	if (tally.count[REACH_UNSCANNED] || tally.bytes[REACH_UNSCANNED])
		fprintf(out, "SUMMARY: memleakd: %s byte(s) in %s block(s) were not scanned (%s)\n",
			b[REACH_UNSCANNED], c[REACH_UNSCANNED],
			unscanned_why(snap, why, sizeof(why)));
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
	render_exited_limits(out, &snap->losses);
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
	if (snapshot__any_scan(snap))
		render_stack_reach(out, snap, s, color);
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

/*
 * "exited #1 24.0 KiB (24576 B) in 48 allocations, 12 processes of /srv/app (last app, 0.4 s
 * ago)": "exited" keeps the tally's entries apart from live stacks' "#1" lines.
 */
static void render_exited_entry(FILE *out, size_t rank, const struct snapshot_exited *e, int color)
{
	char a[HUMAN_BYTES_LEN], rate[HUMAN_BYTES_LEN], exe[SNAPSHOT_EXE_LEN * 4];
	char comm[SNAPSHOT_COMM_LEN * 4];
	double r = e->rate;

	fprintf(out,
		"%sexited #%zu %s (%" PRIu64 " B) in %" PRIu64 " %s, %" PRIu64
		" process%s of %s (last %s, "
		"%.1f s ago)%s\n",
		color && e->growing ? "\033[1m" : "", rank, format_bytes(e->bytes, a), e->bytes,
		e->count, e->kind == KIND_MMAP ? "anonymous mappings [mmap]" : "allocations",
		e->nr_procs, e->nr_procs == 1 ? "" : "es", printable(e->exe, exe, sizeof(exe)),
		printable(e->comm, comm, sizeof(comm)), e->last_exit_age_s,
		color && e->growing ? "\033[0m" : "");
	fprintf(out, "    growth %s%s/s over exits", r < 0 ? "-" : "+",
		format_bytes((uint64_t)(r < 0 ? -r : r), rate));
	if (e->growing)
		fprintf(out, " %sGROWING%s", color ? "\033[1;31m" : "", color ? "\033[0m" : "");
	fputc('\n', out);
	if (!e->nr_frames)
		fprintf(out, "        [stack lost]\n");
	render_frames(out, "        ", e->frames, e->nr_frames);
}

/*
 * What exited processes held when they exited, per executable and stack:
 * evidence (the kernel freed it), not a leak of the living.
 */
static void render_exited(FILE *out, const struct snapshot *snap, const struct report_opts *opts)
{
	size_t i, shown;

	if (!snap->nr_exited && !snap->nr_exited_omitted)
		return;
	fprintf(out,
		"Left at exit by exited processes (%" PRIu64
		" processes so far), in bytes they held when they exited:\n",
		snap->exited_procs);
	shown = snap->nr_exited < opts->top ? snap->nr_exited : opts->top;
	for (i = 0; i < shown; i++)
		render_exited_entry(out, i + 1, &snap->exited[i], opts->color);
	if (snap->nr_exited + snap->nr_exited_omitted > shown)
		fprintf(out, "(%zu more left-at-exit stacks not shown; raise -n to see them)\n",
			snap->nr_exited + snap->nr_exited_omitted - shown);
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
	render_memview(out, snap);
	render_go_procs(out, snap);
	render_scans(out, snap, opts->color);
	if (!snap->nr_stacks)
		fprintf(out, "no outstanding allocations\n");
	for (g = 0; g < NR_GROUPS; g++)
		render_group(out, snap, (enum group)g, opts, has_go);
	if (snapshot__nr_omitted(snap))
		fprintf(out, "(%zu more stacks past the %zu-stack cap, not shown)\n",
			snapshot__nr_omitted(snap), snap->max_stacks);
	render_exited(out, snap, opts);
	render_leak_summary(out, snap);
	fputc('\n', out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
