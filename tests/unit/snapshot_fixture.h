/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A snapshot built by hand and renderers into strings, shared by the tests
 * of the snapshot and of each exporter (report, folded, JSON, flame graph,
 * pprof).
 */
#ifndef MEMLEAKD_TEST_SNAPSHOT_FIXTURE_H
#define MEMLEAKD_TEST_SNAPSHOT_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "folded.h"
#include "report.h"
#include "snapshot.h"

/* A string that may be NULL, compared with a string that may be NULL. */
#define check_str(got, want)                                                                       \
	do {                                                                                       \
		const char *got_ = (got), *want_ = (want);                                         \
		if ((got_ == NULL) != (want_ == NULL) || (got_ && strcmp(got_, want_)))            \
			fail_msg("%s:\n--- got ---\n%s\n--- want ---\n%s", #got,                   \
				 got_ ? got_ : "NULL", want_ ? want_ : "NULL");                    \
	} while (0)

#define check_contains(text, needle)                                                               \
	do {                                                                                       \
		if (!strstr((text), (needle)))                                                     \
			fail_msg("\"%s\" not found in:\n%s", (needle), (text));                    \
	} while (0)

/* --- rendering into strings ----------------------------------------------- */

static __attribute__((unused)) char *render_folded(const struct snapshot *snap)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	check_eq(folded__render(out, snap), 0);
	fclose(out);
	return text;
}

typedef int (*render_fn)(FILE *out, const struct snapshot *snap);

static __attribute__((unused)) char *render_with(render_fn render, const struct snapshot *snap,
						 size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	assert_non_null(out);
	check_eq(render(out, snap), 0);
	fclose(out);
	return text;
}

static __attribute__((unused)) size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;

	for (; (text = strstr(text, needle)); text += strlen(needle))
		n++;
	return n;
}

static __attribute__((unused)) char *render_report(const struct snapshot *snap, unsigned int top)
{
	const struct report_opts opts = {.top = top};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	check_eq(report__render(out, snap, &opts), 0);
	fclose(out);
	return text;
}

/* --- a snapshot built by hand --------------------------------------------- */

static __attribute__((unused)) struct frame *frames_of(const struct frame *src, size_t n)
{
	struct frame *f = calloc(n, sizeof(*f));

	assert_non_null(f);
	memcpy(f, src, n * sizeof(*f));
	return f;
}

static __attribute__((unused)) void set_stats(struct snapshot_stack *st, uint32_t pid, int32_t id,
					      uint64_t bytes, uint64_t count, uint64_t alloc_bytes,
					      uint64_t alloc_count)
{
	st->stats.pid = pid;
	st->stats.stack_id = id;
	st->stats.outstanding_bytes = bytes;
	st->stats.outstanding_count = count;
	st->stats.alloc_bytes = alloc_bytes;
	st->stats.alloc_count = alloc_count;
	st->stats.free_bytes = alloc_bytes - bytes;
	st->stats.free_count = alloc_count - count;
}

/*
 * Five stacks shown out of six live (the sixth, 398 B, past a 5-stack
 * cap), userspace losses: a fully symbolized one, a lost capture
 * (-EEXIST), one mixing symbol / module-only / unknown frames with ';' in
 * names, one whose frames could not be read, and an empty one.
 */
