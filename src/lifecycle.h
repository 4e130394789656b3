/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The lives of traced processes: fork, exec, the loader's hook, exit. Owns
 * the list of targets. Whenever a process's mappings change, one entry
 * point reads /proc/PID/maps once and brings the probes, the unwind tables
 * and the symbolizer up to date from that one reading.
 */
#ifndef MEMLEAKD_LIFECYCLE_H
#define MEMLEAKD_LIFECYCLE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "allocs.h"
#include "elffile.h"
#include "history.h"
#include "memleak.h"
#include "symbolize.h"
#include "targets.h"
#include "tracer.h"
#include "unwinder.h"

struct lifecycle_opts {
	/*
	 * Probes go on whole files (attach pid -1) and BPF picks the processes:
	 * command mode, -f and system-wide. Otherwise the kernel filters by pid.
	 */
	bool shared_probes;
	bool keep_exited; /* command mode: what an exited process held is its leak */
	bool hold_exits;  /* probe _exit: targets stop there for the exit scan (ML_EV_EXITING) */
	bool system_wide;
};

/* The tables a process's state is kept in; the lifecycle borrows them. */
struct lifecycle_tables {
	struct elf_files *files; /* every ELF file read, once */
	struct allocs *allocs;
	struct history *history;
	struct symbolizer *symbolizer;
	struct unwinder *unwinder; /* NULL with --unwind fp */
	struct golang *golang;	   /* Go processes */
};

struct lifecycle;

/* NULL when out of memory. */
struct lifecycle *lifecycle__new(const struct lifecycle_opts *opts,
				 const struct lifecycle_tables *tables);
/* The BPF side, once loaded; until then only tables are built. */
void lifecycle__set_tracer(struct lifecycle *lc, struct tracer *tracer);
/* Closes the targets' pidfds and frees lc (holds: lifecycle__release_holds). Accepts NULL. */
void lifecycle__destroy(struct lifecycle *lc);

struct target_list *lifecycle__targets(struct lifecycle *lc);
/* The run's Go processes. */
struct golang *lifecycle__golang(struct lifecycle *lc);
/* The run's ELF files. */
struct elf_files *lifecycle__files(struct lifecycle *lc);
/* New images whose allocator or loader could not be probed. */
uint64_t lifecycle__attach_failures(const struct lifecycle *lc);
/* The pid a probe for pid is attached with: -1 (every process) with shared probes. */
int lifecycle__attach_pid(const struct lifecycle *lc, int pid);
/* Whether any -p target is still alive. */
bool lifecycle__pids_alive(const struct lifecycle *lc);

/* What lifecycle__maps_changed brings up to date. */
#define MAPS_PROBES  (1u << 0) /* probe the allocators it maps (failures counted) */
#define MAPS_LOADER  (1u << 1) /* and the dynamic loader's hook (with MAPS_PROBES) */
#define MAPS_UNWIND  (1u << 2) /* unwind tables and the walker's mapping list */
#define MAPS_SYMBOLS (1u << 3) /* the symbolizer's maps and modules */
#define MAPS_ALL     (MAPS_PROBES | MAPS_LOADER | MAPS_UNWIND | MAPS_SYMBOLS)

/* Reads t's maps once and updates what `what` names. A gone process changes nothing. */
void lifecycle__maps_changed(struct lifecycle *lc, struct target *t, unsigned int what);
/*
 * The same for every live target, skipping what its maps text does not
 * change since it was last applied (the executable lines for MAPS_UNWIND,
 * the whole text for MAPS_SYMBOLS): one read of /proc/PID/maps each.
 */
void lifecycle__refresh(struct lifecycle *lc, unsigned int what);

/* A process to trace from now on (a reused PID is a new process). NULL: out of memory. */
struct target *lifecycle__note_process(struct lifecycle *lc, int pid, enum target_role role);
/* System-wide: a process whose records came before any fork or exec record names it. */
void lifecycle__note_unknown(struct lifecycle *lc);

/*
 * Who handles an ML_EV_EXITING record (the process is held in _exit by
 * thread tid, whose stack pointer at exit() was exit_sp, 0 if unknown):
 * it must end with lifecycle__resume(lc, pid, held_ns), at once or later.
 * Without one, the process is continued at once.
 */
typedef void (*exiting_fn)(void *ctx, int pid, int tid, int status, uint64_t exit_sp,
			   uint64_t held_ns);
void lifecycle__set_exiting_handler(struct lifecycle *lc, exiting_fn fn, void *ctx);
/*
 * Who hears of a process that exited or exec'd, before its blocks, stacks
 * and maps are forgotten (kept false), or of a child -f follows in command
 * mode, kept for the final report (kept true): e.g. to add what it left to
 * the "left at exit" tally. The command and the last -p target, kept as
 * the report's own subject, are not told.
 * comm is "?" and exe "" when the process was never noted (system-wide).
 */
typedef void (*exited_fn)(void *ctx, int pid, const char *comm, const char *exe, bool kept);
void lifecycle__set_exited_handler(struct lifecycle *lc, exited_fn fn, void *ctx);
/* Continues pid if BPF holds it since held_ns (a record's ts_ns): see tracer__take_hold. */
void lifecycle__resume(struct lifecycle *lc, int pid, uint64_t held_ns);

/* ML_EV_EXIT, ML_EV_FORK, ML_EV_EXEC, ML_EV_READY and ML_EV_EXITING records. */
void lifecycle__on_event(struct lifecycle *lc, const struct ml_event *e);
/* t is gone: kept (command mode, the last -p target) or forgotten. Idempotent. */
void lifecycle__mark_exited(struct lifecycle *lc, struct target *t);
/*
 * An epoll fd, readable when a target's pidfd is (it exited): then call
 * lifecycle__reap. Every target gets a pidfd and its start time when first
 * noted; -p targets (which come with their pidfd) join the set with
 * lifecycle__watch_targets.
 */
int lifecycle__watch_fd(const struct lifecycle *lc);
void lifecycle__watch_targets(struct lifecycle *lc);
/*
 * Marks exited the targets whose pidfd woke, once their last records are
 * drained; one that its EXIT record did not mark is counted (exit records lost).
 */
void lifecycle__reap(struct lifecycle *lc);
/*
 * Targets without a pidfd (pidfd_open missing, or past the budget of half
 * the fd limit), every 250 ms: gone when /proc says so (zombie, no such
 * PID, or another start time); drained first, then marked exited (and
 * counted so).
 */
void lifecycle__poll_liveness(struct lifecycle *lc);
/*
 * Every loop: a process BPF held at exec longer than 1 s (its record went
 * unhandled) is continued, and counted.
 */
void lifecycle__sweep_holds(struct lifecycle *lc);
/* At exit, after tracer__detach: continues every process BPF still holds. */
void lifecycle__release_holds(struct lifecycle *lc);

/*
 * With probes on whole files, memleakd's own malloc traps once they are
 * attached. Building unwind tables mallocs per row: build the ones of the
 * libc and loader memleakd shares with most targets before the probes.
 */
void lifecycle__prebuild_own_tables(struct lifecycle *lc);

#endif
