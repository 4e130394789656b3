// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "freeze.h"
#include "log.h"
#include "procmaps.h"
#include "procmem.h"
#include "roots.h"
#include "scan.h"

/* A thread that does not stop within this is in an uninterruptible sleep: no scan. */
#define FREEZE_TIMEOUT_MS 2000
/* Time bounds on one scan: at exit the process waits for nothing else; live it serves. */
#define EXIT_SCAN_MAX_NS  (30ULL * 1000000000ULL)
#define LIVE_SCAN_MAX_NS  (10ULL * 1000000000ULL)
/* exit()'s stack pointer is believed when it is at most this far above _exit's. */
#define EXIT_FRAMES_MAX	  (1ULL << 20)

struct exit_hold {
	int pid;
	int tid; /* the thread in _exit */
	int status;
	uint64_t exit_sp; /* its stack pointer when it called exit(); 0: unknown */
	uint64_t held_ns;
};

/* The thread whose stack is read from above its exit() call (at exit), or none. */
struct exiting_thread {
	int tid;
	uint64_t exit_sp;
};

struct scanner {
	struct scanner_opts opts;
	struct allocs *allocs;
	struct lifecycle *lc;
	scan_drain_fn drain;
	void *drain_ctx;
	struct exit_hold *queue; /* exit holds waiting for their scan */
	size_t nr_queued, queue_cap;
	uint64_t last_live_ns;
	bool running; /* scanner__run_exits is on the stack */
};

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

struct scanner *scanner__new(const struct scanner_opts *opts, struct allocs *allocs,
			     struct lifecycle *lc, scan_drain_fn drain, void *drain_ctx)
{
	struct scanner *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->opts = *opts;
	sc->allocs = allocs;
	sc->lc = lc;
	sc->drain = drain;
	sc->drain_ctx = drain_ctx;
	return sc;
}

void scanner__free(struct scanner *sc)
{
	if (!sc)
		return;
	free(sc->queue);
	free(sc);
}

/* --- one scan ------------------------------------------------------------------ */

/* Every thread's stack pointer and register values, for the roots. */
static int gather_threads(const struct frozen *f, const struct exiting_thread *exiting,
			  uint64_t **sps, uint64_t **regs, size_t *nr_regs)
{
	size_t i, n = 0;

	*sps = calloc(f->nr_threads ? f->nr_threads : 1, sizeof(**sps));
	*regs = calloc(f->nr_threads ? f->nr_threads * FREEZE_MAX_REGS : 1, sizeof(**regs));
	if (!*sps || !*regs)
		return -ENOMEM;
	for (i = 0; i < f->nr_threads; i++) {
		(*sps)[i] = f->threads[i].sp;
		/*
		 * The thread in _exit: its frames below exit() are the exit
		 * handlers', over whatever earlier calls left on that stack.
		 * Its user frames start at exit()'s stack pointer (a call
		 * boundary: no red zone below it is live).
		 */
		if (exiting && exiting->tid == f->threads[i].tid &&
		    exiting->exit_sp > f->threads[i].sp &&
		    exiting->exit_sp - f->threads[i].sp < EXIT_FRAMES_MAX)
			(*sps)[i] = exiting->exit_sp + ROOTS_RED_ZONE;
		memcpy(*regs + n, f->threads[i].regs, f->threads[i].nr_regs * sizeof(**regs));
		n += f->threads[i].nr_regs;
	}
	*nr_regs = n;
	return 0;
}

/* glibc's chunk sizes on 64-bit: the header, 16-byte alignment, 32 at least. */
#define GLIBC_CHUNK_HEADER 16
#define GLIBC_MIN_CHUNK	   32

/*
 * A block that fills its glibc chunk holds the next chunk's header in its
 * last 8 bytes (the chunk's prev_size, the program's while it is in use),
 * and the arena points there when that next chunk is the top or a free one:
 * that one address is no pointer to the block. Other allocators: one
 * address per block that could still be a real interior pointer is lost.
 */
static void mark_next_chunk_headers(struct reach_block *blocks, size_t nr)
{
	uint64_t chunk_size, next_chunk;
	size_t i;

	for (i = 0; i < nr; i++) {
		if (blocks[i].size > UINT64_MAX / 2 || blocks[i].addr < GLIBC_CHUNK_HEADER)
			continue;
		chunk_size = (blocks[i].size + 8 + 15) & ~(uint64_t)15;
		if (chunk_size < GLIBC_MIN_CHUNK)
			chunk_size = GLIBC_MIN_CHUNK;
		next_chunk = blocks[i].addr - GLIBC_CHUNK_HEADER + chunk_size;
		if (next_chunk < blocks[i].addr + blocks[i].size)
			blocks[i].foreign = next_chunk;
	}
}

