// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Allocator providers (src/provider.h): the files a process maps that define
 * malloc, with the file offset of each entry point, and the dynamic loader's
 * debugger hook. Checked on this process's own maps (libc, ld.so) and on
 * fixtures mapped into it (a static glibc program, a static musl program, a
 * program with no allocator, a file that is not ELF), against offsets read
 * independently through src/elfsyms.h and the loader's own _r_debug.
 *
 * The files are opened through /proc/PID/map_files, which needs
 * CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE): without it those tests skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"
#include "elf_fixture.h"

#include "elfsyms.h"
#include "procmaps.h"
#include "provider.h"

/* --- a file mapped into this process, described as a maps line would ------- */

struct mapped {
	void *addr;
	size_t len;
	char path[PATH_MAX]; /* absolute, as in a maps line */
	struct mapping m;
	struct procmaps pm;
};

static void map_file(struct mapped *mp, const char *path)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size > 0);
	mp->len = ((size_t)st.st_size + (size_t)page - 1) & ~((size_t)page - 1);
	/* Read-only is enough: map_files gives the file whatever the protection. */
	mp->addr = mmap(NULL, mp->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(mp->addr != MAP_FAILED);
	if (!realpath(path, mp->path))
		fail_msg("realpath %s: %s", path, strerror(errno));
	mp->m = (struct mapping){.start = (uint64_t)(uintptr_t)mp->addr,
				 .end = (uint64_t)(uintptr_t)mp->addr + mp->len,
				 .dev = st.st_dev,
				 .inode = (uint64_t)st.st_ino,
				 .exec = true,
				 .path = mp->path};
	mp->pm = (struct procmaps){.maps = &mp->m, .nr = 1};
}

static void unmap_file(struct mapped *mp)
{
	munmap(mp->addr, mp->len);
}

/*
 * Skips the test when this process may not open its own /proc/PID/map_files
 * entries. Called first, before the test allocates: skip() does not return.
 */
static void require_map_files(void)
{
	struct procmaps *pm;
	char path[96];
	int fd;

	size_t i;

	check_eq(procmaps__read(getpid(), &pm), 0);
	/* A file's mapping: only those have a map_files entry (ASan's shadow comes first). */
	for (i = 0; i < pm->nr && !mapping__is_file(&pm->maps[i]); i++)
		;
	assert_true(i < pm->nr);
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)getpid(),
		 pm->maps[i].start, pm->maps[i].end);
	procmaps__free(pm);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		print_message("skipped: %s needs CAP_SYS_ADMIN\n", path);
		skip();
	}
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	close(fd);
}

/* The file offset of name in path, read apart from the provider code. */
static uint64_t offset_of(const char *path, const char *name)
{
	struct elf_syms *syms = elf_syms__load(path);
	struct elf_sym_info info;
	uint64_t off;

	if (!syms)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	if (elf_syms__find(syms, name, &info))
		fail_msg("no %s in %s", name, path);
	check_eq(elf_syms__vaddr_to_offset(syms, info.vaddr, &off), 0);
	elf_syms__free(syms);
	return off;
}

/* This process's executable mapping of a file whose name ends with suffix. */
static const struct mapping *own_mapping(const struct procmaps *pm, const char *suffix)
{
	size_t i, n = strlen(suffix);

	for (i = 0; i < pm->nr; i++) {
		const struct mapping *m = &pm->maps[i];
		size_t len = strlen(m->path);

		if (m->exec && len >= n && !strcmp(m->path + len - n, suffix))
			return m;
	}
	fail_msg("this process maps no executable '*%s'", suffix);
	return NULL;
}

static const struct provider *provider_of(const struct providers *p, const struct mapping *m)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (p->list[i].dev == m->dev && p->list[i].inode == m->inode)
			return &p->list[i];
	return NULL;
}

/* --- tests ------------------------------------------------------------------- */

