/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's view of a process's memory next to what memleakd tracks.
 * /proc/PID/smaps_rollup (or, where it cannot be read, /proc/PID/status)
 * says how much anonymous memory the process has resident; memleakd knows
 * the outstanding bytes of its traced allocations. The difference ("the
 * gap": memory memleakd does not see) is judged per process with the trend
 * test the stacks use (trend.h): a growing gap means memory is growing
 * outside what memleakd traces (mmap, a custom allocator, a runtime's own
 * heap, fragmentation), and gets a plain-language hint.
 * Pure: no I/O, no globals; the texts parsed are untrusted.
 */
#ifndef MEMLEAKD_MEMVIEW_H
#define MEMLEAKD_MEMVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trend.h"

/*
 * The floor of a growing gap, bytes/s, whatever --min-growth says: RSS moves
 * by whole pages and with malloc's own arena behaviour (the heap's top grows
 * and is trimmed, fragmentation settles), so a process that leaks nothing
 * still moves its anonymous memory. Measured at -i 1 on tests/fixtures/
 * growth.c's workload pattern (64 buffers of 64 B..8 KiB replaced every
 * 5 ms, no leak): the gap moved by up to 70 KiB in one interval and rose at
 * up to 26 KiB/s (Theil-Sen over the window) while malloc's heap warmed up
 * in its first seconds; 16 KiB/s flagged it. 64 KiB/s is 2.5 times that.
 */
#define MEMVIEW_MIN_RATE	 (64.0 * 1024)
/*
 * A gap growing no faster than this share of the tracked memory's own
 * growth is taken for malloc's per-block overhead on a leak memleakd
 * already shows, not for memory outside it: glibc's chunk header and
 * rounding make a 16-byte block take 32 bytes (100% more), a 32-byte one 48
 * (50%); 1.25 leaves a margin for page-sized noise.
 */
#define MEMVIEW_TRACKED_SHARE	 1.25
/*
 * The same for a Go process: its heap's footprint grows by (1 + GOGC/100)
 * times its live data (GOGC=100: twice), and the heap profile is as of the
 * last GC, behind. Measured on tests/fixtures/go/gheap.go leaking 2 MB/s:
 * the gap grew at 1.7 times the profile's growth.
 */
#define MEMVIEW_GO_TRACKED_SHARE 2.5

/*
 * smaps_rollup walks every mapping of the process (about 0.5 us each,
 * measured: 100 us for 200 mappings, 7.7 ms for 20,000, 31 ms for 64,000);
 * status reads the kernel's counters (about 16 us, whatever the mappings).
 * A process whose smaps_rollup took longer than this is read through status
 * from then on (the counters are per-CPU estimates: a little noisier).
 */
#define MEMVIEW_ROLLUP_SLOW_S 0.002

/* What /proc says, in bytes. */
struct memview_reading {
	uint64_t rss_bytes;	      /* Rss / VmRSS */
	uint64_t anon_bytes;	      /* Anonymous / RssAnon: resident anonymous memory */
	uint64_t pss_anon_bytes;      /* Pss_Anon (smaps_rollup, kernels >= 5.7), else 0 */
	uint64_t private_dirty_bytes; /* Private_Dirty (smaps_rollup), else 0 */
	uint64_t swap_bytes;	      /* Swap / VmSwap: anonymous memory swapped out */
	bool from_status;	      /* the /proc/PID/status fallback was parsed */
};

/*
 * Parses /proc/PID/smaps_rollup ("Name:   N kB" lines after a header line).
 * Rss and Anonymous are required. 0; -EINVAL for a malformed line of a field
 * it reads, a duplicate of one, or a missing required field; -ERANGE for a
 * size past 2^64 bytes. On error *out is all zero.
 */
int memview__parse_rollup(const char *text, size_t len, struct memview_reading *out);
/* The same from /proc/PID/status: VmRSS and RssAnon required, VmSwap read when there. */
int memview__parse_status(const char *text, size_t len, struct memview_reading *out);

/* anon - tracked, saturated to the range of int64_t. */
int64_t memview__gap(uint64_t anon, uint64_t tracked);

/* The gap's series of one process and the verdict on it. */
struct memview_verdict {
	int64_t gap_bytes;   /* anonymous - tracked at the last reading */
	double gap_rate;     /* Theil-Sen slope of the gap, bytes/s */
	double tracked_rate; /* the same of tracked memory */
	size_t nr_values;    /* readings in the window */
	bool growing;	     /* flagged at two readings in a row */
};

struct memview;

/*
 * window: 2..TREND_MAX_WINDOW readings; params as the stacks' (interval,
 * thresholds); its min_rate is raised to MEMVIEW_MIN_RATE when below. NULL
 * with errno on failure.
 */
struct memview *memview__new(size_t window, const struct trend_params *params);
void memview__destroy(struct memview *mv);

/*
 * Appends one interval's reading of pid (resident anonymous memory and what
 * memleakd tracks for it), judges the gap and fills *out (go: a Go process,
 * whose heap grows with GC headroom). 0 or -ENOMEM.
 */
int memview__record(struct memview *mv, uint32_t pid, uint64_t anon_bytes, uint64_t tracked_bytes,
		    bool go, struct memview_verdict *out);
/* Whether pid's smaps_rollup is still worth reading (false once a read was slow). */
bool memview__rollup_wanted(const struct memview *mv, uint32_t pid);
/* How long reading pid's smaps_rollup took: past MEMVIEW_ROLLUP_SLOW_S, status from now on. */
void memview__rollup_cost(struct memview *mv, uint32_t pid, double seconds);
/* The verdict of pid's last reading; false when it has none. */
bool memview__get(const struct memview *mv, uint32_t pid, struct memview_verdict *out);
/* Forgets pid's series (it exited, or is no longer listed). */
void memview__drop_pid(struct memview *mv, uint32_t pid);
/*
 * Forgets every pid not recorded since the last sweep: a process no longer
 * listed (exited, past the listing cap) starts a new series if it comes back.
 */
void memview__sweep(struct memview *mv);
/* Processes with a series. */
size_t memview__nr_pids(const struct memview *mv);

/*
 * Where a growing gap may come from, for a process of that kind: static
 * text. go: a Go process (its heap profile is tracked); mmap_traced: --mmap;
 * sampled: --sample-bytes (tracked is an estimate).
 */
const char *memview__hint(bool go, bool mmap_traced, bool sampled);

#endif
