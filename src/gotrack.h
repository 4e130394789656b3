/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Live goroutines per creation site, from the probes' births and deaths
 * and the census. Each goroutine is an entry of the allocation table of
 * kind KIND_GOROUTINE: address = goid, size = 1 (the unit is goroutines),
 * stack = its creation stack (a BPF stack id from the creation probe, or,
 * for one born before attach, a ustacks id of its go statement's PC).
 * A census reconciles: goroutines it finds that the table lacks are added
 * (born before attach, or a lost record), table entries it finds dead are
 * removed (a lost exit): counted, never negative. Per site it keeps the
 * census's aggregates (struct go_site). Pure logic.
 */
#ifndef MEMLEAKD_GOTRACK_H
#define MEMLEAKD_GOTRACK_H

#include <stdint.h>

#include "allocs.h"
#include "gocensus.h"
#include "gosite.h"
#include "ustacks.h"

struct gotrack;

struct gotrack_losses {
	uint64_t exits_unseen_birth; /* exit of a goroutine neither a probe nor a census saw born */
	uint64_t creates_missed; /* the census found a live goroutine born after attach the probes
				    missed */
	uint64_t exits_missed;	 /* the census found a goroutine the table held dead */
	uint64_t census_unreadable; /* gs a census could not read (summed over censuses) */
};

/* Blocked-in stack of one census goroutine, for a site's aggregate (gocensus__blocked_stack). */
typedef size_t (*go_blocked_stack_fn)(void *ctx, const struct go_g *g, uint64_t *pcs, size_t max);

struct gotrack *gotrack__new(struct allocs *table, struct ustacks *stacks);
void gotrack__free(struct gotrack *gt);

/* A creation probe's record. 0 or -ENOMEM. */
int gotrack__created(struct gotrack *gt, uint32_t pid, uint64_t goid, int32_t stack_id,
		     uint64_t ts_ns);
/* An exit probe's record. 0, or -ENOENT (unseen birth: counted). */
int gotrack__exited(struct gotrack *gt, uint32_t pid, uint64_t goid, uint64_t ts_ns);

struct gotrack_census {
	const struct go_census *census;
	uint64_t started_ns; /* CLOCK_MONOTONIC (the probes' clock) before the census read allgs */
	uint64_t now_ns;     /* monotonic ns after it, for ages (waitsince is on the same clock) */
	int major, minor;    /* Go version, for wait reason names */
	bool first; /* the census right after attach: everything found is "before attach" */
	go_blocked_stack_fn blocked_stack; /* NULL: no blocked-in stacks */
	void *blocked_ctx;
};

/*
 * Reconciles pid's goroutines with a census (taken after draining the
 * probes' records, and applied after draining them again), and replaces
 * its per-site aggregates. 0 or -ENOMEM.
 */
int gotrack__apply_census(struct gotrack *gt, uint32_t pid, const struct gotrack_census *c);

/* The census aggregate of pid's site stack_id, or NULL (no census yet, or none of it alive). */
const struct go_site *gotrack__site(const struct gotrack *gt, uint32_t pid, int32_t stack_id);
/* User goroutines of pid per the last census, and system ones; 0 before any. */
void gotrack__census_counts(const struct gotrack *gt, uint32_t pid, uint64_t *user,
			    uint64_t *system);

/*
 * When pid's last census was taken (its now_ns), 0 before any: a site's
 * census_age_s is left 0 by gotrack, the caller sets it in its copy from this.
 */
uint64_t gotrack__census_ns(const struct gotrack *gt, uint32_t pid);

/* Goroutines of pid the table holds now (probes and censuses): its live user goroutines. */
uint64_t gotrack__live(const struct gotrack *gt, uint32_t pid);
const struct gotrack_losses *gotrack__losses(const struct gotrack *gt);
/* Forgets pid (it exited or exec'd); its table entries are the caller's to drop. */
void gotrack__forget(struct gotrack *gt, uint32_t pid);

#endif
