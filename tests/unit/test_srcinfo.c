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
#include <dirent.h>
#include <sys/resource.h>
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

/*
 * Audit finding 3: a target truncates a library memleakd read the DWARF of.
 * libdw used to map the file and read DIEs from the mapping at each lookup:
 * SIGBUS. Run in a child so that a crash fails the test instead of the run.
 */
static void test_srcinfo_truncated_file(void **state)
{
	const char *lib = fixture_path("libsymfix.so");
	uint64_t fn = symbol_vaddr(lib, "symfix_alpha");
	char copy[] = "/tmp/memleakd-srcinfo-XXXXXX";
	size_t len;
	char *bytes = read_whole_file(lib, &len);
	int fd = mkstemp(copy), status;
	pid_t child;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(copy, bytes, len);
	free(bytes);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct src_loc locs[8];
		struct srcinfo *si;
		size_t nr;

		signal(SIGBUS, SIG_DFL); /* cmocka's handlers would carry on in the child */
		signal(SIGSEGV, SIG_DFL);
		fd = open(copy, O_RDONLY | O_CLOEXEC);
		si = fd >= 0 ? srcinfo__open(fd) : NULL;
		if (!si || truncate(copy, 0))
			_exit(100);
		nr = srcinfo__lookup(si, fn + 4, locs, 8);
		srcinfo__close(si);
		_exit(nr > 0 && locs[0].file && locs[0].line > 0 ? 0 : 101);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	unlink(copy);
	if (WIFSIGNALED(status))
		fail_msg("the lookup after the truncation died of signal %d", WTERMSIG(status));
	/* The DWARF was read into memory: the truncation does not even lose the line. */
	check_eq(WEXITSTATUS(status), 0);
}

static int open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int nr = 0;

	assert_non_null(dir);
	while (readdir(dir))
		nr++;
	closedir(dir);
	return nr;
}

/*
 * Audit finding 9: a handle used to keep its file's fd for the whole run,
 * so 1 100 modules with DWARF exhausted the 1 024 default limit. 200
 * handles now hold no fd at all.
 */
static void test_srcinfo_holds_no_fd(void **state)
{
	enum { NR = 200 };
	const char *lib = fixture_path("libsymfix.so");
	uint64_t fn = symbol_vaddr(lib, "symfix_alpha");
	struct srcinfo *handles[NR];
	struct src_loc locs[8];
	int fd = open(lib, O_RDONLY | O_CLOEXEC), before, i;

	(void)state;
	assert_true(fd >= 0);
	before = open_fds();
	for (i = 0; i < NR; i++) {
		handles[i] = srcinfo__open(fcntl(fd, F_DUPFD_CLOEXEC, 0));
		assert_non_null(handles[i]);
	}
	if (open_fds() > before + 2)
		fail_msg("%d handles hold %d fds", NR, open_fds() - before);
	for (i = 0; i < NR; i++)
		assert_true(srcinfo__lookup(handles[i], fn + 4, locs, 8) > 0);
	for (i = 0; i < NR; i++)
		srcinfo__close(handles[i]);
	close(fd);
}

/*
 * Audit finding 4: a function inside 60 000 nested lexical blocks made
 * libdw's dwarf_getscopes recurse off the 8 MiB stack (SIGSEGV). The unit
 * is refused for inlines: no crash, and no function name from DWARF (the
 * symbol table names it).
 */
static void test_srcinfo_deep_scopes(void **state)
{
	const char *path = fixture_path("hostile-scopes.so");
	uint64_t fn = symbol_vaddr(path, "deep_leak");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct src_loc locs[8];
	struct srcinfo *si;

	(void)state;
	assert_true(fd >= 0);
	si = srcinfo__open(fd);
	assert_non_null(si);
	check_eq(srcinfo__lookup(si, fn + 1, locs, 8), 1);
	assert_null(locs[0].function);
	check_eq(locs[0].inlined, 0);
	check_eq(srcinfo__lookup(si, fn + 1, locs, 8), 1); /* the verdict is remembered */
	srcinfo__close(si);
}

/*
 * Found by fuzz_elf: libdw runs strlen on DW_AT_comp_dir and other strings
 * of .debug_str; with the section read into memory (not mapped), one that
 * does not end in NUL was read past the end of its buffer. Refused now.
 */
static void test_srcinfo_unterminated_strings(void **state)
{
	const char *lib = fixture_path("libsymfix.so");
	char copy[] = "/tmp/memleakd-srcinfo-XXXXXX";
	size_t len, offset = 0, size = 0;
	char *bytes = read_whole_file(lib, &len);
	int fd = mkstemp(copy);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	section_range(lib, ".debug_str", &offset, &size);
	bytes[offset + size - 1] = 'x';
	write_file(copy, bytes, len);
	free(bytes);
	fd = open(copy, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_null(srcinfo__open(fd));
	close(fd);
	unlink(copy);
}

/*
 * A .zdebug_info of 500 KiB that inflates to 512 MiB: read into memory,
 * libdw used to inflate it all (514 MB resident for one file). Refused
 * from its compression ratio now, before libdw sees it.
 */
static void test_srcinfo_decompression_bomb(void **state)
{
	int fd = open(fixture_path("hostile-zbomb.so"), O_RDONLY | O_CLOEXEC);
	struct rusage before, after;

	(void)state;
	assert_true(fd >= 0);
	getrusage(RUSAGE_SELF, &before);
	assert_null(srcinfo__open(fd));
	getrusage(RUSAGE_SELF, &after);
	assert_true(after.ru_maxrss - before.ru_maxrss < 64 * 1024); /* KiB */
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_srcinfo_inlines),
	    cmocka_unit_test(test_srcinfo_truncated_file),
	    cmocka_unit_test(test_srcinfo_holds_no_fd),
	    cmocka_unit_test(test_srcinfo_deep_scopes),
	    cmocka_unit_test(test_srcinfo_unterminated_strings),
	    cmocka_unit_test(test_srcinfo_decompression_bomb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
