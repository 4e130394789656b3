// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Goroutines by creation site. Three maps:
 *   goids  (pid, goid)     -> the site a live goroutine is filed under, and
 *                             since when: a mirror of the table's
 *                             KIND_GOROUTINE entries (the table cannot be
 *                             asked whether it holds an address);
 *   sites  (pid, stack_id) -> births and deaths seen, and the last census's
 *                             aggregate;
 *   pids   (pid, 0)        -> census counts, the exits seen since the last
 *                             census was applied (a census may have read a
 *                             goroutine live just before it died: it must not
 *                             come back), and the goids the last census found
 *                             to be system goroutines (their exits are not
 *                             losses).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gotrack.h"
#include "hmap.h"

#define EXIT_LOG_MAX	     65536 /* per pid; beyond, the older half is dropped */
#define MAX_WALKS_PER_CENSUS 1000
#define SITE_STATES_SEEN     16 /* distinct states counted per site before keeping the top ones */

struct goid_entry {
	int32_t stack_id;
	bool before_attach; /* a census right after attach found it */
	uint64_t ts_ns;	    /* born (probe), or first seen by a census */
};

struct site_entry {
	struct go_site site;
	bool in_census; /* the last census found some of it alive */
	/* While a census is applied: */
	struct go_site_state seen[SITE_STATES_SEEN];
	size_t nr_seen;
	const struct go_g *longest_blocked;
	uint64_t longest_blocked_ns;
};

struct pid_state {
	uint64_t live; /* goroutines of pid in the table now */
	uint64_t user, system;
	uint64_t census_ns; /* now_ns of the last census; 0: none yet */
	uint64_t *exits;    /* goids whose exit arrived since the last census was applied */
	size_t nr_exits, cap_exits;
	struct hmap *system_goids; /* set, per the last census */
};

struct gotrack {
	struct allocs *table;
	struct ustacks *stacks;
	struct hmap goids, sites, pids;
	struct gotrack_losses losses;
};

static struct hmap_key goid_key(uint32_t pid, uint64_t goid)
{
	return (struct hmap_key){.a = pid, .b = goid};
}

static struct hmap_key site_key(uint32_t pid, int32_t stack_id)
{
	return (struct hmap_key){.a = pid, .b = (uint32_t)stack_id};
}

static struct hmap_key pid_key(uint32_t pid)
{
	return (struct hmap_key){.a = pid, .b = 0};
}

struct gotrack *gotrack__new(struct allocs *table, struct ustacks *stacks)
{
	struct gotrack *gt = calloc(1, sizeof(*gt));

	if (!gt)
		return NULL;
	gt->table = table;
	gt->stacks = stacks;
	hmap__init(&gt->goids, sizeof(struct goid_entry));
	hmap__init(&gt->sites, sizeof(struct site_entry));
	hmap__init(&gt->pids, sizeof(struct pid_state));
	return gt;
}

static void pid_state_release(struct pid_state *ps)
{
	free(ps->exits);
	if (ps->system_goids) {
		hmap__free(ps->system_goids);
		free(ps->system_goids);
	}
	memset(ps, 0, sizeof(*ps));
}

void gotrack__free(struct gotrack *gt)
{
	struct pid_state *ps;
	size_t iter = 0;

	if (!gt)
		return;
	while ((ps = hmap__next(&gt->pids, &iter, NULL)))
		pid_state_release(ps);
	hmap__free(&gt->goids);
	hmap__free(&gt->sites);
	hmap__free(&gt->pids);
	free(gt);
}

/* pid's site stack_id, made when absent; NULL when out of memory. */
static struct site_entry *site_get(struct gotrack *gt, uint32_t pid, int32_t stack_id)
{
	bool fresh;
	struct site_entry *s = hmap__put(&gt->sites, site_key(pid, stack_id), &fresh);

	if (s && fresh)
		s->site.blocked_stack_id = -1;
	return s;
}

static struct pid_state *pid_state_get(struct gotrack *gt, uint32_t pid);

/* One goroutine of pid more (+1) or less (-1) in the table. */
static void live_change(struct gotrack *gt, uint32_t pid, int delta)
{
	struct pid_state *ps = pid_state_get(gt, pid);

	if (ps && (delta > 0 || ps->live))
		ps->live += (uint64_t)(int64_t)delta;
}

