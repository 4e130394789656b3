// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unwind tables (src/cfi.h) on the fidelity fixture built with and without
 * frame pointers, on .debug_frame only, and on broken and mutated ELF files.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
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

#include "cfi.h"

static struct cfi_table *table_of(const char *path)
{
	struct cfi_table *t = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	check_eq(cfi_table__build(fd, &t), 0);
	close(fd);
	assert_non_null(t);
	return t;
}

#define check_row(t, vaddr, kind, cfa, rbp)                                                        \
	do {                                                                                       \
		const struct ml_unwind_row *row_ = cfi_table__find((t), (vaddr));                  \
		assert_non_null(row_);                                                             \
		check_eq(row_->cfa_kind, (kind));                                                  \
		check_eq(row_->cfa_off, (cfa));                                                    \
		check_eq(row_->rbp_off, (rbp));                                                    \
	} while (0)

static void check_sorted(const struct cfi_table *t)
{
	const struct ml_unwind_row *rows = cfi_table__rows(t);
	size_t i;

	assert_true(cfi_table__nr_rows(t) > 10);
	for (i = 1; i < cfi_table__nr_rows(t); i++)
		if (rows[i].pc <= rows[i - 1].pc)
			fail_msg("row %zu: pc %#x after %#x", i, rows[i].pc, rows[i - 1].pc);
}

/* -O2 without frame pointers: "sub $8,%rsp; call; add $8,%rsp; ret". */
static void test_cfi_no_frame_pointer(void **state)
{
	const char *path = fixture_path("fidelity-nofp");
	uint64_t fn = symbol_vaddr(path, "fid_direct_b");
	struct cfi_table *t = table_of(path);

	(void)state;
	check_sorted(t);
	check_row(t, fn, ML_CFA_RSP, 8, 0);
	check_row(t, fn + 4, ML_CFA_RSP, 16, 0); /* the return address of the call */
	check_row(t, fn + 0xd, ML_CFA_RSP, 8, 0);
	/* crt1's _start marks the return address undefined: the outermost frame. */
	check_eq(cfi_table__find(t, symbol_vaddr(path, "_start"))->cfa_kind, ML_CFA_END);
	cfi_table__free(t);
}

/* With frame pointers: "push %rbp; mov %rsp,%rbp; call; pop %rbp; ret". */
static void test_cfi_frame_pointer(void **state)
{
	const char *path = fixture_path("fidelity-fp");
	uint64_t fn = symbol_vaddr(path, "fid_direct_b");
	struct cfi_table *t = table_of(path);

	(void)state;
	check_sorted(t);
	check_row(t, fn, ML_CFA_RSP, 8, 0);
	check_row(t, fn + 1, ML_CFA_RSP, 16, -16);
	check_row(t, fn + 4, ML_CFA_RBP, 16, -16);
	check_eq(cfi_table__find(t, fn + 0xa)->cfa_kind, ML_CFA_RSP);
	check_eq(cfi_table__find(t, fn + 0xa)->cfa_off, 8);
	cfi_table__free(t);
}

/* Built without unwind tables, the program's own code is described by .debug_frame only. */
static void test_cfi_debug_frame(void **state)
{
	const char *path = fixture_path("leaker-debugframe");
	uint64_t fn = symbol_vaddr(path, "leak_inner");
	struct cfi_table *t = table_of(path);
	const struct ml_unwind_row *row;

	(void)state;
	check_sorted(t);
	check_eq(cfi_table__stats(t)->debug_frame, 1);
	row = cfi_table__find(t, fn);
	assert_non_null(row);
	check_eq(row->cfa_kind, ML_CFA_RSP);
	check_eq(row->cfa_off, 8);
	cfi_table__free(t);

	/* With .eh_frame for everything, .debug_frame is never needed. */
	t = table_of(fixture_path("fidelity-nofp"));
	check_eq(cfi_table__stats(t)->debug_frame, 0);
	cfi_table__free(t);
}

/* The PLT's CFA is an expression; the walker knows its one shape. */
static void test_cfi_plt_and_gaps(void **state)
{
	struct cfi_table *t = table_of(fixture_path("fidelity-nofp"));
	const struct ml_unwind_row *rows = cfi_table__rows(t);
	size_t i, plt = 0;

	(void)state;
	for (i = 0; i < cfi_table__nr_rows(t); i++) {
		if (rows[i].cfa_kind != ML_CFA_PLT)
			continue;
		plt++;
		check_eq(rows[i].cfa_off, 8);
		check_eq(rows[i].plt_lit, 11);
	}
	check_eq(plt, 1);
	check_eq(cfi_table__stats(t)->unsupported, 0);
	assert_null(cfi_table__find(t, 0)); /* below the text: no row */
	cfi_table__free(t);
}

