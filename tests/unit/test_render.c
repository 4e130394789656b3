// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Everything between the allocation table and the files a user reads:
 * snapshot building (src/snapshot.h), the human report (src/report.h), the
 * folded export (src/folded.h) and atomic output files (src/outfile.h).
 * Renderers are compared against exact text where the format is a contract
 * (folded is parsed by flame graph tools; the report by people and scripts).
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

#include "allocs.h"
#include "flamegraph.h"
#include "folded.h"
#include "json.h"
#include "pprof.h"
#include "outfile.h"
#include "procmaps.h"
#include "report.h"
#include "snapshot.h"
#include "symbolize.h"

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

static char *render_folded(const struct snapshot *snap)
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

static char *render_with(render_fn render, const struct snapshot *snap, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	assert_non_null(out);
	check_eq(render(out, snap), 0);
	fclose(out);
	return text;
}

static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;

	for (; (text = strstr(text, needle)); text += strlen(needle))
		n++;
	return n;
}

static char *render_report(const struct snapshot *snap, unsigned int top)
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

/* Control characters as \xNN (newlines kept), for printing untrusted text. */
static void escape_text(const char *text, char *out, size_t len)
{
	size_t used = 0;

	for (; *text && used + 5 < len; text++) {
		unsigned char ch = (unsigned char)*text;

		if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
			used += (size_t)snprintf(out + used, len - used, "\\x%02x", ch);
		else
			out[used++] = (char)ch;
	}
	out[used] = '\0';
}

/* --- a snapshot built by hand --------------------------------------------- */

static struct frame *frames_of(const struct frame *src, size_t n)
{
	struct frame *f = calloc(n, sizeof(*f));

	assert_non_null(f);
	memcpy(f, src, n * sizeof(*f));
	return f;
}

static void set_stats(struct snapshot_stack *st, uint32_t pid, int32_t id, uint64_t bytes,
		      uint64_t count, uint64_t alloc_bytes, uint64_t alloc_count)
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
 * Five stacks shown out of six live: a fully symbolized one, a lost capture
 * (-EEXIST), one mixing symbol / module-only / unknown frames with ';' in
 * names, one whose frames could not be read, and an empty one.
 */
static struct snapshot *make_snapshot(void)
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
	snap->nr_stacks = 5;
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

static const char expected_folded[] =
    "app;__libc_start_main;main;leak_mid;leak_inner 3072\n"
    "app;[stack lost: stack map collision (raise --stack-slots)] 1000\n"
    "we:ird;[unknown];libfoo.so+0x1234;odd:name 512\n"
    "?;[stack lost: no longer in the stack map] 10\n"
    "app;[stack empty] 8\n";

static void test_folded_exact(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text;

	(void)state;
	text = render_folded(snap);
	check_str(text, expected_folded);
	free(text);
	snapshot__free(snap);
}

