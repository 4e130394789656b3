// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pprof export (src/pprof.h): a gzipped profile.
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

#include <zlib.h>

#include "pprof.h"
#include "profile.pb-c.h"
#include "snapshot.h"

/* Gunzips and decodes what pprof__write wrote. */
static Perftools__Profiles__Profile *decode(const char *gz, size_t len)
{
	static unsigned char raw[1 << 20];
	z_stream z = {0};
	Perftools__Profiles__Profile *p;

	check_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)len;
	z.next_out = raw;
	z.avail_out = sizeof(raw);
	check_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	p = perftools__profiles__profile__unpack(NULL, z.total_out, raw);
	inflateEnd(&z);
	assert_non_null(p);
	return p;
}

static const char *function_name(const Perftools__Profiles__Profile *p, uint64_t location_id)
{
	const Perftools__Profiles__Location *loc = p->location[location_id - 1];
	const Perftools__Profiles__Function *fn = p->function[loc->line[0]->function_id - 1];

	return p->string_table[fn->name];
}

/*
 * Past the export cap: a "[dropped: ...]" sample holds the rest, so the
 * profile's inuse_space adds up to the snapshot's total, and a comment says it.
 */
static void test_pprof_dropped_marker(void **state)
{
	struct snapshot *snap = make_snapshot();
	Perftools__Profiles__Profile *p;
	int64_t total = 0;
	size_t len = 0, i;
	char *text;

	(void)state;
	text = render_with(pprof__write, snap, &len);
	p = decode(text, len);
	check_eq(p->n_sample, 6);
	for (i = 0; i < p->n_sample; i++)
		total += p->sample[i]->value[0];
	check_eq(total, 5000);
	check_eq(p->sample[5]->value[0], 398);
	check_eq(p->sample[5]->value[1], 1);
	assert_string_equal(function_name(p, p->sample[5]->location_id[0]),
			    "[dropped: 1 more stacks past the 5-stack cap]");
	check_eq(p->n_comment, 1);
	assert_string_equal(
	    p->string_table[p->comment[0]],
	    "memleakd: 1 more stacks holding 398 bytes left out (past the 5-stack cap)");
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(text);
	/* Nothing past the cap: no marker. */
	snap->nr_live_stacks = snap->nr_stacks;
	text = render_with(pprof__write, snap, &len);
	p = decode(text, len);
	check_eq(p->n_sample, 5);
	check_eq(p->n_comment, 0);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(text);
	snapshot__free(snap);
}

static void test_pprof_gzip(void **state)
{
	struct snapshot *snap = make_snapshot();
	size_t len = 0;
	char *text;

	(void)state;
	text = render_with(pprof__write, snap, &len);
	assert_true(len > 20);
	check_eq((unsigned char)text[0], 0x1f); /* gzip magic */
	check_eq((unsigned char)text[1], 0x8b);
	free(text);
	snapshot__free(snap);
}

static Perftools__Profiles__Profile *decode_with(render_fn render, const struct snapshot *snap)
{
	Perftools__Profiles__Profile *p;
	size_t len = 0;
	char *text = render_with(render, snap, &len);

	p = decode(text, len);
	free(text);
	return p;
}

static const char *string_of(const Perftools__Profiles__Profile *p, int64_t index)
{
	assert_true(index >= 0 && (size_t)index < p->n_string_table);
	return p->string_table[index];
}

static void check_type(const Perftools__Profiles__Profile *p,
		       const Perftools__Profiles__ValueType *v, const char *type, const char *unit)
{
	assert_string_equal(string_of(p, v->type), type);
	assert_string_equal(string_of(p, v->unit), unit);
}

static struct stack_history growing_history = {
    .values = {1000, 1100, 1204}, .nr_values = 3, .trend = {.rate = 20}, .growing = true};

/* The memory profile keeps malloc and mmap stacks only: Go's kinds have profiles of their own. */
static void test_pprof_memory_profile_skips_go_kinds(void **state)
{
	struct snapshot *snap = make_go_snapshot(&growing_history);
	Perftools__Profiles__Profile *p = decode_with(pprof__write, snap);

	(void)state;
	check_eq(p->n_sample, 1);
	check_eq(p->sample[0]->value[0], 4096);
	assert_string_equal(function_name(p, p->sample[0]->location_id[0]), "c_leak");
	check_eq(p->n_sample_type, 4);
	check_type(p, p->sample_type[0], "inuse_space", "bytes");
	perftools__profiles__profile__free_unpacked(p, NULL);
	snapshot__free(snap);
}

