// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The goroutine tracker (src/gotrack.c) on a real allocation table and
 * ustacks: probe births and deaths, censuses (hand-made struct go_census)
 * that add goroutines born before attach, repair lost records, respect the
 * races between the probes and a census, and give per-site aggregates.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks.h"
#include "gotrack.h"

#define PID	  4242
#define SITE_A	  7 /* BPF stack ids of creation stacks */
#define SITE_B	  8
#define SECOND_NS 1000000000ULL

struct fixture {
	struct allocs *table;
	struct ustacks *stacks;
	struct gotrack *gt;
	struct go_g gs[2048];
	struct go_census census;
	struct gotrack_census apply;
};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->table = allocs__new();
	f->stacks = ustacks__new();
	assert_non_null(f->table);
	assert_non_null(f->stacks);
	f->gt = gotrack__new(f->table, f->stacks);
	assert_non_null(f->gt);
	f->census.gs = f->gs;
	f->apply = (struct gotrack_census){.census = &f->census,
					   .started_ns = 1000 * SECOND_NS,
					   .now_ns = 1000 * SECOND_NS + 5000,
					   .major = 1,
					   .minor = 23};
	return f;
}

static void fixture_free(struct fixture *f)
{
	gotrack__free(f->gt);
	ustacks__free(f->stacks);
	allocs__destroy(f->table);
	free(f);
}

/* Starts a new census at started_ns (now 5 us later) holding nothing. */
static void census_begin(struct fixture *f, uint64_t started_ns, bool first)
{
	f->census = (struct go_census){.gs = f->gs};
	f->apply.started_ns = started_ns;
	f->apply.now_ns = started_ns + 5000;
	f->apply.first = first;
}

/* Adds a live g to the census: user unless startpc is 0x401xxx (a runtime function). */
static struct go_g *census_add(struct fixture *f, uint64_t goid, uint64_t gopc, uint32_t status)
{
	struct go_g *g = &f->gs[f->census.nr++];

	*g = (struct go_g){.g = 0xc000000000 + goid * 0x200,
			   .goid = goid,
			   .gopc = gopc,
			   .startpc = gopc + 0x100,
			   .status = status,
			   .stack_lo = 0xc100000000 + goid * 0x2000,
			   .stack_hi = 0xc100000000 + goid * 0x2000 + 8192};
	g->system = (gopc >> 12) == 0x401;
	if (g->system)
		f->census.nr_system++;
	else
		f->census.nr_user++;
	return g;
}

static int census_apply(struct fixture *f)
{
	return gotrack__apply_census(f->gt, PID, &f->apply);
}

/* Goroutines the table holds for (PID, stack_id). */
static uint64_t live_at(const struct fixture *f, int32_t stack_id)
{
	const struct stack_stats *all;
	size_t n, i;

	all = allocs__stacks(f->table, &n);
	for (i = 0; i < n; i++)
		if (all[i].pid == PID && all[i].kind == KIND_GOROUTINE &&
		    all[i].stack_id == stack_id)
			return all[i].outstanding_count;
	return 0;
}

static uint64_t live_total(const struct fixture *f)
{
	return allocs__kind_totals(f->table, KIND_GOROUTINE)->outstanding_count;
}

/* The ustacks id a goroutine first seen by a census is filed under: its go statement. */
static int32_t gopc_site(struct fixture *f, uint64_t gopc)
{
	return ustacks__intern(f->stacks, &gopc, 1);
}