static void test_folded_control_characters(void **state)
{
	static const struct frame hostile[] = {
	    {.addr = 0x1000, .symbol = "new\nline", .offset = 1, .module = "m"},
	    {.addr = 0x2000, .symbol = "esc\x1b[2J;del\x7f", .offset = 1, .module = "m"},
	};
	struct snapshot *snap = calloc(1, sizeof(*snap));
	char *text;

	(void)state;
	assert_non_null(snap);
	snap->procs = calloc(1, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = 7;
	strcpy(snap->procs[0].comm, "tab\tcomm");
	snap->nr_procs = 1;
	snap->nr_stacks = snap->nr_live_stacks = 1;
	snap->stacks = calloc(1, sizeof(*snap->stacks));
	assert_non_null(snap->stacks);
	set_stats(&snap->stacks[0], 7, 1, 64, 1, 64, 1);
	snap->stacks[0].frames = frames_of(hostile, 2);
	snap->stacks[0].nr_frames = 2;

	/* One record per line, whatever the names contain. */
	text = render_folded(snap);
	check_str(text, "tab?comm;esc?[2J:del?;new?line 64\n");
	free(text);
	snapshot__free(snap);
}

static void test_folded_empty_and_io_error(void **state)
{
	struct snapshot *snap = calloc(1, sizeof(*snap));
	char *text;
	FILE *full;

	(void)state;
	assert_non_null(snap);
	text = render_folded(snap);
	check_str(text, "");
	free(text);
	snapshot__free(snap);

	/* A full disk must be reported, not ignored. */
	full = fopen("/dev/full", "w");
	if (!full) {
		print_message("(no /dev/full: I/O error path not checked)\n");
		return;
	}
	snap = make_snapshot();
	check_eq(folded__render(full, snap), -EIO);
	fclose(full);
	snapshot__free(snap);
}

static const char expected_report_top3[] =
    "== memleakd interval report 3 at 13:14:15 (+12.5 s):"
    " pid 42 (app), pid 43 (we;ird) exited ==\n"
    "outstanding 4.9 KiB (5000 B) in 9 allocations from 6 stacks;"
    " since attach 100 allocations, 91 frees\n"
    "lost: ringbuf drops 11, stack collisions 12, stack failures 13, stash misses 14,"
    " stash full 15, stale stashes 16, failed reallocs 18, memptr faults 17\n"
    "unmatched frees 7 (blocks allocated before attach or filtered), missed frees 2,"
    " filtered allocations 20\n"
    "stacks (dwarf unwinding): 4 of 5 end before an entry point (1.9 KiB); unwind faults 21,"
    " depth cuts 22, frames without CFI 23, busy 24\n"
    "growing: 1 of 6 stacks (trend over the last 10 intervals of 1.0 s)\n"
    "lost to lifecycles: 26 children not followed (target set full), 0 new images whose allocator "
    "could not be probed (see stderr)\n"
    "#1 3.0 KiB (3072 B) in 3 allocations, pid 42 (app)\n"
    "    since attach: allocated 4.0 KiB in 4, freed 1.0 KiB in 1\n"
    "        leak_inner+0x1a (app)\n"
    "        leak_mid+0x2b (app)\n"
    "        main+0x10 (app)\n"
    "        __libc_start_main+0x80 (libc.so.6)\n"
    "#2 1000 B (1000 B) in 1 allocations, pid 42 (app)\n"
    "    since attach: allocated 1000 B in 1, freed 0 B in 0\n"
    "        [stack lost: stack map collision (raise --stack-slots)]\n"
    "#3 512 B (512 B) in 2 allocations, pid 43 (we;ird)\n"
    "    since attach: allocated 512 B in 2, freed 0 B in 0\n"
    "        odd;name+0x1 (lib;x.so)\n"
    "        libfoo.so+0x1234\n"
    "        0x7f00dead\n"
    "(3 more stacks not shown; raise -n to see them)\n"
    "\n";

static void test_report_exact(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text;

	(void)state;
	text = render_report(snap, 3);
	check_str(text, expected_report_top3);
	free(text);
	snapshot__free(snap);
}

static void test_report_all_stacks(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text, *inner, *mid, *root;

	(void)state;
	snap->final = true;
	text = render_report(snap, 10);
	check_contains(text, "== memleakd final report 3 at 13:14:15 (+12.5 s):");
	check_contains(text, "(5000 B) in 9 allocations from 6 stacks");
	check_contains(text, "unmatched frees 7 ");
	check_contains(text, "missed frees 2");
	/* Leaf first. */
	inner = strstr(text, "        leak_inner+0x1a (app)\n");
	mid = strstr(text, "        leak_mid+0x2b (app)\n");
	root = strstr(text, "        __libc_start_main+0x80 (libc.so.6)\n");
	assert_non_null(inner);
	assert_non_null(mid);
	assert_non_null(root);
	assert_true(inner < mid && mid < root);
	check_contains(text, "#4 10 B (10 B) in 1 allocations, pid 99 (?)\n");
	check_contains(text, "        [stack lost: no longer in the stack map]\n");
	check_contains(text, "#5 8 B (8 B) in 1 allocations, pid 42 (app)\n");
	check_contains(text, "        [stack empty]\n");
	/* Five shown of six live: one left out. */
	check_contains(text, "(1 more stacks not shown");
	check_not_contains(text, "#6");
	check_not_contains(text, "no outstanding allocations");
	free(text);

	/* All live stacks shown: no "more" line. */
	snap->nr_live_stacks = 5;
	text = render_report(snap, 5);
	check_contains(text, "#5 ");
	check_not_contains(text, "more stacks not shown");
	free(text);
	snapshot__free(snap);
}

static void test_report_empty(void **state)
{
	struct snapshot *snap = calloc(1, sizeof(*snap));
	char *text;
	FILE *full;

	(void)state;
	assert_non_null(snap);
	snap->seq = 1;
	text = render_report(snap, 10);
	check_contains(text, "== memleakd interval report 1 at ");
	check_contains(text, "outstanding 0 B (0 B) in 0 allocations from 0 stacks");
	check_contains(text, "\nno outstanding allocations\n");
	check_not_contains(text, "#1");
	check_not_contains(text, "more stacks");
	free(text);

	full = fopen("/dev/full", "w");
	if (full) {
		const struct report_opts opts = {.top = 10};

		check_eq(report__render(full, snap, &opts), -EIO);
		fclose(full);
	}
	snapshot__free(snap);
}

/*
 * Symbol names come from the target's ELF files and comm from the target
 * itself (prctl(PR_SET_NAME)): both are untrusted. memleakd runs as root and
 * prints the report to a terminal, so they must not carry raw control
 * characters (escape sequences, or newlines that fake report lines) there,
 * as the folded renderer already ensures.
 */
static void test_report_control_characters(void **state)
{
	static const struct frame hostile[] = {
	    {.addr = 0x1000, .symbol = "f\n#9 999 GiB fake", .offset = 1, .module = "m"},
	    {.addr = 0x2000, .symbol = "esc\x1b]0;pwned\x07", .offset = 1, .module = "m"},
	};
	struct snapshot *snap = calloc(1, sizeof(*snap));
	const char *p;
	char *text;

	(void)state;
	assert_non_null(snap);
	snap->procs = calloc(1, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = 7;
	strcpy(snap->procs[0].comm, "x\x1b[2Jy");
	snap->nr_procs = 1;
	snap->nr_stacks = snap->nr_live_stacks = 1;
	snap->stacks = calloc(1, sizeof(*snap->stacks));
	assert_non_null(snap->stacks);
	set_stats(&snap->stacks[0], 7, 1, 64, 1, 64, 1);
	snap->stacks[0].frames = frames_of(hostile, 2);
	snap->stacks[0].nr_frames = 2;
	text = render_report(snap, 10);
	snapshot__free(snap);

	for (p = text; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch < 0x20 && ch != '\n') || ch == 0x7f) {
			char shown[4096];
			ptrdiff_t at = p - text;

			/* Escaped, so the failure message does not itself drive the terminal. */
			escape_text(text, shown, sizeof(shown));
			free(text);
			fail_msg("raw control character %#04x at byte %td of the report:\n%s", ch,
				 at, shown);
		}
	}
	if (strstr(text, "\n#9 ")) {
		free(text);
		fail_msg("a newline in a symbol name forged a report line");
	}
	free(text);
}

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
	check_contains(text, "(5 more stacks not shown");
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