/* Like Go's goroutine profile: goroutine/count, live goroutines per creation stack. */
static void test_pprof_goroutine_profile(void **state)
{
	struct snapshot *snap = make_go_snapshot(&growing_history);
	Perftools__Profiles__Profile *p = decode_with(pprof__write_goroutines, snap);

	(void)state;
	check_eq(p->n_sample_type, 1);
	check_type(p, p->sample_type[0], "goroutine", "count");
	check_type(p, p->period_type, "goroutine", "count");
	check_eq(p->period, 1);
	check_eq(p->n_sample, 2);
	check_eq(p->sample[0]->n_value, 1);
	check_eq(p->sample[0]->value[0], 1204);
	check_eq(p->sample[1]->value[0], 3);
	check_eq(p->sample[0]->n_location_id, 3);
	assert_string_equal(function_name(p, p->sample[0]->location_id[0]),
			    "main.(*Server).handle");
	assert_string_equal(function_name(p, p->sample[0]->location_id[2]), "main.main");
	assert_string_equal(function_name(p, p->sample[1]->location_id[0]), "main.worker");
	check_eq(p->n_comment, 0);
	perftools__profiles__profile__free_unpacked(p, NULL);
	snapshot__free(snap);
}

/*
 * Like runtime/pprof's heap profile: alloc_objects, alloc_space,
 * inuse_objects, inuse_space; period the MemProfileRate; an inlined call is
 * one location with two lines, the inlined function first.
 */
static void test_pprof_go_heap_profile(void **state)
{
	struct snapshot *snap = make_go_snapshot(&growing_history);
	Perftools__Profiles__Profile *p = decode_with(pprof__write_go_heap, snap);
	const Perftools__Profiles__Location *loc;
	const Perftools__Profiles__Function *fn;

	(void)state;
	check_eq(p->n_sample_type, 4);
	check_type(p, p->sample_type[0], "alloc_objects", "count");
	check_type(p, p->sample_type[1], "alloc_space", "bytes");
	check_type(p, p->sample_type[2], "inuse_objects", "count");
	check_type(p, p->sample_type[3], "inuse_space", "bytes");
	check_type(p, p->period_type, "space", "bytes");
	assert_string_equal(string_of(p, p->default_sample_type), "inuse_space");
	check_eq(p->period, 512 * 1024);
	check_eq(p->n_sample, 2);
	check_eq(p->sample[0]->value[0], 12288);
	check_eq(p->sample[0]->value[1], 12 * 1048576);
	check_eq(p->sample[0]->value[2], 3072);
	check_eq(p->sample[0]->value[3], 3 * 1048576);
	check_eq(p->sample[1]->value[3], 65536);
	/* Frames main.newBuffer (inlined), main.(*Server).cache, main.main: two locations. */
	check_eq(p->sample[0]->n_location_id, 2);
	loc = p->location[p->sample[0]->location_id[0] - 1];
	check_eq(loc->address, 0x4a5050);
	check_eq(loc->n_line, 2);
	fn = p->function[loc->line[0]->function_id - 1];
	assert_string_equal(string_of(p, fn->name), "main.newBuffer");
	assert_string_equal(string_of(p, fn->filename), "/src/app/buf.go");
	check_eq(loc->line[0]->line, 21);
	fn = p->function[loc->line[1]->function_id - 1];
	assert_string_equal(string_of(p, fn->name), "main.(*Server).cache");
	check_eq(loc->line[1]->line, 55);
	/* Go's "bytes" label: the objects' average size. */
	check_eq(p->sample[0]->n_label, 4);
	assert_string_equal(string_of(p, p->sample[0]->label[3]->key), "bytes");
	check_eq(p->sample[0]->label[3]->num, 1024);
	perftools__profiles__profile__free_unpacked(p, NULL);
	snapshot__free(snap);
}

/* --- reachability ------------------------------------------------------------ */

static const char *const reach_types[][2] = {
    {"inuse_space", "bytes"},	    {"inuse_objects", "count"},	   {"alloc_space", "bytes"},
    {"alloc_objects", "count"},	    {"lost_space", "bytes"},	   {"lost_objects", "count"},
    {"indirect_space", "bytes"},    {"indirect_objects", "count"}, {"reachable_space", "bytes"},
    {"reachable_objects", "count"},
};

