// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The DWARF stack walker: follows the unwind rows userspace built from each
 * module's .eh_frame (see src/cfi.c), so code without frame pointers still
 * yields its whole call chain. memleak.bpf.c calls dwarf_unwind() from its
 * return probes and unwind_inherit() when a target forks. With --unwind fp
 * (walk_cfi false) the same walker follows frame pointers only.
 */
#include "memleak.bpf.h"

/*
 * Set by userspace before load. False (--unwind fp): no table, cache or
 * mapping list is looked at, every frame goes by the frame-pointer rule of
 * code without CFI, and such frames are normal, not counted.
 */
const volatile bool walk_cfi = false;

/* Enough halvings for the largest row table: log2(ML_MAX_UNWIND_ROWS) + 1. */
#define ROW_SEARCH_STEPS (ML_MAX_UNWIND_ROWS_LOG2 + 1)
#define MAP_SEARCH_STEPS 9 /* log2(ML_MAX_UNWIND_MAPS) + 1 */
/* Walkers one CPU may run at once: a uprobe program can be preempted by another. */
#define UNWIND_NEST_MAX	 4

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* sized by userspace before load */
	__type(key, __u32);
	__type(value, struct ml_unwind_row);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ML_MAX_TARGETS);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* 8 KiB a process: only for real targets */
	__type(key, __u32);		      /* pid in memleakd's namespace */
	__type(value, struct ml_unwind_proc);
} unwind_procs SEC(".maps");

/* An empty mapping list (all zero): the walk of a process without one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ml_unwind_proc);
} unwind_no_maps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* --stack-slots, set by userspace in dwarf mode */
	__type(key, __u64);
	__type(value, struct ml_stack);
} dwarf_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UNWIND_NEST_MAX);
	__type(key, __u32);
	__type(value, struct ml_stack);
} unwind_scratch SEC(".maps");

/* Per CPU: walkers running (preempted ones included) and the cache's tally. */
struct unwind_cpu {
	__u32 nesting;
	__u32 pad;
	__u64 cache_hits;
	__u64 cache_misses;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unwind_cpu);
} unwind_nesting SEC(".maps");

/*
 * The rule for one pc, as the walk applies it: a PLT row already resolved
 * for that pc (to ML_CFA_RSP), no row at all as ML_CFA_NONE.
 */
struct frame_rule {
	__s32 cfa_off;
	__s16 rbp_off;
	__u8 cfa_kind;
	__u8 pad;
};

/*
 * The per-PC cache: the rule found for (gen, pc) by the two binary searches
 * (two bpf_loops, ~25 map lookups: ~85 ns a frame more than a hit), kept so
 * the next walk through the same call site pays one inlined array lookup.
 * Call sites repeat: mallocbench misses 12 times in 2.4 M frames, sqlite3
 * on tools/bench/sqlite.sql ~750 in 15 M.
 *
 * Direct-mapped, per CPU, exact: a slot holds its full key, a conflicting
 * pc just replaces it. Per CPU, so no lock and no torn slot: only the
 * outermost walker of a CPU (nesting 0) reads or writes it; a walker that
 * preempted another searches instead. gen names the process's mapping list
 * (struct ml_unwind_proc), so when userspace replaces the list (dlopen,
 * dlclose, exec) the old slots no longer match: no flush is needed.
 * 4,096 slots of 24 bytes: 96 KiB per CPU.
 */
#define UNWIND_CACHE_SLOTS_LOG2 12
#define UNWIND_CACHE_SLOTS	(1u << UNWIND_CACHE_SLOTS_LOG2)

struct cached_rule {
	__u64 pc; /* lookup pc: return address - 1 */
	__u32 gen;
	__u32 valid;
	struct frame_rule rule;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, UNWIND_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct cached_rule);
} unwind_cache SEC(".maps");

struct walk {
	__u64 pc, sp, bp;
	__u64 hash;
	struct ml_unwind_proc *proc;
	struct ml_stack *out;
	__u32 gen;  /* the proc's gen, 0 when this walk must not use the cache */
	__u32 stop; /* 0 while walking, else the counter slot or STOP_DONE */
	/* Frame-pointer hops down into another stack still allowed (Go: g0 -> goroutine). */
	__u32 stack_switches;
	/* A Go stack: Go text has no CFI by design (Go walks frame pointers too), no loss. */
	bool go;
};

#define STOP_DONE ML_CNT_MAX

/*
 * Binary searches run as bpf_loop callbacks: as plain bounded loops the
 * verifier walks every branch of every halving and gives up.
 */