static __attribute__((unused)) struct snapshot *make_snapshot(void)
{
	static const struct frame leak[] = {
	    {.addr = 0x55550000101aULL, .symbol = "leak_inner", .offset = 0x1a, .module = "app"},
	    {.addr = 0x55550000202bULL, .symbol = "leak_mid", .offset = 0x2b, .module = "app"},
	    {.addr = 0x555500003010ULL, .symbol = "main", .offset = 0x10, .module = "app"},
	    {.addr = 0x7f0000000080ULL,
	     .symbol = "__libc_start_main",
	     .offset = 0x80,
	     .module = "libc.so.6"},
	};
	static const struct frame mixed[] = {
	    {.addr = 0x7f0000100001ULL, .symbol = "odd;name", .offset = 0x1, .module = "lib;x.so"},
	    {.addr = 0x7f0000201234ULL, .offset = 0x1234, .module = "libfoo.so"},
	    {.addr = 0x7f00dead, .offset = 0x7f00dead},
	};
	struct snapshot *snap = calloc(1, sizeof(*snap));
	size_t i;

	assert_non_null(snap);
	snap->elapsed_s = 12.5;
	snap->wall_time_s = 13 * 3600 + 14 * 60 + 15; /* 13:14:15 UTC on day one */
	snap->seq = 3;
	snap->totals.outstanding_bytes = 5000;
	snap->totals.outstanding_count = 9;
	snap->totals.allocs = 100;
	snap->totals.frees = 91;
	snap->totals.unmatched_frees = 7;
	snap->totals.missed_frees = 2;
	for (i = 0; i < ML_CNT_MAX; i++)
		snap->counters[i] = 10 + i; /* distinct, so a swapped counter shows */

	snap->procs = calloc(2, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = 42;
	strcpy(snap->procs[0].comm, "app");
	snap->procs[1].pid = 43;
	strcpy(snap->procs[1].comm, "we;ird");
	snap->procs[1].exited = true;
	snap->nr_procs = 2;

	snap->nr_live_stacks = 6;
	snap->nr_live_tracked = 6;
	snap->nr_stacks = 5;
	snap->max_stacks = 5;
	snap->omitted_bytes = 5000 - (3072 + 1000 + 512 + 10 + 8);
	snap->omitted_count = 1;
	snap->losses.table_failures = 31; /* distinct, like the counters */
	snap->losses.stack_ids_full = 32;
	snap->nr_procs_omitted = 33;
	snap->nr_partial = 4;
	snap->partial_bytes = 1928;
	snap->unwind_mode = "dwarf";
	snap->nr_growing = 1;
	snap->window = 10;
	snap->interval_s = 1.0;
	snap->stacks = calloc(snap->nr_stacks, sizeof(*snap->stacks));
	assert_non_null(snap->stacks);

	set_stats(&snap->stacks[0], 42, 5, 3072, 3, 4096, 4);
	snap->stacks[0].frames = frames_of(leak, 4);
	snap->stacks[0].nr_frames = 4;

	set_stats(&snap->stacks[1], 42, -EEXIST, 1000, 1, 1000, 1);

	set_stats(&snap->stacks[2], 43, 9, 512, 2, 512, 2);
	snap->stacks[2].frames = frames_of(mixed, 3);
	snap->stacks[2].nr_frames = 3;

	set_stats(&snap->stacks[3], 99, 11, 10, 1, 10, 1);
	snap->stacks[3].read_error = -ENOENT;

	set_stats(&snap->stacks[4], 42, 12, 8, 1, 8, 1);
	return snap;
}

/* --- reachability scans ---------------------------------------------------- */

static __attribute__((unused)) void set_reach(struct reach_counts *r, enum reach_class cls,
					      uint64_t bytes, uint64_t count)
{
	r->bytes[cls] = bytes;
	r->count[cls] = count;
}

/*
 * make_snapshot()'s processes scanned: pid 42 (app) live, its last scan
 * 3.2 s ago (stack #1: 1 KiB lost, 1 KiB reachable, 1 KiB allocated since;
 * #2 all reachable; #5 allocated since); pid 43 (we;ird) at exit (#3: 256 B
 * lost, 256 B indirect). pid 99 (#4) is not listed. The processes past the
 * listing cap hold 100 B lost in 2 blocks. What the leak gate counts:
 * lost 1,380 B in 4, indirect 256 B in 1, reachable 2,024 B in 2,
 * unscanned 1,032 B in 2.
 */
static __attribute__((unused)) void add_scans(struct snapshot *snap)
{
	struct snapshot_proc *app = &snap->procs[0], *weird = &snap->procs[1];

	set_reach(&snap->stacks[0].stats.reach, REACH_LOST, 1024, 1);
	set_reach(&snap->stacks[0].stats.reach, REACH_REACHABLE, 1024, 1);
	set_reach(&snap->stacks[1].stats.reach, REACH_REACHABLE, 1000, 1);
	set_reach(&snap->stacks[2].stats.reach, REACH_LOST, 256, 1);
	set_reach(&snap->stacks[2].stats.reach, REACH_INDIRECT, 256, 1);

	app->outstanding_bytes = 3072 + 1000 + 8;
	app->outstanding_count = 5;
	app->nr_stacks = 3;
	set_reach(&app->reach, REACH_LOST, 1024, 1);
	set_reach(&app->reach, REACH_REACHABLE, 2024, 2);
	app->scan = (struct snapshot_scan){
	    .state = SCAN_DONE,
	    .nr_scans = 12,
	    .age_s = 3.2,
	    .pause_ms = 12.34,
	    .scan_ms = 10.1,
	    .nr_threads = 3,
	    .bytes_read = 1258291,
	    .root_bytes = {[ROOT_GLOBALS] = 65536, [ROOT_STACK] = 8192, [ROOT_REGISTERS] = 1152},
	    .heap_bytes = 3048,
	    .count = {[REACH_LOST] = 1, [REACH_REACHABLE] = 2},
	    .bytes = {[REACH_LOST] = 1024, [REACH_REACHABLE] = 2024},
	    .interior_only = 1,
	};

	weird->outstanding_bytes = 512;
	weird->outstanding_count = 2;
	weird->nr_stacks = 1;
	set_reach(&weird->reach, REACH_LOST, 256, 1);
	set_reach(&weird->reach, REACH_INDIRECT, 256, 1);
	weird->scan = (struct snapshot_scan){
	    .state = SCAN_DONE,
	    .at_exit = true,
	    .nr_scans = 1,
	    .pause_ms = 2.5,
	    .scan_ms = 2.0,
	    .nr_threads = 1,
	    .bytes_read = 70000,
	    .root_bytes = {[ROOT_GLOBALS] = 4096,
			   [ROOT_STACK] = 2048,
			   [ROOT_REGISTERS] = 384,
			   [ROOT_UNTRACED] = 62960},
	    .heap_bytes = 512,
	    .count = {[REACH_LOST] = 1, [REACH_INDIRECT] = 1},
	    .bytes = {[REACH_LOST] = 256, [REACH_INDIRECT] = 256},
	};
	snap->procs_omitted_tally.bytes[REACH_LOST] = 100;
	snap->procs_omitted_tally.count[REACH_LOST] = 2;
}

/* --- Go stacks -------------------------------------------------------------- */

/* A Go frame as the snapshot has it: function, file and line; inlined or not. */
#define GO_FRAME(pc, fn, path, ln, inl)                                                            \
	{                                                                                          \
		.addr = (pc), .symbol = (fn), .offset = 0x10, .module = "server", .file = (path),  \
		.line = (ln), .inlined = (inl)                                                     \
	}

/* A heap copy of what the snapshot owns and frees (go_site, procs[].go). */
static __attribute__((unused)) void *fixture_dup(const void *from, size_t size)
{
	void *copy = malloc(size);

	assert_non_null(copy);
	memcpy(copy, from, size);
	return copy;
}

/* The census's view of the leaking site (copied: the snapshot owns and frees its own). */
static const struct go_site fixture_go_site = {
    .states = {{"chan receive", 1200}, {"running", 4}},
    .nr_states = 2,
    .max_blocked_s = 61.4,
    .stack_bytes = 1204 * 8192,
    .created = 1300,
    .exited = 96,
};

/* The other site's goroutines were all there before memleakd attached. */
static const struct go_site fixture_old_site = {
    .before_attach = true,
    .states = {{"select", 3}},
    .nr_states = 1,
    .stack_bytes = 3 * 2048,
};

static struct snapshot_go fixture_go = {
    .version = "go1.23.5",
    .goroutines = 1310,
    .system_goroutines = 5,
    .goroutines_traced = true,
    .heap_rate = 512 * 1024,
    .gc_cycle = 17,
    .heap_inuse_bytes = 3 * 1048576 + 65536,
    .heap_inuse_objects = 3072 + 16,
    .census_ms = 1.25,
    .census_bytes = 81920,
    .heap_read_ms = 0.5,
    .heap_read_bytes = 12288,
    .heap_buckets = 35,
};

/*
 * A Go process (pid 42 "server", go1.23.5) and a C one (pid 43): stacks in
 * snapshot order a malloc one (pid 43), two goroutine sites (1,204 live
 * and growing +20/s with the census's view and a blocked-in stack; 3 live
 * started before attach, never blocked), two go-heap stacks (3 MiB in
 * 3,072 objects through an inlined frame; 64 KiB in 16 objects).
 */
static __attribute__((unused)) struct snapshot *make_go_snapshot(struct stack_history *growing)
{
	static const struct frame malloc_frames[] = {
	    {.addr = 0x55550000101aULL, .symbol = "c_leak", .offset = 0x1a, .module = "cprog"},
	};
	static const struct frame created[] = {
	    GO_FRAME(0x4a1010, "main.(*Server).handle", "/src/app/server.go", 88, 0),
	    GO_FRAME(0x4a2020, "main.(*Server).serve", "/src/app/server.go", 40, 0),
	    GO_FRAME(0x4a3030, "main.main", "/src/app/main.go", 12, 0),
	};
	static const struct frame blocked[] = {
	    GO_FRAME(0x43b000, "runtime.gopark", "/go/src/runtime/proc.go", 398, 0),
	    GO_FRAME(0x406000, "runtime.chanrecv1", "/go/src/runtime/chan.go", 442, 0),
	    GO_FRAME(0x4a1100, "main.(*Server).handle.func1", "/src/app/server.go", 91, 0),
	};
	static const struct frame worker[] = {
	    GO_FRAME(0x4a4040, "main.worker", "/src/app/worker.go", 7, 0),
	};
	static const struct frame heap_big[] = {
	    GO_FRAME(0x4a5050, "main.newBuffer", "/src/app/buf.go", 21, 1),
	    GO_FRAME(0x4a5050, "main.(*Server).cache", "/src/app/cache.go", 55, 0),
	    GO_FRAME(0x4a3030, "main.main", "/src/app/main.go", 12, 0),
	};
	static const struct frame heap_small[] = {
	    GO_FRAME(0x4a6060, "main.loadConfig", "/src/app/config.go", 9, 0),
	    GO_FRAME(0x4a3040, "main.main", "/src/app/main.go", 10, 0),
	};
	struct snapshot *snap = calloc(1, sizeof(*snap));
	struct snapshot_stack *st;

	assert_non_null(snap);
	snap->elapsed_s = 60;
	snap->wall_time_s = 1000;
	snap->seq = 2;
	snap->unwind_mode = "fp";
	snap->window = 10;
	snap->interval_s = 5;
	snap->procs = calloc(2, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = 42;
	strcpy(snap->procs[0].comm, "server");
	snap->procs[0].go = fixture_dup(&fixture_go, sizeof(fixture_go));
	snap->procs[1].pid = 43;
	strcpy(snap->procs[1].comm, "cprog");
	snap->nr_procs = 2;
	snap->nr_stacks = snap->nr_live_stacks = snap->max_stacks = 5;
	snap->nr_live_tracked = 1;
	snap->nr_growing = 1;
	snap->stacks = calloc(snap->nr_stacks, sizeof(*snap->stacks));
	assert_non_null(snap->stacks);

	st = &snap->stacks[0];
	set_stats(st, 43, 1, 4096, 2, 8192, 4);
	st->frames = frames_of(malloc_frames, 1);
	st->nr_frames = 1;

	st = &snap->stacks[1];
	set_stats(st, 42, 2, 1204, 1204, 1300, 1300);
	st->stats.kind = KIND_GOROUTINE;
	st->frames = frames_of(created, 3);
	st->nr_frames = 3;
	st->blocked_frames = frames_of(blocked, 3);
	st->nr_blocked_frames = 3;
	st->go_site = fixture_dup(&fixture_go_site, sizeof(fixture_go_site));
	st->oldest_age_s = 59;
	st->hist = growing;

	st = &snap->stacks[2];
	set_stats(st, 42, 3, 3, 3, 0, 0);
	st->stats.free_bytes = st->stats.free_count = 0;
	st->stats.kind = KIND_GOROUTINE;
	st->frames = frames_of(worker, 1);
	st->nr_frames = 1;
	st->go_site = fixture_dup(&fixture_old_site, sizeof(fixture_old_site));

	st = &snap->stacks[3];
	set_stats(st, 42, 4, 3 * 1048576, 3072, 12 * 1048576, 12288);
	st->stats.kind = KIND_GO_HEAP;
	st->frames = frames_of(heap_big, 3);
	st->nr_frames = 3;

	st = &snap->stacks[4];
	set_stats(st, 42, 5, 65536, 16, 65536, 16);
	st->stats.kind = KIND_GO_HEAP;
	st->frames = frames_of(heap_small, 2);
	st->nr_frames = 2;
	return snap;
}

#endif
