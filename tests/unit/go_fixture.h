/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Real Go binaries for the Go symbolization tests: tests/fixtures/go/symtest
 * built at run time with Go 1.19 and Go 1.23 (go_tool: $GO119/$GO123,
 * /usr/lib/go-1.N/bin/go, or `go` on PATH if it is that version), plain, stripped (-s -w) and
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

/* Whether the go command at path is Go 1.<minor> (go env GOVERSION). */
static __attribute__((unused)) bool go_is_version(const char *path, int minor)
{
	char cmd[2 * PATH_MAX], version[64] = "", want[16];
	FILE *p;
	size_t len;

	if (access(path, X_OK))
		return false;
	snprintf(cmd, sizeof(cmd), "GOTOOLCHAIN=local '%s' env GOVERSION 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	if (!fgets(version, sizeof(version), p))
		version[0] = '\0';
	pclose(p);
	len = (size_t)snprintf(want, sizeof(want), "go1.%d", minor);
	return !strncmp(version, want, len) && (version[len] == '.' || version[len] == '\n');
}

/*
 * The go command of Go 1.<minor>, or NULL when none is installed: $GO1<minor>,
 * then Debian's /usr/lib/go-1.<minor>/bin/go, then `go` on PATH, each
 * checked to be that version.
 */
static __attribute__((unused)) const char *go_tool(int minor)
{
	static char found[2][PATH_MAX];
	static bool looked[2];
	char env_name[16], path[PATH_MAX] = "";
	const char *env, *dir, *end;
	int slot = minor == 19 ? 0 : 1;

	if (looked[slot])
		return found[slot][0] ? found[slot] : NULL;
	looked[slot] = true;
	snprintf(env_name, sizeof(env_name), "GO1%d", minor);
	env = getenv(env_name);
	if (env && *env) {
		if (go_is_version(env, minor))
			snprintf(found[slot], PATH_MAX, "%s", env);
		return found[slot][0] ? found[slot] : NULL;
	}
	snprintf(path, sizeof(path), "/usr/lib/go-1.%d/bin/go", minor);
	if (go_is_version(path, minor)) {
		snprintf(found[slot], PATH_MAX, "%s", path);
		return found[slot];
	}
	for (dir = getenv("PATH"); dir && *dir; dir = *end ? end + 1 : end) {
		end = strchrnul(dir, ':');
		snprintf(path, sizeof(path), "%.*s/go", (int)(end - dir), dir);
		if (end > dir && go_is_version(path, minor)) {
			snprintf(found[slot], PATH_MAX, "%s", path);
			return found[slot];
		}
	}
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
