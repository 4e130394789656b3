// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Prometheus exposition (src/metrics.h) of synthetic snapshots: exact
 * lines of a few series, one series per (exe, kind, stack) summed over
 * processes, hostile comm and exe escaped, the --metrics-top bound with its
 * growing extras, the left-at-exit tally, losses; the whole text checked
 * by `promtool check metrics` (lint included) when promtool is installed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"
#include "snapshot_fixture.h"

#include "history.h"
#include "metrics.h"
#include "snapshot.h"
#include "stackid.h"
#include "textsafe.h"

static const struct frame web_leak[] = {
    {.addr = 0x7f0000098930ULL, .symbol = "malloc", .offset = 0, .module = "libc.so.6"},
    {.addr = 0x55550000101aULL, .symbol = "leak_here", .offset = 0x1a, .module = "web"},
    {.addr = 0x555500003010ULL, .symbol = "main", .offset = 0x10, .module = "web"},
};
/* The same stack in another process: other addresses (ASLR), same functions and offsets. */
static const struct frame web_leak_aslr[] = {
    {.addr = 0x7f1100098930ULL, .symbol = "malloc", .offset = 0, .module = "libc.so.6"},
    {.addr = 0x56660000101aULL, .symbol = "leak_here", .offset = 0x1a, .module = "web"},
    {.addr = 0x566600003010ULL, .symbol = "main", .offset = 0x10, .module = "web"},
};
static const struct frame web_map[] = {
    {.addr = 0x7f00000f0000ULL, .symbol = "mmap64", .offset = 0x4, .module = "libc.so.6"},
    {.addr = 0x555500004000ULL, .symbol = "map_arena", .offset = 0x20, .module = "web"},
};
static const struct frame go_park[] = {
    {.addr = 0x401000, .symbol = "runtime.gopark", .offset = 0x10, .module = "gosvc"},
    {.addr = 0x402000, .symbol = "runtime.chanrecv", .offset = 0x20, .module = "gosvc"},
    {.addr = 0x403000, .symbol = "main.worker", .offset = 0x30, .module = "gosvc"},
};
static const struct frame evil_new[] = {
    {.addr = 0x7f0000200000ULL, .symbol = "_Znwm", .offset = 0x8, .module = "libstdc++.so.6"},
    {.addr = 0x555500005000ULL, .symbol = "evil\"fn\\x\nq", .offset = 0x2, .module = "evil"},
};
static const struct frame libc_init[] = {
    {.addr = 0x7f0000300000ULL, .symbol = "_IO_file_doallocate", .offset = 0x1, .module = "libc"},
};

static struct stack_history growing_hist(double rate)
{
	struct stack_history h = {.values = {0, 1, 2}, .nr_values = 3, .growing = true};

	h.trend.rate = rate;
	h.trend.growing = true;
	return h;
}

static struct stack_history h_web0, h_web1, h_go, h_exited;

static void add_stack(struct snapshot *snap, uint32_t pid, enum alloc_kind kind,
		      const struct frame *frames, size_t nr, uint64_t bytes, uint64_t count)
{
	struct snapshot_stack *st = &snap->stacks[snap->nr_stacks++];

	set_stats(st, pid, (int32_t)snap->nr_stacks, bytes, count, bytes * 2, count * 2);
	st->stats.kind = kind;
	if (frames) {
		st->frames = frames_of(frames, nr);
		st->nr_frames = nr;
	}
}

static struct snapshot_proc *add_proc(struct snapshot *snap, int pid, const char *comm,
				      const char *exe)
{
	struct snapshot_proc *p = &snap->procs[snap->nr_procs++];

	p->pid = pid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	snprintf(p->exe, sizeof(p->exe), "%s", exe);
	return p;
}

/*
 * Two processes of /usr/bin/web sharing a growing malloc stack (3000 + 1000
 * bytes) and an mmap stack, a lost stack and a suppressed one; a Go
 * process with a goroutine stack and its memory view; a hostile process
 * (comm `a"b` newline `c`, exe with `"` and `\`) leaking through operator
 * new; a left-at-exit tally entry; distinct loss counters.
 */
static struct snapshot *make_fleet(void)
{
	struct snapshot *snap = calloc(1, sizeof(*snap));
	struct snapshot_proc *p;
	size_t i;

