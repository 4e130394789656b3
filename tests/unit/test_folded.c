// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The folded export (src/folded.h), compared against exact text: flame graph
 * tools parse it.
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

#include "folded.h"
#include "snapshot.h"

static const char expected_folded[] =
    "app;__libc_start_main;main;leak_mid;leak_inner 3072\n"
    "app;[stack lost: stack map collision (raise --stack-slots)] 1000\n"
    "we:ird;[unknown];libfoo.so+0x1234;odd:name 512\n"
    "?;[stack lost: no longer in the stack map] 10\n"
    "app;[stack empty] 8\n"
    "# memleakd: 1 more stacks holding 398 bytes left out (past the 5-stack cap)\n";

static void test_folded_exact(void **state)
{
	struct snapshot *snap = make_snapshot();
	char *text;

	(void)state;
	text = render_folded(snap);
	check_str(text, expected_folded);
	free(text);
	/* Nothing past the cap: no comment line. */
	snap->nr_live_stacks = snap->nr_stacks;
	text = render_folded(snap);
	check_not_contains(text, "#");
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
	snap->nr_stacks = snap->nr_live_stacks = snap->nr_live_tracked = 1;
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

/* Past C0: C1 (raw or UTF-8 encoded), bidi overrides, invalid UTF-8; UTF-8 names kept. */
static void test_folded_utf8(void **state)
{
	static const struct frame hostile[] = {
	    {.addr = 0x1000, .symbol = "caf\xc3\xa9;\xe5\x90\x8d", .offset = 1, .module = "m"},
	    {.addr = 0x2000, .symbol = "bad\xff\xfe\xc3(", .offset = 1, .module = "m"},
	    {.addr = 0x3000,
	     .symbol = "c1\xc2\x9b\x9b"
		       "rlo\xe2\x80\xae",
	     .offset = 1,
	     .module = "m"},
	};
	struct snapshot *snap = calloc(1, sizeof(*snap));
	char *text;

	(void)state;
	assert_non_null(snap);
	snap->procs = calloc(1, sizeof(*snap->procs));
	assert_non_null(snap->procs);
	snap->procs[0].pid = 7;
	strcpy(snap->procs[0].comm, "n\xc3\xa4me\xc3");
	snap->nr_procs = 1;
	snap->nr_stacks = snap->nr_live_stacks = snap->nr_live_tracked = 1;
	snap->stacks = calloc(1, sizeof(*snap->stacks));
	assert_non_null(snap->stacks);
	set_stats(&snap->stacks[0], 7, 1, 64, 1, 64, 1);
	snap->stacks[0].frames = frames_of(hostile, 3);
	snap->stacks[0].nr_frames = 3;
	text = render_folded(snap);
	check_str(text, "n\xc3\xa4me\xef\xbf\xbd;c1?\xef\xbf\xbdrlo?;"
			"bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(;caf\xc3\xa9:\xe5\x90\x8d 64\n");
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

/* Kinds other than malloc are marked under the process; goroutines weigh their live count. */
static void test_folded_go_kinds(void **state)
{
	struct snapshot *snap = make_go_snapshot(NULL);
	char *text;

	(void)state;
	/* Bytes and count differ here, so the weight shows which one is written. */
	snap->stacks[1].stats.outstanding_bytes = 999999;
	text = render_folded(snap);
	check_str(text,
		  "cprog;c_leak 4096\n"
		  "server;[goroutine];main.main;main.(*Server).serve;main.(*Server).handle 1204\n"
		  "server;[goroutine];main.worker 3\n"
		  "server;[go-heap];main.main;main.(*Server).cache;main.newBuffer 3145728\n"
		  "server;[go-heap];main.main;main.loadConfig 65536\n");
	free(text);
	snap->stacks[0].stats.kind = KIND_MMAP;
	text = render_folded(snap);
	check_contains(text, "cprog;[mmap];c_leak 4096\n");
	free(text);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_folded_exact),
	    cmocka_unit_test(test_folded_go_kinds),
	    cmocka_unit_test(test_folded_control_characters),
	    cmocka_unit_test(test_folded_utf8),
	    cmocka_unit_test(test_folded_empty_and_io_error),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