static void test_births_and_deaths(void **state)
{
	struct fixture *f = fixture_new();
	const struct gotrack_losses *losses = gotrack__losses(f->gt);

	(void)state;
	check_eq(gotrack__created(f->gt, PID, 10, SITE_A, 100), 0);
	check_eq(gotrack__created(f->gt, PID, 11, SITE_A, 101), 0);
	check_eq(gotrack__created(f->gt, PID, 12, SITE_B, 102), 0);
	check_u64(live_at(f, SITE_A), 2);
	check_u64(live_at(f, SITE_B), 1);
	check_eq(gotrack__exited(f->gt, PID, 11, 200), 0);
	check_u64(live_at(f, SITE_A), 1);
	check_u64(live_total(f), 2);
	/* A repeated creation record changes nothing. */
	check_eq(gotrack__created(f->gt, PID, 10, SITE_B, 103), 0);
	check_u64(live_at(f, SITE_A), 1);
	check_u64(live_at(f, SITE_B), 1);
	/* The same goid in another process is another goroutine. */
	check_eq(gotrack__created(f->gt, PID + 1, 10, SITE_A, 104), 0);
	check_eq(gotrack__exited(f->gt, PID + 1, 10, 300), 0);
	check_u64(live_at(f, SITE_A), 1);
	check_u64(losses->exits_unseen_birth, 0);
	check_u64(allocs__kind_totals(f->table, KIND_GOROUTINE)->unmatched_frees, 0);
	fixture_free(f);
}

static void test_exit_unseen_birth_counted_apart(void **state)
{
	struct fixture *f = fixture_new();

	(void)state;
	check_eq(gotrack__created(f->gt, PID, 10, SITE_A, 100), 0);
	check_eq(gotrack__exited(f->gt, PID, 99, 200), -ENOENT);
	check_eq(gotrack__exited(f->gt, PID, 10, 200), 0);
	check_eq(gotrack__exited(f->gt, PID, 10, 201), -ENOENT); /* twice: the second is unseen */
	check_u64(gotrack__losses(f->gt)->exits_unseen_birth, 2);
	check_u64(allocs__kind_totals(f->table, KIND_GOROUTINE)->unmatched_frees, 0);
	check_u64(live_total(f), 0);
	fixture_free(f);
}

/* The census right after attach: what the probes did not see born was born before. */
static void test_first_census_adds_before_attach(void **state)
{
	struct fixture *f = fixture_new();
	const struct gotrack_losses *losses = gotrack__losses(f->gt);
	uint64_t user, system;
	const struct go_site *site;

	(void)state;
	check_eq(gotrack__created(f->gt, PID, 50, SITE_A, 999 * SECOND_NS), 0); /* after attach */
	census_begin(f, 1000 * SECOND_NS, true);
	census_add(f, 1, 0x480010, GO_GWAITING);
	census_add(f, 2, 0x480020, GO_GWAITING);
	census_add(f, 3, 0x480020, GO_GRUNNABLE);
	census_add(f, 50, 0x480030, GO_GRUNNABLE);
	census_add(f, 4, 0x401040, GO_GWAITING); /* a runtime worker */
	check_eq(census_apply(f), 0);
	check_u64(live_total(f), 4);
	check_u64(gotrack__live(f->gt, PID), 4); /* NumGoroutine, between censuses too */
	check_u64(live_at(f, gopc_site(f, 0x480010)), 1);
	check_u64(live_at(f, gopc_site(f, 0x480020)), 2);
	check_u64(live_at(f, SITE_A), 1);
	check_u64(live_at(f, gopc_site(f, 0x401040)), 0);
	check_u64(losses->creates_missed, 0);
	check_u64(losses->exits_missed, 0);
	gotrack__census_counts(f->gt, PID, &user, &system);
	check_u64(user, 4);
	check_u64(system, 1);
	site = gotrack__site(f->gt, PID, gopc_site(f, 0x480020));
	assert_non_null(site);
	check_eq(site->before_attach, true);
	check_hex(site->start_pc, 0x480120);
	site = gotrack__site(f->gt, PID, SITE_A);
	assert_non_null(site);
	check_eq(site->before_attach, false);
	/* A before-attach goroutine's exit is a normal death, and never twice. */
	check_eq(gotrack__exited(f->gt, PID, 2, 1001 * SECOND_NS), 0);
	check_eq(gotrack__exited(f->gt, PID, 2, 1001 * SECOND_NS), -ENOENT);
	check_u64(live_at(f, gopc_site(f, 0x480020)), 1);
	check_u64(live_total(f), 3);
	check_u64(gotrack__live(f->gt, PID), 3);
	/* The same census again adds nothing twice, and the dead one does not come back. */
	census_begin(f, 1002 * SECOND_NS, false);
	census_add(f, 1, 0x480010, GO_GWAITING);
	census_add(f, 3, 0x480020, GO_GRUNNABLE);
	census_add(f, 50, 0x480030, GO_GRUNNABLE);
	check_eq(census_apply(f), 0);
	check_u64(live_total(f), 3);
	check_u64(losses->creates_missed, 0);
	check_u64(losses->exits_missed, 0);
	fixture_free(f);
}

