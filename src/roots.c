// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Root regions of a process (roots.h). Each mapping gets one class, then
 * gives its regions: module data whole (less any live block in it), a
 * stack from its lowest stack pointer up, an untraced mapping whole (but
 * the pages of glibc mmapped chunks merged into it), a heap nothing (but
 * the stack of a thread that runs on a live block).
 * Mappings do not overlap, so neither do regions of different mappings;
 * adjacent regions of one kind are merged at the end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "roots.h"

/* glibc's HEAP_MAX_SIZE on 64-bit: every non-main arena heap starts at a multiple of it. */
#define GLIBC_HEAP_MAX_SIZE (64ULL << 20)
#define MIN_PAGE_SIZE	    4096ULL
/* Full heaps merged into one mapping looked through (a 64 GiB arena). */
#define MAX_MERGED_HEAPS    1024
/* Blocks in one mapping checked for being glibc mmapped chunks; more: a heap. */
#define MAX_MMAPPED_CHUNKS  4096
/* glibc's chunk header: prev_size and size; the size word's flag bits, IS_MMAPPED one. */
#define CHUNK_HEADER_SIZE   16ULL
#define CHUNK_FLAG_BITS	    0x7ULL
#define CHUNK_IS_MMAPPED    0x2ULL

enum map_class {
	CLASS_SKIP,    /* neither root nor heap */
	CLASS_GLOBALS, /* module data: whole, less live blocks */
	CLASS_ANON,    /* untraced, or a stack when a thread's sp is in it */
	CLASS_HEAP,    /* the allocator's: not a root */
	CLASS_CHUNKS,  /* anonymous with live blocks: the allocator's, less what is not a chunk */
};

/* glibc's heap_info (malloc/arena.c), the first words of an arena heap. */
struct glibc_heap_info {
	uint64_t ar_ptr;
	uint64_t prev;
	uint64_t size;
	uint64_t mprotect_size;
	uint64_t pagesize;
};

struct region_list {
	struct reach_region *regions;
	size_t nr;
	size_t cap;
};

