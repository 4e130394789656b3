// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Allocation capture: entry probes stash each request per thread, return
 * probes emit one ALLOC record with the user stack, free emits a FREE record,
 * and sched_process_exit tells userspace when a target is gone.
 *
 * Nothing is dropped silently: every path that loses a record bumps a slot
 * of the "counters" map (see memleak.h).
 *
 * The DWARF walker (unwind.bpf.c) and byte sampling (sample.bpf.c) are
 * units of their own, linked in by bpftool gen object; memleak.bpf.h says
 * what crosses.
 */
#include "memleak.bpf.h"

#define EFAULT	      14 /* errno values are not in vmlinux.h */
#define SIGSTOP	      19
#define RT_CONSISTENT 0 /* <link.h>: r_debug.r_state once the link map is complete */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Load-time knobs, set by userspace between open and load. */
const volatile __u64 min_size = 0;	     /* --min-size */
const volatile __u64 max_size = ~0ULL;	     /* --max-size */
const volatile __u64 wakeup_bytes = 1 << 20; /* force a wakeup past this fill */
const volatile __u64 pidns_dev = 0;	     /* memleakd's PID namespace, 0 = init */
const volatile __u64 pidns_ino = 0;
/*
 * Probes attached to whole files (command mode, -f, system-wide): the
 * programs decide which processes count. Otherwise perf_event_open's pid
 * filter already did.
 */
const volatile bool filter_targets = false;
const volatile bool system_wide = false;  /* every process but memleakd itself */
const volatile bool follow_forks = false; /* -f: a target's children become targets */
const volatile bool stop_on_exec = false; /* hold an exec'ing target until its probes are on */
/*
 * -f with per-process probes: a target's forked child stops before its
 * first instruction until memleakd has attached the child's own probes.
 */
const volatile bool hold_forks = false;
/* Targets stop in _exit for memleakd's reachability scan (command mode, -f). */
const volatile bool hold_exits = false;
/*
 * Sampling with uprobe sessions (alloc_session): the sampling draw happens
 * at entry, so an unsampled call skips its return probe.
 */
const volatile bool sample_at_entry = false;
const volatile __u32 self_pid = 0;    /* memleakd, in its own namespace */
const volatile __u32 pidns_level = 0; /* depth of memleakd's PID namespace */
/*
 * Test only (MEMLEAKD_TEST_DROP_RECORDS): lifecycle records whose bit
 * (1 << ML_EV_*) is set are treated as if both ring buffers were full.
 */
const volatile __u32 test_drop_records = 0;

/*
 * What the thread's stash slot holds (struct stash, state). The slot is
 * per task and never deleted, only marked empty.
 */
#define STASH_EMPTY	0
#define STASH_CALL	1 /* an allocator call in flight: its return probe will read it */
/*
 * sample_at_entry only: an unsampled call whose return probe the kernel
 * skips, so nothing marks its end. Kept to recognise the calls nested in
 * it (operator new calling malloc, realloc(NULL, n) calling malloc),
 * see inside_unsampled.
 */
#define STASH_UNSAMPLED 2

/* An allocator call in flight on one thread (its task-storage slot). */
struct stash {
	__u64 size;
	__u64 old_ptr; /* realloc family: the block being resized */
	__u64 memptr;  /* posix_memalign: where the result is stored */
	__u64 sp;      /* stack pointer at entry, to recognise nested calls */
	__u64 ts_ns;   /* entry time: the ALLOC record's time too */
	__u64 ra;      /* STASH_UNSAMPLED: the return address at sp */
	__u64 ip;      /* STASH_UNSAMPLED: the allocator's entry point */
	__u32 depth;   /* allocator calls nested inside this one */
	__u8 kind;
	__u8 state;   /* STASH_* */
	bool sampled; /* sample_at_entry: the new block was drawn (else realloc's failure only) */
	__u8 pad;
};

#define KIND_PLAIN	  0
#define KIND_REALLOC	  1
#define KIND_MEMPTR	  2
#define KIND_MMAP	  3
#define KIND_IGNORE	  4 /* a call whose result is not traced (a file mapping) */
#define KIND_REALLOCARRAY 5 /* KIND_REALLOC that tail-jumps into realloc (glibc) */

#define MAP_ANONYMOUS 0x20
#define MAP_FAILED    (~0ULL)