/* The exporters on the synthetic snapshot: names escaped, structure whole. */
static void test_json_line(void **state)
{
	struct snapshot *snap = make_snapshot();
	struct stack_history hist = {.values = {0, 100, 300}, .nr_values = 3, .growing = true};
	size_t len;
	char *text;

	(void)state;
	hist.trend.rate = 150;
	snap->stacks[0].hist = &hist;
	snap->stacks[0].oldest_age_s = 4.5;
	text = render_with(json__render, snap, &len);
	check_eq(count_of(text, "\n"), 1); /* one line */
	check_contains(text, "\"seq\":3,\"final\":false");
	check_contains(text, "\"outstanding_bytes\":3072");
	check_contains(text,
		       "\"growth_bytes_per_s\":150.000,\"growing\":true,\"oldest_age_s\":4.500,"
		       "\"series\":[0,100,300]");
	check_contains(text, "\"ringbuf_drops\":11");
	check_contains(text,
		       "\"problem\":\"stack lost: stack map collision (raise --stack-slots)\"");
	check_contains(text, "\"symbol\":\"leak_inner\",\"module\":\"app\",\"offset\":26");
	check_contains(text, "\"comm\":\"we;ird\"");
	check_eq(count_of(text, "{"), count_of(text, "}"));
	check_eq(count_of(text, "["), count_of(text, "]"));
	free(text);
	/* Quotes, backslashes, control and non-ASCII bytes: escaped, still one line. */
	strcpy(snap->procs[0].comm, "a\"b\\c\n\xff");
	text = render_with(json__render, snap, &len);
	check_contains(text, "\"comm\":\"a\\\"b\\\\c\\u000a\\u00ff\"");
	check_eq(count_of(text, "\n"), 1);
	free(text);
	snapshot__free(snap);
}

