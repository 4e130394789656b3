// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Snapshot building (src/snapshot.h): order, limits, filters, suppressions,
 * mappings, per-process totals, root symbols and stack problems.
 */
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
#include "snapshot_fixture.h"

#include "allocs.h"
#include "procmaps.h"
#include "snapshot.h"
#include "symbolize.h"

/* --- snapshot__build -------------------------------------------------------- */

struct fake_reader {
	unsigned int calls;
	unsigned int negative_ids;
	size_t max_ips;
};

/* Stacks: 2 has three frames, 7 is gone from the map, 8 is empty, others one frame. */
static int fake_read_stack(void *ctx, int32_t stack_id, uint64_t *ips, size_t max_ips)
{
	struct fake_reader *r = ctx;

	r->calls++;
	r->max_ips = max_ips;
	if (stack_id < 0) {
		r->negative_ids++;
		return -EINVAL;
	}
	switch (stack_id) {
	case 2:
		ips[0] = 0x10011; /* libfake.so (unreadable file): module + file offset */
		ips[1] = 0x50021; /* [anon:jit] */
		ips[2] = 0x90000; /* unmapped */
		return 3;
	case 7:
		return -ENOENT;
	case 8:
		return 0;
	default:
		ips[0] = 0x10000 + (uint64_t)stack_id;
		return 1;
	}
}

static const char synthetic_maps[] =
    "10000-20000 r-xp 00001000 08:01 99 /nonexistent/dir/libfake.so\n"
    "30000-40000 rw-p 00000000 00:00 0 [heap]\n"
    "50000-60000 r-xp 00000000 00:00 0 [anon:jit]\n";

static struct symbolizer *make_symbolizer(void)
{
	struct symbolizer *s = symbolizer__new();
	struct procmaps *pm;
	int pid;

	assert_non_null(s);
	for (pid = 4242; pid <= 4243; pid++) {
		check_eq(procmaps__parse(synthetic_maps, strlen(synthetic_maps), &pm), 0);
		check_eq(symbolizer__set_maps(s, pid, pm), 0);
	}
	return s;
}

static struct allocs *make_table(void)
{
	struct allocs *t = allocs__new();
	uint64_t addr = 0x1000;
	int i;

	assert_non_null(t);
#define A(pid, id, size)                                                                           \
	check_eq(allocs__record_alloc(t, (pid), KIND_MALLOC, addr += 0x100, (size), (id), 0), 0)
	/* Inserted in an order unrelated to the expected one. */
	A(4242, 8, 5);
	A(4242, 7, 10);
	A(4242, -EEXIST, 200);
	for (i = 0; i < 2; i++)
		A(4242, 6, 150);
	for (i = 0; i < 3; i++)
		A(4243, 1, 100);
	for (i = 0; i < 3; i++)
		A(4242, 5, 100);
	for (i = 0; i < 3; i++)
		A(4242, 1, 100);
	A(4242, 2, 1000);
	/* Stack 3 is drained: listed by allocs, but not live. */
	A(4242, 3, 50);
	check_eq(allocs__record_free(t, 4242, KIND_MALLOC, addr), 0);
#undef A
	return t;
}

struct expected_stack {
	uint32_t pid;
	int32_t id;
	uint64_t bytes;
};

static const struct expected_stack expected_order[] = {
    {4242, 2, 1000}, /* most bytes */
    {4242, 1, 300},  /* 300 in 3: ties broken by count, then pid, then id */
    {4242, 5, 300},	  {4243, 1, 300}, {4242, 6, 300}, /* 300 in 2 */
    {4242, -EEXIST, 200}, {4242, 7, 10},  {4242, 8, 5},
};

#define NR_EXPECTED (sizeof(expected_order) / sizeof(expected_order[0]))

