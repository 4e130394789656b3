// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The JSON lines export (src/json.h) on the synthetic snapshot: names
 * escaped, structure whole, one line per snapshot.
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

#include "json.h"
#include "snapshot.h"
#include "textsafe.h"

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
	/* Userspace losses and the caps, distinct values in the fixture. */
	check_contains(text,
		       "\"exec_holds_expired\":30,\"table_failures\":31,\"stack_ids_full\":32,"
		       "\"stacks_not_exported\":1,\"bytes_not_exported\":398,"
		       "\"targets_not_listed\":33,");
	check_contains(text,
		       "\"problem\":\"stack lost: stack map collision (raise --stack-slots)\"");
	check_contains(text, "\"symbol\":\"leak_inner\",\"module\":\"app\",\"offset\":26");
	check_contains(text, "\"comm\":\"we;ird\"");
	check_eq(count_of(text, "{"), count_of(text, "}"));
	check_eq(count_of(text, "["), count_of(text, "]"));
	free(text);
	/* Quotes, backslashes and control bytes escaped; an invalid byte is U+FFFD. */
	strcpy(snap->procs[0].comm, "a\"b\\c\n\xff");
	text = render_with(json__render, snap, &len);
	check_contains(text, "\"comm\":\"a\\\"b\\\\c\\u000a\\ufffd\"");
	check_eq(count_of(text, "\n"), 1);
	free(text);
	snapshot__free(snap);
}

/* The text of every string in the line is valid UTF-8 without raw controls but the line end. */
static void check_clean_utf8(const char *text)
{
	enum text_class cls;
	const char *p;
	uint32_t cp;

	for (p = text; *p; p += textsafe__next(p, &cp, &cls)) {
		textsafe__next(p, &cp, &cls);
		if (cls != TEXT_PLAIN && !(*p == '\n' && !p[1]))
			fail_msg("%s U+%04X at byte %td of:\n%s",
				 cls == TEXT_INVALID ? "invalid UTF-8" : "raw control", cp,
				 p - text, text);
	}
}

/*
 * UTF-8 names come back as themselves (not as Latin-1 mojibake of their
 * bytes); C1 and bidi controls as \u escapes; invalid bytes as U+FFFD.
 */
static void test_json_utf8(void **state)
{
	static const struct frame names[] = {
	    {.addr = 0x1000, .symbol = "caf\xc3\xa9_\xe5\x90\x8d_\xf0\x9f\x98\x80", .module = "m"},
	    {.addr = 0x2000, .symbol = "bad\xff\xfe\xc3(", .module = "lib\xe2\x82"},
	    {.addr = 0x3000,
	     .symbol = "csi\xc2\x9b"
		       "2J\xe2\x80\xae\x7f",
	     .module = "m"},
	};
	struct snapshot *snap = make_snapshot();
	size_t len;
	char *text;

	(void)state;
	strcpy(snap->procs[0].comm, "n\xc3\xa4me\xc3");
	free(snap->stacks[0].frames);
	snap->stacks[0].frames = frames_of(names, 3);
	snap->stacks[0].nr_frames = 3;
	text = render_with(json__render, snap, &len);
	check_clean_utf8(text);
	check_contains(text, "\"comm\":\"n\xc3\xa4me\\ufffd\"");
	check_contains(text, "\"symbol\":\"caf\xc3\xa9_\xe5\x90\x8d_\xf0\x9f\x98\x80\"");
	check_contains(text,
		       "\"symbol\":\"bad\\ufffd\\ufffd\\ufffd(\",\"module\":\"lib\\ufffd\\ufffd\"");
	check_contains(text, "\"symbol\":\"csi\\u009b2J\\u202e\\u007f\"");
	free(text);
	snapshot__free(snap);
}

static struct stack_history go_growing = {
    .values = {1000, 1100, 1204}, .nr_values = 3, .trend = {.rate = 20}, .growing = true};

/* The text of the stack object holding needle, from its "{\"pid\"" to before the next one. */
static char *stack_object(const char *text, const char *needle)
{
	const char *at = strstr(text, needle), *start, *end;
	char *copy;

	if (!at)
		fail_msg("%s not in:\n%s", needle, text);
	for (start = at; start > text && strncmp(start, "{\"pid\"", 6); start--)
		;
	end = strstr(at, ",{\"pid\"");
	if (!end)
		end = at + strlen(at);
	copy = strndup(start, (size_t)(end - start));
	assert_non_null(copy);
	return copy;
}

