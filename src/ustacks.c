// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Interned PC arrays: a hash of the PCs -> the ids with that hash (chained
 * through next), so equal stacks share one id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "ustacks.h"

struct ustack {
	uint64_t *pcs;
	size_t nr;
	int32_t next; /* index of the next stack with the same hash, or -1 */
};

struct ustacks {
	struct ustack *list;
	size_t nr, cap;
	struct hmap by_hash; /* hash -> index of the first stack with it (int32_t) */
};

static uint64_t hash_pcs(const uint64_t *pcs, size_t nr)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ nr;
	size_t i;

	for (i = 0; i < nr; i++) {
		h ^= pcs[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

struct ustacks *ustacks__new(void)
{
	struct ustacks *s = calloc(1, sizeof(*s));

	if (s)
		hmap__init(&s->by_hash, sizeof(int32_t));
	return s;
}

void ustacks__free(struct ustacks *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nr; i++)
		free(s->list[i].pcs);
	free(s->list);
	hmap__free(&s->by_hash);
	free(s);
}

static int32_t find(const struct ustacks *s, int32_t idx, const uint64_t *pcs, size_t nr)
{
	for (; idx >= 0; idx = s->list[idx].next)
		if (s->list[idx].nr == nr && !memcmp(s->list[idx].pcs, pcs, nr * sizeof(*pcs)))
			return idx;
	return -1;
}

static int append(struct ustacks *s, const uint64_t *pcs, size_t nr, int32_t next)
{
	struct ustack *grown;
	size_t cap;

	if (s->nr >= USTACK_MAX_IDS)
		return -ENOSPC;
	if (s->nr == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		grown = realloc(s->list, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->list = grown;
		s->cap = cap;
	}
	s->list[s->nr].pcs = malloc((nr ? nr : 1) * sizeof(*pcs));
	if (!s->list[s->nr].pcs)
		return -ENOMEM;
	memcpy(s->list[s->nr].pcs, pcs, nr * sizeof(*pcs));
	s->list[s->nr].nr = nr;
	s->list[s->nr].next = next;
	return (int)s->nr++;
}

int32_t ustacks__intern(struct ustacks *s, const uint64_t *pcs, size_t nr)
{
	struct hmap_key key;
	int32_t *head, idx;
	bool fresh;
	int added;

	if (nr > USTACK_MAX_DEPTH)
		nr = USTACK_MAX_DEPTH;
	key.a = hash_pcs(pcs, nr);
	key.b = nr;
	head = hmap__get(&s->by_hash, key);
	if (head) {
		idx = find(s, *head, pcs, nr);
		if (idx >= 0)
			return USTACK_ID_BASE + idx;
	}
	added = append(s, pcs, nr, head ? *head : -1);
	if (added < 0)
		return added;
	head = hmap__put(&s->by_hash, key, &fresh);
	if (!head) {
		free(s->list[--s->nr].pcs);
		return -ENOMEM;
	}
	*head = added;
	return USTACK_ID_BASE + added;
}

int ustacks__read(void *ctx, int32_t stack_id, uint64_t *ips, size_t max_ips)
{
	const struct ustacks *s = ctx;
	const struct ustack *st;
	size_t idx, nr;

	if (!ustacks__owns(stack_id) || (size_t)(stack_id - USTACK_ID_BASE) >= s->nr)
		return -ENOENT;
	idx = (size_t)(stack_id - USTACK_ID_BASE);
	st = &s->list[idx];
	nr = st->nr < max_ips ? st->nr : max_ips;
	memcpy(ips, st->pcs, nr * sizeof(*ips));
	return (int)nr;
}

size_t ustacks__count(const struct ustacks *s)
{
	return s->nr;
}
