/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The processes a run knows: named with -p, the command, children it
 * followed, or (system-wide) every process seen. Entries keep their address
 * while the list grows, so callers may hold a pointer across additions.
 */
#ifndef MEMLEAKD_TARGETS_H
#define MEMLEAKD_TARGETS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "memleak.h"
#include "snapshot.h"

enum target_role {
	ROLE_PID,     /* named with -p */
	ROLE_COMMAND, /* the command memleakd started */
	ROLE_CHILD,   /* a child followed with -f */
	ROLE_SEEN,    /* system-wide: a process that uses a traced allocator */
};

/*
 * A copy of what a process's maps said when its tables were last brought
 * up to date from them: the whole text of /proc/PID/maps, or only its
 * executable lines (all the unwinder looks at). The same text again means
 * nothing to redo.
 */
struct maps_text {
	char *text;
	size_t len;
	bool valid; /* false: nothing applied yet, or forgotten since */
};

struct target {
	int pid;
	char comm[SNAPSHOT_COMM_LEN];
	char exe[SNAPSHOT_EXE_LEN]; /* proc__read_exe with comm; "" unknown */
	int pidfd; /* -1 when none (gone at first sight, out of fds), PROC_NO_PIDFD */
	/* Start time (/proc/PID/stat field 22, clock ticks after boot); 0: unknown. */
	uint64_t start_time;
	bool exited;
	enum target_role role;
	struct ml_unwind_proc *unwind_sent; /* what the walker has for this pid, or NULL */
	bool unwind_warned;
	struct maps_text unwind_seen;  /* executable lines the walker's entry was made from */
	struct maps_text symbols_seen; /* the text the symbolizer's maps were parsed from */
	struct maps_text probes_seen;  /* executable lines last searched for allocators */
	struct snapshot_scan scan;     /* its last reachability scan (scan.h) */
	/* Its image ran traced from exec (the command, or an exec seen): no block predates us. */
	bool traced_from_exec;
	uint64_t scan_ns; /* CLOCK_MONOTONIC when it ran; 0: never */
};

/*
 * Zero-initialized: empty. list and nr are for iterating; add, remove and
 * rename go through the functions below, which keep by_pid in step.
 */
struct target_list {
	struct target **list;
	size_t nr, cap;
	size_t nr_exited;
	struct hmap by_pid; /* pid -> its index in list (size_t) */
};

/* The entry of pid, or NULL. O(1). */
struct target *targets__find(const struct target_list *l, int pid);
/* Adds pid (pidfd -1, comm "?") or returns its entry; NULL when out of memory. */
struct target *targets__add(struct target_list *l, int pid, enum target_role role);
/* Removes pid's entry and frees it (its pidfd is the caller's to close first). */
void targets__remove(struct target_list *l, int pid);
/*
 * Gives t (an entry of l) the id new_pid, which no entry has. 0, or
 * -EEXIST (another entry has new_pid), -ENOENT (t is not l's) or -ENOMEM:
 * t keeps its pid. Renaming back at once cannot fail for want of memory.
 */
int targets__rename(struct target_list *l, struct target *t, int new_pid);
void targets__free(struct target_list *l);

/*
 * From the text of /proc/PID/stat: the state letter and the start time
 * (field 22). The name may hold spaces and parentheses: the last ')' ends
 * it. 0, or -EINVAL when the text is not a stat line.
 */
int targets__parse_stat(const char *stat, char *state, uint64_t *start_time);
/*
 * Whether the process t names is gone, from the text of /proc/PID/stat now
 * (NULL: unreadable, no such PID): it is a zombie, or another process holds
 * the PID (another start time; a start time of 0 in t is not compared).
 */
bool targets__gone(const struct target *t, const char *stat);

/*
 * Whether text (of len bytes, a /proc/PID/maps) is what seen holds; with
 * exec_only, whether its executable lines are (a line is one unless its
 * permissions say otherwise). False when seen is not valid.
 */
bool maps_text__same(const struct maps_text *seen, const char *text, size_t len, bool exec_only);
/* Keeps a copy of text (its executable lines with exec_only); out of memory: not valid. */
void maps_text__note(struct maps_text *seen, const char *text, size_t len, bool exec_only);
/* Frees the copy; seen is not valid until noted again. */
void maps_text__forget(struct maps_text *seen);

#endif
