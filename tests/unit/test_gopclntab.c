// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The .gopclntab reader (src/gopclntab.h) and its ELF loader (src/goelf.h)
 * on real Go binaries (tests/unit/go_fixture.h: Go 1.19 and 1.23, plain,
 * stripped, PIE): functions by pc and by name against `go tool nm`, file:line
 * of known lines, an inlined call as two frames, the pcsp table; then
 * refused and corrupted tables, which must never be read out of bounds.
 */
#include "elf_fixture.h"
#include "go_fixture.h"

#include "goelf.h"
#include "gopclntab.h"

#define MAGIC_GO118	   0xfffffff0u
#define MAGIC_GO120	   0xfffffff1u
#define SYMTEST_MAX_FRAMES 8

static struct gopclntab *load_table(const char *path)
{
	struct gopclntab *t = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	assert_true(fd >= 0);
	err = goelf__load_fd(fd, &t);
	close(fd);
	if (err)
		fail_msg("goelf__load_fd(%s): %s", path, strerror(-err));
	return t;
}

/* The table of each variant: magic by version, a text start, a plausible count, lookup. */
static void test_open_lookup_every_variant(void **state)
{
	const struct go_variant *v;
	struct gopclntab *t;
	struct gofunc f, g;
	const char *path;

	(void)state;
	for (v = go_variants; v < go_variants + NR_GO_VARIANTS; v++) {
		path = go_binary(v);
		if (!path)
			continue;
		t = load_table(path);
		check_hex(gopclntab__magic(t), v->minor < 20 ? MAGIC_GO118 : MAGIC_GO120);
		check_hex(gopclntab__text_start(t), 0x401000); /* Go links PIE at 0x400000 too */
		if (gopclntab__nr_funcs(t) < 500)
			fail_msg("%s: %zu functions", v->label, gopclntab__nr_funcs(t));
		assert_int_equal(gopclntab__find(t, "main.outer", &f), 0);
		check_str(f.name, "main.outer");
		check_eq(f.funcid, GO_FUNCID_NORMAL);
		assert_true(f.end > f.entry);
		/* Every pc of the function, and only those, names it. */
		assert_int_equal(gopclntab__lookup(t, f.entry, &g), 0);
		check_str(g.name, "main.outer");
		check_hex(g.entry, f.entry);
		check_hex(g.end, f.end);
		assert_int_equal(gopclntab__lookup(t, f.end - 1, &g), 0);
		check_str(g.name, "main.outer");
		assert_int_equal(gopclntab__lookup(t, f.end, &g), 0);
		assert_true(strcmp(g.name, "main.outer") != 0);
		assert_int_equal(gopclntab__lookup(t, gopclntab__text_start(t) - 1, &g), -ENOENT);
		assert_int_equal(gopclntab__lookup(t, UINT64_MAX, &g), -ENOENT);
		assert_int_equal(gopclntab__find(t, "main.no_such_function", &g), -ENOENT);
		gopclntab__free(t);
	}
}

/*
 * find() agrees with `go tool nm` of the builds that keep a symbol table
 * (plain, PIE). runtime.args has an ABI0 wrapper of the same name in the
 * table (nm: runtime.args.abi0): find() must give the function (funcID 0).
 */
static void test_find_matches_go_tool_nm(void **state)
{
	static const char *const names[] = {"runtime.newproc1", "runtime.gcount",
					    "runtime.args",	"runtime.mallocgc",
					    "main.outer",	"runtime.NumGoroutine"};
	const struct go_variant *v;
	struct gopclntab *t;
	struct gofunc f;
	const char *path;
	uint64_t want;
	size_t i, found = 0;

	(void)state;
	for (v = go_variants; v < go_variants + NR_GO_VARIANTS; v++) {
		if (v->ldflags[0]) /* nm needs the symbol table */
			continue;
		path = go_binary(v);
		if (!path)
			continue;
		t = load_table(path);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			want = go_nm_addr(v->minor, path, names[i]);
			if (!want) {
				/* Inlined away (runtime.gcount in 1.23): not in the table either.
				 */
				assert_int_equal(gopclntab__find(t, names[i], &f), -ENOENT);
				continue;
			}
			if (gopclntab__find(t, names[i], &f))
				fail_msg("%s: %s not found, nm says %#" PRIx64, v->label, names[i],
					 want);
			check_hex(f.entry, want);
			check_eq(f.funcid, GO_FUNCID_NORMAL);
			check_str(f.name, names[i]);
			found++;
		}
		/* The wrapper is there too, under the same name, at nm's "runtime.args.abi0". */
		want = go_nm_addr(v->minor, path, "runtime.args.abi0");
		if (want) {
			assert_int_equal(gopclntab__lookup(t, want, &f), 0);
			check_str(f.name, "runtime.args");
			assert_true(f.funcid != GO_FUNCID_NORMAL);
		}
		gopclntab__free(t);
	}
	if (found == 0 && go_tool(19))
		fail_msg("no function checked");
}

