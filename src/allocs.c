// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Two open-addressing tables with linear probing: live allocations (32 bytes
 * a slot, kept at most 3/4 full) and an index from (pid, kind, stack id) to
 * a dense array of stack_stats. An entry's kind is its stack's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "allocs.h"
#include "array.h"

#define LIVE_MIN_SLOTS	1024
#define STACK_MIN_SLOTS 256

struct live {
	uint64_t addr; /* 0 marks an empty slot: no allocator returns NULL for success */
	uint64_t size;
	uint64_t ts_ns : 60; /* CLOCK_MONOTONIC: 36 years of uptime */
	uint64_t reach : 4;  /* enum reach_class at the last scan */
	uint32_t pid;
	uint32_t stack; /* index into allocs.stacks */
};

struct allocs {
	struct live *live;
	size_t live_mask; /* slots - 1, slots a power of two */
	size_t live_used;

	struct stack_stats *stacks;
	size_t nr_stacks;
	size_t stacks_cap;
	uint32_t *stack_index; /* slot -> stacks index + 1; 0 = empty */
	size_t stack_index_mask;

	struct alloc_totals totals; /* of the tracked kinds: malloc and mmap */
	struct alloc_totals kind_totals[NR_KINDS];
};

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: cheap, and every input bit moves every output bit. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static size_t live_home(const struct allocs *t, uint32_t pid, uint64_t addr)
{
	return (size_t)mix64(addr ^ ((uint64_t)pid << 48) ^ pid) & t->live_mask;
}

static size_t stack_home(const struct allocs *t, uint32_t pid, enum alloc_kind kind,
			 int32_t stack_id)
{
	return (size_t)mix64((((uint64_t)pid << 32) | (uint32_t)stack_id) ^
			     ((uint64_t)kind << 61)) &
	       t->stack_index_mask;
}

const char *alloc_kind__name(enum alloc_kind kind)
{
	static const char *const names[NR_KINDS] = {
	    [KIND_MALLOC] = "malloc",
	    [KIND_MMAP] = "mmap",
	    [KIND_GOROUTINE] = "goroutine",
	    [KIND_GO_HEAP] = "go-heap",
	};

	return (unsigned int)kind < NR_KINDS ? names[kind] : "?";
}

const char *alloc_kind__unit(enum alloc_kind kind)
{
	return alloc_kind__is_bytes(kind) ? "bytes" : "goroutines";
}

bool alloc_kind__is_bytes(enum alloc_kind kind)
{
	return kind != KIND_GOROUTINE;
}

bool alloc_kind__is_tracked(enum alloc_kind kind)
{
	return kind == KIND_MALLOC || kind == KIND_MMAP;
}

/* The totals a change of kind's figures goes to: its own, and the tracked kinds' sum. */
static void totals_change(struct allocs *t, enum alloc_kind kind, int64_t bytes, int64_t count)
{
	struct alloc_totals *k = &t->kind_totals[(unsigned int)kind < NR_KINDS ? kind : 0];

	k->outstanding_bytes += (uint64_t)bytes;
	k->outstanding_count += (uint64_t)count;
	if (count > 0)
		k->allocs += (uint64_t)count;
	else
		k->frees += (uint64_t)-count;
	if (!alloc_kind__is_tracked(kind))
		return;
	t->totals.outstanding_bytes += (uint64_t)bytes;
	t->totals.outstanding_count += (uint64_t)count;
	if (count > 0)
		t->totals.allocs += (uint64_t)count;
	else
		t->totals.frees += (uint64_t)-count;
}

/* A loss counter of kind (unmatched or missed frees). */
static void totals_loss(struct allocs *t, enum alloc_kind kind, bool unmatched)
{
	struct alloc_totals *k = &t->kind_totals[(unsigned int)kind < NR_KINDS ? kind : 0];

	if (unmatched)
		k->unmatched_frees++;
	else
		k->missed_frees++;
	if (!alloc_kind__is_tracked(kind))
		return;
	if (unmatched)
		t->totals.unmatched_frees++;
	else
		t->totals.missed_frees++;
}

