// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uprobe_multi links (src/uprobe_multi.c): arguments the kernel would
 * misread are refused before any bpf(2) call (no privileges needed here).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "uprobe_multi.h"

static const uint64_t offsets[2] = {0x1000, 0x2000};

/* No offsets: a link on nothing. */
static void test_no_offsets_refused(void **state)
{
	(void)state;
	assert_int_equal(
	    uprobe_multi__attach(-1, "/bin/true", offsets, NULL, 0, UPROBE_MULTI_ENTRY, 0),
	    -EINVAL);
}

/* A negative pid is refused: the kernel's "every process" is pid 0 (tracer_attach.c maps -1). */
static void test_negative_pid_refused(void **state)
{
	(void)state;
	assert_int_equal(
	    uprobe_multi__attach(-1, "/bin/true", offsets, NULL, 2, UPROBE_MULTI_SESSION, -1),
	    -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_offsets_refused),
	    cmocka_unit_test(test_negative_pid_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
