// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ring buffer sizing (src/sizing.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "checks.h"

#include "sizing.h"

/* The ring buffer holds two drain periods of every CPU at the fastest trap rate. */
static void test_ringbuf_sizing(void **state)
{
	(void)state;
	/* 2 CPUs x (20 ms / 700 ns = 28571 records) x 56 B x 2 = 6.4 MB -> 8 MiB. */
	check_eq(sizing__ringbuf_bytes(2, 20, 700, 56), 8u << 20);
	/* One CPU needs 3.2 MB: the 4 MiB floor. */
	check_eq(sizing__ringbuf_bytes(1, 20, 700, 56), RINGBUF_MIN_BYTES);
	/* 16 CPUs: 51 MB -> 64 MiB; 256 CPUs would need 819 MB: capped. */
	check_eq(sizing__ringbuf_bytes(16, 20, 700, 56), 64u << 20);
	check_eq(sizing__ringbuf_bytes(256, 20, 700, 56), RINGBUF_MAX_BYTES);
	/* Nonsense input: the largest, never a division by zero. */
	check_eq(sizing__ringbuf_bytes(0, 20, 700, 56), RINGBUF_MAX_BYTES);
	check_eq(sizing__ringbuf_bytes(2, 20, 0, 56), RINGBUF_MAX_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ringbuf_sizing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
