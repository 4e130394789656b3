// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pprof export (src/pprof.h): a gzipped profile.
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

#include "pprof.h"
#include "snapshot.h"

static void test_pprof_gzip(void **state)
{
	struct snapshot *snap = make_snapshot();
	size_t len = 0;
	char *text;

	(void)state;
	text = render_with(pprof__write, snap, &len);
	assert_true(len > 20);
	check_eq((unsigned char)text[0], 0x1f); /* gzip magic */
	check_eq((unsigned char)text[1], 0x8b);
	free(text);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pprof_gzip),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
