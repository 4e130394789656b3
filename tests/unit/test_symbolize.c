// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Address -> symbol: /proc/PID/maps parsing (src/procmaps.h), ELF symbol
 * tables (src/elfsyms.h) and the symbolizer that joins them
 * (src/symbolize.h). The ELF and maps inputs are untrusted in production
 * (memleakd runs as root on other users' binaries), so malformed input is
 * tested as seriously as well-formed input; run the san- build to catch
 * out-of-bounds reads that do not crash.
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

#include "checks.h"

#include "elfsyms.h"
#include "procmaps.h"
#include "symbolize.h"

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

static const char *symfix_path(void)
{
	static char path[PATH_MAX];
	const char *build = getenv("BUILD");

	snprintf(path, sizeof(path), "%s/fixtures/libsymfix.so", build && *build ? build : "build");
	return path;
}

static void require_symfix(void)
{
	if (access(symfix_path(), R_OK))
		fail_msg("%s is missing: run 'make %s' first", symfix_path(), symfix_path());
}

static char *read_whole_file(const char *path, size_t *len)
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

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	if (len && write(fd, data, len) != (ssize_t)len)
		fail_msg("write %s: %s", path, strerror(errno));
	close(fd);
}

static const char *self_exe_basename(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	const char *slash;

	assert_true(n > 0);
	path[n] = '\0';
	slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The load bias of the object that contains addr (0 for a non-PIE executable). */
static uint64_t load_bias_of(const void *addr)
{
	struct link_map *map = NULL;
	Dl_info info;

	if (!dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP) || !map)
		fail_msg("dladdr1(%p) found no object", addr);
	return (uint64_t)map->l_addr;
}

/* ===== (a) /proc/PID/maps ================================================ */

static struct procmaps *parse_maps(const char *text)
{
	struct procmaps *pm = NULL;
	int ret = procmaps__parse(text, strlen(text), &pm);

	if (ret)
		fail_msg("procmaps__parse returned %d for:\n%s", ret, text);
	assert_non_null(pm);
	return pm;
}

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

/* ===== (b) ELF symbols ==================================================== */

static void check_build_id(const char *id)
{
	size_t i, len = strlen(id);

	if (len < 16 || len % 2)
		fail_msg("build id \"%s\": want an even number (>= 16) of hex digits", id);
	for (i = 0; i < len; i++)
		if (!strchr("0123456789abcdef", id[i]))
			fail_msg("build id \"%s\": '%c' is not a lowercase hex digit", id, id[i]);
}

static void test_elf_self(void **state)
{
	struct elf_syms *syms;
	struct elf_sym_info info;
	const char *name = NULL;
	uint64_t offset = 0, file_off = 0, vaddr = 0;

	(void)state;
	syms = elf_syms__load("/proc/self/exe");
	if (!syms)
		fail_msg("elf_syms__load(/proc/self/exe): %s", strerror(errno));
	assert_true(elf_syms__count(syms) > 10);

	check_eq(elf_syms__find(syms, "symtest_anchor", &info), 0);
	check_str(info.name, "symtest_anchor");
	assert_true(info.size > 8);
	assert_false(info.ifunc);
	/* In a PIE, the symbol value is the runtime address minus the load bias. */
	check_hex(info.vaddr, (uintptr_t)&symtest_anchor - load_bias_of((void *)&symtest_anchor));

	/* Inside the function: its name and the distance from its start. */
	check_eq(elf_syms__lookup(syms, info.vaddr + 3, &name, &offset), 0);
	check_str(name, "symtest_anchor");
	check_hex(offset, 3);
	check_eq(elf_syms__lookup(syms, info.vaddr, &name, &offset), 0);
	check_hex(offset, 0);
	check_eq(elf_syms__lookup(syms, info.vaddr + info.size - 1, &name, &offset), 0);
	check_str(name, "symtest_anchor");
	check_hex(offset, info.size - 1);

	/* vaddr -> file offset -> vaddr is the identity inside a loaded segment. */
	check_eq(elf_syms__vaddr_to_offset(syms, info.vaddr + 3, &file_off), 0);
	check_eq(elf_syms__offset_to_vaddr(syms, file_off, &vaddr), 0);
	check_hex(vaddr, info.vaddr + 3);

	check_eq(elf_syms__find(syms, "no_such_function_here", &info), -ENOENT);
	check_eq(elf_syms__lookup(syms, 0, &name, &offset), -ENOENT);
	check_eq(elf_syms__vaddr_to_offset(syms, UINT64_MAX - 1, &file_off), -ENOENT);
	check_eq(elf_syms__offset_to_vaddr(syms, UINT64_MAX - 1, &vaddr), -ENOENT);

	/* gcc on Debian links with --build-id. */
	check_build_id(elf_syms__build_id(syms));
	elf_syms__free(syms);
	elf_syms__free(NULL);
}

