// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "hmap.h"

/* The value kept per (pid, stack id). */
struct entry {
	bool candidate; /* the trend criteria held at the last interval */
	struct stack_history hist;
};

struct history {
	struct hmap entries; /* (pid and kind, stack_id) -> struct entry */
	size_t window;
	struct trend_params params;
	double min_rate[NR_KINDS]; /* per kind; 0: params.min_rate */
};

static struct hmap_key key_of(uint32_t pid, enum alloc_kind kind, int32_t stack_id)
{
	return (struct hmap_key){.a = pid | (uint64_t)kind << 32, .b = (uint32_t)stack_id};
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
	hmap__init(&h->entries, sizeof(struct entry));
	h->window = window;
	h->params = *params;
	return h;
}

void history__destroy(struct history *h)
{
	if (!h)
		return;
	hmap__free(&h->entries);
	free(h);
}

static void push(struct stack_history *s, size_t window, uint64_t value)
{
	if (window >= 2 && s->nr_values >= window) {
		memmove(s->values, s->values + 1, (window - 1) * sizeof(s->values[0]));
		s->nr_values = window - 1;
	}
	s->values[s->nr_values++] = value;
}

void history__set_min_rate(struct history *h, enum alloc_kind kind, double min_rate)
{
	if ((unsigned int)kind < NR_KINDS)
		h->min_rate[kind] = min_rate;
}

int history__record(struct history *h, uint32_t pid, enum alloc_kind kind, int32_t stack_id,
		    uint64_t outstanding)
{
	struct entry *e;
	bool candidate, fresh;

	e = hmap__put(&h->entries, key_of(pid, kind, stack_id), &fresh);
	if (!e)
		return -ENOMEM;
	if (fresh)
		push(&e->hist, h->window, 0); /* nothing was outstanding before it was seen */
	push(&e->hist, h->window, outstanding);
	if ((unsigned int)kind < NR_KINDS && h->min_rate[kind] > 0) {
		struct trend_params params = h->params;

		params.min_rate = h->min_rate[kind];
		trend__evaluate(e->hist.values, e->hist.nr_values, &params, &e->hist.trend);
	} else {
		trend__evaluate(e->hist.values, e->hist.nr_values, &h->params, &e->hist.trend);
	}
	candidate = e->hist.trend.growing;
	/* Two intervals in a row: a chance run of noisy values rarely lasts. */
	e->hist.growing = candidate && e->candidate;
	e->candidate = candidate;
	return 0;
}

const struct stack_history *history__get(const struct history *h, uint32_t pid,
					 enum alloc_kind kind, int32_t stack_id)
{
	const struct entry *e = hmap__get(&h->entries, key_of(pid, kind, stack_id));

	return e ? &e->hist : NULL;
}

static bool of_pid(void *ctx, struct hmap_key key, void *value)
{
	(void)value;
	return (uint32_t)key.a == *(const uint32_t *)ctx;
}

void history__drop_pid(struct history *h, uint32_t pid)
{
	hmap__del_if(&h->entries, of_pid, &pid);
}
