// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reachability engine (reach.h). Two passes over the target's memory:
 *
 * 1. Mark: the roots are scanned, every block a word points into becomes
 *    pending, and pending blocks are scanned in turn from a worklist (never
 *    recursion: a list of a million nodes is a million deep).
 * 2. Lost or indirect: the unreached blocks are read once, in address order,
 *    for their pointers to one another (a graph kept as edge lists), and
 *    the graph's strongly connected components found (Tarjan's, iterative).
 *    A component no other unreached block points into is a clique: its
 *    lowest-address block is lost, the rest indirect; every block of any
 *    other component is indirect. valgrind's floods stop at blocks an
 *    earlier clique took, so a cycle that a later lost block points into
 *    keeps a lost block there; here the verdict does not depend on the order.
 *
 * The target's memory is untrusted: words are only compared, never followed
 * without a lookup in the sorted block array. Reads are at most 64 KiB; the
 * contents of small blocks packed in the heap are read together (a window
 * over nearby blocks still to scan) so that a heap of a million small blocks
 * does not cost a million reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reach.h"

#define WORD		 8u
/* The largest read, and the largest window of blocks read at once. */
#define SPAN_MAX	 (64u * 1024)
/* Bytes between two blocks still to scan that a window reads through (less than a read costs). */
#define GAP_MAX		 4096u
/* The bytes around a block pass 1 reads on the chance its neighbours get reached. */
#define SPECULATE_MAX	 4096u
/* Blocks a window looks at on each side (bounds the work when few are wanted). */
#define LOOKAHEAD	 512u
#define NO_BLOCK	 SIZE_MAX
/* Graph nodes visited between two looks at the clock. */
#define TIME_CHECK_EVERY 65536u

/* Per-block working state, in its own array so that -ENOMEM leaves blocks untouched. */
enum {
	ST_UNREACHED = 0,
	ST_PENDING = 1,	 /* reached, contents not scanned yet */
	ST_REACHED = 2,	 /* reached and scanned */
	ST_LOST = 3,	 /* unreached, the first of a clique nothing else reaches */
	ST_INDIRECT = 4, /* unreached, another unreached block reaches it */
	ST_KIND = 0x07,
	ST_ROOT_SHIFT = 3, /* reached: the enum root_kind it was first reached from */
	ST_ROOT = 0x18,
	ST_INTERIOR = 0x20, /* reached: by interior pointers only, so far */
	ST_ONSTACK = 0x40,  /* pass 2: on Tarjan's stack */
	ST_SWEPT = 0x80,    /* pass 2: contents scanned */
};

enum pass { PASS_MARK, PASS_SWEEP };

#define PAGE_SHIFT 12

/* An open-addressing table from a page to the first block that starts in it. */
struct page_index {
	uint64_t *keys; /* page + 1; 0: empty slot */
	size_t *first;
	size_t mask;
	unsigned int shift; /* 64 - log2(slots): the hash's top bits pick the slot */
};

/* Pass 2's graph of unreached blocks, by their rank in address order. */
struct graph {
	size_t nr;     /* unreached blocks */
	size_t *block; /* [nr] their index in blocks */
	size_t *first; /* [nr + 1] edges[first[u] .. first[u + 1]) leave u */
	size_t *edges; /* ranks pointed to */
	size_t nr_edges;
	size_t cap_edges;
	bool nomem;
};

struct scanner {
	struct reach_block *blocks;
	size_t nr;
	uint64_t lowest; /* blocks[0].addr */
	uint64_t span;	 /* highest end - lowest: a word w is a candidate iff w - lowest < span */
	uint8_t *st;	 /* [nr] ST_* */
	size_t *work; /* [nr] pass 1: worklist (a block is pushed once); pass 2: rank of a block */
	size_t nr_work;
	uint8_t *buf;	       /* SPAN_MAX bytes */
	uint64_t buf_start;    /* the target address buf[0] holds */
	uint64_t buf_len;      /* 0: nothing cached */
	size_t buf_lo, buf_hi; /* the blocks the window was read for */
	mem_read_fn read;
	void *ctx;
	struct reach_limits limits;
	struct timespec started;
	struct reach_stats *stats;
	/* What the words being scanned come from. */
	enum pass pass;
	size_t src;	     /* the block scanned, or NO_BLOCK for a root */
	enum root_kind kind; /* pass 1: the root kind they were first reached from */
	struct graph graph;  /* pass 2 */
	struct page_index pages;
};