static void test_elf_symfix(void **state)
{
	static const char *const names[] = {"symfix_alpha", "symfix_beta", "symfix_gamma"};
	struct elf_sym_info info[3], dummy;
	struct elf_syms *syms, *self;
	const char *name = NULL;
	uint64_t offset, file_off, vaddr, bias;
	void *handle;
	size_t i;

	(void)state;
	require_symfix();
	syms = elf_syms__load(symfix_path());
	if (!syms)
		fail_msg("elf_syms__load(%s): %s", symfix_path(), strerror(errno));

	handle = dlopen(symfix_path(), RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		fail_msg("dlopen: %s", dlerror());
	for (i = 0; i < 3; i++) {
		void *addr = dlsym(handle, names[i]);

		assert_non_null(addr);
		if (elf_syms__find(syms, names[i], &info[i]))
			fail_msg("%s not found in %s", names[i], symfix_path());
		check_str(info[i].name, names[i]);
		assert_true(info[i].size > 8);
		bias = load_bias_of(addr);
		/* What the dynamic linker made of the symbol is what we read. */
		check_hex(info[i].vaddr, (uintptr_t)addr - bias);

		check_eq(elf_syms__lookup(syms, info[i].vaddr + 5, &name, &offset), 0);
		check_str(name, names[i]);
		check_hex(offset, 5);
		check_eq(elf_syms__lookup(syms, info[i].vaddr + info[i].size - 1, &name, &offset),
			 0);
		check_str(name, names[i]);

		check_eq(elf_syms__vaddr_to_offset(syms, info[i].vaddr, &file_off), 0);
		check_eq(elf_syms__offset_to_vaddr(syms, file_off, &vaddr), 0);
		check_hex(vaddr, info[i].vaddr);
	}
	/*
	 * The fixture aligns gamma, leaving padding after beta that no symbol
	 * covers: one past a sized function is not that function any more.
	 */
	if (info[2].vaddr <= info[1].vaddr + info[1].size)
		fail_msg("fixture: no padding between symfix_beta (%#" PRIx64 "+%" PRIu64
			 ") and symfix_gamma (%#" PRIx64 ")",
			 info[1].vaddr, info[1].size, info[2].vaddr);
	if (!elf_syms__lookup(syms, info[1].vaddr + info[1].size, &name, &offset))
		fail_msg("lookup one past symfix_beta (size %" PRIu64 ") gave %s+%#" PRIx64
			 ", want -ENOENT",
			 info[1].size, name, offset);
	/* The data symbol is not a function. */
	check_eq(elf_syms__find(syms, "symfix_sink", &dummy), -ENOENT);

	check_build_id(elf_syms__build_id(syms));
	self = elf_syms__load("/proc/self/exe");
	assert_non_null(self);
	if (!strcmp(elf_syms__build_id(self), elf_syms__build_id(syms)))
		fail_msg("the library and the executable have the same build id %s",
			 elf_syms__build_id(syms));
	elf_syms__free(self);
	elf_syms__free(syms);
	dlclose(handle);
}

static void test_elf_ifunc(void **state)
{
	struct elf_sym_info info;
	struct elf_syms *libc;
	Dl_info dl;

	(void)state;
	/*
	 * libc's malloc is a plain function; on x86-64 glibc, strlen is an IFUNC.
	 * libc is found through a function no sanitizer runtime intercepts.
	 */
	if (!dladdr((void *)&gnu_get_libc_version, &dl) || !dl.dli_fname)
		fail_msg("cannot find the file of gnu_get_libc_version");
	libc = elf_syms__load(dl.dli_fname);
	if (!libc)
		fail_msg("elf_syms__load(%s): %s", dl.dli_fname, strerror(errno));
	if (strstr(dl.dli_fname, "libc.so")) {
		check_eq(elf_syms__find(libc, "malloc", &info), 0);
		assert_false(info.ifunc);
#if defined(__x86_64__)
		check_eq(elf_syms__find(libc, "strlen", &info), 0);
		assert_true(info.ifunc);
#endif
	}
	elf_syms__free(libc);
}

static void test_elf_not_elf(void **state)
{
	(void)state;
	errno = 0;
	assert_null(elf_syms__load("/nonexistent/file.so"));
	check_eq(errno, ENOENT);
	errno = 0;
	assert_null(elf_syms__load("/dev/null"));
	assert_true(errno != 0);
	errno = 0;
	assert_null(elf_syms__load("/"));
	assert_true(errno != 0);
	assert_null(elf_syms__load("/proc/self/maps"));
}

/* ===== (c) the symbolizer ================================================= */

static void test_symbolizer_dlopen(void **state)
{
	struct elf_sym_info alpha_info;
	struct symbolizer *s;
	struct elf_syms *syms;
	struct frame f;
	void *handle, *beta, *alpha;
	uint64_t addr;

	(void)state;
	require_symfix();
	handle = dlopen(symfix_path(), RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		fail_msg("dlopen: %s", dlerror());
	beta = dlsym(handle, "symfix_beta");
	alpha = dlsym(handle, "symfix_alpha");
	assert_non_null(beta);
	assert_non_null(alpha);
	syms = elf_syms__load(symfix_path());
	assert_non_null(syms);
	check_eq(elf_syms__find(syms, "symfix_alpha", &alpha_info), 0);

	s = symbolizer__new();
	assert_non_null(s);
	check_eq(symbolizer__refresh(s, getpid()), 0);

	/* A return address 5 bytes in: the call instruction before it is in beta. */
	addr = (uintptr_t)beta + 5;
	symbolizer__resolve(s, getpid(), addr, 1, &f);
	check_hex(f.addr, addr);
	check_str(f.symbol, "symfix_beta");
	check_hex(f.offset, 5);
	check_str(f.module, "libsymfix.so");
	check_str(f.build_id, elf_syms__build_id(syms));

	/* Not a return address: the byte itself is looked up. */
	symbolizer__resolve(s, getpid(), (uintptr_t)beta, 0, &f);
	check_str(f.symbol, "symfix_beta");
	check_hex(f.offset, 0);

	/*
	 * A call as the last instruction of alpha returns to the first byte after
	 * it: as a return address that is still alpha (at offset == size).
	 */
	addr = (uintptr_t)alpha + alpha_info.size;
	symbolizer__resolve(s, getpid(), addr, 1, &f);
	check_str(f.symbol, "symfix_alpha");
	check_hex(f.offset, alpha_info.size);

	elf_syms__free(syms);
	symbolizer__destroy(s);
	dlclose(handle);
	symbolizer__destroy(NULL);
}

static void test_symbolizer_self_exe(void **state)
{
	struct symbolizer *s = symbolizer__new();
	uint64_t addr = (uintptr_t)&symtest_anchor + 2;
	struct frame f;

	(void)state;
	assert_non_null(s);
	check_eq(symbolizer__refresh(s, getpid()), 0);
	symbolizer__resolve(s, getpid(), addr, 1, &f);
	check_str(f.symbol, "symtest_anchor");
	check_hex(f.offset, 2);
	check_str(f.module, self_exe_basename());
	check_build_id(f.build_id);

	/* The module must not depend on the maps it came from: forget, and it is unknown. */
	symbolizer__forget(s, getpid());
	symbolizer__resolve(s, getpid(), addr, 1, &f);
	assert_null(f.symbol);
	assert_null(f.module);
	symbolizer__forget(s, getpid()); /* twice is harmless */
	symbolizer__destroy(s);
}

static void test_symbolizer_unmapped(void **state)
{
	struct symbolizer *s = symbolizer__new();
	struct frame f;

	(void)state;
	assert_non_null(s);
	check_eq(symbolizer__refresh(s, getpid()), 0);
	/* Below mmap_min_addr: never mapped. */
	symbolizer__resolve(s, getpid(), 0x10, 1, &f);
	check_hex(f.addr, 0x10);
	assert_null(f.symbol);
	assert_null(f.module);
	check_str(f.build_id, "");
	symbolizer__resolve(s, getpid(), 0, 1, &f);
	assert_null(f.symbol);
	assert_null(f.module);
	/* Kernel addresses never appear in a user maps file. */
	symbolizer__resolve(s, getpid(), 0xffff888000000000ULL, 1, &f);
	assert_null(f.module);
	/* A pid never refreshed. */
	symbolizer__resolve(s, 999999999, (uintptr_t)&symtest_anchor, 1, &f);
	assert_null(f.symbol);
	assert_null(f.module);
	symbolizer__destroy(s);
}

/* Synthetic maps: modules that cannot be opened and anonymous regions give module-only frames. */
static void test_symbolizer_synthetic_maps(void **state)
{
	struct symbolizer *s = symbolizer__new();
	struct procmaps *pm;
	char buf[128];
	struct frame f;

	(void)state;
	assert_non_null(s);
	pm = parse_maps("10000-20000 r-xp 00001000 08:01 99 /nonexistent/dir/libfake.so\n"
			"30000-40000 rw-p 00000000 00:00 0 [heap]\n"
			"50000-60000 r-xp 00000000 00:00 0 [anon:jit]\n");
	check_eq(symbolizer__set_maps(s, 4242, pm), 0);

	/* An unreadable file: the module name and the file offset (pgoff counted). */
	symbolizer__resolve(s, 4242, 0x10010, 1, &f);
	assert_null(f.symbol);
	check_str(f.module, "libfake.so");
	check_hex(f.offset, 0x1010);
	check_str(f.build_id, "");
	check_str(frame__format(&f, FRAME_FULL, buf, sizeof(buf)), "libfake.so+0x1010");
	check_str(frame__format(&f, FRAME_NAME, buf, sizeof(buf)), "libfake.so+0x1010");

	symbolizer__resolve(s, 4242, 0x30020, 1, &f);
	assert_null(f.symbol);
	check_str(f.module, "[heap]");
	check_hex(f.offset, 0x20);

	symbolizer__resolve(s, 4242, 0x50008, 0, &f);
	check_str(f.module, "[anon:jit]");
	check_hex(f.offset, 0x8);

	/* The return-address rule picks the mapping of addr - 1: the end belongs to it. */
	symbolizer__resolve(s, 4242, 0x20000, 1, &f);
	check_str(f.module, "libfake.so");
	symbolizer__resolve(s, 4242, 0x20000, 0, &f);
	assert_null(f.module);

	/* New maps for the same pid replace the old ones. */
	pm = parse_maps("10000-20000 r-xp 00000000 00:00 0 [anon:other]\n");
	check_eq(symbolizer__set_maps(s, 4242, pm), 0);
	symbolizer__resolve(s, 4242, 0x10010, 1, &f);
	check_str(f.module, "[anon:other]");
	symbolizer__resolve(s, 4242, 0x30020, 1, &f);
	assert_null(f.module);
	symbolizer__destroy(s);
}

/*
 * An unnamed anonymous mapping (JIT code, a custom allocator's arena) has
 * path "". The frame formats documented in symbolize.h are "sym+0x..",
 * "module+0x..", "0x..." and "[unknown]": never a bare "+0x10".
 */
static void test_symbolizer_unnamed_anonymous(void **state)
{
	struct symbolizer *s = symbolizer__new();
	char full[64], name[64], module[64];
	struct frame f;

	(void)state;
	assert_non_null(s);
	check_eq(symbolizer__set_maps(s, 4242, parse_maps("50000-60000 r-xp 00000000 00:00 0 \n")),
		 0);
	symbolizer__resolve(s, 4242, 0x50010, 1, &f);
	assert_null(f.symbol);
	frame__format(&f, FRAME_FULL, full, sizeof(full));
	frame__format(&f, FRAME_NAME, name, sizeof(name));
	/* f.module points into the maps: report before destroying would be use-after-free. */
	snprintf(module, sizeof(module), "%s", f.module ? f.module : "NULL");
	symbolizer__destroy(s);
	if (full[0] == '+' || name[0] == '+')
		fail_msg("frame in an unnamed anonymous mapping formats as \"%s\" / \"%s\""
			 " (module \"%s\"): a frame name with no name",
			 full, name, module);
}

/* Symbols stay resolvable after the process is gone (its last maps are kept). */
static void test_symbolizer_exited_process(void **state)
{
	struct symbolizer *s = symbolizer__new();
	uint64_t addr = (uintptr_t)&symtest_anchor + 4;
	struct frame f;
	pid_t child;
	int status;

	(void)state;
	assert_non_null(s);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	check_eq(symbolizer__refresh(s, child), 0);
	kill(child, SIGKILL);
	check_eq(waitpid(child, &status, 0), child);

	/* Gone: refresh fails and the old maps stay. */
	assert_true(symbolizer__refresh(s, child) < 0);
	symbolizer__resolve(s, child, addr, 1, &f);
	check_str(f.symbol, "symtest_anchor");
	check_hex(f.offset, 4);
	check_str(f.module, self_exe_basename());
	symbolizer__destroy(s);
}

/*
 * Between its exit and its parent's wait, a process is a zombie: it has no
 * address space and /proc/PID/maps reads as empty (no error). That is "gone"
 * too, so the maps kept from before must survive a refresh in that window,
 * or the final report of a process that just exited loses its symbols.
 */
static void test_symbolizer_zombie_process(void **state)
{
	struct symbolizer *s = symbolizer__new();
	uint64_t addr = (uintptr_t)&symtest_anchor + 4;
	char symbol[64], module[PATH_MAX];
	struct procmaps *pm = NULL;
	siginfo_t info;
	struct frame f;
	size_t nr_maps;
	pid_t child;
	int status;

	(void)state;
	assert_non_null(s);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	check_eq(symbolizer__refresh(s, child), 0);
	kill(child, SIGKILL);
	/* Wait for the exit but leave the child unreaped: a zombie. */
	memset(&info, 0, sizeof(info));
	check_eq(waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT), 0);
	check_eq(procmaps__read(child, &pm), 0);
	nr_maps = pm->nr;
	procmaps__free(pm);

	(void)symbolizer__refresh(s, child);
	symbolizer__resolve(s, child, addr, 1, &f);
	snprintf(symbol, sizeof(symbol), "%s", f.symbol ? f.symbol : "NULL");
	snprintf(module, sizeof(module), "%s", f.module ? f.module : "NULL");
	symbolizer__destroy(s);
	check_eq(waitpid(child, &status, 0), child);
	if (strcmp(symbol, "symtest_anchor"))
		fail_msg("after a refresh of the zombie (its maps: %zu lines), %#" PRIx64
			 " resolves to %s in %s, want symtest_anchor in %s",
			 nr_maps, addr, symbol, module, self_exe_basename());
}

/* A library whose file was deleted after loading: map_files still reaches it. */
static void test_symbolizer_deleted_library(void **state)
{
	char dir[] = "/tmp/memleakd-symtest-XXXXXX", path[PATH_MAX], mf[128];
	struct procmaps *pm;
	const struct mapping *m;
	struct symbolizer *s;
	size_t len;
	char *image;
	void *handle, *gamma;
	struct frame f;
	int fd;

	(void)state;
	require_symfix();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/libsymfix-del.so", dir);
	image = read_whole_file(symfix_path(), &len);
	write_file(path, image, len);
	free(image);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		fail_msg("dlopen %s: %s", path, dlerror());
	gamma = dlsym(handle, "symfix_gamma");
	assert_non_null(gamma);
	check_eq(unlink(path), 0);
	check_eq(rmdir(dir), 0);

	s = symbolizer__new();
	check_eq(symbolizer__refresh(s, getpid()), 0);
	symbolizer__resolve(s, getpid(), (uintptr_t)gamma + 3, 1, &f);
	check_str(f.module, "libsymfix-del.so");

	/*
	 * Opening map_files needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE); the
	 * fallback path no longer exists. Only with access are symbols found.
	 */
	check_eq(procmaps__read(getpid(), &pm), 0);
	m = procmaps__find(pm, (uintptr_t)gamma);
	assert_non_null(m);
	assert_true(m->deleted);
	snprintf(mf, sizeof(mf), "/proc/self/map_files/%" PRIx64 "-%" PRIx64, m->start, m->end);
	procmaps__free(pm);
	fd = open(mf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		check_str(f.symbol, "symfix_gamma");
		check_hex(f.offset, 3);
	} else {
		print_message("(no access to map_files: %s; only the module name is checked)\n",
			      strerror(errno));
	}
	symbolizer__destroy(s);
	dlclose(handle);
}

static void test_frame_format(void **state)
{
	const struct frame known = {.addr = 0x55550000101aULL,
				    .symbol = "leak_inner",
				    .offset = 0x1a,
				    .module = "app",
				    .build_id = "ab"};
	const struct frame no_module = {.addr = 0x1000, .symbol = "orphan", .offset = 0};
	const struct frame module_only = {
	    .addr = 0x7f0000001234ULL, .offset = 0x1234, .module = "libfoo.so", .build_id = ""};
	const struct frame unknown = {
	    .addr = 0x7f0012345678ULL, .offset = 0x7f0012345678ULL, .build_id = ""};
	char buf[128], small[8];

	(void)state;
	check_str(frame__format(&known, FRAME_FULL, buf, sizeof(buf)), "leak_inner+0x1a (app)");
	check_str(frame__format(&known, FRAME_NAME, buf, sizeof(buf)), "leak_inner");
	check_str(frame__format(&no_module, FRAME_FULL, buf, sizeof(buf)), "orphan+0x0 (?)");
	check_str(frame__format(&module_only, FRAME_FULL, buf, sizeof(buf)), "libfoo.so+0x1234");
	check_str(frame__format(&module_only, FRAME_NAME, buf, sizeof(buf)), "libfoo.so+0x1234");
	check_str(frame__format(&unknown, FRAME_FULL, buf, sizeof(buf)), "0x7f0012345678");
	check_str(frame__format(&unknown, FRAME_NAME, buf, sizeof(buf)), "[unknown]");
	/* Truncated, still terminated, and the buffer is what comes back. */
	assert_ptr_equal(frame__format(&known, FRAME_FULL, small, sizeof(small)), small);
	check_str(small, "leak_in");
}

/* ===== (d) untrusted ELF files ============================================ */

struct scratch {
	char dir[64];
	char path[128];
	unsigned int nr_loaded, nr_rejected;
};

/* Every query on whatever was loaded; only a crash or a sanitizer report fails. */
static void poke(struct elf_syms *syms)
{
	static const uint64_t addrs[] = {
	    0,	    1,	    0x1000,	    0x1119,	    0x1153,
	    0x1200, 0x4000, UINT64_MAX / 2, UINT64_MAX - 1, UINT64_MAX};
	struct elf_sym_info info;
	const char *name, *id;
	uint64_t off, v;
	size_t i;

	(void)elf_syms__count(syms);
	id = elf_syms__build_id(syms);
	assert_non_null(id);
	assert_true(strlen(id) <= 128);
	if (!elf_syms__find(syms, "symfix_alpha", &info)) {
		assert_non_null(info.name);
		(void)elf_syms__lookup(syms, info.vaddr, &name, &off);
	}
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		if (!elf_syms__lookup(syms, addrs[i], &name, &off)) {
			assert_non_null(name);
			assert_true(off <= addrs[i]);
		}
		(void)elf_syms__vaddr_to_offset(syms, addrs[i], &v);
		(void)elf_syms__offset_to_vaddr(syms, addrs[i], &v);
	}
}