struct allocs *allocs__new(void)
{
	struct allocs *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->live = calloc(LIVE_MIN_SLOTS, sizeof(*t->live));
	t->stack_index = calloc(STACK_MIN_SLOTS, sizeof(*t->stack_index));
	if (!t->live || !t->stack_index) {
		allocs__destroy(t);
		return NULL;
	}
	t->live_mask = LIVE_MIN_SLOTS - 1;
	t->stack_index_mask = STACK_MIN_SLOTS - 1;
	return t;
}

void allocs__destroy(struct allocs *t)
{
	if (!t)
		return;
	free(t->live);
	free(t->stacks);
	free(t->stack_index);
	free(t);
}

/* --- stacks ------------------------------------------------------------- */

static void stack_index_insert(struct allocs *t, uint32_t idx)
{
	const struct stack_stats *s = &t->stacks[idx];
	size_t slot = stack_home(t, s->pid, s->kind, s->stack_id);

	while (t->stack_index[slot])
		slot = (slot + 1) & t->stack_index_mask;
	t->stack_index[slot] = idx + 1;
}

static int stack_index_rebuild(struct allocs *t, size_t slots)
{
	uint32_t *index = calloc(slots, sizeof(*index));
	size_t i;

	if (!index)
		return -ENOMEM;
	free(t->stack_index);
	t->stack_index = index;
	t->stack_index_mask = slots - 1;
	for (i = 0; i < t->nr_stacks; i++)
		stack_index_insert(t, (uint32_t)i);
	return 0;
}

/* Index of the stats of (pid, kind, stack_id), created on first use; -ENOMEM. */
static int64_t stack_get(struct allocs *t, uint32_t pid, enum alloc_kind kind, int32_t stack_id)
{
	size_t slot = stack_home(t, pid, kind, stack_id);
	struct stack_stats *s;
	uint32_t idx;
	int err;

	while ((idx = t->stack_index[slot])) {
		s = &t->stacks[idx - 1];
		if (s->pid == pid && s->stack_id == stack_id && s->kind == kind)
			return idx - 1;
		slot = (slot + 1) & t->stack_index_mask;
	}
	/* Index entries are 32-bit. */
	if (t->nr_stacks >= UINT32_MAX - 1 ||
	    ARRAY_RESERVE(t->stacks, t->stacks_cap, t->nr_stacks + 1, 64))
		return -ENOMEM;
	s = &t->stacks[t->nr_stacks];
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->kind = kind;
	s->stack_id = stack_id;
	t->nr_stacks++;
	/* Keep the index at most half full. */
	if (t->nr_stacks * 2 > t->stack_index_mask + 1) {
		err = stack_index_rebuild(t, (t->stack_index_mask + 1) * 2);
		if (err) {
			t->nr_stacks--;
			return err;
		}
	} else {
		stack_index_insert(t, (uint32_t)(t->nr_stacks - 1));
	}
	return (int64_t)(t->nr_stacks - 1);
}

/* --- live allocations ----------------------------------------------------- */

static struct live *live_find(const struct allocs *t, uint32_t pid, enum alloc_kind kind,
			      uint64_t addr)
{
	size_t slot = live_home(t, pid, addr);
	const struct live *e;

	while (t->live[slot].addr) {
		e = &t->live[slot];
		if (e->addr == addr && e->pid == pid && t->stacks[e->stack].kind == kind)
			return &t->live[slot];
		slot = (slot + 1) & t->live_mask;
	}
	return NULL;
}

static void live_place(struct allocs *t, const struct live *entry)
{
	size_t slot = live_home(t, entry->pid, entry->addr);

	while (t->live[slot].addr)
		slot = (slot + 1) & t->live_mask;
	t->live[slot] = *entry;
}

