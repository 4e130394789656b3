// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The SVG flame graph (src/flamegraph.h) on the synthetic snapshot: well
 * formed, growth marked, names from the target escaped.
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

#include "flamegraph.h"
#include "snapshot.h"

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
	check_contains(text,
		       ">not drawn: 1 more stacks holding 398 B, past the 5-stack cap</text>");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flamegraph_svg),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
