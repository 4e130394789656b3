// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitlog.h"
#include "hmap.h"
#include "stackid.h"

struct entry {
	char exe[SNAPSHOT_EXE_LEN]; /* the key: exe, or comm when the exe is unknown */
	char comm[SNAPSHOT_COMM_LEN];
	enum alloc_kind kind;
	uint64_t stack_hash;
	struct frame *frames; /* one block with their strings */
	size_t nr_frames;
	uint64_t bytes, count, nr_procs;
	uint64_t last_proc; /* the token of the last process that added to it */
	double last_exit_s;
	/* Cumulative bytes per interval, oldest first, and the verdict (as history.c). */
	uint64_t values[TREND_MAX_WINDOW];
	size_t nr_values;
	struct trend trend;
	bool candidate, growing;
};

struct exitlog {
	struct hmap index; /* (stack_hash, key name's hash and kind) -> struct entry * */
	struct entry **list;
	size_t nr, cap;
	size_t window;
	struct trend_params params;
	uint64_t next_proc, counted_proc;
	uint64_t nr_procs, evicted, cut;
};

struct exitlog *exitlog__new(size_t cap, size_t window, const struct trend_params *params)
{
	struct exitlog *log;

	if (!cap || window < 2 || window > TREND_MAX_WINDOW) {
		errno = EINVAL;
		return NULL;
	}
	log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	log->list = calloc(cap, sizeof(*log->list));
	if (!log->list) {
		free(log);
		return NULL;
	}
	hmap__init(&log->index, sizeof(struct entry *));
	log->cap = cap;
	log->window = window;
	log->params = *params;
	return log;
}

static void free_entry(struct entry *e)
{
	if (!e)
		return;
	free(e->frames);
	free(e);
}

void exitlog__free(struct exitlog *log)
{
	size_t i;

	if (!log)
		return;
	for (i = 0; i < log->nr; i++)
		free_entry(log->list[i]);
	free(log->list);
	hmap__free(&log->index);
	free(log);
}

uint64_t exitlog__begin_proc(struct exitlog *log)
{
	return ++log->next_proc;
}

static size_t text_size(const char *text)
{
	return text ? strlen(text) + 1 : 0;
}

/* Copies text to *at (advanced); NULL stays NULL. */
static const char *put_text(char **at, const char *text)
{
	size_t len = text_size(text);
	char *copy = *at;

	if (!text)
		return NULL;
	memcpy(copy, text, len);
	*at += len;
	return copy;
}

struct frame *exitlog__copy_frames(const struct frame *frames, size_t nr)
{
	size_t i, size = nr * sizeof(*frames);
	struct frame *copy;
	char *at;

	for (i = 0; i < nr; i++)
		size += text_size(frames[i].symbol) + text_size(frames[i].module) +
			text_size(frames[i].build_id) + text_size(frames[i].file);
	copy = malloc(size ? size : 1);
	if (!copy)
		return NULL;
	at = (char *)(copy + nr);
	for (i = 0; i < nr; i++) {
		copy[i] = frames[i];
		copy[i].symbol = put_text(&at, frames[i].symbol);
		copy[i].module = put_text(&at, frames[i].module);
		copy[i].build_id = put_text(&at, frames[i].build_id);
		copy[i].file = put_text(&at, frames[i].file);
	}
	return copy;
}

static uint64_t hash_text(const char *text)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *text; text++)
		h = (h ^ (unsigned char)*text) * 0x100000001b3ULL;
	return h;
}

static struct hmap_key key_of(const char *name, enum alloc_kind kind, uint64_t stack_hash)
{
	return (struct hmap_key){.a = stack_hash, .b = hash_text(name) ^ (uint64_t)kind};
}

/* The eviction victim: least recently touched, then fewest bytes. */
static size_t victim(const struct exitlog *log)
{
	size_t i, v = 0;
	const struct entry *a, *b;

	for (i = 1; i < log->nr; i++) {
		a = log->list[i];
		b = log->list[v];
		if (a->last_proc < b->last_proc ||
		    (a->last_proc == b->last_proc && a->bytes < b->bytes))
			v = i;
	}
	return v;
}

static void evict(struct exitlog *log)
{
	size_t v = victim(log);
	struct entry *e = log->list[v];

	hmap__del(&log->index, key_of(e->exe, e->kind, e->stack_hash));
	log->list[v] = log->list[--log->nr];
	free_entry(e);
	log->evicted++;
}

/* A new entry for key (not in the map yet); NULL when out of memory. */
static struct entry *new_entry(struct exitlog *log, const char *name,
			       const struct exitlog_stack *st, uint64_t hash)
{
	struct entry *e = calloc(1, sizeof(*e)), **slot;
	bool fresh;

	if (!e || !(e->frames = exitlog__copy_frames(st->frames, st->nr_frames))) {
		free(e);
		return NULL;
	}
	snprintf(e->exe, sizeof(e->exe), "%s", name);
	e->kind = st->kind;
	e->stack_hash = hash;
	e->nr_frames = st->nr_frames;
	if (log->nr == log->cap)
		evict(log);
	slot = hmap__put(&log->index, key_of(e->exe, e->kind, hash), &fresh);
	if (!slot) {
		free_entry(e);
		return NULL;
	}
	*slot = e;
	log->list[log->nr++] = e;
	return e;
}