	assert_non_null(snap);
	snap->wall_time_s = 1796220677;
	snap->interval_s = 1;
	snap->window = 10;
	snap->seq = 4;
	for (i = 0; i < ML_CNT_MAX; i++)
		snap->counters[i] = 100 + i;
	snap->totals.missed_frees = 7;
	snap->attach_failures = 8;
	snap->losses = (struct user_losses){.table_failures = 31,
					    .stack_ids_full = 32,
					    .go_exits_unseen_birth = 33,
					    .go_creates_missed = 34,
					    .go_exits_missed = 35,
					    .go_census_unreadable = 36,
					    .exited_stacks_evicted = 37,
					    .exited_stacks_cut = 38};
	snap->self = (struct snapshot_self){.cpu_s = 1.25, .rss_bytes = 40960, .start_time_s = 1e9};

	snap->procs = calloc(5, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	p = add_proc(snap, 100, "web", "/usr/bin/web");
	p->kind_bytes[KIND_MALLOC] = 3010 + 64;
	p->kind_count[KIND_MALLOC] = 5;
	p->kind_bytes[KIND_MMAP] = 8192;
	p->kind_count[KIND_MMAP] = 1;
	p->alloc_count = 20;
	p->alloc_bytes = 22000;
	p->free_count = 14;
	p->free_bytes = 10734;
	p->nr_growing = 1;
	p = add_proc(snap, 101, "web-2", "/usr/bin/web");
	p->kind_bytes[KIND_MALLOC] = 1000;
	p->kind_count[KIND_MALLOC] = 1;
	p = add_proc(snap, 300, "gosvc", "/usr/bin/gosvc");
	p->kind_count[KIND_GOROUTINE] = 7;
	p->kind_bytes[KIND_GO_HEAP] = 1 << 20;
	p->kind_count[KIND_GO_HEAP] = 10;
	p->go = calloc(1, sizeof(*p->go));
	assert_non_null(p->go);
	p->go->goroutines = 9;
	p->mem = (struct snapshot_memview){.valid = true,
					   .rss_bytes = 9000000,
					   .anon_bytes = 5000000,
					   .tracked_bytes = 6000000,
					   .gap_bytes = -1000000,
					   .gap_rate = 2.5,
					   .gap_growing = false};
	add_proc(snap, 200, "a\"b\nc", "/tmp/x\"y\\z");

	snap->stacks = calloc(8, sizeof(*snap->stacks));
	assert_non_null(snap->stacks);
	add_stack(snap, 100, KIND_MALLOC, web_leak, 3, 3000, 3);
	h_web0 = growing_hist(100);
	snap->stacks[0].hist = &h_web0;
	add_stack(snap, 101, KIND_MALLOC, web_leak_aslr, 3, 1000, 1);
	h_web1 = growing_hist(50);
	h_web1.growing = false;
	snap->stacks[1].hist = &h_web1;
	add_stack(snap, 100, KIND_MMAP, web_map, 2, 8192, 1);
	add_stack(snap, 300, KIND_GOROUTINE, go_park, 3, 7, 7);
	h_go = growing_hist(0.5);
	snap->stacks[3].hist = &h_go;
	add_stack(snap, 200, KIND_MALLOC, evil_new, 2, 48, 1);
	add_stack(snap, 100, KIND_MALLOC, NULL, 0, 10, 1);
	snap->stacks[5].read_error = -EFAULT;
	add_stack(snap, 100, KIND_MALLOC, libc_init, 1, 4096, 1);
	snap->stacks[6].suppressed_by = "_IO_file_doallocate";
	snap->nr_suppressed = 1;
	snap->nr_live_stacks = 8; /* one past the snapshot's cap */

	snap->exited = calloc(1, sizeof(*snap->exited));
	assert_non_null(snap->exited);
	snap->nr_exited = 1;
	snap->nr_exited_omitted = 2;
	snap->exited_procs = 3;
	strcpy(snap->exited[0].exe, "/usr/bin/web");
	strcpy(snap->exited[0].comm, "web-9");
	snap->exited[0].kind = KIND_MALLOC;
	snap->exited[0].frames = frames_of(web_leak, 3);
	snap->exited[0].nr_frames = 3;
	snap->exited[0].stack_hash = stackid__hash(KIND_MALLOC, web_leak, 3);
	snap->exited[0].bytes = 5000;
	snap->exited[0].count = 5;
	snap->exited[0].nr_procs = 3;
	snap->exited[0].rate = 12.5;
	snap->exited[0].growing = true;
	(void)h_exited;
	return snap;
}

static char *render(const struct snapshot *snap, unsigned int top)
{
	const struct metrics_opts mo = {.top = top, .version = "9.8.7"};
	char *text = NULL;
	size_t len = 0;

	check_eq(metrics__render(snap, &mo, &text, &len), 0);
	assert_non_null(text);
	check_eq(strlen(text), len);
	return text;
}

static const char *id_of(enum alloc_kind kind, const struct frame *f, size_t nr, char buf[17])
{
	return stackid__format(stackid__hash(kind, f, nr), buf);
}

/* A line that must be in text, built with printf. */
static void check_line(const char *text, const char *fmt, ...)
{
	char want[1024];
	char line[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "\n%s\n", want);
	if (!strstr(text, line))
		fail_msg("line not found:\n%s\nin:\n%s", want, text);
}

static void test_stack_series(void **state)
{
	struct snapshot *snap = make_fleet();
	char *text = render(snap, 20);
	char id[17];

	(void)state;
	/* Two processes of one exe, one stack: one series, summed, growing, the larger's comm. */
	id_of(KIND_MALLOC, web_leak, 3, id);
	check_line(text,
		   "memleakd_stack_outstanding_bytes{exe=\"/usr/bin/web\",process=\"web\","
		   "kind=\"malloc\",stack_id=\"%s\",leaf=\"malloc\",caller=\"leak_here\"} 4000",
		   id);
	check_line(text,
		   "memleakd_stack_outstanding_allocations{exe=\"/usr/bin/web\",process=\"web\","
		   "kind=\"malloc\",stack_id=\"%s\",leaf=\"malloc\",caller=\"leak_here\"} 4",
		   id);
	check_line(text,
		   "memleakd_stack_growth_bytes_per_second{exe=\"/usr/bin/web\",process=\"web\","
		   "kind=\"malloc\",stack_id=\"%s\",leaf=\"malloc\",caller=\"leak_here\"} 150",
		   id);
	check_line(text,
		   "memleakd_stack_growing{exe=\"/usr/bin/web\",process=\"web\",kind=\"malloc\","
		   "stack_id=\"%s\",leaf=\"malloc\",caller=\"leak_here\"} 1",
		   id);
	check_eq(count_of(text, id), 4 + 5); /* four stack families, five exited ones */
	/* mmap: the wrapper skipped */
	check_line(text,
		   "memleakd_stack_outstanding_bytes{exe=\"/usr/bin/web\",process=\"web\","
		   "kind=\"mmap\",stack_id=\"%s\",leaf=\"mmap64\",caller=\"map_arena\"} 8192",
		   id_of(KIND_MMAP, web_map, 2, id));
	/* Goroutines: a count and a verdict, no bytes; runtime.* frames skipped. */
	id_of(KIND_GOROUTINE, go_park, 3, id);
	check_line(
	    text,
	    "memleakd_stack_outstanding_allocations{exe=\"/usr/bin/gosvc\",process=\"gosvc\","
	    "kind=\"goroutine\",stack_id=\"%s\",leaf=\"runtime.gopark\","
	    "caller=\"main.worker\"} 7",
	    id);
	check_line(text,
		   "memleakd_stack_growing{exe=\"/usr/bin/gosvc\",process=\"gosvc\","
		   "kind=\"goroutine\",stack_id=\"%s\",leaf=\"runtime.gopark\","
		   "caller=\"main.worker\"} 1",
		   id);
	check_eq(count_of(text, id), 2);
	/* A stack whose frames were lost: an id of the kind alone. */
	check_line(
	    text,
	    "memleakd_stack_outstanding_bytes{exe=\"/usr/bin/web\",process=\"web\","
	    "kind=\"malloc\",stack_id=\"%s\",leaf=\"[stack lost]\",caller=\"[stack lost]\"} 10",
	    id_of(KIND_MALLOC, NULL, 0, id));
	/* Suppressed stacks are in no stack family. */
	check_eq(count_of(text, "_IO_file_doallocate"), 0);
	check_eq(count_of(text, "{exe="), 4 * 4 + 2 + 5);
	check_line(text, "memleakd_exported_stacks 5");
	check_line(text, "memleakd_omitted_stacks 1"); /* 8 live - 6 exported - 1 suppressed */
	free(text);
	snapshot__free(snap);
}

static void test_hostile_labels(void **state)
{
	struct snapshot *snap = make_fleet();
	char *text;
	char id[17];

	(void)state;
	/* Invalid UTF-8 and a terminal escape in a comm: U+FFFD and '?'. */
	snprintf(snap->procs[1].comm, sizeof(snap->procs[1].comm), "w\xff\x1b[2J");
	text = render(snap, 20);
	check_line(text, "memleakd_process_outstanding_bytes{pid=\"200\",process=\"a\\\"b\\nc\","
			 "exe=\"/tmp/x\\\"y\\\\z\",kind=\"malloc\"} 0");
	check_line(
	    text,
	    "memleakd_stack_outstanding_bytes{exe=\"/tmp/x\\\"y\\\\z\",process=\"a\\\"b\\nc\","
	    "kind=\"malloc\",stack_id=\"%s\",leaf=\"_Znwm\",caller=\"evil\\\"fn\\\\x\\nq\"} 48",
	    id_of(KIND_MALLOC, evil_new, 2, id));
	check_line(text,
		   "memleakd_process_growing_stacks{pid=\"101\",process=\"w" TEXTSAFE_REPLACEMENT
		   "?[2J\",exe=\"/usr/bin/web\"} 0");
	/* No raw newline inside a sample: every line starts with a name or '#'. */
	{
		const char *l = text;

		for (; *l; l = strchr(l, '\n') + 1) {
			if (strncmp(l, "memleakd_", 9) && strncmp(l, "process_", 8) &&
			    strncmp(l, "# ", 2))
				fail_msg("line does not start with a metric name: %.80s", l);
		}
	}
	free(text);
	snapshot__free(snap);
}

static void test_process_families(void **state)
{
	struct snapshot *snap = make_fleet();
	char *text = render(snap, 20);

	(void)state;
	check_line(text, "memleakd_process_outstanding_bytes{pid=\"100\",process=\"web\","
			 "exe=\"/usr/bin/web\",kind=\"malloc\"} 3074");
	check_line(text, "memleakd_process_outstanding_bytes{pid=\"100\",process=\"web\","
			 "exe=\"/usr/bin/web\",kind=\"mmap\"} 8192");
	check_line(text, "memleakd_process_outstanding_allocations{pid=\"300\",process=\"gosvc\","
			 "exe=\"/usr/bin/gosvc\",kind=\"go-heap\"} 10");
	check_line(text, "memleakd_process_allocations_total{pid=\"100\",process=\"web\","
			 "exe=\"/usr/bin/web\"} 20");
	check_line(text, "memleakd_process_freed_bytes_total{pid=\"100\",process=\"web\","
			 "exe=\"/usr/bin/web\"} 10734");
	check_line(text, "memleakd_process_goroutines{pid=\"300\",process=\"gosvc\","
			 "exe=\"/usr/bin/gosvc\"} 9");
	check_eq(count_of(text, "memleakd_process_goroutines{"), 1); /* Go only */
	check_line(text, "memleakd_process_untracked_bytes{pid=\"300\",process=\"gosvc\","
			 "exe=\"/usr/bin/gosvc\"} -1000000");
	check_line(text, "memleakd_process_untracked_growth_bytes_per_second{pid=\"300\","
			 "process=\"gosvc\",exe=\"/usr/bin/gosvc\"} 2.5");
	check_eq(count_of(text, "memleakd_process_rss_bytes{"), 1); /* where the view is valid */
	/* No mmap series for a process without mmap blocks; no goroutine kind at all. */
	check_eq(count_of(text, "memleakd_process_outstanding_bytes{pid=\"101\""), 1);
	check_eq(count_of(text, "kind=\"goroutine\"} "), 0);
	free(text);
	snapshot__free(snap);
}

static void test_exited_and_losses(void **state)
{
	struct snapshot *snap = make_fleet();
	char *text = render(snap, 20);
	char id[17];

	(void)state;
	id_of(KIND_MALLOC, web_leak, 3, id);
	check_line(
	    text,
	    "memleakd_exited_left_bytes{exe=\"/usr/bin/web\",process=\"web-9\",kind=\"malloc\","
	    "stack_id=\"%s\",leaf=\"malloc\",caller=\"leak_here\"} 5000",
	    id);
	check_line(
	    text,
	    "memleakd_exited_processes{exe=\"/usr/bin/web\",process=\"web-9\",kind=\"malloc\","
	    "stack_id=\"%s\",leaf=\"malloc\",caller=\"leak_here\"} 3",
	    id);
	check_line(text,
		   "memleakd_exited_growth_bytes_per_second{exe=\"/usr/bin/web\",process=\"web-9\","
		   "kind=\"malloc\",stack_id=\"%s\",leaf=\"malloc\",caller=\"leak_here\"} 12.5",
		   id);
	check_line(text, "memleakd_exited_omitted_stacks 2");
	check_line(text, "memleakd_losses_total{reason=\"ringbuf_drops\"} %d",
		   100 + ML_CNT_RB_DROPS);
	check_line(text, "memleakd_losses_total{reason=\"go_unreadable\"} %d",
		   100 + ML_CNT_GO_UNREADABLE);
	check_line(text, "memleakd_losses_total{reason=\"missed_frees\"} 7");
	check_line(text, "memleakd_losses_total{reason=\"attach_failures\"} 8");
	check_line(text, "memleakd_losses_total{reason=\"go_census_unreadable\"} 36");
	check_line(text, "memleakd_losses_total{reason=\"exited_stacks_cut\"} 38");
	check_line(text, "memleakd_evictions_total{what=\"exited_stacks_evicted\"} 37");
	check_eq(count_of(text, "memleakd_losses_total{"), 27);
	/* Not losses: filtered allocations, nested calls, unused slots, CFI-less frames. */
	check_eq(count_of(text, "} 110\n"), 0); /* ML_CNT_FILTERED */
	check_eq(count_of(text, "} 109\n"), 0); /* ML_CNT_NESTED */
	check_eq(count_of(text, "} 100\n"), 0); /* ML_CNT_EVENTS */
	check_line(text, "memleakd_build_info{version=\"9.8.7\"} 1");
	check_line(text, "process_cpu_seconds_total 1.25");
	check_line(text, "process_resident_memory_bytes 40960");
	check_line(text, "process_start_time_seconds 1000000000");
	check_line(text, "memleakd_snapshot_timestamp_seconds 1796220677");
	check_line(text, "memleakd_tracked_processes 4");
	free(text);
	snapshot__free(snap);
}

static int no_stack(void *ctx, int32_t stack_id, uint64_t *ips, size_t max_ips)
{
	(void)ctx;
	(void)stack_id;
	(void)ips;
	(void)max_ips;
	return -ENOENT;
}

/*
 * snapshot__sum_procs fills what the per-process families show: outstanding
 * by kind, lifetime totals of the byte kinds (stacks that hold nothing
 * now too, goroutines never), growing stacks from the history; and the
 * exe given to snapshot__finish is kept.
 */
static void test_sum_procs(void **state)
{
	struct allocs *t = allocs__new();
	struct history *h = history__new(10, &trend_defaults);
	const struct snapshot_opts opts = {.max_stacks = 100, .read_stack = no_stack, .history = h};
	struct snapshot_proc procs[1] = {{.pid = 10}};
	struct snapshot_meta meta = {0};
	struct snapshot *snap = NULL;
	const struct snapshot_proc *p;
	uint64_t i;

	(void)state;
	assert_non_null(t);
	assert_non_null(h);
	strcpy(procs[0].comm, "app");
	strcpy(procs[0].exe, "/usr/bin/app");
	for (i = 0; i < 3; i++)
		check_eq(allocs__record_alloc(t, 10, KIND_MALLOC, 0x1000 + i * 0x100, 100, 1, 0),
			 0);
	check_eq(allocs__record_free(t, 10, KIND_MALLOC, 0x1000), 0);
	check_eq(allocs__record_alloc(t, 10, KIND_MALLOC, 0x9000, 50, 3, 0), 0);
	check_eq(allocs__record_free(t, 10, KIND_MALLOC, 0x9000), 0); /* stack 3: nothing now */
	check_eq(allocs__record_alloc(t, 10, KIND_MMAP, 0x7000000, 4096, 2, 0), 0);
	check_eq(allocs__record_alloc(t, 10, KIND_GOROUTINE, 0x1, 1, 4, 0), 0);
	for (i = 0; i < 10; i++) /* stack 1 grows steadily; stack 2 stays */
		check_eq(history__record(h, 10, KIND_MALLOC, 1, 1000 * i), 0);
	for (i = 0; i < 10; i++)
		check_eq(history__record(h, 10, KIND_MMAP, 2, 4096), 0);
	check_eq(snapshot__build(t, &opts, &snap), 0);
	check_eq(snapshot__finish(snap, &meta, procs, 1, t), 0);
	p = &snap->procs[0];
	check_str(p->exe, "/usr/bin/app");
	check_eq(p->kind_bytes[KIND_MALLOC], 200);
	check_eq(p->kind_count[KIND_MALLOC], 2);
	check_eq(p->kind_bytes[KIND_MMAP], 4096);
	check_eq(p->kind_count[KIND_GOROUTINE], 1);
	check_eq(p->alloc_count, 5);
	check_eq(p->alloc_bytes, 300 + 50 + 4096);
	check_eq(p->free_count, 2);
	check_eq(p->free_bytes, 150);
	check_eq(p->nr_growing, 1);
	snapshot__free(snap);
	history__destroy(h);
	allocs__destroy(t);
}

/* Frames of a distinct one-frame stack named fn. */
static void add_named(struct snapshot *snap, const char *fn, uint64_t bytes, double rate,
		      bool growing, struct stack_history *h)
{
	const struct frame f = {.symbol = fn, .module = "app", .offset = 1};

	add_stack(snap, 1, KIND_MALLOC, &f, 1, bytes, 1);
	*h = growing_hist(rate);
	h->growing = growing;
	snap->stacks[snap->nr_stacks - 1].hist = h;
}

/* K = 2: the two largest, then the growing others fastest first, at most 2 of them. */
static void test_top_k(void **state)
{
	struct snapshot *snap = calloc(1, sizeof(*snap));
	struct stack_history h[6];
	char *text;

	(void)state;
	assert_non_null(snap);
	snap->procs = calloc(1, sizeof(*snap->procs));
	snap->stacks = calloc(6, sizeof(*snap->stacks));
	assert_non_null(snap->procs);
	assert_non_null(snap->stacks);
	add_proc(snap, 1, "app", "/bin/app");
	add_named(snap, "big1", 600, 0, false, &h[0]);
	add_named(snap, "big2", 500, 50, true, &h[1]);
	add_named(snap, "slow", 400, 1, true, &h[2]);
	add_named(snap, "flat", 300, 0, false, &h[3]);
	add_named(snap, "mid", 200, 5, true, &h[4]);
	add_named(snap, "fast", 100, 9, true, &h[5]);
	snap->nr_live_stacks = 6;
	text = render(snap, 2);
	check_eq(count_of(text, "memleakd_stack_outstanding_bytes{"), 4);
	check_contains(text, "leaf=\"big1\"");
	check_contains(text, "leaf=\"big2\"");
	check_contains(text, "leaf=\"fast\"");
	check_contains(text, "leaf=\"mid\"");
	check_eq(count_of(text, "leaf=\"slow\""), 0); /* third growing one past K */
	check_eq(count_of(text, "leaf=\"flat\""), 0);
	check_line(text, "memleakd_exported_stacks 4");
	check_line(text, "memleakd_omitted_stacks 2");
	/* In that order: by bytes, then the growing extras fastest first. */
	assert_true(strstr(text, "leaf=\"big1\"") < strstr(text, "leaf=\"big2\""));
	assert_true(strstr(text, "leaf=\"big2\"") < strstr(text, "leaf=\"fast\""));
	assert_true(strstr(text, "leaf=\"fast\"") < strstr(text, "leaf=\"mid\""));
	free(text);
	snapshot__free(snap);
}

static void test_leaf_and_caller(void **state)
{
	const struct frame jemalloc[] = {
	    {.symbol = "je_malloc_default", .module = "libjemalloc.so.2"},
	    {.symbol = NULL, .offset = 0x1234, .module = "libjemalloc.so.2"},
	    {.symbol = "operator new(unsigned long)", .module = "libstdc++.so.6"},
	    {.symbol = "__strdup", .module = "libc.so.6"},
	    {.symbol = NULL, .offset = 0xbeef, .module = "app"},
	};
	const struct frame all_alloc[] = {
	    {.symbol = "calloc", .module = "libc.so.6"},
	    {.symbol = "_ZnamRKSt9nothrow_t", .module = "libstdc++.so.6"},
	};
	const struct frame unknown[] = {{.addr = 0x1234}};
	const struct frame go_heap[] = {
	    {.symbol = "runtime.mallocgc", .module = "svc"},
	    {.symbol = "runtime.newobject", .module = "svc"},
	    {.symbol = "main.(*cache).put", .module = "svc"},
	};
	char buf[128];

	(void)state;
	check_str(metrics__leaf(jemalloc, 5, buf, sizeof(buf)), "je_malloc_default");
	check_str(metrics__caller(KIND_MALLOC, jemalloc, 5, buf, sizeof(buf)), "app+0xbeef");
	check_str(metrics__caller(KIND_MALLOC, all_alloc, 2, buf, sizeof(buf)), "?");
	check_str(metrics__leaf(unknown, 1, buf, sizeof(buf)), "?");
	check_str(metrics__leaf(NULL, 0, buf, sizeof(buf)), "?");
	check_str(metrics__caller(KIND_GO_HEAP, go_heap, 3, buf, sizeof(buf)), "main.(*cache).put");
	/* runtime.* is the allocator only for Go kinds; malloc is no Go allocator frame. */
	assert_false(metrics__is_allocator_frame(KIND_MALLOC, &go_heap[0]));
	assert_true(metrics__is_allocator_frame(KIND_MALLOC, &all_alloc[0]));
}

/* Before the first snapshot: a valid exposition with build_info only. */
static void test_no_snapshot(void **state)
{
	char *text = render(NULL, 20);

	(void)state;
	check_str(text, "# HELP memleakd_build_info Always 1; the version of memleakd serving.\n"
			"# TYPE memleakd_build_info gauge\n"
			"memleakd_build_info{version=\"9.8.7\"} 1\n");
	free(text);
}

/* Each family's samples together, after its HELP and TYPE, each family once. */
static void test_families_grouped(void **state)
{
	struct snapshot *snap = make_fleet();
	char *text = render(snap, 20), *line, *save = NULL, *copy = strdup(text);
	char current[128] = "", seen[8192] = " ";
	size_t n;

	(void)state;
	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], key[132];

