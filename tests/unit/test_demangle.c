// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * C++ and Rust name demangling (src/demangle.h), and hostile names.
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

#include "demangle.h"

static void test_demangle_names(void **state)
{
	static const struct {
		const char *raw, *readable;
	} cases[] = {
	    {"_Znwm", "operator new(unsigned long)"},
	    {"_ZNSt6vectorIiSaIiEE17_M_default_appendEm",
	     "std::vector<int, std::allocator<int> >::_M_default_append(unsigned long)"},
	    {"_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"}, /* Rust legacy */
	    {"_RNvCs15kBYyAo9fc_7mycrate7example", "mycrate::example"},	    /* Rust v0 */
	};
	char *name, *long_name;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		name = demangle(cases[i].raw);
		assert_non_null(name);
		assert_string_equal(name, cases[i].readable);
		free(name);
	}
	assert_null(demangle("malloc"));
	assert_null(demangle("_Z"));
	assert_null(demangle("_Zgarbage!"));
	assert_null(demangle(NULL));
	long_name = malloc(100000);
	assert_non_null(long_name);
	memset(long_name, 'N', 99999);
	memcpy(long_name, "_ZN", 3);
	long_name[99999] = '\0';
	assert_null(demangle(long_name)); /* hostile length: refused, not recursed into */
	free(long_name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demangle_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