static void test_alloc_fn_names(void **state)
{
	int fn, other;

	(void)state;
	check_str(alloc_fn_names[FN_MALLOC], "malloc");
	check_str(alloc_fn_names[FN_FREE], "free");
	check_str(alloc_fn_names[FN_NEW], "_Znwm");
	check_str(alloc_fn_names[FN_DELETE], "_ZdlPv");
	for (fn = 0; fn < FN_COUNT; fn++) {
		if (!alloc_fn_names[fn] || !*alloc_fn_names[fn])
			fail_msg("entry point %d has no name", fn);
		for (other = 0; other < fn; other++)
			if (!strcmp(alloc_fn_names[fn], alloc_fn_names[other]))
				fail_msg("entry points %d and %d are both '%s'", other, fn,
					 alloc_fn_names[fn]);
		/* Only free and the deletes release a block. */
		check_eq(alloc_fn_frees(fn),
			 fn == FN_FREE || !strncmp(alloc_fn_names[fn], "_Zd", 3));
	}
}

static void test_file_set(void **state)
{
	struct file_set *set = file_set__new();
	uint64_t ino;

	(void)state;
	assert_non_null(set);
	assert_false(file_set__has(NULL, 1, 1));
	assert_false(file_set__has(set, 1, 1));
	check_eq(file_set__add(set, 1, 1), 0);
	assert_true(file_set__has(set, 1, 1));
	check_eq(file_set__add(set, 1, 1), 0); /* twice: no harm */
	/* Device and inode both count. */
	assert_false(file_set__has(set, 2, 1));
	assert_false(file_set__has(set, 1, 2));
	/* Inode 0 (no file) is never a member. */
	check_eq(file_set__add(set, 1, 0), 0);
	assert_false(file_set__has(set, 1, 0));
	/* Past the first table size and through several growths, nothing is lost. */
	for (ino = 2; ino <= 1000; ino++)
		check_eq(file_set__add(set, (dev_t)(ino % 3), ino * 7919), 0);
	assert_true(file_set__has(set, 1, 1));
	for (ino = 2; ino <= 1000; ino++) {
		if (!file_set__has(set, (dev_t)(ino % 3), ino * 7919))
			fail_msg("dev %u inode %" PRIu64 " lost", (unsigned int)(ino % 3),
				 ino * 7919);
		if (file_set__has(set, (dev_t)((ino + 1) % 3), ino * 7919))
			fail_msg("dev %u inode %" PRIu64 " found but never added",
				 (unsigned int)((ino + 1) % 3), ino * 7919);
	}
	file_set__free(set);
	file_set__free(NULL);
}

/* This process: libc is a provider, with malloc and free where its ELF says. */
static void test_own_libc(void **state)
{
	struct providers *p = NULL, *again = NULL;
	struct procmaps *pm;
	const struct mapping *libc, *self;
	const struct provider *prov;
	char want[96];
	size_t i;

	(void)state;
	require_map_files();
	check_eq(procmaps__read(getpid(), &pm), 0);
	libc = own_mapping(pm, "/libc.so.6");
	check_eq(providers__from_maps(NULL, getpid(), pm, NULL, &p), 0);
	prov = provider_of(p, libc);
	if (!prov)
		fail_msg("libc (%s) is not among the %zu providers", libc->path, p->nr);
	check_str(prov->path, libc->path);
	check_u64(prov->offsets[FN_MALLOC], offset_of(libc->path, "malloc"));
	check_u64(prov->offsets[FN_FREE], offset_of(libc->path, "free"));
	check_u64(prov->offsets[FN_CALLOC], offset_of(libc->path, "calloc"));
	/* libc has no operator new. */
	check_u64(prov->offsets[FN_NEW], PROVIDER_NO_OFFSET);
	/* The probe goes at the entry point or a few bytes past it, with a reason. */
	for (i = 0; i < FN_COUNT; i++) {
		if (prov->offsets[i] == PROVIDER_NO_OFFSET)
			continue;
		assert_true(prov->sites[i] >= prov->offsets[i]);
		assert_true(prov->sites[i] < prov->offsets[i] + PROBESITE_CODE_BYTES);
		assert_non_null(prov->site_why[i]);
	}
	/* Attached through memleakd's own descriptor of the very file read. */
	snprintf(want, sizeof(want), "/proc/self/fd/%d", prov->fd);
	check_str(prov->attach_path, want);
	assert_true(attach_path__is(prov->attach_path, libc->dev, libc->inode));
	/* Every provider defines malloc; the test program itself does not. */
	for (i = 0; i < p->nr; i++)
		assert_true(offset_of(p->list[i].path, "malloc") == p->list[i].offsets[FN_MALLOC]);
	self = procmaps__find(pm, (uint64_t)(uintptr_t)&test_own_libc);
	assert_non_null(self);
	assert_null(provider_of(p, self));
	/* Each file once, however many of its mappings are executable. */
	for (i = 0; i < p->nr; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			assert_false(p->list[i].dev == p->list[j].dev &&
				     p->list[i].inode == p->list[j].inode);
	}
	/* providers__find reads the same maps itself. */
	check_eq(providers__find(NULL, getpid(), &again), 0);
	check_eq(again->nr, p->nr);
	assert_non_null(provider_of(again, libc));
	providers__free(again);
	providers__free(p);
	providers__free(NULL);
	procmaps__free(pm);
}

