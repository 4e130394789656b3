// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reachability engine (reach.h). Two passes over the target's memory:
 *
 * 1. Mark: the roots are scanned, every block a word points into becomes
 *    pending, and pending blocks are scanned in turn from a worklist (never
 *    recursion: a list of a million nodes is a million deep).
 * 2. Lost or indirect, valgrind's way: unreached blocks are taken in address
 *    order; one that no earlier flood reached is lost (a clique leader) and
 *    everything unreached it reaches becomes indirect, including an earlier
 *    leader (its clique joins this one, its flood is already done).
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

#define WORD	  8u
/* The largest read, and the largest window of blocks read at once. */
#define SPAN_MAX  (64u * 1024)
/* Bytes between two blocks still to scan that a window reads through (less than a read costs). */
#define GAP_MAX	  4096u
/* Blocks a window looks at on each side (bounds the work when few are wanted). */
#define LOOKAHEAD 512u
#define NO_BLOCK  SIZE_MAX

/* Per-block working state, in its own array so that -ENOMEM leaves blocks untouched. */
enum {
	ST_UNREACHED = 0,
	ST_PENDING,  /* reached, contents not scanned yet */
	ST_REACHED,  /* reached and scanned */
	ST_LEADER,   /* unreached, first of its clique: lost */
	ST_INDIRECT, /* unreached, a lost block reaches it */
	ST_KIND = 0x7f,
	ST_FLOODED = 0x80, /* pass 2: contents scanned */
};

enum pass { PASS_MARK, PASS_FLOOD };

struct scanner {
	struct reach_block *blocks;
	size_t nr;
	uint64_t lowest; /* blocks[0].addr */
	uint64_t span;	 /* highest end - lowest: a word w is a candidate iff w - lowest < span */
	uint8_t *st;	 /* [nr] ST_* */
	size_t *work;	 /* [nr] worklist; each block is pushed at most once per pass */
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
	size_t leader;	     /* pass 2: the clique's lost block */
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

/* The block w points into (start or interior), or NO_BLOCK. */
static size_t find_block(const struct scanner *s, uint64_t w)
{
	size_t lo = 0, hi = s->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->blocks[mid].addr <= w)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || w - s->blocks[lo - 1].addr >= block_extent(&s->blocks[lo - 1]))
		return NO_BLOCK;
	return lo - 1;
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
	else if (s->limits.max_ns && elapsed_ns(&s->started) >= s->limits.max_ns)
		s->stats->truncated = true;
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

/* Pass 1: a word of a root or of a reached block. */
static void visit_mark(struct scanner *s, uint64_t w)
{
	size_t i = find_block(s, w);
	struct reach_block *b;

	if (i == NO_BLOCK)
		return;
	b = &s->blocks[i];
	if (s->st[i] == ST_UNREACHED) {
		s->st[i] = ST_PENDING;
		b->root = (uint8_t)s->kind;
		b->interior_only = w != b->addr;
		push(s, i);
	} else if (w == b->addr && i != s->src) {
		/* A pointer to its own start does not make a block properly reachable. */
		b->interior_only = false;
	}
}

/* Pass 2: a word of an unreached block, flooding from s->leader. */
static void visit_flood(struct scanner *s, uint64_t w)
{
	size_t i = find_block(s, w);
	uint8_t kind;

	if (i == NO_BLOCK || i == s->leader)
		return;
	kind = s->st[i] & ST_KIND;
	if (kind == ST_UNREACHED) {
		s->st[i] = ST_INDIRECT;
		push(s, i);
	} else if (kind == ST_LEADER) {
		/* An earlier clique, already flooded: it joins this one. */
		s->st[i] = (uint8_t)((s->st[i] & ST_FLOODED) | ST_INDIRECT);
	}
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
			visit_flood(s, w);
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

/* Whether block i is still to scan in this pass (what a window reads for). */
static bool wanted(const struct scanner *s, size_t i)
{
	uint8_t st = s->st[i];

	if (s->pass == PASS_MARK)
		return st == ST_PENDING;
	return !(st & ST_FLOODED) && (st & ST_KIND) != ST_PENDING && (st & ST_KIND) != ST_REACHED;
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
		if (wanted(s, j)) {
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
		if (wanted(s, j)) {
			lo = j;
			start = b->addr;
		}
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

static void mark_registers(struct scanner *s, const uint64_t *regs, size_t nr_regs)
{
	size_t i;

	s->src = NO_BLOCK;
	s->kind = ROOT_REGISTERS;
	for (i = 0; regs && i < nr_regs; i++)
		if (regs[i] - s->lowest < s->span)
			visit_mark(s, regs[i]);
}

/* Pass 1: scans pending blocks until none is left. False when cut by the limits. */
static bool drain_marks(struct scanner *s)
{
	while (s->nr_work) {
		size_t i = s->work[--s->nr_work], k;

		if (s->st[i] != ST_PENDING)
			continue;
		s->st[i] = ST_REACHED;
		s->kind = s->blocks[i].root;
		if (!scan_block(s, i))
			return false;
		if (!s->buf_len)
			continue;
		/* The window read for i holds its pending neighbours: scan them now. */
		for (k = s->buf_lo; k <= s->buf_hi; k++) {
			if (s->st[k] != ST_PENDING || !in_buffer(s, k))
				continue;
			s->st[k] = ST_REACHED;
			s->kind = s->blocks[k].root;
			scan_from_buffer(s, k);
		}
	}
	return true;
}

/* Pass 2: floods from the lost block leader. False when cut by the limits. */
static bool flood(struct scanner *s, size_t leader)
{
	s->leader = leader;
	s->st[leader] = ST_LEADER;
	push(s, leader);
	while (s->nr_work) {
		size_t i = s->work[--s->nr_work];

		s->st[i] |= ST_FLOODED;
		if (!scan_block(s, i))
			return false;
	}
	return true;
}

static bool classify_unreached(struct scanner *s)
{
	size_t i;

	s->pass = PASS_FLOOD;
	s->buf_len = 0;
	for (i = 0; i < s->nr; i++)
		if (s->st[i] == ST_UNREACHED && !flood(s, i))
			return false;
	return true;
}

static enum reach_class class_of(uint8_t st, bool complete)
{
	switch (st & ST_KIND) {
	case ST_PENDING:
	case ST_REACHED:
		return REACH_REACHABLE;
	case ST_LEADER:
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
		stats->count[cls]++;
		stats->bytes[cls] += b->size;
		if (cls != REACH_REACHABLE) {
			b->root = 0;
			b->interior_only = false;
			continue;
		}
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
	size_t i;

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
	if (!s.st || !s.work || !s.buf) {
		free(s.st);
		free(s.work);
		free(s.buf);
		return -ENOMEM;
	}
	find_bounds(&s);
	for (i = 0; i < nr; i++) {
		blocks[i].root = 0;
		blocks[i].interior_only = false;
	}

	s.pass = PASS_MARK;
	for (i = 0; i < nr_roots; i++)
		if (!scan_root(&s, &roots[i]))
			break;
	if (!s.stats->truncated) {
		mark_registers(&s, regs, nr_regs);
		if (drain_marks(&s))
			classify_unreached(&s);
	}
	store_classes(&s);
	s.stats->ns = elapsed_ns(&s.started);
	free(s.st);
	free(s.work);
	free(s.buf);
	return 0;
}