const char *reach_class__name(enum reach_class cls)
{
	static const char *const names[NR_REACH_CLASSES] = {
	    [REACH_UNSCANNED] = "unscanned",
	    [REACH_REACHABLE] = "reachable",
	    [REACH_INDIRECT] = "indirect",
	    [REACH_LOST] = "lost",
	};

	if ((unsigned int)cls >= NR_REACH_CLASSES)
		return "unknown";
	return names[cls];
}

const char *root_kind__name(enum root_kind kind)
{
	static const char *const names[NR_ROOT_KINDS] = {
	    [ROOT_GLOBALS] = "globals",
	    [ROOT_STACK] = "stack",
	    [ROOT_REGISTERS] = "registers",
	    [ROOT_UNTRACED] = "untraced mapping",
	};

	if ((unsigned int)kind >= NR_ROOT_KINDS)
		return "unknown";
	return names[kind];
}

/* The bytes a block owns for matching: malloc(0) is matched as one byte. */
static uint64_t block_extent(const struct reach_block *b)
{
	return b->size ? b->size : 1;
}

static uint64_t block_end(const struct reach_block *b)
{
	uint64_t extent = block_extent(b);

	return b->addr > UINT64_MAX - extent ? UINT64_MAX : b->addr + extent;
}

/* The end of the words a block's contents hold (size 0: none). */
static uint64_t block_contents_end(const struct reach_block *b)
{
	return b->addr > UINT64_MAX - b->size ? UINT64_MAX : b->addr + b->size;
}

static uint64_t align_down(uint64_t addr)
{
	return addr & ~(uint64_t)(WORD - 1);
}

static uint64_t elapsed_ns(const struct timespec *since)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - since->tv_sec) * 1000000000 + (now.tv_nsec - since->tv_nsec);
	return ns > 0 ? (uint64_t)ns : 0;
}

/* The last block with addr <= w in blocks [lo, hi), or lo - 1 (NO_BLOCK for lo 0). */
static size_t last_at_or_below(const struct scanner *s, size_t lo, size_t hi, uint64_t w)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->blocks[mid].addr <= w)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

static size_t page_slot(const struct page_index *pi, uint64_t page)
{
	return (size_t)((page * 0x9e3779b97f4a7c15ULL) >> pi->shift);
}

/* The first block starting in page, or NO_BLOCK. */
static size_t page_first(const struct page_index *pi, uint64_t page)
{
	size_t slot = page_slot(pi, page);

	for (;; slot = (slot + 1) & pi->mask) {
		if (!pi->keys[slot])
			return NO_BLOCK;
		if (pi->keys[slot] == page + 1)
			return pi->first[slot];
	}
}

/*
 * The last block with addr <= w: through the page index when a block starts
 * in w's page (galloping from the first one, in cache), by binary search
 * over them all when none does (inside a large block, or a gap).
 */
static size_t block_below(const struct scanner *s, uint64_t w)
{
	size_t first = page_first(&s->pages, w >> PAGE_SHIFT), step = 1, hi;

	if (first == NO_BLOCK)
		return last_at_or_below(s, 0, s->nr, w);
	if (s->blocks[first].addr > w)
		return first - 1; /* NO_BLOCK when first is 0 */
	while (first + step < s->nr && s->blocks[first + step].addr <= w)
		step *= 2;
	hi = first + step < s->nr ? first + step : s->nr;
	return last_at_or_below(s, first + step / 2 + 1, hi, w);
}

/* The block w points into (start or interior), or NO_BLOCK. */
static size_t find_block(const struct scanner *s, uint64_t w)
{
	size_t i = block_below(s, w);

	if (i == NO_BLOCK || w - s->blocks[i].addr >= block_extent(&s->blocks[i]))
		return NO_BLOCK;
	if (s->blocks[i].foreign && w == s->blocks[i].foreign)
		return NO_BLOCK;
	return i;
}

