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
	    text,
	    "{\"pid\":42,\"comm\":\"server\",\"exited\":false,\"go\":{\"version\":\"go1.23.5\","
	    "\"goroutines\":1310,\"system_goroutines\":5,\"goroutines_traced\":true,"
	    "\"goroutines_off\":null,\"heap_rate\":524288,\"heap_off\":null,\"gc_cycle\":17,"
	    "\"heap_inuse_bytes\":3211264,\"heap_inuse_objects\":3088,\"census_ms\":1.250,"
	    "\"census_bytes\":81920,\"heap_read_ms\":0.500,\"heap_read_bytes\":12288,"
	    "\"heap_buckets\":35}}");
	check_contains(text, "{\"pid\":43,\"comm\":\"cprog\",\"exited\":false}");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_line),
	    cmocka_unit_test(test_json_utf8),
	    cmocka_unit_test(test_json_go_stacks),
	    cmocka_unit_test(test_json_go_targets_kinds_losses),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
