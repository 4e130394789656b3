/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What crosses the BPF compilation units (memleak.bpf.c, unwind.bpf.c,
 * sample.bpf.c, goroutine.bpf.c), which bpftool gen object links into one object: the maps
 * and load-time knobs more than one unit uses (defined in one, declared
 * extern here), small helpers inlined into each, and the functions one
 * unit calls in another. Cross-unit functions are __hidden: the linker
 * keeps them out of the object's global symbols and the verifier checks
 * them as static subprograms, in the context of each call.
 * Seen only by clang -target bpf.
 */
#ifndef MEMLEAKD_MEMLEAK_BPF_H
#define MEMLEAKD_MEMLEAK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memleak.h"

/* Loss and health counters, ML_CNT_* (memleak.h); defined in memleak.bpf.c. */
struct ml_counters_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ML_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
};
extern struct ml_counters_map counters SEC(".maps");

/* memleakd's PID namespace, 0 = init (memleak.bpf.c). */
extern const volatile __u64 pidns_dev;
extern const volatile __u64 pidns_ino;
/* --sample-bytes mean, 0: every allocation (sample.bpf.c). */
extern const volatile __u64 sample_bytes;
/*
 * --unwind dwarf: the walker follows the .eh_frame rows; false with --unwind
 * fp: every frame by its frame pointer, no table looked at (unwind.bpf.c).
 */
extern const volatile bool walk_cfi;

static __always_inline void count(__u32 slot)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &slot);

	/* Per-CPU, but a preemptible uprobe program can interleave with itself. */
	if (value)
		__sync_fetch_and_add(value, 1);
}

/* PID and TID as memleakd sees them, even when it runs in a PID namespace. */
static __always_inline void current_ids(__u32 *pid, __u32 *tid)
{
	struct bpf_pidns_info ns = {};
	__u64 id;

	if (pidns_dev) {
		if (bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)) == 0) {
			*pid = ns.tgid;
			*tid = ns.pid;
			return;
		}
		*pid = 0;
		*tid = 0;
		return;
	}
	id = bpf_get_current_pid_tgid();
	*pid = id >> 32;
	*tid = (__u32)id;
}

/*
 * The submit flag of a ring buffer record. Waking the reader per record
 * costs ~7 us; it drains on a timer instead, woken early only past
 * threshold bytes of unread records. tools/bench's producer uses it too.
 */
static __always_inline __u64 ringbuf_wakeup(void *ringbuf, __u64 threshold)
{
	if (bpf_ringbuf_query(ringbuf, BPF_RB_AVAIL_DATA) >= threshold)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* --- memleak.bpf.c ------------------------------------------------------- */

/*
 * A record in "events" (drops counted) with the user stack at ctx, taken as
 * allocation records take theirs: stack_key, in fp and dwarf mode (the
 * walker may follow stack_switches frame-pointer links down into another
 * stack, see dwarf_unwind).
 */
__hidden void emit_with_stack(struct pt_regs *ctx, __u32 type, __u64 addr, __u64 size,
			      __u32 stack_switches);
/* The same without a stack (stack_id 0, stack_key 0). */
__hidden void emit_without_stack(__u32 type, __u64 addr, __u64 size);
/* Whether the calling process is traced, when the probe is on a whole file (pid -1). */
__hidden bool current_is_traced(void);

/* --- unwind.bpf.c -------------------------------------------------------- */

/*
 * Walks the user stack from the registers of a return probe and stores it
 * in dwarf_stacks. The stack's key, or 0 when no stack was stored.
 * stack_switches: frame-pointer links down into another stack the walk may
 * follow (0 for C; Go's creation stacks cross from g0 into the goroutine).
 */
__hidden __u64 dwarf_unwind(struct pt_regs *ctx, __u32 stack_switches);
/* A forked child maps what its parent maps: it starts with the parent's mappings. */
__hidden void unwind_inherit(__u32 parent, __u32 child);

/* --- sample.bpf.c -------------------------------------------------------- */

/* The byte countdown alone: true when an allocation of size bytes is sampled. */
__hidden bool sample_draw(__u64 size);
/* Adds a sampled block to the set; false (counted) when the set is full. */
__hidden bool sample_remember(__u64 addr);
/* sample_draw, then sample_remember when drawn. */
__hidden bool sample_take(__u64 addr, __u64 size);
__hidden bool sample_forget(__u64 addr);

/* True when this allocation is sampled (always without sampling); remembers it. */
static __always_inline bool sample_alloc(__u64 addr, __u64 size)
{
	/* Not sampling: no call at all (the verifier drops the branch). */
	return !sample_bytes || sample_take(addr, size);
}

/* True when the freed block was sampled (always without sampling); forgets it. */
static __always_inline bool sample_free(__u64 addr)
{
	return !sample_bytes || sample_forget(addr);
}

#endif