struct search {
	__u32 lo, hi; /* answer: lo - 1 is the last entry with key <= target */
	__u32 mid;    /* row_search_step's map key: here, so the callback needs no stack */
	__u64 target;
	struct ml_unwind_proc *proc;
};

static long map_search_step(__u32 index, void *data)
{
	struct search *s = data;
	__u32 mid;

	if (s->lo >= s->hi)
		return 1;
	mid = (s->lo + s->hi) / 2;
	if (s->proc->maps[mid & (ML_MAX_UNWIND_MAPS - 1)].start <= s->target)
		s->lo = mid + 1;
	else
		s->hi = mid;
	return 0;
}

static long row_search_step(__u32 index, void *data)
{
	struct search *s = data;
	struct ml_unwind_row *row;

	if (s->lo >= s->hi)
		return 1;
	s->mid = s->lo + (s->hi - s->lo) / 2;
	row = bpf_map_lookup_elem(&unwind_rows, &s->mid);
	if (!row)
		return 1;
	if (row->pc <= s->target)
		s->lo = s->mid + 1;
	else
		s->hi = s->mid;
	return 0;
}

/* The mapping holding pc, or NULL (anonymous code, vdso, unknown). */
static __always_inline struct ml_unwind_map *find_map(struct ml_unwind_proc *proc, __u64 pc)
{
	struct search s = {.lo = 0, .hi = proc->nr, .target = pc, .proc = proc};
	__u32 idx;

	if (s.hi > ML_MAX_UNWIND_MAPS)
		return NULL;
	bpf_loop(MAP_SEARCH_STEPS, map_search_step, &s, 0);
	if (s.lo == 0)
		return NULL;
	idx = (s.lo - 1) & (ML_MAX_UNWIND_MAPS - 1);
	if (pc >= proc->maps[idx].end)
		return NULL;
	return &proc->maps[idx];
}

/* The row covering vaddr within one module's slice: the last with pc <= vaddr. */
static __always_inline struct ml_unwind_row *find_row(const struct ml_unwind_map *m, __u64 vaddr)
{
	struct search s = {.lo = m->row_start, .hi = m->row_start + m->row_count, .target = vaddr};
	__u32 idx;

	bpf_loop(ROW_SEARCH_STEPS, row_search_step, &s, 0);
	if (s.lo == m->row_start)
		return NULL;
	idx = s.lo - 1;
	return bpf_map_lookup_elem(&unwind_rows, &idx);
}

static __always_inline bool read_word(__u64 addr, __u64 *value)
{
	return bpf_probe_read_user(value, sizeof(*value), (void *)addr) == 0;
}

/* The rule at lookup from the tables: two binary searches (mapping, then row). */
static __always_inline void search_rule(struct ml_unwind_proc *proc, __u64 lookup,
					struct frame_rule *rule)
{
	struct ml_unwind_map *m = find_map(proc, lookup);
	struct ml_unwind_row *row = NULL;

	if (m && m->row_count)
		row = find_row(m, lookup - m->bias);
	rule->cfa_kind = row ? row->cfa_kind : ML_CFA_NONE;
	if (!row)
		return;
	rule->cfa_off = row->cfa_off;
	rule->rbp_off = row->rbp_off;
	if (row->cfa_kind == ML_CFA_PLT) {
		/* PLT stubs push once past plt_lit within each 16-byte entry. */
		rule->cfa_kind = ML_CFA_RSP;
		rule->cfa_off += (lookup & 15) >= row->plt_lit ? 8 : 0;
	}
}

static __always_inline __u32 cache_index(__u64 pc, __u32 gen)
{
	return (__u32)(((pc ^ ((__u64)gen << 40)) * 0x9e3779b97f4a7c15ULL) >>
		       (64 - UNWIND_CACHE_SLOTS_LOG2));
}

/*
 * The rule at lookup in the mapping list proc names gen: from the per-PC
 * cache when it has it, else searched (and cached when gen is not 0).
 * Global, so the verifier checks it once on its own instead of in every
 * state of every walk (with it inlined, the walk outgrew the verifier).
 * 0, or -1 for missing arguments.
 */