/* With a scan: six more sample types after the four, the default unchanged; values per stack. */
static void test_pprof_reach_types(void **state)
{
	static const int64_t want[5][10] = {
	    {3072, 3, 4096, 4, 1024, 1, 0, 0, 1024, 1},
	    {1000, 1, 1000, 1, 0, 0, 0, 0, 1000, 1},
	    {512, 2, 512, 2, 256, 1, 256, 1, 0, 0},
	    {10, 1, 10, 1, 0, 0, 0, 0, 0, 0},
	    {8, 1, 8, 1, 0, 0, 0, 0, 0, 0},
	};
	struct snapshot *snap = make_snapshot();
	Perftools__Profiles__Profile *p;
	size_t i, j;

	(void)state;
	add_scans(snap);
	p = decode_with(pprof__write, snap);
	check_eq(p->n_sample_type, 10);
	for (i = 0; i < 10; i++)
		check_type(p, p->sample_type[i], reach_types[i][0], reach_types[i][1]);
	assert_string_equal(string_of(p, p->default_sample_type), "inuse_space");
	check_type(p, p->period_type, "space", "bytes");
	check_eq(p->n_sample, 6);
	for (i = 0; i < 5; i++) {
		check_eq(p->sample[i]->n_value, 10);
		for (j = 0; j < 10; j++)
			if (p->sample[i]->value[j] != want[i][j])
				fail_msg(
				    "sample %zu value %zu (%s): got %" PRId64 ", want %" PRId64, i,
				    j, reach_types[j][0], p->sample[i]->value[j], want[i][j]);
	}
	/* Past the cap: the bytes are known, their classes are not. */
	check_eq(p->sample[5]->n_value, 10);
	check_eq(p->sample[5]->value[0], 398);
	for (j = 2; j < 10; j++)
		check_eq(p->sample[5]->value[j], 0);
	perftools__profiles__profile__free_unpacked(p, NULL);
	/* A failed scan still gives the types (its blocks keep older classes, or none). */
	snap->procs[0].scan.state = SCAN_FAILED;
	snap->procs[1].scan.state = SCAN_NONE;
	p = decode_with(pprof__write, snap);
	check_eq(p->n_sample_type, 10);
	perftools__profiles__profile__free_unpacked(p, NULL);
	snapshot__free(snap);
}

/*
 * No process scanned: the profile is the one of before, byte for byte,
 * whatever classes the stacks hold (only a scan makes them mean anything).
 */
static void test_pprof_no_scan_unchanged(void **state)
{
	struct snapshot *plain = make_snapshot(), *classed = make_snapshot();
	Perftools__Profiles__Profile *p;
	size_t plain_len = 0, classed_len = 0;
	char *plain_gz, *classed_gz;

	(void)state;
	add_scans(classed);
	classed->procs[0].scan.state = SCAN_NONE;
	classed->procs[1].scan.state = SCAN_NONE;
	plain_gz = render_with(pprof__write, plain, &plain_len);
	classed_gz = render_with(pprof__write, classed, &classed_len);
	check_eq(classed_len, plain_len);
	assert_memory_equal(classed_gz, plain_gz, plain_len);
	p = decode(plain_gz, plain_len);
	check_eq(p->n_sample_type, 4);
	check_eq(p->sample[0]->n_value, 4);
	check_eq(p->sample[5]->n_value, 4);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(plain_gz);
	free(classed_gz);
	snapshot__free(plain);
	snapshot__free(classed);
}

static void test_pprof_has_kind_and_rate(void **state)
{
	struct snapshot *snap = make_go_snapshot(&growing_history);

	(void)state;
	assert_true(pprof__has_kind(snap, KIND_GOROUTINE));
	assert_true(pprof__has_kind(snap, KIND_GO_HEAP));
	assert_true(pprof__has_kind(snap, KIND_MALLOC));
	assert_false(pprof__has_kind(snap, KIND_MMAP));
	check_eq(pprof__go_heap_rate(snap), 512 * 1024);
	/* The rate is the Go process's, not the first process's. */
	free(snap->procs[0].go);
	snap->procs[0].go = NULL;
	check_eq(pprof__go_heap_rate(snap), 0);
	snapshot__free(snap);
	snap = make_snapshot();
	assert_false(pprof__has_kind(snap, KIND_GOROUTINE));
	assert_false(pprof__has_kind(snap, KIND_GO_HEAP));
	snapshot__free(snap);
}