static int live_grow(struct allocs *t)
{
	size_t old_slots = t->live_mask + 1, i;
	struct live *old = t->live;

	t->live = calloc(old_slots * 2, sizeof(*t->live));
	if (!t->live) {
		t->live = old;
		return -ENOMEM;
	}
	t->live_mask = old_slots * 2 - 1;
	for (i = 0; i < old_slots; i++)
		if (old[i].addr)
			live_place(t, &old[i]);
	free(old);
	return 0;
}

/* Backward-shift deletion: no tombstones, probe chains stay short. */
static void live_remove(struct allocs *t, struct live *entry)
{
	size_t hole = (size_t)(entry - t->live), next = hole, home;

	for (;;) {
		next = (next + 1) & t->live_mask;
		if (!t->live[next].addr)
			break;
		home = live_home(t, t->live[next].pid, t->live[next].addr);
		/* The entry at next may fill the hole unless its home lies in (hole, next]. */
		if (hole <= next ? (hole < home && home <= next) : (hole < home || home <= next))
			continue;
		t->live[hole] = t->live[next];
		hole = next;
	}
	t->live[hole].addr = 0;
	t->live_used--;
}

static void account_free(struct allocs *t, const struct live *entry)
{
	struct stack_stats *s = &t->stacks[entry->stack];

	s->outstanding_bytes -= entry->size;
	s->outstanding_count--;
	if (entry->reach) {
		s->reach.bytes[entry->reach] -= entry->size;
		s->reach.count[entry->reach]--;
	}
	s->free_bytes += entry->size;
	s->free_count++;
	totals_change(t, s->kind, -(int64_t)entry->size, -1);
}

int allocs__record_alloc(struct allocs *t, uint32_t pid, enum alloc_kind kind, uint64_t addr,
			 uint64_t size, int32_t stack_id, uint64_t ts_ns)
{
	struct live entry, *existing;
	struct stack_stats *s;
	int64_t stack;

	if (!addr)
		return -EINVAL;
	existing = live_find(t, pid, kind, addr);
	if (existing) {
		/* The address came back without a FREE in between: that FREE was lost. */
		totals_loss(t, kind, false);
		account_free(t, existing);
		live_remove(t, existing);
	}
	stack = stack_get(t, pid, kind, stack_id);
	if (stack < 0)
		return (int)stack;
	if ((t->live_used + 1) * 4 > (t->live_mask + 1) * 3 && live_grow(t))
		return -ENOMEM;

	entry.addr = addr;
	entry.size = size;
	entry.ts_ns = ts_ns;
	entry.reach = REACH_UNSCANNED;
	entry.pid = pid;
	entry.stack = (uint32_t)stack;
	live_place(t, &entry);
	t->live_used++;

	s = &t->stacks[stack];
	s->outstanding_bytes += size;
	s->outstanding_count++;
	s->alloc_bytes += size;
	s->alloc_count++;
	totals_change(t, kind, (int64_t)size, 1);
	return 0;
}

int allocs__set_stack(struct allocs *t, const struct stack_stats *stats)
{
	int64_t stack = stack_get(t, stats->pid, stats->kind, stats->stack_id);
	struct stack_stats *s;
	struct alloc_totals *k;

	if (stack < 0)
		return (int)stack;
	s = &t->stacks[stack];
	k = &t->kind_totals[(unsigned int)s->kind < NR_KINDS ? s->kind : 0];
	k->outstanding_bytes += stats->outstanding_bytes - s->outstanding_bytes;
	k->outstanding_count += stats->outstanding_count - s->outstanding_count;
	k->allocs += stats->alloc_count - s->alloc_count;
	k->frees += stats->free_count - s->free_count;
	*s = *stats;
	return 0;
}

int allocs__release_if_live(struct allocs *t, uint32_t pid, enum alloc_kind kind, uint64_t addr)
{
	struct live *entry = addr ? live_find(t, pid, kind, addr) : NULL;

	if (!entry)
		return -ENOENT;
	account_free(t, entry);
	live_remove(t, entry);
	return 0;
}