int unwind_rule_at(struct ml_unwind_proc *proc, __u32 gen, __u64 lookup, struct frame_rule *rule)
{
	struct cached_rule *slot;
	struct unwind_cpu *cpu;
	__u32 index, zero = 0;

	if (!proc || !rule)
		return -1;
	if (!gen) {
		search_rule(proc, lookup, rule);
		return 0;
	}
	index = cache_index(lookup, gen);
	slot = bpf_map_lookup_elem(&unwind_cache, &index);
	cpu = bpf_map_lookup_elem(&unwind_nesting, &zero);
	if (!slot || !cpu)
		return -1;
	/* Plain increments: only this CPU's outermost walker gets here (gen != 0). */
	if (slot->valid && slot->pc == lookup && slot->gen == gen) {
		*rule = slot->rule;
		cpu->cache_hits++;
		return 0;
	}
	cpu->cache_misses++;
	search_rule(proc, lookup, rule);
	slot->valid = 1;
	slot->pc = lookup;
	slot->gen = gen;
	slot->rule = *rule;
	return 0;
}

/* Saved registers one read takes: the rbp save slot within 64 bytes below the CFA. */
#define FRAME_READ_WORDS 8

/*
 * The return address at cfa - 8 and, when the rule saved it, the caller's
 * rbp. Reads of user memory cost most of a cached frame (~30 ns each): when
 * rbp is saved within FRAME_READ_WORDS words below the CFA, one read takes
 * both, the callee-saved registers pushed between them included.
 */
static __always_inline bool read_frame(struct walk *w, const struct frame_rule *rule, __u64 cfa,
				       __u64 *ra)
{
	__u64 words[FRAME_READ_WORDS];
	__u32 nr;

	if (rule->rbp_off < 0 && rule->rbp_off >= -FRAME_READ_WORDS * 8 && !(rule->rbp_off & 7)) {
		nr = (__u32)(-rule->rbp_off) / 8;
		if (nr < 1 || nr > FRAME_READ_WORDS ||
		    bpf_probe_read_user(words, nr * 8, (void *)(cfa - nr * 8)))
			return false;
		w->bp = words[0];
		*ra = words[(nr - 1) & (FRAME_READ_WORDS - 1)];
		return true;
	}
	return read_word(cfa - 8, ra) && (!rule->rbp_off || read_word(cfa + rule->rbp_off, &w->bp));
}

/* One frame: record pc, then compute the caller's pc, sp and bp. */
static long unwind_step(__u32 index, void *data)
{
	struct walk *w = data;
	struct frame_rule rule = {};
	__u64 lookup, cfa = 0, ra, link[2]; /* link: the saved rbp, the return address */
	__u32 nr = (__u32)w->out->nr;
	bool switching = false;

	if (nr >= ML_MAX_STACK_DEPTH) {
		w->stop = ML_CNT_UNWIND_DEPTH;
		return 1;
	}
	w->out->ips[nr] = w->pc;
	w->out->nr = nr + 1;
	w->hash = (w->hash ^ w->pc) * 0x100000001b3ULL;

	/* Every pc here is a return address: look up the call instruction before it. */
	lookup = w->pc - 1;
	if (walk_cfi && unwind_rule_at(w->proc, w->gen, lookup, &rule)) {
		w->stop = ML_CNT_UNWIND_FAULT;
		return 1;
	}

	if (rule.cfa_kind == ML_CFA_END) {
		w->stop = STOP_DONE;
		return 1;
	}
	if (rule.cfa_kind == ML_CFA_UNSUPPORTED) {
		w->stop = ML_CNT_UNWIND_FAULT;
		return 1;
	}
	if (rule.cfa_kind == ML_CFA_RSP)
		cfa = w->sp + rule.cfa_off;
	else if (rule.cfa_kind == ML_CFA_RBP)
		cfa = w->bp + rule.cfa_off;

	if (cfa) {
		if (!read_frame(w, &rule, cfa, &ra)) {
			w->stop = ML_CNT_UNWIND_FAULT;
			return 1;
		}
	} else {
		/* No CFI here (JIT, hand-written code): trust the frame pointer once. */
		if (w->bp && w->bp < w->sp && w->stack_switches) {
			/* Go's systemstack links g0's frames to the goroutine's stack, maybe below.
			 */
			w->stack_switches--;
			switching = true;
		} else if (!w->bp || w->bp < w->sp) {
			w->stop = STOP_DONE; /* the outermost frame clears rbp */
			return 1;
		}
		/* fp mode: a chain into unreadable memory ends there, as the kernel's walk does. */
		if (bpf_probe_read_user(link, sizeof(link), (void *)w->bp)) {
			w->stop = walk_cfi ? ML_CNT_UNWIND_FAULT : STOP_DONE;
			return 1;
		}
		cfa = w->bp + 16;
		w->bp = link[0];
		ra = link[1];
		if (walk_cfi && !w->go)
			count(ML_CNT_UNWIND_NOCFI);
	}
	if (!ra) {
		w->stop = STOP_DONE;
		return 1;
	}
	if (cfa <= w->sp && !switching) {
		/* Stacks grow down: a caller's frame is always above. */
		w->stop = ML_CNT_UNWIND_FAULT;
		return 1;
	}
	w->pc = ra;
	w->sp = cfa;
	return 0;
}

