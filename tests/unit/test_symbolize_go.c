// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The symbolizer on running Go programs (tests/unit/go_fixture.h: Go 1.19
 * and 1.23, plain, stripped, PIE): runtime addresses resolve through the
 * binary's .gopclntab to the function, file:line and inlined frames, with
 * or without a symbol table; C code keeps its own path.
 */
#include "elf_fixture.h"
#include "go_fixture.h"

#include "goelf.h"
#include "gopclntab.h"
#include "symbolize.h"

#define MAX_FRAMES 8

/* A running fixture: the Go program waits on its stdin until we close it. */
struct go_child {
	pid_t pid;
	int stdin_fd;
};

static struct go_child start_child(const char *path)
{
	int in[2], out[2];
	struct go_child c;
	char ready[8] = "";
	ssize_t got;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(path, path, "wait", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	got = read(out[0], ready, sizeof(ready) - 1);
	close(out[0]);
	if (got != 6 || strcmp(ready, "ready\n"))
		fail_msg("%s did not start (%zd bytes)", path, got);
	c.stdin_fd = in[1];
	return c;
}

static void stop_child(struct go_child c)
{
	int status;

	close(c.stdin_fd);
	assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
	assert_true(WIFEXITED(status));
}

static struct gopclntab *load_table(const char *path)
{
	struct gopclntab *t = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(goelf__load_fd(fd, &t), 0);
	close(fd);
	return t;
}

/*
 * Link-time address -> runtime address in pid, computed apart from the
 * symbolizer: the file offset through the program headers, then the
 * mapping of the binary holding that offset.
 */
static uint64_t runtime_addr(int pid, const char *path, uint64_t vaddr)
{
	struct elf_syms *syms = elf_syms__load(path);
	struct procmaps *maps = NULL;
	uint64_t off, addr = 0;
	char real[PATH_MAX];
	size_t i;

	assert_non_null(syms);
	assert_int_equal(elf_syms__vaddr_to_offset(syms, vaddr, &off), 0);
	elf_syms__free(syms);
	assert_non_null(realpath(path, real));
	assert_int_equal(procmaps__read(pid, &maps), 0);
	for (i = 0; i < maps->nr; i++) {
		const struct mapping *m = &maps->maps[i];

		if (!strcmp(m->path, real) && off >= m->pgoff && off - m->pgoff < m->end - m->start)
			addr = m->start + (off - m->pgoff);
	}
	procmaps__free(maps);
	if (!addr)
		fail_msg("%#" PRIx64 " of %s is not mapped in %d", vaddr, path, pid);
	return addr;
}

/* A pc of main.outer inside the inlined main.inner (two frames from the table). */
static uint64_t inlined_pc(const struct gopclntab *t)
{
	struct goframe frames[MAX_FRAMES];
	struct gofunc f;
	uint64_t pc;

	assert_int_equal(gopclntab__find(t, "main.outer", &f), 0);
	for (pc = f.entry; pc < f.end; pc++)
		if (gopclntab__frames(t, pc, frames, MAX_FRAMES) == 2)
			return pc;
	fail_msg("main.inner is not inlined into main.outer");
	return 0;
}

static void check_variant(const struct go_variant *v, const char *path)
{
	struct frame frames[MAX_FRAMES], f;
	struct go_child child = start_child(path);
	struct gopclntab *t = load_table(path);
	struct symbolizer *s = symbolizer__new();
	struct gofunc outer, newproc1;
	uint64_t addr;
	size_t n;

	assert_non_null(s);
	assert_int_equal(symbolizer__refresh(s, child.pid), 0);
	assert_int_equal(gopclntab__find(t, "main.outer", &outer), 0);
	assert_int_equal(gopclntab__find(t, "runtime.newproc1", &newproc1), 0);

	/* A function of the binary: name, offset, module. */
	addr = runtime_addr(child.pid, path, outer.entry + 1);
	symbolizer__resolve(s, child.pid, addr, 0, &f);
	check_str(f.symbol, "main.outer");
	check_eq(f.offset, 1);
	check_str(f.module, v->label);
	addr = runtime_addr(child.pid, path, newproc1.entry + 8);
	symbolizer__resolve(s, child.pid, addr, 0, &f);
	check_str(f.symbol, "runtime.newproc1");
	check_eq(f.offset, 8);

	/* Its entry: one frame, at its first lines (1.19: the func keyword; 1.23: the loop). */
	addr = runtime_addr(child.pid, path, outer.entry);
	n = symbolizer__resolve_frames(s, child.pid, addr, 0, frames, MAX_FRAMES);
	check_eq(n, 1);
	check_str(frames[0].symbol, "main.outer");
	assert_true(go_is_fixture_file(frames[0].file));
	if (frames[0].line < go_marker_line("outer-func") ||
	    frames[0].line > go_marker_line("outer-call"))
		fail_msg("%s: main.outer's entry at line %d", v->label, frames[0].line);
	check_eq(frames[0].inlined, 0);

	/* The inlined call: main.inner at its line, then main.outer at the call. */
	addr = runtime_addr(child.pid, path, inlined_pc(t));
	n = symbolizer__resolve_frames(s, child.pid, addr, 0, frames, MAX_FRAMES);
	check_eq(n, 2);
	check_str(frames[0].symbol, "main.inner");
	check_eq(frames[0].inlined, 1);
	check_eq(frames[0].line, go_marker_line("inner"));
	assert_true(go_is_fixture_file(frames[0].file));
	check_hex(frames[0].addr, addr);
	check_str(frames[1].symbol, "main.outer");
	check_eq(frames[1].inlined, 0);
	check_eq(frames[1].line, go_marker_line("outer-call"));
	assert_true(frames[1].offset > 0);
	/* As a return address (the byte after): the same frames. */
	n = symbolizer__resolve_frames(s, child.pid, addr + 1, 1, frames, MAX_FRAMES);
	check_eq(n, 2);
	check_str(frames[0].symbol, "main.inner");
	check_str(frames[1].symbol, "main.outer");
	/* One frame asked for: the symbol's own. */
	n = symbolizer__resolve_frames(s, child.pid, addr, 0, frames, 1);
	check_eq(n, 1);
	check_str(frames[0].symbol, "main.outer");

	symbolizer__destroy(s);
	gopclntab__free(t);
	stop_child(child);
}

static void test_go_programs_resolve(void **state)
{
	const struct go_variant *v;
	const char *path;

	(void)state;
	for (v = go_variants; v < go_variants + NR_GO_VARIANTS; v++) {
		path = go_binary(v);
		if (path)
			check_variant(v, path);
	}
}

/*
 * With a symbol table too, the pclntab names Go text: an ABI0 wrapper is
 * "runtime.args.abi0" in .symtab and "runtime.args" in the pclntab, as Go's
 * own tracebacks show it.
 */
static void test_pclntab_wins_over_symtab(void **state)
{
	const struct go_variant *v;
	struct go_child child;
	struct symbolizer *s;
	const char *path;
	uint64_t wrapper;
	struct frame f;

	(void)state;
	for (v = go_variants; v < go_variants + NR_GO_VARIANTS; v++) {
		if (v->ldflags[0] || !(path = go_binary(v)))
			continue;
		wrapper = go_nm_addr(v->minor, path, "runtime.args.abi0");
		assert_true(wrapper != 0);
		child = start_child(path);
		s = symbolizer__new();
		assert_non_null(s);
		assert_int_equal(symbolizer__refresh(s, child.pid), 0);
		symbolizer__resolve(s, child.pid, runtime_addr(child.pid, path, wrapper), 0, &f);
		check_str(f.symbol, "runtime.args");
		check_eq(f.offset, 0);
		symbolizer__destroy(s);
		stop_child(child);
	}
}

/* A C function (this test program, no .gopclntab) keeps the ELF symbol path. */
static void test_c_code_keeps_elf_symbols(void **state)
{
	struct symbolizer *s = symbolizer__new();
	struct frame frames[MAX_FRAMES];
	size_t n;

	(void)state;
	assert_non_null(s);
	assert_int_equal(symbolizer__refresh(s, getpid()), 0);
	n = symbolizer__resolve_frames(s, getpid(), (uint64_t)(uintptr_t)symtest_anchor + 4, 0,
				       frames, MAX_FRAMES);
	assert_true(n >= 1);
	check_str(frames[n - 1].symbol, "symtest_anchor");
	check_eq(frames[n - 1].offset, 4);
	symbolizer__destroy(s);
}

/*
 * C code of a cgo binary: its ELF symbol (an internal link puts it in the
 * pclntab too, without lines), and its DWARF line where the binary has one
 * (an external link's).
 */
static void test_cgo_c_code(void **state)
{
	struct frame frames[MAX_FRAMES];
	const struct go_variant *v;
	struct go_child child;
	struct symbolizer *s;
	const char *path;
	uint64_t leaf;
	size_t n;
	int line = go_marker_line_in(GO_CGOTEST_SOURCE, "cleaf");
	bool seen_line;

	(void)state;
	for (v = go_cgo_variants; v < go_cgo_variants + NR_GO_CGO_VARIANTS; v++) {
		if (!(path = go_binary(v)))
			continue;
		leaf = symbol_vaddr(path, "cgotest_leaf");
		child = start_child(path);
		s = symbolizer__new();
		assert_non_null(s);
		assert_int_equal(symbolizer__refresh(s, child.pid), 0);
		seen_line = false;
		for (uint64_t pc = leaf; pc < leaf + 24; pc++) {
			n = symbolizer__resolve_frames(
			    s, child.pid, runtime_addr(child.pid, path, pc), 0, frames, MAX_FRAMES);
			assert_true(n >= 1);
			check_str(frames[n - 1].symbol, "cgotest_leaf");
			check_eq(frames[n - 1].offset, pc - leaf);
			seen_line |= frames[n - 1].line == line;
			/* Internal link: no DWARF for C; the pclntab must not make a line up. */
			if (strstr(v->ldflags, "internal"))
				check_eq(frames[n - 1].line, 0);
		}
		/* Go's internal link keeps no DWARF of C objects: lines need gcc's link. */
		if (!seen_line && strstr(v->ldflags, "external"))
			fail_msg("%s: no pc of cgotest_leaf at its line %d", v->label, line);
		symbolizer__destroy(s);
		stop_child(child);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_go_programs_resolve),
	    cmocka_unit_test(test_pclntab_wins_over_symtab),
	    cmocka_unit_test(test_c_code_keeps_elf_symbols),
	    cmocka_unit_test(test_cgo_c_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