/* Files found not to be providers join the skip set; a file in it is not read. */
static void test_skip_set(void **state)
{
	struct file_set *skip;
	struct providers *p = NULL;
	struct procmaps *pm;
	const struct mapping *libc, *self;

	(void)state;
	require_map_files();
	skip = file_set__new();
	assert_non_null(skip);
	check_eq(procmaps__read(getpid(), &pm), 0);
	libc = own_mapping(pm, "/libc.so.6");
	self = procmaps__find(pm, (uint64_t)(uintptr_t)&test_skip_set);
	assert_non_null(self);
	check_eq(providers__from_maps(NULL, getpid(), pm, skip, &p), 0);
	assert_non_null(provider_of(p, libc));
	assert_true(file_set__has(skip, self->dev, self->inode)); /* read, no malloc */
	assert_false(file_set__has(skip, libc->dev, libc->inode));
	providers__free(p);
	/* libc in the set: not read, so not found. */
	check_eq(file_set__add(skip, libc->dev, libc->inode), 0);
	check_eq(providers__from_maps(NULL, getpid(), pm, skip, &p), 0);
	assert_null(provider_of(p, libc));
	providers__free(p);
	file_set__free(skip);
	procmaps__free(pm);
}

/* A statically linked program is its own provider: glibc's malloc, musl's. */
static void test_static_executables(void **state)
{
	static const char *const names[] = {"lifecycle-static", "lifecycle-musl"};
	struct providers *p = NULL;
	struct mapping twice[2];
	struct procmaps pm = {.maps = twice, .nr = 2};
	struct mapped mp;
	char path[PATH_MAX];
	size_t i;

	(void)state;
	require_map_files();
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s", fixture_path(names[i]));
		map_file(&mp, path);
		check_eq(providers__from_maps(NULL, getpid(), &mp.pm, NULL, &p), 0);
		if (p->nr != 1)
			fail_msg("%s: %zu providers, want 1", names[i], p->nr);
		check_str(p->list[0].path, mp.path);
		check_u64(p->list[0].offsets[FN_MALLOC], offset_of(path, "malloc"));
		check_u64(p->list[0].offsets[FN_FREE], offset_of(path, "free"));
		check_eq(p->list[0].inode, mp.m.inode);
		providers__free(p);
		/* Listed twice (two executable mappings of one file): one provider. */
		twice[0] = twice[1] = mp.m;
		check_eq(providers__from_maps(NULL, getpid(), &pm, NULL, &p), 0);
		check_eq(p->nr, 1);
		providers__free(p);
		unmap_file(&mp);
	}
}