/* A nested call older than this is a stash whose return probe was missed. */
#define STASH_MAX_AGE_NS   1000000000ULL
/*
 * An allocator that tail-jumps into another (glibc's reallocarray jumps to
 * realloc) enters it with the same stack pointer, within nanoseconds; both
 * return probes then fire on the one return. A same-sp entry this soon is
 * that, not a missed return (which would need a whole call in between).
 */
#define TAIL_CALL_MAX_NS   10000000ULL
/*
 * A call nested in an allocator is made from the allocator's own code:
 * its return address lies this near the outer allocator's entry point
 * (operator new and the malloc it calls, realloc and malloc, malloc and
 * the mmap its sysmalloc calls are each in one object file).
 */
#define NESTED_CALLER_NEAR (1ULL << 20)

/*
 * The per-thread stash: task local storage, found through the task in a
 * few loads (a hash map keyed by pid_tgid cost a lookup, an update and a
 * delete per call). Created at a thread's first allocator call, freed by
 * the kernel with the thread; a failed creation is STASH_FULL.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct stash);
} stashes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by userspace before load */
} events SEC(".maps");

/* Lifecycle records when "events" is full (see memleak.h). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ML_LIFE_RINGBUF_BYTES);
} life_events SEC(".maps");

struct ml_counters_map counters SEC(".maps");

/*
 * Processes BPF stopped at EXEC/READY: pid -> ts_ns of the record that says
 * so. Full (4096 execs waiting at once), a process runs on unheld, counted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} held SEC(".maps");

/*
 * Thread -> its stack pointer when it called libc's exit(): the exit scan
 * reads that thread's stack from there, not from _exit's, so the frames of
 * the exit handlers (and what earlier calls left in them) are no roots.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} exit_sps SEC(".maps");

/* Targets by PID in memleakd's namespace, for the exit tracepoint. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ML_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Processes that exec'd and whose loader has not finished mapping libraries. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} loading SEC(".maps");

/*
 * A record in "events"; a full ring buffer is RB_DROPS. ts_ns: the caller's
 * one bpf_ktime_get_ns of the event. Records sent are not counted here:
 * userspace counts what it reads.
 */
static __always_inline void emit_stack(__u32 type, __u64 addr, __u64 size, __s32 stack_id,
				       __u64 stack_key, __u64 ts_ns)
{
	struct ml_event *e;
	__u64 flags;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(ML_CNT_RB_DROPS);
		return;
	}
	e->type = type;
	current_ids(&e->pid, &e->tid);
	e->stack_id = stack_id;
	e->addr = addr;
	e->size = size;
	e->ts_ns = ts_ns;
	e->stack_key = stack_key;
	flags = ringbuf_wakeup(&events, wakeup_bytes);
	bpf_ringbuf_submit(e, flags);
}

static __always_inline void emit(__u32 type, __u64 addr, __u64 size, __s32 stack_id, __u64 ts_ns)
{
	emit_stack(type, addr, size, stack_id, 0, ts_ns);
}

/* Room for a lifecycle record: in "events", else in "life_events"; NULL (counted) in neither. */
static __always_inline struct ml_event *reserve_lifecycle(__u32 type)
{
	struct ml_event *e = NULL;

	if (!(test_drop_records & (1u << type))) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e)
			e = bpf_ringbuf_reserve(&life_events, sizeof(*e), 0);
	}
	if (!e)
		count(ML_CNT_LIFE_LOST);
	return e;
}

/* Fills and sends a reserved lifecycle record; a process may wait on it: wake the reader. */
static __always_inline void submit_lifecycle(struct ml_event *e, __u32 type, __u64 addr,
					     __u64 ts_ns)
{
	e->type = type;
	current_ids(&e->pid, &e->tid);
	e->stack_id = 0;
	e->addr = addr;
	e->size = 0;
	e->ts_ns = ts_ns;
	e->stack_key = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/*
 * Stops the current process until userspace continues it, only when its
 * record e is reserved (it will arrive) and the hold is in the held map
 * (so it is resumed even when the record is mishandled). Else it runs on,
 * counted.
 */
static __always_inline void hold_current(struct ml_event *e, __u32 pid, __u64 ts_ns)
{
	if (!e || bpf_map_update_elem(&held, &pid, &ts_ns, BPF_ANY)) {
		count(ML_CNT_EXEC_NOT_HELD);
		return;
	}
	if (bpf_send_signal(SIGSTOP)) {
		bpf_map_delete_elem(&held, &pid);
		count(ML_CNT_EXEC_NOT_HELD);
	}
}

/* Linux >= 6.13; weak: the object loads without it (then hold_forks stays false). */
extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				__u64 value) __weak __ksym;