/*
 * Walks the user stack from the registers of a return probe (pc is the
 * return address in the allocator's caller) and stores it in dwarf_stacks.
 * Returns the stack's key, or 0 when no stack was stored.
 *
 * Cost (bpf_stats, mallocbench 200000 8 1 0: 12 frames, medians on a quiet
 * 2-CPU KVM guest): alloc_return ~780-900 ns with this walk, ~1,800 before
 * the per-PC cache. Per frame on a cache hit: the bpf_loop step, one call,
 * two inlined per-CPU array lookups, one user read (the FNV step and the
 * ips store are noise). Per walk: the unwind_procs hash lookup, the
 * nesting counter (needed: scratch slot and cache ownership), one
 * dwarf_stacks lookup (an update only for a new stack: the update takes
 * the bucket lock).
 *
 * --unwind fp (walk_cfi false): ~560 ns, against ~1,040 with the kernel's
 * bpf_get_stackid(BPF_F_USER_STACK) it replaced (same frames, same
 * machine, 2026-12-02). Per frame: the bpf_loop step and one 16-byte user
 * read; per walk: the nesting counter and the dwarf_stacks lookup.
 */
__hidden __u64 dwarf_unwind(struct pt_regs *ctx, __u32 stack_switches)
{
	__u32 zero = 0, slot, pid, tid;
	struct unwind_cpu *cpu;
	struct walk w = {};
	__u64 key = 0;

	if (walk_cfi) {
		current_ids(&pid, &tid);
		w.proc = bpf_map_lookup_elem(&unwind_procs, &pid);
		/*
		 * A process whose mappings userspace has not sent yet (system-wide,
		 * just started): every frame by frame pointer, counted as without CFI.
		 */
		if (!w.proc)
			w.proc = bpf_map_lookup_elem(&unwind_no_maps, &zero);
		if (!w.proc) {
			count(ML_CNT_STACK_FAIL);
			return 0;
		}
	}
	cpu = bpf_map_lookup_elem(&unwind_nesting, &zero);
	if (!cpu) {
		count(ML_CNT_STACK_FAIL);
		return 0;
	}
	slot = __sync_fetch_and_add(&cpu->nesting, 1);
	if (slot >= UNWIND_NEST_MAX) {
		count(ML_CNT_STACK_NESTED);
		goto out;
	}
	w.out = bpf_map_lookup_elem(&unwind_scratch, &slot);
	if (!w.out)
		goto out;
	w.out->nr = 0;
	w.pc = PT_REGS_IP(ctx);
	w.sp = PT_REGS_SP(ctx);
	w.bp = PT_REGS_FP(ctx);
	w.hash = 0xcbf29ce484222325ULL;
	w.stack_switches = stack_switches;
	w.go = stack_switches > 0;
	/* The cache is this CPU's outermost walker's alone (see unwind_cache). */
	w.gen = walk_cfi && slot == 0 && w.proc ? w.proc->gen : 0;
	bpf_loop(ML_MAX_STACK_DEPTH + 1, unwind_step, &w, 0);
	if (w.stop != STOP_DONE && w.stop < ML_CNT_MAX)
		count(w.stop);
	key = w.hash ? w.hash : 1;
	/* Most stacks repeat: look before taking the bucket lock; -EEXIST is a race won. */
	if (!bpf_map_lookup_elem(&dwarf_stacks, &key) &&
	    bpf_map_update_elem(&dwarf_stacks, &key, w.out, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&dwarf_stacks, &key)) {
		count(ML_CNT_STACK_FAIL);
		key = 0;
	}
out:
	__sync_fetch_and_add(&cpu->nesting, -1);
	return key;
}

/* The child of a traced fork maps what its parent maps: before its first allocation. */
__hidden void unwind_inherit(__u32 parent, __u32 child)
{
	struct ml_unwind_proc *maps = bpf_map_lookup_elem(&unwind_procs, &parent);

	if (maps)
		bpf_map_update_elem(&unwind_procs, &child, maps, BPF_ANY);
}
