// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Separate debug files by build ID: a stripped library names its local
 * functions only through build/fixtures/debug/.build-id/xx/rest.debug.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <unistd.h>
#include <cmocka.h>

#include "checks.h"

#include "symbolize.h"

static void *open_stripped(void)
{
	const char *build = getenv("BUILD");
	char path[4096];
	void *lib;

	snprintf(path, sizeof(path), "%s/fixtures/libsymfix-stripped.so",
		 build && *build ? build : "build");
	lib = dlopen(path, RTLD_NOW);
	if (!lib)
		fail_msg("dlopen %s: %s (run 'make unit-tests')", path, dlerror());
	return lib;
}

static void *hidden_address(void *lib)
{
	void *(*getter)(void) = (void *(*)(void))dlsym(lib, "symfix_hidden_address");

	if (!getter)
		fail_msg("symfix_hidden_address missing: %s", dlerror());
	return getter();
}

/* Resolves the hidden function with the given debug dir; returns the name or NULL. */
static const char *resolve_hidden(const char *debug_dir, struct symbolizer **keep)
{
	struct symbolizer *s = symbolizer__new();
	void *lib = open_stripped();
	struct frame f;

	assert_non_null(s);
	check_eq(symbolizer__set_debug_dir(s, debug_dir), 0);
	check_eq(symbolizer__refresh(s, getpid()), 0);
	symbolizer__resolve(s, getpid(), (uint64_t)(uintptr_t)hidden_address(lib) + 4, 1, &f);
	*keep = s;
	return f.symbol;
}

static void test_local_symbol_from_debug_file(void **state)
{
	const char *build = getenv("BUILD");
	struct symbolizer *s;
	char dir[4096];
	const char *name;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fixtures/debug", build && *build ? build : "build");
	name = resolve_hidden(dir, &s);
	if (!name || strcmp(name, "symfix_hidden"))
		fail_msg("with debug dir %s: got %s, want symfix_hidden", dir,
			 name ? name : "NULL");
	symbolizer__destroy(s);
}

static void test_no_debug_file_no_local_symbol(void **state)
{
	struct symbolizer *s;
	const char *name;

	(void)state;
	name = resolve_hidden("/nonexistent-debug-dir", &s);
	if (name && !strcmp(name, "symfix_hidden"))
		fail_msg("the stripped library named symfix_hidden without its debug file");
	symbolizer__destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_local_symbol_from_debug_file),
	    cmocka_unit_test(test_no_debug_file_no_local_symbol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
