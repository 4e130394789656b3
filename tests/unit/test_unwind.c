// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unwind tables (cfi.c) and their per-process assembly (unwinder.c), on the
 * fidelity fixture built with and without frame pointers, on this test
 * binary's own mappings, and on broken and mutated ELF files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <gelf.h>
#include <libelf.h>

#include "cfi.h"
#include "checks.h"
#include "demangle.h"
#include "elfsyms.h"
#include "procmaps.h"
#include "srcinfo.h"
#include "symbolize.h"
#include "unwinder.h"

static const char *fixture_path(const char *name)
{
	static char path[PATH_MAX];
	const char *build = getenv("BUILD");

	snprintf(path, sizeof(path), "%s/fixtures/%s", build && *build ? build : "build", name);
	if (access(path, R_OK))
		fail_msg("%s is missing: run 'make fixtures' first", path);
	return path;
}

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

static uint64_t symbol_vaddr(const char *path, const char *name)
{
	struct elf_syms *syms = elf_syms__load(path);
	struct elf_sym_info info;

	assert_non_null(syms);
	if (elf_syms__find(syms, name, &info))
		fail_msg("no symbol %s in %s", name, path);
	elf_syms__free(syms);
	return info.vaddr;
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

/* Where a section's bytes lie in the file, to aim corruption at the CFI. */
static void section_range(const char *path, const char *name, size_t *offset, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t strndx;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &strndx), 0);
	*size = 0;
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &shdr) &&
		    !strcmp(elf_strptr(elf, strndx, shdr.sh_name) ?: "", name)) {
			*offset = shdr.sh_offset;
			*size = shdr.sh_size;
		}
	elf_end(elf);
	close(fd);
	assert_true(*size > 0);
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

/* This very process: its mappings point into the concatenated rows correctly. */
static void test_unwinder_self(void **state)
{
	struct ml_unwind_proc *proc = calloc(1, sizeof(*proc));
	struct unwinder *u = unwinder__new();
	struct procmaps *maps = NULL;
	const struct ml_unwind_row *rows, *row;
	uint64_t pc = (uint64_t)(uintptr_t)&test_unwinder_self;
	size_t nr, with, without, i;
	uint32_t first, k;

	(void)state;
	assert_non_null(proc);
	assert_non_null(u);
	check_eq(procmaps__read(getpid(), &maps), 0);
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	assert_true(proc->nr >= 2); /* this binary and libc at least */
	for (i = 1; i < proc->nr; i++)
		assert_true(proc->maps[i].start >= proc->maps[i - 1].end);

	rows = unwinder__take_new_rows(u, &first, &nr);
	check_eq(first, 0);
	check_eq(nr, unwinder__nr_rows(u));
	assert_non_null(rows);
	for (i = 0; i < proc->nr && !(pc >= proc->maps[i].start && pc < proc->maps[i].end); i++)
		;
	assert_true(i < proc->nr);
	assert_true(proc->maps[i].row_count > 0);
	/* The same search as the BPF walker, on the mirror: a function entry is CFA = rsp + 8. */
	row = NULL;
	for (k = proc->maps[i].row_start; k < proc->maps[i].row_start + proc->maps[i].row_count;
	     k++)
		if (rows[k].pc <= pc - proc->maps[i].bias)
			row = &rows[k];
	assert_non_null(row);
	check_eq(row->cfa_kind, ML_CFA_RSP);
	check_eq(row->cfa_off, 8);

	/* A second look at the same process adds no rows and nothing new to copy. */
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	assert_null(unwinder__take_new_rows(u, &first, &nr));
	check_eq(nr, 0);
	unwinder__module_counts(u, &with, &without);
	assert_true(with >= 2);
	procmaps__free(maps);
	unwinder__destroy(u);
	free(proc);
}

/* A full row array: later modules get no table (frame-pointer fallback), no failure. */
static void test_unwinder_capacity(void **state)
{
	struct ml_unwind_proc *proc = calloc(1, sizeof(*proc));
	struct unwinder *u = unwinder__new();
	struct procmaps *maps = NULL;
	size_t with, without, i;

	(void)state;
	assert_non_null(proc);
	unwinder__set_capacity(u, 16);
	check_eq(procmaps__read(getpid(), &maps), 0);
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	check_eq(unwinder__nr_rows(u), 0);
	unwinder__module_counts(u, &with, &without);
	check_eq(with, 0);
	assert_true(without >= 2);
	for (i = 0; i < proc->nr; i++)
		check_eq(proc->maps[i].row_count, 0);
	procmaps__free(maps);
	unwinder__destroy(u);
	unwinder__destroy(NULL);
	free(proc);
}

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

static void test_frame_format_source(void **state)
{
	struct frame outer = {.addr = 0x1010,
			      .symbol = "fid_vector_b",
			      .offset = 0x30,
			      .module = "app",
			      .file = "app.cc",
			      .line = 42};
	struct frame inlined = {
	    .symbol = "allocate", .module = "app", .file = "new.h", .line = 137, .inlined = 1};
	char buf[256];

	(void)state;
	assert_string_equal(frame__format(&outer, FRAME_FULL, buf, sizeof(buf)),
			    "fid_vector_b+0x30 (app) app.cc:42");
	assert_string_equal(frame__format(&inlined, FRAME_FULL, buf, sizeof(buf)),
			    "allocate (inlined) new.h:137");
	/* Flame graphs and folded stacks take names only, inlined ones included. */
	assert_string_equal(frame__format(&inlined, FRAME_NAME, buf, sizeof(buf)), "allocate");
	assert_string_equal(frame__format(&outer, FRAME_NAME, buf, sizeof(buf)), "fid_vector_b");
	/* Stripped and without debug files: file offset and build ID, to symbolize later. */
	assert_string_equal(
	    frame__format(
		&(struct frame){.module = "libx.so", .offset = 0x1234, .build_id = "0a1b2c"},
		FRAME_FULL, buf, sizeof(buf)),
	    "libx.so+0x1234 (build-id 0a1b2c)");
	assert_string_equal(
	    frame__format(
		&(struct frame){.module = "libx.so", .offset = 0x1234, .build_id = "0a1b2c"},
		FRAME_NAME, buf, sizeof(buf)),
	    "libx.so+0x1234");
	/* Truncation stays inside the buffer. */
	assert_string_equal(frame__format(&outer, FRAME_FULL, buf, 8), "fid_vec");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cfi_no_frame_pointer), cmocka_unit_test(test_cfi_frame_pointer),
	    cmocka_unit_test(test_cfi_debug_frame),	 cmocka_unit_test(test_cfi_plt_and_gaps),
	    cmocka_unit_test(test_cfi_offset_to_vaddr),	 cmocka_unit_test(test_cfi_hostile_files),
	    cmocka_unit_test(test_unwinder_self),	 cmocka_unit_test(test_unwinder_capacity),
	    cmocka_unit_test(test_demangle_names),	 cmocka_unit_test(test_srcinfo_inlines),
	    cmocka_unit_test(test_frame_format_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
