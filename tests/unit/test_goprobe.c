// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go probe plans (src/goprobe.h): the cookie goroutine.bpf.c decodes says
 * exactly which register and which g offsets the site has, the program
 * follows the role, and a plan the BPF side could not honour is refused
 * with its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "checks.h"

#include "goprobe.h"

/* Go 1.23.5's offsets (research note, section 4). */
static const struct go_g_offsets go123 = {.goid = 160, .gopc = 288, .startpc = 304, .size = 432};

static const struct go_probe_site plan[] = {
    {.file_offset = 0x3c8a0, .reg = GO_REG_RBX, .role = GO_SITE_CREATE},
    {.file_offset = 0x4a1f6, .reg = GO_REG_RAX, .role = GO_SITE_CREATE},
    {.file_offset = 0x3b2d6, .reg = GO_REG_RAX, .role = GO_SITE_EXIT},
};

static void test_cookie_round_trip(void **state)
{
	uint64_t c;

	(void)state;
	c = goprobe__cookie(&plan[0], &go123);
	check_eq(ML_GO_COOKIE_GOID_OFF(c), 160);
	check_eq(ML_GO_COOKIE_GOPC_OFF(c), 288);
	check_eq(ML_GO_COOKIE_REG(c), ML_GO_REG_RBX);
	check_eq(ML_GO_COOKIE_ROLE(c), ML_GO_ROLE_CREATE);
	c = goprobe__cookie(&plan[2], &go123);
	check_eq(ML_GO_COOKIE_REG(c), ML_GO_REG_RAX);
	check_eq(ML_GO_COOKIE_ROLE(c), ML_GO_ROLE_EXIT);
}

/* The largest offsets a cookie carries do not bleed into the register or the role. */
static void test_cookie_extremes(void **state)
{
	struct go_g_offsets off = {.goid = GOPROBE_MAX_FIELD_OFFSET,
				   .gopc = GOPROBE_MAX_FIELD_OFFSET - 8};
	struct go_probe_site site = {.reg = GO_REG_RAX, .role = GO_SITE_EXIT};
	uint64_t c;

	(void)state;
	assert_null(goprobe__check((struct go_probe_site[]){plan[0], site}, 2, &off));
	c = goprobe__cookie(&site, &off);
	check_eq(ML_GO_COOKIE_GOID_OFF(c), GOPROBE_MAX_FIELD_OFFSET);
	check_eq(ML_GO_COOKIE_GOPC_OFF(c), GOPROBE_MAX_FIELD_OFFSET - 8);
	check_eq(ML_GO_COOKIE_REG(c), ML_GO_REG_RAX);
	check_eq(ML_GO_COOKIE_ROLE(c), ML_GO_ROLE_EXIT);
	check_eq(c >> 48, 0);
}

static void test_program_by_role(void **state)
{
	(void)state;
	assert_string_equal(goprobe__program(&plan[0]), "go_create");
	assert_string_equal(goprobe__program(&plan[1]), "go_create");
	assert_string_equal(goprobe__program(&plan[2]), "go_exit");
}

static void test_check_accepts_plan(void **state)
{
	(void)state;
	assert_null(goprobe__check(plan, 3, &go123));
}

static void test_check_needs_both_roles(void **state)
{
	(void)state;
	assert_non_null(goprobe__check(plan, 2, &go123));     /* creates only */
	assert_non_null(goprobe__check(&plan[2], 1, &go123)); /* exit only */
	assert_non_null(goprobe__check(plan, 0, &go123));
}

static void test_check_refuses_bad_sites(void **state)
{
	struct go_probe_site bad[2] = {plan[0], plan[2]};

	(void)state;
	bad[0].reg = 2; /* RCX: no program reads it */
	assert_non_null(goprobe__check(bad, 2, &go123));
	bad[0] = plan[0];
	bad[1].role = 7;
	assert_non_null(goprobe__check(bad, 2, &go123));
	bad[1].role = -1;
	assert_non_null(goprobe__check(bad, 2, &go123));
}

static void test_check_refuses_bad_offsets(void **state)
{
	struct go_g_offsets off = go123;

	(void)state;
	off.goid = 432; /* past the end of a 432-byte g */
	assert_non_null(goprobe__check(plan, 3, &off));
	off.goid = 428; /* the field would straddle the end */
	assert_non_null(goprobe__check(plan, 3, &off));
	off.goid = 161; /* misaligned */
	assert_non_null(goprobe__check(plan, 3, &off));
	off.goid = 160;
	off.gopc = 0x10000; /* does not fit the cookie (no size known) */
	off.size = 0;
	assert_non_null(goprobe__check(plan, 3, &off));
	off.gopc = 424; /* last 8 bytes of the g: fine */
	off.size = 432;
	assert_null(goprobe__check(plan, 3, &off));
}

static void test_check_refuses_too_many_sites(void **state)
{
	struct go_probe_site many[GO_MAX_SITES + 1];
	size_t i;

	(void)state;
	for (i = 0; i < GO_MAX_SITES + 1; i++)
		many[i] = plan[i % 3];
	assert_null(goprobe__check(many, GO_MAX_SITES, &go123));
	assert_non_null(goprobe__check(many, GO_MAX_SITES + 1, &go123));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cookie_round_trip),
	    cmocka_unit_test(test_cookie_extremes),
	    cmocka_unit_test(test_program_by_role),
	    cmocka_unit_test(test_check_accepts_plan),
	    cmocka_unit_test(test_check_needs_both_roles),
	    cmocka_unit_test(test_check_refuses_bad_sites),
	    cmocka_unit_test(test_check_refuses_bad_offsets),
	    cmocka_unit_test(test_check_refuses_too_many_sites),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
