// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What memleakd reads of a Go executable (src/gobin.c): the pure pieces on
 * crafted bytes, then real binaries built here, now, with every Go
 * toolchain installed (go on PATH, /usr/lib/go-1.*): plain, stripped
 * (-s -w), PIE, with and without runtime/pprof, cgo, iter.Pull (1.23+).
 * Each is checked against the toolchain's own tools: `go env GOVERSION`,
 * `go tool objdump` (probe sites), `go tool nm` (globals), and runtime.g's
 * DWARF against the per-version table. Without a Go toolchain those tests
 * skip (fail with CI=true); a toolchain the table does not know is left
 * out, with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <gelf.h>
#include <libelf.h>

#include "checks.h"
#include "gobin.h"

/* --- the pure pieces ------------------------------------------------------------ */

static void test_parse_version(void **state)
{
	int ma, mi, pa;

	(void)state;
	check_eq(gobin__parse_version("go1.19.8", &ma, &mi, &pa), 0);
	check_eq(ma, 1);
	check_eq(mi, 19);
	check_eq(pa, 8);
	check_eq(gobin__parse_version("go1.20", &ma, &mi, &pa), 0);
	check_eq(mi, 20);
	check_eq(pa, 0);
	check_eq(gobin__parse_version("go1.21rc2", &ma, &mi, &pa), 0);
	check_eq(mi, 21);
	check_eq(pa, 0);
	check_eq(gobin__parse_version("devel go1.24-abc", &ma, &mi, &pa), -EINVAL);
	check_eq(ma + mi + pa, 0);
	check_eq(gobin__parse_version("go1", &ma, &mi, &pa), -EINVAL);
	check_eq(gobin__parse_version("go1.", &ma, &mi, &pa), -EINVAL);
	check_eq(gobin__parse_version("go1.99999", &ma, &mi, &pa), -EINVAL);
	check_eq(gobin__parse_version("go1.22.", &ma, &mi, &pa), -EINVAL);
	check_eq(gobin__parse_version("", &ma, &mi, &pa), -EINVAL);
}

/* A .go.buildinfo header: magic, pointer size, flags; 32 bytes. */
static size_t buildinfo_header(uint8_t *buf, int flags)
{
	memset(buf, 0, 32);
	memcpy(buf, "\xff Go buildinf:", 14);
	buf[14] = 8;
	buf[15] = (uint8_t)flags;
	return 32;
}

