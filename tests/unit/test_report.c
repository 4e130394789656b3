// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The human report (src/report.h), compared against exact text where the
 * format is a contract (people and scripts read it), and its sparklines.
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

#include "report.h"
#include "snapshot.h"
#include "textsafe.h"

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
    "could not be probed (see stderr), 27 execs not held, 28 lifecycle records lost, 29 exit "
    "records lost, 30 exec holds expired\n"
    "lost to limits: 31 allocations not stored (out of memory), 32 allocations past the stack-id "
    "cap (raise --stack-slots), 1 stacks holding 398 B past the 5-stack cap (in no report or "
    "export), 33 processes not listed\n"
    "lost (goroutines): 0 exits of goroutines born unseen, 0 creations missed, 0 exits missed, 0 "
    "goroutines a census could not read, 31 probe hits without a readable g\n"
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
    "(2 more stacks not shown; raise -n to see them)\n"
    "(1 more stacks past the 5-stack cap, not shown)\n"
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
	/* Five shown of six live: one past the cap, which -n cannot bring back. */
	check_contains(text, "(1 more stacks past the 5-stack cap, not shown)\n");
	check_not_contains(text, "raise -n");
	check_not_contains(text, "#6");
	check_not_contains(text, "no outstanding allocations");
	free(text);

	/* All live stacks shown: no "more" line, nor a "lost to limits" one. */
	snap->nr_live_stacks = snap->nr_live_tracked = 5;
	snap->losses = (struct user_losses){0};
	snap->nr_procs_omitted = 0;
	text = render_report(snap, 5);
	check_contains(text, "#5 ");
	check_not_contains(text, "more stacks not shown");
	check_not_contains(text, "past the");
	check_not_contains(text, "lost to limits");
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
	snap->nr_stacks = snap->nr_live_stacks = snap->nr_live_tracked = 1;
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

/*
 * Past C0: UTF-8 encoded C1 controls (U+009B is CSI to xterm), raw C1 and
 * other invalid UTF-8, and bidi overrides (which reorder what the reader
 * sees) never reach stdout; UTF-8 names are kept as they are.
 */
