// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Probe-site choice on real allocator prologues and on near misses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "probesite.h"

/* Debian 12 glibc 2.36 free: test %rdi,%rdi; je +0xbf (rel32); push %rbp. */
static const uint8_t glibc_free[] = {0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00,
				     0x00, 0x00, 0x55, 0x48, 0x8d, 0x77, 0xf0};
/* glibc 2.36 malloc: push %r12. */
static const uint8_t glibc_malloc[] = {0x41, 0x54, 0x55, 0x53};
/* glibc 2.36 posix_memalign: cmpb $0x0,0x140201(%rip); push %r12; mov %rdx,%r12. */
static const uint8_t glibc_posix_memalign[] = {0x80, 0x3d, 0x01, 0x02, 0x14, 0x00,
					       0x00, 0x41, 0x54, 0x49, 0x89, 0xd4};
/* glibc 2.36 valloc (pvalloc alike): cmpb $0x0,0x140e31(%rip); push %rbx. */
static const uint8_t glibc_valloc[] = {0x80, 0x3d, 0x31, 0x0e, 0x14, 0x00, 0x00, 0x53};
/* glibc 2.36 aligned_alloc: cmpb $0x0,...(%rip); je: a branch, not a push. */
static const uint8_t glibc_aligned_alloc[] = {0x80, 0x3d, 0x71, 0x0e, 0x14, 0x00,
					      0x00, 0x74, 0x07, 0xe9, 0x34};
/* glibc 2.36 reallocarray: mov %rsi,%rax; mul %rdx (not emulated). */
static const uint8_t glibc_reallocarray[] = {0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2};

static void test_free_skips_its_null_check(void **state)
{
	struct probe_site site = probesite__choose(glibc_free, sizeof(glibc_free), 1);

	(void)state;
	check_eq(site.skip, 9);
}

static void test_short_je_form(void **state)
{
	static const uint8_t code[] = {0x48, 0x85, 0xff, 0x74, 0x20, 0x41, 0x54};
	struct probe_site site = probesite__choose(code, sizeof(code), 1);

	(void)state;
	check_eq(site.skip, 5);
}

static void test_emulated_entry_stays(void **state)
{
	struct probe_site site = probesite__choose(glibc_malloc, sizeof(glibc_malloc), 0);

	(void)state;
	check_eq(site.skip, 0);
}

/* The flag compare falls through to an emulated push: probe the push. */
static void test_flag_compare_skipped(void **state)
{
	(void)state;
	check_eq(probesite__choose(glibc_posix_memalign, sizeof(glibc_posix_memalign), 0).skip, 7);
	check_eq(probesite__choose(glibc_valloc, sizeof(glibc_valloc), 0).skip, 7);
	/* Cut before the push: the entry. */
	check_eq(probesite__choose(glibc_valloc, 7, 0).skip, 0);
}

static void test_unknown_entry_stays(void **state)
{
	(void)state;
	/* A branch after the compare: some calls would never reach a later site. */
	check_eq(probesite__choose(glibc_aligned_alloc, sizeof(glibc_aligned_alloc), 0).skip, 0);
	check_eq(probesite__choose(glibc_reallocarray, sizeof(glibc_reallocarray), 0).skip, 0);
}

/* A function whose NULL argument matters (malloc-like) never skips its check. */
static void test_null_check_kept_when_null_matters(void **state)
{
	struct probe_site site = probesite__choose(glibc_free, sizeof(glibc_free), 0);

	(void)state;
	check_eq(site.skip, 0);
}

static void test_near_misses_stay_at_entry(void **state)
{
	/* je backward: the branch could land before the probe. */
	static const uint8_t backward[] = {0x48, 0x85, 0xff, 0x74, 0xf0, 0x55};
	/* je that lands inside the push. */
	static const uint8_t into_push[] = {0x48, 0x85, 0xff, 0x74, 0x01, 0x41, 0x54};
	/* test %rsi,%rsi: not the first argument. */
	static const uint8_t other_reg[] = {0x48, 0x85, 0xf6, 0x74, 0x20, 0x55};
	/* no push after the check. */
	static const uint8_t no_push[] = {0x48, 0x85, 0xff, 0x74, 0x20, 0x48, 0x89, 0xf8};

	(void)state;
	check_eq(probesite__choose(backward, sizeof(backward), 1).skip, 0);
	check_eq(probesite__choose(into_push, sizeof(into_push), 1).skip, 0);
	check_eq(probesite__choose(other_reg, sizeof(other_reg), 1).skip, 0);
	check_eq(probesite__choose(no_push, sizeof(no_push), 1).skip, 0);
}

static void test_truncated_code_stays_at_entry(void **state)
{
	size_t len;

	(void)state;
	/* Every prefix of the free prologue short of the push must keep the entry. */
	for (len = 0; len < 10; len++)
		check_eq(probesite__choose(glibc_free, len, 1).skip, 0);
	check_eq(probesite__choose(glibc_free, 10, 1).skip, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_free_skips_its_null_check),
	    cmocka_unit_test(test_short_je_form),
	    cmocka_unit_test(test_emulated_entry_stays),
	    cmocka_unit_test(test_unknown_entry_stays),
	    cmocka_unit_test(test_flag_compare_skipped),
	    cmocka_unit_test(test_null_check_kept_when_null_matters),
	    cmocka_unit_test(test_near_misses_stay_at_entry),
	    cmocka_unit_test(test_truncated_code_stays_at_entry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