static void test_buildinfo_inline(void **state)
{
	uint8_t buf[64 + 300];
	char version[32];
	uint64_t ptr = 0;
	int psize = 0;
	size_t n = buildinfo_header(buf, 2);

	(void)state;
	buf[n++] = 8;
	memcpy(buf + n, "go1.23.5", 8);
	check_eq(gobin__buildinfo_version(buf, n + 8, version, sizeof(version), &ptr, &psize), 0);
	assert_string_equal(version, "go1.23.5");
	/* Truncated: the string runs past the section. */
	check_eq(gobin__buildinfo_version(buf, n + 7, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
	/* Cut at the first blank and at the buffer's size. */
	memcpy(buf + n, "go1.2 X:y", 9);
	buf[n - 1] = 9;
	check_eq(gobin__buildinfo_version(buf, n + 9, version, sizeof(version), &ptr, &psize), 0);
	assert_string_equal(version, "go1.2");
	memcpy(buf + n, "go1.23.5", 8);
	buf[n - 1] = 8;
	check_eq(gobin__buildinfo_version(buf, n + 8, version, 5, &ptr, &psize), 0);
	assert_string_equal(version, "go1.");
	/* A two-byte uvarint length (300) longer than any version. */
	buf[n - 1] = 0xac;
	buf[n] = 0x02;
	memset(buf + n + 1, 'g', 300);
	check_eq(gobin__buildinfo_version(buf, n + 301, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
	/* A control character is no version. */
	buf[n - 1] = 3;
	memcpy(buf + n, "g\no", 3);
	check_eq(gobin__buildinfo_version(buf, n + 3, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
	/* A uvarint that never ends. */
	memset(buf + n - 1, 0x80, 20);
	check_eq(gobin__buildinfo_version(buf, n + 19, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
}

static void test_buildinfo_pointer_and_bad(void **state)
{
	uint8_t buf[64];
	char version[32];
	uint64_t ptr = 0;
	int psize = 0;

	(void)state;
	buildinfo_header(buf, 0);
	memcpy(buf + 16, "\x10\x32\x54\x00\x00\x00\x00\x00", 8);
	check_eq(gobin__buildinfo_version(buf, 32, version, sizeof(version), &ptr, &psize),
		 -EAGAIN);
	check_hex(ptr, 0x543210);
	check_eq(psize, 8);
	buildinfo_header(buf, 1); /* big-endian */
	check_eq(gobin__buildinfo_version(buf, 32, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
	buildinfo_header(buf, 2);
	buf[14] = 3; /* pointer size */
	check_eq(gobin__buildinfo_version(buf, 40, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
	buildinfo_header(buf, 2);
	buf[1] = 'g'; /* magic */
	check_eq(gobin__buildinfo_version(buf, 40, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
	buildinfo_header(buf, 2);
	check_eq(gobin__buildinfo_version(buf, 31, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
	/* Header only: no length byte. */
	check_eq(gobin__buildinfo_version(buf, 32, version, sizeof(version), &ptr, &psize),
		 -EINVAL);
}

static void test_find_call(void **state)
{
	/* At 0x1000: nop; call 0x1000+1+5+0x10 (no); call -> 0x900 (yes, at 6). */
	uint8_t code[] = {0x90, 0xe8, 0x10, 0, 0, 0, 0xe8, 0xf5, 0xf8, 0xff, 0xff, 0xc3};
	size_t at = 99;

	(void)state;
	check_eq(gobin__find_call(code, sizeof(code), 0x1000, 0x900, &at), 0);
	check_eq(at, 6);
	check_eq(gobin__find_call(code, sizeof(code), 0x1000, 0x1016, &at), 0);
	check_eq(at, 1);
	check_eq(gobin__find_call(code, sizeof(code), 0x1000, 0x901, &at), -ENOENT);
	/* The second call's rel32 cut by the end of the code. */
	check_eq(gobin__find_call(code, 10, 0x1000, 0x900, &at), -ENOENT);
}

static void test_rip_load(void **state)
{
	/*
	 * 0x2000: movl 0x10(%rip),%eax (8b 05); movq 0x20(%rip),%rcx (48 8b 0d);
	 * mov 0x30(%rip),%r8d (44 8b 05); movq -0x8(%rip),%rdx (48 8b 15);
	 * movw 0x40(%rip),%ax (66 8b 05): not 32-bit; movq (%rax),%rax (48 8b 00): not RIP.
	 */
	uint8_t code[] = {0x90, 0x8b, 0x05, 0x10, 0,	0,    0, 0x48, 0x8b, 0x0d, 0x20, 0,    0,
			  0,	0x44, 0x8b, 0x05, 0x30, 0,    0, 0,    0x48, 0x8b, 0x15, 0xf8, 0xff,
			  0xff, 0xff, 0x66, 0x8b, 0x05, 0x40, 0, 0,    0,    0x48, 0x8b, 0x00};
	uint64_t addr = 0;

	(void)state;
	check_eq(gobin__rip_load(code, sizeof(code), 0x2000, false, 0, &addr), 0);
	check_hex(addr, 0x2000 + 7 + 0x10);
	check_eq(gobin__rip_load(code, sizeof(code), 0x2000, false, 1, &addr), 0);
	check_hex(addr, 0x2000 + 21 + 0x30);
	check_eq(gobin__rip_load(code, sizeof(code), 0x2000, false, 2, &addr), -ENOENT);
	check_eq(gobin__rip_load(code, sizeof(code), 0x2000, true, 0, &addr), 0);
	check_hex(addr, 0x2000 + 14 + 0x20);
	check_eq(gobin__rip_load(code, sizeof(code), 0x2000, true, 1, &addr), 0);
	check_hex(addr, 0x2000 + 28 - 8);
	check_eq(gobin__rip_load(code, sizeof(code), 0x2000, true, 2, &addr), -ENOENT);
	/* A disp32 cut by the end of the code. */
	check_eq(gobin__rip_load(code, 26, 0x2000, true, 1, &addr), -ENOENT);
}

static void test_table(void **state)
{
	struct go_g_offsets g;

	(void)state;
	check_eq(gobin__table_offsets(1, 19, &g), 0);
	check_eq(g.goid, 152);
	check_eq(g.gopc, 296);
	check_eq(g.size, 392);
	check_eq(gobin__table_offsets(1, 23, &g), 0);
	check_eq(g.goid, 160);
	check_eq(g.startpc, 304);
	check_eq(g.sched_bp, 104);
	check_eq(gobin__table_offsets(1, 21, &g), 0);
	check_eq(gobin__table_offsets(1, 22, &g), 0);
	check_eq(gobin__table_offsets(1, 20, &g), 0);
	check_eq(gobin__table_offsets(1, 17, &g), -ENOTSUP);
	check_eq(gobin__table_offsets(1, 24, &g), -ENOTSUP);
	check_eq(gobin__table_offsets(2, 19, &g), -ENOTSUP);
}

/* --- files that are no Go executable ------------------------------------------- */

static char tmpdir[] = "/tmp/test_gobin.XXXXXX";

static int analyze_path(const char *path, struct go_binary **gb)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	err = gobin__analyze(fd, gb);
	close(fd);
	return err;
}

static int is_go_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	r = gobin__is_go(fd);
	close(fd);
	return r;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	check_eq(fwrite(data, 1, len, f), len);
	check_eq(fclose(f), 0);
}

static void test_not_go(void **state)
{
	struct go_binary *gb = (void *)1;
	char path[256];

	(void)state;
	check_eq(is_go_path("/proc/self/exe"), 0);
	check_eq(analyze_path("/proc/self/exe", &gb), -ENOEXEC);
	assert_null(gb);
	snprintf(path, sizeof(path), "%s/text", tmpdir);
	write_file(path, "#!/bin/sh\necho hi\n", 18);
	check_eq(is_go_path(path), 0);
	check_eq(analyze_path(path, &gb), -ENOEXEC);
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	write_file(path, "", 0);
	check_eq(analyze_path(path, &gb), -ENOEXEC);
	gobin__free(NULL);
}

/* --- real Go binaries --------------------------------------------------------------- */

#define MAX_TOOLCHAINS 4

static const char goroutines_go[] = "package main\n\n"
				    "import (\n\t\"fmt\"\n\t\"time\"\n)\n\n"
				    "func main() {\n\tch := make(chan int)\n"
				    "\tgo func() { <-ch }()\n\ttime.Sleep(time.Millisecond)\n"
				    "\tfmt.Println(\"hi\")\n}\n";
static const char pprof_go[] = "package main\n\n"
			       "import (\n\t\"os\"\n\t\"runtime/pprof\"\n)\n\n"
			       "func main() {\n\tpprof.WriteHeapProfile(os.Stdout)\n}\n";
static const char cgo_go[] = "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\n"
			     "func main() {\n\tC.free(C.malloc(16))\n}\n";
static const char coro_go[] = "package main\n\n"
			      "import (\n\t\"fmt\"\n\t\"iter\"\n)\n\n"
			      "func main() {\n"
			      "\tseq := func(yield func(int) bool) { yield(1) }\n"
			      "\tnext, stop := iter.Pull(iter.Seq[int](seq))\n"
			      "\tdefer stop()\n\tfmt.Println(next())\n}\n";

struct toolchain {
	char go[256];	  /* the go command */
	char version[32]; /* go env GOVERSION */
	int minor;
	char dir[300]; /* its binaries: plain, stripped, pie, pprof, pprof-stripped, cgo, ... */
};

static struct toolchain toolchains[MAX_TOOLCHAINS];
static size_t nr_toolchains;
static bool no_go; /* no toolchain found: the Go tests skip */

/* Runs a shell command; its exit status. */
static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first line a command prints, or "". */
static void first_line(char *out, size_t len, const char *cmd)
{
	FILE *p = popen(cmd, "r");

	out[0] = '\0';
	if (!p)
		return;
	if (fgets(out, (int)len, p))
		out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static void add_toolchain(const char *go)
{
	struct toolchain *t = &toolchains[nr_toolchains];
	char cmd[400], version[sizeof(t->version)];
	struct go_g_offsets table;
	size_t i;
	int major, patch;

	if (nr_toolchains == MAX_TOOLCHAINS)
		return;
	snprintf(cmd, sizeof(cmd), "GOTOOLCHAIN=local %s env GOVERSION 2>/dev/null", go);
	first_line(t->version, sizeof(t->version), cmd);
	if (gobin__parse_version(t->version, &major, &t->minor, &patch))
		return;
	/* A toolchain the table does not know yet: its stripped binaries are unsupported. */
	if (gobin__table_offsets(major, t->minor, &table)) {
		printf("Go toolchain %s (%s): not in gobin's table, not tested\n", t->version, go);
		return;
	}
	for (i = 0; i < nr_toolchains; i++)
		if (!strcmp(toolchains[i].version, t->version))
			return;
	snprintf(t->go, sizeof(t->go), "%s", go);
	memcpy(version, t->version, sizeof(version));
	snprintf(t->dir, sizeof(t->dir), "%s/%s", tmpdir, version);
	nr_toolchains++;
}

static void find_toolchains(void)
{
	char path[256];
	glob_t g;
	size_t i;

	first_line(path, sizeof(path), "command -v go 2>/dev/null");
	if (path[0])
		add_toolchain(path);
	if (!glob("/usr/lib/go-1.*/bin/go", 0, NULL, &g)) {
		for (i = 0; i < g.gl_pathc; i++)
			add_toolchain(g.gl_pathv[i]);
		globfree(&g);
	}
}

/* Builds dir/name from source with extra go build flags. 0 or -1. */
static int go_build(const struct toolchain *t, const char *name, const char *source,
		    const char *flags, const char *env)
{
	char src[400];
	FILE *f;

	snprintf(src, sizeof(src), "%s/%s.go", t->dir, name);
	f = fopen(src, "w");
	if (!f || fputs(source, f) < 0 || fclose(f)) {
		fprintf(stderr, "cannot write %s\n", src);
		return -1;
	}
	if (run("cd %s && GOTOOLCHAIN=local GOFLAGS=-mod=mod %s %s build %s -o %s %s.go", t->dir,
		env, t->go, flags, name, name)) {
		fprintf(stderr, "%s: go build %s of %s failed\n", t->version, flags, name);
		return -1;
	}
	return 0;
}

static int build_all(struct toolchain *t)
{
	if (mkdir(t->dir, 0700))
		return -1;
	if (go_build(t, "plain", goroutines_go, "", "") ||
	    go_build(t, "stripped", goroutines_go, "-ldflags='-s -w'", "") ||
	    go_build(t, "pie", goroutines_go, "-buildmode=pie", "") ||
	    go_build(t, "pprof", pprof_go, "", "") ||
	    go_build(t, "pprofstripped", pprof_go, "-ldflags='-s -w'", "") ||
	    go_build(t, "cgo", cgo_go, "", "CGO_ENABLED=1") ||
	    (t->minor >= 23 && go_build(t, "coro", coro_go, "", "")))
		return -1;
	/* Stripped by binutils: the same addresses as plain, so nm of plain is the truth. */
	if (run("objcopy --strip-all %s/plain %s/objstripped && "
		"objcopy --strip-all %s/pie %s/objstrippedpie && "
		"objcopy --strip-all %s/cgo %s/objstrippedcgo",
		t->dir, t->dir, t->dir, t->dir, t->dir, t->dir)) {
		fprintf(stderr, "objcopy --strip-all failed\n");
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	size_t i;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	/* go needs a cache; root in a bare environment may have no HOME. */
	if (!getenv("GOCACHE") && !getenv("HOME"))
		setenv("GOCACHE", "/tmp/memleakd-test-gocache", 0);
	find_toolchains();
	no_go = nr_toolchains == 0;
	for (i = 0; i < nr_toolchains; i++)
		printf("Go toolchain %s: %s\n", toolchains[i].version, toolchains[i].go);
	for (i = 0; i < nr_toolchains; i++)
		if (build_all(&toolchains[i]))
			return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	run("rm -rf %s", tmpdir);
	return 0;
}

static void require_go(void)
{
	const char *ci = getenv("CI");

	if (!no_go)
		return;
	if (ci && !strcmp(ci, "true"))
		fail_msg("no Go toolchain (go on PATH or /usr/lib/go-1.*/bin/go) and CI=true");
	print_message("no Go toolchain found: skipped\n");
	skip();
}

static struct go_binary *analyze_built(const struct toolchain *t, const char *name)
{
	struct go_binary *gb = NULL;
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	check_eq(is_go_path(path), 1);
	check_eq(analyze_path(path, &gb), 0);
	assert_non_null(gb);
	if (gb->unsupported)
		fail_msg("%s %s: unsupported: %s", t->version, name, gb->unsupported);
	assert_string_equal(gb->version, t->version);
	return gb;
}

/* The address go tool objdump prints on the line matching match in function fn (+next lines). */
static uint64_t objdump_addr(const struct toolchain *t, const char *bin, const char *fn,
			     const char *match, int next)
{
	char cmd[800], line[512];

	snprintf(cmd, sizeof(cmd),
		 "GOTOOLCHAIN=local %s tool objdump -s '^%s$' %s/%s | grep -A%d '%s' | tail -1 | "
		 "grep -o '0x[0-9a-f]*' | head -1",
		 t->go, fn, t->dir, bin, next, match);
	first_line(line, sizeof(line), cmd);
	if (!line[0])
		fail_msg("%s: no '%s' in objdump of %s", t->version, match, fn);
	return strtoull(line, NULL, 16);
}

/* A symbol's address in go tool nm's output. */
static uint64_t nm_addr(const struct toolchain *t, const char *bin, const char *symbol)
{
	char cmd[800], line[512];

	snprintf(cmd, sizeof(cmd), "GOTOOLCHAIN=local %s tool nm %s/%s | grep ' %s$' | head -1",
		 t->go, t->dir, bin, symbol);
	first_line(line, sizeof(line), cmd);
	if (!line[0])
		fail_msg("%s: no %s in nm of %s", t->version, symbol, bin);
	return strtoull(line, NULL, 16);
}

/* The site of role with the lowest vaddr... the first one with that role and reg. */
static const struct go_probe_site *site_of(const struct go_binary *gb, int role, int reg)
{
	size_t i;

	for (i = 0; i < gb->nr_sites; i++)
		if (gb->sites[i].role == role && gb->sites[i].reg == reg)
			return &gb->sites[i];
	fail_msg("no site with role %d reg %d", role, reg);
	return NULL;
}

/* The file holds at site->file_offset (- back) a CALL to callee. */
static void check_call_in_file(const struct toolchain *t, const char *bin,
			       const struct go_binary *gb, const struct go_probe_site *site,
			       const char *callee, int back)
{
	struct gofunc fn;
	uint8_t insn[5];
	char path[400];
	int32_t rel;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, bin);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	check_eq(pread(fd, insn, 5, (off_t)(site->file_offset - back)), 5);
	close(fd);
	check_hex(insn[0], 0xe8);
	memcpy(&rel, insn + 1, 4);
	check_eq(gopclntab__find(gb->pcln, callee, &fn), 0);
	check_hex(site->vaddr - back + 5 + (uint64_t)(int64_t)rel, fn.entry);
}

/* The exit site's caller in this version. */
static const char *exit_caller(const struct toolchain *t)
{
	return t->minor >= 22 ? "runtime.gdestroy" : "runtime.goexit0";
}

/* Sites of a binary compared with objdump of plain (same text as bin) and the bytes in bin. */
static void check_sites(const struct toolchain *t, const char *bin, const struct go_binary *gb,
			bool same_text_as_plain)
{
	const struct go_probe_site *create, *exit;

	assert_null(gb->probes_off);
	check_eq(gb->nr_sites, 2);
	create = site_of(gb, GO_SITE_CREATE, GO_REG_RBX);
	exit = site_of(gb, GO_SITE_EXIT, GO_REG_RAX);
	if (same_text_as_plain) {
		check_hex(create->vaddr, objdump_addr(t, "plain", "runtime.newproc.func1",
						      "CALL runtime.runqput(SB)", 0));
		check_hex(exit->vaddr, objdump_addr(t, "plain", exit_caller(t),
						    "CALL runtime.casgstatus(SB)", 0));
	} else {
		check_hex(create->vaddr, objdump_addr(t, bin, "runtime.newproc.func1",
						      "CALL runtime.runqput(SB)", 0));
		check_hex(exit->vaddr,
			  objdump_addr(t, bin, exit_caller(t), "CALL runtime.casgstatus(SB)", 0));
	}
	assert_non_null(strstr(create->where, "runtime.newproc.func1+0x"));
	assert_non_null(strstr(exit->where, exit_caller(t)));
	check_call_in_file(t, bin, gb, create, "runtime.runqput", 0);
	check_call_in_file(t, bin, gb, exit, "runtime.casgstatus", 0);
}

static void check_table_offsets(const struct toolchain *t, const struct go_binary *gb)
{
	struct go_g_offsets table;

	check_eq(gobin__table_offsets(1, t->minor, &table), 0);
	if (memcmp(&table, &gb->g, sizeof(table)))
		fail_msg("%s: runtime.g offsets differ from the table (goid %u/%u gopc %u/%u "
			 "startpc %u/%u status %u/%u size %u/%u)",
			 t->version, gb->g.goid, table.goid, gb->g.gopc, table.gopc, gb->g.startpc,
			 table.startpc, gb->g.atomicstatus, table.atomicstatus, gb->g.size,
			 table.size);
}

static void test_plain(void **state)
{
	size_t i;

	(void)state;
	require_go();
	for (i = 0; i < nr_toolchains; i++) {
		const struct toolchain *t = &toolchains[i];
		struct go_binary *gb = analyze_built(t, "plain");

		assert_true(gb->has_symtab);
		assert_true(gb->has_dwarf);
		assert_true(gb->g_from_dwarf);
		check_table_offsets(t, gb); /* the table verified by DWARF */
		assert_false(gb->pie);
		assert_false(gb->cgo);
		assert_true(gb->profiling_disabled); /* no runtime/pprof */
		check_sites(t, "plain", gb, true);
		assert_true(gb->globals.from_symtab);
		check_hex(gb->globals.allgs, nm_addr(t, "plain", "runtime.allgs"));
		check_hex(gb->globals.mbuckets, nm_addr(t, "plain", "runtime.mbuckets"));
		check_hex(gb->globals.mprofcycle, nm_addr(t, "plain", "runtime.mProfCycle"));
		check_hex(gb->globals.memprofilerate,
			  nm_addr(t, "plain", "runtime.MemProfileRate"));
		gobin__free(gb);
	}
}

static void test_stripped(void **state)
{
	size_t i;

	(void)state;
	require_go();
	for (i = 0; i < nr_toolchains; i++) {
		const struct toolchain *t = &toolchains[i];
		struct go_binary *gb = analyze_built(t, "stripped");
		struct go_binary *plain = analyze_built(t, "plain");
		size_t k;

		assert_false(gb->has_symtab);
		assert_false(gb->has_dwarf);
		assert_false(gb->g_from_dwarf);
		check_table_offsets(t, gb);
		assert_true(gb->profiling_disabled);
		assert_false(gb->globals.from_symtab);
		assert_true(gb->globals.allgs && gb->globals.mbuckets && gb->globals.mprofcycle &&
			    gb->globals.memprofilerate);
		/* Same code as plain: every site at the same place in the same function. */
		check_eq(gb->nr_sites, plain->nr_sites);
		for (k = 0; k < gb->nr_sites; k++) {
			struct gofunc f1, f2;

			check_eq(gopclntab__lookup(gb->pcln, gb->sites[k].vaddr, &f1), 0);
			check_eq(gopclntab__lookup(plain->pcln, plain->sites[k].vaddr, &f2), 0);
			assert_string_equal(f1.name, f2.name);
			check_hex(gb->sites[k].vaddr - f1.entry, plain->sites[k].vaddr - f2.entry);
		}
		check_call_in_file(t, "stripped", gb, site_of(gb, GO_SITE_CREATE, GO_REG_RBX),
				   "runtime.runqput", 0);
		check_call_in_file(t, "stripped", gb, site_of(gb, GO_SITE_EXIT, GO_REG_RAX),
				   "runtime.casgstatus", 0);
		gobin__free(plain);
		gobin__free(gb);
	}
}

/* The stripped-binary heuristics find the globals nm finds in the unstripped original. */
static void test_heuristic_globals(void **state)
{
	size_t i;

	(void)state;
	require_go();
	for (i = 0; i < nr_toolchains; i++) {
		const struct toolchain *t = &toolchains[i];
		struct go_binary *gb = analyze_built(t, "objstripped");

		assert_false(gb->has_symtab);
		assert_false(gb->globals.from_symtab);
		check_hex(gb->globals.allgs, nm_addr(t, "plain", "runtime.allgs"));
		check_hex(gb->globals.mbuckets, nm_addr(t, "plain", "runtime.mbuckets"));
		check_hex(gb->globals.mprofcycle, nm_addr(t, "plain", "runtime.mProfCycle"));
		check_hex(gb->globals.memprofilerate,
			  nm_addr(t, "plain", "runtime.MemProfileRate"));
		assert_true(gb->profiling_disabled);
		check_sites(t, "objstripped", gb, true);
		gobin__free(gb);
		gb = analyze_built(t, "objstrippedpie");
		assert_true(gb->pie);
		assert_false(gb->globals.from_symtab);
		check_hex(gb->globals.allgs, nm_addr(t, "pie", "runtime.allgs"));
		check_hex(gb->globals.mbuckets, nm_addr(t, "pie", "runtime.mbuckets"));
		check_hex(gb->globals.mprofcycle, nm_addr(t, "pie", "runtime.mProfCycle"));
		check_hex(gb->globals.memprofilerate, nm_addr(t, "pie", "runtime.MemProfileRate"));
		gobin__free(gb);
	}
}

static void test_pie(void **state)
{
	size_t i;

	(void)state;
	require_go();
	for (i = 0; i < nr_toolchains; i++) {
		const struct toolchain *t = &toolchains[i];
		struct go_binary *gb = analyze_built(t, "pie");

		assert_true(gb->pie);
		assert_false(gb->cgo); /* a PT_INTERP, but no libc */
		check_sites(t, "pie", gb, false);
		assert_true(gb->globals.from_symtab);
		check_hex(gb->globals.allgs, nm_addr(t, "pie", "runtime.allgs"));
		check_hex(gb->globals.mbuckets, nm_addr(t, "pie", "runtime.mbuckets"));
		gobin__free(gb);
	}
}

static void test_pprof_keeps_profiling(void **state)
{
	size_t i;

	(void)state;
	require_go();
	for (i = 0; i < nr_toolchains; i++) {
		struct go_binary *gb = analyze_built(&toolchains[i], "pprof");

		assert_false(gb->profiling_disabled);
		assert_true(gb->has_symtab);
		gobin__free(gb);
		gb = analyze_built(&toolchains[i], "pprofstripped");
		assert_false(gb->has_symtab);
		assert_false(gb->profiling_disabled);
		assert_true(gb->globals.mbuckets != 0);
		gobin__free(gb);
	}
}

static void test_cgo(void **state)
{
	size_t i;

	(void)state;
	require_go();
	for (i = 0; i < nr_toolchains; i++) {
		const struct toolchain *t = &toolchains[i];
		struct go_binary *gb = analyze_built(t, "cgo");

		assert_true(gb->cgo);
		check_sites(t, "cgo", gb, false);
		check_hex(gb->globals.allgs, nm_addr(t, "cgo", "runtime.allgs"));
		gobin__free(gb);
		/* Linked by gcc: another layout for the stripped-binary heuristics. */
		gb = analyze_built(t, "objstrippedcgo");
		assert_true(gb->cgo);
		assert_false(gb->globals.from_symtab);
		check_hex(gb->globals.allgs, nm_addr(t, "cgo", "runtime.allgs"));
		check_hex(gb->globals.mbuckets, nm_addr(t, "cgo", "runtime.mbuckets"));
		check_hex(gb->globals.mprofcycle, nm_addr(t, "cgo", "runtime.mProfCycle"));
		check_hex(gb->globals.memprofilerate, nm_addr(t, "cgo", "runtime.MemProfileRate"));
		assert_true(gb->profiling_disabled);
		gobin__free(gb);
	}
}

static void test_coroutines(void **state)
{
	const struct go_probe_site *coro = NULL;
	bool tested = false;
	size_t i, k;

	(void)state;
	require_go();
	for (i = 0; i < nr_toolchains; i++) {
		const struct toolchain *t = &toolchains[i];
		struct go_binary *gb;

		if (t->minor < 23)
			continue;
		gb = analyze_built(t, "coro");
		check_eq(gb->nr_sites, 3);
		for (k = 0; k < gb->nr_sites; k++)
			if (gb->sites[k].role == GO_SITE_CREATE && gb->sites[k].reg == GO_REG_RAX)
				coro = &gb->sites[k];
		assert_non_null(coro);
		/* The instruction after the CALL: objdump's next line. */
		check_hex(coro->vaddr, objdump_addr(t, "coro", "runtime.newcoro.func1",
						    "CALL runtime.newproc1(SB)", 1));
		check_call_in_file(t, "coro", gb, coro, "runtime.newproc1", 5);
		assert_non_null(strstr(coro->where, "after CALL runtime.newproc1"));
		gobin__free(gb);
		tested = true;
	}
	if (!tested) {
		print_message("no Go >= 1.23 toolchain: coroutine site not tested\n");
		skip();
	}
}

/* --- hostile files ------------------------------------------------------------------ */

static uint8_t *read_whole(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	check_eq(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

enum verdict { V_REFUSED, V_UNSUPPORTED, V_NO_SITES, V_SITES, NR_VERDICTS };

/* Analyzes a damaged copy: any verdict but a crash (ASan watches) or a bad result. */
static enum verdict analyze_damaged(const char *path, const uint8_t *data, size_t len)
{
	enum verdict v;

	struct go_binary *gb = NULL;
	int err, is_go;
	size_t k;

	write_file(path, data, len);
	is_go = is_go_path(path);
	assert_true(is_go == 0 || is_go == 1 || is_go == -EINVAL);
	err = analyze_path(path, &gb);
	if (err != 0 && err != -ENOEXEC && err != -EINVAL)
		fail_msg("analyze of a damaged file: %d", err);
	if (err) {
		assert_null(gb);
		return V_REFUSED;
	}
	assert_true(strlen(gb->version) < sizeof(gb->version));
	assert_true(gb->nr_sites <= GO_MAX_SITES);
	for (k = 0; k < gb->nr_sites; k++)
		assert_non_null(gb->sites[k].where);
	v = gb->unsupported ? V_UNSUPPORTED : gb->nr_sites ? V_SITES : V_NO_SITES;
	gobin__free(gb);
	return v;
}

/* A copy of dir/name whose build info says version (same length as the real one). */
static void write_with_version(const struct toolchain *t, const char *name, const char *version,
			       const char *out)
{
	char src[400];
	uint8_t *data, *at;
	size_t len, vlen = strlen(t->version);

	check_eq(strlen(version), vlen);
	snprintf(src, sizeof(src), "%s/%s", t->dir, name);
	data = read_whole(src, &len);
	at = memmem(data, len, "\xff Go buildinf:", 14);
	assert_non_null(at);
	assert_true(at[15] & 2); /* the inline format */
	assert_memory_equal(at + 33, t->version, vlen);
	memcpy(at + 33, version, vlen);
	write_file(out, data, len);
	free(data);
}

/* The toolchain's version with another two-digit minor ("go1.19.8" -> "go1.99.8"). */
static const char *with_minor(const struct toolchain *t, const char *minor, char *buf, size_t len)
{
	snprintf(buf, len, "%s", t->version);
	assert_true(strlen(buf) >= 6 && !strncmp(buf, "go1.", 4));
	memcpy(buf + 4, minor, 2);
	return buf;
}

/* Unknown versions: refused without DWARF, read through DWARF with it. */
static void test_version_policy(void **state)
{
	const struct toolchain *t;
	struct go_binary *gb;
	char path[400], version[32];

	(void)state;
	require_go();
	t = &toolchains[0];
	snprintf(path, sizeof(path), "%s/future", tmpdir);
	write_with_version(t, "stripped", with_minor(t, "99", version, sizeof(version)), path);
	check_eq(analyze_path(path, &gb), 0);
	assert_string_equal(gb->version, version);
	check_eq(gb->minor, 99);
	assert_non_null(gb->unsupported);
	assert_non_null(strstr(gb->unsupported, "newer than 1.23"));
	check_eq(gb->nr_sites, 0);
	gobin__free(gb);
	write_with_version(t, "plain", version, path);
	check_eq(analyze_path(path, &gb), 0);
	assert_null(gb->unsupported);
	assert_true(gb->g_from_dwarf);
	check_eq(gb->nr_sites, 2);
	gobin__free(gb);
	write_with_version(t, "stripped", with_minor(t, "17", version, sizeof(version)), path);
	check_eq(analyze_path(path, &gb), 0);
	assert_non_null(gb->unsupported);
	assert_non_null(strstr(gb->unsupported, "older than 1.18"));
	gobin__free(gb);
	/* 1.18 is supported, but the table has no entry for it: DWARF only. */
	write_with_version(t, "stripped", with_minor(t, "18", version, sizeof(version)), path);
	check_eq(analyze_path(path, &gb), 0);
	assert_non_null(gb->unsupported);
	assert_non_null(strstr(gb->unsupported, "no runtime.g offsets"));
	gobin__free(gb);
}

/* The file offset and link-time address of a section of path. */
static void section_of(const char *path, const char *name, uint64_t *offset, uint64_t *vaddr)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t strndx;
	int fd = open(path, O_RDONLY);
	Elf *elf;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &strndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		const char *sname =
		    gelf_getshdr(scn, &shdr) ? elf_strptr(elf, strndx, shdr.sh_name) : NULL;

		if (sname && !strcmp(sname, name))
			break;
	}
	assert_non_null(scn);
	*offset = shdr.sh_offset;
	*vaddr = shdr.sh_addr;
	elf_end(elf);
	close(fd);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Go < 1.18 build info: a pointer to the version's string header. Rewritten
 * into a real binary's .go.buildinfo: the header at +32, the text at +48.
 */
static void test_pointer_format_version(void **state)
{
	char src[400], path[400];
	uint64_t offset, vaddr;
	struct go_binary *gb;
	uint8_t *data, *bi;
	size_t len;

	(void)state;
	require_go();
	snprintf(src, sizeof(src), "%s/stripped", toolchains[0].dir);
	snprintf(path, sizeof(path), "%s/oldinfo", tmpdir);
	section_of(src, ".go.buildinfo", &offset, &vaddr);
	data = read_whole(src, &len);
	assert_true(offset + 64 <= len);
	bi = data + offset;
	bi[15] = 0; /* flags: pointers, little-endian */
	put_le64(bi + 16, vaddr + 32);
	put_le64(bi + 32, vaddr + 48);
	put_le64(bi + 40, 9);
	memcpy(bi + 48, "go1.17.13", 9);
	write_file(path, data, len);
	check_eq(analyze_path(path, &gb), 0);
	assert_string_equal(gb->version, "go1.17.13");
	check_eq(gb->minor, 17);
	check_eq(gb->patch, 13);
	assert_non_null(gb->unsupported);
	assert_non_null(strstr(gb->unsupported, "older than 1.18"));
	gobin__free(gb);
	/* The string's pointer outside the file: no version. */
	put_le64(bi + 32, 0x7fff00000000ULL);
	write_file(path, data, len);
	check_eq(analyze_path(path, &gb), 0);
	assert_string_equal(gb->version, "");
	check_eq(gb->minor, 0);
	assert_non_null(strstr(gb->unsupported, "unknown Go version"));
	gobin__free(gb);
	/* A length beyond any version. */
	put_le64(bi + 32, vaddr + 48);
	put_le64(bi + 40, 1u << 20);
	write_file(path, data, len);
	check_eq(analyze_path(path, &gb), 0);
	assert_string_equal(gb->version, "");
	gobin__free(gb);
	free(data);
}

/* Where damage hurts most: ELF and program headers, section headers, build info, pclntab header. */
static size_t hot_spots(const uint8_t *data, size_t len, size_t *spots)
{
	const uint8_t *at;
	size_t n = 0;

	spots[n++] = 0;
	spots[n++] = len - 2048;
	at = memmem(data, len, "\xff Go buildinf:", 14);
	assert_non_null(at);
	spots[n++] = (size_t)(at - data);
	/* pclntab: magic 0xfffffff0/1, two zero bytes, min. instruction size 1, pointer size 8. */
	at = memmem(data, len, "\xff\xff\xff\x00\x00\x01\x08", 7);
	assert_non_null(at);
	spots[n++] = (size_t)(at - data) - 1;
	return n;
}

static void test_damaged(void **state)
{
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	char src[400], path[400];
	size_t len, i, k, spots[4], nr_spots, spot, verdicts[NR_VERDICTS] = {0};
	uint8_t *data, *copy;

	(void)state;
	require_go();
	snprintf(src, sizeof(src), "%s/stripped", toolchains[0].dir);
	snprintf(path, sizeof(path), "%s/damaged", tmpdir);
	data = read_whole(src, &len);
	copy = malloc(len);
	assert_non_null(copy);
	nr_spots = hot_spots(data, len, spots);
	/* Truncated anywhere: in the headers, the text, the pclntab, the build info. */
	for (i = 0; i < 24; i++)
		verdicts[analyze_damaged(path, data, i < 4 ? i * 40 : len / 24 * i)]++;
	/* Bytes flipped, in bursts, all over the file. */
	for (i = 0; i < 40; i++) {
		memcpy(copy, data, len);
		for (k = 0; k < 64; k++)
			copy[rng_next(&rng) % len] ^= (uint8_t)(1 + rng_next(&rng) % 255);
		verdicts[analyze_damaged(path, copy, len)]++;
	}
	/* A few bytes flipped in the first 64 of a hot spot. */
	for (i = 0; i < 200; i++) {
		memcpy(copy, data, len);
		spot = spots[i % nr_spots];
		for (k = 0; k < 1 + i % 4; k++)
			copy[spot + rng_next(&rng) % 64] ^= (uint8_t)(1 + rng_next(&rng) % 255);
		verdicts[analyze_damaged(path, copy, len)]++;
	}
	print_message("damaged copies: %zu refused, %zu unsupported, %zu without sites, %zu with\n",
		      verdicts[V_REFUSED], verdicts[V_UNSUPPORTED], verdicts[V_NO_SITES],
		      verdicts[V_SITES]);
	/* The damage reached every outcome: the paths above were exercised, not skipped. */
	for (k = 0; k < NR_VERDICTS; k++)
		assert_true(verdicts[k] > 0);
	free(copy);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_version),
	    cmocka_unit_test(test_buildinfo_inline),
	    cmocka_unit_test(test_buildinfo_pointer_and_bad),
	    cmocka_unit_test(test_find_call),
	    cmocka_unit_test(test_rip_load),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_not_go),
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_stripped),
	    cmocka_unit_test(test_heuristic_globals),
	    cmocka_unit_test(test_pie),
	    cmocka_unit_test(test_pprof_keeps_profiling),
	    cmocka_unit_test(test_cgo),
	    cmocka_unit_test(test_coroutines),
	    cmocka_unit_test(test_version_policy),
	    cmocka_unit_test(test_pointer_format_version),
	    cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