/*
 * hold_current for a new child, from the fork tracepoint: it stops before
 * it first runs (the signal is pending when it leaves the kernel).
 */
static __always_inline void hold_child(struct ml_event *e, struct task_struct *child, __u32 pid,
				       __u64 ts_ns)
{
	if (!e || bpf_map_update_elem(&held, &pid, &ts_ns, BPF_ANY)) {
		count(ML_CNT_EXEC_NOT_HELD);
		return;
	}
	if (bpf_send_signal_task(child, SIGSTOP, PIDTYPE_TGID, 0)) {
		bpf_map_delete_elem(&held, &pid);
		count(ML_CNT_EXEC_NOT_HELD);
	}
}

/* A lifecycle record with nothing to hold. */
static __always_inline void emit_lifecycle(__u32 type, __u64 addr)
{
	struct ml_event *e = reserve_lifecycle(type);

	if (e)
		submit_lifecycle(e, type, addr, bpf_ktime_get_ns());
}

static __always_inline bool is_target(__u32 pid)
{
	return pid && bpf_map_lookup_elem(&targets, &pid);
}

/* Whether the calling process is traced, when the kernel did not filter by pid. */
static __always_inline bool current_traced(void)
{
	__u32 pid, tid;

	if (!filter_targets)
		return true;
	current_ids(&pid, &tid);
	if (system_wide)
		return pid && pid != self_pid;
	return is_target(pid);
}

__hidden bool current_is_traced(void)
{
	return current_traced();
}

/* What an entry tells a uprobe session (alloc_session): run its return probe, or skip it. */
#define RUN_RETURN  0
#define SKIP_RETURN 1