/* -vv: where the first blocks were reached from, to tell a stale pointer from a real one. */
static void debug_blocks(int pid, const struct reach_block *blocks, size_t nr)
{
	size_t i, said = 0;

	for (i = 0; i < nr && said < 64; i++, said++)
		p_debug("pid %d: block %#" PRIx64 " (%" PRIu64 " B): %s%s%s", pid, blocks[i].addr,
			blocks[i].size, reach_class__name((enum reach_class)blocks[i].cls),
			blocks[i].cls == REACH_REACHABLE ? " from " : "",
			blocks[i].cls == REACH_REACHABLE
			    ? root_kind__name((enum root_kind)blocks[i].root)
			    : "");
}

/* What the classified blocks come to, into out. */
static void sum_classes(const struct reach_block *blocks, size_t nr, struct snapshot_scan *out)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		out->heap_bytes += blocks[i].size;
		out->count[blocks[i].cls]++;
		out->bytes[blocks[i].cls] += blocks[i].size;
		out->interior_only += blocks[i].cls == REACH_REACHABLE && blocks[i].interior_only;
	}
}

/* Whether a region of list[nr] (sorted, not overlapping) overlaps [start, end). */
static bool covered(const struct reach_region *list, size_t nr, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (list[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr && list[lo].start < end;
}

static bool heap_like(const struct mapping *m)
{
	return m->readable && m->writable && !m->shared &&
	       (!m->path[0] || !strcmp(m->path, "[heap]") || !strncmp(m->path, "[anon", 5));
}

static int add_region(struct reach_region **list, size_t *nr, size_t *cap, uint64_t start,
		      uint64_t end)
{
	if (start >= end)
		return 0;
	if (ARRAY_RESERVE(*list, *cap, *nr + 1, 64))
		return -ENOMEM;
	(*list)[(*nr)++] = (struct reach_region){.start = start, .end = end, .kind = ROOT_UNTRACED};
	return 0;
}

static int by_region_start(const void *a, const void *b)
{
	const struct reach_region *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Some blocks are not known (scan.h): the heap mappings no root covers
 * become roots, less the known blocks in them (those are scanned as nodes).
 * 0 or -ENOMEM; *roots stays sorted.
 */
static int add_heap_gaps(const struct procmaps *maps, const struct reach_block *blocks, size_t nr,
			 struct reach_region **roots, size_t *nr_roots, uint64_t *gap_bytes)
{
	size_t i, b = 0, cap = *nr_roots, nr_before = *nr_roots;
	uint64_t from;
	int err = 0;

	for (i = 0; !err && i < maps->nr; i++) {
		const struct mapping *m = &maps->maps[i];

		if (!heap_like(m) || covered(*roots, nr_before, m->start, m->end))
			continue;
		while (b < nr && blocks[b].addr < m->start)
			b++;
		for (from = m->start; !err && b < nr && blocks[b].addr < m->end; b++) {
			err = add_region(roots, nr_roots, &cap, from, blocks[b].addr);
			from = blocks[b].addr + blocks[b].size > from
				   ? blocks[b].addr + blocks[b].size
				   : from;
		}
		if (!err && from < m->end)
			err = add_region(roots, nr_roots, &cap, from, m->end);
	}
	for (i = nr_before; i < *nr_roots; i++)
		*gap_bytes += (*roots)[i].end - (*roots)[i].start;
	if (!err)
		qsort(*roots, *nr_roots, sizeof(**roots), by_region_start);
	return err;
}

/* Roots and classification of the frozen process's blocks. 0 or -errno (why set). */
static int classify(struct scanner *sc, const struct frozen *f,
		    const struct exiting_thread *exiting, struct reach_block *blocks, size_t nr,
		    bool at_exit, bool unknown_blocks, struct snapshot_scan *out)
{
	uint64_t gap_bytes = 0;
	struct procmem mem = {.pid = f->pid};
	struct reach_limits limits = {
	    .max_bytes = sc->opts.max_bytes,
	    .max_ns = at_exit ? EXIT_SCAN_MAX_NS : LIVE_SCAN_MAX_NS,
	};
	struct reach_region *roots = NULL;
	struct roots_stats rstats = {0};
	struct reach_stats stats = {0};
	struct procmaps *maps = NULL;
	uint64_t *sps = NULL, *regs = NULL;
	size_t nr_roots = 0, nr_regs = 0;
	int err;

	err = procmaps__read(f->pid, &maps);
	if (!err)
		err = gather_threads(f, exiting, &sps, &regs, &nr_regs);
	if (!err)
		err = roots__collect(maps, blocks, nr, sps, f->nr_threads, procmem__read, &mem,
				     &roots, &nr_roots, &rstats);
	if (!err && unknown_blocks) {
		err = add_heap_gaps(maps, blocks, nr, &roots, &nr_roots, &gap_bytes);
		p_debug("pid %d: blocks memleakd does not know may exist (traced after start, "
			"sampling, filters or lost records): %" PRIu64
			" bytes of heap outside known blocks count as roots",
			f->pid, gap_bytes);
	}
	if (!err)
		err = reach__classify(blocks, nr, roots, nr_roots, regs, nr_regs, procmem__read,
				      &mem, &limits, &stats);
	if (err)
		snprintf(out->why, sizeof(out->why), "reading its memory map failed: %s",
			 strerror(-err));
	out->truncated = stats.truncated;
	out->bytes_read = stats.bytes_read;
	memcpy(out->root_bytes, stats.root_bytes, sizeof(out->root_bytes));
	free(roots);
	free(sps);
	free(regs);
	procmaps__free(maps);
	return err;
}

/* Whether pid holds malloc blocks now (nothing to scan otherwise). */
static bool holds_blocks(const struct allocs *allocs, int pid)
{
	const struct stack_stats *stacks;
	size_t nr, i;

	stacks = allocs__stacks(allocs, &nr);
	for (i = 0; i < nr; i++)
		if (stacks[i].pid == (uint32_t)pid && stacks[i].kind == KIND_MALLOC &&
		    stacks[i].outstanding_count)
			return true;
	return false;
}

/* Whether pid may hold blocks memleakd does not know (scan.h). */
static bool unknown_blocks(struct scanner *sc, int pid)
{
	const struct target *t = targets__find(lifecycle__targets(sc->lc), pid);

	if (sc->opts.partial_tracking || !t || !t->traced_from_exec)
		return true;
	return sc->opts.records_lost && sc->opts.records_lost(sc->opts.records_ctx);
}

/* One scan; exiting: the thread held in _exit, or NULL (a live scan). */
static int scan_one(struct scanner *sc, int pid, const struct exiting_thread *exiting,
		    struct snapshot_scan *out)
{
	bool at_exit = exiting != NULL;
	uint64_t start_ns = monotonic_ns(), classify_ns;
	struct reach_block *blocks = NULL;
	struct frozen *f = NULL;
	size_t nr = 0;
	int err;

	*out = (struct snapshot_scan){.state = SCAN_FAILED, .at_exit = at_exit};
	/* Most exits (a shell's children, vfork) hold nothing: no need to stop anything. */
	sc->drain(sc->drain_ctx);
	if (!holds_blocks(sc->allocs, pid)) {
		out->state = SCAN_DONE;
		return 0;
	}
	err = freeze__process(pid, FREEZE_TIMEOUT_MS, &f, out->why, sizeof(out->why));
	if (err)
		return err == -ESRCH ? err : 0;
	/* Its threads are stopped: what they sent is all there is; take it in. */
	sc->drain(sc->drain_ctx);
	out->nr_threads = f->nr_threads;
	err = allocs__collect_blocks(sc->allocs, (uint32_t)pid, KIND_MALLOC, &blocks, &nr);
	classify_ns = monotonic_ns();
	mark_next_chunk_headers(blocks, nr);
	if (!err && nr)
		err = classify(sc, f, exiting, blocks, nr, at_exit, unknown_blocks(sc, pid), out);
	else if (err)
		snprintf(out->why, sizeof(out->why), "out of memory");
	freeze__thaw(f);
	out->pause_ms = (double)(monotonic_ns() - start_ns) / 1e6;
	out->scan_ms = (double)(monotonic_ns() - classify_ns) / 1e6;
	if (!err) {
		allocs__set_reach(sc->allocs, (uint32_t)pid, KIND_MALLOC, blocks, nr);
		debug_blocks(pid, blocks, nr);
		sum_classes(blocks, nr, out);
		out->state = SCAN_DONE;
		out->why[0] = '\0';
	}
	free(blocks);
	return 0;
}

int scanner__scan(struct scanner *sc, int pid, bool at_exit, struct snapshot_scan *out)
{
	struct exiting_thread unknown = {.tid = 0, .exit_sp = 0};

	return scan_one(sc, pid, at_exit ? &unknown : NULL, out);
}

/* Keeps the result on pid's target; the number of scans goes on counting. */
static void remember(struct scanner *sc, int pid, const struct snapshot_scan *result)
{
	struct target *t = targets__find(lifecycle__targets(sc->lc), pid);
	unsigned int nr_scans;

	if (!t)
		return;
	nr_scans = t->scan.nr_scans + 1;
	t->scan = *result;
	t->scan.nr_scans = nr_scans;
	t->scan_ns = monotonic_ns();
}

static void say(int pid, const struct snapshot_scan *r)
{
	if (r->state == SCAN_FAILED) {
		p_warn("pid %d: no reachability scan%s: %s", pid, r->at_exit ? " at exit" : "",
		       r->why);
		return;
	}
	p_info("pid %d: scanned %s in %.1f ms (paused %.1f ms, %zu threads, %" PRIu64
	       " bytes read): %" PRIu64 " lost, %" PRIu64 " indirect, %" PRIu64
	       " reachable blocks%s",
	       pid, r->at_exit ? "at exit" : "live", r->scan_ms, r->pause_ms, r->nr_threads,
	       r->bytes_read, r->count[REACH_LOST], r->count[REACH_INDIRECT],
	       r->count[REACH_REACHABLE], r->truncated ? " (cut short: nothing called lost)" : "");
}

/* --- exit holds ------------------------------------------------------------------ */

void scanner__on_exiting(void *scanner, int pid, int tid, int status, uint64_t exit_sp,
			 uint64_t held_ns)
{
	struct scanner *sc = scanner;
	struct exit_hold hold = {
	    .pid = pid, .tid = tid, .status = status, .exit_sp = exit_sp, .held_ns = held_ns};

	if (ARRAY_RESERVE(sc->queue, sc->queue_cap, sc->nr_queued + 1, 8)) {
		p_warn("pid %d: exits unscanned (out of memory)", pid);
		lifecycle__resume(sc->lc, pid, held_ns);
		return;
	}
	sc->queue[sc->nr_queued++] = hold;
}

void scanner__run_exits(struct scanner *sc)
{
	struct snapshot_scan result;
	struct exiting_thread exiting;
	struct exit_hold hold;
	size_t i;

	if (sc->running)
		return;
	sc->running = true;
	/* A scan drains: holds queued meanwhile join the end of the queue. */
	for (i = 0; i < sc->nr_queued; i++) {
		hold = sc->queue[i];
		exiting = (struct exiting_thread){.tid = hold.tid, .exit_sp = hold.exit_sp};
		if (!scan_one(sc, hold.pid, &exiting, &result)) {
			remember(sc, hold.pid, &result);
			say(hold.pid, &result);
		}
		lifecycle__resume(sc->lc, hold.pid, hold.held_ns);
	}
	sc->nr_queued = 0;
	sc->running = false;
}

void scanner__release(struct scanner *sc)
{
	size_t i;

	if (!sc)
		return;
	for (i = 0; i < sc->nr_queued; i++)
		lifecycle__resume(sc->lc, sc->queue[i].pid, sc->queue[i].held_ns);
	sc->nr_queued = 0;
}

/* --- live scans ------------------------------------------------------------------- */

void scanner__run_live(struct scanner *sc, uint64_t now_ns, bool force)
{
	struct target_list *targets = lifecycle__targets(sc->lc);
	struct snapshot_scan result;
	size_t i;
	int pid;

	/* A thread a freeze timed out on is let go as soon as it stops (freeze.h). */
	freeze__release_stragglers();
	if (sc->opts.every_s <= 0 || (!force && now_ns - sc->last_live_ns < sc->opts.every_s * 1e9))
		return;
	sc->last_live_ns = now_ns;
	/* By index: a scan drains, and records may add targets. */
	for (i = 0; i < targets->nr; i++) {
		if (targets->list[i]->exited || !holds_blocks(sc->allocs, targets->list[i]->pid))
			continue;
		pid = targets->list[i]->pid;
		if (scanner__scan(sc, pid, false, &result))
			continue;
		remember(sc, pid, &result);
		say(pid, &result);
	}
	sc->last_live_ns = monotonic_ns();
}
