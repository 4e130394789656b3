// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/PID/maps parsing (src/procmaps.h): fields, odd text, long paths,
 * malformed and unsorted input, lookups and this process's own maps. The
 * input is untrusted in production (memleakd runs as root on other users'
 * processes).
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
#include "elf_fixture.h"

#include "procmaps.h"

static void expect_maps_invalid(const char *text)
{
	struct procmaps *pm = (struct procmaps *)0x1;
	int ret = procmaps__parse(text, strlen(text), &pm);

	if (ret != -EINVAL)
		fail_msg("procmaps__parse returned %d, want -EINVAL, for:\n%s", ret, text);
	/* On failure the output is left alone (nothing to free). */
	assert_ptr_equal(pm, (struct procmaps *)0x1);
}

static const char sample_maps[] =
    "00400000-00452000 r-xp 00000000 08:02 173521         /usr/bin/dbus-daemon\n"
    "00651000-00652000 r--p 00051000 08:02 173521         /usr/bin/dbus-daemon\n"
    "00e03000-00e24000 rw-p 00000000 00:00 0         [heap]\n"
    "7f0000000000-7f0000004000 r-xp 00002000 fd:01 42         /opt/my app/lib thing.so\n"
    "7f0000004000-7f0000005000 r-xp 00000000 fd:01 43         /tmp/gone.so (deleted)\n"
    "7f0000006000-7f0000007000 rw-p 00000000 00:00 0 \n"
    "7f0000007000-7f0000008000 rw-s 00000000 00:05 1234         /dev/zero (deleted)\n"
    "7f0000009000-7f000000a000 rw-p 00000000 00:00 0\n"
    "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0         [stack]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0         [vsyscall]";

static void test_maps_parse_fields(void **state)
{
	struct procmaps *pm;
	const struct mapping *m;

	(void)state;
	pm = parse_maps(sample_maps);
	check_eq(pm->nr, 10);

	m = &pm->maps[0];
	check_hex(m->start, 0x400000);
	check_hex(m->end, 0x452000);
	check_hex(m->pgoff, 0);
	check_eq(m->dev, makedev(8, 2));
	check_eq(m->inode, 173521);
	assert_true(m->exec);
	assert_false(m->deleted);
	check_str(m->path, "/usr/bin/dbus-daemon");
	assert_true(mapping__is_file(m));

	m = &pm->maps[1];
	check_hex(m->pgoff, 0x51000);
	assert_false(m->exec);

	m = &pm->maps[2];
	check_str(m->path, "[heap]");
	check_eq(m->inode, 0);
	assert_false(mapping__is_file(m));

	/* Spaces inside a path are part of it; only the padding before it is not. */
	m = &pm->maps[3];
	check_hex(m->start, 0x7f0000000000);
	check_hex(m->pgoff, 0x2000);
	check_eq(m->dev, makedev(0xfd, 1));
	check_str(m->path, "/opt/my app/lib thing.so");
	assert_true(mapping__is_file(m));

	m = &pm->maps[4];
	assert_true(m->deleted);
	check_str(m->path, "/tmp/gone.so");
	check_eq(m->inode, 43);

	/* Anonymous, with and without the kernel's trailing blank. */
	check_str(pm->maps[5].path, "");
	assert_false(pm->maps[5].deleted);
	assert_false(mapping__is_file(&pm->maps[5]));
	check_str(pm->maps[7].path, "");

	/* Shared memory shows up as a deleted /dev/zero. */
	assert_true(pm->maps[6].deleted);
	check_str(pm->maps[6].path, "/dev/zero");

	check_str(pm->maps[8].path, "[stack]");
	/* The top of the 64-bit range parses (no overflow in the end address). */
	check_hex(pm->maps[9].start, 0xffffffffff600000ULL);
	assert_true(pm->maps[9].exec);
	procmaps__free(pm);
}

static void test_maps_parse_edge_text(void **state)
{
	struct procmaps *pm;

	(void)state;
	/* Empty text: no mappings, not an error. */
	pm = parse_maps("");
	check_eq(pm->nr, 0);
	assert_null(procmaps__find(pm, 0x1000));
	procmaps__free(pm);

	/* Blank lines and a trailing newline are skipped. */
	pm = parse_maps("\n1000-2000 r-xp 00000000 08:01 5 /a\n\n3000-4000 r--p 0 08:01 5 /a\n\n");
	check_eq(pm->nr, 2);
	procmaps__free(pm);

	/* A path that is just " (deleted)"-like but is a real name stays as it is. */
	pm = parse_maps("1000-2000 r-xp 00000000 08:01 5 /x/(deleted)\n");
	check_str(pm->maps[0].path, "/x/(deleted)");
	assert_false(pm->maps[0].deleted);
	procmaps__free(pm);

	procmaps__free(NULL);
}

