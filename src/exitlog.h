/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The "left at exit" tally: what exited processes still held when they
 * exited, per executable and stack, summed over processes. A stack that
 * every recycled worker of a prefork server leaks on grows here, one exit
 * at a time, and is judged by the same trend test as a live stack.
 *
 * Entries are keyed by (executable, kind, stackid__hash of the symbolized
 * frames): the same stack of two processes merges whatever its addresses
 * (ASLR), two executables stay apart. The executable is the process's exe,
 * or its comm when the exe is unknown. Each entry owns deep copies of its
 * frames (the symbolizer forgets an exited process's modules).
 *
 * Bounded: at most cap entries. Past it, the victim is the entry touched
 * least recently (by the exit that last added to it), and among those
 * touched by the same exit, the one with the fewest bytes. Evictions are
 * counted. Pure: no globals, no I/O.
 */
#ifndef MEMLEAKD_EXITLOG_H
#define MEMLEAKD_EXITLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocs.h"
#include "snapshot.h"
#include "symbolize.h"
#include "trend.h"

/* Stacks of one exiting process added at most (the most bytes first); the rest are counted. */
#define EXITLOG_MAX_PROC_STACKS 256

struct exitlog;

/*
 * cap >= 1 entries, window 2..TREND_MAX_WINDOW values per series, one
 * value per exitlog__end_interval. NULL with errno on failure.
 */
struct exitlog *exitlog__new(size_t cap, size_t window, const struct trend_params *params);
void exitlog__free(struct exitlog *log);

/* A token for one exiting process: its exitlog__add calls count it once in nr_procs. */
uint64_t exitlog__begin_proc(struct exitlog *log);
/* What one process left on one stack. */
struct exitlog_stack {
	const char *exe; /* "" or NULL: unknown, comm is the key */
	const char *comm;
	enum alloc_kind kind;
	const struct frame *frames; /* leaf first; copied */
	size_t nr_frames;
	uint64_t bytes;
	uint64_t count;
	double now_s; /* when it exited, on the clock exitlog__export is given */
};
/* Adds what process proc left on one stack. 0, or -ENOMEM (nothing added). */
int exitlog__add(struct exitlog *log, uint64_t proc, const struct exitlog_stack *st);
/* Appends each entry's cumulative bytes to its series and judges its growth. */
void exitlog__end_interval(struct exitlog *log);

size_t exitlog__nr(const struct exitlog *log);
/* Processes that added to the tally so far. */
uint64_t exitlog__procs(const struct exitlog *log);
/* Entries dropped past the cap so far. */
uint64_t exitlog__evicted(const struct exitlog *log);
/* Stacks of exiting processes the caller could not add (a per-process cap): counted here. */
void exitlog__count_cut(struct exitlog *log, uint64_t nr);
uint64_t exitlog__cut(const struct exitlog *log);

/*
 * The tally as the snapshot shows it, into *out (malloc'd; each entry's
 * frames one block with their strings, as snapshot__free frees them):
 * most bytes first, or with sort SNAPSHOT_SORT_GROWTH growing ones first
 * (fastest first); at most max entries, the rest counted in *omitted.
 * last_exit_age_s against now_s. 0 or -ENOMEM (*out NULL).
 */
int exitlog__export(const struct exitlog *log, int sort, size_t max, double now_s,
		    struct snapshot_exited **out, size_t *nr, size_t *omitted);

/* Entry i (0..exitlog__nr, in no particular order) as it stands: for tests. */
struct exitlog_view {
	const char *exe;
	enum alloc_kind kind;
	uint64_t stack_hash;
	const struct frame *frames;
	size_t nr_frames;
	uint64_t bytes, count, nr_procs;
	const uint64_t *values;
	size_t nr_values;
	double rate;
	bool growing;
};
bool exitlog__view(const struct exitlog *log, size_t i, struct exitlog_view *out);

/* A deep copy of frames[0..nr) in one block (free() frees the strings too). NULL: no memory. */
struct frame *exitlog__copy_frames(const struct frame *frames, size_t nr);

#endif
