// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "snapshot.h"

/* A live stack with what sorting and rendering need besides its stats. */
struct ranked {
	const struct stack_stats *stats;
	const struct stack_history *hist;
	uint64_t oldest_ns;
};

static int by_outstanding_desc(const void *a, const void *b)
{
	const struct stack_stats *x = ((const struct ranked *)a)->stats;
	const struct stack_stats *y = ((const struct ranked *)b)->stats;

	if (x->outstanding_bytes != y->outstanding_bytes)
		return x->outstanding_bytes > y->outstanding_bytes ? -1 : 1;
	if (x->outstanding_count != y->outstanding_count)
		return x->outstanding_count > y->outstanding_count ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

/* Symbolizes ips[0..nr) of pid into *frames (inlined frames expanded). 0 or -ENOMEM. */
static int symbolize_ips(const struct snapshot_opts *opts, uint32_t pid, const uint64_t *ips,
			 int nr, struct frame **frames, size_t *nr_frames)
{
	struct frame *shrunk;
	size_t used = 0;
	int i;

	*frames = calloc(nr ? (size_t)nr * SYMBOLIZER_MAX_INLINE : 1, sizeof(**frames));
	if (!*frames)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		used += symbolizer__resolve_frames(opts->symbolizer, (int)pid, ips[i], 1,
						   &(*frames)[used], SYMBOLIZER_MAX_INLINE);
	*nr_frames = used;
	/* Most addresses have no inlines: give back the room they did not need. */
	shrunk = realloc(*frames, (used ? used : 1) * sizeof(**frames));
	if (shrunk)
		*frames = shrunk;
	return 0;
}

/*
 * Go stacks begin in the runtime (newproc's closure, mallocgc...): the
 * frames before the first one outside runtime.* are hidden, as pprof
 * hides them, so a goroutine stack starts at its go statement. All kept
 * when every frame is the runtime's (a system goroutine).
 */
static void hide_runtime_frames(struct frame *frames, size_t *nr)
{
	size_t first = 0;

	while (first < *nr && frames[first].symbol && !strncmp(frames[first].symbol, "runtime.", 8))
		first++;
	if (!first || first == *nr)
		return;
	memmove(frames, frames + first, (*nr - first) * sizeof(*frames));
	*nr -= first;
}

static bool is_go_kind(enum alloc_kind kind)
{
	return kind == KIND_GOROUTINE || kind == KIND_GO_HEAP;
}

static int fill_frames(struct snapshot_stack *out, const struct snapshot_opts *opts, uint64_t *ips)
{
	int nr, err;

	if (out->stats.stack_id < 0)
		return 0; /* capture failed in BPF; snapshot__stack_problem says why */
	nr = opts->read_stack(opts->reader_ctx, out->stats.stack_id, ips, ML_MAX_STACK_DEPTH);
	if (nr < 0) {
		out->read_error = nr;
		return 0;
	}
	err = symbolize_ips(opts, out->stats.pid, ips, nr, &out->frames, &out->nr_frames);
	if (err)
		return err;
	nr = (int)out->nr_frames;
	out->complete = nr > 0 && snapshot__is_root_symbol(out->frames[nr - 1].symbol);
	if (is_go_kind(out->stats.kind))
		hide_runtime_frames(out->frames, &out->nr_frames);
	return 0;
}

/* A goroutine site: a copy of what the census says, and its blocked-in stack's frames. */
static int fill_go_site(struct snapshot_stack *out, const struct snapshot_opts *opts, uint64_t *ips)
{
	const struct go_site *site;
	struct go_site *copy;
	int nr;

	if (out->stats.kind != KIND_GOROUTINE || !opts->go_site)
		return 0;
	site = opts->go_site(opts->go_ctx, out->stats.pid, out->stats.stack_id);
	if (!site)
		return 0;
	copy = malloc(sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	*copy = *site;
	out->go_site = copy;
	if (site->blocked_stack_id < 0)
		return 0;
	nr = opts->read_stack(opts->reader_ctx, site->blocked_stack_id, ips, ML_MAX_STACK_DEPTH);
	if (nr <= 0)
		return 0;
	return symbolize_ips(opts, out->stats.pid, ips, nr, &out->blocked_frames,
			     &out->nr_blocked_frames);
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
	    "_start_c",		      /* musl */
	    "libc_start_main_stage2", /* musl: calls main; its libc.a has no CFI */
	    "runtime.goexit",	      /* Go: every goroutine's outermost frame */
	    "runtime.rt0_go",	      /* Go: the main thread's g0 */
	    "runtime.mstart",	      /* Go: other threads' g0 */
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

const char *snapshot__match_suppression(const char *symbol, const char *const *patterns,
					size_t nr_patterns)
{
	size_t i, len, sym_len;

	if (!symbol)
		return NULL;
	sym_len = strcspn(symbol, "@"); /* "malloc@@GLIBC_2.2.5" is malloc */
	for (i = 0; i < nr_patterns; i++) {
		len = strlen(patterns[i]);
		if (len && patterns[i][len - 1] == '*') {
			if (len - 1 <= sym_len && !strncmp(symbol, patterns[i], len - 1))
				return patterns[i];
		} else if (len == sym_len && !strncmp(symbol, patterns[i], len)) {
			return patterns[i];
		}
	}
	return NULL;
}

static void mark_suppressed(struct snapshot *snap, struct snapshot_stack *st,
			    const struct snapshot_opts *opts)
{
	size_t i;

	for (i = 0; i < st->nr_frames && !st->suppressed_by; i++)
		st->suppressed_by = snapshot__match_suppression(st->frames[i].symbol,
								opts->suppress, opts->nr_suppress);
	for (i = 0; opts->suppfile && i < st->nr_frames && !st->suppressed_by; i++)
		st->suppressed_by = suppfile__match_frame(opts->suppfile, st->frames[i].symbol,
							  st->frames[i].file, st->frames[i].module);
	if (!st->suppressed_by)
		return;
	snap->nr_suppressed++;
	snap->suppressed_bytes += st->stats.outstanding_bytes;
}

/* Stable: the suppressed stacks move behind the others, each group keeping its order. */
static void suppressed_last(struct snapshot *snap)
{
	struct snapshot_stack *sorted = malloc(snap->nr_stacks * sizeof(*sorted));
	size_t i, n = 0;
	int pass;

	if (!sorted)
		return; /* the order is cosmetic */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < snap->nr_stacks; i++)
			if ((snap->stacks[i].suppressed_by != NULL) == pass)
				sorted[n++] = snap->stacks[i];
	memcpy(snap->stacks, sorted, snap->nr_stacks * sizeof(*sorted));
	free(sorted);
}

/* pid -> index of its first entry in snap->procs; false when out of memory. */
static bool index_procs(const struct snapshot *snap, struct hmap *index)
{
	size_t i, *slot;
	bool fresh;

	hmap__init(index, sizeof(size_t));
	for (i = 0; i < snap->nr_procs; i++) {
		slot =
		    hmap__put(index, (struct hmap_key){.a = (uint32_t)snap->procs[i].pid}, &fresh);
		if (!slot) {
			hmap__free(index);
			return false;
		}
		if (fresh)
			*slot = i;
	}
	return true;
}

/* The first entry of pid in snap->procs, or NULL; a linear search without an index. */
static struct snapshot_proc *proc_of(struct snapshot *snap, const struct hmap *index, bool indexed,
				     int pid)
{
	const size_t *slot;
	size_t j;

	if (indexed) {
		slot = hmap__get(index, (struct hmap_key){.a = (uint32_t)pid});
		return slot ? &snap->procs[*slot] : NULL;
	}
	for (j = 0; j < snap->nr_procs; j++)
		if (snap->procs[j].pid == pid)
			return &snap->procs[j];
	return NULL;
}

static void add_reach(struct reach_counts *to, const struct reach_counts *from)
{
	size_t c;

	for (c = 0; c < NR_REACH_CLASSES; c++) {
		to->bytes[c] += from->bytes[c];
		to->count[c] += from->count[c];
	}
}

/* What p holds outside suppressed stacks, by class (unscanned: the rest), into tally. */
static void tally_proc(const struct snapshot_proc *p, struct leak_tally *tally)
{
	uint64_t bytes = p->outstanding_bytes - p->suppressed_bytes;
	uint64_t count = p->outstanding_count - p->suppressed_count;
	uint64_t b, n;
	size_t c;

	for (c = REACH_UNSCANNED + 1; c < NR_REACH_CLASSES; c++) {
		b = p->reach.bytes[c] - p->suppressed_reach.bytes[c];
		n = p->reach.count[c] - p->suppressed_reach.count[c];
		tally->bytes[c] += b;
		tally->count[c] += n;
		bytes -= b < bytes ? b : bytes;
		count -= n < count ? n : count;
	}
	tally->bytes[REACH_UNSCANNED] += bytes;
	tally->count[REACH_UNSCANNED] += count;
}

bool snapshot__any_scan(const struct snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr_procs; i++)
		if (snap->procs[i].scan.state != SCAN_NONE)
			return true;
	return false;
}

void snapshot__leak_tally(const struct snapshot *snap, struct leak_tally *out)
{
	size_t i;

	*out = snap->procs_omitted_tally;
	for (i = 0; i < snap->nr_procs; i++)
		tally_proc(&snap->procs[i], out);
}

void snapshot__sum_procs(struct snapshot *snap, const struct allocs *table)
{
	size_t nr_all, i;
	const struct stack_stats *all = allocs__stacks(table, &nr_all);
	struct snapshot_proc *p;
	struct hmap index;
	bool indexed = index_procs(snap, &index);

	for (i = 0; i < nr_all; i++) {
		p = proc_of(snap, &index, indexed, (int)all[i].pid);
		if (!p)
			continue;
		p->kind_bytes[all[i].kind] += all[i].outstanding_bytes;
		p->kind_count[all[i].kind] += all[i].outstanding_count;
		/* Lifetime totals of every stack of memory, those that hold nothing now too. */
		if (alloc_kind__is_bytes(all[i].kind)) {
			p->alloc_count += all[i].alloc_count;
			p->alloc_bytes += all[i].alloc_bytes;
			p->free_count += all[i].free_count;
			p->free_bytes += all[i].free_bytes;
		}
		/* Goroutines and the Go heap are no blocks a process could leak at exit. */
		if (!all[i].outstanding_count || !alloc_kind__is_tracked(all[i].kind))
			continue;
		p->outstanding_bytes += all[i].outstanding_bytes;
		p->outstanding_count += all[i].outstanding_count;
		add_reach(&p->reach, &all[i].reach);
		p->nr_stacks++;
	}
	for (i = 0; i < snap->nr_stacks; i++) {
		const struct stack_history *h = snap->stacks[i].hist;

		if (h && h->growing &&
		    (p = proc_of(snap, &index, indexed, (int)snap->stacks[i].stats.pid)))
			p->nr_growing++;
		if (!snap->stacks[i].suppressed_by ||
		    !alloc_kind__is_tracked(snap->stacks[i].stats.kind))
			continue;
		p = proc_of(snap, &index, indexed, (int)snap->stacks[i].stats.pid);
		if (!p)
			continue;
		p->suppressed_bytes += snap->stacks[i].stats.outstanding_bytes;
		p->suppressed_count += snap->stacks[i].stats.outstanding_count;
		add_reach(&p->suppressed_reach, &snap->stacks[i].stats.reach);
	}
	if (indexed)
		hmap__free(&index);
}

/* The order in which processes keep their place in a capped list. */
static int by_listing_priority(const void *a, const void *b)
{
	const struct snapshot_proc *x = *(const struct snapshot_proc *const *)a;
	const struct snapshot_proc *y = *(const struct snapshot_proc *const *)b;

	if (x->outstanding_bytes != y->outstanding_bytes)
		return x->outstanding_bytes > y->outstanding_bytes ? -1 : 1;
	if (x->exited != y->exited)
		return x->exited ? 1 : -1;
	return x > y ? -1 : x < y; /* the latest (later in the list) first */
}

static int by_address(const void *a, const void *b)
{
	const struct snapshot_proc *x = *(const struct snapshot_proc *const *)a;
	const struct snapshot_proc *y = *(const struct snapshot_proc *const *)b;

	return x < y ? -1 : x > y;
}

/* Keeps max processes (in their order), counts the others and what they leaked. */
static int cap_procs(struct snapshot *snap, size_t max)
{
	const struct snapshot_proc **order = malloc(snap->nr_procs * sizeof(*order));
	struct snapshot_proc *kept = calloc(max, sizeof(*kept));
	size_t i;

	if (!order || !kept) {
		free(order);
		free(kept);
		return -ENOMEM;
	}
	for (i = 0; i < snap->nr_procs; i++)
		order[i] = &snap->procs[i];
	qsort(order, snap->nr_procs, sizeof(*order), by_listing_priority);
	for (i = max; i < snap->nr_procs; i++) {
		snap->procs_omitted_leak +=
		    order[i]->outstanding_bytes - order[i]->suppressed_bytes;
		tally_proc(order[i], &snap->procs_omitted_tally);
		free(order[i]->go);
	}
	qsort(order, max, sizeof(*order), by_address);
	for (i = 0; i < max; i++)
		kept[i] = *order[i];
	free(order);
	free(snap->procs);
	snap->procs = kept;
	snap->nr_procs_omitted = snap->nr_procs - max;
	snap->nr_procs = max;
	return 0;
}

int snapshot__finish(struct snapshot *snap, const struct snapshot_meta *meta,
		     const struct snapshot_proc *procs, size_t nr_procs, const struct allocs *table)
{
	size_t i;

	snap->elapsed_s = meta->elapsed_s;
	snap->wall_time_s = meta->wall_time_s;
	snap->seq = meta->seq;
	snap->final = meta->final;
	snap->unwind_mode = meta->unwind_mode;
	snap->sample_bytes = meta->sample_bytes;
	snap->attach_failures = meta->attach_failures;
	snap->interval_s = meta->interval_s;
	snap->window = meta->window;
	memcpy(snap->counters, meta->counters, sizeof(snap->counters));
	snap->losses = meta->losses;
	snap->procs = calloc(nr_procs ? nr_procs : 1, sizeof(*snap->procs));
	if (!snap->procs)
		return -ENOMEM;
	snap->nr_procs = nr_procs;
	for (i = 0; i < nr_procs; i++) {
		snap->procs[i] =
		    (struct snapshot_proc){.pid = procs[i].pid, .exited = procs[i].exited};
		memcpy(snap->procs[i].comm, procs[i].comm, sizeof(snap->procs[i].comm));
		memcpy(snap->procs[i].exe, procs[i].exe, sizeof(snap->procs[i].exe));
		snap->procs[i].scan = procs[i].scan;
		if (!procs[i].go)
			continue;
		snap->procs[i].go = malloc(sizeof(*snap->procs[i].go));
		if (!snap->procs[i].go)
			return -ENOMEM;
		*snap->procs[i].go = *procs[i].go;
	}
	snapshot__sum_procs(snap, table);
	if (meta->max_procs && nr_procs > meta->max_procs)
		return cap_procs(snap, meta->max_procs);
	return 0;
}

static const char *const default_suppressions[] = {
    "_IO_file_doallocate",  /* the buffer of stdout, stderr or a FILE never closed */
    "_dl_non_dynamic_init", /* static glibc: the loader's own tables */
    "_dl_init",		    /* constructors of shared libraries (libstdc++'s EH pool) */
    "call_init",
};

const char *const *snapshot__default_suppressions(size_t *nr)
{
	*nr = sizeof(default_suppressions) / sizeof(default_suppressions[0]);
	return default_suppressions;
}

uint64_t snapshot__leaked_bytes(const struct snapshot *snap)
{
	uint64_t total = snap->procs_omitted_leak;
	size_t i;

	for (i = 0; i < snap->nr_procs; i++)
		total += snap->procs[i].outstanding_bytes - snap->procs[i].suppressed_bytes;
	return total;
}

static int by_growth_desc(const void *a, const void *b)
{
	const struct stack_history *x = ((const struct ranked *)a)->hist;
	const struct stack_history *y = ((const struct ranked *)b)->hist;
	bool gx = x && x->growing, gy = y && y->growing;
	double rx = x ? x->trend.rate : 0, ry = y ? y->trend.rate : 0;

	if (gx != gy)
		return gx ? -1 : 1;
	if (rx != ry)
		return rx > ry ? -1 : 1;
	return by_outstanding_desc(a, b);
}

/* Blocks a scan found lost or indirect: what a leak verdict counts. */
static uint64_t lost_bytes_of(const struct stack_stats *s)
{
	return s->reach.bytes[REACH_LOST] + s->reach.bytes[REACH_INDIRECT];
}

static uint64_t lost_count_of(const struct stack_stats *s)
{
	return s->reach.count[REACH_LOST] + s->reach.count[REACH_INDIRECT];
}

/* Stacks with lost blocks first (most lost bytes first), then by outstanding bytes. */
static int by_lost_desc(const void *a, const void *b)
{
	const struct stack_stats *x = ((const struct ranked *)a)->stats;
	const struct stack_stats *y = ((const struct ranked *)b)->stats;
	uint64_t lx = lost_bytes_of(x), ly = lost_bytes_of(y);

	if (lx != ly)
		return lx > ly ? -1 : 1;
	if (lost_count_of(x) != lost_count_of(y))
		return lost_count_of(x) > lost_count_of(y) ? -1 : 1;
	return by_outstanding_desc(a, b);
}

/* The comparator of opts->sort (and lost_first). */
static int (*sorter(const struct snapshot_opts *opts))(const void *, const void *)
{
	if (opts->sort == SNAPSHOT_SORT_GROWTH)
		return by_growth_desc;
	return opts->lost_first ? by_lost_desc : by_outstanding_desc;
}

/* The live stacks with their history and oldest allocation, sorted as asked. */
static struct ranked *rank_live(const struct allocs *table, const struct snapshot_opts *opts,
				size_t *nr_live, size_t *nr_tracked, size_t *nr_growing,
				size_t *nr_hidden)
{
	size_t nr_all, i, n = 0;
	const struct stack_stats *all = allocs__stacks(table, &nr_all);
	uint64_t *oldest = malloc((nr_all ? nr_all : 1) * sizeof(*oldest));
	struct ranked *live = malloc((nr_all ? nr_all : 1) * sizeof(*live));

	if (!oldest || !live) {
		free(oldest);
		free(live);
		return NULL;
	}
	allocs__oldest(table, oldest);
	*nr_growing = 0;
	for (i = 0; i < nr_all; i++) {
		if (!all[i].outstanding_count)
			continue;
		if (all[i].outstanding_bytes < opts->min_bytes ||
		    (opts->keep_pid && !opts->keep_pid(opts->keep_ctx, all[i].pid))) {
			(*nr_hidden)++;
			continue;
		}
		live[n].stats = &all[i];
		live[n].oldest_ns = oldest[i];
		*nr_tracked += alloc_kind__is_tracked(all[i].kind);
		live[n].hist = opts->history ? history__get(opts->history, all[i].pid, all[i].kind,
							    all[i].stack_id)
					     : NULL;
		*nr_growing += live[n].hist && live[n].hist->growing;
		n++;
	}
	free(oldest);
	qsort(live, n, sizeof(*live), sorter(opts));
	*nr_live = n;
	return live;
}

int snapshot__build(const struct allocs *table, const struct snapshot_opts *opts,
		    struct snapshot **out)
{
	uint64_t ips[ML_MAX_STACK_DEPTH];
	struct snapshot *snap;
	struct ranked *live;
	size_t nr_live = 0, i;
	int err = 0;

	snap = calloc(1, sizeof(*snap));
	if (!snap)
		return -ENOMEM;
	snap->totals = *allocs__totals(table);
	snap->lost_first = opts->lost_first && opts->sort != SNAPSHOT_SORT_GROWTH;
	live = rank_live(table, opts, &nr_live, &snap->nr_live_tracked, &snap->nr_growing,
			 &snap->nr_hidden);
	if (!live) {
		free(snap);
		return -ENOMEM;
	}
	snap->nr_live_stacks = nr_live;
	snap->max_stacks = opts->max_stacks;
	snap->nr_stacks = nr_live < opts->max_stacks ? nr_live : opts->max_stacks;
	for (i = snap->nr_stacks; i < nr_live; i++) {
		snap->omitted_bytes += live[i].stats->outstanding_bytes;
		snap->omitted_count += live[i].stats->outstanding_count;
	}
	snap->stacks = calloc(snap->nr_stacks ? snap->nr_stacks : 1, sizeof(*snap->stacks));
	if (!snap->stacks)
		err = -ENOMEM;
	for (i = 0; !err && i < snap->nr_stacks; i++) {
		struct snapshot_stack *st = &snap->stacks[i];

		st->stats = *live[i].stats;
		st->hist = live[i].hist;
		if (live[i].oldest_ns != UINT64_MAX && opts->now_ns > live[i].oldest_ns)
			st->oldest_age_s = (double)(opts->now_ns - live[i].oldest_ns) / 1e9;
		err = fill_frames(st, opts, ips);
		if (!err)
			err = fill_go_site(st, opts, ips);
		if (!err)
			mark_suppressed(snap, st, opts);
		if (!err && !st->complete && alloc_kind__is_tracked(st->stats.kind)) {
			snap->nr_partial++;
			snap->partial_bytes += live[i].stats->outstanding_bytes;
		}
	}
	free(live);
	if (err) {
		snapshot__free(snap);
		return err;
	}
	if (snap->nr_suppressed)
		suppressed_last(snap);
	*out = snap;
	return 0;
}

void snapshot__free(struct snapshot *snap)
{
	size_t i;

	if (!snap)
		return;
	for (i = 0; snap->stacks && i < snap->nr_stacks; i++) {
		free(snap->stacks[i].frames);
		free((void *)snap->stacks[i].go_site);
		free(snap->stacks[i].blocked_frames);
	}
	free(snap->stacks);
	for (i = 0; snap->procs && i < snap->nr_procs; i++)
		free(snap->procs[i].go);
	free(snap->procs);
	for (i = 0; snap->exited && i < snap->nr_exited; i++)
		free(snap->exited[i].frames);
	free(snap->exited);
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

size_t snapshot__nr_omitted(const struct snapshot *snap)
{
	return snap->nr_live_stacks - snap->nr_stacks;
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