/* The frames at each pc of main.outer: the inlined call to main.inner is two frames. */
static void check_outer_frames(const struct go_variant *v, struct gopclntab *t)
{
	int inner_line = go_marker_line("inner"), call_line = go_marker_line("outer-call");
	int func_line = go_marker_line("outer-func");
	struct goframe frames[SYMTEST_MAX_FRAMES];
	size_t n, inlined_pcs = 0;
	struct gofunc f;
	uint64_t pc;

	assert_int_equal(gopclntab__find(t, "main.outer", &f), 0);
	/* At the entry: the function, its own file, one of its first lines. */
	n = gopclntab__frames(t, f.entry, frames, SYMTEST_MAX_FRAMES);
	check_eq(n, 1);
	check_str(frames[0].function, "main.outer");
	assert_true(go_is_fixture_file(frames[0].file));
	/* 1.19: the func keyword's line; 1.23: the loop's (a frameless leaf). */
	if (frames[0].line < func_line || frames[0].line > call_line)
		fail_msg("%s: entry line %d, want %d..%d", v->label, frames[0].line, func_line,
			 call_line);
	for (pc = f.entry; pc < f.end; pc++) {
		n = gopclntab__frames(t, pc, frames, SYMTEST_MAX_FRAMES);
		assert_true(n >= 1 && n <= 2);
		check_str(frames[n - 1].function, "main.outer");
		assert_false(frames[n - 1].inlined);
		if (n == 1)
			continue;
		inlined_pcs++;
		check_str(frames[0].function, "main.inner");
		assert_true(frames[0].inlined);
		assert_true(go_is_fixture_file(frames[0].file));
		check_eq(frames[0].line, inner_line);
		assert_true(go_is_fixture_file(frames[1].file));
		check_eq(frames[1].line, call_line);
		/* No room for both: the outer function alone, never the inner one's line. */
		n = gopclntab__frames(t, pc, frames, 1);
		check_eq(n, 1);
		check_str(frames[0].function, "main.outer");
		check_eq(frames[0].line, 0);
	}
	if (!inlined_pcs)
		fail_msg("%s: no pc of main.outer is in the inlined main.inner", v->label);
	check_eq(gopclntab__frames(t, f.entry, frames, 0), 0);
	check_eq(gopclntab__frames(t, 0, frames, SYMTEST_MAX_FRAMES), 0);
}

static void test_frames_with_inlined_call(void **state)
{
	const struct go_variant *v;
	struct gopclntab *t;
	const char *path;

	(void)state;
	for (v = go_variants; v < go_variants + NR_GO_VARIANTS; v++) {
		path = go_binary(v);
		if (!path)
			continue;
		t = load_table(path);
		check_outer_frames(v, t);
		gopclntab__free(t);
	}
}

/* runtime.newproc1 has a frame: 0 at entry, the frame size in the body, never negative. */
static void test_sp_delta(void **state)
{
	const struct go_variant *v;
	struct gopclntab *t;
	struct gofunc f;
	const char *path;
	int32_t delta, most = 0;
	uint64_t pc;

	(void)state;
	for (v = go_variants; v < go_variants + NR_GO_VARIANTS; v++) {
		path = go_binary(v);
		if (!path)
			continue;
		t = load_table(path);
		assert_int_equal(gopclntab__find(t, "runtime.newproc1", &f), 0);
		assert_int_equal(gopclntab__sp_delta(t, f.entry, &delta), 0);
		check_eq(delta, 0);
		most = 0;
		for (pc = f.entry; pc < f.end; pc++)
			if (!gopclntab__sp_delta(t, pc, &delta)) {
				assert_true(delta >= 0);
				if (delta > most)
					most = delta;
			}
		/* A frame of locals plus the saved frame pointer, a multiple of 8. */
		assert_true(most >= 16);
		check_eq(most % 8, 0);
		assert_int_equal(gopclntab__sp_delta(t, 0, &delta), -ENOENT);
		gopclntab__free(t);
	}
}