/*
 * The fixed fields fit any buffer, but a path may be up to PATH_MAX long.
 * Results are copied out before checking, so a failure leaks nothing (the
 * san- build would otherwise bury the message under leak reports).
 */
static void test_maps_long_path(void **state)
{
	char path[1200], text[1400], got[1400];
	struct procmaps *pm;
	bool deleted;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	strcpy(path + sizeof(path) - 1 - strlen("/libfoo.so"), "/libfoo.so");

	snprintf(text, sizeof(text), "1000-2000 r-xp 00000000 08:01 5     %s\n", path);
	pm = parse_maps(text);
	snprintf(got, sizeof(got), "%s", pm->maps[0].path);
	procmaps__free(pm);
	if (strcmp(got, path))
		fail_msg("a %zu-byte path came back as %zu bytes ending in \"%s\"", strlen(path),
			 strlen(got), got + (strlen(got) > 20 ? strlen(got) - 20 : 0));

	/* ... and its " (deleted)" suffix is still recognised at the far end. */
	snprintf(text, sizeof(text), "1000-2000 r-xp 00000000 08:01 5     %s (deleted)\n", path);
	pm = parse_maps(text);
	snprintf(got, sizeof(got), "%s", pm->maps[0].path);
	deleted = pm->maps[0].deleted;
	procmaps__free(pm);
	assert_true(deleted);
	check_str(got, path);
}