/* A later census repairs a lost creation record and a lost exit record. */
/* The main goroutine: the runtime's go statement says nothing, the function it runs does. */
static void test_runtime_made_goroutine_filed_by_start(void **state)
{
	struct fixture *f = fixture_new();
	struct go_g *g;

	(void)state;
	census_begin(f, 1000 * SECOND_NS, true);
	g = census_add(f, 1, 0x402010, GO_GWAITING);
	g->runtime_made = true;
	g->startpc = 0x430000; /* runtime.main: a user goroutine */
	census_add(f, 2, 0x480010, GO_GWAITING);
	check_eq(census_apply(f), 0);
	check_u64(live_at(f, gopc_site(f, 0x430001)), 1);
	check_u64(live_at(f, gopc_site(f, 0x402010)), 0);
	check_u64(live_at(f, gopc_site(f, 0x480010)), 1);
	fixture_free(f);
}

static void test_later_census_repairs_losses(void **state)
{
	struct fixture *f = fixture_new();
	const struct gotrack_losses *losses = gotrack__losses(f->gt);
	const struct go_site *site;

	(void)state;
	census_begin(f, 900 * SECOND_NS, true);
	check_eq(census_apply(f), 0);
	check_eq(gotrack__created(f->gt, PID, 10, SITE_A, 950 * SECOND_NS), 0);
	check_eq(gotrack__created(f->gt, PID, 11, SITE_A, 950 * SECOND_NS), 0); /* exit lost */
	census_begin(f, 1000 * SECOND_NS, false);
	census_add(f, 10, 0x480010, GO_GWAITING);
	census_add(f, 12, 0x480050, GO_GWAITING); /* creation lost */
	check_eq(census_apply(f), 0);
	check_u64(losses->creates_missed, 1);
	check_u64(losses->exits_missed, 1);
	check_u64(live_at(f, SITE_A), 1);
	check_u64(live_at(f, gopc_site(f, 0x480050)), 1);
	check_u64(live_total(f), 2);
	check_u64(gotrack__live(f->gt, PID), 2); /* the repaired exit and birth count too */
	site = gotrack__site(f->gt, PID, gopc_site(f, 0x480050));
	assert_non_null(site);
	check_eq(site->before_attach, false);
	/* The repaired exit is not counted again when its record finally arrives. */
	check_eq(gotrack__exited(f->gt, PID, 11, 1001 * SECOND_NS), -ENOENT);
	check_u64(live_total(f), 2);
	fixture_free(f);
}

/* Records that race a census: exits it could not know of, births after it began. */
static void test_census_races(void **state)
{
	struct fixture *f = fixture_new();
	const struct gotrack_losses *losses = gotrack__losses(f->gt);

	(void)state;
	check_eq(gotrack__created(f->gt, PID, 21, SITE_A, 500 * SECOND_NS), 0);
	census_begin(f, 1000 * SECOND_NS, true);
	census_add(f, 20, 0x480010, GO_GWAITING); /* born before attach, read live ... */
	census_add(f, 21, 0x480020, GO_GWAITING); /* born after attach, read live ... */
	/* ... both died before the census was applied. */
	check_eq(gotrack__exited(f->gt, PID, 20, 1000 * SECOND_NS + 10), -ENOENT);
	check_eq(gotrack__exited(f->gt, PID, 21, 1000 * SECOND_NS + 20), 0);
	/* Born after the census began: it cannot be in it. */
	check_eq(gotrack__created(f->gt, PID, 22, SITE_B, 1000 * SECOND_NS + 30), 0);
	check_eq(census_apply(f), 0);
	check_u64(live_total(f), 1);
	check_u64(live_at(f, SITE_B), 1);
	check_u64(live_at(f, gopc_site(f, 0x480010)), 0);
	check_u64(losses->exits_missed, 0);
	check_u64(losses->creates_missed, 0);
	/* A census that could not read every g proves no death. */
	census_begin(f, 1100 * SECOND_NS, false);
	f->census.nr_unreadable = 1;
	check_eq(census_apply(f), 0);
	check_u64(live_at(f, SITE_B), 1);
	check_u64(losses->exits_missed, 0);
	check_u64(losses->census_unreadable, 1);
	census_begin(f, 1101 * SECOND_NS, false);
	f->census.nr_skipped = 1;
	check_eq(census_apply(f), 0);
	check_u64(live_at(f, SITE_B), 1);
	/* A complete one does. */
	census_begin(f, 1102 * SECOND_NS, false);
	check_eq(census_apply(f), 0);
	check_u64(live_at(f, SITE_B), 0);
	check_u64(losses->exits_missed, 1);
	fixture_free(f);
}

