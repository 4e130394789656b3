/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The wire protocol between bpf/memleak.bpf.c and the daemon: the only header
 * both compilers see. Fixed-width fields only, explicit padding, every record
 * starts with a __u32 type tag.
 */
#ifndef MEMLEAKD_WIRE_H
#define MEMLEAKD_WIRE_H

#define ML_EV_ALLOC 1
#define ML_EV_FREE  2
#define ML_EV_EXIT  3

/* Frames kept per stack in the stack map (the kernel's ceiling is 127). */
#define ML_MAX_STACK_DEPTH 127

/* Most target processes one run can filter on in the kernel. */
#define ML_MAX_TARGETS 1024

/* One record in the ring buffer; 48 bytes. */
struct ml_event {
	__u32 type;	/* ML_EV_* */
	__u32 pid;	/* tgid, as seen from memleakd's PID namespace */
	__u32 tid;	/* thread id, same namespace */
	__s32 stack_id; /* id in the stacks map, or -errno when capture failed */
	__u64 addr;	/* block address */
	__u64 size;	/* requested bytes (ALLOC only) */
	__u64 ts_ns;	/* bpf_ktime_get_ns() */
	__u64 reserved; /* zero; room for a flag word without a size change */
};

/*
 * Loss and health counters, one slot each in the per-CPU "counters" map.
 * Userspace sums the CPUs. Every way an allocation or free can be missed
 * has a slot here.
 */
#define ML_CNT_EVENTS	       0  /* records submitted */
#define ML_CNT_RB_DROPS	       1  /* ring buffer full: record lost */
#define ML_CNT_STACK_COLLISION 2  /* stack map bucket held another stack (-EEXIST) */
#define ML_CNT_STACK_FAIL      3  /* stack could not be read (-EFAULT, -ENOMEM ...) */
#define ML_CNT_STASH_MISS      4  /* return probe without its entry (attached mid-call) */
#define ML_CNT_STASH_FULL      5  /* per-thread stash map full: call not tracked */
#define ML_CNT_STASH_STALE     6  /* entry found an abandoned stash (return probe missed) */
#define ML_CNT_MEMPTR_FAULT    7  /* posix_memalign: *memptr could not be read */
#define ML_CNT_REALLOC_FAILED  8  /* realloc failed after its FREE was sent (block kept) */
#define ML_CNT_NESTED	       9  /* allocator called from inside another: not counted twice */
#define ML_CNT_FILTERED	       10 /* allocation outside the size filters (not a loss) */
#define ML_CNT_MAX	       11

#ifndef __cplusplus
_Static_assert(sizeof(struct ml_event) == 48, "ml_event is part of the wire protocol");
#endif

#endif /* MEMLEAKD_WIRE_H */