/* Files goid under stack_id in the table and the mirror. 0 or -ENOMEM. */
static int goroutine_add(struct gotrack *gt, uint32_t pid, uint64_t goid, int32_t stack_id,
			 uint64_t ts_ns, bool before_attach)
{
	bool fresh;
	struct goid_entry *e = hmap__put(&gt->goids, goid_key(pid, goid), &fresh);

	if (!e)
		return -ENOMEM;
	if (!fresh)
		return 0; /* already known: the census and a probe both saw it born */
	if (allocs__record_alloc(gt->table, pid, KIND_GOROUTINE, goid, 1, stack_id, ts_ns)) {
		hmap__del(&gt->goids, goid_key(pid, goid));
		return -ENOMEM;
	}
	*e = (struct goid_entry){
	    .stack_id = stack_id, .before_attach = before_attach, .ts_ns = ts_ns};
	live_change(gt, pid, 1);
	return 0;
}

int gotrack__created(struct gotrack *gt, uint32_t pid, uint64_t goid, int32_t stack_id,
		     uint64_t ts_ns)
{
	struct site_entry *s;
	bool known = hmap__get(&gt->goids, goid_key(pid, goid)) != NULL;
	int err;

	if (!goid || known)
		return 0;
	err = goroutine_add(gt, pid, goid, stack_id, ts_ns, false);
	if (err)
		return err;
	s = site_get(gt, pid, stack_id);
	if (s)
		s->site.created++;
	return 0;
}

static struct pid_state *pid_state_get(struct gotrack *gt, uint32_t pid)
{
	bool fresh;

	return hmap__put(&gt->pids, pid_key(pid), &fresh);
}

/* Remembers an exit until the next census is applied; bounded (older half dropped). */
static void exit_log_add(struct pid_state *ps, uint64_t goid)
{
	size_t cap;
	uint64_t *grown;

	if (ps->nr_exits == EXIT_LOG_MAX) {
		memmove(ps->exits, ps->exits + EXIT_LOG_MAX / 2,
			(EXIT_LOG_MAX / 2) * sizeof(*ps->exits));
		ps->nr_exits = EXIT_LOG_MAX / 2;
	}
	if (ps->nr_exits == ps->cap_exits) {
		cap = ps->cap_exits ? ps->cap_exits * 2 : 64;
		grown = realloc(ps->exits, cap * sizeof(*grown));
		if (!grown)
			return; /* only a census race guard: losing it is no error */
		ps->exits = grown;
		ps->cap_exits = cap;
	}
	ps->exits[ps->nr_exits++] = goid;
}

static bool is_known_system(const struct pid_state *ps, uint64_t goid)
{
	return ps && ps->system_goids && hmap__get(ps->system_goids, goid_key(0, goid));
}

int gotrack__exited(struct gotrack *gt, uint32_t pid, uint64_t goid, uint64_t ts_ns)
{
	struct pid_state *ps = pid_state_get(gt, pid);
	struct goid_entry *e = hmap__get(&gt->goids, goid_key(pid, goid));
	struct site_entry *s;

	(void)ts_ns;
	if (ps)
		exit_log_add(ps, goid);
	if (!e) {
		if (is_known_system(ps, goid))
			return 0;
		gt->losses.exits_unseen_birth++;
		return -ENOENT;
	}
	s = site_get(gt, pid, e->stack_id);
	if (s)
		s->site.exited++;
	allocs__release_if_live(gt->table, pid, KIND_GOROUTINE, goid);
	hmap__del(&gt->goids, goid_key(pid, goid));
	if (ps && ps->live)
		ps->live--;
	return 0;
}

/* ---- census ---------------------------------------------------------------------------- */

/* What one apply needs besides the census: sets built from it, and where it stands. */
struct apply_ctx {
	struct gotrack *gt;
	uint32_t pid;
	const struct gotrack_census *c;
	struct hmap census_user; /* goids the census found alive, user goroutines */
	struct hmap exited;	 /* goids whose exit arrived since the last apply */
	bool complete;		 /* every g was read: absence means death */
	uint64_t nr_dropped;	 /* goroutines it found dead */
};

static int set_add(struct hmap *set, uint64_t goid)
{
	bool fresh;

	return hmap__put(set, goid_key(0, goid), &fresh) ? 0 : -ENOMEM;
}

