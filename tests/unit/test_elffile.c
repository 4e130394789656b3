// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ELF file cache (src/elffile.c): one entry and one fd per (dev, inode),
 * symbols read once, an open that fails not remembered, a non-ELF file
 * an entry without symbols.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks.h"
#include "elffile.h"

/* A mapping of path as the cache keys it (pid 0: opened by path). */
static struct mapping mapping_of(char *path)
{
	struct stat st;
	struct mapping m = {.path = path};

	if (stat(path, &st) == 0) {
		m.dev = st.st_dev;
		m.inode = st.st_ino;
	}
	return m;
}

static void test_once_per_file(void **state)
{
	struct elf_files *files = elf_files__new();
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct mapping m;
	struct elf_file *f, *again;
	const struct elf_syms *syms;
	int err = 0;

	(void)state;
	assert_non_null(files);
	assert_true(n > 0);
	exe[n] = '\0';
	m = mapping_of(exe);
	f = elf_files__get(files, 0, &m, &err);
	assert_non_null(f);
	assert_true(f->fd >= 0);
	again = elf_files__get(files, 0, &m, &err);
	assert_ptr_equal(again, f); /* same entry, same fd */
	check_eq(elf_files__nr(files), 1);
	syms = elf_file__syms(f);
	assert_non_null(syms);
	assert_true(elf_syms__count(syms) > 0);
	assert_ptr_equal(elf_file__syms(again), syms); /* read once */
	elf_files__free(files);
	elf_files__free(NULL);
}

static void test_failures(void **state)
{
	struct elf_files *files = elf_files__new();
	char path[] = "/tmp/memleakd-elffile-XXXXXX";
	struct mapping m;
	struct elf_file *f;
	int fd, err = 0;

	(void)state;
	assert_non_null(files);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	m = mapping_of(path);
	/* Not an ELF file: an entry, no symbols, the reason kept. */
	f = elf_files__get(files, 0, &m, &err);
	assert_non_null(f);
	assert_null(elf_file__syms(f));
	assert_true(f->syms_err < 0);
	/* A file that cannot be opened is not remembered: a later try may succeed. */
	unlink(path);
	m = mapping_of(path);
	m.inode = 12345;
	err = 0;
	assert_null(elf_files__get(files, 0, &m, &err));
	check_eq(err, -ENOENT);
	check_eq(elf_files__nr(files), 1);
	elf_files__free(files);
}

/*
 * The attach path is memleakd's own descriptor, /proc/self/fd/N, and only
 * for the identity expected; a file renamed over the mapped one between
 * the maps reading and the open is refused.
 */
static void test_attach_path(void **state)
{
	struct elf_files *files = elf_files__new();
	char a[] = "/tmp/memleakd-elffile-a-XXXXXX", b[] = "/tmp/memleakd-elffile-b-XXXXXX";
	char path[ATTACH_PATH_MAX], want[ATTACH_PATH_MAX];
	char null_dev[] = "/dev/null";
	struct mapping ma, mb, mn;
	int fa, fb, fn, err = 0;

	(void)state;
	assert_non_null(files);
	fa = mkstemp(a);
	fb = mkstemp(b);
	assert_true(fa >= 0 && fb >= 0);
	ma = mapping_of(a);
	mb = mapping_of(b);
	check_eq(attach_path__build(fa, ma.dev, ma.inode, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fa);
	assert_string_equal(path, want);
	assert_true(attach_path__is(path, ma.dev, ma.inode));
	assert_false(attach_path__is(path, mb.dev, mb.inode));
	/* Another file's descriptor, a closed one: refused. */
	check_eq(attach_path__build(fb, ma.dev, ma.inode, path, sizeof(path)), -ESTALE);
	check_eq(attach_path__build(-1, ma.dev, ma.inode, path, sizeof(path)), -EBADF);
	check_eq(attach_path__build(fa, ma.dev, ma.inode, path, 8), -ENAMETOOLONG);
	/* Not a regular file. */
	mn = mapping_of(null_dev);
	fn = open(null_dev, O_RDONLY | O_CLOEXEC);
	assert_true(fn >= 0);
	check_eq(attach_path__build(fn, mn.dev, mn.inode, path, sizeof(path)), -ESTALE);
	close(fn);
	/* b renamed over a after a's identity was read: the cache refuses it. */
	assert_int_equal(rename(b, a), 0);
	assert_null(elf_files__get(files, 0, &ma, &err));
	check_eq(err, -ESTALE);
	check_eq(elf_files__nr(files), 0);
	/* Under its own identity it opens. */
	mb.path = a;
	assert_non_null(elf_files__get(files, 0, &mb, &err));
	close(fa);
	close(fb);
	unlink(a);
	elf_files__free(files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_once_per_file),
	    cmocka_unit_test(test_failures),
	    cmocka_unit_test(test_attach_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