/* The raw section of a built variant, malloc'd. */
static uint8_t *table_bytes(const char *path, size_t *size)
{
	size_t file_size, off = 0;
	char *file = read_whole_file(path, &file_size);
	uint8_t *copy;

	section_range(path, ".gopclntab", &off, size);
	assert_true(off + *size <= file_size);
	copy = malloc(*size);
	assert_non_null(copy);
	memcpy(copy, file + off, *size);
	free(file);
	return copy;
}

static int open_copy(const uint8_t *bytes, size_t size, struct gopclntab **t)
{
	uint8_t *copy = malloc(size ? size : 1);

	assert_non_null(copy);
	memcpy(copy, bytes, size);
	return gopclntab__open(copy, size, t);
}

/* The address of section name in the ELF file at path (0: none). */
static uint64_t section_vaddr(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	uint64_t addr = 0;
	GElf_Shdr shdr;
	size_t strndx;
	Elf *elf;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &strndx), 0);
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &shdr) &&
		    !strcmp(elf_strptr(elf, strndx, shdr.sh_name) ?: "", name))
			addr = shdr.sh_addr;
	elf_end(elf);
	close(fd);
	return addr;
}

/* The value of symbol name (any type) in path's .symtab, per nm; 0 when absent. */
static uint64_t nm_value(const char *path, const char *name)
{
	char cmd[2 * PATH_MAX], line[1024], sym[512], type[8];
	unsigned long long addr, found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %7s %511s", &addr, type, sym) == 3 && !strcmp(sym, name))
			found = addr;
	pclose(p);
	return found;
}

/*
 * moduledata.gofunc found in .noptrdata equals the go:func.* symbol (Go 1.19:
 * go.func.*) of the builds with a symbol table; a moduledata whose rodata
 * word is not .rodata's (an unknown layout) is not matched.
 */
static void test_gofunc_found_without_symbols(void **state)
{
	const struct go_variant *v;
	struct gopclntab *t;
	const char *path;
	char *file;
	size_t file_size, off = 0, size;
	uint64_t table, noptrdata, rodata, gofunc, want;
	uint8_t *p;

	(void)state;
	for (v = go_variants; v < go_variants + NR_GO_VARIANTS; v++) {
		if (!(path = go_binary(v)))
			continue;
		t = load_table(path);
		table = section_vaddr(path, v->pie ? ".data.rel.ro.gopclntab" : ".gopclntab");
		noptrdata = section_vaddr(path, ".noptrdata");
		rodata = section_vaddr(path, ".rodata");
		assert_true(table && noptrdata && rodata);
		file = read_whole_file(path, &file_size);
		section_range(path, ".noptrdata", &off, &size);
		assert_true(off + size <= file_size);
		assert_int_equal(
		    gopclntab__find_gofunc(t, table, file + off, size, noptrdata, rodata, &gofunc),
		    0);
		want = nm_value(path, v->minor < 20 ? "go.func.*" : "go:func.*");
		if (!v->ldflags[0])
			check_hex(gofunc, want);
		assert_true(gofunc > rodata);
		/* The rodata word moved: another layout, refused. */
		for (p = (uint8_t *)file + off; p + 8 <= (uint8_t *)file + off + size; p += 8)
			if (!memcmp(p, &rodata, 8))
				memset(p, 0, 8);
		assert_int_equal(
		    gopclntab__find_gofunc(t, table, file + off, size, noptrdata, rodata, &gofunc),
		    -ENOENT);
		assert_int_equal(
		    gopclntab__find_gofunc(t, table, file + off, 100, noptrdata, rodata, &gofunc),
		    -ENOENT);
		free(file);
		gopclntab__free(t);
	}
}

/* ===== a table built by hand (Go 1.20+ layout), every field known ========= */

