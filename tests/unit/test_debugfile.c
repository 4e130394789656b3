// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Separate debug information: a stripped library names its local functions
 * only through build/fixtures/debug/.build-id/xx/rest.debug, through its
 * .gnu_debuglink (when the CRC matches), or through MiniDebugInfo.
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

static void *open_variant(const char *name)
{
	const char *build = getenv("BUILD");
	char path[4096];
	void *lib;

	snprintf(path, sizeof(path), "%s/fixtures/%s", build && *build ? build : "build", name);
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

/* Resolves the hidden function of a variant with the given debug dir: its outermost frame. */
static struct frame resolve_variant(const char *variant, const char *debug_dir,
				    struct symbolizer **keep)
{
	struct symbolizer *s = symbolizer__new();
	void *lib = open_variant(variant);
	struct frame f[SYMBOLIZER_MAX_INLINE];
	size_t nr;

	assert_non_null(s);
	check_eq(symbolizer__set_debug_dir(s, debug_dir), 0);
	check_eq(symbolizer__refresh(s, getpid()), 0);
	nr = symbolizer__resolve_frames(s, getpid(), (uint64_t)(uintptr_t)hidden_address(lib) + 4,
					1, f, SYMBOLIZER_MAX_INLINE);
	assert_true(nr >= 1);
	*keep = s;
	return f[nr - 1];
}

static const char *resolve_hidden(const char *debug_dir, struct symbolizer **keep)
{
	return resolve_variant("libsymfix-stripped.so", debug_dir, keep).symbol;
}

static void test_local_symbol_from_debuglink(void **state)
{
	struct symbolizer *s;
	struct frame f;

	(void)state;
	/* No build-id directory: only the debuglink next to the library can name it. */
	f = resolve_variant("libsymfix-debuglink.so", "/nonexistent", &s);
	assert_non_null(f.symbol);
	assert_string_equal(f.symbol, "symfix_hidden");
	/* The debug file's DWARF gives the source line too. */
	assert_non_null(f.file);
	assert_non_null(strstr(f.file, "symfix.c"));
	assert_true(f.line > 0);
	symbolizer__destroy(s);
}

static void test_debuglink_crc_mismatch(void **state)
{
	struct symbolizer *s;
	struct frame f;

	(void)state;
	/* The debug file changed after linking: a stale file must not lend its names. */
	f = resolve_variant("libsymfix-badlink.so", "/nonexistent", &s);
	if (f.symbol && !strcmp(f.symbol, "symfix_hidden"))
		fail_msg("a debuglink file with the wrong CRC was used");
	symbolizer__destroy(s);
}

static void test_local_symbol_from_minidebuginfo(void **state)
{
	struct symbolizer *s;
	struct frame f;

	(void)state;
	f = resolve_variant("libsymfix-mini.so", "/nonexistent", &s);
	assert_non_null(f.symbol);
	assert_string_equal(f.symbol, "symfix_hidden");
	symbolizer__destroy(s);
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
	    cmocka_unit_test(test_local_symbol_from_debuglink),
	    cmocka_unit_test(test_debuglink_crc_mismatch),
	    cmocka_unit_test(test_local_symbol_from_minidebuginfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
