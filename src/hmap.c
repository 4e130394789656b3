// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define FIRST_CAP 16

/* Each slot: a used flag (padded to 8 bytes), the key, then the value. */
struct slot_head {
	uint64_t used;
	struct hmap_key key;
};

static struct slot_head *slot(const struct hmap *m, size_t i)
{
	return (struct slot_head *)(void *)(m->slots + i * m->stride);
}

static void *value_of(struct slot_head *s)
{
	return s + 1;
}

static size_t home(const struct hmap *m, struct hmap_key key)
{
	uint64_t h = key.a * 0x9e3779b97f4a7c15ULL ^ key.b;

	/* splitmix64's finalizer: every key bit reaches the low bits. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (size_t)h & (m->cap - 1);
}

static bool same(struct hmap_key x, struct hmap_key y)
{
	return x.a == y.a && x.b == y.b;
}

void hmap__init(struct hmap *m, size_t value_size)
{
	*m = (struct hmap){.value_size = value_size,
			   .stride = sizeof(struct slot_head) + ((value_size + 7) & ~(size_t)7)};
}

void hmap__free(struct hmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->nr = 0;
}

/* The slot of key, or the empty slot where it would go. */
static size_t find(const struct hmap *m, struct hmap_key key)
{
	size_t i = home(m, key);

	while (slot(m, i)->used && !same(slot(m, i)->key, key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *hmap__get(const struct hmap *m, struct hmap_key key)
{
	struct slot_head *s;

	if (!m->nr)
		return NULL;
	s = slot(m, find(m, key));
	return s->used ? value_of(s) : NULL;
}

static int resize(struct hmap *m, size_t cap)
{
	struct hmap bigger = *m;
	struct slot_head *s;
	size_t i;

	if (cap > SIZE_MAX / m->stride)
		return -ENOMEM;
	bigger.slots = calloc(cap, m->stride);
	if (!bigger.slots)
		return -ENOMEM;
	bigger.cap = cap;
	for (i = 0; i < m->cap; i++) {
		s = slot(m, i);
		if (s->used)
			memcpy(slot(&bigger, find(&bigger, s->key)), s, m->stride);
	}
	free(m->slots);
	*m = bigger;
	return 0;
}

void *hmap__put(struct hmap *m, struct hmap_key key, bool *fresh)
{
	struct slot_head *s;

	if (2 * (m->nr + 1) > m->cap && resize(m, m->cap ? m->cap * 2 : FIRST_CAP))
		return NULL;
	s = slot(m, find(m, key));
	*fresh = !s->used;
	if (*fresh) {
		memset(s, 0, m->stride);
		s->used = 1;
		s->key = key;
		m->nr++;
	}
	return value_of(s);
}

/* Empties slot i and moves back the entries after it that belong before it. */
static void remove_slot(struct hmap *m, size_t i)
{
	size_t j = i, want;

	for (;;) {
		slot(m, i)->used = 0;
		for (;;) {
			j = (j + 1) & (m->cap - 1);
			if (!slot(m, j)->used)
				goto done;
			want = home(m, slot(m, j)->key);
			/* j may move to i when its home is not cyclically in (i, j]. */
			if (i <= j ? (want <= i || want > j) : (want <= i && want > j))
				break;
		}
		memcpy(slot(m, i), slot(m, j), m->stride);
		i = j;
	}
done:
	m->nr--;
}

bool hmap__del(struct hmap *m, struct hmap_key key)
{
	size_t i;

	if (!m->nr)
		return false;
	i = find(m, key);
	if (!slot(m, i)->used)
		return false;
	remove_slot(m, i);
	return true;
}

void *hmap__next(const struct hmap *m, size_t *iter, struct hmap_key *key)
{
	struct slot_head *s;

	for (; *iter < m->cap; (*iter)++) {
		s = slot(m, *iter);
		if (!s->used)
			continue;
		if (key)
			*key = s->key;
		(*iter)++;
		return value_of(s);
	}
	return NULL;
}

size_t hmap__del_if(struct hmap *m, bool (*drop)(void *ctx, struct hmap_key key, void *value),
		    void *ctx)
{
	size_t start = 0, k, i, removed = 0;

	if (!m->nr)
		return 0;
	/*
	 * From an empty slot (the map is at most half full): entries only move
	 * back within a run of used slots, never across an empty one, so each
	 * is seen once and what moves into slot i is looked at again.
	 */
	while (slot(m, start)->used)
		start++;
	for (k = 1; k <= m->cap; k++) {
		i = (start + k) & (m->cap - 1);
		while (slot(m, i)->used && drop(ctx, slot(m, i)->key, value_of(slot(m, i)))) {
			remove_slot(m, i);
			removed++;
		}
	}
	return removed;
}
