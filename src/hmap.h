/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A hash map from a two-word key to a fixed-size value, for the tables off
 * the hot path (the allocation table keeps its own, benchmarked layout).
 * Open addressing with linear probing, at most half full; deletion shifts
 * entries back, so no tombstones. Pure: no globals.
 */
#ifndef MEMLEAKD_HMAP_H
#define MEMLEAKD_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_key {
	uint64_t a, b;
};

struct hmap {
	unsigned char *slots; /* cap slots of stride bytes: used flag, key, value */
	size_t cap, nr;
	size_t value_size, stride;
};

/* An empty map of values of value_size bytes (0: a set); allocates on first put. */
void hmap__init(struct hmap *m, size_t value_size);
void hmap__free(struct hmap *m);

/* The value of key, or NULL. Valid until the next put or del. */
void *hmap__get(const struct hmap *m, struct hmap_key key);
/*
 * The value of key, added (zeroed, *fresh set) when absent. NULL when out
 * of memory. Valid until the next put or del.
 */
void *hmap__put(struct hmap *m, struct hmap_key key, bool *fresh);
/* Removes key; true when it was there. */
bool hmap__del(struct hmap *m, struct hmap_key key);
/*
 * Iteration: start *iter at 0; each call gives the next value (and its key
 * when key is not NULL), NULL at the end. The map must not change meanwhile.
 */
void *hmap__next(const struct hmap *m, size_t *iter, struct hmap_key *key);
/* Removes every entry for which drop(ctx, key, value) is true; how many were removed. */
size_t hmap__del_if(struct hmap *m, bool (*drop)(void *ctx, struct hmap_key key, void *value),
		    void *ctx);

static inline size_t hmap__nr(const struct hmap *m)
{
	return m->nr;
}

#endif
