/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The BPF side's lifecycle: load the skeleton, attach the probe table to a
 * target's allocator providers, drain the ring buffer, read counters and
 * stacks. The only module that touches libbpf.
 */
#ifndef MEMLEAKD_TRACER_H
#define MEMLEAKD_TRACER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin.h"
#include "memleak.h"
#include "provider.h"

struct tracer;

typedef void (*tracer_event_fn)(void *ctx, const struct ml_event *event);

struct tracer_opts {
	uint64_t min_size;
	uint64_t max_size;
	unsigned int stack_slots;
	size_t ringbuf_bytes;  /* power of two, multiple of the page size */
	int unwind_dwarf;      /* walk .eh_frame tables in BPF, not frame pointers only */
	uint64_t sample_bytes; /* byte-based sampling mean; 0 = every allocation */
	size_t unwind_rows;    /* capacity of the unwind row array (dwarf only) */
	/*
	 * Probes go on whole files (attach pid -1) and the programs pick the
	 * processes: the targets map, or every process but memleakd. Not where
	 * every probe names its pid after all (-f with per-process probes).
	 */
	int filter_targets;
	int system_wide;
	/*
	 * Children of targets become targets in the kernel. Not system-wide,
	 * when the kernel can: probes per traced process (pid-filtered
	 * uprobe_multi links), forked children held at fork (tracer__per_process).
	 */
	int follow_forks;
	int stop_on_exec; /* targets stop at exec until tracer's caller sends SIGCONT */
	int hold_exits;	  /* targets stop in _exit (ML_EV_EXITING) until continued */

	int trace_mmap; /* probe mmap/munmap too (anonymous mappings) */
	tracer_event_fn on_event;
	void *ctx;
};

/* Opens, configures and loads the BPF object. 0 or -errno (-EPERM: privileges). */
int tracer__open(const struct tracer_opts *opts, struct tracer **out);
/* Adds pid to (or removes it from) the kernel's set of targets. 0 or -errno. */
int tracer__add_target(struct tracer *t, int pid);
void tracer__remove_target(struct tracer *t, int pid);
/*
 * Attaches every entry point of prov, filtered in the kernel to attach_pid
 * (-1: every process mapping the file; the programs filter): uprobe_multi
 * links (two per file, or one uprobe session with --sample-bytes on Linux
 * >= 6.12) where the kernel has them (6.6), else one perf-event uprobe per
 * probe point; MEMLEAKD_TEST_PERF_PROBES=1 and MEMLEAKD_TEST_NO_SESSION=1
 * (tests only) force the older paths; -v says which. A file already
 * attached for attach_pid is skipped. On failure nothing of this provider
 * stays attached; 0, 1 when already attached, or -errno, with the failing
 * symbol and file in err. Never on a Go executable (-ENOTSUP): its return
 * probes would kill the process (the Go runtime moves stacks).
 */
int tracer__attach_provider(struct tracer *t, int attach_pid, const struct provider *prov,
			    char *err, size_t err_len);
/*
 * Probes the dynamic loader's _dl_debug_state in file (/proc/self/fd/N of
 * dev/inode, checked before and after attaching: -ESTALE) at offset; to_state: distance from it to
 * _r_debug.r_state, or 0. Skipped when attached already. 0, 1 or -errno.
 */
int tracer__attach_loader(struct tracer *t, int attach_pid, const char *file, dev_t dev,
			  uint64_t inode, uint64_t offset, int64_t to_state);
/*
 * Probes libc's _exit (or a static executable's) in file at offset, like
 * tracer__attach_loader: targets that call it stop there (ML_EV_EXITING)
 * when the tracer holds exits; and exit() at exit_offset (0: none), where
 * the exiting thread's stack pointer is noted. 0, 1 (attached already) or
 * -errno.
 */
int tracer__attach_exit(struct tracer *t, int attach_pid, const char *file, dev_t dev,
			uint64_t inode, uint64_t offset, uint64_t exit_offset);
/*
 * Probes a Go executable's goroutine births and deaths for attach_pid
 * (perf-event uprobes filtered to its mm: every thread; -1: every process
 * mapping the file, the programs filter): a plain uprobe at each site's
 * file_offset in file (/proc/self/fd/N of dev/inode, checked before and
 * after attaching: -ESTALE), never a return probe. Creation sites send
 * ML_EV_GO_CREATE (goid, gopc, creation stack), exit sites ML_EV_GO_EXIT
 * (goid); goid and gopc are read at off's offsets from the g in the site's
 * register. sites must hold at least one GO_SITE_CREATE and one
 * GO_SITE_EXIT (else -EINVAL: births without deaths would only grow), at
 * most GO_MAX_SITES. Skipped when attached already for attach_pid and the
 * file. Detached by tracer__detach_pid and tracer__destroy. On failure
 * nothing of it stays attached. 0, 1 when already attached, or -errno
 * with the reason in err.
 */
