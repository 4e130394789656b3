// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The symbolizer (src/symbolize.h), which joins maps and ELF symbols: this
 * process, dlopen'd and deleted libraries, exited and zombie processes,
 * separate debug files (build-id directory, .gnu_debuglink, MiniDebugInfo)
 * and frame formatting.
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
#include "symbolize.h"

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

/* A forked child resolves through its parent's maps, even once the child is gone; a shared file
 * cache serves both. */
static void test_symbolizer_inherit(void **state)
{
	struct elf_files *files = elf_files__new();
	struct symbolizer *s = symbolizer__new();
	uint64_t addr = (uintptr_t)&symtest_anchor + 2;
	const int child = 0x7ffffff0; /* never a live pid here */
	struct frame f;

	(void)state;
	assert_non_null(files);
	assert_non_null(s);
	symbolizer__use_files(s, files);
	check_eq(symbolizer__inherit(s, getpid(), child), -ENOENT); /* the parent has none yet */
	check_eq(symbolizer__refresh(s, getpid()), 0);
	assert_true(elf_files__nr(files) > 0); /* read through the shared cache */
	check_eq(symbolizer__inherit(s, getpid(), child), 0);
	/* The copy is the child's own: the parent's maps may go. */
	symbolizer__forget(s, getpid());
	symbolizer__resolve(s, child, addr, 1, &f);
	check_str(f.symbol, "symtest_anchor");
	check_hex(f.offset, 2);
	symbolizer__destroy(s);
	elf_files__free(files);
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

/* PIDs no process has (above PID_MAX_LIMIT): lookups in /proc for them fail at once. */
#define NO_PID_BASE 5000000
#define INDEX_PIDS  300

/* Maps of one executable mapping at 0x10000, of file /nonexistent/m<tag> (inode tag + 1). */
static struct procmaps *tagged_maps(int tag)
{
	char line[128];

	snprintf(line, sizeof(line), "10000-20000 r-xp 00000000 08:01 %d /nonexistent/m%d\n",
		 tag + 1, tag);
	return parse_maps(line);
}

/* Each pid resolves through its own maps (model: the tag of each, -1 for none). */
static void check_procs(struct symbolizer *s, const int *model)
{
	char want[32];
	struct frame f;
	int i;

	for (i = 0; i < INDEX_PIDS; i++) {
		symbolizer__resolve(s, NO_PID_BASE + i, 0x10010, 0, &f);
		if (model[i] < 0) {
			assert_null(f.module);
			continue;
		}
		snprintf(want, sizeof(want), "m%d", model[i]);
		check_str(f.module, want);
	}
}

/* Random set_maps, inherit and forget against a plain array of what each pid maps. */
static void test_symbolizer_proc_index(void **state)
{
	struct symbolizer *s = symbolizer__new();
	int model[INDEX_PIDS], step, pid, other, tag = 0;
	uint64_t rng = 22;

	(void)state;
	assert_non_null(s);
	for (pid = 0; pid < INDEX_PIDS; pid++)
		model[pid] = -1;
	for (step = 0; step < 5000; step++) {
		pid = (int)(rng_next(&rng) % INDEX_PIDS);
		other = (int)(rng_next(&rng) % INDEX_PIDS);
		switch (rng_next(&rng) % 3) {
		case 0:
			/* Modules are shared by several pids. */
			model[pid] = tag++ % 50;
			check_eq(
			    symbolizer__set_maps(s, NO_PID_BASE + pid, tagged_maps(model[pid])), 0);
			break;
		case 1:
			check_eq(symbolizer__inherit(s, NO_PID_BASE + other, NO_PID_BASE + pid),
				 model[other] < 0 ? -ENOENT : 0);
			if (model[other] >= 0)
				model[pid] = model[other];
			break;
		default:
			symbolizer__forget(s, NO_PID_BASE + pid);
			model[pid] = -1;
		}
		if (step % 101 == 0)
			check_procs(s, model);
	}
	check_procs(s, model);
	symbolizer__destroy(s);
}

#define MANY_PIDS      60000
#define FRAMES_PER_PID 40

/*
 * System-wide: tens of thousands of processes, each with its own module,
 * and every frame looks up its process and its module. By pid and by
 * (device, inode) this takes seconds; walking every process and every
 * module per frame takes minutes (the alarm ends the test).
 */
static void test_symbolizer_many_procs(void **state)
{
	struct symbolizer *s = symbolizer__new();
	char want[32];
	struct frame f;
	int pid, i;

	(void)state;
	assert_non_null(s);
	alarm(60);
	for (pid = 0; pid < MANY_PIDS; pid++)
		check_eq(symbolizer__set_maps(s, NO_PID_BASE + pid, tagged_maps(pid)), 0);
	for (pid = 0; pid < MANY_PIDS; pid++) {
		snprintf(want, sizeof(want), "m%d", pid);
		for (i = 0; i < FRAMES_PER_PID; i++) {
			symbolizer__resolve(s, NO_PID_BASE + pid, 0x10010 + (uint64_t)i, 0, &f);
			check_str(f.module, want);
		}
	}
	alarm(0);
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

static void *open_variant(const char *name)
{
	const char *build = getenv("BUILD");
	char path[4096];
	void *lib;

	snprintf(path, sizeof(path), "%s/fixtures/%s", build && *build ? build : "build", name);
	lib = dlopen(path, RTLD_NOW);
	if (!lib)
		fail_msg("dlopen %s: %s (run 'make unit-tests')", path, dlerror());
	return lib;
}

static void *hidden_address(void *lib)
{
	void *(*getter)(void) = (void *(*)(void))dlsym(lib, "symfix_hidden_address");

	if (!getter)
		fail_msg("symfix_hidden_address missing: %s", dlerror());
	return getter();
}

/* Resolves the hidden function of a variant with the given debug dir: its outermost frame. */
static struct frame resolve_variant(const char *variant, const char *debug_dir,
				    struct symbolizer **keep)
{
	struct symbolizer *s = symbolizer__new();
	void *lib = open_variant(variant);
	struct frame f[SYMBOLIZER_MAX_INLINE];
	size_t nr;

	assert_non_null(s);
	check_eq(symbolizer__set_debug_dir(s, debug_dir), 0);
	check_eq(symbolizer__refresh(s, getpid()), 0);
	nr = symbolizer__resolve_frames(s, getpid(), (uint64_t)(uintptr_t)hidden_address(lib) + 4,
					1, f, SYMBOLIZER_MAX_INLINE);
	assert_true(nr >= 1);
	*keep = s;
	return f[nr - 1];
}

static const char *resolve_hidden(const char *debug_dir, struct symbolizer **keep)
{
	return resolve_variant("libsymfix-stripped.so", debug_dir, keep).symbol;
}

static void test_local_symbol_from_debuglink(void **state)
{
	struct symbolizer *s;
	struct frame f;

	(void)state;
	/* No build-id directory: only the debuglink next to the library can name it. */
	f = resolve_variant("libsymfix-debuglink.so", "/nonexistent", &s);
	assert_non_null(f.symbol);
	assert_string_equal(f.symbol, "symfix_hidden");
	/* The debug file's DWARF gives the source line too. */
	assert_non_null(f.file);
	assert_non_null(strstr(f.file, "symfix.c"));
	assert_true(f.line > 0);
	symbolizer__destroy(s);
}

static void test_debuglink_crc_mismatch(void **state)
{
	struct symbolizer *s;
	struct frame f;

	(void)state;
	/* The debug file changed after linking: a stale file must not lend its names. */
	f = resolve_variant("libsymfix-badlink.so", "/nonexistent", &s);
	if (f.symbol && !strcmp(f.symbol, "symfix_hidden"))
		fail_msg("a debuglink file with the wrong CRC was used");
	symbolizer__destroy(s);
}

static void test_local_symbol_from_minidebuginfo(void **state)
{
	struct symbolizer *s;
	struct frame f;

	(void)state;
	f = resolve_variant("libsymfix-mini.so", "/nonexistent", &s);
	assert_non_null(f.symbol);
	assert_string_equal(f.symbol, "symfix_hidden");
	symbolizer__destroy(s);
}

static void test_local_symbol_from_debug_file(void **state)
{
	const char *build = getenv("BUILD");
	struct symbolizer *s;
	char dir[4096];
	const char *name;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fixtures/debug", build && *build ? build : "build");
	name = resolve_hidden(dir, &s);
	if (!name || strcmp(name, "symfix_hidden"))
		fail_msg("with debug dir %s: got %s, want symfix_hidden", dir,
			 name ? name : "NULL");
	symbolizer__destroy(s);
}

static void test_no_debug_file_no_local_symbol(void **state)
{
	struct symbolizer *s;
	const char *name;

	(void)state;
	name = resolve_hidden("/nonexistent-debug-dir", &s);
	if (name && !strcmp(name, "symfix_hidden"))
		fail_msg("the stripped library named symfix_hidden without its debug file");
	symbolizer__destroy(s);
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
	    cmocka_unit_test(test_symbolizer_dlopen),
	    cmocka_unit_test(test_symbolizer_self_exe),
	    cmocka_unit_test(test_symbolizer_inherit),
	    cmocka_unit_test(test_symbolizer_unmapped),
	    cmocka_unit_test(test_symbolizer_synthetic_maps),
	    cmocka_unit_test(test_symbolizer_proc_index),
	    cmocka_unit_test(test_symbolizer_many_procs),
	    cmocka_unit_test(test_symbolizer_unnamed_anonymous),
	    cmocka_unit_test(test_symbolizer_exited_process),
	    cmocka_unit_test(test_symbolizer_zombie_process),
	    cmocka_unit_test(test_symbolizer_deleted_library),
	    cmocka_unit_test(test_frame_format),
	    cmocka_unit_test(test_local_symbol_from_debug_file),
	    cmocka_unit_test(test_no_debug_file_no_local_symbol),
	    cmocka_unit_test(test_local_symbol_from_debuglink),
	    cmocka_unit_test(test_debuglink_crc_mismatch),
	    cmocka_unit_test(test_local_symbol_from_minidebuginfo),
	    cmocka_unit_test(test_frame_format_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