/* The thread's stash slot, created when create; NULL: none (or no memory for one). */
static __always_inline struct stash *thread_stash(bool create)
{
	return bpf_task_storage_get(&stashes, bpf_get_current_task_btf(), NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* True when this thread is inside a traced allocator call whose return probe will run. */
static __always_inline bool inside_allocator(struct stash *s, __u64 sp, __u64 now)
{
	if (!s || s->state != STASH_CALL)
		return false;
	if (sp == s->sp)
		return now - s->ts_ns < TAIL_CALL_MAX_NS;
	return sp < s->sp && now - s->ts_ns < STASH_MAX_AGE_NS;
}

/* The return address a call pushed at sp; 0 when unreadable. */
static __always_inline __u64 return_address_at(__u64 sp)
{
	__u64 ra = 0;

	bpf_probe_read_user(&ra, sizeof(ra), (void *)sp);
	return ra;
}

/*
 * sample_at_entry: true when this call (of kind, at sp) runs inside an
 * unsampled call that has not returned (STASH_UNSAMPLED), whose end no
 * probe saw. Nested: within TAIL_CALL_MAX_NS of it, and either
 * - at the same sp with the same return address: glibc's reallocarray
 *   tail-jumping into realloc (a new call from that site is reallocarray
 *   again); or
 * - deeper, with its return address still in its slot (once it returned,
 *   the next call its caller makes overwrites the slot), called from code
 *   near its entry point (a caller whose frame merely covers the stale
 *   slot is elsewhere). Reads user memory only for calls that close.
 */
static __always_inline bool inside_unsampled(struct stash *s, __u32 kind, __u64 sp, __u64 now)
{
	__u64 caller;

	if (s->state != STASH_UNSAMPLED || !s->ra || sp > s->sp ||
	    now - s->ts_ns >= TAIL_CALL_MAX_NS)
		return false;
	if (sp == s->sp)
		return s->kind == KIND_REALLOCARRAY && kind == KIND_REALLOC &&
		       return_address_at(sp) == s->ra;
	if (return_address_at(s->sp) != s->ra)
		return false;
	caller = return_address_at(sp);
	return caller - s->ip + NESTED_CALLER_NEAR < 2 * NESTED_CALLER_NEAR;
}

/* sample_at_entry: whether the block this call makes is recorded (filters, then the draw). */
static __always_inline bool draw_at_entry(__u64 size)
{
	if (size < min_size || size > max_size) {
		count(ML_CNT_FILTERED);
		return false;
	}
	return !sample_bytes || sample_draw(size);
}

/*
 * An allocator's entry: stashes the call for its return probe. Returns
 * SKIP_RETURN when the return has nothing to do (only a session acts on it).
 */
static __always_inline int enter(struct pt_regs *ctx, __u32 kind, __u64 size, __u64 old_ptr,
				 __u64 memptr)
{
	__u64 sp = PT_REGS_SP(ctx), now;
	bool freed_old = false;
	struct stash *s;

	if (!current_traced())
		return SKIP_RETURN;
	s = thread_stash(true);
	now = bpf_ktime_get_ns();
	if (inside_allocator(s, sp, now)) {
		/* e.g. reallocarray calling realloc: the outer call reports. */
		count(ML_CNT_NESTED);
		if (sample_at_entry)
			return SKIP_RETURN; /* no return probe to undo depth */
		s->depth++;
		return RUN_RETURN;
	}
	if (sample_at_entry && s && inside_unsampled(s, kind, sp, now)) {
		count(ML_CNT_NESTED);
		return SKIP_RETURN;
	}
	if (!s)
		count(ML_CNT_STASH_FULL);
	else if (s->state == STASH_CALL)
		count(ML_CNT_STASH_STALE);

	/*
	 * The old block's FREE goes out before realloc can hand the address to
	 * another thread, so the two records can never arrive in the wrong order.
	 */
	if ((kind == KIND_REALLOC || kind == KIND_REALLOCARRAY) && old_ptr &&
	    sample_free(old_ptr)) {
		emit(ML_EV_FREE, old_ptr, 0, 0, now);
		freed_old = true;
	}
	if (!s)
		return SKIP_RETURN;

	s->sampled = true;
	if (sample_at_entry) {
		if (kind == KIND_IGNORE)
			return SKIP_RETURN;
		s->sampled = draw_at_entry(size);
		/* A realloc whose FREE left keeps its return: a failure is counted. */
		if (!s->sampled && !freed_old) {
			s->state = STASH_UNSAMPLED;
			s->sp = sp;
			s->ts_ns = now;
			s->kind = kind;
			s->depth = 0;
			s->ra = return_address_at(sp);
			s->ip = PT_REGS_IP(ctx);
			return SKIP_RETURN;
		}
	}
	s->size = size;
	s->old_ptr = old_ptr;
	s->memptr = memptr;
	s->sp = sp;
	s->ts_ns = now;
	s->depth = 0;
	s->kind = kind;
	s->state = STASH_CALL;
	return RUN_RETURN;
}

/*
 * A record with the user stack at ctx, walked by dwarf_unwind in both modes
 * (--unwind fp: by frame pointers only) and stored in dwarf_stacks. The
 * kernel's bpf_get_stackid(BPF_F_USER_STACK) into a STACK_TRACE map cost
 * more than the whole DWARF walk (bpf_stats, mallocbench: alloc_return
 * ~1,040 ns with it, ~810 ns with the DWARF walk).
 */
static __always_inline void emit_stack_of(struct pt_regs *ctx, __u32 type, __u64 addr, __u64 size,
					  __u32 stack_switches, __u64 ts_ns)
{
	__u64 key = dwarf_unwind(ctx, stack_switches);

	emit_stack(type, addr, size, key ? 0 : -EFAULT, key, ts_ns);
}

/* For the other units (memleak.bpf.h). */
__hidden void emit_with_stack(struct pt_regs *ctx, __u32 type, __u64 addr, __u64 size,
			      __u32 stack_switches)
{
	emit_stack_of(ctx, type, addr, size, stack_switches, bpf_ktime_get_ns());
}

__hidden void emit_without_stack(__u32 type, __u64 addr, __u64 size)
{
	emit(type, addr, size, 0, bpf_ktime_get_ns());
}

/*
 * The ALLOC (or MMAP) record of a returned call; ts_ns is its entry's time.
 * sampled: sample_at_entry's draw at entry.
 */
static __always_inline void record_alloc(struct pt_regs *ctx, __u32 type, __u64 addr, __u64 size,
					 __u64 ts_ns, bool sampled)
{
	if (sample_at_entry) {
		/* Filtered and drawn at entry: only remembered here, for its free. */
		if (!sampled || !sample_remember(addr))
			return;
	} else {
		if (size < min_size || size > max_size) {
			count(ML_CNT_FILTERED);
			return;
		}
		if (!sample_alloc(addr, size))
			return;
	}
	/*
	 * Taken in the return probe, the walk starts inside the caller: at the
	 * entry the caller's own frame would be missing (see DESIGN.md).
	 */
	emit_stack_of(ctx, type, addr, size, 0, ts_ns);
}

static __always_inline int leave(struct pt_regs *ctx)
{
	__u64 ret = PT_REGS_RC(ctx), addr = 0, size, old_ptr, memptr, ts_ns;
	struct stash *s;
	__u32 kind;
	bool sampled;

	s = thread_stash(false);
	if (!s || s->state != STASH_CALL) {
		if (current_traced())
			count(ML_CNT_STASH_MISS);
		return 0;
	}
	if (s->depth) {
		s->depth--;
		return 0;
	}
	size = s->size;
	old_ptr = s->old_ptr;
	memptr = s->memptr;
	ts_ns = s->ts_ns;
	kind = s->kind;
	sampled = s->sampled;
	s->state = STASH_EMPTY;

	switch (kind) {
	case KIND_MEMPTR:
		if (ret != 0) /* posix_memalign returns an errno value */
			return 0;
		if (!sampled)
			return 0;
		if (bpf_probe_read_user(&addr, sizeof(addr), (void *)memptr)) {
			count(ML_CNT_MEMPTR_FAULT);
			return 0;
		}
		break;
	case KIND_IGNORE:
		return 0;
	case KIND_MMAP:
		if (ret == MAP_FAILED)
			return 0;
		record_alloc(ctx, ML_EV_MMAP, ret, size, ts_ns, sampled);
		return 0;
	case KIND_REALLOC:
	case KIND_REALLOCARRAY:
		if (!ret && size && old_ptr) {
			/* The block survives a failed realloc; its FREE already left. */
			count(ML_CNT_REALLOC_FAILED);
			return 0;
		}
		addr = ret;
		break;
	default:
		addr = ret;
		break;
	}
	if (addr)
		record_alloc(ctx, ML_EV_ALLOC, addr, size, ts_ns, sampled);
	return 0;
}

/*
 * clang turns every textbook overflow check into a 128-bit multiply, which
 * BPF lacks; the empty asm hides the product from that pattern match.
 */
static __always_inline bool mul_overflows(__u64 a, __u64 b)
{
	__u64 product = a * b;

	if (!((a | b) >> 32))
		return false;
	asm volatile("" : "+r"(product));
	return b && product / b != a;
}

/*
 * The entry probes' bodies, one per kind (ML_ENTRY_*). Each has a program
 * of its own (perf-event probes, one per point) and alloc_enter runs them
 * all by cookie (per-process uprobe_multi links: one link per file).
 * Each returns RUN_RETURN or SKIP_RETURN for alloc_session.
 */

static __always_inline int on_calloc(struct pt_regs *ctx, __u64 nmemb, __u64 size)
{
	/* An overflowing calloc fails and returns NULL: nothing to record. */
	if (mul_overflows(nmemb, size))
		return enter(ctx, KIND_PLAIN, 0, 0, 0);
	return enter(ctx, KIND_PLAIN, nmemb * size, 0, 0);
}

static __always_inline int on_reallocarray(struct pt_regs *ctx, __u64 ptr, __u64 nmemb, __u64 size)
{
	/* On overflow glibc fails with ENOMEM and leaves ptr alone. */
	if (mul_overflows(nmemb, size))
		return enter(ctx, KIND_PLAIN, 0, 0, 0);
	return enter(ctx, KIND_REALLOCARRAY, nmemb * size, ptr, 0);
}

/* --mmap: anonymous mappings the program makes itself (inside malloc they are nested). */
static __always_inline int on_mmap(struct pt_regs *ctx, __u64 len, __u64 flags)
{
	/* A file mapping still stashes: its return probe must find its entry. */
	return enter(ctx, flags & MAP_ANONYMOUS ? KIND_MMAP : KIND_IGNORE, len, 0, 0);
}

/*
 * free and munmap: one record when the block is traced (and, sampling,
 * was sampled). The time is read only when needed: to age a stash in
 * flight, or for the record.
 */
static __always_inline int on_release(struct pt_regs *ctx, __u32 type, __u64 addr, __u64 len,
				      bool count_nested)
{
	struct stash *s;
	__u64 now = 0;

	if (!addr || !current_traced())
		return SKIP_RETURN;
	s = thread_stash(false);
	if (s && s->state == STASH_CALL) {
		now = bpf_ktime_get_ns();
		if (inside_allocator(s, PT_REGS_SP(ctx), now)) {
			if (count_nested)
				count(ML_CNT_NESTED);
			return SKIP_RETURN;
		}
	}
	if (sample_free(addr))
		emit(type, addr, len, 0, now ? now : bpf_ktime_get_ns());
	return SKIP_RETURN;
}

static __always_inline int on_munmap(struct pt_regs *ctx, __u64 addr, __u64 len)
{
	return on_release(ctx, ML_EV_MUNMAP, addr, len, false);
}

static __always_inline int on_free(struct pt_regs *ctx, __u64 ptr)
{
	return on_release(ctx, ML_EV_FREE, ptr, 0, true);
}

/*
 * BPF_KPROBE works for uprobes: both receive the user pt_regs.
 *
 * What the hot-path programs cost per run (kernel.bpf_stats_enabled,
 * mallocbench 200000 8 1 0 under -p, 2-core KVM guest, Linux 6.18; an
 * empty program measures 35 ns there, the stats' own clock reads
 * included):
 *   malloc_enter (and the other entries)  76-90 ns (was 150-170 with a
 *     hash-map stash): the task-storage slot (a few loads, created once
 *     per thread), one clock read, the slot's fields.
 *   free_enter  114-127 ns (was 134-180): the slot (is an allocator call
 *     in flight?), one clock read, one ring buffer record.
 *   alloc_return  the stack walk (fp ~560 ns, was ~1,040 with
 *     bpf_get_stackid; dwarf ~780 ns; 8 frames below main) and one
 *     record; with --sample-bytes 64k 124-165 ns on average (was
 *     200-295), the ~3% sampled blocks' walks included.
 */

SEC("uprobe")
int BPF_KPROBE(malloc_enter, size_t size)
{
	enter(ctx, KIND_PLAIN, size, 0, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(calloc_enter, size_t nmemb, size_t size)
{
	on_calloc(ctx, nmemb, size);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, void *ptr, size_t size)
{
	enter(ctx, KIND_REALLOC, size, (__u64)ptr, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(reallocarray_enter, void *ptr, size_t nmemb, size_t size)
{
	on_reallocarray(ctx, (__u64)ptr, nmemb, size);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, void **memptr, size_t alignment, size_t size)
{
	enter(ctx, KIND_MEMPTR, size, 0, (__u64)memptr);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(memalign_enter, size_t alignment, size_t size)
{
	/* memalign and aligned_alloc share this signature (and, in glibc, code). */
	enter(ctx, KIND_PLAIN, size, 0, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(valloc_enter, size_t size)
{
	/* valloc and pvalloc; the requested size is what the caller asked for. */
	enter(ctx, KIND_PLAIN, size, 0, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(mmap_enter, void *addr, size_t len, int prot, int flags, int fd)
{
	on_mmap(ctx, len, (__u64)flags);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(munmap_enter, void *addr, size_t len)
{
	on_munmap(ctx, (__u64)addr, len);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(free_enter, void *ptr)
{
	on_free(ctx, (__u64)ptr);
	return 0;
}

/* The entry of an allocator function of kind ML_ENTRY_*. */
static __always_inline int entry_of_kind(struct pt_regs *ctx, __u64 kind)
{
	__u64 a1 = PT_REGS_PARM1(ctx), a2 = PT_REGS_PARM2(ctx), a3 = PT_REGS_PARM3(ctx);

	switch (kind) {
	case ML_ENTRY_MALLOC:
		return enter(ctx, KIND_PLAIN, a1, 0, 0);
	case ML_ENTRY_CALLOC:
		return on_calloc(ctx, a1, a2);
	case ML_ENTRY_REALLOC:
		return enter(ctx, KIND_REALLOC, a2, a1, 0);
	case ML_ENTRY_REALLOCARRAY:
		return on_reallocarray(ctx, a1, a2, a3);
	case ML_ENTRY_POSIX_MEMALIGN:
		return enter(ctx, KIND_MEMPTR, a3, 0, a1);
	case ML_ENTRY_MEMALIGN:
		return enter(ctx, KIND_PLAIN, a2, 0, 0);
	case ML_ENTRY_VALLOC:
		return enter(ctx, KIND_PLAIN, a1, 0, 0);
	case ML_ENTRY_MMAP:
		return on_mmap(ctx, a2, PT_REGS_PARM4(ctx));
	case ML_ENTRY_MUNMAP:
		return on_munmap(ctx, a1, a2);
	case ML_ENTRY_FREE:
		return on_free(ctx, a1);
	default:
		return SKIP_RETURN;
	}
}

/* Every entry point of a file in one program: the cookie is its ML_ENTRY_* kind. */
SEC("uprobe")
int alloc_enter(struct pt_regs *ctx)
{
	entry_of_kind(ctx, bpf_get_attach_cookie(ctx));
	return 0;
}

/* Linux >= 6.12, session programs only: whether this run is at the return. */
extern bool bpf_session_is_return(void) __weak __ksym;

/*
 * Every entry point of a file as one uprobe session (--sample-bytes on a
 * kernel with sessions; loaded only then, with sample_at_entry): the same
 * program runs at entry and at return. The entry draws the sample (the
 * size is known there) and returns SKIP_RETURN (1), so the kernel skips
 * the return, for an unsampled, nested, filtered or untraced call and for
 * free and munmap: a call with nothing to record costs one trap. A sampled
 * call stashes and returns RUN_RETURN (0); its return records the block.
 * Cost, --sample-bytes 64k (same bench as above): 170-230 ns per run over
 * entries, frees and the ~3% returns with their walks; the BPF work per
 * malloc+free pair is about the uretprobe path's (an unsampled entry reads
 * its return address for the nested-call check), but the return trap is
 * gone: 1.55-2.0 us per pair against 1.98-2.72 us, same runs.
 */
SEC("uprobe")
int alloc_session(struct pt_regs *ctx)
{
	if (bpf_session_is_return())
		return leave(ctx);
	return entry_of_kind(ctx, bpf_get_attach_cookie(ctx));
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return)
{
	return leave(ctx);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	__u32 pid, tid;

	/* The tracepoint fires per thread; the group is gone when live is 0. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	current_ids(&pid, &tid);
	if (!pid || pid == self_pid || (!system_wide && !is_target(pid)))
		return 0;
	bpf_map_delete_elem(&loading, &pid);
	/* A held process killed while stopped: its PID must not be continued later. */
	bpf_map_delete_elem(&held, &pid);
	/* Here, before the PID can be reused: a process that takes it is no target by mistake. */
	bpf_map_delete_elem(&targets, &pid);
	emit_lifecycle(ML_EV_EXIT, 0);
	return 0;
}

/* task's process ID as memleakd sees it (task is not current here). */
static __always_inline __u32 task_pid_seen(struct task_struct *task)
{
	struct upid upid = {};
	struct pid *pid;

	if (!pidns_dev)
		return BPF_CORE_READ(task, tgid);
	pid = BPF_CORE_READ(task, thread_pid);
	if (!pid || BPF_CORE_READ(pid, level) < pidns_level)
		return 0;
	bpf_core_read(&upid, sizeof(upid), &pid->numbers[pidns_level]);
	return upid.nr;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct ml_event *e;
	__u32 pid, tid, child_pid;
	__u64 now;
	__u8 one = 1;
	bool target;

	/* A new thread shares its process's entry; only new processes matter. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	current_ids(&pid, &tid);
	target = is_target(pid);
	if (!pid || pid == self_pid || (!system_wide && !(follow_forks && target)))
		return 0;
	child_pid = task_pid_seen(child);
	if (!child_pid)
		return 0;
	/* Before the child first runs: its first allocation is already traced... */
	if (follow_forks && target && bpf_map_update_elem(&targets, &child_pid, &one, BPF_ANY)) {
		count(ML_CNT_TARGETS_FULL);
		return 0;
	}
	/* ...and unwound: it maps what its parent maps. */
	if (walk_cfi)
		unwind_inherit(pid, child_pid);
	/* Per-process probes: the child runs once its own are on (held like an exec). */
	now = bpf_ktime_get_ns();
	e = reserve_lifecycle(ML_EV_FORK);
	if (hold_forks && follow_forks && target)
		hold_child(e, child, child_pid, now);
	if (e)
		submit_lifecycle(e, ML_EV_FORK, child_pid, now);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 now = bpf_ktime_get_ns();
	struct ml_event *e;
	__u32 pid, tid;
	__u8 one = 1;
	bool target;

	current_ids(&pid, &tid);
	target = is_target(pid);
	if (!pid || pid == self_pid || (!system_wide && !target))
		return 0;
	bpf_map_update_elem(&loading, &pid, &one, BPF_ANY);
	/*
	 * The new image's allocator may be a file no probe is on yet: the
	 * process stops before its first instruction until memleakd has
	 * attached and sends SIGCONT. Only with its record reserved: a stop
	 * nobody hears of would last for good.
	 */
	e = reserve_lifecycle(ML_EV_EXEC);
	if (stop_on_exec && target)
		hold_current(e, pid, now);
	if (e)
		submit_lifecycle(e, ML_EV_EXEC, 0, now);
	return 0;
}

/*
 * The dynamic loader's debugger hook (_dl_debug_state), called when the
 * link map changes: after an exec's libraries are mapped, and at every
 * dlopen and dlclose. The cookie is the distance from the hook to
 * _r_debug.r_state; 0 when unknown (every call counts). A traced process
 * is held at RT_CONSISTENT (before a dlopened library's constructors run)
 * until memleakd has read its new mappings, so allocations inside a library
 * it just loaded unwind through it and name it.
 */
SEC("uprobe")
int dl_debug_state(struct pt_regs *ctx)
{
	__s64 to_state = (__s64)bpf_get_attach_cookie(ctx);
	struct ml_event *e;
	__u32 pid, tid;
	__u64 now;
	int state = RT_CONSISTENT;
	bool after_exec, target;

	current_ids(&pid, &tid);
	if (!pid || pid == self_pid)
		return 0;
	after_exec = bpf_map_lookup_elem(&loading, &pid) != NULL;
	target = is_target(pid);
	if (!after_exec && !target && !system_wide)
		return 0;
	/* The first call announces a change (RT_ADD, RT_DELETE); complete at RT_CONSISTENT. */
	if (to_state &&
	    bpf_probe_read_user(&state, sizeof(state), (void *)(PT_REGS_IP(ctx) + to_state)))
		return 0;
	if (state != RT_CONSISTENT)
		return 0;
	if (after_exec)
		bpf_map_delete_elem(&loading, &pid);
	now = bpf_ktime_get_ns();
	e = reserve_lifecycle(ML_EV_READY);
	if (stop_on_exec && target)
		hold_current(e, pid, now);
	if (e)
		submit_lifecycle(e, ML_EV_READY, 0, now);
	return 0;
}

/*
 * libc's _exit, which exit() calls once the atexit handlers and destructors
 * have run: a target stops here, before exit_group takes its memory, until
 * memleakd has scanned it for reachability (LSan checks at the same point,
 * from inside). Only with its record reserved, like an exec hold. Cost:
 * once per process lifetime.
 */
/* libc's exit(): where the exiting thread's user frames end (exit_sps). */
SEC("uprobe")
int exit_enter(struct pt_regs *ctx)
{
	__u64 sp = PT_REGS_SP(ctx);
	__u32 pid, tid;

	current_ids(&pid, &tid);
	if (!hold_exits || !pid || pid == self_pid || !is_target(pid))
		return 0;
	bpf_map_update_elem(&exit_sps, &tid, &sp, BPF_ANY);
	return 0;
}

SEC("uprobe")
int exit_hold(struct pt_regs *ctx)
{
	struct ml_event *e;
	__u32 pid, tid;
	__u64 now, *exit_sp;

	current_ids(&pid, &tid);
	if (!hold_exits || !pid || pid == self_pid || !is_target(pid))
		return 0;
	now = bpf_ktime_get_ns();
	e = reserve_lifecycle(ML_EV_EXITING);
	hold_current(e, pid, now);
	if (!e)
		return 0;
	e->type = ML_EV_EXITING;
	e->pid = pid;
	e->tid = tid;
	e->stack_id = 0;
	e->addr = (__u64)PT_REGS_PARM1(ctx);
	/* size: the stack pointer at exit(), or 0 when _exit was called directly. */
	exit_sp = bpf_map_lookup_elem(&exit_sps, &tid);
	e->size = exit_sp ? *exit_sp : 0;
	if (exit_sp)
		bpf_map_delete_elem(&exit_sps, &tid);
	e->ts_ns = now;
	e->stack_key = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}
