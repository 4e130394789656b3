/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers for the tests that read ELF files: fixture paths, whole-file reads
 * and writes, and string checks.
 */
#ifndef MEMLEAKD_TEST_ELF_FIXTURE_H
#define MEMLEAKD_TEST_ELF_FIXTURE_H

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

#include "elfsyms.h"
#include "procmaps.h"

/* A string that may be NULL, compared with a string that may be NULL. */
#define check_str(got, want)                                                                       \
	do {                                                                                       \
		const char *got_ = (got), *want_ = (want);                                         \
		if ((got_ == NULL) != (want_ == NULL) || (got_ && strcmp(got_, want_)))            \
			fail_msg("%s: got %s%s%s, want %s%s%s", #got, got_ ? "\"" : "",            \
				 got_ ? got_ : "NULL", got_ ? "\"" : "", want_ ? "\"" : "",        \
				 want_ ? want_ : "NULL", want_ ? "\"" : "");                       \
	} while (0)

/* --- anchors in this executable ------------------------------------------ */

volatile int symtest_sink;

/* A function of the (PIE) test executable itself, well over 8 bytes long. */
__attribute__((noinline)) int symtest_anchor(int n)
{
	int i, acc = 0;

	for (i = 0; i < n; i++)
		acc += i ^ symtest_sink;
	symtest_sink = acc;
	return acc;
}

/* --- fixtures ---------------------------------------------------------------- */

static __attribute__((unused)) const char *symfix_path(void)
{
	static char path[PATH_MAX];
	const char *build = getenv("BUILD");

	snprintf(path, sizeof(path), "%s/fixtures/libsymfix.so", build && *build ? build : "build");
	return path;
}

static __attribute__((unused)) void require_symfix(void)
{
	if (access(symfix_path(), R_OK))
		fail_msg("%s is missing: run 'make %s' first", symfix_path(), symfix_path());
}

static __attribute__((unused)) char *read_whole_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	if (read(fd, buf, (size_t)st.st_size) != st.st_size)
		fail_msg("short read of %s", path);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static __attribute__((unused)) void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	if (len && write(fd, data, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

static __attribute__((unused)) const char *self_exe_basename(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	const char *slash;

	assert_true(n > 0);
	path[n] = '\0';
	slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* ===== (a) /proc/PID/maps ================================================ */

static __attribute__((unused)) struct procmaps *parse_maps(const char *text)
{
	struct procmaps *pm = NULL;
	int ret = procmaps__parse(text, strlen(text), &pm);

	if (ret)
		fail_msg("procmaps__parse returned %d for:\n%s", ret, text);
	assert_non_null(pm);
	return pm;
}

/* ===== (b) ELF symbols ==================================================== */

static __attribute__((unused)) void check_build_id(const char *id)
{
	size_t i, len = strlen(id);

	if (len < 16 || len % 2)
		fail_msg("build id \"%s\": want an even number (>= 16) of hex digits", id);
	for (i = 0; i < len; i++)
		if (!strchr("0123456789abcdef", id[i]))
			fail_msg("build id \"%s\": '%c' is not a lowercase hex digit", id, id[i]);
}

static __attribute__((unused)) const char *fixture_path(const char *name)
{
	static char path[PATH_MAX];
	const char *build = getenv("BUILD");

	snprintf(path, sizeof(path), "%s/fixtures/%s", build && *build ? build : "build", name);
	if (access(path, R_OK))
		fail_msg("%s is missing: run 'make fixtures' first", path);
	return path;
}

static __attribute__((unused)) uint64_t symbol_vaddr(const char *path, const char *name)
{
	struct elf_syms *syms = elf_syms__load(path);
	struct elf_sym_info info;

	assert_non_null(syms);
	if (elf_syms__find(syms, name, &info))
		fail_msg("no symbol %s in %s", name, path);
	elf_syms__free(syms);
	return info.vaddr;
}

/* The file offset and size of section name in the ELF file at path (to aim corruption at it). */
static __attribute__((unused)) void section_range(const char *path, const char *name,
						  size_t *offset, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t strndx;
	Elf *elf;

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

#endif
