// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The hash map (src/hmap.c) against a plain array that says what it must
 * hold, through random puts, deletions and del_if passes — with keys that
 * collide on purpose, so runs of used slots wrap around the table's end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks.h"
#include "hmap.h"

#define KEYS 512

/* Key k of the current universe: small universes in many places make runs wrap. */
static uint64_t universe;

struct value {
	uint64_t n;
	uint32_t tag;
};

/* The reference: present[k] and the value of key k. */
struct model {
	bool present[KEYS];
	uint64_t n[KEYS];
};

static struct hmap_key key_of(size_t k)
{
	/* Few distinct a's and b's: many keys share bits, few share both. */
	return (struct hmap_key){.a = k % 7, .b = k / 7 + universe};
}

static void check_same(const struct hmap *m, const struct model *ref)
{
	struct hmap_key key;
	struct value *v;
	size_t k, iter = 0, seen = 0, nr = 0;

	for (k = 0; k < KEYS; k++) {
		v = hmap__get(m, key_of(k));
		if (!ref->present[k]) {
			assert_null(v);
			continue;
		}
		nr++;
		assert_non_null(v);
		check_u64(v->n, ref->n[k]);
	}
	check_eq(hmap__nr(m), nr);
	while ((v = hmap__next(m, &iter, &key))) {
		k = (size_t)((key.b - universe) * 7 + key.a);
		assert_true(k < KEYS && ref->present[k]);
		check_u64(v->n, ref->n[k]);
		seen++;
	}
	check_eq(seen, nr); /* each entry once */
}

struct drop_ctx {
	size_t div;
	size_t calls; /* each entry must be offered exactly once */
};

static bool drop_multiple_of(void *ctx, struct hmap_key key, void *value)
{
	struct drop_ctx *d = ctx;

	(void)value;
	d->calls++;
	return ((key.b - universe) * 7 + key.a) % d->div == 0;
}

static void run_model(size_t nr_keys, size_t rounds, uint64_t seed)
{
	struct model ref = {0};
	struct hmap m;
	struct value *v;
	uint64_t rng = seed;
	size_t round, k, removed, want, before;
	struct drop_ctx drop;
	bool fresh;

	hmap__init(&m, sizeof(struct value));
	check_same(&m, &ref);
	for (round = 0; round < rounds; round++) {
		k = rng_next(&rng) % nr_keys;
		if (rng_next(&rng) % 3) {
			v = hmap__put(&m, key_of(k), &fresh);
			assert_non_null(v);
			check_eq(fresh, !ref.present[k]);
			if (fresh)
				check_u64(v->n, 0); /* new values are zeroed */
			v->n += round + 1;
			ref.present[k] = true;
			ref.n[k] += round + 1;
		} else {
			check_eq(hmap__del(&m, key_of(k)), ref.present[k]);
			ref.present[k] = false;
			ref.n[k] = 0;
		}
		if (round % 97 == 0) {
			drop = (struct drop_ctx){.div = 2 + rng_next(&rng) % 5};
			for (k = want = 0; k < KEYS; k++) {
				if (ref.present[k] && k % drop.div == 0) {
					ref.present[k] = false;
					ref.n[k] = 0;
					want++;
				}
			}
			before = hmap__nr(&m);
			removed = hmap__del_if(&m, drop_multiple_of, &drop);
			check_eq(removed, want);
			check_eq(drop.calls, before);
		}
		if (round % 11 == 0)
			check_same(&m, &ref);
	}
	check_same(&m, &ref);
	hmap__free(&m);
}

static void test_against_model(void **state)
{
	(void)state;
	universe = 0;
	run_model(KEYS, 20000, 42);
}

/* A dozen keys in a 32-slot table, in 300 places of the key space: some runs wrap. */
static void test_wrapping_runs(void **state)
{
	(void)state;
	for (universe = 1; universe <= 300; universe++)
		run_model(12, 600, universe);
}

static void test_set_and_empty(void **state)
{
	struct hmap set;
	struct drop_ctx drop = {.div = 1};
	size_t iter = 0;
	bool fresh;

	(void)state;
	hmap__init(&set, 0); /* a set: values of no size */
	assert_null(hmap__get(&set, key_of(3)));
	assert_false(hmap__del(&set, key_of(3)));
	check_eq(hmap__del_if(&set, drop_multiple_of, &drop), 0);
	assert_null(hmap__next(&set, &iter, NULL));
	assert_non_null(hmap__put(&set, key_of(3), &fresh));
	assert_true(fresh);
	assert_non_null(hmap__put(&set, key_of(3), &fresh));
	assert_false(fresh);
	assert_non_null(hmap__get(&set, key_of(3)));
	check_eq(hmap__del_if(&set, drop_multiple_of, &drop), 1);
	check_eq(hmap__nr(&set), 0);
	hmap__free(&set);
	hmap__free(&set); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_against_model),
	    cmocka_unit_test(test_wrapping_runs),
	    cmocka_unit_test(test_set_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