static bool set_has(const struct hmap *set, uint64_t goid)
{
	return hmap__get(set, goid_key(0, goid)) != NULL;
}

/* The census's user goids, and its system ones (which become pid's system set). */
static int build_census_sets(struct apply_ctx *a, struct hmap *system)
{
	const struct go_census *census = a->c->census;
	size_t i;

	for (i = 0; i < census->nr; i++)
		if (set_add(census->gs[i].system ? system : &a->census_user, census->gs[i].goid))
			return -ENOMEM;
	return 0;
}

static int build_exited_set(struct apply_ctx *a, const struct pid_state *ps)
{
	size_t i;

	for (i = 0; ps && i < ps->nr_exits; i++)
		if (set_add(&a->exited, ps->exits[i]))
			return -ENOMEM;
	return 0;
}

/* A goroutine the table held that the census says is a system one: not ours, not a loss. */
static void drop_system_goroutine(struct gotrack *gt, uint32_t pid, uint64_t goid)
{
	if (!hmap__del(&gt->goids, goid_key(pid, goid)))
		return;
	allocs__release_if_live(gt->table, pid, KIND_GOROUTINE, goid);
	live_change(gt, pid, -1);
}

/* When a goroutine first seen by a census was born, at the latest. */
static uint64_t census_birth_ns(const struct gotrack_census *c, const struct go_g *g)
{
	if (g->waitsince > 0 && (uint64_t)g->waitsince < c->started_ns)
		return (uint64_t)g->waitsince;
	return c->started_ns;
}

/* Files a live goroutine the table lacks under the stack of its go statement. */
static int add_from_census(struct apply_ctx *a, const struct go_g *g)
{
	struct gotrack *gt = a->gt;
	/*
	 * A goroutine the runtime itself started (the main goroutine, made
	 * from rt0_go) is filed under the function it runs: the runtime's
	 * go statement says nothing. +1: frames are read as return addresses.
	 */
	uint64_t pc = g->runtime_made && g->startpc ? g->startpc + 1 : g->gopc;
	int32_t stack_id = ustacks__intern(gt->stacks, &pc, 1);
	int err;

	if (stack_id < 0)
		return stack_id;
	err = goroutine_add(gt, a->pid, g->goid, stack_id, census_birth_ns(a->c, g), a->c->first);
	if (!err && !a->c->first)
		gt->losses.creates_missed++;
	return err;
}

static int add_missing(struct apply_ctx *a)
{
	const struct go_census *census = a->c->census;
	const struct go_g *g;
	size_t i;
	int err;

	for (i = 0; i < census->nr; i++) {
		g = &census->gs[i];
		if (g->system) {
			drop_system_goroutine(a->gt, a->pid, g->goid);
			continue;
		}
		if (hmap__get(&a->gt->goids, goid_key(a->pid, g->goid)) ||
		    set_has(&a->exited, g->goid))
			continue;
		err = add_from_census(a, g);
		if (err)
			return err;
	}
	return 0;
}

/* hmap__del_if: a goroutine of pid born before the census began that it did not find alive. */
static bool drop_if_dead(void *ctx, struct hmap_key key, void *value)
{
	struct apply_ctx *a = ctx;
	const struct goid_entry *e = value;

	if (key.a != a->pid || e->ts_ns >= a->c->started_ns || set_has(&a->census_user, key.b))
		return false;
	allocs__release_if_live(a->gt->table, a->pid, KIND_GOROUTINE, key.b);
	a->gt->losses.exits_missed++;
	a->nr_dropped++;
	return true;
}

/* ---- per-site aggregates --------------------------------------------------------------- */

static const char *state_name(const struct gotrack_census *c, const struct go_g *g)
{
	const char *reason;

	switch (g->status) {
	case GO_GRUNNABLE:
		return "runnable";
	case GO_GRUNNING:
		return "running";
	case GO_GSYSCALL:
		return "syscall";
	case GO_GWAITING:
		reason = gocensus__wait_reason(c->major, c->minor, g->waitreason);
		return reason && *reason ? reason : "waiting";
	case 8:
		return "copystack";
	case 9:
		return "preempted";
	default:
		return "other";
	}
}

