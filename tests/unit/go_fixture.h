/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Real Go binaries for the Go symbolization tests: tests/fixtures/go/symtest
 * built at run time with each installed toolchain (Go 1.19 = `go` on PATH,
 * Go 1.23 = /usr/lib/go-1.23/bin/go or $GO123), plain, stripped (-s -w) and
 * PIE, into $BUILD/go-symtest (GOCACHE $BUILD/go-symtest/cache; a binary
 * newer than the source is reused). A missing toolchain skips with a message, unless
 * CI=true, where it fails. Include after cmocka.h and elf_fixture.h.
 */
#ifndef MEMLEAKD_TEST_GO_FIXTURE_H
#define MEMLEAKD_TEST_GO_FIXTURE_H

#define GO_SYMTEST_SOURCE "tests/fixtures/go/symtest/main.go"
#define GO_CGOTEST_SOURCE "tests/fixtures/go/symtest/cgo/main.go"

struct go_variant {
	const char *label;   /* also the binary's file name */
	int minor;	     /* Go 1.<minor> */
	const char *ldflags; /* "" or "-s -w" */
	bool pie;
	const char *source; /* NULL: GO_SYMTEST_SOURCE */
};

static const struct go_variant go_variants[] = {
    {"go119-plain", 19, "", false, NULL},
    {"go119-stripped", 19, "-s -w", false, NULL},
    {"go119-pie", 19, "", true, NULL},
    {"go123-plain", 23, "", false, NULL},
    {"go123-stripped", 23, "-s -w", false, NULL},
    {"go123-pie", 23, "", true, NULL},
};
#define NR_GO_VARIANTS (sizeof(go_variants) / sizeof(go_variants[0]))

/* cgo: C code in the Go binary, linked by Go (internal) or by gcc (external). */
static const struct go_variant go_cgo_variants[] = {
    {"go119-cgo-internal", 19, "-linkmode=internal", false, GO_CGOTEST_SOURCE},
    {"go123-cgo-external", 23, "-linkmode=external", false, GO_CGOTEST_SOURCE},
};
#define NR_GO_CGO_VARIANTS (sizeof(go_cgo_variants) / sizeof(go_cgo_variants[0]))

static __attribute__((unused)) const char *go_build_dir(void)
{
	static char dir[PATH_MAX];
	const char *build = getenv("BUILD");

	snprintf(dir, sizeof(dir), "%s", build && *build ? build : "build");
	return dir;
}

/* The go command of toolchain 1.<minor>, or NULL when it is not installed. */
static __attribute__((unused)) const char *go_tool(int minor)
{
	const char *env = getenv(minor == 19 ? "GO119" : "GO123");
	static const char *const candidates_19[] = {"/usr/lib/go-1.19/bin/go", "/usr/bin/go"};
	static const char *const candidates_23[] = {"/usr/lib/go-1.23/bin/go"};
	const char *const *c = minor == 19 ? candidates_19 : candidates_23;
	size_t i, n = minor == 19 ? 2 : 1;

	if (env && *env)
		return access(env, X_OK) ? NULL : env;
	for (i = 0; i < n; i++)
		if (!access(c[i], X_OK))
			return c[i];
	return NULL;
}

static __attribute__((unused)) bool go_under_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

/*
 * The path of variant v built from the fixture source; NULL (after a
 * visible message, a failure under CI=true) when its toolchain is missing.
 * A failing build fails the test.
 */
static __attribute__((unused)) const char *go_binary(const struct go_variant *v)
{
	static char paths[NR_GO_VARIANTS + NR_GO_CGO_VARIANTS][2 * PATH_MAX];
	char cmd[8 * PATH_MAX], dir[2 * PATH_MAX], abs_dir[PATH_MAX], src[PATH_MAX];
	size_t i = v >= go_variants && v < go_variants + NR_GO_VARIANTS
		       ? (size_t)(v - go_variants)
		       : NR_GO_VARIANTS + (size_t)(v - go_cgo_variants);
	const char *go = go_tool(v->minor), *source = v->source ? v->source : GO_SYMTEST_SOURCE;
	struct stat st, src_st;
	int rc;

	if (!go) {
		if (go_under_ci())
			fail_msg("no Go 1.%d toolchain, and CI=true", v->minor);
		fprintf(stderr, "SKIP: no Go 1.%d toolchain: %s not built\n", v->minor, v->label);
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s/go-symtest", go_build_dir());
	mkdir(go_build_dir(), 0755);
	mkdir(dir, 0755);
	if (!realpath(dir, abs_dir) || !realpath(source, src))
		fail_msg("%s or %s: %s", dir, source, strerror(errno));
	snprintf(paths[i], sizeof(paths[i]), "%s/%s", abs_dir, v->label);
	/* Built before from the same source: reuse. */
	if (!stat(paths[i], &st) && st.st_size > 0 && !stat(src, &src_st) &&
	    src_st.st_mtime < st.st_mtime)
		return paths[i];
	snprintf(cmd, sizeof(cmd),
		 "GOTOOLCHAIN=local GOFLAGS=-mod=mod GOCACHE='%s/cache' '%s' build %s "
		 "-ldflags='%s' -o '%s' '%s' >'%s.log' 2>&1",
		 abs_dir, go, v->pie ? "-buildmode=pie" : "", v->ldflags, paths[i], src, paths[i]);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("building %s failed (%d): see %s.log", v->label, rc, paths[i]);
	return paths[i];
}

/* The line of source holding "MARK:<name>". */
static __attribute__((unused)) int go_marker_line_in(const char *source, const char *name)
{
	char line[512], marker[128];
	FILE *f = fopen(source, "r");
	int nr = 0;

	assert_non_null(f);
	snprintf(marker, sizeof(marker), "MARK:%s", name);
	while (fgets(line, sizeof(line), f)) {
		nr++;
		if (strstr(line, marker)) {
			fclose(f);
			return nr;
		}
	}
	fclose(f);
	fail_msg("no %s in %s", marker, source);
	return 0;
}

static __attribute__((unused)) int go_marker_line(const char *name)
{
	return go_marker_line_in(GO_SYMTEST_SOURCE, name);
}

/* Whether path ends in "go/symtest/main.go", the fixture source. */
static __attribute__((unused)) bool go_is_fixture_file(const char *path)
{
	static const char tail[] = "go/symtest/main.go";
	size_t len = path ? strlen(path) : 0;

	return len >= sizeof(tail) - 1 && !strcmp(path + len - (sizeof(tail) - 1), tail);
}

/*
 * `go tool nm` of binary: the address of the text symbol name, 0 when it
 * lists none.
 */
static __attribute__((unused)) uint64_t go_nm_addr(int minor, const char *binary, const char *name)
{
	char cmd[2 * PATH_MAX], line[1024], sym[512], type[8];
	unsigned long long addr, found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "GOTOOLCHAIN=local '%s' tool nm '%s'", go_tool(minor), binary);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %7s %511s", &addr, type, sym) == 3 && !strcmp(sym, name) &&
		    (!strcmp(type, "T") || !strcmp(type, "t")))
			found = addr;
	assert_int_equal(pclose(p), 0);
	return found;
}

#endif
