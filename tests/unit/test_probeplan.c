// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The attach plan memleakd's tracer and tools/bench/floor both walk:
 * entry probes at the chosen sites, return probes at the functions' first
 * instruction for what returns a block, aliases once, mmap only on demand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "checks.h"
#include "provider.h"

static void fake_provider(struct provider *prov)
{
	int fn;

	for (fn = 0; fn < FN_COUNT; fn++)
		prov->offsets[fn] = prov->sites[fn] = PROVIDER_NO_OFFSET;
	prov->offsets[FN_MALLOC] = 0x100;
	prov->sites[FN_MALLOC] = 0x100;
	prov->offsets[FN_ALIGNED_ALLOC] = 0x300;
	prov->sites[FN_ALIGNED_ALLOC] = 0x300;
	prov->offsets[FN_MEMALIGN] = 0x300; /* glibc: the same function */
	prov->sites[FN_MEMALIGN] = 0x300;
	prov->offsets[FN_FREE] = 0x200;
	prov->sites[FN_FREE] = 0x209; /* past its NULL check */
	prov->offsets[FN_MMAP] = 0x400;
	prov->sites[FN_MMAP] = 0x400;
	prov->offsets[FN_MUNMAP] = 0x500;
	prov->sites[FN_MUNMAP] = 0x500;
}

#define check_point(pt, want_fn, want_offset, want_ret)                                            \
	do {                                                                                       \
		check_eq((pt).fn, want_fn);                                                        \
		check_hex((pt).offset, want_offset);                                               \
		check_eq((pt).retprobe, want_ret);                                                 \
	} while (0)

static void test_plan_without_mmap(void **state)
{
	struct probe_point points[PROBE_POINTS_MAX];
	struct provider prov;
	size_t nr;

	(void)state;
	fake_provider(&prov);
	nr = provider__probe_points(&prov, 0, points);
	check_eq(nr, 5);
	check_point(points[0], FN_MALLOC, 0x100, 0);
	check_point(points[1], FN_MALLOC, 0x100, 1);
	check_point(points[2], FN_ALIGNED_ALLOC, 0x300, 0);
	check_point(points[3], FN_ALIGNED_ALLOC, 0x300, 1);
	/* free: the entry probe at its site, no return probe. */
	check_point(points[4], FN_FREE, 0x209, 0);
}

static void test_plan_with_mmap(void **state)
{
	struct probe_point points[PROBE_POINTS_MAX];
	struct provider prov;
	size_t nr;

	(void)state;
	fake_provider(&prov);
	nr = provider__probe_points(&prov, 1, points);
	check_eq(nr, 8);
	check_point(points[5], FN_MMAP, 0x400, 0);
	check_point(points[6], FN_MMAP, 0x400, 1);
	check_point(points[7], FN_MUNMAP, 0x500, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_without_mmap),
	    cmocka_unit_test(test_plan_with_mmap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
