// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Atomic output files (src/outfile.h): committed, aborted, checked for
 * writing, failing commits and symlinks replaced.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"
#include "snapshot_fixture.h"

#include "outfile.h"

/* --- outfile ------------------------------------------------------------------ */

struct tmpdir {
	char path[64];
};

static void tmpdir_make(struct tmpdir *d)
{
	strcpy(d->path, "/tmp/memleakd-outtest-XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

/* The names in the directory as "a,b," (readdir order), for messages and exact checks. */
static void list_dir(const struct tmpdir *d, char *out, size_t len, unsigned int *count)
{
	struct dirent *e;
	DIR *dir = opendir(d->path);

	assert_non_null(dir);
	out[0] = '\0';
	*count = 0;
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		(*count)++;
		strncat(out, e->d_name, len - strlen(out) - 1);
		strncat(out, ",", len - strlen(out) - 1);
	}
	closedir(dir);
}

static void expect_dir(const struct tmpdir *d, const char *only_name)
{
	unsigned int count;
	char names[1024], want[256];

	list_dir(d, names, sizeof(names), &count);
	if (only_name) {
		snprintf(want, sizeof(want), "%s,", only_name);
		if (count != 1 || strcmp(names, want))
			fail_msg("%s holds \"%s\", want just \"%s\"", d->path, names, only_name);
	} else if (count) {
		fail_msg("%s holds \"%s\", want nothing", d->path, names);
	}
}

static char *slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	check_eq(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
}

static void tmpdir_remove(struct tmpdir *d, const char *const *names)
{
	char path[PATH_MAX];

	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/%s", d->path, *names);
		unlink(path);
	}
	if (rmdir(d->path))
		fail_msg("rmdir %s: %s", d->path, strerror(errno));
}

static void test_outfile_commit(void **state)
{
	struct tmpdir d;
	char path[128];
	struct outfile *f;
	unsigned int count;
	char names[512];
	int old_fd;

	(void)state;
	tmpdir_make(&d);
	snprintf(path, sizeof(path), "%s/leaks.folded", d.path);

	f = outfile__begin(path);
	assert_non_null(f);
	fputs("first version\n", outfile__stream(f));
	/* Until commit, the target does not exist; only the temporary file does. */
	assert_int_equal(access(path, F_OK), -1);
	list_dir(&d, names, sizeof(names), &count);
	check_eq(count, 1);
	check_eq(strncmp(names, "leaks.folded.", strlen("leaks.folded.")), 0);
	check_eq(outfile__commit(f), 0);
	check_str(slurp(path), "first version\n");
	expect_dir(&d, "leaks.folded");

	/* A reader of the old version keeps it whole while the new one replaces it. */
	old_fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(old_fd >= 0);
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("second, longer version\n", outfile__stream(f));
	check_str(slurp(path), "first version\n");
	check_eq(outfile__commit(f), 0);
	check_str(slurp(path), "second, longer version\n");
	{
		char buf[64] = "";

		check_eq(read(old_fd, buf, sizeof(buf) - 1), 14);
		check_str(buf, "first version\n");
	}
	close(old_fd);
	expect_dir(&d, "leaks.folded");
	tmpdir_remove(&d, (const char *const[]){"leaks.folded", NULL});
}

static void test_outfile_abort(void **state)
{
	struct tmpdir d;
	char path[128];
	struct outfile *f;

	(void)state;
	tmpdir_make(&d);
	snprintf(path, sizeof(path), "%s/out", d.path);
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("never seen\n", outfile__stream(f));
	outfile__abort(f);
	expect_dir(&d, NULL);

	/* An abort leaves the previous version alone. */
	put(path, "kept\n");
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("dropped\n", outfile__stream(f));
	outfile__abort(f);
	check_str(slurp(path), "kept\n");
	expect_dir(&d, "out");
	outfile__abort(NULL);
	tmpdir_remove(&d, (const char *const[]){"out", NULL});
}