/* Slots for the pages blocks start in, at most half full. -ENOMEM. */
static int page_index_alloc(struct page_index *pi, const struct reach_block *blocks, size_t nr)
{
	size_t pages = 0, cap = 16, i;
	unsigned int bits = 4;

	for (i = 0; i < nr; i++)
		if (!i || blocks[i].addr >> PAGE_SHIFT != blocks[i - 1].addr >> PAGE_SHIFT)
			pages++;
	while (cap / 2 < pages) {
		if (cap > SIZE_MAX / 2 / sizeof(*pi->first))
			return -ENOMEM;
		cap *= 2;
		bits++;
	}
	pi->keys = calloc(cap, sizeof(*pi->keys));
	pi->first = malloc(cap * sizeof(*pi->first));
	if (!pi->keys || !pi->first)
		return -ENOMEM;
	pi->mask = cap - 1;
	pi->shift = 64 - bits;
	return 0;
}

static void page_index_fill(struct page_index *pi, const struct reach_block *blocks, size_t nr)
{
	size_t i, slot;

	for (i = 0; i < nr; i++) {
		uint64_t page = blocks[i].addr >> PAGE_SHIFT;

		if (i && page == blocks[i - 1].addr >> PAGE_SHIFT)
			continue;
		for (slot = page_slot(pi, page); pi->keys[slot]; slot = (slot + 1) & pi->mask)
			if (pi->keys[slot] == page + 1)
				break; /* unsorted input: keep the first */
		if (pi->keys[slot])
			continue;
		pi->keys[slot] = page + 1;
		pi->first[slot] = i;
	}
}

/* Whether len more bytes stay within max_bytes. */
static bool fits_budget(const struct scanner *s, uint64_t len)
{
	uint64_t tried = s->stats->bytes_read + s->stats->unreadable_bytes;

	return !s->limits.max_bytes ||
	       (tried <= s->limits.max_bytes && len <= s->limits.max_bytes - tried);
}

/* Whether max_ns has passed; sets truncated if so. */
static bool out_of_time(struct scanner *s)
{
	if (s->limits.max_ns && elapsed_ns(&s->started) >= s->limits.max_ns)
		s->stats->truncated = true;
	return s->stats->truncated;
}

/* Whether a read of len bytes stays within the limits; sets truncated if not. */
static bool within_limits(struct scanner *s, uint64_t len)
{
	uint64_t tried = s->stats->bytes_read + s->stats->unreadable_bytes;

	if (s->stats->truncated)
		return false;
	if (s->limits.max_bytes &&
	    (tried > s->limits.max_bytes || len > s->limits.max_bytes - tried))
		s->stats->truncated = true;
	else
		out_of_time(s);
	return !s->stats->truncated;
}

/* Reads [addr, addr+len) into buf: 0, -errno (counted unreadable) or -E2BIG (limits). */
static int read_piece(struct scanner *s, uint64_t addr, uint64_t len)
{
	s->buf_len = 0;
	if (!within_limits(s, len))
		return -E2BIG;
	if (s->read(s->ctx, addr, s->buf, (size_t)len)) {
		s->stats->unreadable_bytes += len;
		return -EFAULT;
	}
	s->stats->bytes_read += len;
	s->buf_start = addr;
	s->buf_len = len;
	return 0;
}

static void push(struct scanner *s, size_t i)
{
	s->work[s->nr_work++] = i;
}

static uint8_t kind_of(uint8_t st)
{
	return st & ST_KIND;
}

/* Pass 1: a word of a root or of a reached block. */
static void visit_mark(struct scanner *s, uint64_t w)
{
	size_t i = find_block(s, w);

	if (i == NO_BLOCK)
		return;
	if (s->st[i] == ST_UNREACHED) {
		s->st[i] = (uint8_t)(ST_PENDING | (s->kind << ST_ROOT_SHIFT) |
				     (w != s->blocks[i].addr ? ST_INTERIOR : 0));
		push(s, i);
	} else if (w == s->blocks[i].addr && i != s->src) {
		/* A pointer to its own start does not make a block properly reachable. */
		s->st[i] &= (uint8_t)~ST_INTERIOR;
	}
}

