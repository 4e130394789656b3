// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ELF symbol tables (src/elfsyms.h) on this binary and the symfix fixture,
 * and on untrusted files: garbage, truncations, corrupted headers and bit
 * flips must be refused or read safely (run the san- build to catch
 * out-of-bounds reads that do not crash).
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

#include "elfsyms.h"

/* The load bias of the object that contains addr (0 for a non-PIE executable). */
static uint64_t load_bias_of(const void *addr)
{
	struct link_map *map = NULL;
	Dl_info info;

	if (!dladdr1(addr, &info, (void **)&map, RTLD_DL_LINKMAP) || !map)
		fail_msg("dladdr1(%p) found no object", addr);
	return (uint64_t)map->l_addr;
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

/* ===== (e) names: shared, long, too many, versioned ======================= */

/* Audit finding 6: 100 000 symbols naming one 10 KB string hold it once, cut to 4 KiB. */
static void test_elf_shared_long_name(void **state)
{
	const char *path = fixture_path("hostile-samename.elf");
	struct elf_sym_info info;
	struct elf_syms *syms;
	const char *name;
	uint64_t offset;
	size_t len;

	(void)state;
	syms = elf_syms__load(path);
	if (!syms)
		fail_msg("elf_syms__load(%s): %s", path, strerror(errno));
	check_eq(elf_syms__count(syms), 100000);
	/* One copy of the name, not one per symbol (that was 1 GB). */
	if (elf_syms__name_bytes(syms) > 2 * (ELF_SYMS_MAX_NAME_LEN + 1))
		fail_msg("%zu bytes of names held for one shared name", elf_syms__name_bytes(syms));
	/* Symbols are still there, with the name cut at the cap. */
	check_eq(elf_syms__lookup(syms, 0x1000 + 16 * 54321 + 3, &name, &offset), 0);
	check_hex(offset, 3);
	len = strlen(name);
	check_eq(len, ELF_SYMS_MAX_NAME_LEN);
	assert_true(strspn(name, "A") == len);
	check_eq(elf_syms__find(syms, name, &info), 0);
	elf_syms__free(syms);
}

/* Distinct long names past the 64 MiB budget: the file is refused, not half read. */
static void test_elf_names_past_cap(void **state)
{
	const char *path = fixture_path("hostile-manynames.elf");
	struct elf_syms *syms;

	(void)state;
	errno = 0;
	syms = elf_syms__load(path);
	if (syms)
		fail_msg("%s loaded with %zu bytes of names (cap 64 MiB)", path,
			 elf_syms__name_bytes(syms));
	check_eq(errno, EFBIG);
}

/* The names at a library's symver_pick_v1, symver_pick_v2 and symver_plain. */
static void check_version_names(struct elf_syms *syms, const struct elf_sym_info *pick_v1,
				const struct elf_sym_info *pick_v2,
				const struct elf_sym_info *plain)
{
	struct elf_sym_info found;
	const char *name;
	uint64_t offset;

	/* The default version: no version in the name. */
	check_eq(elf_syms__lookup(syms, pick_v2->vaddr, &name, &offset), 0);
	check_str(name, "symver_pick");
	check_eq(elf_syms__lookup(syms, plain->vaddr, &name, &offset), 0);
	check_str(name, "symver_plain");
	/* The older version of the same name, elsewhere: the version tells them apart. */
	check_eq(elf_syms__lookup(syms, pick_v1->vaddr, &name, &offset), 0);
	check_str(name, "symver_pick@VERS_1");
	check_eq(elf_syms__find(syms, "symver_pick", &found), 0);
	check_hex(found.vaddr, pick_v2->vaddr);
}

/*
 * Issue 12 item 5: "name@@VER" is shown "name", as gdb and perf show it. The
 * library's .dynsym names it plainly; its debug file has only .symtab, which
 * spells the versions (libc6-dbg: "__libc_start_main@@GLIBC_2.34").
 */
static void test_elf_versioned_names(void **state)
{
	const char *lib_path = fixture_path("libsymver.so");
	const char *debug_path = fixture_path("libsymver.debug");
	struct elf_sym_info pick_v1, pick_v2, plain;
	struct elf_syms *lib, *debug;

	(void)state;
	lib = elf_syms__load(lib_path);
	debug = elf_syms__load(debug_path);
	if (!lib || !debug)
		fail_msg("elf_syms__load(%s): %s", lib ? debug_path : lib_path, strerror(errno));
	check_eq(elf_syms__find(lib, "symver_pick_v1", &pick_v1), 0);
	check_eq(elf_syms__find(lib, "symver_pick_v2", &pick_v2), 0);
	check_eq(elf_syms__find(lib, "symver_plain", &plain), 0);
	check_version_names(lib, &pick_v1, &pick_v2, &plain);
	check_version_names(debug, &pick_v1, &pick_v2, &plain);
	elf_syms__free(debug);
	elf_syms__free(lib);
}

/* libc's own debug file (libc6-dbg), when installed: __libc_start_main@@GLIBC_2.34. */
static void test_elf_libc_debug_versions(void **state)
{
	struct elf_syms *libc, *debug;
	char path[PATH_MAX];
	struct elf_sym_info info;
	const char *id, *name;
	uint64_t offset;
	Dl_info dl;

	(void)state;
	if (!dladdr((void *)&gnu_get_libc_version, &dl) || !dl.dli_fname)
		fail_msg("cannot find the file of gnu_get_libc_version");
	libc = elf_syms__load(dl.dli_fname);
	assert_non_null(libc);
	id = elf_syms__build_id(libc);
	snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%.2s/%s.debug", id,
		 strlen(id) > 2 ? id + 2 : "");
	debug = strlen(id) > 2 ? elf_syms__load(path) : NULL;
	if (!debug) {
		elf_syms__free(libc);
		skip(); /* libc6-dbg not installed */
	}
	if (elf_syms__find(libc, "__libc_start_main", &info) == 0) {
		check_eq(elf_syms__lookup(debug, info.vaddr, &name, &offset), 0);
		check_str(name, "__libc_start_main");
	}
	/* Two memcpy at two addresses: the older keeps its version. */
	check_eq(elf_syms__find(debug, "memcpy", &info), 0);
	check_eq(elf_syms__lookup(debug, info.vaddr, &name, &offset), 0);
	check_str(name, "memcpy");
	elf_syms__free(debug);
	elf_syms__free(libc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_elf_self),
	    cmocka_unit_test(test_elf_symfix),
	    cmocka_unit_test(test_elf_ifunc),
	    cmocka_unit_test(test_elf_not_elf),
	    cmocka_unit_test(test_untrusted_garbage),
	    cmocka_unit_test(test_untrusted_truncated),
	    cmocka_unit_test(test_untrusted_corrupted_headers),
	    cmocka_unit_test(test_untrusted_bit_flips),
	    cmocka_unit_test(test_elf_shared_long_name),
	    cmocka_unit_test(test_elf_names_past_cap),
	    cmocka_unit_test(test_elf_versioned_names),
	    cmocka_unit_test(test_elf_libc_debug_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