static void test_sparkline(void **state)
{
	static const uint64_t rising[] = {0, 1, 2, 3, 4, 5, 6, 7}, flat[] = {5, 5, 5};
	char buf[64];

	(void)state;
	check_str(report__sparkline(rising, 8, buf, sizeof(buf)),
		  "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588");
	check_str(report__sparkline(flat, 3, buf, sizeof(buf)), "\u2581\u2581\u2581");
	check_str(report__sparkline(rising, 8, buf, 7), "\u2581\u2582"); /* bounded */
	check_str(report__sparkline(rising, 0, buf, sizeof(buf)), "");
}

static void test_flamegraph_svg(void **state)
{
	struct snapshot *snap = make_snapshot();
	struct stack_history hist = {.nr_values = 1, .growing = true};
	size_t len;
	char *text;

	(void)state;
	hist.trend.rate = 2048;
	snap->stacks[0].hist = &hist;
	text = render_with(flamegraph__render, snap, &len);
	assert_true(!strncmp(text, "<?xml", 5));
	check_contains(text, "</svg>\n");
	check_eq(count_of(text, "<g"), count_of(text, "</g>"));
	check_contains(text, "<title>leak_inner \xe2\x80\x94 3.0 KiB (3072 B, ");
	check_contains(text, "; growing +2.0 KiB/s</title>");
	check_contains(text, "class=\"growing\"");
	/* Names from the target cannot break out of the markup. */
	free(text);
	strcpy(snap->procs[0].comm, "<a&\"b>");
	text = render_with(flamegraph__render, snap, &len);
	check_contains(text, "&lt;a&amp;&quot;b&gt;");
	check_not_contains(text, "<a&");
	free(text);
	snapshot__free(snap);
}