static void add_edge(struct graph *g, size_t to)
{
	size_t *edges;
	size_t cap;

	if (g->nr_edges > g->first[g->nr]) {
		/* Consecutive words to the same block (a node's fields): one edge. */
		if (g->edges[g->nr_edges - 1] == to)
			return;
	}
	if (g->nr_edges == g->cap_edges) {
		cap = g->cap_edges ? g->cap_edges * 2 : 1024;
		if (cap < g->cap_edges || cap > SIZE_MAX / sizeof(*edges)) {
			g->nomem = true;
			return;
		}
		edges = realloc(g->edges, cap * sizeof(*edges));
		if (!edges) {
			g->nomem = true;
			return;
		}
		g->edges = edges;
		g->cap_edges = cap;
	}
	g->edges[g->nr_edges++] = to;
}

/* Pass 2: a word of unreached block s->src; an edge when it points into another unreached one. */
static void visit_sweep(struct scanner *s, uint64_t w)
{
	size_t i = find_block(s, w);

	if (i == NO_BLOCK || i == s->src || kind_of(s->st[i]) != ST_UNREACHED || s->graph.nomem)
		return;
	add_edge(&s->graph, s->work[i]);
}

/* Scans the aligned words of [start, end) held in buf. */
static void scan_words(struct scanner *s, uint64_t start, uint64_t end)
{
	uint64_t a = start + ((WORD - (start & (WORD - 1))) & (WORD - 1));
	uint64_t w;

	if (a < start) /* wrapped */
		return;
	for (; a < end && end - a >= WORD; a += WORD) {
		memcpy(&w, s->buf + (a - s->buf_start), sizeof(w));
		if (w - s->lowest >= s->span)
			continue;
		if (s->pass == PASS_MARK)
			visit_mark(s, w);
		else
			visit_sweep(s, w);
	}
}

/*
 * Reads and scans [start, end) in pieces of at most SPAN_MAX: a root, or a
 * block too large for a window. A failed piece is skipped. Returns whether
 * every piece was read.
 */
static bool scan_range(struct scanner *s, uint64_t start, uint64_t end, uint64_t *read_bytes)
{
	uint64_t piece = align_down(start);
	bool complete = true;

	while (piece < end) {
		uint64_t len = end - piece < SPAN_MAX ? end - piece : SPAN_MAX;
		int err = read_piece(s, piece, len);

		if (err == -E2BIG)
			return false;
		if (err) {
			complete = false;
		} else {
			scan_words(s, piece > start ? piece : start, piece + len);
			if (read_bytes)
				*read_bytes += len;
		}
		if (len > UINT64_MAX - piece)
			break;
		piece += len;
	}
	s->buf_len = 0; /* a piece is no window */
	return complete;
}

/*
 * Whether a window of span bytes reads block i: a block still to scan in this
 * pass. Pass 1 also reads unreached neighbours in the first few KiB: most of
 * a heap is reachable, and one reached while its window is loaded costs no
 * read; further out, they would be copied for nothing more often than not.
 */
static bool wanted(const struct scanner *s, size_t i, uint64_t span)
{
	uint8_t st = s->st[i];

	if (s->pass == PASS_MARK)
		return kind_of(st) == ST_PENDING ||
		       (kind_of(st) == ST_UNREACHED && span <= SPECULATE_MAX);
	return kind_of(st) == ST_UNREACHED && !(st & ST_SWEPT);
}

/*
 * Reads block i into buf with the blocks still to scan around it, while they
 * fit one read and are at most GAP_MAX apart. 0, -EFAULT or -E2BIG.
 */
static int load_window(struct scanner *s, size_t i)
{
	uint64_t start = s->blocks[i].addr, end = block_end(&s->blocks[i]);
	size_t lo = i, hi = i, j, steps;
	int err;

	for (j = i + 1, steps = 0; j < s->nr && steps < LOOKAHEAD; j++, steps++) {
		const struct reach_block *b = &s->blocks[j];
		uint64_t b_end = block_end(b);

		if (b->addr < end || b->addr - end > GAP_MAX ||
		    b_end - align_down(start) > SPAN_MAX)
			break;
		if (wanted(s, j, b_end - align_down(start))) {
			hi = j;
			end = b_end;
		}
	}
	for (j = i, steps = 0; j-- > 0 && steps < LOOKAHEAD; steps++) {
		const struct reach_block *b = &s->blocks[j];
		uint64_t b_end = block_end(b);

		if (b_end > start || start - b_end > GAP_MAX ||
		    end - align_down(b->addr) > SPAN_MAX)
			break;
		if (wanted(s, j, end - align_down(b->addr))) {
			lo = j;
			start = b->addr;
		}
	}
	if (lo != hi && !fits_budget(s, end - align_down(start))) {
		/* Near the byte limit, read what is needed first. */
		lo = hi = i;
		start = s->blocks[i].addr;
		end = block_end(&s->blocks[i]);
	}
	err = read_piece(s, align_down(start), end - align_down(start));
	if (err == -EFAULT && lo != hi) {
		/* One unreadable block must not cost its neighbours: the block alone. */
		s->stats->unreadable_bytes -= end - align_down(start);
		lo = hi = i;
		start = s->blocks[i].addr;
		end = block_end(&s->blocks[i]);
		err = read_piece(s, align_down(start), end - align_down(start));
	}
	s->buf_lo = lo;
	s->buf_hi = hi;
	return err;
}

