// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gobin.h"
#include "gocensus.h"
#include "goheap.h"
#include "golang.h"
#include "gotrack.h"
#include "hmap.h"
#include "log.h"
#include "procmem.h"
#include "tracer.h"

/* One Go process. */
struct go_proc {
	int pid;
	char comm[SNAPSHOT_COMM_LEN];
	int exe_fd; /* the executable, held open for the probes' path */
	dev_t dev;
	uint64_t inode;
	struct go_binary *bin;
	uint64_t bias; /* runtime address - link address */
	struct procmem mem;
	struct goheap *heap;
	struct snapshot_go info;
	bool probes_tried;
	bool census_due; /* the first census, right after the probes */
	bool censused;	 /* one census done: later ones repair */
	bool heap_warned;
	bool census_warned;
	bool sampling_written; /* --go-heap-sampling wrote MemProfileRate */
	bool gone;	       /* its memory can no longer be read: it exited */
	unsigned int intervals;
};

struct golang {
	struct golang_opts opts;
	struct allocs *allocs;
	struct ustacks *stacks;
	struct gotrack *track;
	struct hmap procs;   /* pid -> struct go_proc * */
	struct hmap not_go;  /* (dev, inode) of executables found not to be Go */
	struct go_site site; /* golang__site's answer: the snapshot copies it at once */
};

static struct hmap_key pid_key(int pid)
{
	return (struct hmap_key){(uint64_t)(uint32_t)pid, 0};
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

struct golang *golang__new(const struct golang_opts *opts, struct allocs *allocs)
{
	struct golang *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->opts = *opts;
	if (!g->opts.census_every)
		g->opts.census_every = 1;
	g->allocs = allocs;
	g->stacks = ustacks__new();
	g->track = g->stacks ? gotrack__new(allocs, g->stacks) : NULL;
	hmap__init(&g->procs, sizeof(struct go_proc *));
	hmap__init(&g->not_go, 0);
	if (!g->track) {
		golang__free(g);
		return NULL;
	}
	return g;
}

static void free_proc(struct go_proc *p)
{
	if (!p)
		return;
	if (p->exe_fd >= 0)
		close(p->exe_fd);
	gobin__free(p->bin);
	goheap__free(p->heap);
	free(p);
}

void golang__free(struct golang *g)
{
	struct go_proc **p;
	size_t iter = 0;

	if (!g)
		return;
	while ((p = hmap__next(&g->procs, &iter, NULL)))
		free_proc(*p);
	hmap__free(&g->procs);
	hmap__free(&g->not_go);
	gotrack__free(g->track);
	ustacks__free(g->stacks);
	free(g);
}

static struct go_proc *find_proc(const struct golang *g, int pid)
{
	struct go_proc **p = hmap__get(&g->procs, pid_key(pid));