/*
 * Three functions from text 0x401000: main.f's ABI wrapper (funcID 22) at
 * +0x0, main.f at +0x10 with two nested inlined calls, main.g at +0x40; the
 * text ends at +0x50. main.f, relative to its entry: lines 10 on [0,8), 20
 * on [8,48); inline index -1 on [0,8), 0 on [8,16), 1 on [16,24), -1 after;
 * tree entry 0 = main.h called at +2, entry 1 = main.k called at +8; pcsp 0
 * on [0,4), 24 on [4,44), 0 after.
 */
#define SYN_TEXT 0x401000u

struct synth {
	uint8_t bytes[1024];
	size_t size;
	uint8_t tree[32]; /* the go:func.* area: the inline tree at offset 0 */
};

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Appends bytes at *at. */
static size_t append(struct synth *y, size_t *at, const void *data, size_t len)
{
	size_t start = *at;

	assert_true(*at + len <= sizeof(y->bytes));
	memcpy(y->bytes + *at, data, len);
	*at += len;
	return start;
}

/* One _func (1.20+: 44 bytes) with npcdata 3 and nfuncdata 4, returns its offset from pcln. */
static size_t append_func(struct synth *y, size_t *at, size_t pcln, uint32_t entryoff,
			  uint32_t nameoff, uint8_t funcid, const uint32_t tables[4],
			  uint32_t inl_table, uint32_t tree_off)
{
	uint8_t rec[44 + 4 * 3 + 4 * 4] = {0};

	put_u32(rec + 0, entryoff);
	put_u32(rec + 4, nameoff);
	put_u32(rec + 16, tables[0]); /* pcsp */
	put_u32(rec + 20, tables[1]); /* pcfile */
	put_u32(rec + 24, tables[2]); /* pcln */
	put_u32(rec + 28, 3);	      /* npcdata */
	put_u32(rec + 32, 0);	      /* cuOffset */
	rec[40] = funcid;
	rec[43] = 4;			       /* nfuncdata */
	put_u32(rec + 44 + 8, inl_table);      /* pcdata[2] */
	memset(rec + 44 + 12, 0xff, 16);       /* funcdata: none ... */
	put_u32(rec + 44 + 12 + 12, tree_off); /* ... but [3], the inline tree */
	return append(y, at, rec, sizeof(rec)) - pcln;
}