static void test_pprof_side_path(void **state)
{
	char buf[64], tiny[16];

	(void)state;
	check_eq(pprof__side_path("/tmp/app.pb.gz", "goroutine", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/app.goroutine.pb.gz");
	check_eq(pprof__side_path("app.pb.gz", "go-heap", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "app.go-heap.pb.gz");
	check_eq(pprof__side_path("/tmp/app.prof", "goroutine", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/app.prof.goroutine");
	/* Nothing before ".pb.gz": no stem to keep. */
	check_eq(pprof__side_path(".pb.gz", "go-heap", buf, sizeof(buf)), 0);
	assert_string_equal(buf, ".pb.gz.go-heap");
	check_eq(pprof__side_path("/tmp/app.pb.gz", "goroutine", tiny, sizeof(tiny)),
		 -ENAMETOOLONG);
}

/* --- against the real thing: go tool pprof ---------------------------------- */

static char tmpdir[64];

static void write_file(const char *name, render_fn render, const struct snapshot *snap)
{
	char path[128];
	size_t len = 0;
	char *text = render_with(render, snap, &len);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	check_eq(fwrite(text, 1, len, f), len);
	check_eq(fclose(f), 0);
	free(text);
}

/* What `go tool pprof ARGS` prints (stdout), or fails the test. */
static char *go_pprof(const char *args)
{
	char cmd[512], *text = NULL;
	size_t len = 0, got;
	char chunk[4096];
	FILE *pipe, *out = open_memstream(&text, &len);

	assert_non_null(out);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && GOTOOLCHAIN=local GOCACHE=%s/gocache go tool pprof %s 2>/dev/null",
		 tmpdir, tmpdir, args);
	pipe = popen(cmd, "r");
	assert_non_null(pipe);
	while ((got = fread(chunk, 1, sizeof(chunk), pipe)) > 0)
		fwrite(chunk, 1, got, out);
	if (pclose(pipe) != 0)
		fail_msg("'%s' failed", cmd);
	fclose(out);
	return text;
}

/* The first number on the line of `go tool pprof -top` naming function: its flat value. */
static long long top_flat(const char *top, const char *function)
{
	char needle[128];
	const char *at, *line;
	long long flat;

	snprintf(needle, sizeof(needle), "  %s\n", function);
	at = strstr(top, needle);
	if (!at)
		fail_msg("%s not in:\n%s", function, top);
	for (line = at; line > top && line[-1] != '\n'; line--)
		;
	if (sscanf(line, "%lld", &flat) != 1)
		fail_msg("no flat value on the line of %s in:\n%s", function, top);
	return flat;
}

static bool have_go(void)
{
	return system("command -v go >/dev/null 2>&1") == 0;
}

static int go_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/memleakd-pprof-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int go_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * `go tool pprof` reads both Go profiles with the numbers and names
 * written, and -base shows the growth between two snapshots of each.
 * Without go on PATH the test is skipped, visibly, except under CI=true.
 */
static void test_pprof_go_tool_reads_go_profiles(void **state)
{
	struct snapshot *snap = make_go_snapshot(&growing_history);
	const char *ci = getenv("CI");
	char *text;

	(void)state;
	if (!have_go()) {
		snapshot__free(snap);
		if (ci && !strcmp(ci, "true"))
			fail_msg("go is not on PATH (CI=true: go tool pprof must be tested)");
		print_message("SKIP: go is not on PATH: go tool pprof not tested\n");
		skip();
	}
	/* old: 20 goroutines and 1 MiB in 1,024 objects fewer at the leaking sites. */
	snap->stacks[1].stats.outstanding_count = snap->stacks[1].stats.outstanding_bytes = 1184;
	snap->stacks[3].stats.outstanding_bytes = 2 * 1048576;
	snap->stacks[3].stats.outstanding_count = 2048;
	write_file("old.goroutine.pb.gz", pprof__write_goroutines, snap);
	write_file("old.go-heap.pb.gz", pprof__write_go_heap, snap);
	snap->stacks[1].stats.outstanding_count = snap->stacks[1].stats.outstanding_bytes = 1204;
	snap->stacks[3].stats.outstanding_bytes = 3 * 1048576;
	snap->stacks[3].stats.outstanding_count = 3072;
	write_file("new.goroutine.pb.gz", pprof__write_goroutines, snap);
	write_file("new.go-heap.pb.gz", pprof__write_go_heap, snap);

	text = go_pprof("-raw new.goroutine.pb.gz");
	check_contains(text, "PeriodType: goroutine count");
	check_contains(text, "goroutine/count[dflt]");
	check_contains(text, "       1204: 1 2 3 \n");
	check_contains(text, "main.(*Server).handle /src/app/server.go:88");
	free(text);

	text = go_pprof("-raw new.go-heap.pb.gz");
	check_contains(text, "PeriodType: space bytes\nPeriod: 524288\n");
	check_contains(text, "alloc_objects/count alloc_space/bytes inuse_objects/count "
			     "inuse_space/bytes[dflt]");
	check_contains(text, "      12288   12582912       3072    3145728: 1 2 \n");
	/* The inlined call: one location, two lines. */
	check_contains(text, "main.newBuffer /src/app/buf.go:21 s=0\n"
			     "             main.(*Server).cache /src/app/cache.go:55 s=0\n");
	free(text);

	text = go_pprof("-top -sample_index=inuse_space -unit=B new.go-heap.pb.gz");
	check_contains(text, "Type: inuse_space");
	check_eq(top_flat(text, "main.newBuffer (inline)"), 3145728);
	check_eq(top_flat(text, "main.loadConfig"), 65536);
	free(text);

	text = go_pprof("-top -base old.goroutine.pb.gz new.goroutine.pb.gz");
	check_eq(top_flat(text, "main.(*Server).handle"), 20);
	free(text);

	text = go_pprof("-top -sample_index=inuse_space -unit=B -base old.go-heap.pb.gz "
			"new.go-heap.pb.gz");
	check_eq(top_flat(text, "main.newBuffer (inline)"), 1048576);
	assert_null(strstr(text, "main.loadConfig")); /* unchanged: not in the diff */
	free(text);
	snapshot__free(snap);
}

/* `go tool pprof` reads the classes back: -sample_index=lost_space and the raw listing. */
static void test_pprof_go_tool_reads_reach(void **state)
{
	struct snapshot *snap = make_snapshot();
	const char *ci = getenv("CI");
	char *text;

	(void)state;
	if (!have_go()) {
		snapshot__free(snap);
		if (ci && !strcmp(ci, "true"))
			fail_msg("go is not on PATH (CI=true: go tool pprof must be tested)");
		print_message("SKIP: go is not on PATH: go tool pprof not tested\n");
		skip();
	}
	add_scans(snap);
	write_file("reach.pb.gz", pprof__write, snap);
	text = go_pprof("-raw reach.pb.gz");
	check_contains(text, "inuse_space/bytes[dflt] inuse_objects/count alloc_space/bytes "
			     "alloc_objects/count lost_space/bytes lost_objects/count "
			     "indirect_space/bytes indirect_objects/count reachable_space/bytes "
			     "reachable_objects/count\n");
	check_contains(text, "       3072          3       4096          4       1024          1 "
			     "         0          0       1024          1: 1 2 3 4 \n");
	free(text);
	text = go_pprof("-top -sample_index=lost_space -unit=B reach.pb.gz");
	check_contains(text, "Type: lost_space");
	check_eq(top_flat(text, "leak_inner"), 1024);
	check_eq(top_flat(text, "odd;name"), 256);
	free(text);
	text = go_pprof("-top -sample_index=indirect_objects reach.pb.gz");
	check_contains(text, "Type: indirect_objects");
	check_eq(top_flat(text, "odd;name"), 1);
	free(text);
	text = go_pprof("-top -sample_index=reachable_space -unit=B reach.pb.gz");
	check_eq(top_flat(text, "leak_inner"), 1024);
	free(text);
	/* The default stays what it was. */
	text = go_pprof("-top -unit=B reach.pb.gz");
	check_contains(text, "Type: inuse_space");
	check_eq(top_flat(text, "leak_inner"), 3072);
	free(text);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pprof_gzip),
	    cmocka_unit_test(test_pprof_dropped_marker),
	    cmocka_unit_test(test_pprof_memory_profile_skips_go_kinds),
	    cmocka_unit_test(test_pprof_goroutine_profile),
	    cmocka_unit_test(test_pprof_go_heap_profile),
	    cmocka_unit_test(test_pprof_has_kind_and_rate),
	    cmocka_unit_test(test_pprof_side_path),
	    cmocka_unit_test(test_pprof_reach_types),
	    cmocka_unit_test(test_pprof_no_scan_unchanged),
	    cmocka_unit_test_setup_teardown(test_pprof_go_tool_reads_reach, go_setup, go_teardown),
	    cmocka_unit_test_setup_teardown(test_pprof_go_tool_reads_go_profiles, go_setup,
					    go_teardown),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
