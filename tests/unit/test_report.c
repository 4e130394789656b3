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
	snap->nr_live_stacks = 5;
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
	snap->nr_stacks = snap->nr_live_stacks = 1;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_exact),
	    cmocka_unit_test(test_report_all_stacks),
	    cmocka_unit_test(test_report_empty),
	    cmocka_unit_test(test_report_control_characters),
	    cmocka_unit_test(test_report_c1_bidi_invalid),
	    cmocka_unit_test(test_sparkline),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
