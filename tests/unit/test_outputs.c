// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The files outputs__write renders (src/outputs.h): the goroutine and Go
 * heap profiles beside --pprof FILE, only when the snapshot has such stacks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"
#include "snapshot_fixture.h"

#include "opts.h"
#include "outputs.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/memleakd-outputs-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static bool exists(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !stat(path, &st) && S_ISREG(st.st_mode) && st.st_size > 20;
}

/* Renders snap with --pprof DIR/name; the report goes to /dev/null. */
static void write_outputs(const char *name, const struct snapshot *snap)
{
	char path[128];
	struct opts opts;
	struct outputs *outs;
	int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);

	assert_true(saved >= 0 && null >= 0);
	memset(&opts, 0, sizeof(opts));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	opts.pprof_path = path;
	opts.top = 10;
	check_eq(outputs__open(&opts, &outs), 0);
	fflush(stdout);
	dup2(null, STDOUT_FILENO);
	check_eq(outputs__write(outs, snap), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	outputs__close(outs);
}

static void test_outputs_go_profiles_beside_pprof(void **state)
{
	struct snapshot *snap = make_go_snapshot(NULL);

	(void)state;
	write_outputs("app.pb.gz", snap);
	assert_true(exists("app.pb.gz"));
	assert_true(exists("app.goroutine.pb.gz"));
	assert_true(exists("app.go-heap.pb.gz"));
	write_outputs("plain", snap);
	assert_true(exists("plain"));
	assert_true(exists("plain.goroutine"));
	assert_true(exists("plain.go-heap"));
	snapshot__free(snap);
	/* No Go stacks: only FILE. */
	snap = make_snapshot();
	write_outputs("c.pb.gz", snap);
	assert_true(exists("c.pb.gz"));
	assert_false(exists("c.goroutine.pb.gz"));
	assert_false(exists("c.go-heap.pb.gz"));
	snapshot__free(snap);
}

/* A side file's path is replaced like FILE: a planted symlink is not followed. */
static void test_outputs_go_profile_symlink_replaced(void **state)
{
	struct snapshot *snap = make_go_snapshot(NULL);
	char link_path[128], victim[128];
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(link_path, sizeof(link_path), "%s/x.goroutine.pb.gz", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("keep", f);
	fclose(f);
	check_eq(symlink(victim, link_path), 0);
	write_outputs("x.pb.gz", snap);
	check_eq(lstat(link_path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	check_eq(stat(victim, &st), 0);
	check_eq(st.st_size, 4);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_outputs_go_profiles_beside_pprof, make_dir,
					    remove_dir),
	    cmocka_unit_test_setup_teardown(test_outputs_go_profile_symlink_replaced, make_dir,
					    remove_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