static void test_pprof_gzip(void **state)
{
	struct snapshot *snap = make_snapshot();
	size_t len = 0;
	char *text;

	(void)state;
	text = render_with(pprof__write, snap, &len);
	assert_true(len > 20);
	check_eq((unsigned char)text[0], 0x1f); /* gzip magic */
	check_eq((unsigned char)text[1], 0x8b);
	free(text);
	snapshot__free(snap);
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

/* --- outfile ------------------------------------------------------------------ */

struct tmpdir {
	char path[64];
};

static void tmpdir_make(struct tmpdir *d)
{
	strcpy(d->path, "/tmp/memleakd-outtest-XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

/* The names in the directory as "a,b," (readdir order), for messages and exact checks. */
static void list_dir(const struct tmpdir *d, char *out, size_t len, unsigned int *count)
{
	struct dirent *e;
	DIR *dir = opendir(d->path);

	assert_non_null(dir);
	out[0] = '\0';
	*count = 0;
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		(*count)++;
		strncat(out, e->d_name, len - strlen(out) - 1);
		strncat(out, ",", len - strlen(out) - 1);
	}
	closedir(dir);
}

static void expect_dir(const struct tmpdir *d, const char *only_name)
{
	unsigned int count;
	char names[1024], want[256];

	list_dir(d, names, sizeof(names), &count);
	if (only_name) {
		snprintf(want, sizeof(want), "%s,", only_name);
		if (count != 1 || strcmp(names, want))
			fail_msg("%s holds \"%s\", want just \"%s\"", d->path, names, only_name);
	} else if (count) {
		fail_msg("%s holds \"%s\", want nothing", d->path, names);
	}
}

static char *slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	check_eq(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
}

static void tmpdir_remove(struct tmpdir *d, const char *const *names)
{
	char path[PATH_MAX];

	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/%s", d->path, *names);
		unlink(path);
	}
	if (rmdir(d->path))
		fail_msg("rmdir %s: %s", d->path, strerror(errno));
}

static void test_outfile_commit(void **state)
{
	struct tmpdir d;
	char path[128];
	struct outfile *f;
	unsigned int count;
	char names[512];
	int old_fd;

	(void)state;
	tmpdir_make(&d);
	snprintf(path, sizeof(path), "%s/leaks.folded", d.path);

	f = outfile__begin(path);
	assert_non_null(f);
	fputs("first version\n", outfile__stream(f));
	/* Until commit, the target does not exist; only the temporary file does. */
	assert_int_equal(access(path, F_OK), -1);
	list_dir(&d, names, sizeof(names), &count);
	check_eq(count, 1);
	check_eq(strncmp(names, "leaks.folded.", strlen("leaks.folded.")), 0);
	check_eq(outfile__commit(f), 0);
	check_str(slurp(path), "first version\n");
	expect_dir(&d, "leaks.folded");

	/* A reader of the old version keeps it whole while the new one replaces it. */
	old_fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(old_fd >= 0);
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("second, longer version\n", outfile__stream(f));
	check_str(slurp(path), "first version\n");
	check_eq(outfile__commit(f), 0);
	check_str(slurp(path), "second, longer version\n");
	{
		char buf[64] = "";

		check_eq(read(old_fd, buf, sizeof(buf) - 1), 14);
		check_str(buf, "first version\n");
	}
	close(old_fd);
	expect_dir(&d, "leaks.folded");
	tmpdir_remove(&d, (const char *const[]){"leaks.folded", NULL});
}

static void test_outfile_abort(void **state)
{
	struct tmpdir d;
	char path[128];
	struct outfile *f;

	(void)state;
	tmpdir_make(&d);
	snprintf(path, sizeof(path), "%s/out", d.path);
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("never seen\n", outfile__stream(f));
	outfile__abort(f);
	expect_dir(&d, NULL);

	/* An abort leaves the previous version alone. */
	put(path, "kept\n");
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("dropped\n", outfile__stream(f));
	outfile__abort(f);
	check_str(slurp(path), "kept\n");
	expect_dir(&d, "out");
	outfile__abort(NULL);
	tmpdir_remove(&d, (const char *const[]){"out", NULL});
}

static void test_outfile_check_writable(void **state)
{
	struct tmpdir d;
	char path[128];

	(void)state;
	tmpdir_make(&d);
	snprintf(path, sizeof(path), "%s/no/such/dir/out.folded", d.path);
	check_eq(outfile__check_writable(path), -ENOENT);
	check_eq(outfile__begin(path) == NULL, 1);

	/* The directory itself is not a file to replace. */
	check_eq(outfile__check_writable(d.path), -EISDIR);

	/* A fine path: nothing is left behind, an existing file is not touched. */
	snprintf(path, sizeof(path), "%s/out.folded", d.path);
	check_eq(outfile__check_writable(path), 0);
	expect_dir(&d, NULL);
	put(path, "existing\n");
	check_eq(outfile__check_writable(path), 0);
	check_str(slurp(path), "existing\n");
	expect_dir(&d, "out.folded");
	tmpdir_remove(&d, (const char *const[]){"out.folded", NULL});
}

static void test_outfile_commit_fails(void **state)
{
	struct tmpdir d;
	char path[128], inner[160];
	struct outfile *f;

	(void)state;
	tmpdir_make(&d);
	/* The target is a non-empty directory: the rename fails, no temporary stays. */
	snprintf(path, sizeof(path), "%s/target", d.path);
	check_eq(mkdir(path, 0755), 0);
	snprintf(inner, sizeof(inner), "%s/keep", path);
	put(inner, "x");
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("data\n", outfile__stream(f));
	assert_true(outfile__commit(f) < 0);
	expect_dir(&d, "target");
	check_str(slurp(inner), "x");
	unlink(inner);
	rmdir(path);
	tmpdir_remove(&d, (const char *const[]){NULL});
}

static void test_outfile_replaces_symlink(void **state)
{
	struct tmpdir d;
	char path[128], victim[128], dangling[128];
	struct outfile *f;
	struct stat st;

	(void)state;
	tmpdir_make(&d);
	/* Someone planted out.folded -> victim: the link is replaced, victim untouched. */
	snprintf(path, sizeof(path), "%s/out.folded", d.path);
	snprintf(victim, sizeof(victim), "%s/victim", d.path);
	put(victim, "precious\n");
	check_eq(symlink(victim, path), 0);

	check_eq(outfile__check_writable(path), 0);
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("stacks 1\n", outfile__stream(f));
	check_eq(outfile__commit(f), 0);
	check_eq(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	check_str(slurp(path), "stacks 1\n");
	check_str(slurp(victim), "precious\n");

	/* A dangling link: the file it names must not be created. */
	unlink(path);
	snprintf(dangling, sizeof(dangling), "%s/created-through-link", d.path);
	check_eq(symlink(dangling, path), 0);
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("stacks 2\n", outfile__stream(f));
	check_eq(outfile__commit(f), 0);
	check_eq(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	check_str(slurp(path), "stacks 2\n");
	assert_int_equal(access(dangling, F_OK), -1);
	tmpdir_remove(&d, (const char *const[]){"out.folded", "victim", NULL});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_folded_exact),
	    cmocka_unit_test(test_folded_control_characters),
	    cmocka_unit_test(test_folded_empty_and_io_error),
	    cmocka_unit_test(test_report_exact),
	    cmocka_unit_test(test_report_all_stacks),
	    cmocka_unit_test(test_report_empty),
	    cmocka_unit_test(test_report_control_characters),
	    cmocka_unit_test(test_snapshot_build),
	    cmocka_unit_test(test_snapshot_max_stacks),
	    cmocka_unit_test(test_snapshot_filters),
	    cmocka_unit_test(test_suppression_match),
	    cmocka_unit_test(test_snapshot_suppress_mmap_procs),
	    cmocka_unit_test(test_stack_problem_kinds),
	    cmocka_unit_test(test_root_symbols),
	    cmocka_unit_test(test_json_line),
	    cmocka_unit_test(test_sparkline),
	    cmocka_unit_test(test_flamegraph_svg),
	    cmocka_unit_test(test_pprof_gzip),
	    cmocka_unit_test(test_outfile_commit),
	    cmocka_unit_test(test_outfile_abort),
	    cmocka_unit_test(test_outfile_check_writable),
	    cmocka_unit_test(test_outfile_commit_fails),
	    cmocka_unit_test(test_outfile_replaces_symlink),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