/* Every stack says its unit; goroutine and go-heap stacks their own fields. */
static void test_json_go_stacks(void **state)
{
	struct snapshot *snap = make_go_snapshot(&go_growing);
	size_t len = 0;
	char *text = render_with(json__render, snap, &len), *obj;

	(void)state;
	check_eq(count_of(text, "\n"), 1);
	check_eq(count_of(text, "\"unit\":"), 5);
	check_eq(count_of(text, "{"), count_of(text, "}"));
	check_eq(count_of(text, "["), count_of(text, "]"));
	obj = stack_object(text, "\"kind\":\"malloc\"");
	check_contains(obj, "\"kind\":\"malloc\",\"unit\":\"bytes\"");
	assert_null(strstr(obj, "\"live\""));
	assert_null(strstr(obj, "\"inuse_bytes\""));
	free(obj);
	obj = stack_object(text, "\"live\":1204");
	check_contains(obj, "\"kind\":\"goroutine\",\"unit\":\"goroutines\"");
	check_contains(obj,
		       "\"live\":1204,\"created\":1300,\"exited\":96,\"go\":{"
		       "\"before_attach\":false,\"states\":{\"chan receive\":1200,\"running\":4},"
		       "\"max_blocked_s\":61.400,\"stack_bytes\":9863168,\"blocked_frames\":["
		       "{\"symbol\":\"runtime.gopark\"");
	check_contains(obj, "{\"symbol\":\"main.(*Server).handle.func1\",\"module\":\"server\","
			    "\"offset\":16,\"address\":4854016,\"file\":\"/src/app/server.go\","
			    "\"line\":91,\"inlined\":false,\"build_id\":null}]}");
	free(obj);
	obj = stack_object(text, "\"live\":3,");
	check_contains(obj, "\"go\":{\"before_attach\":true,\"states\":{\"select\":3},"
			    "\"max_blocked_s\":0.000,\"stack_bytes\":6144,\"blocked_frames\":[]}");
	free(obj);
	obj = stack_object(text, "\"inuse_bytes\":3145728");
	check_contains(obj, "\"kind\":\"go-heap\",\"unit\":\"bytes\"");
	check_contains(obj, "\"inuse_bytes\":3145728,\"inuse_objects\":3072,"
			    "\"alloc_bytes\":12582912,\"alloc_objects\":12288");
	assert_null(strstr(obj, "\"live\""));
	free(obj);
	free(text);
	/* No census view: no "go" object. */
	free((void *)snap->stacks[1].go_site);
	snap->stacks[1].go_site = NULL;
	text = render_with(json__render, snap, &len);
	obj = stack_object(text, "\"live\":1204");
	assert_null(strstr(obj, "\"go\":"));
	free(obj);
	free(text);
	snapshot__free(snap);
}

/* Targets carry their Go facts; totals per kind sum the shown stacks; Go losses counted. */
static void test_json_go_targets_kinds_losses(void **state)
{
	struct snapshot *snap = make_go_snapshot(&go_growing);
	size_t len = 0;
	char *text;

	(void)state;
	snap->losses.go_exits_unseen_birth = 41;
	snap->losses.go_creates_missed = 42;
	snap->losses.go_exits_missed = 43;
	snap->losses.go_census_unreadable = 44;
	text = render_with(json__render, snap, &len);
	check_contains(
	    text, "{\"pid\":42,\"comm\":\"server\",\"exe\":\"\",\"exited\":false,\"go\":{"
		  "\"version\":\"go1.23.5\","
		  "\"goroutines\":1310,\"system_goroutines\":5,\"goroutines_traced\":true,"
		  "\"goroutines_off\":null,\"heap_rate\":524288,\"heap_off\":null,\"gc_cycle\":17,"
		  "\"heap_inuse_bytes\":3211264,\"heap_inuse_objects\":3088,\"census_ms\":1.250,"
		  "\"census_bytes\":81920,\"heap_read_ms\":0.500,\"heap_read_bytes\":12288,"
		  "\"heap_buckets\":35},\"scan\":{\"state\":\"none\",");
	check_contains(text,
		       "{\"pid\":43,\"comm\":\"cprog\",\"exe\":\"\",\"exited\":false,\"scan\":{");
	check_contains(text,
		       "\"go_exits_unseen_birth\":41,\"go_creates_missed\":42,"
		       "\"go_exits_missed\":43,\"go_census_unreadable\":44,\"go_unreadable\":0}");
	check_contains(text,
		       "\"kinds\":{\"goroutine\":{\"live\":1207,\"stacks\":2,"
		       "\"growing_stacks\":1},\"go-heap\":{\"inuse_bytes\":3211264,"
		       "\"inuse_objects\":3088,\"alloc_bytes\":12648448,\"alloc_objects\":12304,"
		       "\"stacks\":2}}");
	free(text);
	snapshot__free(snap);
}