/* Not providers: a program without malloc (remembered), a file that is not ELF. */
static void test_not_providers(void **state)
{
	struct file_set *skip;
	struct providers *p = NULL;
	struct mapped mp;
	char path[PATH_MAX], text[] = "/tmp/memleakd-provider-XXXXXX";
	int fd;

	(void)state;
	require_map_files();
	skip = file_set__new();
	assert_non_null(skip);
	snprintf(path, sizeof(path), "%s", fixture_path("no_malloc"));
	map_file(&mp, path);
	check_eq(providers__from_maps(NULL, getpid(), &mp.pm, skip, &p), 0);
	check_eq(p->nr, 0);
	assert_true(file_set__has(skip, mp.m.dev, mp.m.inode));
	providers__free(p);
	/* Not executable: not even read. */
	file_set__free(skip);
	skip = file_set__new();
	assert_non_null(skip);
	mp.m.exec = false;
	check_eq(providers__from_maps(NULL, getpid(), &mp.pm, skip, &p), 0);
	check_eq(p->nr, 0);
	assert_false(file_set__has(skip, mp.m.dev, mp.m.inode));
	providers__free(p);
	unmap_file(&mp);

	fd = mkstemp(text);
	assert_true(fd >= 0);
	assert_true(write(fd, "malloc free\n", 12) == 12);
	close(fd);
	map_file(&mp, text);
	check_eq(providers__from_maps(NULL, getpid(), &mp.pm, skip, &p), 0);
	check_eq(p->nr, 0);
	providers__free(p);
	unmap_file(&mp);
	unlink(text);
	file_set__free(skip);
}

/* A mapping gone meanwhile is not a provider and not an error; a pid gone is. */
static void test_gone(void **state)
{
	struct providers *p = NULL;
	struct mapped mp;
	pid_t pid;

	(void)state;
	require_map_files();
	map_file(&mp, fixture_path("lifecycle-static"));
	unmap_file(&mp);
	check_eq(providers__from_maps(NULL, getpid(), &mp.pm, NULL, &p), 0);
	check_eq(p->nr, 0);
	providers__free(p);
	/* A child reaped: its pid is free (and not reused this soon). */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	p = NULL;
	if (!providers__find(NULL, pid, &p))
		fail_msg("providers__find on reaped pid %d succeeded", (int)pid);
	assert_null(p);
}

/* The loader's struct r_debug, from this executable's DT_DEBUG entry. */
static struct r_debug *dt_debug(void)
{
	const ElfW(Dyn) * d;

	for (d = _DYNAMIC; d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_DEBUG && d->d_un.d_ptr)
			return (struct r_debug *)d->d_un.d_ptr;
	fail_msg("this executable has no DT_DEBUG entry set");
	return NULL;
}

/* ld.so's _dl_debug_state, and r_state's distance from it, match this process's r_debug. */
static void test_loader_hook(void **state)
{
	struct file_set *not_loaders;
	struct loader_hook hook = {0};
	const struct mapping *ld, *self;
	struct procmaps *pm;
	uint64_t hook_addr;
	struct r_debug *r_debug;

	(void)state;
	require_map_files();
	not_loaders = file_set__new();
	assert_non_null(not_loaders);
	check_eq(procmaps__read(getpid(), &pm), 0);
	ld = own_mapping(pm, "/ld-linux-x86-64.so.2");
	check_eq(providers__find_loader(NULL, getpid(), pm, not_loaders, &hook), 0);
	check_eq(hook.inode, ld->inode);
	check_u64(hook.offset, offset_of(ld->path, "_dl_debug_state"));
	/* In memory: the executable mapping holds the hook's file offset. */
	assert_true(hook.offset >= ld->pgoff && hook.offset < ld->pgoff + (ld->end - ld->start));
	hook_addr = ld->start + (hook.offset - ld->pgoff);
	/* Where the loader says its r_debug is: the executable's DT_DEBUG, as debuggers find it. */
	r_debug = dt_debug();
	check_hex(hook_addr + (uint64_t)hook.to_state, (uint64_t)(uintptr_t)&r_debug->r_state);
	/* Files read before it that are not the loader are remembered. */
	self = procmaps__find(pm, (uint64_t)(uintptr_t)&test_loader_hook);
	assert_non_null(self);
	if (self < ld)
		assert_true(file_set__has(not_loaders, self->dev, self->inode));
	assert_false(file_set__has(not_loaders, ld->dev, ld->inode));
	/* The loader in the set: skipped, so no loader at all. */
	check_eq(file_set__add(not_loaders, ld->dev, ld->inode), 0);
	check_eq(providers__find_loader(NULL, getpid(), pm, not_loaders, &hook), -ENOENT);
	file_set__free(not_loaders);
	procmaps__free(pm);
}