int allocs__record_free(struct allocs *t, uint32_t pid, enum alloc_kind kind, uint64_t addr)
{
	struct live *entry = addr ? live_find(t, pid, kind, addr) : NULL;

	if (!entry) {
		totals_loss(t, kind, true);
		return -ENOENT;
	}
	account_free(t, entry);
	live_remove(t, entry);
	return 0;
}

int allocs__rename_pid(struct allocs *t, uint32_t pid, uint32_t new_pid)
{
	size_t slots = t->live_mask + 1, i;
	struct live *old = t->live, *fresh;

	fresh = calloc(slots, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	for (i = 0; i < t->nr_stacks; i++)
		if (t->stacks[i].pid == pid)
			t->stacks[i].pid = new_pid;
	/* Both tables hash the pid: rebuilt at their size. */
	if (stack_index_rebuild(t, t->stack_index_mask + 1)) {
		for (i = 0; i < t->nr_stacks; i++)
			if (t->stacks[i].pid == new_pid)
				t->stacks[i].pid = pid;
		free(fresh);
		return -ENOMEM;
	}
	t->live = fresh;
	for (i = 0; i < slots; i++) {
		if (!old[i].addr)
			continue;
		if (old[i].pid == pid)
			old[i].pid = new_pid;
		live_place(t, &old[i]);
	}
	free(old);
	return 0;
}

void allocs__drop_pid(struct allocs *t, uint32_t pid)
{
	uint32_t *new_index_of;
	size_t i, kept = 0;
	uint64_t live_of_pid = 0;
	bool has_stacks = false;

	/* Most exits and execs are of processes holding nothing: no pass over the table. */
	for (i = 0; i < t->nr_stacks; i++) {
		if (t->stacks[i].pid != pid)
			continue;
		has_stacks = true;
		memset(&t->stacks[i].reach, 0, sizeof(t->stacks[i].reach));
		if (t->stacks[i].kind == KIND_GO_HEAP) {
			/* Set outright, no live entries: its figures leave the totals here. */
			t->kind_totals[KIND_GO_HEAP].outstanding_bytes -=
			    t->stacks[i].outstanding_bytes;
			t->kind_totals[KIND_GO_HEAP].outstanding_count -=
			    t->stacks[i].outstanding_count;
			continue;
		}
		live_of_pid += t->stacks[i].outstanding_count;
	}
	if (!has_stacks)
		return;
	/*
	 * Removal shifts later entries of the chain into the hole, so rescan the
	 * slot. Entries only move into holes at or after i (or within slots
	 * already scanned, which hold no entry of pid), so one pass is enough.
	 */
	for (i = 0; live_of_pid && i <= t->live_mask;) {
		if (t->live[i].addr && t->live[i].pid == pid) {
			enum alloc_kind kind = t->stacks[t->live[i].stack].kind;
			struct alloc_totals *k = &t->kind_totals[kind];

			k->outstanding_bytes -= t->live[i].size;
			k->outstanding_count--;
			if (alloc_kind__is_tracked(kind)) {
				t->totals.outstanding_bytes -= t->live[i].size;
				t->totals.outstanding_count--;
			}
			live_remove(t, &t->live[i]);
			continue;
		}
		i++;
	}
	new_index_of = malloc((t->nr_stacks ? t->nr_stacks : 1) * sizeof(*new_index_of));
	if (!new_index_of)
		return; /* stacks of the dead pid stay listed with zero outstanding */
	for (i = 0; i < t->nr_stacks; i++) {
		if (t->stacks[i].pid == pid)
			continue;
		new_index_of[i] = (uint32_t)kept;
		t->stacks[kept++] = t->stacks[i];
	}
	t->nr_stacks = kept;
	for (i = 0; i <= t->live_mask; i++)
		if (t->live[i].addr)
			t->live[i].stack = new_index_of[t->live[i].stack];
	free(new_index_of);
	memset(t->stack_index, 0, (t->stack_index_mask + 1) * sizeof(*t->stack_index));
	for (i = 0; i < t->nr_stacks; i++)
		stack_index_insert(t, (uint32_t)i);
}

const struct alloc_totals *allocs__totals(const struct allocs *t)
{
	return &t->totals;
}

const struct alloc_totals *allocs__kind_totals(const struct allocs *t, enum alloc_kind kind)
{
	return &t->kind_totals[(unsigned int)kind < NR_KINDS ? kind : 0];
}

const struct stack_stats *allocs__stacks(const struct allocs *t, size_t *count)
{
	*count = t->nr_stacks;
	return t->stacks;
}

void allocs__oldest(const struct allocs *t, uint64_t *oldest_ns)
{
	size_t i;

	for (i = 0; i < t->nr_stacks; i++)
		oldest_ns[i] = UINT64_MAX;
	for (i = 0; i <= t->live_mask; i++) {
		const struct live *l = &t->live[i];

		if (l->addr && l->stack < t->nr_stacks && l->ts_ns < oldest_ns[l->stack])
			oldest_ns[l->stack] = l->ts_ns;
	}
}

/* --- reachability scans ------------------------------------------------------ */

static int by_block_addr(const void *a, const void *b)
{
	const struct reach_block *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int allocs__collect_blocks(const struct allocs *t, uint32_t pid, enum alloc_kind kind,
			   struct reach_block **out, size_t *nr)
{
	struct reach_block *blocks = NULL;
	size_t n = 0, cap = 0, i;
	const struct live *l;

	*out = NULL;
	*nr = 0;
	for (i = 0; i < t->nr_stacks; i++)
		if (t->stacks[i].pid == pid && t->stacks[i].kind == kind)
			cap += t->stacks[i].outstanding_count;
	if (!cap)
		return 0;
	blocks = calloc(cap, sizeof(*blocks));
	if (!blocks)
		return -ENOMEM;
	for (i = 0; i <= t->live_mask && n < cap; i++) {
		l = &t->live[i];
		if (!l->addr || l->pid != pid || t->stacks[l->stack].kind != kind)
			continue;
		blocks[n].addr = l->addr;
		blocks[n].size = l->size;
		blocks[n].user = l->stack;
		n++;
	}
	qsort(blocks, n, sizeof(*blocks), by_block_addr);
	*out = blocks;
	*nr = n;
	return 0;
}

/* The class blocks[] (sorted) gives addr, or REACH_UNSCANNED. */
static enum reach_class class_of(const struct reach_block *blocks, size_t nr, uint64_t addr)
{
	size_t lo = 0, hi = nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (blocks[mid].addr == addr)
			return blocks[mid].cls < NR_REACH_CLASSES ? blocks[mid].cls
								  : REACH_UNSCANNED;
		if (blocks[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return REACH_UNSCANNED;
}

void allocs__set_reach(struct allocs *t, uint32_t pid, enum alloc_kind kind,
		       const struct reach_block *blocks, size_t nr)
{
	struct stack_stats *s;
	struct live *l;
	size_t i;

	for (i = 0; i < t->nr_stacks; i++)
		if (t->stacks[i].pid == pid && t->stacks[i].kind == kind)
			memset(&t->stacks[i].reach, 0, sizeof(t->stacks[i].reach));
	for (i = 0; i <= t->live_mask; i++) {
		l = &t->live[i];
		if (!l->addr || l->pid != pid || t->stacks[l->stack].kind != kind)
			continue;
		l->reach = class_of(blocks, nr, l->addr);
		if (!l->reach)
			continue;
		s = &t->stacks[l->stack];
		s->reach.bytes[l->reach] += l->size;
		s->reach.count[l->reach]++;
	}
}

size_t allocs__live_count(const struct allocs *t)
{
	return t->live_used;
}

size_t allocs__memory_bytes(const struct allocs *t)
{
	return (t->live_mask + 1) * sizeof(*t->live) + t->stacks_cap * sizeof(*t->stacks) +
	       (t->stack_index_mask + 1) * sizeof(*t->stack_index);
}