static void test_outfile_check_writable(void **state)
{
	struct tmpdir d;
	char path[128];

	(void)state;
	tmpdir_make(&d);
	snprintf(path, sizeof(path), "%s/no/such/dir/out.folded", d.path);
	check_eq(outfile__check_writable(path), -ENOENT);
	check_eq(outfile__begin(path) == NULL, 1);

	/* The directory itself is not a file to replace. */
	check_eq(outfile__check_writable(d.path), -EISDIR);

	/* A fine path: nothing is left behind, an existing file is not touched. */
	snprintf(path, sizeof(path), "%s/out.folded", d.path);
	check_eq(outfile__check_writable(path), 0);
	expect_dir(&d, NULL);
	put(path, "existing\n");
	check_eq(outfile__check_writable(path), 0);
	check_str(slurp(path), "existing\n");
	expect_dir(&d, "out.folded");
	tmpdir_remove(&d, (const char *const[]){"out.folded", NULL});
}

static void test_outfile_commit_fails(void **state)
{
	struct tmpdir d;
	char path[128], inner[160];
	struct outfile *f;

	(void)state;
	tmpdir_make(&d);
	/* The target is a non-empty directory: the rename fails, no temporary stays. */
	snprintf(path, sizeof(path), "%s/target", d.path);
	check_eq(mkdir(path, 0755), 0);
	snprintf(inner, sizeof(inner), "%s/keep", path);
	put(inner, "x");
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("data\n", outfile__stream(f));
	assert_true(outfile__commit(f) < 0);
	expect_dir(&d, "target");
	check_str(slurp(inner), "x");
	unlink(inner);
	rmdir(path);
	tmpdir_remove(&d, (const char *const[]){NULL});
}

static void test_outfile_replaces_symlink(void **state)
{
	struct tmpdir d;
	char path[128], victim[128], dangling[128];
	struct outfile *f;
	struct stat st;

	(void)state;
	tmpdir_make(&d);
	/* Someone planted out.folded -> victim: the link is replaced, victim untouched. */
	snprintf(path, sizeof(path), "%s/out.folded", d.path);
	snprintf(victim, sizeof(victim), "%s/victim", d.path);
	put(victim, "precious\n");
	check_eq(symlink(victim, path), 0);

	check_eq(outfile__check_writable(path), 0);
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("stacks 1\n", outfile__stream(f));
	check_eq(outfile__commit(f), 0);
	check_eq(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	check_str(slurp(path), "stacks 1\n");
	check_str(slurp(victim), "precious\n");

	/* A dangling link: the file it names must not be created. */
	unlink(path);
	snprintf(dangling, sizeof(dangling), "%s/created-through-link", d.path);
	check_eq(symlink(dangling, path), 0);
	f = outfile__begin(path);
	assert_non_null(f);
	fputs("stacks 2\n", outfile__stream(f));
	check_eq(outfile__commit(f), 0);
	check_eq(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	check_str(slurp(path), "stacks 2\n");
	assert_int_equal(access(dangling, F_OK), -1);
	tmpdir_remove(&d, (const char *const[]){"out.folded", "victim", NULL});
}

/* The mode of a committed file under umask mask. */
static mode_t mode_under_umask(const struct tmpdir *d, mode_t mask)
{
	char path[128];
	struct outfile *f;
	struct stat st;
	mode_t saved = umask(mask);

	snprintf(path, sizeof(path), "%s/leaks.svg", d->path);
	f = outfile__begin(path);
	umask(saved);
	assert_non_null(f);
	fputs("x\n", outfile__stream(f));
	check_eq(outfile__commit(f), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Output files honour the umask (0666 & ~umask), like any file a tool creates. */
static void test_outfile_mode_follows_umask(void **state)
{
	struct tmpdir d;

	(void)state;
	tmpdir_make(&d);
	check_hex(mode_under_umask(&d, 077), 0600);
	check_hex(mode_under_umask(&d, 022), 0644);
	check_hex(mode_under_umask(&d, 027), 0640);
	tmpdir_remove(&d, (const char *const[]){"leaks.svg", NULL});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outfile_commit),
	    cmocka_unit_test(test_outfile_abort),
	    cmocka_unit_test(test_outfile_check_writable),
	    cmocka_unit_test(test_outfile_commit_fails),
	    cmocka_unit_test(test_outfile_replaces_symlink),
	    cmocka_unit_test(test_outfile_mode_follows_umask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
