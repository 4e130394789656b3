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
#define ML_EV_FORK                                                                                 \
	4 /* a traced process forked: pid = parent, addr = child (held: per-process probes) */
#define ML_EV_EXEC	5 /* a traced process exec'd (stopped until userspace continues it) */
#define ML_EV_READY	6 /* the dynamic loader mapped the new image's libraries (stopped too) */
#define ML_EV_MMAP	7 /* --mmap: an anonymous mapping (addr, size), like ALLOC */
#define ML_EV_MUNMAP	8 /* --mmap: munmap(addr); only a traced mapping is released */
/*
 * A Go goroutine was made: addr = goid, size = gopc (the PC of its go
 * statement), with the creation stack like ALLOC (stack_id / stack_key).
 */
#define ML_EV_GO_CREATE 9
#define ML_EV_GO_EXIT	10 /* a Go goroutine is dying: addr = goid; no stack */
/*
 * A target called libc's _exit (exit() does, after the atexit handlers and
 * destructors): addr = the status, size = the thread's stack pointer when
 * it called exit() (0: _exit called directly), tid = that thread. It is stopped there, before
 * exit_group, its memory intact, until memleakd has scanned it for reachability and continues it
 * (held like EXEC).
 */
#define ML_EV_EXITING	11

/*
 * EXIT, FORK, EXEC and READY records go to the "events" ring buffer like the
 * others (their order with the allocation records is kept); when it is full
 * they go to "life_events", a small buffer of their own that allocation
 * floods cannot fill. A process stopped at EXEC/READY (and, with per-process
 * probes, a child stopped at FORK) is in the "held" map
 * (pid -> ts_ns of the record), so only what BPF stopped is ever continued.
 */
#define ML_LIFE_RINGBUF_BYTES (256u << 10)

/* Frames kept per stack in the stack map (the kernel's ceiling is 127). */
#define ML_MAX_STACK_DEPTH 127

/* Most target processes one run can filter on in the kernel. */
#define ML_MAX_TARGETS 65536

/* One record in the ring buffer; 48 bytes. */
struct ml_event {
	__u32 type;	 /* ML_EV_* */
	__u32 pid;	 /* tgid, as seen from memleakd's PID namespace */
	__u32 tid;	 /* thread id, same namespace */
	__s32 stack_id;	 /* -errno when capture failed (userspace: stack_key's id) */
	__u64 addr;	 /* block address */
	__u64 size;	 /* requested bytes (ALLOC only) */
	__u64 ts_ns;	 /* bpf_ktime_get_ns(); ALLOC, MMAP: at the allocator's entry */
	__u64 stack_key; /* key in the dwarf_stacks map (0 with stack_id < 0) */
};

/*
 * What an entry probe does (the cookie of alloc_enter, which per-process
 * probes run at every entry point of a file).
 */
#define ML_ENTRY_MALLOC		1  /* (size): malloc, operator new */
#define ML_ENTRY_CALLOC		2  /* (nmemb, size) */
#define ML_ENTRY_REALLOC	3  /* (ptr, size) */
#define ML_ENTRY_REALLOCARRAY	4  /* (ptr, nmemb, size) */
#define ML_ENTRY_POSIX_MEMALIGN 5  /* (memptr, alignment, size) */
#define ML_ENTRY_MEMALIGN	6  /* (alignment, size): memalign, aligned_alloc */
#define ML_ENTRY_VALLOC		7  /* (size): valloc, pvalloc */
#define ML_ENTRY_MMAP		8  /* (addr, len, prot, flags, ...) */
#define ML_ENTRY_MUNMAP		9  /* (addr, len) */
#define ML_ENTRY_FREE		10 /* (ptr): free, operator delete */

/*
 * The cookie of a Go probe (go_create, go_exit): where the g is and where
 * its fields are, so the program needs no map lookup. Offsets in runtime.g
 * are below 64 KiB (sizeof(runtime.g) is ~430 bytes).
 */
#define ML_GO_COOKIE(reg, role, goid_off, gopc_off)                                                \
	((__u64)(__u16)(goid_off) | (__u64)(__u16)(gopc_off) << 16 | (__u64)(__u8)(reg) << 32 |    \
	 (__u64)(__u8)(role) << 40)
#define ML_GO_COOKIE_GOID_OFF(c) ((__u32)((c)&0xffff))
#define ML_GO_COOKIE_GOPC_OFF(c) ((__u32)(((c) >> 16) & 0xffff))
#define ML_GO_COOKIE_REG(c)	 ((__u32)(((c) >> 32) & 0xff))
#define ML_GO_COOKIE_ROLE(c)	 ((__u32)(((c) >> 40) & 0xff))
/* ML_GO_COOKIE_REG: the register that holds the g (src/gobin.h's GO_REG_*). */
#define ML_GO_REG_RAX		 0
#define ML_GO_REG_RBX		 1
/* ML_GO_COOKIE_ROLE (src/gobin.h's GO_SITE_*). */
#define ML_GO_ROLE_CREATE	 0
#define ML_GO_ROLE_EXIT		 1

/* --- DWARF unwinding: tables userspace builds from .eh_frame ------------- */

/* How a row computes the canonical frame address (CFA). */
#define ML_CFA_NONE	   0 /* no CFI covers this pc: fall back to the frame pointer */
#define ML_CFA_RSP	   1 /* CFA = rsp + cfa_off */
#define ML_CFA_RBP	   2 /* CFA = rbp + cfa_off */
#define ML_CFA_PLT	   3 /* CFA = rsp + cfa_off + ((pc & 15) >= plt_lit ? 8 : 0) */
#define ML_CFA_END	   4 /* return address undefined: the outermost frame */
#define ML_CFA_UNSUPPORTED 5 /* a rule the BPF walker cannot follow: stop */