static bool in_buffer(const struct scanner *s, size_t i)
{
	const struct reach_block *b = &s->blocks[i];

	return s->buf_len && b->addr >= s->buf_start && block_end(b) - s->buf_start <= s->buf_len;
}

static void scan_from_buffer(struct scanner *s, size_t i)
{
	const struct reach_block *b = &s->blocks[i];

	s->src = i;
	scan_words(s, b->addr, block_contents_end(b));
	s->stats->blocks_scanned++;
}

/*
 * Scans the contents of block i (its state already says scanned). Returns
 * false when the limits cut the scan.
 */
static bool scan_block(struct scanner *s, size_t i)
{
	const struct reach_block *b = &s->blocks[i];
	int err;

	s->src = i;
	if (!b->size) {
		s->stats->blocks_scanned++; /* malloc(0): nothing to read */
		return true;
	}
	if (block_end(b) - align_down(b->addr) > SPAN_MAX) {
		if (scan_range(s, b->addr, block_contents_end(b), NULL))
			s->stats->blocks_scanned++;
		return !s->stats->truncated;
	}
	if (!in_buffer(s, i)) {
		err = load_window(s, i);
		if (err == -E2BIG)
			return false;
		if (err)
			return true; /* unreadable: its class comes from who points to it */
	}
	scan_from_buffer(s, i);
	return true;
}

/* Pass 1 over one root region. */
static bool scan_root(struct scanner *s, const struct reach_region *root)
{
	if ((unsigned int)root->kind >= NR_ROOT_KINDS || root->end <= root->start)
		return true;
	s->src = NO_BLOCK;
	s->kind = root->kind;
	scan_range(s, root->start, root->end, &s->stats->root_bytes[root->kind]);
	return !s->stats->truncated;
}

/*
 * The roots from first on that one read can cover: sorted, each within
 * GAP_MAX of the previous, all inside SPAN_MAX (heap gaps between known
 * blocks come in thousands of small regions). The index past the last.
 */
static size_t root_group_end(const struct reach_region *roots, size_t nr, size_t first)
{
	uint64_t base = align_down(roots[first].start);
	size_t j = first + 1;

	if (roots[first].end - base > SPAN_MAX)
		return first + 1;
	while (j < nr && roots[j].start >= roots[j - 1].end &&
	       roots[j].start - roots[j - 1].end <= GAP_MAX && roots[j].end > roots[j].start &&
	       roots[j].end - base <= SPAN_MAX && (unsigned int)roots[j].kind < NR_ROOT_KINDS)
		j++;
	return j;
}

/* Pass 1 over roots[first, end) read at once; false when that read failed (or the limits). */
static bool scan_root_group(struct scanner *s, const struct reach_region *roots, size_t first,
			    size_t end)
{
	uint64_t base = align_down(roots[first].start);
	size_t k;

	if (read_piece(s, base, roots[end - 1].end - base))
		return false;
	s->src = NO_BLOCK;
	for (k = first; k < end; k++) {
		s->kind = roots[k].kind;
		scan_words(s, roots[k].start, roots[k].end);
		s->stats->root_bytes[roots[k].kind] += roots[k].end - roots[k].start;
	}
	s->buf_len = 0;
	return true;
}

