// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Debug files named by .gnu_debuglink (src/debuglink.h) and the files a
 * target names, resolved inside its root (src/rootfs.h). A directory
 * stands in for the target's root: what it holds is the target's choice
 * (absolute symlinks out of it, FIFOs, devices, sparse files of gigabytes).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>
#include <zlib.h>

#include "checks.h"

#include "debuglink.h"
#include "rootfs.h"

/* A fake root with lib/mod.so in it, and a directory outside it. */
struct fake_root {
	char top[64];	       /* holds both */
	char root[96];	       /* the target's root */
	char outside[96];      /* a host directory the target must not reach */
	char module[PATH_MAX]; /* root/lib/mod.so */
	int root_fd;
	struct stat module_st;
};

static const char debug_bytes[] = "pretend this is an ELF debug file\n";

static void make_dirs(const char *top, const char *rel)
{
	char path[PATH_MAX], *slash;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	for (slash = path + strlen(top) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
}

/* Writes data at top/rel, making the directories on the way. */
static void put_file(const char *top, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	make_dirs(top, rel);
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	if (len && write(fd, data, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

static void put_symlink(const char *top, const char *rel, const char *target)
{
	char path[PATH_MAX];

	make_dirs(top, rel);
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if (symlink(target, path))
		fail_msg("symlink %s -> %s: %s", path, target, strerror(errno));
}

static void fake_root_open(struct fake_root *fr)
{
	memset(fr, 0, sizeof(*fr));
	strcpy(fr->top, "/tmp/memleakd-debuglink-XXXXXX");
	assert_non_null(mkdtemp(fr->top));
	snprintf(fr->root, sizeof(fr->root), "%s/root", fr->top);
	snprintf(fr->outside, sizeof(fr->outside), "%s/outside", fr->top);
	assert_int_equal(mkdir(fr->root, 0755), 0);
	assert_int_equal(mkdir(fr->outside, 0755), 0);
	put_file(fr->root, "lib/mod.so", "module", 6);
	snprintf(fr->module, sizeof(fr->module), "%s/lib/mod.so", fr->root);
	assert_int_equal(stat(fr->module, &fr->module_st), 0);
	fr->root_fd = open(fr->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fr->root_fd >= 0);
}

static void fake_root_close(struct fake_root *fr)
{
	char cmd[128];

	close(fr->root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fr->top);
	if (system(cmd))
		fail_msg("%s failed", cmd);
}

static uint32_t crc_of(const void *data, size_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)len);
}

/* The query the symbolizer makes for /lib/mod.so naming mod.debug. */
static struct debuglink_query mod_query(const struct fake_root *fr)
{
	struct debuglink_query q = {
	    .module_path = "/lib/mod.so",
	    .module_dev = fr->module_st.st_dev,
	    .module_inode = fr->module_st.st_ino,
	    .name = "mod.debug",
	    .crc = crc_of(debug_bytes, sizeof(debug_bytes) - 1),
	    .debug_dir = "/usr/lib/debug",
	};

	return q;
}

/* The regular file of the right CRC is found in each place gdb looks, inside the root. */
static void test_debuglink_candidates(void **state)
{
	static const char *const places[] = {"lib/mod.debug", "lib/.debug/mod.debug",
					     "usr/lib/debug/lib/mod.debug"};
	struct debuglink_query q;
	struct fake_root fr;
	char found[PATH_MAX], want[PATH_MAX];
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		fake_root_open(&fr);
		q = mod_query(&fr);
		put_file(fr.root, places[i], debug_bytes, sizeof(debug_bytes) - 1);
		fd = debuglink__open(fr.root_fd, &q, found, sizeof(found));
		if (fd < 0)
			fail_msg("%s: %s", places[i], strerror(-fd));
		snprintf(want, sizeof(want), "/%s", places[i]);
		assert_string_equal(found, want);
		close(fd);
		/* A stale CRC: refused. */
		q.crc ^= 1;
		check_eq(debuglink__open(fr.root_fd, &q, found, sizeof(found)), -ESTALE);
		fake_root_close(&fr);
	}
}

/*
 * Audit finding 2: an absolute symlink planted in the target's tree names a
 * host file. Resolved inside the root it names nothing; plain open() on
 * "root + path" (what the lookup did) followed it onto the host file.
 */
static void test_debuglink_absolute_symlink_stays_inside(void **state)
{
	struct debuglink_query q;
	struct fake_root fr;
	char host_file[PATH_MAX], through_root[PATH_MAX], found[PATH_MAX];
	int fd;

	(void)state;
	fake_root_open(&fr);
	q = mod_query(&fr);
	put_file(fr.outside, "secret.debug", debug_bytes, sizeof(debug_bytes) - 1);
	snprintf(host_file, sizeof(host_file), "%s/secret.debug", fr.outside);
	put_symlink(fr.root, "lib/mod.debug", host_file);
	put_symlink(fr.root, "lib/.debug/mod.debug", "../../../outside/secret.debug");

	/* The fixture does escape when opened the old way. */
	snprintf(through_root, sizeof(through_root), "%s/lib/mod.debug", fr.root);
	fd = open(through_root, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);

	fd = debuglink__open(fr.root_fd, &q, found, sizeof(found));
	if (fd >= 0)
		fail_msg("the debug link left the root: %s", found);
	check_eq(fd, -ENOENT);

	/* The same link, true inside the root, is followed there. */
	put_file(fr.root, host_file, debug_bytes, sizeof(debug_bytes) - 1);
	fd = debuglink__open(fr.root_fd, &q, found, sizeof(found));
	assert_true(fd >= 0);
	assert_string_equal(found, "/lib/mod.debug");
	close(fd);
	fake_root_close(&fr);
}

/* A FIFO (or a device) as the debug file: skipped, never opened, no hang. */
static void test_debuglink_fifo_and_device(void **state)
{
	struct debuglink_query q;
	struct fake_root fr;
	char path[PATH_MAX], found[PATH_MAX];
	int fd;

	(void)state;
	fake_root_open(&fr);
	q = mod_query(&fr);
	make_dirs(fr.root, "lib/.debug/x");
	snprintf(path, sizeof(path), "%s/lib/mod.debug", fr.root);
	assert_int_equal(mkfifo(path, 0644), 0);
	/* /dev/null's numbers: opening a device is what must never happen. */
	snprintf(path, sizeof(path), "%s/lib/.debug/mod.debug", fr.root);
	if (mknod(path, S_IFCHR | 0644, makedev(1, 3)))
		fail_msg("mknod %s: %s", path, strerror(errno));
	put_file(fr.root, "usr/lib/debug/lib/mod.debug", debug_bytes, sizeof(debug_bytes) - 1);
	alarm(30); /* an open() of the FIFO would block here for good */
	fd = debuglink__open(fr.root_fd, &q, found, sizeof(found));
	alarm(0);
	assert_true(fd >= 0);
	assert_string_equal(found, "/usr/lib/debug/lib/mod.debug");
	close(fd);
	check_eq(rootfs__open_file(fr.root_fd, "/lib/mod.debug", &(struct stat){0}), -EINVAL);
	check_eq(rootfs__open_file(fr.root_fd, "/lib/.debug/mod.debug", &(struct stat){0}),
		 -EINVAL);
	fake_root_close(&fr);
}

/* An 8 GiB sparse debug file is refused from its size, not read. */
static void test_debuglink_huge_file(void **state)
{
	struct debuglink_query q;
	struct fake_root fr;
	char path[PATH_MAX], found[PATH_MAX];
	int fd;

	(void)state;
	fake_root_open(&fr);
	q = mod_query(&fr);
	/* The last candidate, so that its answer is the one returned. */
	put_file(fr.root, "usr/lib/debug/lib/mod.debug", "", 0);
	snprintf(path, sizeof(path), "%s/usr/lib/debug/lib/mod.debug", fr.root);
	if (truncate(path, 8ll << 30))
		fail_msg("truncate %s to 8 GiB: %s", path, strerror(errno));
	alarm(30); /* reading 8 GiB of zeros takes a while; refusing it does not */
	fd = debuglink__open(fr.root_fd, &q, found, sizeof(found));
	alarm(0);
	if (fd >= 0)
		fail_msg("an 8 GiB debug file was accepted");
	check_eq(fd, -EFBIG);
	fake_root_close(&fr);
}

/* The CRC is zlib's over the whole file, and stops at its size and time bounds. */
static void test_debuglink_crc_bounds(void **state)
{
	static unsigned char data[300000];
	struct fake_root fr;
	char path[PATH_MAX];
	uint32_t crc = 0;
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + (i >> 9));
	fake_root_open(&fr);
	put_file(fr.root, "data", data, sizeof(data));
	snprintf(path, sizeof(path), "%s/data", fr.root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	check_eq(debuglink__crc32(fd, sizeof(data), 60000, &crc), 0);
	check_hex(crc, crc_of(data, sizeof(data)));
	check_eq(debuglink__crc32(fd, sizeof(data) - 1, 60000, &crc), -EFBIG);
	check_eq(debuglink__crc32(fd, sizeof(data), 0, &crc), -ETIMEDOUT);
	close(fd);
	fake_root_close(&fr);
}

/* Relative escapes (..) are clamped to the root as well. */
static void test_rootfs_dotdot(void **state)
{
	struct fake_root fr;
	struct stat st;
	char rel[PATH_MAX];
	int fd;

	(void)state;
	fake_root_open(&fr);
	put_file(fr.outside, "x", "x", 1);
	check_eq(rootfs__open_file(fr.root_fd, "../outside/x", &st), -ENOENT);
	check_eq(rootfs__open_file(fr.root_fd, "/../../outside/x", &st), -ENOENT);
	snprintf(rel, sizeof(rel), "%s", "lib/mod.so");
	fd = rootfs__open_file(fr.root_fd, rel, &st);
	assert_true(fd >= 0);
	check_eq(st.st_ino, fr.module_st.st_ino);
	close(fd);
	fake_root_close(&fr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_debuglink_candidates),
	    cmocka_unit_test(test_debuglink_absolute_symlink_stays_inside),
	    cmocka_unit_test(test_debuglink_fifo_and_device),
	    cmocka_unit_test(test_debuglink_huge_file),
	    cmocka_unit_test(test_debuglink_crc_bounds),
	    cmocka_unit_test(test_rootfs_dotdot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