static void count_state(struct site_entry *s, const char *state)
{
	size_t i;

	for (i = 0; i < s->nr_seen; i++) {
		if (!strcmp(s->seen[i].state, state)) {
			s->seen[i].count++;
			return;
		}
	}
	if (s->nr_seen < SITE_STATES_SEEN)
		s->seen[s->nr_seen++] = (struct go_site_state){.state = state, .count = 1};
}

static bool drop_pid_site_aggregate(void *ctx, struct hmap_key key, void *value)
{
	struct site_entry *s = value;
	const uint32_t *pid = ctx;
	struct go_site kept = {
	    .created = s->site.created, .exited = s->site.exited, .blocked_stack_id = -1};

	if (key.a != *pid)
		return false;
	memset(s, 0, sizeof(*s));
	s->site = kept;
	/* A site with nothing alive and no births or deaths to tell holds nothing. */
	return !kept.created && !kept.exited;
}

static void blocked_for(const struct gotrack_census *c, const struct go_g *g, uint64_t *ns)
{
	*ns = g->waitsince > 0 && c->now_ns > (uint64_t)g->waitsince
		  ? c->now_ns - (uint64_t)g->waitsince
		  : 0;
}

static void aggregate_g(const struct gotrack_census *c, struct site_entry *s,
			const struct goid_entry *e, const struct go_g *g)
{
	uint64_t blocked_ns;
	double blocked_s;

	if (!s->in_census)
		s->site.start_pc = g->startpc;
	s->in_census = true;
	s->site.before_attach |= e->before_attach;
	s->site.stack_bytes += g->stack_hi - g->stack_lo;
	count_state(s, state_name(c, g));
	if (g->status != GO_GWAITING)
		return;
	blocked_for(c, g, &blocked_ns);
	blocked_s = (double)blocked_ns / 1e9;
	if (blocked_s > s->site.max_blocked_s)
		s->site.max_blocked_s = blocked_s;
	if (!s->longest_blocked || blocked_ns > s->longest_blocked_ns) {
		s->longest_blocked = g;
		s->longest_blocked_ns = blocked_ns;
	}
}

static int aggregate_census(struct apply_ctx *a)
{
	const struct go_census *census = a->c->census;
	const struct goid_entry *e;
	struct site_entry *s;
	struct goid_entry copy;
	size_t i;

	for (i = 0; i < census->nr; i++) {
		if (census->gs[i].system)
			continue;
		e = hmap__get(&a->gt->goids, goid_key(a->pid, census->gs[i].goid));
		if (!e)
			continue; /* its exit arrived meanwhile */
		copy = *e;
		s = site_get(a->gt, a->pid, copy.stack_id);
		if (!s)
			return -ENOMEM;
		aggregate_g(a->c, s, &copy, &census->gs[i]);
	}
	return 0;
}

static int state_by_count_desc(const void *l, const void *r)
{
	const struct go_site_state *x = l, *y = r;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->state, y->state);
}

static void keep_top_states(struct site_entry *s)
{
	size_t n = s->nr_seen < GO_SITE_MAX_STATES ? s->nr_seen : GO_SITE_MAX_STATES;

	qsort(s->seen, s->nr_seen, sizeof(s->seen[0]), state_by_count_desc);
	memcpy(s->site.states, s->seen, n * sizeof(s->seen[0]));
	s->site.nr_states = n;
}

static void walk_blocked(struct apply_ctx *a, struct site_entry *s)
{
	uint64_t pcs[USTACK_MAX_DEPTH];
	size_t n =
	    a->c->blocked_stack(a->c->blocked_ctx, s->longest_blocked, pcs, USTACK_MAX_DEPTH);
	int32_t id = n ? ustacks__intern(a->gt->stacks, pcs, n) : -1;

	s->site.blocked_stack_id = id >= 0 ? id : -1;
}

/* Top states and blocked-in stacks of pid's sites, then the per-census scratch cleared. */
static void finish_sites(struct apply_ctx *a)
{
	struct hmap_key key;
	struct site_entry *s;
	size_t iter = 0, walks = 0;

	while ((s = hmap__next(&a->gt->sites, &iter, &key))) {
		if (key.a != a->pid || !s->in_census)
			continue;
		keep_top_states(s);
		if (s->longest_blocked && a->c->blocked_stack && walks < MAX_WALKS_PER_CENSUS) {
			walk_blocked(a, s);
			walks++;
		}
		s->longest_blocked = NULL;
	}
}