static void try_load(struct scratch *sc, const char *what, const void *data, size_t len)
{
	struct elf_syms *syms;
	int fd;

	write_file(sc->path, data, len);
	errno = 0;
	syms = elf_syms__load(sc->path);
	if (syms) {
		sc->nr_loaded++;
		poke(syms);
		elf_syms__free(syms);
	} else {
		sc->nr_rejected++;
		if (!errno)
			fail_msg("%s: NULL without errno", what);
	}
	/* The fd variant on the same bytes, and the caller's fd stays open. */
	fd = open(sc->path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	syms = elf_syms__load_fd(fd);
	if (syms) {
		poke(syms);
		elf_syms__free(syms);
	}
	if (fcntl(fd, F_GETFD) < 0)
		fail_msg("%s: elf_syms__load_fd closed the caller's fd", what);
	close(fd);
}

static void scratch_open(struct scratch *sc)
{
	memset(sc, 0, sizeof(*sc));
	strcpy(sc->dir, "/tmp/memleakd-elftest-XXXXXX");
	assert_non_null(mkdtemp(sc->dir));
	snprintf(sc->path, sizeof(sc->path), "%s/victim.so", sc->dir);
}

static void scratch_close(struct scratch *sc)
{
	unlink(sc->path);
	if (rmdir(sc->dir))
		fail_msg("rmdir %s: %s (leftover files?)", sc->dir, strerror(errno));
}

static void test_untrusted_garbage(void **state)
{
	unsigned char junk[8192];
	uint64_t rng = 0x1234567;
	struct scratch sc;
	size_t i;

	(void)state;
	scratch_open(&sc);
	try_load(&sc, "empty file", "", 0);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rng_next(&rng);
	try_load(&sc, "random bytes", junk, sizeof(junk));
	/* Random bytes behind a valid-looking ELF64 identification. */
	memcpy(junk,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	memset(junk + 7, 0, 9);
	try_load(&sc, "ELF magic + random", junk, sizeof(junk));
	try_load(&sc, "ELF magic only", junk, 4);
	try_load(&sc, "ELF ident only", junk, 16);
	/* A 32-bit class header with random fields. */
	junk[4] = 1;
	try_load(&sc, "ELF32 + random", junk, sizeof(junk));
	check_eq(sc.nr_loaded + sc.nr_rejected, 6);
	assert_true(sc.nr_rejected >= 3); /* at least empty, random and magic-only */
	scratch_close(&sc);
}

static void test_untrusted_truncated(void **state)
{
	struct scratch sc;
	char what[64];
	size_t len, cut;
	char *image;

	(void)state;
	require_symfix();
	image = read_whole_file(symfix_path(), &len);
	scratch_open(&sc);
	try_load(&sc, "cut at 64", image, 64);
	try_load(&sc, "cut at 200", image, 200);
	try_load(&sc, "cut at half", image, len / 2);
	try_load(&sc, "cut one short", image, len - 1);
	/* Every 97 bytes: a cut through each header, table and string section. */
	for (cut = 1; cut < len; cut += 97) {
		snprintf(what, sizeof(what), "cut at %zu", cut);
		try_load(&sc, what, image, cut);
	}
	/* The intact copy loads and still has its functions. */
	{
		struct elf_syms *syms;
		struct elf_sym_info info;

		write_file(sc.path, image, len);
		syms = elf_syms__load(sc.path);
		assert_non_null(syms);
		check_eq(elf_syms__find(syms, "symfix_beta", &info), 0);
		elf_syms__free(syms);
	}
	free(image);
	scratch_close(&sc);
}

/* Returns the section header i of a 64-bit image, or NULL when it lies outside. */
static Elf64_Shdr *shdr_at(char *image, size_t len, size_t i)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
	uint64_t off = eh->e_shoff + i * sizeof(Elf64_Shdr);

	if (eh->e_shoff == 0 || off + sizeof(Elf64_Shdr) > len)
		return NULL;
	return (Elf64_Shdr *)(image + off);
}

static void test_untrusted_corrupted_headers(void **state)
{
	static const uint64_t bad_offsets[] = {1, 63, 0x7fffffff, 0xffffffffffff0000ULL,
					       UINT64_MAX};
	struct scratch sc;
	char *image, *copy, what[96];
	size_t len, i, sec, nr_sec;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;

	(void)state;
	require_symfix();
	image = read_whole_file(symfix_path(), &len);
	copy = malloc(len);
	assert_non_null(copy);
	eh = (Elf64_Ehdr *)image;
	assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
	check_eq(eh->e_ident[EI_CLASS], ELFCLASS64);
	nr_sec = eh->e_shnum;
	scratch_open(&sc);

	/* The section header table offset: misaligned, overlapping, past the end. */
	for (i = 0; i < sizeof(bad_offsets) / sizeof(bad_offsets[0]); i++) {
		memcpy(copy, image, len);
		((Elf64_Ehdr *)copy)->e_shoff = bad_offsets[i];
		snprintf(what, sizeof(what), "e_shoff %#" PRIx64, bad_offsets[i]);
		try_load(&sc, what, copy, len);
	}
	memcpy(copy, image, len);
	((Elf64_Ehdr *)copy)->e_shoff = len - 10;
	try_load(&sc, "e_shoff 10 bytes before the end", copy, len);
	memcpy(copy, image, len);
	((Elf64_Ehdr *)copy)->e_shnum = 0xffff;
	try_load(&sc, "e_shnum 0xffff", copy, len);
	memcpy(copy, image, len);
	((Elf64_Ehdr *)copy)->e_shstrndx = 0xfffe;
	try_load(&sc, "e_shstrndx 0xfffe", copy, len);
	memcpy(copy, image, len);
	((Elf64_Ehdr *)copy)->e_shentsize = 3;
	try_load(&sc, "e_shentsize 3", copy, len);
	memcpy(copy, image, len);
	((Elf64_Ehdr *)copy)->e_phoff = 0xffffffffffff0000ULL;
	try_load(&sc, "e_phoff huge", copy, len);
	memcpy(copy, image, len);
	((Elf64_Ehdr *)copy)->e_phnum = 0xffff;
	try_load(&sc, "e_phnum 0xffff", copy, len);

	/* Every field that sizes or locates data, in every section. */
	for (sec = 1; sec < nr_sec; sec++) {
		static const char *const fields[] = {
		    "sh_offset huge",	"sh_offset past end", "sh_size huge",
		    "sh_size past end", "sh_link bogus",      "sh_entsize 1",
		    "sh_entsize huge",	"sh_type SYMTAB",     "sh_type NOTE"};
		size_t field;

		for (field = 0; field < sizeof(fields) / sizeof(fields[0]); field++) {
			memcpy(copy, image, len);
			sh = shdr_at(copy, len, sec);
			assert_non_null(sh);
			switch (field) {
			case 0:
				sh->sh_offset = 0xfffffffffff00000ULL;
				break;
			case 1:
				sh->sh_offset = len - 8;
				break;
			case 2:
				sh->sh_size = 0xfffffffffff00000ULL;
				break;
			case 3:
				sh->sh_size = len - sh->sh_offset + 100;
				break;
			case 4:
				sh->sh_link = 0xffff;
				break;
			case 5:
				sh->sh_entsize = 1;
				break;
			case 6:
				sh->sh_entsize = 0xffffffffULL;
				break;
			case 7:
				sh->sh_type = SHT_SYMTAB;
				break;
			case 8:
				sh->sh_type = SHT_NOTE;
				break;
			}
			snprintf(what, sizeof(what), "section %zu: %s", sec, fields[field]);
			try_load(&sc, what, copy, len);
		}
		/* Notes with impossible name and descriptor sizes. */
		memcpy(copy, image, len);
		sh = shdr_at(copy, len, sec);
		if (sh->sh_type == SHT_NOTE && sh->sh_offset + 12 <= len) {
			uint32_t *note = (uint32_t *)(copy + sh->sh_offset);

			note[1] = 0xfffffff0; /* n_descsz */
			try_load(&sc, "note descsz huge", copy, len);
			note[1] = 200;
			try_load(&sc, "note descsz > MAX_BUILD_ID", copy, len);
			note[0] = 0xfffffff0; /* n_namesz */
			try_load(&sc, "note namesz huge", copy, len);
		}
	}
	free(copy);
	free(image);
	scratch_close(&sc);
}

/* Byte flips in the headers and tables of a valid library. */
static void test_untrusted_bit_flips(void **state)
{
	uint64_t rng = 0xfeedface;
	struct scratch sc;
	char *image, *copy, what[64];
	size_t len, round, k;

	(void)state;
	require_symfix();
	image = read_whole_file(symfix_path(), &len);
	copy = malloc(len);
	assert_non_null(copy);
	scratch_open(&sc);
	for (round = 0; round < 400; round++) {
		Elf64_Ehdr *eh;
		size_t flips = 1 + rng_next(&rng) % 8;

		memcpy(copy, image, len);
		eh = (Elf64_Ehdr *)image;
		for (k = 0; k < flips; k++) {
			size_t pos;
			uint64_t r = rng_next(&rng);

			/* Half in the ELF and program headers, half in the section headers. */
			if (r & 1 || eh->e_shoff >= len)
				pos = (size_t)(r >> 8) % (len < 1024 ? len : 1024);
			else
				pos = (size_t)(eh->e_shoff + (r >> 8) % (len - eh->e_shoff));
			copy[pos] ^= (char)(1u << ((r >> 4) & 7));
		}
		snprintf(what, sizeof(what), "flip round %zu", round);
		try_load(&sc, what, copy, len);
	}
	free(copy);
	free(image);
	scratch_close(&sc);
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
	    cmocka_unit_test(test_elf_self),
	    cmocka_unit_test(test_elf_symfix),
	    cmocka_unit_test(test_elf_ifunc),
	    cmocka_unit_test(test_elf_not_elf),
	    cmocka_unit_test(test_symbolizer_dlopen),
	    cmocka_unit_test(test_symbolizer_self_exe),
	    cmocka_unit_test(test_symbolizer_unmapped),
	    cmocka_unit_test(test_symbolizer_synthetic_maps),
	    cmocka_unit_test(test_symbolizer_unnamed_anonymous),
	    cmocka_unit_test(test_symbolizer_exited_process),
	    cmocka_unit_test(test_symbolizer_zombie_process),
	    cmocka_unit_test(test_symbolizer_deleted_library),
	    cmocka_unit_test(test_frame_format),
	    cmocka_unit_test(test_untrusted_garbage),
	    cmocka_unit_test(test_untrusted_truncated),
	    cmocka_unit_test(test_untrusted_corrupted_headers),
	    cmocka_unit_test(test_untrusted_bit_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
