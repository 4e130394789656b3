/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracer's own state, shared by its two files: tracer.c (load,
 * configure, drain, counters, stacks) and tracer_attach.c (the probe table
 * and its links). Nothing outside the tracer includes this.
 */
#ifndef MEMLEAKD_TRACER_PRIV_H
#define MEMLEAKD_TRACER_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer.h"

/* 64-bit stack keys from BPF (dwarf_stacks, both unwind modes), interned as dense ids. */
struct key_index {
	uint64_t *keys; /* open addressing, 0 = empty */
	uint32_t *ids;
	size_t cap, nr;
	uint64_t *by_id; /* id -> key */
};

struct drain_ctx {
	tracer_event_fn on_event;
	void *ctx;
	struct key_index *index;
	unsigned int max_ids;
	/*
	 * Records one drain may take: twice what both ring buffers hold, so
	 * every record queued when it started is taken, and producers faster
	 * than the daemon cannot keep it in one drain for ever.
	 */
	size_t budget;
	size_t left; /* of the budget, in the drain under way */
};

struct cached_stack {
	uint32_t nr;
	uint64_t ips[];
};

/* A uprobe_multi link of one process (-1: of every process). */
struct pid_link {
	int pid;
	int fd;
};

/* What a file was probed for (attached_file.loader). */
#define PROBED_ALLOCATOR 0
#define PROBED_LOADER	 1 /* the _dl_debug_state probe */
#define PROBED_GO	 2 /* a Go executable's goroutine births and deaths */
#define PROBED_EXIT	 3 /* libc's _exit: the hold for the exit scan */
#define PROBED_EXIT_CALL 4 /* libc's exit(): the exiting thread's stack pointer */

/* A file probed for a pid (-1: for every process). */
struct attached_file {
	int pid;
	dev_t dev;
	uint64_t inode;
	int loader; /* PROBED_*: the allocator's probes, the loader's or Go's */
};

/* A Go probe (perf-event uprobe) and the pid it was attached for. */
struct go_link {
	int pid;
	struct bpf_link *link;
};

struct tracer {
	struct memleak_bpf *skel;
	struct attached_file *files;
	size_t nr_files, files_cap;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nr_links, links_cap;
	/*
	 * Every probe but Go's is a uprobe_multi link (Linux >= 6.6): one per
	 * program and file, for a pid or (pid 0) every process, kept in
	 * pid_links; a process's own closed off the drain loop by closer when
	 * it exits, all of them at once at the end. Else perf-event uprobes,
	 * one per probe point, in links.
	 */
	int use_multi;
	/* Allocator entry and return as one uprobe session (alloc_session): --sample-bytes on
	 * Linux >= 6.12. */
	int use_session;
	/* -f with uprobe_multi links: each process of the tree gets its own links. */
	int per_process;
	struct pid_link *pid_links;
	size_t nr_pid_links, pid_links_cap;
	struct link_closer *closer;
	/* Go probes, per pid: detached with the pid whatever the probe mode. */
	struct go_link *go_links;
	size_t nr_go_links, go_links_cap;
	struct cached_stack **stacks; /* by stack id; ids are never reused */
	unsigned int stack_slots;
	unsigned int max_ids; /* stack ids handed out at most (the stacks array's size) */
	uint64_t pruned;      /* stacks deleted from the kernel map so far */
	int nr_cpus;
	int unwind_dwarf;
	int trace_mmap;
	uint64_t sample_bytes;
	struct key_index index;
	struct drain_ctx drain;
	uint64_t daemon_counts[ML_CNT_MAX]; /* slots the daemon counts (tracer__count) */
};

/* Whether prog_name runs only as a perf-event probe of one entry point (tracer_attach.c). */
bool tracer__per_point_program(const char *prog_name);

/* Detaches every Go probe (tracer_attach.c), one grace period each. */
void tracer__detach_go(struct tracer *t);

#endif