/* Pass 1 over every root, nearby small ones read together. False when the limits cut it. */
static bool scan_roots(struct scanner *s, const struct reach_region *roots, size_t nr)
{
	size_t i = 0, end, k;

	while (i < nr) {
		end = root_group_end(roots, nr, i);
		if (end - i < 2 || !scan_root_group(s, roots, i, end)) {
			if (s->stats->truncated)
				return false;
			for (k = i; k < end; k++)
				if (!scan_root(s, &roots[k]))
					return false;
		}
		i = end;
	}
	return true;
}

static void mark_registers(struct scanner *s, const uint64_t *regs, size_t nr_regs)
{
	size_t i;

	s->src = NO_BLOCK;
	s->kind = ROOT_REGISTERS;
	if (regs)
		s->stats->root_bytes[ROOT_REGISTERS] += nr_regs * sizeof(*regs);
	for (i = 0; regs && i < nr_regs; i++)
		if (regs[i] - s->lowest < s->span)
			visit_mark(s, regs[i]);
}

/* Pass 1: block i, pending, is scanned now. */
static void take_pending(struct scanner *s, size_t i)
{
	s->st[i] = (uint8_t)((s->st[i] & ~ST_KIND) | ST_REACHED);
	s->kind = (enum root_kind)((s->st[i] & ST_ROOT) >> ST_ROOT_SHIFT);
}

/*
 * Pass 1: scans pending block i, then from the window read for it, without
 * another read, its pending neighbours and every block they reach inside
 * it. False when cut by the limits.
 */
static bool scan_pending(struct scanner *s, size_t i)
{
	size_t pushed = s->nr_work, k;

	take_pending(s, i);
	if (!scan_block(s, i))
		return false;
	if (!s->buf_len)
		return true;
	for (k = s->buf_lo; k <= s->buf_hi; k++) {
		if (kind_of(s->st[k]) != ST_PENDING || !in_buffer(s, k))
			continue;
		take_pending(s, k);
		scan_from_buffer(s, k);
	}
	/* Entries stay in the worklist; scanned, they are skipped there. */
	for (; pushed < s->nr_work; pushed++) {
		k = s->work[pushed];
		if (kind_of(s->st[k]) != ST_PENDING || !in_buffer(s, k))
			continue;
		take_pending(s, k);
		scan_from_buffer(s, k);
	}
	return true;
}

static int compare_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Pass 1: scans pending blocks until none is left, in rounds: the blocks
 * found pending by the last round are taken in address order, so that
 * windows read neighbours together however the pointers run. A round of
 * blocks dense in the array walks the array instead of sorting. False
 * when cut by the limits.
 */
static bool drain_marks(struct scanner *s)
{
	size_t done = 0;

	while (done < s->nr_work) {
		size_t first = done, last = s->nr_work, lo = SIZE_MAX, hi = 0, k;

		done = last;
		for (k = first; k < last; k++) {
			lo = s->work[k] < lo ? s->work[k] : lo;
			hi = s->work[k] > hi ? s->work[k] : hi;
		}
		if ((hi - lo) / 16 <= last - first) {
			for (k = lo; k <= hi; k++)
				if (kind_of(s->st[k]) == ST_PENDING && !scan_pending(s, k))
					return false;
			continue;
		}
		qsort(s->work + first, last - first, sizeof(*s->work), compare_index);
		for (k = first; k < last; k++)
			if (kind_of(s->st[s->work[k]]) == ST_PENDING &&
			    !scan_pending(s, s->work[k]))
				return false;
	}
	return true;
}

static void graph_free(struct graph *g)
{
	free(g->block);
	free(g->first);
	free(g->edges);
	memset(g, 0, sizeof(*g));
}

/* Pass 2: ranks the unreached blocks (s->work maps a block to its rank). -ENOMEM. */
static int graph_nodes(struct scanner *s)
{
	struct graph *g = &s->graph;
	size_t i, nr = 0;

	for (i = 0; i < s->nr; i++)
		if (kind_of(s->st[i]) == ST_UNREACHED)
			s->work[i] = nr++;
	g->block = malloc((nr ? nr : 1) * sizeof(*g->block));
	g->first = malloc((nr + 1) * sizeof(*g->first));
	if (!g->block || !g->first)
		return -ENOMEM;
	for (i = 0; i < s->nr; i++)
		if (kind_of(s->st[i]) == ST_UNREACHED)
			g->block[g->nr++] = i;
	g->first[0] = 0;
	return 0;
}