/* A creation record for what a census then calls a system goroutine: dropped, no loss. */
static void test_system_goroutines_kept_out(void **state)
{
	struct fixture *f = fixture_new();
	const struct gotrack_losses *losses = gotrack__losses(f->gt);
	uint64_t user, system;

	(void)state;
	gotrack__census_counts(f->gt, PID, &user, &system);
	check_u64(user + system, 0);
	check_eq(gotrack__created(f->gt, PID, 30, SITE_A, 500 * SECOND_NS), 0);
	check_eq(gotrack__created(f->gt, PID, 31, SITE_A, 500 * SECOND_NS), 0);
	census_begin(f, 1000 * SECOND_NS, false);
	census_add(f, 30, 0x401100, GO_GWAITING);
	census_add(f, 31, 0x480010, GO_GWAITING);
	census_add(f, 32, 0x401200, GO_GWAITING); /* never seen born */
	check_eq(census_apply(f), 0);
	check_u64(live_at(f, SITE_A), 1);
	check_u64(live_total(f), 1);
	gotrack__census_counts(f->gt, PID, &user, &system);
	check_u64(user, 1);
	check_u64(system, 2);
	/* Their exits are not losses either. */
	check_eq(gotrack__exited(f->gt, PID, 30, 1001 * SECOND_NS), 0);
	check_eq(gotrack__exited(f->gt, PID, 32, 1001 * SECOND_NS), 0);
	check_u64(losses->exits_unseen_birth, 0);
	check_u64(losses->exits_missed, 0);
	check_u64(losses->creates_missed, 0);
	fixture_free(f);
}

/* Fake blocked-stack walker: frames {0xa, 0xb, goid}, and who asked. */
struct walker {
	size_t calls;
	uint64_t last_goid;
};

static size_t fake_walk(void *ctx, const struct go_g *g, uint64_t *pcs, size_t max)
{
	struct walker *w = ctx;

	assert_true(max >= 3);
	w->calls++;
	w->last_goid = g->goid;
	pcs[0] = 0xa;
	pcs[1] = 0xb;
	pcs[2] = g->goid;
	return 3;
}

