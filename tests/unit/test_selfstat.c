// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * memleakd's own figures (src/selfstat.h): /proc/PID/stat parsed past a
 * comm holding spaces and parentheses, statm, /proc/stat's btime, the
 * conversion to seconds and bytes, and a read of this very process.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "selfstat.h"

#define check_near(got, want) assert_true(fabs((got) - (want)) < 1e-6)

/* A stat line with the given comm; utime 250, stime 50, starttime 12345, rss 777 pages. */
static char *stat_line(const char *comm, char *buf, size_t len)
{
	snprintf(buf, len,
		 "4242 (%s) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 3 0 12345 "
		 "123456789 777 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n",
		 comm);
	return buf;
}

static void test_parse_stat(void **state)
{
	const char *comms[] = {"memleakd", "a b", "x) (y", ") S 9 9 9", "((", "", "a)b)c"};
	struct selfstat_raw raw;
	char buf[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		check_eq(selfstat__parse_stat(stat_line(comms[i], buf, sizeof(buf)), &raw), 0);
		check_eq(raw.utime, 250);
		check_eq(raw.stime, 50);
		check_eq(raw.starttime, 12345);
		check_eq(raw.rss_pages, 777);
	}
}

static void test_parse_stat_bad(void **state)
{
	struct selfstat_raw raw;

	(void)state;
	check_eq(selfstat__parse_stat("", &raw), -EINVAL);
	check_eq(selfstat__parse_stat("4242 memleakd S 1 2 3", &raw), -EINVAL);
	check_eq(selfstat__parse_stat("4242 (memleakd) S 1 4242 4242 0 -1 0 0 0 0 0 25", &raw),
		 -EINVAL); /* cut short */
	check_eq(selfstat__parse_stat("4242 (m) S 1 4242 4242 0 -1 0 0 0 0 0 x 50 0 0 20 0 3 0 1 "
				      "2 3 4",
				      &raw),
		 -EINVAL); /* utime not a number */
}

static void test_statm_btime(void **state)
{
	uint64_t v = 0;

	(void)state;
	check_eq(selfstat__parse_statm("2519 1046 812 7 0 293 0\n", &v), 0);
	check_eq(v, 1046);
	check_eq(selfstat__parse_statm("2519\n", &v), -EINVAL);
	check_eq(selfstat__parse_btime("cpu  1 2 3\nintr 5 6\nctxt 9\nbtime 1796220000\n"
				       "processes 7\n",
				       &v),
		 0);
	check_eq(v, 1796220000);
	check_eq(selfstat__parse_btime("cpu 1\nbtimex 5\n", &v), -EINVAL);
}

static void test_convert(void **state)
{
	const struct selfstat_raw raw = {
	    .utime = 250, .stime = 50, .starttime = 12345, .rss_pages = 9};
	struct snapshot_self self;

	(void)state;
	selfstat__convert(&raw, 1046, 1796220000, 100, 4096, &self);
	check_near(self.cpu_s, 3.0);
	check_eq(self.rss_bytes, 1046 * 4096);
	check_near(self.start_time_s, 1796220000 + 123.45);
}

/* This process: some CPU, some memory, started before now and after 2020. */
static void test_read_self(void **state)
{
	struct snapshot_self self;
	volatile uint64_t spin = 0;
	uint64_t i;

	(void)state;
	for (i = 0; i < 50000000ULL; i++)
		spin += i;
	check_eq(selfstat__read(&self), 0);
	assert_true(self.cpu_s >= 0);
	assert_true(self.rss_bytes > 1024 * 1024);
	assert_true(self.start_time_s > 1577836800.0);
	assert_true(self.start_time_s <= (double)time(NULL) + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_stat),	cmocka_unit_test(test_parse_stat_bad),
	    cmocka_unit_test(test_statm_btime), cmocka_unit_test(test_convert),
	    cmocka_unit_test(test_read_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