static void test_cfi_offset_to_vaddr(void **state)
{
	const char *path = fixture_path("fidelity-nofp");
	struct cfi_table *t = table_of(path);
	struct elf_syms *syms = elf_syms__load(path);
	uint64_t fn = symbol_vaddr(path, "fid_direct_b"), offset, vaddr;

	(void)state;
	assert_non_null(syms);
	check_eq(elf_syms__vaddr_to_offset(syms, fn, &offset), 0);
	check_eq(cfi_table__offset_to_vaddr(t, offset, &vaddr), 0);
	check_hex(vaddr, fn);
	check_eq(cfi_table__offset_to_vaddr(t, 0, &vaddr), -ENOENT); /* the ELF header: not code */
	elf_syms__free(syms);
	cfi_table__free(t);
}

static int build_from_bytes(const void *bytes, size_t len, struct cfi_table **out)
{
	char path[] = "/tmp/memleakd-cfi.XXXXXX";
	int fd = mkstemp(path), err;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	err = cfi_table__build(fd, out);
	close(fd);
	return err;
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *buf;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Garbage, truncation and corrupted CFI: an error or a table, never a crash. */
static void test_cfi_hostile_files(void **state)
{
	static const char not_elf[] = "#!/bin/sh\necho this is not an ELF file\n";
	struct cfi_table *t = NULL;
	uint64_t rng = 0x5eed;
	size_t len, i, j, built = 0, eh_off = 0, eh_size = 0, at;
	unsigned char *good = read_file(fixture_path("fidelity-nofp"), &len), *bad;

	section_range(fixture_path("fidelity-nofp"), ".eh_frame", &eh_off, &eh_size);
	(void)state;
	check_eq(build_from_bytes(not_elf, sizeof(not_elf), &t), -EINVAL);
	check_eq(build_from_bytes("", 0, &t) < 0, 1);
	check_eq(build_from_bytes(good, 64, &t) < 0, 1); /* a header and nothing else */
	bad = malloc(len);
	assert_non_null(bad);
	for (i = 0; i < 300; i++) {
		memcpy(bad, good, len);
		for (j = 0; j < 1 + i % 16; j++) {
			/* Mostly inside .eh_frame, sometimes anywhere (headers, segments). */
			at = i % 4 ? eh_off + rng_next(&rng) % eh_size : rng_next(&rng) % len;
			bad[at] = (unsigned char)rng_next(&rng);
		}
		t = NULL;
		if (build_from_bytes(bad, i % 3 ? len : len / 2, &t) == 0) {
			built++;
			cfi_table__find(t, rng_next(&rng) % 0x10000);
			cfi_table__free(t);
		}
	}
	print_message("(%zu of 300 corrupted files still gave a table)\n", built);
	free(bad);
	free(good);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/*
 * Audit finding 7: FDEs that make every lookup cost as much as the file (a
 * million remember_states, 400 KB of remember/restore pairs, nesting 64
 * deep, 60 000 rows of one 60 KB program) are refused before libdw runs
 * them. Before: 9 s and 230 MB, or the 2 s budget spent (and overrun).
 */
static void test_cfi_hostile_programs(void **state)
{
	static const char *const names[] = {"hostile-cfi-remember.so", "hostile-cfi-pairs.so",
					    "hostile-cfi-depth.so", "hostile-cfi-rows.so"};
	struct rusage before, after;
	struct timespec start;
	struct cfi_table *t;
	Dl_info libc;
	size_t i;
	int fd;

	(void)state;
	getrusage(RUSAGE_SELF, &before);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fd = open(fixture_path(names[i]), O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		t = NULL;
		clock_gettime(CLOCK_MONOTONIC, &start);
		check_eq(cfi_table__build(fd, &t), -E2BIG);
		assert_null(t);
		if (seconds_since(&start) > 1.5)
			fail_msg("%s took %.1f s", names[i], seconds_since(&start));
		close(fd);
	}
	getrusage(RUSAGE_SELF, &after);
	assert_true(after.ru_maxrss - before.ru_maxrss < 64 * 1024); /* KiB */

	/* A real library's table is not refused: the libc this test runs on. */
	assert_true(dladdr((void *)malloc, &libc) && libc.dli_fname);
	t = table_of(libc.dli_fname);
	check_sorted(t);
	assert_true(cfi_table__nr_rows(t) > 1000);
	cfi_table__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cfi_no_frame_pointer), cmocka_unit_test(test_cfi_frame_pointer),
	    cmocka_unit_test(test_cfi_debug_frame),	 cmocka_unit_test(test_cfi_plt_and_gaps),
	    cmocka_unit_test(test_cfi_offset_to_vaddr),	 cmocka_unit_test(test_cfi_hostile_files),
	    cmocka_unit_test(test_cfi_hostile_programs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