static void test_site_aggregates(void **state)
{
	struct fixture *f = fixture_new();
	struct walker w = {0};
	const struct go_site *site;
	uint64_t now, blocked_pcs[3] = {0xa, 0xb, 41};
	uint64_t goid;
	struct go_g *g;

	(void)state;
	for (goid = 40; goid <= 44; goid++)
		check_eq(gotrack__created(f->gt, PID, goid, SITE_A, 500 * SECOND_NS), 0);
	check_eq(gotrack__created(f->gt, PID, 45, SITE_B, 500 * SECOND_NS), 0);
	check_eq(gotrack__created(f->gt, PID, 46, SITE_B, 500 * SECOND_NS), 0);
	check_eq(gotrack__exited(f->gt, PID, 46, 600 * SECOND_NS), 0);
	census_begin(f, 1000 * SECOND_NS, false);
	now = f->apply.now_ns;
	g = census_add(f, 40, 0x480010, GO_GWAITING);
	g->waitreason = 14; /* chan receive */
	g->waitsince = (int64_t)(now - 5 * SECOND_NS);
	g = census_add(f, 41, 0x480010, GO_GWAITING);
	g->waitreason = 14;
	g->waitsince = (int64_t)(now - 10 * SECOND_NS); /* the longest blocked */
	census_add(f, 42, 0x480010, GO_GRUNNING);
	g = census_add(f, 43, 0x480010, GO_GWAITING);
	g->waitreason = 9; /* select, not yet seen by the GC */
	census_add(f, 44, 0x480010, GO_GRUNNABLE);
	census_add(f, 45, 0x480020, GO_GSYSCALL);
	f->apply.blocked_stack = fake_walk;
	f->apply.blocked_ctx = &w;
	check_eq(census_apply(f), 0);

	site = gotrack__site(f->gt, PID, SITE_A);
	assert_non_null(site);
	check_eq(site->nr_states, 4);
	assert_string_equal(site->states[0].state, "chan receive");
	check_u64(site->states[0].count, 2);
	assert_string_equal(site->states[1].state, "runnable");
	assert_string_equal(site->states[2].state, "running");
	assert_string_equal(site->states[3].state, "select");
	check_u64(site->states[3].count, 1);
	assert_true(site->max_blocked_s > 9.999 && site->max_blocked_s < 10.001);
	check_u64(site->stack_bytes, 5 * 8192);
	check_u64(site->created, 5);
	check_u64(site->exited, 0);
	check_eq(site->before_attach, false);
	check_eq(site->blocked_stack_id, ustacks__intern(f->stacks, blocked_pcs, 3));
	/* One walk, for the one site with a waiting goroutine. */
	check_eq(w.calls, 1);
	check_u64(w.last_goid, 41);

	site = gotrack__site(f->gt, PID, SITE_B);
	assert_non_null(site);
	check_eq(site->nr_states, 1);
	assert_string_equal(site->states[0].state, "syscall");
	check_eq(site->blocked_stack_id, -1);
	check_u64(site->created, 2);
	check_u64(site->exited, 1);
	check_eq(site->max_blocked_s == 0, true);
	check_u64(gotrack__census_ns(f->gt, PID), now);

	/* The next census replaces the aggregates; births and deaths accumulate. */
	check_eq(gotrack__exited(f->gt, PID, 45, 1001 * SECOND_NS), 0);
	census_begin(f, 1002 * SECOND_NS, false);
	census_add(f, 40, 0x480010, GO_GRUNNABLE);
	census_add(f, 41, 0x480010, GO_GRUNNABLE);
	census_add(f, 42, 0x480010, GO_GRUNNABLE);
	census_add(f, 43, 0x480010, GO_GRUNNABLE);
	census_add(f, 44, 0x480010, GO_GRUNNABLE);
	f->apply.minor = 30; /* a version without wait reason names */
	check_eq(census_apply(f), 0);
	site = gotrack__site(f->gt, PID, SITE_A);
	assert_non_null(site);
	check_eq(site->nr_states, 1);
	check_u64(site->states[0].count, 5);
	check_eq(site->blocked_stack_id, -1);
	assert_null(gotrack__site(f->gt, PID, SITE_B)); /* none of it alive */
	check_eq(w.calls, 1);
	fixture_free(f);
}

/* Without a name for the wait reason, a waiting goroutine is "waiting". */
static void test_unknown_wait_reason_is_waiting(void **state)
{
	struct fixture *f = fixture_new();
	const struct go_site *site;
	struct go_g *g;

	(void)state;
	census_begin(f, 1000 * SECOND_NS, true);
	f->apply.minor = 30;
	g = census_add(f, 5, 0x480010, GO_GWAITING);
	g->waitreason = 14;
	check_eq(census_apply(f), 0);
	site = gotrack__site(f->gt, PID, gopc_site(f, 0x480010));
	assert_non_null(site);
	assert_string_equal(site->states[0].state, "waiting");
	fixture_free(f);
}