int exitlog__add(struct exitlog *log, uint64_t proc, const struct exitlog_stack *st)
{
	const char *name = st->exe && st->exe[0] ? st->exe : st->comm ? st->comm : "";
	uint64_t hash = stackid__hash(st->kind, st->frames, st->nr_frames);
	char key[SNAPSHOT_EXE_LEN];
	struct entry **slot, *e;

	snprintf(key, sizeof(key), "%s", name); /* as the entry keeps it: cut alike */
	slot = hmap__get(&log->index, key_of(key, st->kind, hash));
	e = slot ? *slot : new_entry(log, key, st, hash);
	if (!e)
		return -ENOMEM;
	e->bytes += st->bytes;
	e->count += st->count;
	if (e->last_proc != proc)
		e->nr_procs++;
	e->last_proc = proc;
	e->last_exit_s = st->now_s;
	snprintf(e->comm, sizeof(e->comm), "%s", st->comm ? st->comm : "");
	if (log->counted_proc != proc) {
		log->counted_proc = proc;
		log->nr_procs++;
	}
	return 0;
}

static void push(struct entry *e, size_t window, uint64_t value)
{
	if (window >= 2 && e->nr_values >= window) {
		memmove(e->values, e->values + 1, (window - 1) * sizeof(e->values[0]));
		e->nr_values = window - 1;
	}
	e->values[e->nr_values++] = value;
}

void exitlog__end_interval(struct exitlog *log)
{
	struct entry *e;
	bool candidate;
	size_t i;

	for (i = 0; i < log->nr; i++) {
		e = log->list[i];
		if (!e->nr_values)
			push(e, log->window, 0); /* nothing was left on it before its first exit */
		push(e, log->window, e->bytes);
		trend__evaluate(e->values, e->nr_values, &log->params, &e->trend);
		/* Two intervals in a row, as for a live stack (history.c). */
		candidate = e->trend.growing;
		e->growing = candidate && e->candidate;
		e->candidate = candidate;
	}
}

size_t exitlog__nr(const struct exitlog *log)
{
	return log->nr;
}

uint64_t exitlog__procs(const struct exitlog *log)
{
	return log->nr_procs;
}

uint64_t exitlog__evicted(const struct exitlog *log)
{
	return log->evicted;
}

void exitlog__count_cut(struct exitlog *log, uint64_t nr)
{
	log->cut += nr;
}

uint64_t exitlog__cut(const struct exitlog *log)
{
	return log->cut;
}

static int by_bytes_desc(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;
	int c;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = strcmp(x->exe, y->exe);
	if (c)
		return c;
	return x->stack_hash < y->stack_hash ? -1 : x->stack_hash > y->stack_hash;
}

static int by_growth_desc(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;

	if (x->growing != y->growing)
		return x->growing ? -1 : 1;
	if (x->trend.rate != y->trend.rate)
		return x->trend.rate > y->trend.rate ? -1 : 1;
	return by_bytes_desc(a, b);
}

int exitlog__export(const struct exitlog *log, int sort, size_t max, double now_s,
		    struct snapshot_exited **out, size_t *nr, size_t *omitted)
{
	struct entry **order = malloc((log->nr ? log->nr : 1) * sizeof(*order));
	struct snapshot_exited *ex;
	const struct entry *e;
	size_t i, n = log->nr < max ? log->nr : max;

	*out = NULL;
	*nr = 0;
	*omitted = 0;
	ex = calloc(n ? n : 1, sizeof(*ex));
	if (!order || !ex) {
		free(order);
		free(ex);
		return -ENOMEM;
	}
	memcpy(order, log->list, log->nr * sizeof(*order));
	qsort(order, log->nr, sizeof(*order),
	      sort == SNAPSHOT_SORT_GROWTH ? by_growth_desc : by_bytes_desc);
	for (i = 0; i < n; i++) {
		e = order[i];
		ex[i].frames = exitlog__copy_frames(e->frames, e->nr_frames);
		if (!ex[i].frames) {
			while (i--)
				free(ex[i].frames);
			free(ex);
			free(order);
			return -ENOMEM;
		}
		memcpy(ex[i].exe, e->exe, sizeof(ex[i].exe));
		memcpy(ex[i].comm, e->comm, sizeof(ex[i].comm));
		ex[i].kind = e->kind;
		ex[i].stack_hash = e->stack_hash;
		ex[i].nr_frames = e->nr_frames;
		ex[i].bytes = e->bytes;
		ex[i].count = e->count;
		ex[i].nr_procs = e->nr_procs;
		ex[i].rate = e->nr_values ? e->trend.rate : 0;
		ex[i].growing = e->growing;
		ex[i].last_exit_age_s = now_s > e->last_exit_s ? now_s - e->last_exit_s : 0;
	}
	free(order);
	*out = ex;
	*nr = n;
	*omitted = log->nr - n;
	return 0;
}

bool exitlog__view(const struct exitlog *log, size_t i, struct exitlog_view *out)
{
	const struct entry *e;

	if (i >= log->nr)
		return false;
	e = log->list[i];
	*out = (struct exitlog_view){
	    .exe = e->exe,
	    .kind = e->kind,
	    .stack_hash = e->stack_hash,
	    .frames = e->frames,
	    .nr_frames = e->nr_frames,
	    .bytes = e->bytes,
	    .count = e->count,
	    .nr_procs = e->nr_procs,
	    .values = e->values,
	    .nr_values = e->nr_values,
	    .rate = e->trend.rate,
	    .growing = e->growing,
	};
	return true;
}