/* One row: from pc (module vaddr) up to the next row's pc. 12 bytes. */
struct ml_unwind_row {
	__u32 pc;
	__s16 cfa_off;
	__s16 rbp_off; /* caller's rbp saved at CFA + rbp_off; 0: rbp unchanged */
	__u8 cfa_kind; /* ML_CFA_* */
	__u8 plt_lit;
	__u16 pad;
};

/* One executable mapping of a traced process and the rows of its module. */
struct ml_unwind_map {
	__u64 start;
	__u64 end;
	__u64 bias; /* pc - bias = module vaddr */
	__u32 row_start;
	__u32 row_count; /* 0: no table, use the frame pointer */
};

/*
 * Rows the kernel's row array can hold at most (the sum over every traced
 * module); the BPF binary search is sized for it.
 */
#define ML_MAX_UNWIND_ROWS_LOG2 26
#define ML_MAX_UNWIND_ROWS	(1u << ML_MAX_UNWIND_ROWS_LOG2)

/* Mappings per traced process, sorted by start; looked up by binary search. */
#define ML_MAX_UNWIND_MAPS 256
struct ml_unwind_proc {
	__u32 nr;
	/*
	 * Names the mapping list (nr and maps): equal lists get equal numbers,
	 * a changed list a new one, never reused in a run. Key of the walker's
	 * per-PC cache, so replacing a process's mappings invalidates what it
	 * cached. 0: do not cache.
	 */
	__u32 gen;
	struct ml_unwind_map maps[ML_MAX_UNWIND_MAPS];
};

/* A stack walked by the DWARF unwinder, stored under its 64-bit hash. */
struct ml_stack {
	__u64 nr;
	__u64 ips[ML_MAX_STACK_DEPTH];
};

/* --- Byte-based sampling (--sample-bytes) ------------------------------- */

/* Quantiles of the exponential step distribution: userspace fills, BPF draws. */
#define ML_SAMPLE_QUANTILES 1024

/* Key of the kernel's set of sampled live blocks. 16 bytes. */
struct ml_sampled_key {
	__u32 tgid; /* tgid in the init namespace (bpf_get_current_pid_tgid) */
	__u32 pad;
	__u64 addr;
};

/*
 * Loss and health counters, one slot each in the per-CPU "counters" map.
 * Userspace sums the CPUs. Every way an allocation or free can be missed
 * has a slot here.
 */
#define ML_CNT_EVENTS	       0  /* unused: userspace counts the records it reads (slot kept) */
#define ML_CNT_RB_DROPS	       1  /* ring buffer full: record lost */
#define ML_CNT_STACK_COLLISION 2  /* unused: no STACK_TRACE map since fp mode walks too */
#define ML_CNT_STACK_FAIL      3  /* stack could not be read (-EFAULT, -ENOMEM ...) */
#define ML_CNT_STASH_MISS      4  /* return probe without its entry (attached mid-call) */
#define ML_CNT_STASH_FULL      5  /* no per-thread stash slot (task storage): call not tracked */
#define ML_CNT_STASH_STALE     6  /* entry found an abandoned stash (return probe missed) */
#define ML_CNT_MEMPTR_FAULT    7  /* posix_memalign: *memptr could not be read */
#define ML_CNT_REALLOC_FAILED  8  /* realloc failed after its FREE was sent (block kept) */
#define ML_CNT_NESTED	       9  /* allocator called from inside another: not counted twice */
#define ML_CNT_FILTERED	       10 /* allocation outside the size filters (not a loss) */
#define ML_CNT_UNWIND_FAULT    11 /* dwarf: stack ended early (unreadable memory, odd CFI rule) */
#define ML_CNT_UNWIND_DEPTH    12 /* stack cut at ML_MAX_STACK_DEPTH frames (both modes) */
#define ML_CNT_UNWIND_NOCFI    13 /* dwarf: a frame without CFI, walked by its frame pointer */
#define ML_CNT_STACK_NESTED    14 /* unwinder busy on this CPU (preempted): no stack */
#define ML_CNT_SAMPLE_FULL     15 /* sampling: the set of sampled live blocks was full */
#define ML_CNT_TARGETS_FULL    16 /* -f: a child could not be added (too many targets) */
#define ML_CNT_EXEC_NOT_HELD   17 /* no room for the EXEC/READY record: the process ran on unheld */
#define ML_CNT_LIFE_LOST       18 /* a FORK/EXEC/READY/EXIT record found both ring buffers full */
/* Counted by the daemon, not the BPF side (tracer__count): */
#define ML_CNT_EXIT_LOST       19 /* a target found gone without its EXIT record */
#define ML_CNT_HOLD_EXPIRED    20 /* a process held at exec past HOLD_MAX_NS, resumed by the sweep */
/* BPF again (numbering is append-only): */
/* A Go probe found no g: unreadable, goid 0, or a bad cookie (no record sent). */
#define ML_CNT_GO_UNREADABLE   21
#define ML_CNT_MAX	       22

#ifndef __cplusplus
_Static_assert(sizeof(struct ml_event) == 48, "ml_event is part of the wire protocol");
_Static_assert(sizeof(struct ml_unwind_row) == 12, "ml_unwind_row is part of the wire protocol");
_Static_assert(sizeof(struct ml_unwind_map) == 32, "ml_unwind_map is part of the wire protocol");
_Static_assert(sizeof(struct ml_sampled_key) == 16, "ml_sampled_key is part of the wire protocol");
#endif

#endif /* MEMLEAKD_WIRE_H */