static uint64_t map_len(const struct mapping *m)
{
	return m->end - m->start;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Private mapping of a file the program loaded or opened; not a device. */
static bool is_private_file(const struct mapping *m)
{
	return mapping__is_file(m) && !m->shared && !has_prefix(m->path, "/dev/");
}

static bool is_file_data(const struct mapping *m)
{
	return is_private_file(m) && m->readable && m->writable;
}

static bool same_file(const struct mapping *a, const struct mapping *b)
{
	return a->dev == b->dev && a->inode == b->inode;
}

/*
 * Relro: the start of a PF_W PT_LOAD that ld.so made read-only after
 * relocating. It was mapped with the data after it in one mmap, so it is
 * contiguous with it in memory and in the file.
 */
static bool is_relro(const struct procmaps *maps, size_t i)
{
	const struct mapping *m = &maps->maps[i], *next;

	if (i + 1 >= maps->nr || !is_private_file(m) || !m->readable || m->writable || m->exec)
		return false;
	next = &maps->maps[i + 1];
	return is_file_data(next) && same_file(m, next) && m->end == next->start &&
	       m->pgoff + map_len(m) == next->pgoff;
}

/* Anonymous: no file, no name, or a name the process gave it ([anon:NAME], stacks). */
static bool is_anonymous(const struct mapping *m)
{
	if (m->inode != 0)
		return false;
	return m->path[0] == '\0' || has_prefix(m->path, "[anon:") || !strcmp(m->path, "[stack]") ||
	       has_prefix(m->path, "[stack:");
}

/* .bss past the file's end: anonymous, right after the file's writable data. */
static bool is_bss(const struct procmaps *maps, size_t i)
{
	const struct mapping *m = &maps->maps[i], *prev;

	if (i == 0 || m->path[0] != '\0' || m->inode != 0)
		return false;
	prev = &maps->maps[i - 1];
	return is_file_data(prev) && prev->end == m->start;
}

/* Index of the first block whose start is at or above addr. */
static size_t first_block_from(const struct reach_block *blocks, size_t nr, uint64_t addr)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (blocks[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool holds_block(const struct mapping *m, const struct reach_block *blocks, size_t nr)
{
	size_t i = first_block_from(blocks, nr, m->start);

	return i < nr && blocks[i].addr < m->end;
}

/* A block's end; malloc(0) is one byte; never wraps. */
static uint64_t block_end(const struct reach_block *b)
{
	uint64_t size = b->size ? b->size : 1;

	return b->addr > UINT64_MAX - size ? UINT64_MAX : b->addr + size;
}

static bool is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

static bool is_heap_info(const struct glibc_heap_info *h)
{
	return h->ar_ptr != 0 && is_power_of_two(h->pagesize) && h->pagesize >= MIN_PAGE_SIZE &&
	       h->size != 0 && h->size <= h->mprotect_size && h->mprotect_size % h->pagesize == 0;
}

/*
 * A glibc non-main arena heap: aligned to HEAP_MAX_SIZE, starting with a
 * heap_info whose mprotect_size is the length made read-write (this very
 * mapping: the rest of the reservation is PROT_NONE), size the part in
 * use. glibc places an arena's next heap right after a full one when it
 * can, and the kernel merges the two: a full heap (mprotect_size is
 * HEAP_MAX_SIZE) is followed by the next heap's header. A read that fails
 * means no.
 */
static bool is_glibc_arena_heap(const struct mapping *m, mem_read_fn read, void *ctx)
{
	struct glibc_heap_info h;
	uint64_t off, rest;
	unsigned int heaps;

	if (!read || m->start % GLIBC_HEAP_MAX_SIZE)
		return false;
	for (off = 0, heaps = 0; heaps < MAX_MERGED_HEAPS; off += GLIBC_HEAP_MAX_SIZE, heaps++) {
		rest = map_len(m) - off;
		if (rest < sizeof(h) || read(ctx, m->start + off, &h, sizeof(h)) ||
		    !is_heap_info(&h))
			return false;
		if (h.mprotect_size == rest)
			return true;
		if (h.mprotect_size != GLIBC_HEAP_MAX_SIZE || rest < GLIBC_HEAP_MAX_SIZE)
			return false;
	}
	return false;
}

static enum map_class classify(const struct procmaps *maps, size_t i,
			       const struct reach_block *blocks, size_t nr_blocks, mem_read_fn read,
			       void *ctx)
{
	const struct mapping *m = &maps->maps[i];

	if (is_relro(maps, i))
		return CLASS_GLOBALS;
	if (!m->readable || !m->writable)
		return CLASS_SKIP;
	if (is_file_data(m) || (!m->shared && is_bss(maps, i)))
		return CLASS_GLOBALS;
	if (m->inode == 0 && !strcmp(m->path, "[heap]"))
		return CLASS_HEAP;
	if (m->shared)
		return CLASS_SKIP;
	if (!is_anonymous(m) && !(!strcmp(m->path, "/dev/zero") && m->inode != 0))
		return CLASS_SKIP;
	if (is_glibc_arena_heap(m, read, ctx))
		return CLASS_HEAP;
	if (holds_block(m, blocks, nr_blocks))
		return CLASS_CHUNKS;
	return CLASS_ANON;
}

static int add_region(struct region_list *list, uint64_t start, uint64_t end, enum root_kind kind)
{
	int err;

	if (start >= end)
		return 0;
	err = ARRAY_RESERVE(list->regions, list->cap, list->nr + 1, 64);
	if (err)
		return err;
	list->regions[list->nr++] = (struct reach_region){.start = start, .end = end, .kind = kind};
	return 0;
}

/* Module data, less the live blocks in it (another allocator's pool in .bss, a merged mmap). */
static int add_globals(struct region_list *list, const struct mapping *m,
		       const struct reach_block *blocks, size_t nr_blocks, uint64_t *carved)
{
	size_t i = first_block_from(blocks, nr_blocks, m->start);
	uint64_t from = m->start, end;
	int err;

	/* A block that starts below the mapping may reach into it. */
	if (i > 0 && block_end(&blocks[i - 1]) > from)
		from = block_end(&blocks[i - 1]) < m->end ? block_end(&blocks[i - 1]) : m->end;
	*carved += from - m->start;
	for (; i < nr_blocks && blocks[i].addr < m->end; i++) {
		if (blocks[i].addr > from) {
			err = add_region(list, from, blocks[i].addr, ROOT_GLOBALS);
			if (err)
				return err;
		}
		end = block_end(&blocks[i]) < m->end ? block_end(&blocks[i]) : m->end;
		if (end > from) {
			*carved += end - (blocks[i].addr > from ? blocks[i].addr : from);
			from = end;
		}
	}
	return add_region(list, from, m->end, ROOT_GLOBALS);
}

/* sp less the red zone, not below floor (sp >= floor). */
static uint64_t below_red_zone(uint64_t sp, uint64_t floor)
{
	return sp - floor >= ROOTS_RED_ZONE ? sp - ROOTS_RED_ZONE : floor;
}

/*
 * The stacks of threads that run on a live block (a coroutine's malloc'd
 * stack): from sp less the red zone, not below the block, to its end.
 * sps[nr_sps] are sorted and all inside the heap mapping m.
 */
static int add_block_stacks(struct region_list *list, const struct mapping *m, const uint64_t *sps,
			    size_t nr_sps, const struct reach_block *blocks, size_t nr_blocks,
			    uint64_t *root_bytes)
{
	uint64_t start, end, last_end = 0;
	size_t i, b;
	int err;

	for (i = 0; i < nr_sps; i++) {
		b = first_block_from(blocks, nr_blocks, sps[i] + 1);
		if (b == 0 || block_end(&blocks[b - 1]) <= sps[i])
			continue; /* on no live block: the heap stays unscanned */
		start = below_red_zone(sps[i], blocks[b - 1].addr);
		end = block_end(&blocks[b - 1]) < m->end ? block_end(&blocks[b - 1]) : m->end;
		if (start < last_end)
			start = last_end; /* sorted sps: only the previous region can overlap */
		if (start >= end)
			continue;
		err = add_region(list, start, end, ROOT_STACK);
		if (err)
			return err;
		*root_bytes += end - start;
		last_end = end;
	}
	return 0;
}

/*
 * The pages of the glibc mmapped chunk whose user part is block b, inside
 * m: [*span_start, *span_end). Its header holds its size with IS_MMAPPED
 * set, and in prev_size how far into its pages the chunk starts (memalign).
 */
static bool mmapped_chunk_span(const struct mapping *m, const struct reach_block *b,
			       mem_read_fn read, void *ctx, uint64_t *span_start,
			       uint64_t *span_end)
{
	uint64_t header[2], chunk, size;

	if (b->addr < m->start + CHUNK_HEADER_SIZE)
		return false;
	chunk = b->addr - CHUNK_HEADER_SIZE;
	if (read(ctx, chunk, header, sizeof(header)) || !(header[1] & CHUNK_IS_MMAPPED))
		return false;
	size = header[1] & ~CHUNK_FLAG_BITS;
	if (header[0] > chunk - m->start || size > m->end - chunk)
		return false;
	*span_start = chunk - header[0];
	*span_end = chunk + size;
	return *span_start % MIN_PAGE_SIZE == 0 && *span_end % MIN_PAGE_SIZE == 0 &&
	       block_end(b) <= *span_end;
}

/*
 * An anonymous mapping with live blocks: when each is a glibc mmapped
 * chunk (a block over the mmap threshold), the kernel may have merged
 * their pages with anonymous neighbours (an mmap pool, another
 * allocator's arena), and those are roots: added as ROOT_UNTRACED.
 * Otherwise it is a heap: nothing added.
 */
static int add_around_mmapped_chunks(struct region_list *list, const struct mapping *m,
				     const struct reach_block *blocks, size_t nr_blocks,
				     mem_read_fn read, void *ctx, uint64_t *root_bytes)
{
	size_t i = first_block_from(blocks, nr_blocks, m->start), first = i, saved = list->nr;
	uint64_t from = m->start, span_start, span_end, added = 0;
	int err;

	if (!read || (i > 0 && block_end(&blocks[i - 1]) > m->start))
		return 0;
	for (; i < nr_blocks && blocks[i].addr < m->end; i++) {
		if (i - first >= MAX_MMAPPED_CHUNKS ||
		    !mmapped_chunk_span(m, &blocks[i], read, ctx, &span_start, &span_end) ||
		    span_start < from) {
			list->nr = saved;
			return 0;
		}
		err = add_region(list, from, span_start, ROOT_UNTRACED);
		if (err)
			return err;
		added += span_start - from;
		from = span_end;
	}
	err = add_region(list, from, m->end, ROOT_UNTRACED);
	if (err)
		return err;
	*root_bytes += added + (m->end - from);
	return 0;
}

/* Range [*lo, *hi) of the sorted sps inside m. */
static void sps_in(const struct mapping *m, const uint64_t *sps, size_t nr, size_t *lo, size_t *hi)
{
	size_t a = 0, b = nr, mid;

	while (a < b) {
		mid = a + (b - a) / 2;
		if (sps[mid] < m->start)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	for (b = a; b < nr && sps[b] < m->end; b++)
		;
	*hi = b;
}

struct collect_in {
	const struct procmaps *maps;
	const struct reach_block *blocks;
	size_t nr_blocks;
	const uint64_t *sps; /* sorted */
	size_t nr_sps;
	mem_read_fn read;
	void *ctx;
};

static int add_mapping(const struct collect_in *in, size_t i, struct region_list *list,
		       struct roots_stats *stats)
{
	const struct mapping *m = &in->maps->maps[i];
	enum map_class cls = classify(in->maps, i, in->blocks, in->nr_blocks, in->read, in->ctx);
	uint64_t carved = 0, stack_start, root_bytes = 0;
	size_t lo, hi;
	int err = 0;

	sps_in(m, in->sps, in->nr_sps, &lo, &hi);
	/* A thread runs on it: a stack, whatever else the mapping looks like. */
	if (lo < hi && m->readable && m->writable && (cls == CLASS_ANON || cls == CLASS_SKIP)) {
		stack_start = below_red_zone(in->sps[lo], m->start);
		stats->skipped_bytes += stack_start - m->start;
		return add_region(list, stack_start, m->end, ROOT_STACK);
	}
	switch (cls) {
	case CLASS_GLOBALS:
		err = add_globals(list, m, in->blocks, in->nr_blocks, &carved);
		stats->heap_bytes_skipped += carved;
		break;
	case CLASS_ANON:
		err = add_region(list, m->start, m->end, ROOT_UNTRACED);
		break;
	case CLASS_CHUNKS:
		err = add_around_mmapped_chunks(list, m, in->blocks, in->nr_blocks, in->read,
						in->ctx, &root_bytes);
		if (err)
			break;
		/* fallthrough */
	case CLASS_HEAP:
		err = add_block_stacks(list, m, in->sps + lo, hi - lo, in->blocks, in->nr_blocks,
				       &root_bytes);
		stats->heap_bytes_skipped += map_len(m) - root_bytes;
		break;
	case CLASS_SKIP:
		stats->skipped_bytes += map_len(m);
		break;
	}
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_region_start(const void *a, const void *b)
{
	return cmp_u64(&((const struct reach_region *)a)->start,
		       &((const struct reach_region *)b)->start);
}

/* Merges adjacent regions of one kind; fills the per-kind stats. */
static void merge_adjacent(struct region_list *list, struct roots_stats *stats)
{
	size_t i, out = 0;

	for (i = 0; i < list->nr; i++) {
		stats->bytes[list->regions[i].kind] +=
		    list->regions[i].end - list->regions[i].start;
		if (out && list->regions[out - 1].end == list->regions[i].start &&
		    list->regions[out - 1].kind == list->regions[i].kind)
			list->regions[out - 1].end = list->regions[i].end;
		else
			list->regions[out++] = list->regions[i];
	}
	list->nr = out;
	stats->nr_regions = out;
}

int roots__collect(const struct procmaps *maps, const struct reach_block *blocks, size_t nr_blocks,
		   const uint64_t *sps, size_t nr_sps, mem_read_fn read, void *ctx,
		   struct reach_region **out, size_t *nr_out, struct roots_stats *stats)
{
	struct collect_in in = {
	    .maps = maps, .blocks = blocks, .nr_blocks = nr_blocks, .read = read, .ctx = ctx};
	struct roots_stats st = {0};
	struct region_list list = {0};
	uint64_t *sorted_sps = NULL;
	size_t i;
	int err = 0;

	if (nr_sps) {
		sorted_sps = calloc(nr_sps, sizeof(*sorted_sps));
		if (!sorted_sps)
			return -ENOMEM;
		memcpy(sorted_sps, sps, nr_sps * sizeof(*sorted_sps));
		qsort(sorted_sps, nr_sps, sizeof(*sorted_sps), cmp_u64);
	}
	in.sps = sorted_sps;
	in.nr_sps = nr_sps;
	for (i = 0; maps && i < maps->nr && !err; i++)
		err = add_mapping(&in, i, &list, &st);
	free(sorted_sps);
	if (err) {
		free(list.regions);
		return err;
	}
	/* Within a mapping, stacks on blocks come after the untraced parts around them. */
	if (list.nr > 1)
		qsort(list.regions, list.nr, sizeof(*list.regions), cmp_region_start);
	merge_adjacent(&list, &st);
	*out = list.regions;
	*nr_out = list.nr;
	if (stats)
		*stats = st;
	return 0;
}