		if (!strncmp(line, "# HELP ", 7)) {
			n = strcspn(line + 7, " ");
			snprintf(current, sizeof(current), "%.*s", (int)n, line + 7);
			snprintf(key, sizeof(key), " %s ", current);
			if (strstr(seen, key))
				fail_msg("family %s twice", current);
			strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			check_eq(strncmp(line + 7, current, strlen(current)), 0);
			continue;
		}
		n = strcspn(line, "{ ");
		snprintf(name, sizeof(name), "%.*s", (int)n, line);
		if (strcmp(name, current))
			fail_msg("sample of %s under family %s", name, current);
	}
	free(copy);
	free(text);
	snapshot__free(snap);
}

/* `promtool check metrics` (parse and lint) on the whole text, when installed. */
static void test_promtool(void **state)
{
	struct snapshot *snap;
	char *text, out_path[] = "/tmp/memleakd-promtool.XXXXXX", cmd[256], log[4096];
	FILE *p, *logf;
	size_t n;
	int fd, status;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1")) {
		if (getenv("CI"))
			fail_msg("promtool is not installed (tools/install-deps.sh installs it)");
		skip();
	}
	fd = mkstemp(out_path);
	assert_true(fd >= 0);
	close(fd);
	snap = make_fleet();
	text = render(snap, 20);
	snprintf(cmd, sizeof(cmd), "promtool check metrics >%s 2>&1", out_path);
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(text, p);
	status = pclose(p);
	logf = fopen(out_path, "r");
	assert_non_null(logf);
	n = fread(log, 1, sizeof(log) - 1, logf);
	log[n] = '\0';
	fclose(logf);
	unlink(out_path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || n)
		fail_msg("promtool check metrics: status %d, said:\n%s\non:\n%s", status, log,
			 text);
	free(text);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stack_series),
	    cmocka_unit_test(test_hostile_labels),
	    cmocka_unit_test(test_process_families),
	    cmocka_unit_test(test_exited_and_losses),
	    cmocka_unit_test(test_top_k),
	    cmocka_unit_test(test_leaf_and_caller),
	    cmocka_unit_test(test_no_snapshot),
	    cmocka_unit_test(test_families_grouped),
	    cmocka_unit_test(test_promtool),
	    cmocka_unit_test(test_sum_procs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
