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
	check_contains(text, "\"attach_failures\":0,\"table_failures\":31,\"stack_ids_full\":32,"
			     "\"stacks_not_exported\":1,\"bytes_not_exported\":398,"
			     "\"targets_not_listed\":33}");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_line),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