static void build_synth(struct synth *y)
{
	static const char names[] = "\0main.f\0main.g\0main.h\0main.k";
	static const char file[] = "/src/a.go";
	/* zig-zag value delta, pc delta; a 0 ends a table. */
	static const uint8_t ln[] = {22, 8, 20, 40, 0};		   /* 10 on [0,8), 20 on [8,48) */
	static const uint8_t fl[] = {2, 48, 0};			   /* file 0 on [0,48) */
	static const uint8_t inl[] = {0, 8, 2, 8, 2, 8, 3, 24, 0}; /* -1, 0, 1, -1 */
	static const uint8_t sp[] = {2, 4, 48, 40, 47, 4, 0};	   /* 0, 24, 0 */
	static const uint8_t one_line[] = {62, 16, 0};		   /* 30 on [0,16) */
	uint32_t f_tables[4] = {0}, w_tables[4] = {0}, g_tables[4] = {0}, off_ln, off_fl, off_inl,
		 off_sp, off_one;
	size_t at = 72, funcnames, cu, filetab, pctab, pcln, fo[3], i;
	uint32_t zero = 0;

	memset(y, 0, sizeof(*y));
	put_u32(y->bytes, 0xfffffff1);
	y->bytes[6] = 1;
	y->bytes[7] = 8;
	funcnames = append(y, &at, names, sizeof(names));
	/* main.f at 1, main.g at 8, main.h at 15, main.k at 22 */
	cu = append(y, &at, &zero, 4);
	filetab = append(y, &at, file, sizeof(file));
	pctab = at;
	append(y, &at, &zero, 1); /* offset 0: no table */
	off_ln = (uint32_t)(append(y, &at, ln, sizeof(ln)) - pctab);
	off_fl = (uint32_t)(append(y, &at, fl, sizeof(fl)) - pctab);
	off_inl = (uint32_t)(append(y, &at, inl, sizeof(inl)) - pctab);
	off_sp = (uint32_t)(append(y, &at, sp, sizeof(sp)) - pctab);
	off_one = (uint32_t)(append(y, &at, one_line, sizeof(one_line)) - pctab);
	at = (at + 7) & ~(size_t)7;
	pcln = at;
	at += 8 * 4; /* the functab, filled below */
	f_tables[0] = off_sp;
	f_tables[1] = off_fl;
	f_tables[2] = off_ln;
	w_tables[0] = g_tables[0] = 0;
	w_tables[1] = g_tables[1] = off_fl;
	w_tables[2] = g_tables[2] = off_one;
	fo[0] = append_func(y, &at, pcln, 0x0, 1, 22, w_tables, 0, 0xffffffff);
	fo[1] = append_func(y, &at, pcln, 0x10, 1, 0, f_tables, off_inl, 0);
	fo[2] = append_func(y, &at, pcln, 0x40, 8, 0, g_tables, 0, 0xffffffff);
	for (i = 0; i < 3; i++) {
		put_u32(y->bytes + pcln + 8 * i, i == 0 ? 0 : i == 1 ? 0x10 : 0x40);
		put_u32(y->bytes + pcln + 8 * i + 4, (uint32_t)fo[i]);
	}
	put_u32(y->bytes + pcln + 24, 0x50); /* the end */
	put_u64(y->bytes + 8, 3);
	put_u64(y->bytes + 16, 1);
	put_u64(y->bytes + 24, SYN_TEXT);
	put_u64(y->bytes + 32, funcnames);
	put_u64(y->bytes + 40, cu);
	put_u64(y->bytes + 48, filetab);
	put_u64(y->bytes + 56, pctab);
	put_u64(y->bytes + 64, pcln);
	y->size = at;
	/* The tree: {funcID, pad[3], nameOff, parentPc, startLine} x 2. */
	put_u32(y->tree + 4, 15); /* main.h */
	put_u32(y->tree + 8, 2);
	put_u32(y->tree + 16 + 4, 22); /* main.k */
	put_u32(y->tree + 16 + 8, 8);
}

/* Opens a copy of y, with a copy of tree (tree_size bytes; 0: no area). */
static struct gopclntab *open_synth(const struct synth *y, const uint8_t *tree, size_t tree_size)
{
	struct gopclntab *t;
	uint8_t *area;

	assert_int_equal(open_copy(y->bytes, y->size, &t), 0);
	if (tree_size) {
		area = malloc(tree_size);
		assert_non_null(area);
		memcpy(area, tree, tree_size);
		gopclntab__set_gofunc(t, area, tree_size);
	}
	return t;
}

static void check_frame(const struct goframe *f, const char *function, const char *file, int line,
			bool inlined)
{
	check_str(f->function, function);
	check_str(f->file, file);
	check_eq(f->line, line);
	check_eq(f->inlined, inlined);
}

