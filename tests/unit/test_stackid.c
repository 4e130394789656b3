// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stable stack ids (src/stackid.h): the same symbolized frames give the
 * same id whatever their addresses (ASLR, another run or host); another
 * offset, module, function or kind gives another; 16 hex digits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "stackid.h"

#define check_str_eq(got, want) assert_string_equal((got), (want))

static const struct frame base[] = {
    {.addr = 0x55550000101aULL, .symbol = "leak_inner", .offset = 0x1a, .module = "app"},
    {.addr = 0x555500003010ULL, .symbol = "main", .offset = 0x10, .module = "app"},
    {.addr = 0x7f0000000080ULL, .symbol = NULL, .offset = 0x29d90, .module = "libc.so.6"},
};

static uint64_t hash_of(const struct frame *f, size_t nr)
{
	return stackid__hash(KIND_MALLOC, f, nr);
}

static void test_same_frames_same_id(void **state)
{
	struct frame copy[3];

	(void)state;
	memcpy(copy, base, sizeof(copy));
	check_eq(hash_of(base, 3) == hash_of(copy, 3), 1);
	/* Other addresses, same module, function and offset (another run, ASLR). */
	copy[0].addr += 0x100000000ULL;
	copy[1].addr += 0x100000000ULL;
	copy[2].addr = 0x7f9999999999ULL;
	copy[0].map_start = 0x1000; /* where it is mapped does not matter either */
	copy[0].build_id = "abcd";  /* nor what only some runs know */
	copy[0].file = "leak.c";
	copy[0].line = 12;
	check_eq(hash_of(base, 3) == hash_of(copy, 3), 1);
	/* Strings compared by content, not by pointer. */
	{
		char sym[] = "leak_inner", mod[] = "app";

		copy[0].symbol = sym;
		copy[0].module = mod;
		check_eq(hash_of(base, 3) == hash_of(copy, 3), 1);
	}
}

static void test_differences(void **state)
{
	struct frame copy[3];
	uint64_t h = hash_of(base, 3);

	(void)state;
	memcpy(copy, base, sizeof(copy));
	copy[0].offset = 0x1b; /* another call site in the same function */
	check_eq(hash_of(copy, 3) != h, 1);
	memcpy(copy, base, sizeof(copy));
	copy[2].offset = 0x29d91; /* module-only frame: its file offset */
	check_eq(hash_of(copy, 3) != h, 1);
	memcpy(copy, base, sizeof(copy));
	copy[1].module = "app2";
	check_eq(hash_of(copy, 3) != h, 1);
	memcpy(copy, base, sizeof(copy));
	copy[1].symbol = "main2";
	check_eq(hash_of(copy, 3) != h, 1);
	memcpy(copy, base, sizeof(copy));
	copy[0].inlined = 1;
	check_eq(hash_of(copy, 3) != h, 1);
	/* Fewer frames, another kind. */
	check_eq(hash_of(base, 2) != h, 1);
	check_eq(stackid__hash(KIND_MMAP, base, 3) != h, 1);
	check_eq(stackid__hash(KIND_MMAP, NULL, 0) != stackid__hash(KIND_MALLOC, NULL, 0), 1);
	/* Text boundaries count: "ab"+"c" is not "a"+"bc". */
	{
		struct frame a = {.symbol = "ab", .module = "c"},
			     b = {.symbol = "a", .module = "bc"};

		check_eq(stackid__hash(KIND_MALLOC, &a, 1) != stackid__hash(KIND_MALLOC, &b, 1), 1);
	}
	/* The order of frames counts. */
	memcpy(copy, base, sizeof(copy));
	copy[0] = base[1];
	copy[1] = base[0];
	check_eq(hash_of(copy, 3) != h, 1);
}

/* The id survives memleakd's restarts: a fixed value, pinned. */
static void test_pinned(void **state)
{
	char buf[17];

	(void)state;
	/* FNV-1a 64 of the kind tag alone (4 bytes of 0). */
	check_str_eq(stackid__format(stackid__hash(KIND_MALLOC, NULL, 0), buf), "4d25767f9dce13f5");
}

static void test_format(void **state)
{
	char buf[17];

	(void)state;
	check_str_eq(stackid__format(0, buf), "0000000000000000");
	check_str_eq(stackid__format(0xdeadbeefULL, buf), "00000000deadbeef");
	check_str_eq(stackid__format(UINT64_MAX, buf), "ffffffffffffffff");
	check_eq(strlen(buf), 16);
	check_eq(stackid__format(1, buf) == buf, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_frames_same_id),
	    cmocka_unit_test(test_differences),
	    cmocka_unit_test(test_pinned),
	    cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