/* --- reachability ------------------------------------------------------------ */

/* The line parses as JSON (python3 -m json.tool) and script, given it as d, passes. */
static void check_with_python(const char *line, const char *script)
{
	char path[] = "/tmp/memleakd-json-XXXXXX", cmd[4096];
	int fd;

	if (system("command -v python3 >/dev/null 2>&1")) {
		print_message("SKIP: python3 is not on PATH: JSON not parsed\n");
		return;
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	check_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	check_eq(close(fd), 0);
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool %s >/dev/null", path);
	check_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json, sys\nd = json.load(open(sys.argv[1]))\n%s' %s", script,
		 path);
	if (system(cmd))
		fail_msg("python3 check failed on %s:\n%s", line, script);
	unlink(path);
}

/* Without a scan: every class key there, all blocks unscanned, each target's scan "none". */
static void test_json_reach_without_scan(void **state)
{
	struct snapshot *snap = make_snapshot();
	size_t len = 0;
	char *text = render_with(json__render, snap, &len), *obj;

	(void)state;
	check_eq(count_of(text, "\"lost_bytes\":"), 5 + 2 + 1); /* stacks, targets, "leaks" */
	check_eq(count_of(text,
			  "\"scan\":{\"state\":\"none\",\"at_exit\":false,\"truncated\":false,"
			  "\"why\":null,\"scans\":0,"),
		 2);
	obj = stack_object(text, "\"outstanding_bytes\":3072");
	check_contains(obj, "\"lost_bytes\":0,\"lost_count\":0,\"indirect_bytes\":0,"
			    "\"indirect_count\":0,\"reachable_bytes\":0,\"reachable_count\":0,"
			    "\"unscanned_bytes\":3072,\"unscanned_count\":3,\"problem\":");
	free(obj);
	check_with_python(text,
			  "assert all(s[\"unscanned_bytes\"] == s[\"outstanding_bytes\"] "
			  "for s in d[\"stacks\"])\n"
			  "assert all(t[\"scan\"][\"state\"] == \"none\" for t in d[\"targets\"])\n"
			  "assert d[\"leaks\"][\"lost_count\"] == 0");
	free(text);
	snapshot__free(snap);
}

