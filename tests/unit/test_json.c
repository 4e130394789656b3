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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_line),
	    cmocka_unit_test(test_json_utf8),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
