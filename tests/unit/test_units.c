// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Human-readable amounts (src/units.h): bytes in powers of 1024, counts
 * with thousands separators.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "units.h"

static void test_format_count(void **state)
{
	char buf[HUMAN_COUNT_LEN];

	(void)state;
	assert_string_equal(format_count(0, buf), "0");
	assert_string_equal(format_count(999, buf), "999");
	assert_string_equal(format_count(1000, buf), "1,000");
	assert_string_equal(format_count(1204, buf), "1,204");
	assert_string_equal(format_count(123456, buf), "123,456");
	assert_string_equal(format_count(1234567, buf), "1,234,567");
	assert_string_equal(format_count(UINT64_MAX, buf), "18,446,744,073,709,551,615");
}

static void test_format_bytes(void **state)
{
	char buf[HUMAN_BYTES_LEN];

	(void)state;
	assert_string_equal(format_bytes(512, buf), "512 B");
	assert_string_equal(format_bytes(1536, buf), "1.5 KiB");
	assert_string_equal(format_bytes(1048575, buf), "1.0 MiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_count),
	    cmocka_unit_test(test_format_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