static void check_order(const struct snapshot *snap, size_t n)
{
	size_t i;

	check_eq(snap->nr_stacks, n);
	for (i = 0; i < n; i++) {
		const struct stack_stats *s = &snap->stacks[i].stats;

		if (s->pid != expected_order[i].pid || s->stack_id != expected_order[i].id ||
		    s->outstanding_bytes != expected_order[i].bytes)
			fail_msg("stack #%zu is (pid %u, id %d, %" PRIu64
				 " B), want (pid %u, id %d, %" PRIu64 " B)",
				 i, s->pid, s->stack_id, s->outstanding_bytes,
				 expected_order[i].pid, expected_order[i].id,
				 expected_order[i].bytes);
	}
}

static void test_snapshot_build(void **state)
{
	struct fake_reader reader = {0};
	struct symbolizer *s = make_symbolizer();
	struct allocs *t = make_table();
	const struct snapshot_opts opts = {.max_stacks = 100,
					   .read_stack = fake_read_stack,
					   .reader_ctx = &reader,
					   .symbolizer = s};
	const struct snapshot_stack *st;
	struct snapshot *snap = NULL;
	char *text;

	(void)state;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	assert_non_null(snap);
	check_eq(snap->nr_live_stacks, NR_EXPECTED);
	check_eq(snap->nr_live_tracked, NR_EXPECTED); /* all malloc */
	check_order(snap, NR_EXPECTED);
	/* Totals are the table's. */
	check_eq(snap->totals.outstanding_bytes, allocs__totals(t)->outstanding_bytes);
	check_eq(snap->totals.outstanding_bytes, 2415);
	check_eq(snap->totals.outstanding_count, 15);
	check_eq(snap->totals.allocs, 16);
	check_eq(snap->totals.frees, 1);
	/* No frame here is a named entry point: every stack counts as ending early. */
	check_eq(snap->nr_partial, NR_EXPECTED);
	check_eq(snap->partial_bytes, 2415);

	/* Only real stack ids are read, each once, with room for the deepest stack. */
	check_eq(reader.negative_ids, 0);
	check_eq(reader.calls, NR_EXPECTED - 1);
	check_eq(reader.max_ips, ML_MAX_STACK_DEPTH);

	st = &snap->stacks[0];
	check_eq(st->nr_frames, 3);
	check_eq(st->read_error, 0);
	assert_null(st->frames[0].symbol);
	check_str(st->frames[0].module, "libfake.so");
	check_eq(st->frames[0].offset, 0x1011);
	check_str(st->frames[1].module, "[anon:jit]");
	check_eq(st->frames[1].offset, 0x21);
	assert_null(st->frames[2].module);
	check_eq(st->frames[2].addr, 0x90000);
	assert_null(snapshot__stack_problem(st));

	st = &snap->stacks[5]; /* -EEXIST */
	check_eq(st->nr_frames, 0);
	check_eq(st->read_error, 0);
	check_str(snapshot__stack_problem(st),
		  "stack lost: stack map collision (raise --stack-slots)");
	st = &snap->stacks[6]; /* reader: -ENOENT */
	check_eq(st->nr_frames, 0);
	check_eq(st->read_error, -ENOENT);
	check_str(snapshot__stack_problem(st), "stack lost: no longer in the stack map");
	st = &snap->stacks[7]; /* reader: no frames */
	check_eq(st->nr_frames, 0);
	check_eq(st->read_error, 0);
	check_str(snapshot__stack_problem(st), "stack empty");

	/* The caller fills in procs; snapshot__free owns them. */
	snap->procs = calloc(1, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = 4242;
	strcpy(snap->procs[0].comm, "leaky");
	snap->nr_procs = 1;
	check_str(snapshot__comm(snap, 4242), "leaky");
	check_str(snapshot__comm(snap, 4243), "?");

	text = render_folded(snap);
	check_str(text, "leaky;[unknown];[anon:jit]+0x21;libfake.so+0x1011 1000\n"
			"leaky;libfake.so+0x1001 300\n"
			"leaky;libfake.so+0x1005 300\n"
			"?;libfake.so+0x1001 300\n"
			"leaky;libfake.so+0x1006 300\n"
			"leaky;[stack lost: stack map collision (raise --stack-slots)] 200\n"
			"leaky;[stack lost: no longer in the stack map] 10\n"
			"leaky;[stack empty] 5\n");
	free(text);
	snapshot__free(snap);
	allocs__destroy(t);
	symbolizer__destroy(s);
}

static void test_snapshot_max_stacks(void **state)
{
	struct fake_reader reader = {0};
	struct symbolizer *s = make_symbolizer();
	struct allocs *t = make_table();
	struct snapshot_opts opts = {
	    .max_stacks = 3, .read_stack = fake_read_stack, .reader_ctx = &reader, .symbolizer = s};
	struct snapshot *snap = NULL;
	char *text;

	(void)state;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_eq(snap->nr_live_stacks, NR_EXPECTED);
	check_order(snap, 3);
	/* Stacks past the cap are not read (nor symbolized). */
	check_eq(reader.calls, 3);
	text = render_report(snap, 10);
	check_contains(text, "from 8 stacks;");
	check_contains(text, "#3 300 B (300 B) in 3 allocations, pid 4242 (?)\n");
	check_not_contains(text, "#4");
	/* -n cannot bring them back: the report says the cap, not "raise -n". */
	check_contains(text, "(5 more stacks past the 3-stack cap, not shown)\n");
	check_not_contains(text, "raise -n");
	check_contains(text, "5 stacks holding 815 B past the 3-stack cap");
	free(text);
	/* What the cap left out is counted: 300 + 300 + 200 + 10 + 5 B in 3 + 2 + 1 + 1 + 1. */
	check_eq(snap->max_stacks, 3);
	check_eq(snapshot__nr_omitted(snap), 5);
	check_eq(snap->omitted_bytes, 815);
	check_eq(snap->omitted_count, 8);
	/* -n below the cap: that part can be raised. */
	text = render_report(snap, 2);
	check_contains(text, "(1 more stacks not shown; raise -n to see them)\n"
			     "(5 more stacks past the 3-stack cap, not shown)\n");
	free(text);
	snapshot__free(snap);

	/* A cap above the live count changes nothing. */
	opts.max_stacks = NR_EXPECTED;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_order(snap, NR_EXPECTED);
	snapshot__free(snap);

	/* Once everything is freed or its process dropped, no stack is live. */
	allocs__drop_pid(t, 4242);
	allocs__drop_pid(t, 4243);
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_eq(snap->nr_live_stacks, 0);
	check_eq(snap->nr_stacks, 0);
	text = render_report(snap, 10);
	check_contains(text, "no outstanding allocations");
	free(text);
	text = render_folded(snap);
	check_str(text, "");
	free(text);
	snapshot__free(snap);
	snapshot__free(NULL);
	allocs__destroy(t);
	symbolizer__destroy(s);
}

static bool only_4243(void *ctx, uint32_t pid)
{
	(void)ctx;
	return pid == 4243;
}

/* --comm (keep_pid) and --min-bytes leave stacks out and count them. */
static void test_snapshot_filters(void **state)
{
	struct fake_reader reader = {0};
	struct symbolizer *s = make_symbolizer();
	struct allocs *t = make_table();
	struct snapshot_opts opts = {.max_stacks = 100,
				     .read_stack = fake_read_stack,
				     .reader_ctx = &reader,
				     .symbolizer = s};
	struct snapshot *snap = NULL;

	(void)state;
	opts.keep_pid = only_4243;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_eq(snap->nr_stacks, 1);
	check_eq(snap->stacks[0].stats.pid, 4243);
	check_eq(snap->nr_hidden, NR_EXPECTED - 1);
	snapshot__free(snap);
	opts.keep_pid = NULL;
	opts.min_bytes = 300;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_order(snap, 5); /* 1000, then the four stacks of exactly 300 */
	check_eq(snap->nr_hidden, 3);
	snapshot__free(snap);
	allocs__destroy(t);
	symbolizer__destroy(s);
}

/*
 * snapshot__finish: userspace losses copied; past max_procs, the processes
 * holding the most stay listed (then the live, then the latest), in their
 * order; the others are counted, and their leaks still count.
 */
static void test_snapshot_losses_and_proc_cap(void **state)
{
	struct fake_reader reader = {0};
	struct symbolizer *s = make_symbolizer();
	struct allocs *t = make_table();
	struct snapshot_opts opts = {.max_stacks = 100,
				     .read_stack = fake_read_stack,
				     .reader_ctx = &reader,
				     .symbolizer = s};
	struct snapshot_proc procs[] = {
	    {.pid = 5001, .exited = true}, {.pid = 4243}, {.pid = 5000}, {.pid = 4242}};
	struct snapshot_meta meta = {.losses = {.table_failures = 5, .stack_ids_full = 6}};
	struct snapshot *snap = NULL;
	uint64_t all_leaked;

	(void)state;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_eq(snapshot__finish(snap, &meta, procs, 4, t), 0);
	check_eq(snap->losses.table_failures, 5);
	check_eq(snap->losses.stack_ids_full, 6);
	check_eq(snap->nr_procs, 4);
	check_eq(snap->nr_procs_omitted, 0);
	check_eq(snapshot__nr_omitted(snap), 0);
	all_leaked = snapshot__leaked_bytes(snap);
	check_eq(all_leaked, 2415);
	snapshot__free(snap);

	/* Three of four: the exited one holding nothing goes; the order stays. */
	meta.max_procs = 3;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_eq(snapshot__finish(snap, &meta, procs, 4, t), 0);
	check_eq(snap->nr_procs, 3);
	check_eq(snap->nr_procs_omitted, 1);
	check_eq(snap->procs[0].pid, 4243);
	check_eq(snap->procs[1].pid, 5000);
	check_eq(snap->procs[2].pid, 4242);
	check_eq(snapshot__leaked_bytes(snap), all_leaked);
	snapshot__free(snap);

	/* One: the largest holder; the other's 300 B leak still counts for the verdict. */
	meta.max_procs = 1;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_eq(snapshot__finish(snap, &meta, procs, 4, t), 0);
	check_eq(snap->nr_procs, 1);
	check_eq(snap->nr_procs_omitted, 3);
	check_eq(snap->procs[0].pid, 4242);
	check_eq(snap->procs[0].outstanding_bytes, 2115);
	check_eq(snapshot__leaked_bytes(snap), all_leaked);
	snapshot__free(snap);
	allocs__destroy(t);
	symbolizer__destroy(s);
}

static void test_suppression_match(void **state)
{
	const char *const patterns[] = {"_IO_file_doallocate", "g_cache_*", "*"};

	(void)state;
	check_str(snapshot__match_suppression("_IO_file_doallocate", patterns, 2),
		  "_IO_file_doallocate");
	/* Versioned .dynsym names match their base name. */
	check_str(snapshot__match_suppression("_IO_file_doallocate@@GLIBC_2.2.5", patterns, 2),
		  "_IO_file_doallocate");
	assert_null(snapshot__match_suppression("_IO_file_doallocatex", patterns, 2));
	assert_null(snapshot__match_suppression("_IO_file", patterns, 2));
	check_str(snapshot__match_suppression("g_cache_insert", patterns, 2), "g_cache_*");
	check_str(snapshot__match_suppression("g_cache_", patterns, 2), "g_cache_*");
	assert_null(snapshot__match_suppression("g_cach", patterns, 2));
	assert_null(snapshot__match_suppression(NULL, patterns, 3));
	/* A lone '*' matches every named frame. */
	check_str(snapshot__match_suppression("main", patterns, 3), "*");
	assert_null(snapshot__match_suppression("main", patterns, 0));
}

int main(void);

/* Stacks of this very process: id 1 leads into test_suppression_match, others into main. */
static int own_read_stack(void *ctx, int32_t stack_id, uint64_t *ips, size_t max_ips)
{
	(void)ctx;
	(void)max_ips;
	ips[0] = stack_id == 1 ? (uint64_t)(uintptr_t)test_suppression_match + 1
			       : (uint64_t)(uintptr_t)main + 1;
	return 1;
}

/*
 * Suppressed stacks move last and their bytes are summed apart; mappings
 * (kind KIND_MMAP) come out with their pid and the mmap kind; each
 * process gets its totals.
 */
static void test_snapshot_suppress_mmap_procs(void **state)
{
	struct symbolizer *s = symbolizer__new();
	struct allocs *t = allocs__new();
	const char *const suppress[] = {"nothing", "test_suppression_*"};
	struct snapshot_opts opts = {.max_stacks = 100,
				     .read_stack = own_read_stack,
				     .symbolizer = s,
				     .suppress = suppress,
				     .nr_suppress = 2};
	uint32_t me = (uint32_t)getpid();
	struct snapshot *snap = NULL;
	char *text;

	(void)state;
	assert_non_null(s);
	assert_non_null(t);
	check_eq(symbolizer__refresh(s, (int)me), 0);
	check_eq(allocs__record_alloc(t, me, KIND_MALLOC, 0x1000, 5000, 1, 0),
		 0); /* suppressed, biggest */
	check_eq(allocs__record_alloc(t, me, KIND_MALLOC, 0x2000, 300, 2, 0), 0);
	check_eq(allocs__record_alloc(t, me, KIND_MMAP, 0x7000000, 65536, 2, 0), 0);
	/* munmap of a region never traced: not live, and not an unmatched free either. */
	check_eq(allocs__release_if_live(t, me, KIND_MMAP, 0x8000000), -ENOENT);
	check_eq(allocs__release_if_live(t, me, KIND_MMAP, 0x2000), -ENOENT);
	check_eq(allocs__totals(t)->unmatched_frees, 0);

	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_eq(snap->nr_stacks, 3);
	/* The mapping: the pid without the bit, the mmap kind, not suppressed. */
	check_eq(snap->stacks[0].stats.pid, me);
	check_eq(snap->stacks[0].stats.kind, KIND_MMAP);
	check_eq(snap->stacks[0].stats.outstanding_bytes, 65536);
	assert_null(snap->stacks[0].suppressed_by);
	check_eq(snap->stacks[1].stats.kind, KIND_MALLOC);
	check_eq(snap->stacks[1].stats.outstanding_bytes, 300);
	/* The biggest stack is suppressed: last. */
	check_str(snap->stacks[2].suppressed_by, "test_suppression_*");
	check_eq(snap->nr_suppressed, 1);
	check_eq(snap->suppressed_bytes, 5000);

	snap->procs = calloc(2, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = (int)me;
	snap->procs[1].pid = 1; /* holds nothing */
	snap->nr_procs = 2;
	snapshot__sum_procs(snap, t);
	check_eq(snap->procs[0].outstanding_bytes, 5000 + 300 + 65536);
	check_eq(snap->procs[0].outstanding_count, 3);
	check_eq(snap->procs[0].nr_stacks, 3);
	check_eq(snap->procs[0].suppressed_bytes, 5000);
	check_eq(snap->procs[1].outstanding_bytes, 0);

	text = render_report(snap, 10);
	check_contains(text, "in 1 anonymous mappings [mmap], pid");
	check_contains(text, "suppressed: a frame matches 'test_suppression_*'");
	check_contains(text, "suppressed: 1 stacks holding 4.9 KiB");
	/* One process holds memory: no process table. */
	check_not_contains(text, "processes:\n");
	free(text);
	text = render_folded(snap);
	check_contains(text, ";[mmap];main");
	free(text);
	snapshot__free(snap);
	allocs__destroy(t);
	symbolizer__destroy(s);
}

/*
 * After a scan: stacks with lost blocks come first, an LSan file's pattern
 * suppresses by function, and the leak tally counts blocks by class
 * outside suppressed stacks (unscanned: what no scan classified).
 */
static void test_lost_first_and_tally(void **state)
{
	static const char supp_text[] = "# lsan.supp\nleak:test_suppression_m\n";
	struct symbolizer *s = symbolizer__new();
	struct allocs *t = allocs__new();
	struct snapshot_opts opts = {
	    .max_stacks = 100, .read_stack = own_read_stack, .symbolizer = s, .lost_first = true};
	uint32_t me = (uint32_t)getpid();
	struct suppfile *supp = NULL;
	struct reach_block *blocks;
	struct snapshot *snap = NULL;
	struct leak_tally tally;
	char err[256];
	size_t nr;

	(void)state;
	assert_non_null(s);
	assert_non_null(t);
	check_eq(
	    suppfile__parse("lsan.supp", supp_text, sizeof(supp_text) - 1, &supp, err, sizeof(err)),
	    0);
	opts.suppfile = supp;
	check_eq(symbolizer__refresh(s, (int)me), 0);
	/* Stack 1 (suppressed, lost), 2 (reachable, biggest), 3 (lost, smallest), 4 (unscanned). */
	check_eq(allocs__record_alloc(t, me, KIND_MALLOC, 0x1000, 700, 1, 0), 0);
	check_eq(allocs__record_alloc(t, me, KIND_MALLOC, 0x2000, 5000, 2, 0), 0);
	check_eq(allocs__record_alloc(t, me, KIND_MALLOC, 0x3000, 0, 3, 0), 0); /* malloc(0) */
	check_eq(allocs__record_alloc(t, me, KIND_MALLOC, 0x3100, 30, 3, 0), 0);
	check_eq(allocs__collect_blocks(t, me, KIND_MALLOC, &blocks, &nr), 0);
	check_eq(nr, 4);
	blocks[0].cls = REACH_LOST;
	blocks[1].cls = REACH_REACHABLE;
	blocks[2].cls = REACH_LOST;
	blocks[3].cls = REACH_INDIRECT;
	allocs__set_reach(t, me, KIND_MALLOC, blocks, nr);
	free(blocks);
	check_eq(allocs__record_alloc(t, me, KIND_MALLOC, 0x4000, 64, 4, 0),
		 0); /* after the scan */

	check_eq(snapshot__build(t, &opts, &snap), 0);
	assert_true(snap->lost_first);
	check_eq(snap->nr_stacks, 4);
	check_eq(snap->stacks[0].stats.stack_id, 3); /* 30 lost + indirect bytes */
	check_eq(snap->stacks[1].stats.stack_id, 2); /* then by bytes */
	check_eq(snap->stacks[2].stats.stack_id, 4);
	check_eq(snap->stacks[3].stats.stack_id, 1); /* suppressed: last */
	check_str(snap->stacks[3].suppressed_by, "test_suppression_m");

	snap->procs = calloc(1, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = (int)me;
	snap->nr_procs = 1;
	snapshot__sum_procs(snap, t);
	snapshot__leak_tally(snap, &tally);
	check_eq(tally.count[REACH_LOST], 1); /* the 0-byte block: suppressed one left out */
	check_eq(tally.bytes[REACH_LOST], 0);
	check_eq(tally.count[REACH_INDIRECT], 1);
	check_eq(tally.bytes[REACH_INDIRECT], 30);
	check_eq(tally.count[REACH_REACHABLE], 1);
	check_eq(tally.bytes[REACH_REACHABLE], 5000);
	check_eq(tally.count[REACH_UNSCANNED], 1);
	check_eq(tally.bytes[REACH_UNSCANNED], 64);
	snapshot__free(snap);

	/* Without lost_first (or sorted by growth), the biggest stack leads. */
	opts.lost_first = false;
	check_eq(snapshot__build(t, &opts, &snap), 0);
	assert_false(snap->lost_first);
	check_eq(snap->stacks[0].stats.stack_id, 2);
	snapshot__free(snap);
	suppfile__free(supp);
	allocs__destroy(t);
	symbolizer__destroy(s);
}

#define MANY_PROCS 200000

/*
 * System-wide, or a fork bomb in command mode: every process is listed and
 * holds a stack. Summing them takes well under a second by pid; comparing
 * every stack with every process takes minutes (the alarm ends the test).
 * The totals: each process gets its own stacks, a suppressed stack's bytes
 * go to its process, a pid no process has is left out.
 */
static void test_sum_procs_many(void **state)
{
	struct allocs *t = allocs__new();
	struct snapshot *snap = calloc(1, sizeof(*snap));
	uint32_t pid;
	size_t i;

	(void)state;
	assert_non_null(t);
	assert_non_null(snap);
	snap->procs = calloc(MANY_PROCS, sizeof(*snap->procs));
	snap->stacks = calloc(2, sizeof(*snap->stacks));
	assert_non_null(snap->procs);
	assert_non_null(snap->stacks);
	for (pid = 1; pid <= MANY_PROCS; pid++) {
		check_eq(allocs__record_alloc(t, pid, KIND_MALLOC, 0x1000, pid, 1, 0), 0);
		check_eq(allocs__record_alloc(t, pid, KIND_MALLOC, 0x2000, 1, 2, 0), 0);
		/* Listed in the reverse order: the last pid's entry comes first. */
		snap->procs[MANY_PROCS - pid].pid = (int)pid;
	}
	check_eq(allocs__record_alloc(t, MANY_PROCS + 1, KIND_MALLOC, 0x1000, 7, 1, 0), 0);
	snap->nr_procs = MANY_PROCS;
	snap->stacks[0].stats.pid = 5;
	snap->stacks[0].stats.outstanding_bytes = 5;
	snap->stacks[0].suppressed_by = "x";
	snap->stacks[1].stats.pid = 6;
	snap->stacks[1].stats.outstanding_bytes = 6;
	snap->nr_stacks = 2;
	alarm(60);
	snapshot__sum_procs(snap, t);
	alarm(0);
	for (i = 0; i < MANY_PROCS; i++) {
		pid = (uint32_t)snap->procs[i].pid;
		check_eq(snap->procs[i].outstanding_bytes, pid + 1);
		check_eq(snap->procs[i].outstanding_count, 2);
		check_eq(snap->procs[i].nr_stacks, 2);
		check_eq(snap->procs[i].suppressed_bytes, pid == 5 ? 5 : 0);
	}
	snapshot__free(snap);
	allocs__destroy(t);
}

static void test_root_symbols(void **state)
{
	(void)state;
	assert_true(snapshot__is_root_symbol("_start"));
	assert_true(snapshot__is_root_symbol("__libc_start_main@@GLIBC_2.34"));
	assert_true(snapshot__is_root_symbol("start_thread"));
	assert_true(snapshot__is_root_symbol("clone3"));
	assert_false(snapshot__is_root_symbol("main"));
	assert_false(snapshot__is_root_symbol("_start_thread"));
	assert_false(snapshot__is_root_symbol("_sta"));
	assert_false(snapshot__is_root_symbol(NULL));
}

static void test_stack_problem_kinds(void **state)
{
	struct snapshot_stack st = {0};
	struct frame f = {0};

	(void)state;
	st.stats.stack_id = -EEXIST;
	check_contains(snapshot__stack_problem(&st), "--stack-slots");
	st.stats.stack_id = -EFAULT;
	check_str(snapshot__stack_problem(&st), "stack lost: the user stack could not be walked");
	st.stats.stack_id = -ENOSPC;
	check_contains(snapshot__stack_problem(&st), "--stack-slots");
	st.stats.stack_id = 3;
	st.read_error = -ENOENT;
	check_str(snapshot__stack_problem(&st), "stack lost: no longer in the stack map");
	st.read_error = 0;
	check_str(snapshot__stack_problem(&st), "stack empty");
	st.frames = &f;
	st.nr_frames = 1;
	assert_null(snapshot__stack_problem(&st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_snapshot_build),
	    cmocka_unit_test(test_snapshot_max_stacks),
	    cmocka_unit_test(test_snapshot_losses_and_proc_cap),
	    cmocka_unit_test(test_snapshot_filters),
	    cmocka_unit_test(test_suppression_match),
	    cmocka_unit_test(test_snapshot_suppress_mmap_procs),
	    cmocka_unit_test(test_lost_first_and_tally),
	    cmocka_unit_test(test_sum_procs_many),
	    cmocka_unit_test(test_stack_problem_kinds),
	    cmocka_unit_test(test_root_symbols),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
