// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

struct entry {
	bool used;
	uint32_t pid;
	int32_t stack_id;
	bool candidate; /* the trend criteria held at the last interval */
	struct stack_history hist;
};

struct history {
	struct entry *entries; /* open addressing, at most half full */
	size_t cap, nr;
	size_t window;
	struct trend_params params;
};

static size_t home(const struct history *h, uint32_t pid, int32_t stack_id)
{
	uint64_t key = ((uint64_t)pid << 32) | (uint32_t)stack_id;

	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (h->cap - 1);
}

static struct entry *slot_of(const struct history *h, uint32_t pid, int32_t stack_id)
{
	size_t i = home(h, pid, stack_id);

	while (h->entries[i].used &&
	       (h->entries[i].pid != pid || h->entries[i].stack_id != stack_id))
		i = (i + 1) & (h->cap - 1);
	return &h->entries[i];
}

struct history *history__new(size_t window, const struct trend_params *params)
{
	struct history *h;

	if (window < 2 || window > TREND_MAX_WINDOW) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->cap = 64;
	h->entries = calloc(h->cap, sizeof(*h->entries));
	if (!h->entries) {
		free(h);
		return NULL;
	}
	h->window = window;
	h->params = *params;
	return h;
}

void history__destroy(struct history *h)
{
	if (!h)
		return;
	free(h->entries);
	free(h);
}

static int grow(struct history *h)
{
	struct entry *old = h->entries;
	size_t old_cap = h->cap, i;

	h->entries = calloc(old_cap * 2, sizeof(*h->entries));
	if (!h->entries) {
		h->entries = old;
		return -ENOMEM;
	}
	h->cap = old_cap * 2;
	for (i = 0; i < old_cap; i++)
		if (old[i].used)
			*slot_of(h, old[i].pid, old[i].stack_id) = old[i];
	free(old);
	return 0;
}

static void push(struct stack_history *s, size_t window, uint64_t value)
{
	if (window >= 2 && s->nr_values >= window) {
		memmove(s->values, s->values + 1, (window - 1) * sizeof(s->values[0]));
		s->nr_values = window - 1;
	}
	s->values[s->nr_values++] = value;
}

int history__record(struct history *h, uint32_t pid, int32_t stack_id, uint64_t outstanding)
{
	struct entry *e;
	bool candidate;

	if (2 * (h->nr + 1) > h->cap && grow(h))
		return -ENOMEM;
	e = slot_of(h, pid, stack_id);
	if (!e->used) {
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->pid = pid;
		e->stack_id = stack_id;
		push(&e->hist, h->window, 0); /* nothing was outstanding before it was seen */
		h->nr++;
	}
	push(&e->hist, h->window, outstanding);
	trend__evaluate(e->hist.values, e->hist.nr_values, &h->params, &e->hist.trend);
	candidate = e->hist.trend.growing;
	/* Two intervals in a row: a chance run of noisy values rarely lasts. */
	e->hist.growing = candidate && e->candidate;
	e->candidate = candidate;
	return 0;
}

const struct stack_history *history__get(const struct history *h, uint32_t pid, int32_t stack_id)
{
	const struct entry *e = slot_of(h, pid, stack_id);

	return e->used ? &e->hist : NULL;
}

void history__drop_pid(struct history *h, uint32_t pid)
{
	struct entry *old = h->entries;
	size_t old_cap = h->cap, i;

	/* Rebuilding keeps probe chains intact without tombstones; exits are rare. */
	h->entries = calloc(old_cap, sizeof(*h->entries));
	if (!h->entries) {
		h->entries = old;
		for (i = 0; i < old_cap; i++)
			if (old[i].used && old[i].pid == pid)
				old[i].hist.growing = false;
		return;
	}
	h->nr = 0;
	for (i = 0; i < old_cap; i++) {
		if (!old[i].used || old[i].pid == pid)
			continue;
		*slot_of(h, old[i].pid, old[i].stack_id) = old[i];
		h->nr++;
	}
	free(old);
}