/*
 * Pass 2: reads every unreached block once, in address order (so windows
 * read neighbours together), for the edges between them. 0, -ENOMEM, or
 * -E2BIG when the limits cut it.
 */
static int graph_edges(struct scanner *s)
{
	struct graph *g = &s->graph;
	size_t u, nr = g->nr;

	s->pass = PASS_SWEEP;
	s->buf_len = 0;
	for (u = 0, g->nr = 0; u < nr; u++, g->nr++) {
		size_t i = g->block[u];

		g->first[u] = g->nr_edges;
		s->st[i] |= ST_SWEPT;
		if (!scan_block(s, i))
			return -E2BIG;
		if (g->nomem)
			return -ENOMEM;
	}
	g->first[nr] = g->nr_edges;
	return 0;
}

/* Tarjan's working arrays, by rank. */
struct tarjan {
	size_t *index; /* 1 + visit order; 0: not visited */
	size_t *low;   /* lowest index reachable; once its component is done: the component */
	size_t *next;  /* the next edge of the node to follow */
	size_t *calls; /* the depth-first path */
	size_t *stack; /* nodes of components not yet done */
	size_t nr_calls, nr_stack, visited;
};

static void tarjan_visit(struct scanner *s, struct tarjan *t, size_t u)
{
	t->index[u] = t->low[u] = ++t->visited;
	t->next[u] = s->graph.first[u];
	t->calls[t->nr_calls++] = u;
	t->stack[t->nr_stack++] = u;
	s->st[s->graph.block[u]] |= ST_ONSTACK;
}

/* Pops the component rooted at u; it is named by its lowest rank (its lowest address). */
static void tarjan_pop(struct scanner *s, struct tarjan *t, size_t u)
{
	size_t first = t->nr_stack, lowest = u, k;

	do {
		first--;
		if (t->stack[first] < lowest)
			lowest = t->stack[first];
	} while (t->stack[first] != u);
	for (k = first; k < t->nr_stack; k++) {
		size_t v = t->stack[k];
		uint8_t *st = &s->st[s->graph.block[v]];

		t->low[v] = lowest;
		*st = (uint8_t)((*st & ~(ST_KIND | ST_ONSTACK)) |
				(v == lowest ? ST_LOST : ST_INDIRECT));
	}
	t->nr_stack = first;
}

/* Tarjan's strongly connected components from node root, without recursion. */
static void tarjan_from(struct scanner *s, struct tarjan *t, size_t root)
{
	const struct graph *g = &s->graph;

	tarjan_visit(s, t, root);
	while (t->nr_calls) {
		size_t u = t->calls[t->nr_calls - 1];

		if (t->next[u] < g->first[u + 1]) {
			size_t v = g->edges[t->next[u]++];

			if (!t->index[v]) {
				/* No reads here, but time passes: a million nodes take a while. */
				if (!(t->visited % TIME_CHECK_EVERY) && out_of_time(s))
					return;
				tarjan_visit(s, t, v);
			} else if ((s->st[g->block[v]] & ST_ONSTACK) && t->index[v] < t->low[u]) {
				t->low[u] = t->index[v];
			}
			continue;
		}
		t->nr_calls--;
		if (t->nr_calls) {
			size_t parent = t->calls[t->nr_calls - 1];

			if (t->low[u] < t->low[parent])
				t->low[parent] = t->low[u];
		}
		if (t->low[u] == t->index[u])
			tarjan_pop(s, t, u);
	}
}

/*
 * Pass 2: each component's lowest block is lost unless another component
 * points into it; everything else unreached is indirect. 0 or -ENOMEM.
 */
static int classify_components(struct scanner *s)
{
	const struct graph *g = &s->graph;
	struct tarjan t = {0};
	size_t nr = g->nr ? g->nr : 1, u, e;
	int err = -ENOMEM;

	t.index = calloc(nr, sizeof(*t.index));
	t.low = malloc(nr * sizeof(*t.low));
	t.next = malloc(nr * sizeof(*t.next));
	t.calls = malloc(nr * sizeof(*t.calls));
	t.stack = malloc(nr * sizeof(*t.stack));
	if (!t.index || !t.low || !t.next || !t.calls || !t.stack)
		goto out;
	for (u = 0; u < g->nr && !s->stats->truncated; u++)
		if (!t.index[u])
			tarjan_from(s, &t, u);
	/* t.low now names each node's component. */
	for (u = 0; u < g->nr; u++)
		for (e = g->first[u]; e < g->first[u + 1]; e++)
			if (t.low[g->edges[e]] != t.low[u]) {
				uint8_t *st = &s->st[g->block[t.low[g->edges[e]]]];

				*st = (uint8_t)((*st & ~ST_KIND) | ST_INDIRECT);
			}
	err = 0;
out:
	free(t.index);
	free(t.low);
	free(t.next);
	free(t.calls);
	free(t.stack);
	return err;
}