/* ---- apply ----------------------------------------------------------------------------- */

static int reconcile(struct apply_ctx *a, struct hmap *system)
{
	int err = build_census_sets(a, system);
	uint32_t pid = a->pid;

	if (!err)
		err = build_exited_set(a, hmap__get(&a->gt->pids, pid_key(pid)));
	if (!err)
		err = add_missing(a);
	if (err)
		return err;
	if (a->complete) {
		hmap__del_if(&a->gt->goids, drop_if_dead, a);
		for (; a->nr_dropped; a->nr_dropped--)
			live_change(a->gt, a->pid, -1);
	}
	hmap__del_if(&a->gt->sites, drop_pid_site_aggregate, &pid);
	err = aggregate_census(a);
	if (!err)
		finish_sites(a);
	return err;
}

/* The census's counts and system set become pid's; its exit log starts over. */
static int commit_pid_state(struct apply_ctx *a, struct hmap *system)
{
	struct pid_state *ps = pid_state_get(a->gt, a->pid);
	const struct go_census *census = a->c->census;

	if (!ps)
		return -ENOMEM;
	if (!ps->system_goids) {
		ps->system_goids = malloc(sizeof(*ps->system_goids));
		if (!ps->system_goids)
			return -ENOMEM;
	} else {
		hmap__free(ps->system_goids);
	}
	*ps->system_goids = *system; /* moved: the caller's copy is not freed */
	hmap__init(system, 0);
	ps->user = census->nr_user;
	ps->system = census->nr_system;
	ps->census_ns = a->c->now_ns ? a->c->now_ns : 1;
	ps->nr_exits = 0;
	return 0;
}

int gotrack__apply_census(struct gotrack *gt, uint32_t pid, const struct gotrack_census *c)
{
	struct apply_ctx a = {.gt = gt, .pid = pid, .c = c};
	struct hmap system;
	int err;

	a.complete = !c->census->nr_unreadable && !c->census->nr_skipped;
	hmap__init(&a.census_user, 0);
	hmap__init(&a.exited, 0);
	hmap__init(&system, 0);
	gt->losses.census_unreadable += c->census->nr_unreadable;
	err = reconcile(&a, &system);
	if (!err)
		err = commit_pid_state(&a, &system);
	hmap__free(&a.census_user);
	hmap__free(&a.exited);
	hmap__free(&system);
	return err;
}

const struct go_site *gotrack__site(const struct gotrack *gt, uint32_t pid, int32_t stack_id)
{
	const struct site_entry *s = hmap__get(&gt->sites, site_key(pid, stack_id));

	return s && s->in_census ? &s->site : NULL;
}

void gotrack__census_counts(const struct gotrack *gt, uint32_t pid, uint64_t *user,
			    uint64_t *system)
{
	const struct pid_state *ps = hmap__get(&gt->pids, pid_key(pid));

	*user = ps ? ps->user : 0;
	*system = ps ? ps->system : 0;
}

uint64_t gotrack__live(const struct gotrack *gt, uint32_t pid)
{
	const struct pid_state *ps = hmap__get(&gt->pids, pid_key(pid));

	return ps ? ps->live : 0;
}

uint64_t gotrack__census_ns(const struct gotrack *gt, uint32_t pid)
{
	const struct pid_state *ps = hmap__get(&gt->pids, pid_key(pid));

	return ps ? ps->census_ns : 0;
}

const struct gotrack_losses *gotrack__losses(const struct gotrack *gt)
{
	return &gt->losses;
}

static bool key_is_pid(void *ctx, struct hmap_key key, void *value)
{
	(void)value;
	return key.a == *(const uint32_t *)ctx;
}

void gotrack__forget(struct gotrack *gt, uint32_t pid)
{
	struct pid_state *ps = hmap__get(&gt->pids, pid_key(pid));

	if (ps) {
		pid_state_release(ps);
		hmap__del(&gt->pids, pid_key(pid));
	}
	hmap__del_if(&gt->goids, key_is_pid, &pid);
	hmap__del_if(&gt->sites, key_is_pid, &pid);
}