static void test_maps_malformed(void **state)
{
	static const char *const bad[] = {
	    "hello\n",
	    "00400000 r-xp 00000000 08:02 1 /x\n",
	    "00400000-00452000\n",
	    "00400000-00452000 r-xp\n",
	    "00400000-00452000 r-xp 00000000 08:02\n",
	    "zz-00452000 r-xp 00000000 08:02 1 /x\n",
	    "00452000-00400000 r-xp 00000000 08:02 1 /x\n", /* end before start */
	    "00400000-00400000 r-xp 00000000 08:02 1 /x\n", /* empty */
	    "00400000-00452000 r-x 00000000 08:02 1 /x\n",  /* three perms */
	    "00400000-00452000 r-xpp 00000000 08:02 1 /x\n",
	    "00400000-00452000 r-xp 00000000 0802 1 /x\n",
	    " \n",
	    /* A good line followed by a bad one: all or nothing (and no leak). */
	    "1000-2000 r-xp 00000000 08:01 5 /a\n3000-4000 nonsense\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_maps_invalid(bad[i]);
}

static void test_maps_unsorted(void **state)
{
	(void)state;
	/* The kernel prints maps in address order: anything else is not a maps file. */
	expect_maps_invalid("3000-4000 r-xp 00000000 08:01 5 /a\n"
			    "1000-2000 r-xp 00000000 08:01 5 /a\n");
	/* Overlapping. */
	expect_maps_invalid("1000-3000 r-xp 00000000 08:01 5 /a\n"
			    "2000-4000 r-xp 00000000 08:01 5 /a\n");
	/* Adjacent is fine. */
	procmaps__free(parse_maps("1000-2000 r-xp 0 08:01 5 /a\n2000-3000 r-xp 0 08:01 5 /a\n"));
}

static void test_maps_find(void **state)
{
	struct procmaps *pm, empty = {0};
	const struct mapping *m;

	(void)state;
	pm = parse_maps("1000-2000 r-xp 0 08:01 5 /a\n"
			"2000-3000 r--p 0 08:01 5 /a\n"
			"5000-6000 rw-p 0 00:00 0 [heap]\n");
	/* Start inclusive, end exclusive. */
	m = procmaps__find(pm, 0x1000);
	assert_ptr_equal(m, &pm->maps[0]);
	assert_ptr_equal(procmaps__find(pm, 0x1fff), &pm->maps[0]);
	assert_ptr_equal(procmaps__find(pm, 0x2000), &pm->maps[1]);
	assert_ptr_equal(procmaps__find(pm, 0x2fff), &pm->maps[1]);
	assert_null(procmaps__find(pm, 0x3000)); /* gap */
	assert_null(procmaps__find(pm, 0x4fff));
	assert_ptr_equal(procmaps__find(pm, 0x5000), &pm->maps[2]);
	assert_ptr_equal(procmaps__find(pm, 0x5fff), &pm->maps[2]);
	assert_null(procmaps__find(pm, 0x6000));
	assert_null(procmaps__find(pm, 0xfff));
	assert_null(procmaps__find(pm, 0));
	assert_null(procmaps__find(pm, UINT64_MAX));
	assert_null(procmaps__find(NULL, 0x1000));
	assert_null(procmaps__find(&empty, 0x1000));
	procmaps__free(pm);
}

static void test_maps_read_self(void **state)
{
	uintptr_t anchor = (uintptr_t)&symtest_anchor;
	struct procmaps *pm = NULL;
	const struct mapping *m;
	long pid_max = 4194304;
	char path[64], *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	check_eq(procmaps__read(getpid(), &pm), 0);
	assert_true(pm->nr > 3);
	m = procmaps__find(pm, anchor);
	assert_non_null(m);
	assert_true(m->exec);
	assert_true(mapping__is_file(m));
	check_str(strrchr(m->path, '/') + 1, self_exe_basename());
	procmaps__free(pm);

	/* A pid above pid_max never exists. */
	f = fopen("/proc/sys/kernel/pid_max", "r");
	if (f) {
		if (fscanf(f, "%ld", &pid_max) != 1)
			pid_max = 4194304;
		fclose(f);
	}
	pm = NULL;
	check_eq(procmaps__read((int)pid_max + 1, &pm), -ENOENT);
	assert_null(pm);

	snprintf(path, sizeof(path), "/proc/%d/no-such-file", getpid());
	check_eq(read_proc_file(path, &text, &len), -ENOENT);
	/* /proc files report size 0: the whole text must still come back, terminated. */
	check_eq(read_proc_file("/proc/self/maps", &text, &len), 0);
	assert_true(len > 0);
	check_eq(text[len], '\0');
	check_eq(strlen(text), len);
	free(text);
}

/* A mapping map_files cannot open (nothing is mapped at 0x1000): only the fallback can. */
static struct mapping unmapped_mapping(const char *path, const struct stat *st)
{
	struct mapping m = {.start = 0x1000, .end = 0x2000, .exec = true};

	m.dev = st->st_dev;
	m.inode = st->st_ino;
	m.path = (char *)path;
	return m;
}

/* The path fallback of mapping__open: the same device and inode, a regular file, no hang. */
static void test_mapping_open_fallback(void **state)
{
	char dir[] = "/tmp/memleakd-mapopen-XXXXXX", path[128], fifo[128];
	int same, other_dev, fifo_fd;
	struct mapping m;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lib.so", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	write_file(path, "ELF?", 4);
	assert_int_equal(stat(path, &st), 0);
	m = unmapped_mapping(path, &st);
	same = mapping__open(getpid(), &m);
	/* Same inode number on another device: another file. */
	m.dev = makedev(major(st.st_dev) + 1, minor(st.st_dev));
	other_dev = mapping__open(getpid(), &m);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(stat(fifo, &st), 0);
	m = unmapped_mapping(fifo, &st);
	alarm(30);
	fifo_fd = mapping__open(getpid(), &m);
	alarm(0);
	unlink(fifo);
	unlink(path);
	rmdir(dir);

	if (same < 0)
		fail_msg("mapping__open(%s): %s", path, strerror(-same));
	close(same);
	if (other_dev >= 0)
		fail_msg("the same inode on another device was opened");
	check_eq(other_dev, -ESTALE);
	if (fifo_fd >= 0)
		fail_msg("a FIFO was opened as a mapped file");
}

/*
 * Audit finding 2 (procmaps half): a process chrooted into a directory
 * holding an absolute symlink to a host file with the mapped inode. The
 * path resolves inside its root, where that host file does not exist.
 */
static void test_mapping_open_symlink_stays_in_root(void **state)
{
	char top[] = "/tmp/memleakd-maproot-XXXXXX", root[128], host[128], link_path[160];
	int ready[2], fd, status;
	struct mapping m;
	struct stat st;
	pid_t child;
	char byte;

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(root, sizeof(root), "%s/root", top);
	snprintf(host, sizeof(host), "%s/host.so", top);
	assert_int_equal(mkdir(root, 0755), 0);
	write_file(host, "ELF?", 4);
	assert_int_equal(stat(host, &st), 0);
	snprintf(link_path, sizeof(link_path), "%s/lib.so", root);
	assert_int_equal(symlink(host, link_path), 0);
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		byte = chroot(root) ? 'n' : 'y';
		if (write(ready[1], &byte, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(ready[0], &byte, 1) != 1)
		byte = 'n';
	fd = -ENOENT;
	if (byte == 'y') {
		m = unmapped_mapping("/lib.so", &st);
		fd = mapping__open(child, &m);
	}
	/* Clean up before judging: a failed check must not leave the child behind. */
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	close(ready[0]);
	close(ready[1]);
	unlink(link_path);
	unlink(host);
	rmdir(root);
	rmdir(top);
	if (byte != 'y')
		skip(); /* chroot needs root */
	if (fd >= 0)
		fail_msg("/lib.so in the chroot opened the host's %s", host);
	check_eq(fd, -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_maps_parse_fields),
	    cmocka_unit_test(test_maps_parse_edge_text),
	    cmocka_unit_test(test_maps_long_path),
	    cmocka_unit_test(test_maps_malformed),
	    cmocka_unit_test(test_maps_unsorted),
	    cmocka_unit_test(test_maps_find),
	    cmocka_unit_test(test_maps_read_self),
	    cmocka_unit_test(test_mapping_open_fallback),
	    cmocka_unit_test(test_mapping_open_symlink_stays_in_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