static void test_synthetic_table(void **state)
{
	struct goframe frames[SYMTEST_MAX_FRAMES];
	struct gopclntab *t;
	struct synth y;
	struct gofunc f;
	int32_t delta;

	(void)state;
	build_synth(&y);
	t = open_synth(&y, y.tree, sizeof(y.tree));
	check_hex(gopclntab__magic(t), MAGIC_GO120);
	check_eq(gopclntab__nr_funcs(t), 3);
	/* The wrapper comes first in the table; find() still gives funcID 0. */
	assert_int_equal(gopclntab__find(t, "main.f", &f), 0);
	check_hex(f.entry, SYN_TEXT + 0x10);
	check_hex(f.end, SYN_TEXT + 0x40);
	check_eq(f.funcid, 0);
	assert_int_equal(gopclntab__lookup(t, SYN_TEXT + 0x4, &f), 0);
	check_str(f.name, "main.f");
	check_eq(f.funcid, 22);
	assert_int_equal(gopclntab__lookup(t, SYN_TEXT + 0x4f, &f), 0);
	check_str(f.name, "main.g");
	assert_int_equal(gopclntab__lookup(t, SYN_TEXT + 0x50, &f), -ENOENT);
	assert_int_equal(gopclntab__find(t, "main.h", &f), -ENOENT); /* only inlined */

	/* Outside inlined code: the function and its line. */
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 3, frames, SYMTEST_MAX_FRAMES), 1);
	check_frame(&frames[0], "main.f", "/src/a.go", 10, false);
	/* In main.h, inlined at +2: two frames. */
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 9, frames, SYMTEST_MAX_FRAMES), 2);
	check_frame(&frames[0], "main.h", "/src/a.go", 20, true);
	check_frame(&frames[1], "main.f", "/src/a.go", 10, false);
	/* In main.k, inlined into main.h at +8: three. */
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 17, frames, SYMTEST_MAX_FRAMES), 3);
	check_frame(&frames[0], "main.k", "/src/a.go", 20, true);
	check_frame(&frames[1], "main.h", "/src/a.go", 20, true);
	check_frame(&frames[2], "main.f", "/src/a.go", 10, false);
	/* Room for two of three: the outer function alone, no line. */
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 17, frames, 2), 1);
	check_frame(&frames[0], "main.f", NULL, 0, false);
	/* The stack pointer: 0 at entry and after the epilogue, 24 in the body. */
	assert_int_equal(gopclntab__sp_delta(t, SYN_TEXT + 0x10, &delta), 0);
	check_eq(delta, 0);
	assert_int_equal(gopclntab__sp_delta(t, SYN_TEXT + 0x10 + 20, &delta), 0);
	check_eq(delta, 24);
	assert_int_equal(gopclntab__sp_delta(t, SYN_TEXT + 0x10 + 45, &delta), 0);
	check_eq(delta, 0);
	assert_int_equal(gopclntab__sp_delta(t, SYN_TEXT + 0x40, &delta), -ENOENT); /* no table */
	gopclntab__free(t);
}

/* Inline trees that cannot be trusted give the outer function, never a wrong frame. */
static void test_synthetic_bad_inline_trees(void **state)
{
	struct goframe frames[SYMTEST_MAX_FRAMES];
	struct gopclntab *t;
	uint8_t tree[32];
	struct synth y;

	(void)state;
	build_synth(&y);
	/* No go:func.* area: inlined pcs have the outer name only; others keep their line. */
	t = open_synth(&y, NULL, 0);
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 9, frames, SYMTEST_MAX_FRAMES), 1);
	check_frame(&frames[0], "main.f", NULL, 0, false);
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 30, frames, SYMTEST_MAX_FRAMES), 1);
	check_frame(&frames[0], "main.f", "/src/a.go", 20, false);
	gopclntab__free(t);
	/* An area too small for entry 1. */
	t = open_synth(&y, y.tree, 20);
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 17, frames, SYMTEST_MAX_FRAMES), 1);
	check_frame(&frames[0], "main.f", NULL, 0, false);
	gopclntab__free(t);
	/* A loop: entry 0's caller is inside entry 0. */
	memcpy(tree, y.tree, sizeof(tree));
	put_u32(tree + 8, 8);
	t = open_synth(&y, tree, sizeof(tree));
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 9, frames, SYMTEST_MAX_FRAMES), 1);
	check_frame(&frames[0], "main.f", NULL, 0, false);
	gopclntab__free(t);
	/* A caller pc past the function, and a name past funcnametab. */
	memcpy(tree, y.tree, sizeof(tree));
	put_u32(tree + 8, 0x30);
	t = open_synth(&y, tree, sizeof(tree));
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 9, frames, SYMTEST_MAX_FRAMES), 1);
	check_frame(&frames[0], "main.f", NULL, 0, false);
	gopclntab__free(t);
	memcpy(tree, y.tree, sizeof(tree));
	put_u32(tree + 4, 100000);
	t = open_synth(&y, tree, sizeof(tree));
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10 + 9, frames, SYMTEST_MAX_FRAMES), 1);
	check_frame(&frames[0], "main.f", NULL, 0, false);
	gopclntab__free(t);
}