	return p ? *p : NULL;
}

/* The Go executable of maps, opened (fd), or -ENOENT. Files found not Go are remembered. */
static int open_go_exe(struct golang *g, int pid, const struct procmaps *maps,
		       const struct mapping **found)
{
	struct hmap_key key;
	size_t i;
	bool fresh;
	int fd;

	for (i = 0; i < maps->nr; i++) {
		const struct mapping *m = &maps->maps[i];

		if (!m->exec || !mapping__is_file(m))
			continue;
		key = (struct hmap_key){(uint64_t)m->dev, m->inode};
		if (hmap__get(&g->not_go, key))
			continue;
		fd = mapping__open(pid, m);
		if (fd < 0)
			continue;
		if (gobin__is_go(fd) == 1) {
			*found = m;
			return fd;
		}
		close(fd);
		hmap__put(&g->not_go, key, &fresh);
	}
	return -ENOENT;
}

bool golang__maps_go(struct golang *g, int pid, const struct procmaps *maps)
{
	const struct mapping *m;
	int fd;

	if (find_proc(g, pid))
		return true;
	fd = open_go_exe(g, pid, maps, &m);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Link address of the file offset off, from the program headers; -ENOENT. */
static int file_offset_to_vaddr(int fd, uint64_t off, uint64_t *vaddr)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t nr = 0, i;
	GElf_Phdr ph;
	int err = -ENOENT;

	if (!elf)
		return -EINVAL;
	if (elf_getphdrnum(elf, &nr))
		nr = 0;
	for (i = 0; i < nr && err; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (off >= (ph.p_offset & ~0xfffULL) && off < ph.p_offset + ph.p_filesz) {
			*vaddr = off - ph.p_offset + ph.p_vaddr;
			err = 0;
		}
	}
	elf_end(elf);
	return err;
}

static uint64_t runtime_addr(const struct go_proc *p, uint64_t link_addr)
{
	return link_addr ? link_addr + p->bias : 0;
}

static bool is_system_start(void *ctx, uint64_t startpc)
{
	const struct go_proc *p = ctx;
	struct gofunc f;

	if (!p->bin->pcln || gopclntab__lookup(p->bin->pcln, startpc - p->bias, &f))
		return false;
	return !strncmp(f.name, "runtime.", 8) && strcmp(f.name, "runtime.main");
}

static void describe(const struct go_proc *p)
{
	const struct go_binary *b = p->bin;

	p_note("pid %d (%s) runs Go %s%s%s: goroutines by %s, heap from the runtime's profile",
	       p->pid, p->comm, b->version[0] ? b->version : "(version unknown)",
	       b->has_symtab ? "" : " (stripped)", b->pie ? " (PIE)" : "",
	       p->info.goroutines_traced ? "probes and census" : "census");
}

static void attach_probes(struct golang *g, struct go_proc *p, struct tracer *tracer,
			  int attach_pid)
{
	char path[64], why[512] = "";
	int err;

	p->probes_tried = true;
	if (g->opts.no_probes || p->bin->unsupported)
		return;
	if (!p->bin->nr_sites) {
		p_warn("pid %d (%s): no probe sites for goroutine births and deaths: %s; "
		       "counting goroutines by census only",
		       p->pid, p->comm, p->bin->probes_off ? p->bin->probes_off : "not found");
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p->exe_fd);
	err =
	    tracer__attach_go(tracer, attach_pid >= 0 ? attach_pid : p->pid, path, p->dev, p->inode,
			      p->bin->sites, p->bin->nr_sites, &p->bin->g, why, sizeof(why));
	if (err < 0) {
		p_warn("pid %d (%s): cannot probe goroutine births and deaths: %s; counting "
		       "goroutines by census only",
		       p->pid, p->comm, why[0] ? why : strerror(-err));
		return;
	}
	p->info.goroutines_traced = true;
}

static struct go_proc *new_proc(struct golang *g, int pid, const char *comm,
				const struct procmaps *maps)
{
	const struct mapping *m = NULL;
	struct go_proc *p, **slot;
	uint64_t vaddr;
	bool fresh;
	int fd = open_go_exe(g, pid, maps, &m), err;

	if (fd < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return NULL;
	}
	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->exe_fd = fd;
	p->dev = m->dev;
	p->inode = m->inode;
	p->mem.pid = pid;
	err = gobin__analyze(fd, &p->bin);
	if (!err && file_offset_to_vaddr(fd, m->pgoff, &vaddr))
		err = -EINVAL;
	if (err) {
		p_warn("pid %d (%s) runs Go, but its executable cannot be read: %s", pid, comm,
		       strerror(-err));
		free_proc(p);
		return NULL;
	}
	p->bias = m->start - vaddr;
	p->heap = goheap__new();
	slot = hmap__put(&g->procs, pid_key(pid), &fresh);
	if (!p->heap || !slot) {
		free_proc(p);
		return NULL;
	}
	*slot = p;
	snprintf(p->info.version, sizeof(p->info.version), "%s", p->bin->version);
	if (p->bin->unsupported)
		p->info.goroutines_off = p->bin->unsupported;
	return p;
}

int golang__probe(struct golang *g, struct tracer *tracer, int pid, const char *comm,
		  const struct procmaps *maps, int attach_pid)
{
	struct go_proc *p = g ? find_proc(g, pid) : NULL;

	if (!g)
		return 0;
	if (!p) {
		p = new_proc(g, pid, comm, maps);
		if (!p)
			return 0;
	}
	if (!tracer || p->probes_tried)
		return 1;
	if (p->bin->unsupported)
		p_warn("pid %d (%s) runs Go %s: %s", pid, p->comm, p->bin->version,
		       p->bin->unsupported);
	attach_probes(g, p, tracer, attach_pid);
	p->census_due = !p->bin->unsupported;
	describe(p);
	return 1;
}

void golang__on_event(struct golang *g, const struct ml_event *e)
{
	if (e->type == ML_EV_GO_CREATE)
		gotrack__created(g->track, e->pid, e->addr, e->stack_id, e->ts_ns);
	else if (e->type == ML_EV_GO_EXIT)
		gotrack__exited(g->track, e->pid, e->addr, e->ts_ns);
}

/* --- the census -------------------------------------------------------------- */

/* goroutines_off while the census fails (compared by address: it is this array). */
static const char census_failed[] = "its goroutine list could not be read (see stderr): "
				    "goroutines born before attach are missing";

struct gocensus_ctx {
	struct go_census_opts opts;
};

static size_t blocked_stack(void *ctx, const struct go_g *gr, uint64_t *pcs, size_t max)
{
	const struct gocensus_ctx *c = ctx;

	return gocensus__blocked_stack(&c->opts, gr, pcs, max);
}

static void take_census(struct golang *g, struct go_proc *p, golang_drain_fn drain, void *ctx)
{
	struct gocensus_ctx cc = {
	    .opts =
		{
		    .allgs = runtime_addr(p, p->bin->globals.allgs),
		    .off = &p->bin->g,
		    .read = procmem__read,
		    .read_ctx = &p->mem,
		    .is_system = is_system_start,
		    .system_ctx = p,
		},
	};
	struct gotrack_census tc = {
	    .major = p->bin->major,
	    .minor = p->bin->minor,
	    .first = !p->censused,
	    .blocked_stack = blocked_stack,
	    .blocked_ctx = &cc,
	};
	struct go_census census = {0};
	int err;

	p->census_due = false;
	if (!cc.opts.allgs || p->bin->unsupported)
		return;
	drain(ctx);
	tc.started_ns = monotonic_ns();
	err = gocensus__take(&cc.opts, &census);
	if (err == -ESRCH) {
		p->gone = true;
		return;
	}
	if (err) {
		/* Said once, and in the report: its goroutine counts are not repaired. */
		if (!p->census_warned)
			p_warn("pid %d (%s): cannot read its goroutine list: %s; goroutines born "
			       "before attach are not counted and lost records are not repaired",
			       p->pid, p->comm, strerror(-err));
		p->census_warned = true;
		p->info.goroutines_off = census_failed;
		return;
	}
	if (p->info.goroutines_off == census_failed)
		p->info.goroutines_off = NULL;
	drain(ctx);
	tc.now_ns = monotonic_ns();
	tc.census = &census;
	if (!gotrack__apply_census(g->track, (uint32_t)p->pid, &tc))
		p->censused = true;
	p->info.goroutines = census.nr_user;
	p->info.system_goroutines = census.nr_system;
	p->info.census_ms = (double)census.duration_ns / 1e6;
	p->info.census_bytes = census.bytes_read;
	gocensus__free(&census);
}

/*
 * The PIDs of the Go processes now: a census drains records, whose exits
 * may forget a process, so loops go by PID, never over the map itself.
 * NULL (nr 0) when there are none or no memory.
 */
static int *go_pids(const struct golang *g, size_t *nr)
{
	int *pids = g->procs.nr ? malloc(g->procs.nr * sizeof(*pids)) : NULL;
	struct go_proc **p;
	size_t iter = 0;

	*nr = 0;
	while (pids && (p = hmap__next(&g->procs, &iter, NULL)))
		pids[(*nr)++] = (*p)->pid;
	return pids;
}

void golang__poll(struct golang *g, golang_drain_fn drain, void *ctx)
{
	struct go_proc **p;
	size_t iter = 0, nr, i;
	bool due = false;
	int *pids;

	while (!due && (p = hmap__next(&g->procs, &iter, NULL)))
		due = (*p)->census_due;
	if (!due)
		return;
	pids = go_pids(g, &nr);
	for (i = 0; i < nr; i++) {
		struct go_proc *one = find_proc(g, pids[i]);

		if (one && one->census_due && !one->gone)
			take_census(g, one, drain, ctx);
	}
	free(pids);
}

/* --- the heap profile --------------------------------------------------------- */

#define HEAP_OFF_LINKER                                                                            \
	"heap profiling is off in this binary (the linker disables it when the program "           \
	"never references runtime/pprof); --go-heap-sampling turns it on"
#define HEAP_OFF_PROGRAM "heap profiling is off: the program set runtime.MemProfileRate to 0"
#define HEAP_SAMPLING_NEW                                                                          \
	"heap sampling was turned on by --go-heap-sampling: the profile fills as the program "     \
	"allocates"
#define HEAP_UNREADABLE "the runtime's heap profile could not be read (see stderr)"
#define HEAP_NO_GLOBALS "the runtime's heap profile cannot be found in this binary"

static void enable_sampling(struct golang *g, struct go_proc *p,
			    const struct goheap_globals *globals)
{
	int err;

	if (g->opts.heap_sampling <= 0 || p->sampling_written)
		return;
	p->sampling_written = true;
	err = goheap__enable_sampling(globals, procmem__write, &p->mem, g->opts.heap_sampling);
	if (err)
		p_warn("pid %d (%s): cannot turn heap sampling on: %s", p->pid, p->comm,
		       strerror(-err));
	else
		p_note("pid %d (%s): wrote runtime.MemProfileRate = %lld into the process "
		       "(--go-heap-sampling): Go heap allocations from now on are sampled",
		       p->pid, p->comm, (long long)g->opts.heap_sampling);
}

/* Buckets with the same PCs are one stack; the figures of each replace the last read's. */
static void store_profile(struct golang *g, struct go_proc *p, const struct goheap_profile *prof)
{
	struct hmap sums;
	struct stack_stats *s;
	size_t i, iter = 0;
	int32_t id;
	bool fresh;

	hmap__init(&sums, sizeof(struct stack_stats));
	p->info.heap_inuse_bytes = 0;
	p->info.heap_inuse_objects = 0;
	for (i = 0; i < prof->nr_buckets; i++) {
		const struct goheap_bucket *b = &prof->buckets[i];

		id = ustacks__intern(g->stacks, b->pcs, b->nr_pcs);
		if (id < 0)
			continue;
		s = hmap__put(&sums, (struct hmap_key){(uint64_t)(uint32_t)id, 0}, &fresh);
		if (!s)
			continue;
		s->pid = (uint32_t)p->pid;
		s->stack_id = id;
		s->kind = KIND_GO_HEAP;
		s->outstanding_bytes += (uint64_t)(b->inuse_bytes > 0 ? b->inuse_bytes : 0);
		s->outstanding_count += (uint64_t)(b->inuse_objects > 0 ? b->inuse_objects : 0);
		s->alloc_bytes += (uint64_t)(b->alloc_bytes > 0 ? b->alloc_bytes : 0);
		s->alloc_count += (uint64_t)(b->alloc_objects > 0 ? b->alloc_objects : 0);
	}
	while ((s = hmap__next(&sums, &iter, NULL))) {
		s->free_bytes = s->alloc_bytes - s->outstanding_bytes;
		s->free_count = s->alloc_count - s->outstanding_count;
		p->info.heap_inuse_bytes += s->outstanding_bytes;
		p->info.heap_inuse_objects += s->outstanding_count;
		allocs__set_stack(g->allocs, s);
	}
	hmap__free(&sums);
}

static void read_heap(struct golang *g, struct go_proc *p)
{
	const struct go_globals *gl = &p->bin->globals;
	struct goheap_globals globals = {
	    .mbuckets = runtime_addr(p, gl->mbuckets),
	    .mprofcycle = runtime_addr(p, gl->mprofcycle),
	    .memprofilerate = runtime_addr(p, gl->memprofilerate),
	};
	struct goheap_profile prof;
	int err;

	if (!globals.mbuckets || !globals.mprofcycle || !globals.memprofilerate) {
		p->info.heap_off = HEAP_NO_GLOBALS;
		return;
	}
	err = goheap__read(p->heap, &globals, procmem__read, &p->mem, &prof);
	if (err == -ESRCH) {
		p->gone = true;
		return;
	}
	if (err) {
		if (!p->heap_warned)
			p_warn("pid %d (%s): cannot read the Go heap profile: %s", p->pid, p->comm,
			       strerror(-err));
		p->heap_warned = true;
		p->info.heap_off = HEAP_UNREADABLE;
		return;
	}
	if (!prof.rate) {
		enable_sampling(g, p, &globals);
		p->info.heap_off = p->sampling_written		? HEAP_SAMPLING_NEW
				   : p->bin->profiling_disabled ? HEAP_OFF_LINKER
								: HEAP_OFF_PROGRAM;
		p->info.heap_rate = 0;
		return;
	}
	p->info.heap_off = NULL;
	p->info.heap_rate = prof.rate;
	p->info.gc_cycle = prof.cycle;
	p->info.heap_read_ms = (double)prof.duration_ns / 1e6;
	p->info.heap_read_bytes = prof.bytes_read;
	p->info.heap_buckets = prof.nr_buckets;
	store_profile(g, p, &prof);
}

void golang__interval(struct golang *g, golang_drain_fn drain, void *ctx)
{
	size_t nr, i;
	int *pids = go_pids(g, &nr);

	for (i = 0; i < nr; i++) {
		struct go_proc *p = find_proc(g, pids[i]);

		if (!p || p->gone || !p->probes_tried)
			continue;
		/* A g layout memleakd does not know stops goroutines, not the heap profile. */
		if (!p->bin->unsupported &&
		    (p->census_due || ++p->intervals % g->opts.census_every == 0))
			take_census(g, p, drain, ctx);
		p = find_proc(g, pids[i]); /* the census drained records: it may be gone */
		if (p)
			read_heap(g, p);
	}
	free(pids);
}

void golang__forget(struct golang *g, int pid)
{
	struct go_proc *p = g ? find_proc(g, pid) : NULL;

	if (!g)
		return;
	gotrack__forget(g->track, (uint32_t)pid);
	if (!p)
		return;
	hmap__del(&g->procs, pid_key(pid));
	free_proc(p);
}

const struct go_site *golang__site(void *golang, uint32_t pid, int32_t stack_id)
{
	struct golang *g = golang;
	const struct go_site *site = gotrack__site(g->track, pid, stack_id);
	uint64_t census_ns = gotrack__census_ns(g->track, pid), now = monotonic_ns();

	if (!site)
		return NULL;
	g->site = *site;
	g->site.census_age_s = census_ns && now > census_ns ? (double)(now - census_ns) / 1e9 : 0;
	return &g->site;
}

const struct snapshot_go *golang__info(const struct golang *g, int pid)
{
	struct go_proc *p = find_proc(g, pid);

	if (!p)
		return NULL;
	/* Births and deaths since the last census count too: the total is the live one. */
	if (p->censused)
		p->info.goroutines = gotrack__live(g->track, (uint32_t)pid);
	return &p->info;
}

struct ustacks *golang__stacks(struct golang *g)
{
	return g->stacks;
}

void golang__losses(const struct golang *g, struct user_losses *l)
{
	const struct gotrack_losses *gl = gotrack__losses(g->track);

	l->go_exits_unseen_birth = gl->exits_unseen_birth;
	l->go_creates_missed = gl->creates_missed;
	l->go_exits_missed = gl->exits_missed;
	l->go_census_unreadable = gl->census_unreadable;
}