int tracer__attach_go(struct tracer *t, int attach_pid, const char *file, dev_t dev, uint64_t inode,
		      const struct go_probe_site *sites, size_t nr_sites,
		      const struct go_g_offsets *off, char *err, size_t err_len);
/* Copies unwind rows to index first of the row array. 0 or -errno. */
int tracer__load_rows(struct tracer *t, const struct ml_unwind_row *rows, uint32_t first,
		      size_t nr);
/* Sets the executable mappings the walker uses for pid. 0 or -errno. */
int tracer__set_unwind_proc(struct tracer *t, int pid, const struct ml_unwind_proc *proc);
/*
 * Once the kernel's stack map (dwarf_stacks, both modes) is half full, deletes the stacks
 * whose id is not marked in in_use[0..nr_in_use) (they hold no memory);
 * their frames stay cached here, and a stack seen again is stored again.
 * Stacks deleted, or -errno.
 */
int tracer__prune_stacks(struct tracer *t, const bool *in_use, size_t nr_in_use);
/* Stacks pruned so far. */
uint64_t tracer__pruned_stacks(const struct tracer *t);
/* Forgets what the kernel side keeps for an exited pid (sampled blocks, mappings). */
void tracer__forget_pid(struct tracer *t, int pid);
/*
 * Whether probes go on per process (uprobe_multi links with the kernel's pid
 * filter; children held at fork until tracer__take_hold): asked for with
 * follow_forks without system_wide, supported by the kernel, and not refused by
 * MEMLEAKD_TEST_FILE_WIDE (tests of the fallback only).
 */
bool tracer__per_process(const struct tracer *t);
/*
 * uprobe_multi links: detaches pid's links (closed off this thread: each
 * close waits for a grace period) and forgets the files probed for it.
 * In every mode: detaches pid's Go probes (tracer__attach_go) here, one
 * grace period each.
 */
void tracer__detach_pid(struct tracer *t, int pid);
/* Probes attached so far. */
size_t tracer__nr_links(const struct tracer *t);
/* An fd that polls readable when records wait (past the wakeup threshold). */
int tracer__epoll_fd(const struct tracer *t);
/*
 * Hands the waiting records to on_event: every one queued when it started,
 * and at most twice what the ring buffers hold, so producers faster than
 * the daemon cannot keep it here (signals, reports) for ever. Records
 * consumed, or -errno.
 */
int tracer__drain(struct tracer *t);
/* Loss and health counters summed over CPUs, with the daemon's own. 0 or -errno. */
int tracer__counters(const struct tracer *t, uint64_t counters[ML_CNT_MAX]);
/* Counts one in a slot the daemon keeps (ML_CNT_EXIT_LOST, ML_CNT_HOLD_EXPIRED). */
void tracer__count(struct tracer *t, unsigned int slot);
/*
 * Ends pid's hold at exec when BPF holds it since held_ns (the record's
 * ts_ns; 0: whatever the time). True when it did: the caller continues pid.
 * False for a process BPF never stopped (or whose hold ended already).
 */
bool tracer__take_hold(struct tracer *t, int pid, uint64_t held_ns);
/*
 * Ends the holds older than before_ns (CLOCK_MONOTONIC; UINT64_MAX: all)
 * and puts their PIDs in pids[0..max). The number of PIDs stored.
 */
size_t tracer__take_old_holds(struct tracer *t, uint64_t before_ns, int *pids, size_t max);
/* The map of held processes (pid -> time held), for the watchdog; -1 without a tracer. */
int tracer__held_fd(const struct tracer *t);
/*
 * The watchdog's release (watchdog_release_fn): continues every process in
 * the held map held_fd, emptying it, with no tracer (memleakd is gone: its
 * probes with it). Returns how many.
 */
size_t tracer__release_held_fd(int held_fd);
/*
 * Detaches every probe and tracepoint: no process is held from now on.
 * uprobe_multi links close at once (one grace period, ~50-100 ms, for
 * all), perf-event uprobes one grace period each. The maps stay readable
 * until tracer__destroy. Accepts NULL.
 */
void tracer__detach(struct tracer *t);
/* snapshot's stack_reader_fn: raw frames of stack_id, cached after the first read. */
int tracer__read_stack(void *tracer, int32_t stack_id, uint64_t *ips, size_t max_ips);
/*
 * The ring buffer map's fd. For tools/bench/drain_bench, whose own BPF
 * producer writes into this very buffer (bpf_map__reuse_fd).
 */
int tracer__ringbuf_fd(const struct tracer *t);
/* Detaches every probe and frees everything; accepts NULL. */
void tracer__destroy(struct tracer *t);

#endif