/* Each header offset, functab entry and _func field pointed out of bounds. */
static void test_synthetic_bad_offsets(void **state)
{
	struct goframe frames[SYMTEST_MAX_FRAMES];
	struct gopclntab *t;
	struct gofunc f;
	struct synth y, bad;
	size_t field, pcln;
	int32_t delta;

	(void)state;
	build_synth(&y);
	for (field = 32; field <= 64; field += 8) {
		bad = y;
		put_u64(bad.bytes + field, y.size + 1);
		assert_int_equal(open_copy(bad.bytes, bad.size, &t), -EINVAL);
	}
	memcpy(&pcln, y.bytes + 64, sizeof(pcln));
	/* A functab out of order. */
	bad = y;
	put_u32(bad.bytes + pcln + 8, 0x60);
	assert_int_equal(open_copy(bad.bytes, bad.size, &t), -EINVAL);
	/* main.f's record past the end, then at main.g's record (wrong entry). */
	bad = y;
	put_u32(bad.bytes + pcln + 8 + 4, 0xfffffff0);
	t = open_synth(&bad, y.tree, sizeof(y.tree));
	assert_int_equal(gopclntab__lookup(t, SYN_TEXT + 0x10, &f), -ENOENT);
	assert_int_equal(gopclntab__find(t, "main.f", &f), 0);
	check_eq(f.funcid, 22); /* only the wrapper is left */
	check_eq(gopclntab__frames(t, SYN_TEXT + 0x10, frames, SYMTEST_MAX_FRAMES), 0);
	gopclntab__free(t);
	bad = y;
	memcpy(bad.bytes + pcln + 8 + 4, bad.bytes + pcln + 16 + 4, 4);
	t = open_synth(&bad, y.tree, sizeof(y.tree));
	assert_int_equal(gopclntab__lookup(t, SYN_TEXT + 0x10, &f), -ENOENT);
	gopclntab__free(t);
	/* main.f's name, file table and pc tables out of bounds. */
	bad = y;
	{
		uint32_t rec, huge = 0x7fffffff;

		memcpy(&rec, y.bytes + pcln + 8 + 4, 4);
		put_u32(bad.bytes + pcln + rec + 4, huge);  /* nameOff */
		put_u32(bad.bytes + pcln + rec + 20, huge); /* pcfile */
		put_u32(bad.bytes + pcln + rec + 16, huge); /* pcsp */
		t = open_synth(&bad, y.tree, sizeof(y.tree));
		assert_int_equal(gopclntab__lookup(t, SYN_TEXT + 0x10, &f), -ENOENT);
		check_eq(gopclntab__frames(t, SYN_TEXT + 0x10, frames, SYMTEST_MAX_FRAMES), 0);
		assert_int_equal(gopclntab__sp_delta(t, SYN_TEXT + 0x10, &delta), -ENOENT);
		gopclntab__free(t);
		bad = y;
		put_u32(bad.bytes + pcln + rec + 20, huge); /* pcfile only: no file, the line */
		put_u32(bad.bytes + pcln + rec + 28, huge); /* npcdata past the record */
		t = open_synth(&bad, y.tree, sizeof(y.tree));
		assert_int_equal(gopclntab__lookup(t, SYN_TEXT + 0x10, &f), -ENOENT);
		gopclntab__free(t);
		bad = y;
		put_u32(bad.bytes + pcln + rec + 32, huge); /* cuOffset: no file, still the line */
		t = open_synth(&bad, y.tree, sizeof(y.tree));
		check_eq(gopclntab__frames(t, SYN_TEXT + 0x13, frames, SYMTEST_MAX_FRAMES), 1);
		check_frame(&frames[0], "main.f", NULL, 10, false);
		gopclntab__free(t);
	}
}

/* Tables refused at open: magic, pointer size, quantum, truncation, offsets past the end. */
static void test_refused_tables(void **state)
{
	const char *path = go_binary(&go_variants[3]);
	struct gopclntab *t;
	uint8_t *bytes, *bad;
	size_t size;

	(void)state;
	if (!path)
		return;
	bytes = table_bytes(path, &size);
	assert_int_equal(open_copy(bytes, size, &t), 0);
	gopclntab__free(t);
	bad = malloc(size);
	assert_non_null(bad);

	memcpy(bad, bytes, size);
	bad[0] = 0xfb; /* Go 1.16's magic 0xfffffffa is older than supported */
	assert_int_equal(open_copy(bad, size, &t), -EINVAL);
	assert_null(t);
	memcpy(bad, bytes, size);
	bad[7] = 4; /* 32-bit pointers */
	assert_int_equal(open_copy(bad, size, &t), -EINVAL);
	memcpy(bad, bytes, size);
	bad[6] = 4; /* instruction quantum of arm64 */
	assert_int_equal(open_copy(bad, size, &t), -EINVAL);
	memcpy(bad, bytes, size);
	memset(bad + 56, 0xff, 8); /* pclnOffset past the end */
	assert_int_equal(open_copy(bad, size, &t), -EINVAL);
	memcpy(bad, bytes, size);
	memset(bad + 8, 0x7f, 8); /* nfunc larger than the functab */
	assert_int_equal(open_copy(bad, size, &t), -EINVAL);
	assert_int_equal(open_copy(bytes, 40, &t), -EINVAL); /* a cut header */
	assert_int_equal(open_copy(bytes, 0, &t), -EINVAL);
	assert_int_equal(open_copy(bytes, 1000, &t), -EINVAL); /* a cut functab */
	free(bad);
	free(bytes);
}