/* A live scan and one at exit: per stack, per target and the gate's tally. */
static void test_json_reach_scans(void **state)
{
	struct snapshot *snap = make_snapshot();
	size_t len = 0;
	char *text, *obj;

	(void)state;
	add_scans(snap);
	text = render_with(json__render, snap, &len);
	check_eq(count_of(text, "\n"), 1);
	obj = stack_object(text, "\"outstanding_bytes\":3072");
	check_contains(obj, "\"lost_bytes\":1024,\"lost_count\":1,\"indirect_bytes\":0,"
			    "\"indirect_count\":0,\"reachable_bytes\":1024,\"reachable_count\":1,"
			    "\"unscanned_bytes\":1024,\"unscanned_count\":1,");
	free(obj);
	obj = stack_object(text, "\"outstanding_bytes\":512");
	check_contains(obj, "\"lost_bytes\":256,\"lost_count\":1,\"indirect_bytes\":256,"
			    "\"indirect_count\":1,\"reachable_bytes\":0,\"reachable_count\":0,"
			    "\"unscanned_bytes\":0,\"unscanned_count\":0,");
	free(obj);
	check_contains(text,
		       "{\"pid\":42,\"comm\":\"app\",\"exe\":\"\",\"exited\":false,\"scan\":{"
		       "\"state\":\"done\","
		       "\"at_exit\":false,\"truncated\":false,\"why\":null,\"scans\":12,"
		       "\"age_s\":3.200,\"pause_ms\":12.340,\"scan_ms\":10.100,\"threads\":3,"
		       "\"bytes_read\":1258291,\"root_bytes\":{\"globals\":65536,\"stack\":8192,"
		       "\"registers\":1152,\"untraced\":0},\"heap_bytes\":3048,\"lost_count\":1,"
		       "\"lost_bytes\":1024,\"indirect_count\":0,\"indirect_bytes\":0,"
		       "\"reachable_count\":2,\"reachable_bytes\":2024,\"interior_only\":1},"
		       "\"memory\":null}");
	check_contains(
	    text, "{\"pid\":43,\"comm\":\"we;ird\",\"exe\":\"\",\"exited\":true,\"scan\":{"
		  "\"state\":\"done\","
		  "\"at_exit\":true,\"truncated\":false,\"why\":null,\"scans\":1,\"age_s\":0.000,"
		  "\"pause_ms\":2.500,\"scan_ms\":2.000,\"threads\":1,\"bytes_read\":70000,"
		  "\"root_bytes\":{\"globals\":4096,\"stack\":2048,\"registers\":384,"
		  "\"untraced\":62960},\"heap_bytes\":512,\"lost_count\":1,\"lost_bytes\":256,"
		  "\"indirect_count\":1,\"indirect_bytes\":256,\"reachable_count\":0,"
		  "\"reachable_bytes\":0,\"interior_only\":0},\"memory\":null}");
	check_contains(text,
		       ",\"leaks\":{\"lost_bytes\":1380,\"lost_count\":4,"
		       "\"indirect_bytes\":256,\"indirect_count\":1,\"reachable_bytes\":2024,"
		       "\"reachable_count\":2,\"unscanned_bytes\":1032,\"unscanned_count\":2},"
		       "\"stacks\":[");
	check_with_python(
	    text,
	    "s = d[\"stacks\"]\n"
	    "assert [x[\"lost_bytes\"] for x in s] == [1024, 0, 256, 0, 0]\n"
	    "assert [x[\"reachable_count\"] for x in s] == [1, 1, 0, 0, 0]\n"
	    "assert [x[\"unscanned_bytes\"] for x in s] == [1024, 0, 0, 10, 8]\n"
	    "for x in s:\n"
	    "    assert x[\"lost_bytes\"] + x[\"indirect_bytes\"] + x[\"reachable_bytes\"] + "
	    "x[\"unscanned_bytes\"] == x[\"outstanding_bytes\"]\n"
	    "t = {x[\"pid\"]: x[\"scan\"] for x in d[\"targets\"]}\n"
	    "assert t[43][\"at_exit\"] is True and t[42][\"age_s\"] == 3.2\n"
	    "assert t[42][\"root_bytes\"][\"registers\"] == 1152\n"
	    "assert d[\"leaks\"] == dict(lost_bytes=1380, lost_count=4, indirect_bytes=256, "
	    "indirect_count=1, reachable_bytes=2024, reachable_count=2, unscanned_bytes=1032, "
	    "unscanned_count=2)");
	free(text);
	snapshot__free(snap);
}

