// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Source lines and inlined frames from DWARF (src/srcinfo.h).
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <gelf.h>
#include <libelf.h>

#include "checks.h"
#include "elf_fixture.h"

#include "srcinfo.h"

/* -O2 C++: std::vector::resize inlines five levels of allocator calls into fid_vector_b. */
static void test_srcinfo_inlines(void **state)
{
	const char *path = fixture_path("fidelity-nofp");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t fn = symbol_vaddr(path, "fid_vector_b"), pc;
	struct src_loc locs[8];
	struct srcinfo *si;
	size_t nr = 0, i;

	(void)state;
	assert_true(fd >= 0);
	si = srcinfo__open(fd);
	assert_non_null(si);
	/* The call to operator new: the deepest point of the inlined chain. */
	for (pc = fn; pc < fn + 0x80 && nr < 3; pc++)
		nr = srcinfo__lookup(si, pc, locs, 8);
	assert_true(nr >= 3);
	for (i = 0; i + 1 < nr; i++) {
		check_eq(locs[i].inlined, 1);
		assert_non_null(locs[i].function);
		assert_non_null(locs[i].file);
		assert_true(locs[i].line > 0);
	}
	check_eq(locs[nr - 1].inlined, 0);
	assert_string_equal(locs[nr - 1].function, "fid_vector_b");
	assert_non_null(strstr(locs[nr - 1].file, "fidelity.cc"));
	check_eq(srcinfo__lookup(si, 0, locs, 8), 0); /* no CU covers address 0 */
	check_eq(srcinfo__lookup(si, fn, locs, 0), 0);
	srcinfo__close(si);
	srcinfo__close(NULL);

	/* A file without DWARF: no srcinfo, not a failure; the fd stays the caller's. */
	fd = open(fixture_path("libsymfix-stripped.so"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_null(srcinfo__open(fd));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_srcinfo_inlines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