/* Every query on t, over a spread of pcs; results must stay inside t. */
static void query_everything(struct gopclntab *t, uint64_t *rng)
{
	struct goframe frames[SYMTEST_MAX_FRAMES];
	uint64_t text = gopclntab__text_start(t), pc;
	struct gofunc f;
	int32_t delta;
	size_t i, n, j;

	for (i = 0; i < 64; i++) {
		pc = text + rng_next(rng) % (1u << 20);
		if (!gopclntab__lookup(t, pc, &f))
			assert_true(f.name && pc >= f.entry && pc < f.end &&
				    strlen(f.name) < (1u << 28));
		n = gopclntab__frames(t, pc, frames, SYMTEST_MAX_FRAMES);
		assert_true(n <= SYMTEST_MAX_FRAMES);
		for (j = 0; j < n; j++) {
			if (frames[j].function)
				(void)strlen(frames[j].function);
			if (frames[j].file)
				(void)strlen(frames[j].file);
		}
		(void)gopclntab__sp_delta(t, pc, &delta);
	}
	(void)gopclntab__find(t, "runtime.newproc1", &f);
}

/*
 * Flipped bytes (the header and anywhere), cut tables and a garbage
 * go:func.* area: open refuses or every query stays in bounds (the ASan
 * build checks that). Deterministic: a failure replays.
 */
static void test_corrupt_tables_never_crash(void **state)
{
	const char *path = go_binary(&go_variants[3]);
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	struct gopclntab *t;
	uint8_t *bytes, *bad, *area;
	size_t size, cut, i, k, opened = 0;

	(void)state;
	if (!path)
		path = go_binary(&go_variants[0]);
	if (!path)
		return;
	bytes = table_bytes(path, &size);
	for (i = 0; i < 300; i++) {
		cut = i % 3 ? size : rng_next(&rng) % size;
		bad = malloc(size);
		assert_non_null(bad);
		memcpy(bad, bytes, size);
		for (k = 0; k < 1 + i % 16; k++) {
			/* Half the flips in the header and the functab's start, where they matter.
			 */
			size_t at = k % 2 ? rng_next(&rng) % 4096 : rng_next(&rng) % size;
			bad[at % size] ^= (uint8_t)(1u << (rng_next(&rng) % 8));
		}
		if (gopclntab__open(bad, cut, &t) == 0) {
			opened++;
			area = malloc(4096);
			assert_non_null(area);
			for (k = 0; k < 4096; k++)
				area[k] = (uint8_t)rng_next(&rng);
			if (i % 2)
				gopclntab__set_gofunc(t, area, 4096);
			else
				free(area);
			query_everything(t, &rng);
			gopclntab__free(t);
		}
	}
	if (!opened)
		fail_msg("no corrupted table opened: the queries were never exercised");
	free(bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_lookup_every_variant),
	    cmocka_unit_test(test_find_matches_go_tool_nm),
	    cmocka_unit_test(test_frames_with_inlined_call),
	    cmocka_unit_test(test_sp_delta),
	    cmocka_unit_test(test_gofunc_found_without_symbols),
	    cmocka_unit_test(test_synthetic_table),
	    cmocka_unit_test(test_synthetic_bad_inline_trees),
	    cmocka_unit_test(test_synthetic_bad_offsets),
	    cmocka_unit_test(test_refused_tables),
	    cmocka_unit_test(test_corrupt_tables_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