/* A failed scan's why: escaped, bounded when it fills its buffer; truncated said. */
static void test_json_reach_failed_truncated(void **state)
{
	struct snapshot *snap = make_snapshot();
	char want[sizeof(snap->procs[0].scan.why) + 16];
	size_t len = 0;
	char *text;

	(void)state;
	add_scans(snap);
	snap->procs[0].scan.state = SCAN_FAILED;
	snprintf(snap->procs[0].scan.why, sizeof(snap->procs[0].scan.why),
		 "cannot stop \"app\":\n\033[31mEPERM");
	snap->procs[1].scan.truncated = true;
	text = render_with(json__render, snap, &len);
	check_contains(text, "\"scan\":{\"state\":\"failed\",\"at_exit\":false,\"truncated\":false,"
			     "\"why\":\"cannot stop \\\"app\\\":\\u000a\\u001b[31mEPERM\",");
	check_contains(text, "\"scan\":{\"state\":\"done\",\"at_exit\":true,\"truncated\":true,"
			     "\"why\":null,");
	check_with_python(
	    text, "assert [t[\"scan\"][\"state\"] for t in d[\"targets\"]] == "
		  "[\"failed\", \"done\"]\n"
		  "assert d[\"targets\"][0][\"scan\"][\"why\"].startswith(\"cannot stop\")");
	free(text);
	/* 160 bytes without a NUL: all of them, and nothing of what follows in memory. */
	memset(snap->procs[0].scan.why, 'w', sizeof(snap->procs[0].scan.why));
	snap->procs[0].scan.nr_threads = 7;
	text = render_with(json__render, snap, &len);
	want[0] = '"';
	memset(want + 1, 'w', sizeof(snap->procs[0].scan.why));
	snprintf(want + 1 + sizeof(snap->procs[0].scan.why),
		 sizeof(want) - 1 - sizeof(snap->procs[0].scan.why), "\",\"scans\"");
	check_contains(text, want);
	check_with_python(text, "assert len(d[\"targets\"][0][\"scan\"][\"why\"]) == 160");
	free(text);
	snapshot__free(snap);
}

/* Goroutine and go-heap stacks have no classes: only malloc and mmap ones are scanned. */
static void test_json_reach_not_on_go_kinds(void **state)
{
	struct snapshot *snap = make_go_snapshot(&go_growing);
	size_t len = 0;
	char *text = render_with(json__render, snap, &len), *obj;

	(void)state;
	check_eq(count_of(text, "\"unscanned_bytes\":"), 1 + 1); /* the malloc stack and "leaks" */
	obj = stack_object(text, "\"kind\":\"malloc\"");
	check_contains(obj, "\"unscanned_bytes\":4096,\"unscanned_count\":2");
	free(obj);
	obj = stack_object(text, "\"live\":1204");
	assert_null(strstr(obj, "\"lost_bytes\""));
	free(obj);
	free(text);
	snapshot__free(snap);
}

/* The kernel's view against tracked, per target; null where it was not read. */
static void test_json_memory(void **state)
{
	struct snapshot *snap = make_snapshot();
	struct snapshot_memview *m = &snap->procs[0].mem;
	size_t len = 0;
	char *text;

	(void)state;
	m->valid = true;
	m->rss_bytes = 125829120;
	m->anon_bytes = 104857600;
	m->tracked_bytes = 110100480; /* more than resident: blocks never touched */
	m->gap_bytes = -5242880;
	m->gap_rate = 1258291.2;
	m->gap_growing = true;
	m->hint = "memory is growing outside \"malloc\"";
	text = render_with(json__render, snap, &len);
	check_contains(text, ",\"memory\":{\"rss_bytes\":125829120,\"anon_bytes\":104857600,"
			     "\"tracked_bytes\":110100480,\"untracked_bytes\":-5242880,"
			     "\"untracked_rate\":1258291.200,\"untracked_growing\":true,"
			     "\"hint\":\"memory is growing outside \\\"malloc\\\"\"}");
	check_with_python(text, "t = d[\"targets\"]\n"
				"assert t[0][\"memory\"][\"untracked_bytes\"] == -5242880\n"
				"assert t[1][\"memory\"] is None");
	free(text);
	/* Not growing: no hint, whatever the snapshot holds. */
	m->gap_growing = false;
	text = render_with(json__render, snap, &len);
	check_contains(text, "\"untracked_growing\":false,\"hint\":null}");
	free(text);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_line),
	    cmocka_unit_test(test_json_utf8),
	    cmocka_unit_test(test_json_go_stacks),
	    cmocka_unit_test(test_json_go_targets_kinds_losses),
	    cmocka_unit_test(test_json_reach_without_scan),
	    cmocka_unit_test(test_json_reach_scans),
	    cmocka_unit_test(test_json_reach_failed_truncated),
	    cmocka_unit_test(test_json_reach_not_on_go_kinds),
	    cmocka_unit_test(test_json_memory),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
