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
#include "textsafe.h"

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

/* Valid UTF-8 with only the characters XML 1.0 allows (tab, newline and CR aside, no C0). */
static void check_xml_chars(const char *text)
{
	enum text_class cls;
	const char *p;
	uint32_t cp;

	for (p = text; *p; p += textsafe__next(p, &cp, &cls)) {
		textsafe__next(p, &cp, &cls);
		if (cls == TEXT_INVALID || (cp < 0x20 && cp != '\n') || cp == 0xfffe ||
		    cp == 0xffff)
			fail_msg("%s U+%04X at byte %td of the SVG",
				 cls == TEXT_INVALID ? "invalid UTF-8 byte" : "character", cp,
				 p - text);
	}
}

/* xmllint --noout on the document, when installed (libxml2-utils). */
static void check_xmllint(const char *text, size_t len)
{
	char path[] = "/tmp/memleakd-svgtest-XXXXXX", command[128], output[4096] = "";
	int fd = mkstemp(path), status;
	size_t got;
	FILE *lint;

	if (system("command -v xmllint >/dev/null 2>&1")) {
		print_message("(xmllint not installed: only the built-in UTF-8 check ran)\n");
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return;
	}
	assert_true(fd >= 0);
	check_eq(write(fd, text, len), (long long)len);
	close(fd);
	snprintf(command, sizeof(command), "xmllint --noout %s 2>&1", path);
	lint = popen(command, "r");
	assert_non_null(lint);
	got = fread(output, 1, sizeof(output) - 1, lint);
	output[got] = '\0';
	status = pclose(lint);
	unlink(path);
	if (status)
		fail_msg("xmllint rejects the SVG (status %d):\n%s", status, output);
}

/*
 * Names with invalid UTF-8 (the audit's "\xff\xfe\xc3("), C1 controls,
 * U+FFFF, and UTF-8 names longer than a box's name or its label, which the
 * old byte-wise cuts split mid-character: the document stays well-formed.
 */
static void test_flamegraph_hostile_names(void **state)
{
	struct frame frames[4] = {
	    {.addr = 0x1000, .symbol = "xsvg_bad\xff\xfe\xc3(_nam", .module = "m"},
	    {.addr = 0x2000,
	     .symbol = "csi\xc2\x9b"
		       "31m\xef\xbf\xbf",
	     .module = "m"},
	    {.addr = 0x3000, .module = "m"},
	    {.addr = 0x4000, .module = "m"},
	};
	char long_name[400], shorter[512];
	struct snapshot *snap = make_snapshot();
	size_t len, i;
	char *text;

	(void)state;
	/* 'a' then 2-byte characters: byte 255, the old cut, falls inside one. */
	strcpy(long_name, "a");
	for (i = 0; i < 150; i++)
		strcat(long_name, "\xc3\xa9");
	frames[2].symbol = long_name;
	/* 200 characters: wider than the widest label (167), cut by characters. */
	shorter[0] = '\0';
	for (i = 0; i < 100; i++)
		strcat(shorter, "\xc3\xa9\xe5\x90\x8d" + (i % 2 ? 2 : 0));
	frames[3].symbol = shorter;
	strcpy(snap->procs[0].comm, "n\xc3\xa4me\xc3");
	free(snap->stacks[0].frames);
	snap->stacks[0].frames = frames_of(frames, 4);
	snap->stacks[0].nr_frames = 4;
	text = render_with(flamegraph__render, snap, &len);
	check_xml_chars(text);
	check_xmllint(text, len);
	check_contains(text, "<title>xsvg_bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(_nam ");
	check_contains(text, "<title>csi?31m\xef\xbf\xbd ");
	check_contains(text, "<title>n\xc3\xa4me\xef\xbf\xbd ");
	free(text);
	snapshot__free(snap);
}

/* Stacks sharing a frame whose name is longer than a box's share its box. */
static void test_flamegraph_long_names_merge(void **state)
{
	struct frame frames[1] = {{.addr = 0x1000, .module = "m"}};
	char long_name[600];
	struct snapshot *snap = make_snapshot();
	size_t len;
	char *text;

	(void)state;
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	frames[0].symbol = long_name;
	free(snap->stacks[0].frames);
	snap->stacks[0].frames = frames_of(frames, 1);
	snap->stacks[0].nr_frames = 1;
	snap->stacks[4].frames = frames_of(frames, 1); /* pid 42 too */
	snap->stacks[4].nr_frames = 1;
	text = render_with(flamegraph__render, snap, &len);
	check_eq(count_of(text, "<title>xxxxxxxx"), 1);
	free(text);
	snapshot__free(snap);
}

/*
 * Go kinds get a box of their own under the process; goroutine boxes weigh
 * and say live goroutines, go-heap boxes bytes; a process box holding both
 * says both.
 */
static void test_flamegraph_go_kinds(void **state)
{
	struct stack_history growing = {.nr_values = 1, .trend = {.rate = 20}, .growing = true};
	struct stack_history heap_growing = {
	    .nr_values = 1, .trend = {.rate = 1024}, .growing = true};
	struct snapshot *snap = make_go_snapshot(&growing);
	size_t len;
	char *text;

	(void)state;
	snap->stacks[1].stats.outstanding_bytes = 999999; /* the count is what weighs */
	snap->stacks[3].hist = &heap_growing;
	text = render_with(flamegraph__render, snap, &len);
	check_eq(count_of(text, "<g"), count_of(text, "</g>"));
	check_contains(text, "<title>[goroutine] \xe2\x80\x94 1207 goroutines (");
	check_contains(text, "<title>main.(*Server).handle \xe2\x80\x94 1204 goroutines (");
	check_contains(text, "; growing +20.0 goroutines/s</title>");
	check_contains(text, "<title>[go-heap] \xe2\x80\x94 3.1 MiB (3211264 B, ");
	check_contains(text, "<title>server \xe2\x80\x94 3.1 MiB (3211264 B) and 1207 goroutines; "
			     "growing +1.0 KiB/s, +20.0 goroutines/s</title>");
	check_contains(text, "<title>main.newBuffer \xe2\x80\x94 3.0 MiB (3145728 B, 97.8%); "
			     "growing +1.0 KiB/s</title>");
	check_contains(text, "<title>c_leak \xe2\x80\x94 4.0 KiB (4096 B, ");
	assert_null(strstr(text, "999999"));
	free(text);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flamegraph_svg),
	    cmocka_unit_test(test_flamegraph_go_kinds),
	    cmocka_unit_test(test_flamegraph_hostile_names),
	    cmocka_unit_test(test_flamegraph_long_names_merge),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