/* Blocked-in stacks are walked at most 1,000 times per census. */
static void test_walks_are_capped(void **state)
{
	struct fixture *f = fixture_new();
	struct walker w = {0};
	struct go_g *g;
	uint64_t i;

	(void)state;
	census_begin(f, 1000 * SECOND_NS, true);
	for (i = 0; i < 1200; i++) {
		g = census_add(f, 100 + i, 0x500000 + i * 16, GO_GWAITING); /* a site each */
		g->waitreason = 14;
	}
	f->apply.blocked_stack = fake_walk;
	f->apply.blocked_ctx = &w;
	check_eq(census_apply(f), 0);
	check_eq(w.calls, 1000);
	check_u64(live_total(f), 1200);
	fixture_free(f);
}

/* Goroutines born at a census's start get its start as birth, or their wait start if older. */
static void test_census_birth_time(void **state)
{
	struct fixture *f = fixture_new();
	const struct stack_stats *all;
	uint64_t *oldest;
	size_t n, i;
	int32_t old_site, new_site;
	struct go_g *g;

	(void)state;
	census_begin(f, 1000 * SECOND_NS, true);
	g = census_add(f, 5, 0x480010, GO_GWAITING);
	g->waitsince = (int64_t)(400 * SECOND_NS);
	census_add(f, 6, 0x480020, GO_GWAITING);
	check_eq(census_apply(f), 0);
	old_site = gopc_site(f, 0x480010);
	new_site = gopc_site(f, 0x480020);
	all = allocs__stacks(f->table, &n);
	oldest = calloc(n, sizeof(*oldest));
	assert_non_null(oldest);
	allocs__oldest(f->table, oldest);
	for (i = 0; i < n; i++) {
		if (all[i].stack_id == old_site)
			check_u64(oldest[i], 400 * SECOND_NS);
		else if (all[i].stack_id == new_site)
			check_u64(oldest[i], 1000 * SECOND_NS);
	}
	free(oldest);
	fixture_free(f);
}

static void test_forget(void **state)
{
	struct fixture *f = fixture_new();
	uint64_t user, system;

	(void)state;
	check_eq(gotrack__created(f->gt, PID, 10, SITE_A, 100), 0);
	check_eq(gotrack__created(f->gt, PID + 1, 10, SITE_A, 100), 0);
	census_begin(f, 1000 * SECOND_NS, true);
	census_add(f, 10, 0x480010, GO_GWAITING);
	census_add(f, 11, 0x401010, GO_GWAITING);
	check_eq(census_apply(f), 0);
	assert_non_null(gotrack__site(f->gt, PID, SITE_A));
	gotrack__forget(f->gt, PID);
	allocs__drop_pid(f->table, PID); /* the caller's part */
	assert_null(gotrack__site(f->gt, PID, SITE_A));
	gotrack__census_counts(f->gt, PID, &user, &system);
	check_u64(user + system, 0);
	check_u64(gotrack__census_ns(f->gt, PID), 0);
	/* Nothing of it is remembered: not its goroutines, not its system goids. */
	check_eq(gotrack__exited(f->gt, PID, 10, 2000), -ENOENT);
	check_eq(gotrack__exited(f->gt, PID, 11, 2000), -ENOENT);
	check_u64(gotrack__losses(f->gt)->exits_unseen_birth, 2);
	/* The other process is untouched; a new process under the pid starts afresh. */
	check_eq(gotrack__exited(f->gt, PID + 1, 10, 2000), 0);
	check_eq(gotrack__created(f->gt, PID, 10, SITE_B, 3000), 0);
	check_u64(live_at(f, SITE_B), 1);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_births_and_deaths),
	    cmocka_unit_test(test_exit_unseen_birth_counted_apart),
	    cmocka_unit_test(test_first_census_adds_before_attach),
	    cmocka_unit_test(test_runtime_made_goroutine_filed_by_start),
	    cmocka_unit_test(test_later_census_repairs_losses),
	    cmocka_unit_test(test_census_races),
	    cmocka_unit_test(test_system_goroutines_kept_out),
	    cmocka_unit_test(test_site_aggregates),
	    cmocka_unit_test(test_unknown_wait_reason_is_waiting),
	    cmocka_unit_test(test_walks_are_capped),
	    cmocka_unit_test(test_census_birth_time),
	    cmocka_unit_test(test_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