static void test_report_c1_bidi_invalid(void **state)
{
	static const struct frame hostile[] = {
	    {.addr = 0x1000,
	     .symbol = "csi\xc2\x9b"
		       "31mred",
	     .offset = 1,
	     .module = "m"},
	    {.addr = 0x2000, .symbol = "rlo\xe2\x80\xaegnp.exe", .offset = 1, .module = "m\x9b"},
	    {.addr = 0x3000, .symbol = "bad\xff\xfe\xc3(", .offset = 1, .module = "m"},
	    {.addr = 0x4000, .symbol = "caf\xc3\xa9_\xe5\x90\x8d", .offset = 1, .module = "m"},
	};
	struct snapshot *snap = calloc(1, sizeof(*snap));
	enum text_class cls;
	const char *p;
	uint32_t cp;
	char *text;

	(void)state;
	assert_non_null(snap);
	snap->procs = calloc(1, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = 7;
	strcpy(snap->procs[0].comm, "\xc2\x9b"
				    "2J\xc2\x9b"
				    "31mX");
	snap->nr_procs = 1;
	snap->nr_stacks = snap->nr_live_stacks = snap->nr_live_tracked = 1;
	snap->stacks = calloc(1, sizeof(*snap->stacks));
	assert_non_null(snap->stacks);
	set_stats(&snap->stacks[0], 7, 1, 64, 1, 64, 1);
	snap->stacks[0].frames = frames_of(hostile, 4);
	snap->stacks[0].nr_frames = 4;
	text = render_report(snap, 10);
	snapshot__free(snap);

	for (p = text; *p; p += textsafe__next(p, &cp, &cls)) {
		textsafe__next(p, &cp, &cls);
		if (cls == TEXT_PLAIN || *p == '\n')
			continue;
		{
			ptrdiff_t at = p - text;

			free(text);
			fail_msg("%s U+%04X at byte %td of the report",
				 cls == TEXT_INVALID ? "invalid UTF-8 byte" : "control character",
				 cp, at);
		}
	}
	check_contains(text, "pid 7 (?2J?31mX)");
	check_contains(text, "csi?31mred+0x1 (m)");
	check_contains(text, "rlo?gnp.exe+0x1 (m?)");
	check_contains(text, "bad??"
			     "?(+0x1 (m)");
	check_contains(text, "caf\xc3\xa9_\xe5\x90\x8d+0x1 (m)");
	free(text);
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

static struct stack_history go_growing = {
    .values = {1000, 1100, 1204}, .nr_values = 3, .trend = {.rate = 20}, .growing = true};

/*
 * A Go process: its facts line, then the three groups each under its
 * title, goroutine sites by creation site with the census's view and both
 * stacks, the Go heap in bytes and objects. Exact from the Go line on.
 */
static void test_report_go_groups(void **state)
{
	struct snapshot *snap = make_go_snapshot(&go_growing);
	char *text = render_report(snap, 10);
	const char *go_part = strstr(text, "Go pid 42");

	(void)state;
	assert_non_null(go_part);
	check_str(
	    go_part,
	    "Go pid 42 (server): go1.23.5, 1,310 goroutines (NumGoroutine) + 5 system; "
	    "births and exits traced; census 1.2 ms (80.0 KiB read)\n"
	    "    heap profile: one sample per 512.0 KiB allocated on average, as of GC cycle "
	    "17; read in 0.5 ms (12.0 KiB, 35 buckets)\n"
	    "Memory (malloc and mmap), in bytes outstanding:\n"
	    "#1 4.0 KiB (4096 B) in 2 allocations, pid 43 (cprog)\n"
	    "    since attach: allocated 8.0 KiB in 4, freed 4.0 KiB in 2\n"
	    "        c_leak+0x1a (cprog)\n"
	    "Goroutines, in live goroutines by creation site:\n"
	    "#1 1,204 goroutines created at main.(*Server).handle (server.go:88), +20.0/s "
	    "GROWING, blocked in chan receive for up to 61 s\n"
	    "    pid 42 (server); since attach 1,300 created, 96 exited; "
	    "\u2581\u2584\u2588; oldest 59 s old\n"
	    "    states: chan receive 1,200, running 4; goroutine stacks pin 9.4 MiB\n"
	    "    created at:\n"
	    "        main.(*Server).handle+0x10 (server) /src/app/server.go:88\n"
	    "        main.(*Server).serve+0x10 (server) /src/app/server.go:40\n"
	    "        main.main+0x10 (server) /src/app/main.go:12\n"
	    "    blocked in:\n"
	    "        runtime.gopark+0x10 (server) /go/src/runtime/proc.go:398\n"
	    "        runtime.chanrecv1+0x10 (server) /go/src/runtime/chan.go:442\n"
	    "        main.(*Server).handle.func1+0x10 (server) /src/app/server.go:91\n"
	    "#2 3 goroutines started before attach, running main.worker (worker.go:7)\n"
	    "    pid 42 (server); since attach 0 created, 0 exited; oldest 0 s old\n"
	    "    states: select 3; goroutine stacks pin 6.0 KiB\n"
	    "    created at:\n"
	    "        main.worker+0x10 (server) /src/app/worker.go:7\n"
	    "Go heap (in use, sampled and scaled like pprof; as of GC cycle 17), in bytes and "
	    "objects:\n"
	    "#1 3.0 MiB (3145728 B) in 3,072 objects, pid 42 (server)\n"
	    "    allocated since the program started: 12.0 MiB in 12,288 objects\n"
	    "        main.newBuffer (inlined) /src/app/buf.go:21\n"
	    "        main.(*Server).cache+0x10 (server) /src/app/cache.go:55\n"
	    "        main.main+0x10 (server) /src/app/main.go:12\n"
	    "#2 64.0 KiB (65536 B) in 16 objects, pid 42 (server)\n"
	    "    allocated since the program started: 64.0 KiB in 16 objects\n"
	    "        main.loadConfig+0x10 (server) /src/app/config.go:9\n"
	    "        main.main+0x10 (server) /src/app/main.go:10\n"
	    "\n");
	free(text);
	/* -n applies to each group: one of each, the rest counted per group. */
	text = render_report(snap, 1);
	check_eq(count_of(text, "(1 more stacks not shown; raise -n to see them)\n"), 2);
	check_eq(count_of(text, "\n#1 "), 3);
	assert_null(strstr(text, "\n#2 "));
	free(text);
	snapshot__free(snap);
}

/* "blocked in" names the most common waiting state, never "running". */
static void test_report_go_blocked_state(void **state)
{
	struct snapshot *snap = make_go_snapshot(&go_growing);
	struct go_site *site = (struct go_site *)snap->stacks[1].go_site;
	char *text;

	(void)state;
	site->states[0] = (struct go_site_state){"running", 1000};
	site->states[1] = (struct go_site_state){"select", 204};
	text = render_report(snap, 10);
	check_contains(text, "GROWING, blocked in select for up to 61 s\n");
	free(text);
	site->states[1] = (struct go_site_state){"runnable", 204};
	text = render_report(snap, 10);
	check_contains(text, "(server.go:88), +20.0/s GROWING\n");
	free(text);
	snapshot__free(snap);
}

/* Heap profiling off: said plainly, with the way to turn it on; the runtime's own reason wins. */
static void test_report_go_heap_off(void **state)
{
	struct snapshot *snap = make_go_snapshot(&go_growing);
	struct snapshot_go *go = snap->procs[0].go;
	char *text;

	(void)state;
	go->heap_rate = 0;
	text = render_report(snap, 10);
	check_contains(text, "    heap profile: none: heap profiling is off in this binary (the "
			     "linker disables it when the program never references runtime/pprof); "
			     "--go-heap-sampling turns it on\n");
	free(text);
	go->heap_off = "the heap profile could not be read (\x1b[2Jbucket list)";
	go->goroutines_off = "no g0 offsets for go1.99";
	go->goroutines_traced = false;
	text = render_report(snap, 10);
	check_contains(text, "    heap profile: none: the heap profile could not be read "
			     "(?[2Jbucket list)\n");
	check_contains(text, "; goroutines not counted: no g0 offsets for go1.99\n");
	free(text);
	snapshot__free(snap);
}

/* The Go version comes from the target's memory: never raw to the terminal. */
static void test_report_go_hostile_version(void **state)
{
	struct snapshot *snap = make_go_snapshot(&go_growing);
	struct snapshot_go *go = snap->procs[0].go;
	char *text;

	(void)state;
	strcpy(go->version, "go1\x1b]0;x\x07");
	text = render_report(snap, 10);
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\x07'));
	check_contains(text, "Go pid 42 (server): go1?]0;x?, ");
	free(text);
	snapshot__free(snap);
}

/* A malloc-only snapshot has no group titles (the report looks as before), Go losses a line. */
static void test_report_go_losses_and_no_titles(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text;

	(void)state;
	snap->counters[ML_CNT_GO_UNREADABLE] = 0;
	text = render_report(snap, 10);
	assert_null(strstr(text, "Memory (malloc and mmap)"));
	assert_null(strstr(text, "lost (goroutines)"));
	free(text);
	snap->losses.go_exits_unseen_birth = 41;
	snap->losses.go_creates_missed = 42;
	snap->losses.go_exits_missed = 43;
	snap->losses.go_census_unreadable = 44;
	snap->counters[ML_CNT_GO_UNREADABLE] = 45;
	text = render_report(snap, 10);
	check_contains(text, "lost (goroutines): 41 exits of goroutines born unseen, 42 creations "
			     "missed, 43 exits missed, 44 goroutines a census could not read, 45 "
			     "probe hits without a readable g\n");
	free(text);
	snapshot__free(snap);
}

/* --- reachability ------------------------------------------------------------ */

/* Without any scan, none of the reach lines: a final report is as it always was. */
static void test_report_no_scan_no_reach_lines(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text;

	(void)state;
	snap->final = true;
	text = render_report(snap, 10);
	assert_null(strstr(text, "reach:"));
	assert_null(strstr(text, "scan pid"));
	assert_null(strstr(text, "not scanned"));
	assert_null(strstr(text, "SUMMARY"));
	free(text);
	/* Classes left in the stacks by an old scan change nothing while no process has one. */
	snap->stacks[0].stats.reach.count[REACH_LOST] = 1;
	snap->stacks[0].stats.reach.bytes[REACH_LOST] = 1024;
	snap->final = false;
	text = render_report(snap, 3);
	check_str(text, expected_report_top3);
	free(text);
	snapshot__free(snap);
}

/* A live scan and one at exit: a line per process, a reach line per stack, the summary. */
static void test_report_scans(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text;

	(void)state;
	add_scans(snap);
	snap->final = true;
	text = render_report(snap, 10);
	check_contains(
	    text, "\nscan pid 42 (app): last scan 3.2 s ago (12 scans), paused 12.3 ms (10.1 ms "
		  "scanning), read 1.2 MiB (roots: globals 64.0 KiB, stack 8.0 KiB, registers "
		  "1.1 KiB, untraced 0 B; heap 3.0 KiB), 3 threads: lost 1.0 KiB in 1 blocks, "
		  "reachable 2.0 KiB in 2 (1 reachable only through interior pointers)\n");
	check_contains(text,
		       "\nscan pid 43 (we;ird): at exit, paused 2.5 ms (2.0 ms scanning), "
		       "read 68.4 KiB (roots: globals 4.0 KiB, stack 2.0 KiB, registers 384 B, "
		       "untraced 61.5 KiB; heap 512 B), 1 threads: lost 256 B in 1 blocks, "
		       "indirect 256 B in 1\n");
	/* Each stack's line comes right after its "since attach" line. */
	check_contains(text,
		       "    since attach: allocated 4.0 KiB in 4, freed 1.0 KiB in 1\n"
		       "    reach: lost 1.0 KiB in 1 blocks, reachable 1.0 KiB in 1, unscanned "
		       "1.0 KiB in 1 (scan 3.2 s ago)\n");
	check_contains(text, "    reach: reachable 1000 B in 1 blocks (scan 3.2 s ago): still "
			     "reachable, not a leak\n");
	check_contains(text, "    reach: lost 256 B in 1 blocks, indirect 256 B in 1 (at exit)\n");
	check_contains(text, "    reach: unscanned 10 B in 1 blocks (process not scanned)\n");
	check_contains(text, "    reach: unscanned 8 B in 1 blocks (scan 3.2 s ago)\n");
	check_eq(count_of(text, "not a leak"), 1);
	check_eq(count_of(text, "    reach: "), 5);
	/* The summary closes the report: every process, the omitted ones' 100 B in 2 too. */
	check_contains(
	    text, "(1 more stacks past the 5-stack cap, not shown)\n"
		  "SUMMARY: memleakd: 1,380 byte(s) definitely lost in 4 block(s), 256 byte(s) "
		  "indirectly lost in 1 block(s); 2,024 byte(s) still reachable in 2 block(s) "
		  "(not leaks)\n"
		  "SUMMARY: memleakd: 1,032 byte(s) in 2 block(s) were not scanned (allocated "
		  "since the last scan)\n\n");
	free(text);
	/* An interval report has the reach lines, not the summary. */
	snap->final = false;
	text = render_report(snap, 10);
	check_eq(count_of(text, "    reach: "), 5);
	check_eq(count_of(text, "scan pid "), 2);
	assert_null(strstr(text, "SUMMARY"));
	free(text);
	snapshot__free(snap);
}

/* Everything scanned at exit: no unscanned line; nothing lost still gives the summary. */
static void test_report_summary_all_classified(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text;
	size_t i;

	(void)state;
	add_scans(snap);
	snap->final = true;
	snap->nr_procs = 1; /* pid 42 only, scanned at exit; nothing past the listing cap */
	snap->procs[0].scan.at_exit = true;
	snap->procs_omitted_tally = (struct leak_tally){0};
	for (i = 0; i < snap->nr_stacks; i++)
		snap->stacks[i].stats.pid = 42;
	snap->procs[0].reach = (struct reach_counts){0};
	set_reach(&snap->procs[0].reach, REACH_REACHABLE, 4080, 5);
	text = render_report(snap, 10);
	check_contains(text,
		       "SUMMARY: memleakd: 0 byte(s) definitely lost in 0 block(s), 0 byte(s) "
		       "indirectly lost in 0 block(s); 4,080 byte(s) still reachable in 5 block(s) "
		       "(not leaks)\n\n");
	check_eq(count_of(text, "SUMMARY"), 1);
	assert_null(strstr(text, "not scanned"));
	free(text);
	snapshot__free(snap);
}

/* A failed scan says why (made safe for a terminal); a truncated one says nothing is lost. */
static void test_report_scan_failed_truncated(void **state)
{
	struct snapshot *snap = make_snapshot();
	struct snapshot_scan *failed, *cut;
	char *text, want[sizeof(failed->why) + 64];

	(void)state;
	add_scans(snap);
	snap->final = true;
	failed = &snap->procs[0].scan;
	failed->state = SCAN_FAILED;
	snprintf(failed->why, sizeof(failed->why),
		 "cannot stop pid 42: \033[31mOperation not permitted (run as root)");
	cut = &snap->procs[1].scan;
	cut->truncated = true;
	text = render_report(snap, 10);
	check_contains(text,
		       "\nscan pid 42 (app): FAILED: cannot stop pid 42: ?[31mOperation "
		       "not permitted (run as root); its blocks keep the classes of an earlier "
		       "scan\n");
	assert_null(strstr(text, "\033"));
	check_contains(text, "indirect 256 B in 1; TRUNCATED: a bound (--scan-max-bytes or the "
			     "time limit) cut the scan (blocks not reached stay unscanned, none is "
			     "called lost)\n");
	check_contains(text, "    reach: unscanned 8 B in 1 blocks (the last scan failed)\n");
	check_contains(text, "were not scanned (a scan bound cut the scan short; a scan failed)\n");
	free(text);
	/* Never scanned before the failure; a why that fills its buffer without a NUL. */
	memset(failed->count, 0, sizeof(failed->count));
	memset(failed->bytes, 0, sizeof(failed->bytes));
	memset(failed->why, 'w', sizeof(failed->why));
	snprintf(cut->why, sizeof(cut->why), "--scan-max-bytes 64 KiB reached");
	text = render_report(snap, 10);
	/* All 160 bytes and nothing past them. */
	memset(want, 'w', sizeof(failed->why));
	snprintf(want + sizeof(failed->why), sizeof(want) - sizeof(failed->why),
		 "; its blocks are unscanned\n");
	check_contains(text, "scan pid 42 (app): FAILED: ");
	check_contains(strstr(text, "scan pid 42 (app): FAILED: ") + 27, want);
	check_eq(strstr(text, "scan pid 42 (app): FAILED: ") + 27, strstr(text, want));
	check_contains(text, "; TRUNCATED: --scan-max-bytes 64 KiB reached (blocks not reached");
	free(text);
	snapshot__free(snap);
}

/* Scan lines for ten processes at most; the rest are counted. */
static void test_report_scan_lines_capped(void **state)
{
	struct snapshot *snap = make_snapshot();
	struct snapshot_proc *procs;
	char *text;
	size_t i;

	(void)state;
	add_scans(snap);
	procs = realloc(snap->procs, 14 * sizeof(*procs));
	assert_non_null(procs);
	for (i = 2; i < 14; i++) {
		procs[i] = procs[1];
		procs[i].pid = 100 + (int)i;
	}
	procs[13].scan.state = SCAN_NONE;
	snap->procs = procs;
	snap->nr_procs = 14;
	text = render_report(snap, 1);
	check_eq(count_of(text, "\nscan pid "), 10);
	check_contains(text, "\nscan pid 109 (we;ird): at exit");
	check_contains(text, "\n(3 more processes scanned)\nnot scanned: 1 processes");
	free(text);
	snapshot__free(snap);
}

/* Only a stack whose every block is reachable is called not a leak. */
static void test_report_not_a_leak_only_when_all_reachable(void **state)
{
	struct snapshot *snap = make_snapshot();
	struct reach_counts *r = &snap->stacks[0].stats.reach;
	char *text;

	(void)state;
	add_scans(snap);
	set_reach(r, REACH_REACHABLE, 2048, 2); /* lost 1 KiB in 1 + reachable 2 KiB in 2 */
	text = render_report(snap, 1);
	check_contains(text,
		       "    reach: lost 1.0 KiB in 1 blocks, reachable 2.0 KiB in 2 (scan 3.2 "
		       "s ago)\n");
	assert_null(strstr(text, "not a leak"));
	free(text);
	set_reach(r, REACH_LOST, 0, 0);
	set_reach(r, REACH_INDIRECT, 1024, 1);
	text = render_report(snap, 1);
	check_contains(text,
		       "    reach: indirect 1.0 KiB in 1 blocks, reachable 2.0 KiB in 2 (scan "
		       "3.2 s ago)\n");
	assert_null(strstr(text, "not a leak"));
	free(text);
	/* A lost malloc(0) block holds no byte and is still a leak. */
	set_reach(r, REACH_INDIRECT, 0, 0);
	set_reach(r, REACH_LOST, 0, 1);
	text = render_report(snap, 1);
	check_contains(text,
		       "    reach: lost 0 B in 1 blocks, reachable 2.0 KiB in 2, unscanned 1.0 "
		       "KiB in 0 (scan 3.2 s ago)\n");
	assert_null(strstr(text, "not a leak"));
	free(text);
	snapshot__free(snap);
}

/* Processes never scanned are counted on one line, not listed; their stacks say so. */
static void test_report_scan_some_processes(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text;

	(void)state;
	add_scans(snap);
	snap->final = true;
	snap->procs[0].scan = (struct snapshot_scan){.state = SCAN_NONE};
	text = render_report(snap, 10);
	check_eq(count_of(text, "scan pid "), 1);
	check_contains(text, "\nnot scanned: 1 processes (no scan yet, or they did not exit "
			     "through _exit)\n");
	check_contains(text, "    reach: unscanned 8 B in 1 blocks (process not scanned)\n");
	check_contains(text, "were not scanned (in processes not scanned)\n");
	free(text);
	snapshot__free(snap);
}

/*
 * The kernel's view against tracked: a line per process read (up to four;
 * past that only growing ones, ten at most, and a count), the hint under
 * a growing one, the note on the level once.
 */
static void test_report_memory(void **state)
{
	struct snapshot *snap = make_snapshot();
	struct snapshot_proc *procs;
	char *text;
	size_t i;

	(void)state;
	text = render_report(snap, 1);
	check_not_contains(text, "memory pid"); /* none read: no line, no note */
	check_not_contains(text, "its trend, not its level");
	free(text);
	procs = realloc(snap->procs, 14 * sizeof(*procs));
	assert_non_null(procs);
	for (i = 1; i < 14; i++) {
		procs[i] = procs[0];
		procs[i].pid = 100 + (int)i;
		procs[i].mem = (struct snapshot_memview){.valid = true,
							 .rss_bytes = 4 << 20,
							 .anon_bytes = (uint64_t)(i + 1) << 20,
							 .tracked_bytes = 0,
							 .gap_bytes = (int64_t)(i + 1) << 20};
	}
	procs[0].mem = (struct snapshot_memview){.valid = true,
						 .rss_bytes = 125829120,
						 .anon_bytes = 1 << 20,
						 .tracked_bytes = 3 << 20,
						 .gap_bytes = -(2 << 20),
						 .gap_rate = -1536.0};
	procs[5].mem.gap_growing = true;
	procs[5].mem.gap_rate = 1258291.2;
	procs[5].mem.hint = "memory is growing outside malloc";
	procs[7].mem.valid = false; /* exited, or unreadable */
	snap->procs = procs;
	/* Four processes: each has its line, growing first, then the most anonymous memory. */
	snap->nr_procs = 4;
	text = render_report(snap, 1);
	check_eq(count_of(text, "\nmemory pid "), 4);
	check_contains(text, "\nmemory pid 103 (app): RSS 4.0 MiB, anonymous 4.0 MiB, tracked 0 B, "
			     "untracked 4.0 MiB (+0 B/s)\n"
			     "memory pid 102 (app): RSS 4.0 MiB, anonymous 3.0 MiB, tracked 0 B, "
			     "untracked 3.0 MiB (+0 B/s)\n");
	/* A negative gap, shrinking. */
	check_contains(text, "\nmemory pid 42 (app): RSS 120.0 MiB, anonymous 1.0 MiB, tracked 3.0 "
			     "MiB, untracked -2.0 MiB (-1.5 KiB/s)\n");
	check_eq(count_of(text, "its trend, not its level, is the signal"), 1);
	check_not_contains(text, "more processes read");
	free(text);
	/* Thirteen read: the growing one and a count. */
	snap->nr_procs = 14;
	text = render_report(snap, 1);
	check_eq(count_of(text, "\nmemory pid "), 1);
	check_contains(text,
		       "\nmemory pid 105 (app): RSS 4.0 MiB, anonymous 6.0 MiB, tracked 0 B, "
		       "untracked 6.0 MiB (+1.2 MiB/s, GROWING)\n"
		       "  hint: memory is growing outside malloc\n"
		       "  (12 more processes read, 0 of them with a growing untracked part)\n");
	check_eq(count_of(text, "its trend, not its level, is the signal"), 1);
	free(text);
	/* Eleven growing (pid 107 is not read): ten lines, the rest counted. */
	for (i = 0; i < 14; i++)
		procs[i].mem.gap_growing = i < 12;
	text = render_report(snap, 1);
	check_eq(count_of(text, "\nmemory pid "), 10);
	check_contains(text,
		       "\n  (3 more processes read, 1 of them with a growing untracked part)\n");
	free(text);
	/* None growing: a count alone. */
	for (i = 0; i < 14; i++)
		procs[i].mem.gap_growing = false;
	text = render_report(snap, 1);
	check_not_contains(text, "memory pid");
	check_contains(text, "\nmemory: 13 processes read, none with a growing untracked part\n");
	check_not_contains(text, "its trend, not its level");
	free(text);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_exact),
	    cmocka_unit_test(test_report_memory),
	    cmocka_unit_test(test_report_no_scan_no_reach_lines),
	    cmocka_unit_test(test_report_scans),
	    cmocka_unit_test(test_report_summary_all_classified),
	    cmocka_unit_test(test_report_scan_failed_truncated),
	    cmocka_unit_test(test_report_scan_some_processes),
	    cmocka_unit_test(test_report_not_a_leak_only_when_all_reachable),
	    cmocka_unit_test(test_report_scan_lines_capped),
	    cmocka_unit_test(test_report_all_stacks),
	    cmocka_unit_test(test_report_empty),
	    cmocka_unit_test(test_report_control_characters),
	    cmocka_unit_test(test_report_c1_bidi_invalid),
	    cmocka_unit_test(test_sparkline),
	    cmocka_unit_test(test_report_go_groups),
	    cmocka_unit_test(test_report_go_blocked_state),
	    cmocka_unit_test(test_report_go_heap_off),
	    cmocka_unit_test(test_report_go_hostile_version),
	    cmocka_unit_test(test_report_go_losses_and_no_titles),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