/* Pass 2. 0 (stats->truncated says whether it finished) or -ENOMEM. */
static int classify_unreached(struct scanner *s)
{
	int err = graph_nodes(s);

	if (!err)
		err = graph_edges(s);
	if (!err)
		err = classify_components(s);
	graph_free(&s->graph);
	return err == -E2BIG ? 0 : err;
}

static enum reach_class class_of(uint8_t st, bool complete)
{
	switch (kind_of(st)) {
	case ST_PENDING:
	case ST_REACHED:
		return REACH_REACHABLE;
	case ST_LOST:
		return complete ? REACH_LOST : REACH_UNSCANNED;
	case ST_INDIRECT:
		return complete ? REACH_INDIRECT : REACH_UNSCANNED;
	default:
		return REACH_UNSCANNED;
	}
}

static void store_classes(struct scanner *s)
{
	struct reach_stats *stats = s->stats;
	bool complete = !stats->truncated;
	size_t i;

	for (i = 0; i < s->nr; i++) {
		struct reach_block *b = &s->blocks[i];
		enum reach_class cls = class_of(s->st[i], complete);

		b->cls = (uint8_t)cls;
		b->root = 0;
		b->interior_only = false;
		stats->count[cls]++;
		stats->bytes[cls] += b->size;
		if (cls != REACH_REACHABLE)
			continue;
		b->root = (uint8_t)((s->st[i] & ST_ROOT) >> ST_ROOT_SHIFT);
		b->interior_only = s->st[i] & ST_INTERIOR;
		stats->reached_from[b->root]++;
		if (b->interior_only)
			stats->interior_only++;
	}
}

static void find_bounds(struct scanner *s)
{
	uint64_t highest = 0;
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (block_end(&s->blocks[i]) > highest)
			highest = block_end(&s->blocks[i]);
	s->lowest = s->blocks[0].addr;
	s->span = highest - s->lowest;
}

int reach__classify(struct reach_block *blocks, size_t nr, const struct reach_region *roots,
		    size_t nr_roots, const uint64_t *regs, size_t nr_regs, mem_read_fn read,
		    void *ctx, const struct reach_limits *limits, struct reach_stats *stats)
{
	struct reach_stats local_stats;
	struct scanner s = {.blocks = blocks, .nr = nr, .read = read, .ctx = ctx};
	int err = 0;

	s.stats = stats ? stats : &local_stats;
	memset(s.stats, 0, sizeof(*s.stats));
	clock_gettime(CLOCK_MONOTONIC, &s.started);
	if (limits)
		s.limits = *limits;
	if (!nr)
		return 0;
	if (nr > SIZE_MAX / sizeof(*s.work))
		return -ENOMEM;
	s.st = calloc(nr, sizeof(*s.st));
	s.work = malloc(nr * sizeof(*s.work));
	s.buf = malloc(SPAN_MAX);
	if (!s.st || !s.work || !s.buf || page_index_alloc(&s.pages, blocks, nr)) {
		free(s.pages.keys);
		free(s.pages.first);
		free(s.st);
		free(s.work);
		free(s.buf);
		return -ENOMEM;
	}
	find_bounds(&s);
	page_index_fill(&s.pages, blocks, nr);
	s.pass = PASS_MARK;
	scan_roots(&s, roots, nr_roots);
	if (!s.stats->truncated) {
		mark_registers(&s, regs, nr_regs);
		if (drain_marks(&s))
			err = classify_unreached(&s);
	}
	if (!err)
		store_classes(&s);
	s.stats->ns = elapsed_ns(&s.started);
	free(s.pages.keys);
	free(s.pages.first);
	free(s.st);
	free(s.work);
	free(s.buf);
	return err;
}