/* A static musl program has no loader; it is remembered as not one. */
static void test_no_loader(void **state)
{
	struct file_set *not_loaders;
	struct loader_hook hook = {0};
	struct mapped mp;

	(void)state;
	require_map_files();
	not_loaders = file_set__new();
	assert_non_null(not_loaders);
	map_file(&mp, fixture_path("lifecycle-musl"));
	check_eq(providers__find_loader(NULL, getpid(), &mp.pm, not_loaders, &hook), -ENOENT);
	assert_true(file_set__has(not_loaders, mp.m.dev, mp.m.inode));
	/* Without a set as well. */
	check_eq(providers__find_loader(NULL, getpid(), &mp.pm, NULL, &hook), -ENOENT);
	unmap_file(&mp);
	file_set__free(not_loaders);
}

/* Maps path over mp's range (MAP_FIXED): what a target can do at any time. */
static void map_over(struct mapped *mp, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(mmap(mp->addr, mp->len, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == mp->addr);
	close(fd);
}

/*
 * Audit finding 1: the target maps another file over the range between the
 * read of its maps, the read of the file and the attach. The probes must go
 * on the file read (never on whatever map_files names by then), and a file
 * that is not the one maps named is not read as it.
 */
static void test_swapped_mapping(void **state)
{
	struct providers *p = NULL;
	struct loader_hook hook;
	struct mapped mp, other;
	struct stat st;

	(void)state;
	require_map_files();
	/* Read, then swapped before the attach: the attach path still names the file read. */
	map_file(&mp, fixture_path("lifecycle-static"));
	check_eq(providers__from_maps(NULL, getpid(), &mp.pm, NULL, &p), 0);
	check_eq(p->nr, 1);
	map_over(&mp, fixture_path("no_malloc"));
	assert_int_equal(stat(fixture_path("no_malloc"), &st), 0);
	assert_true(attach_path__is(p->list[0].attach_path, mp.m.dev, mp.m.inode));
	assert_false(attach_path__is(p->list[0].attach_path, st.st_dev, st.st_ino));
	/* Its descriptor holds it whatever happens to the mapping. */
	unmap_file(&mp);
	assert_true(attach_path__is(p->list[0].attach_path, mp.m.dev, mp.m.inode));
	providers__free(p);

	/* Swapped before the read: maps names no_malloc, the range holds a provider. */
	map_file(&other, fixture_path("no_malloc"));
	map_file(&mp, fixture_path("lifecycle-static"));
	other.m.start = mp.m.start;
	other.m.end = mp.m.end;
	other.pm.maps = &other.m;
	check_eq(providers__from_maps(NULL, getpid(), &other.pm, NULL, &p), 0);
	check_eq(p->nr, 0); /* not read as no_malloc's, not probed under its name */
	providers__free(p);
	/* The loader's hook the same way: ld.so under another file's name is no hook. */
	check_eq(providers__find_loader(NULL, getpid(), &other.pm, NULL, &hook), -ESRCH);
	unmap_file(&mp);
	unmap_file(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_fn_names),
	    cmocka_unit_test(test_file_set),
	    cmocka_unit_test(test_own_libc),
	    cmocka_unit_test(test_skip_set),
	    cmocka_unit_test(test_static_executables),
	    cmocka_unit_test(test_not_providers),
	    cmocka_unit_test(test_gone),
	    cmocka_unit_test(test_loader_hook),
	    cmocka_unit_test(test_no_loader),
	    cmocka_unit_test(test_swapped_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
