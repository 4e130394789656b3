// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The "left at exit" tally (src/exitlog.h): merging by symbolized stack,
 * executables kept apart, the cap, growth, deep copies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "checks.h"
#include "snapshot_fixture.h"

#include "exitlog.h"
#include "json.h"
#include "pprof.h"
#include "stackid.h"

/* handle_request -> remember_session -> malloc, at addresses of one process's layout. */
static void leak_frames(struct frame *f, uint64_t base)
{
	static const char *const names[] = {"malloc", "remember_session", "handle_request"};
	size_t i;

	for (i = 0; i < 3; i++)
		f[i] = (struct frame){.addr = base + 0x100 * i,
				      .symbol = names[i],
				      .offset = 0x10 + i,
				      .module = i ? "prefork" : "libc.so.6",
				      .build_id = "",
				      .file = i ? "prefork.c" : NULL,
				      .line = (int)(10 * i),
				      .map_start = base,
				      .map_limit = base + 0x10000};
}

static struct exitlog_stack stack_of(const char *exe, const struct frame *f, size_t nr,
				     uint64_t bytes, double now_s)
{
	return (struct exitlog_stack){.exe = exe,
				      .comm = "prefork",
				      .kind = KIND_MALLOC,
				      .frames = f,
				      .nr_frames = nr,
				      .bytes = bytes,
				      .count = bytes / 64,
				      .now_s = now_s};
}

static bool find(const struct exitlog *log, const char *exe, struct exitlog_view *v)
{
	size_t i;

	for (i = 0; exitlog__view(log, i, v); i++)
		if (!strcmp(v->exe, exe))
			return true;
	return false;
}

/* Two workers of one executable, loaded at different addresses: one entry. */
static void test_merge_across_pids(void **state)
{
	struct exitlog *log = exitlog__new(10, 8, &trend_defaults);
	struct frame a[3], b[3];
	struct exitlog_view v;
	struct exitlog_stack st;
	uint64_t p1, p2;

	(void)state;
	assert_non_null(log);
	leak_frames(a, 0x555500000000ULL);
	leak_frames(b, 0x5566aa000000ULL);
	p1 = exitlog__begin_proc(log);
	st = stack_of("/usr/bin/prefork", a, 3, 640, 1.0);
	check_eq(exitlog__add(log, p1, &st), 0);
	p2 = exitlog__begin_proc(log);
	st = stack_of("/usr/bin/prefork", b, 3, 1280, 2.0);
	check_eq(exitlog__add(log, p2, &st), 0);
	check_eq(exitlog__add(log, p2, &st), 0); /* the same process again: one process */
	check_eq(exitlog__nr(log), 1);
	assert_true(find(log, "/usr/bin/prefork", &v));
	check_u64(v.bytes, 640 + 2 * 1280);
	check_u64(v.count, 10 + 2 * 20);
	check_u64(v.nr_procs, 2);
	check_u64(v.stack_hash, stackid__hash(KIND_MALLOC, a, 3));
	check_u64(exitlog__procs(log), 2);
	/* Another kind of the same frames is another entry. */
	st = stack_of("/usr/bin/prefork", b, 3, 64, 2.0);
	st.kind = KIND_MMAP;
	check_eq(exitlog__add(log, p2, &st), 0);
	check_eq(exitlog__nr(log), 2);
	check_u64(exitlog__procs(log), 2);
	exitlog__free(log);
	exitlog__free(NULL);
}

/* The same stack in two executables stays two entries; no exe: the comm is the key. */
static void test_exes_apart(void **state)
{
	struct exitlog *log = exitlog__new(10, 8, &trend_defaults);
	struct snapshot_exited *ex;
	struct frame a[3];
	struct exitlog_stack st;
	size_t nr, omitted;
	uint64_t p;

	(void)state;
	leak_frames(a, 0x1000);
	p = exitlog__begin_proc(log);
	st = stack_of("/srv/a", a, 3, 100, 1.0);
	check_eq(exitlog__add(log, p, &st), 0);
	p = exitlog__begin_proc(log);
	st = stack_of("/srv/b", a, 3, 300, 1.0);
	check_eq(exitlog__add(log, p, &st), 0);
	p = exitlog__begin_proc(log);
	st = stack_of("", a, 3, 200, 1.0);
	check_eq(exitlog__add(log, p, &st), 0);
	check_eq(exitlog__nr(log), 3);
	check_eq(exitlog__export(log, SNAPSHOT_SORT_BYTES, 2, 4.0, &ex, &nr, &omitted), 0);
	check_eq(nr, 2);
	check_eq(omitted, 1);
	assert_string_equal(ex[0].exe, "/srv/b");
	check_u64(ex[0].bytes, 300);
	assert_string_equal(ex[1].exe, "prefork"); /* the comm, for an unknown exe */
	assert_string_equal(ex[1].comm, "prefork");
	assert_true(ex[1].last_exit_age_s > 2.9 && ex[1].last_exit_age_s < 3.1);
	assert_string_equal(ex[1].frames[1].symbol, "remember_session");
	free(ex[0].frames);
	free(ex[1].frames);
	free(ex);
	exitlog__free(log);
}

/* Past the cap: the least recently touched goes first, the smallest of its exit. */
static void test_cap_evicts(void **state)
{
	struct exitlog *log = exitlog__new(3, 8, &trend_defaults);
	struct frame f[4][3];
	struct exitlog_view v;
	struct exitlog_stack st;
	uint64_t p1, p2, p3;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		leak_frames(f[i], 0x1000);
		f[i][1].offset = 0x100 + (uint64_t)i; /* four call sites: four stacks */
	}
	p1 = exitlog__begin_proc(log);
	st = stack_of("/x", f[0], 3, 500, 1.0);
	check_eq(exitlog__add(log, p1, &st), 0);
	st = stack_of("/x", f[1], 3, 50, 1.0);
	check_eq(exitlog__add(log, p1, &st), 0);
	p2 = exitlog__begin_proc(log);
	st = stack_of("/x", f[2], 3, 10, 2.0);
	check_eq(exitlog__add(log, p2, &st), 0);
	check_u64(exitlog__evicted(log), 0);
	/* A fourth: f[1] goes (p1's smallest), not f[2] (smaller, but touched later). */
	p3 = exitlog__begin_proc(log);
	st = stack_of("/x", f[3], 3, 7, 3.0);
	check_eq(exitlog__add(log, p3, &st), 0);
	check_eq(exitlog__nr(log), 3);
	check_u64(exitlog__evicted(log), 1);
	for (i = 0; exitlog__view(log, (size_t)i, &v); i++)
		assert_true(v.stack_hash != stackid__hash(KIND_MALLOC, f[1], 3));
	/* Touching f[0] again keeps it; the next eviction takes f[2]. */
	st = stack_of("/x", f[0], 3, 5, 3.0);
	check_eq(exitlog__add(log, p3, &st), 0);
	st = stack_of("/x", f[1], 3, 50, 3.0);
	check_eq(exitlog__add(log, p3, &st), 0);
	check_u64(exitlog__evicted(log), 2);
	for (i = 0; exitlog__view(log, (size_t)i, &v); i++) {
		assert_true(v.stack_hash != stackid__hash(KIND_MALLOC, f[2], 3));
		if (v.stack_hash == stackid__hash(KIND_MALLOC, f[0], 3))
			check_u64(v.bytes, 505);
	}
	exitlog__free(log);
}

static void free_export(struct snapshot_exited *ex, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(ex[i].frames);
	free(ex);
}

/* A worker every interval leaking the same: growing. One big exit: a step, not growth. */
static void test_growth(void **state)
{
	struct exitlog *log = exitlog__new(10, 10, &trend_defaults);
	struct snapshot_exited *ex;
	size_t nr, omitted;
	struct frame leak[3], once[3];
	struct exitlog_view v;
	struct exitlog_stack st;
	int i;

	(void)state;
	leak_frames(leak, 0x1000);
	leak_frames(once, 0x1000);
	once[1].symbol = "load_config";
	st = stack_of("/x", once, 3, 10 << 20, 0.5);
	check_eq(exitlog__add(log, exitlog__begin_proc(log), &st), 0);
	for (i = 0; i < 10; i++) {
		st = stack_of("/x", leak, 3, 4096, (double)i);
		check_eq(exitlog__add(log, exitlog__begin_proc(log), &st), 0);
		exitlog__end_interval(log);
	}
	for (i = 0; exitlog__view(log, (size_t)i, &v); i++) {
		if (!strcmp(v.frames[1].symbol, "remember_session")) {
			assert_true(v.growing);
			check_u64(v.nr_procs, 10);
			assert_true(v.rate > 4000 && v.rate < 4200);
			check_eq(v.nr_values, 10);
		} else {
			assert_false(v.growing);
		}
	}
	check_u64(exitlog__procs(log), 11);
	/* Most bytes first; with --sort growth, the growing one first. */
	check_eq(exitlog__export(log, SNAPSHOT_SORT_BYTES, 10, 10.0, &ex, &nr, &omitted), 0);
	check_eq(nr, 2);
	assert_string_equal(ex[0].frames[1].symbol, "load_config");
	assert_false(ex[0].growing);
	free_export(ex, nr);
	check_eq(exitlog__export(log, SNAPSHOT_SORT_GROWTH, 10, 10.0, &ex, &nr, &omitted), 0);
	assert_string_equal(ex[0].frames[1].symbol, "remember_session");
	assert_true(ex[0].growing);
	assert_true(ex[0].rate > 4000 && ex[0].rate < 4200);
	free_export(ex, nr);
	exitlog__free(log);
}

/* The tally's frames survive the source's strings, and the export survives the tally. */
static void test_deep_copies(void **state)
{
	struct exitlog *log = exitlog__new(4, 4, &trend_defaults);
	struct snapshot_exited *ex;
	struct frame f[2];
	struct exitlog_stack st;
	size_t nr, omitted;
	char *sym = strdup("leaky_fn"), *mod = strdup("libleak.so"), *file = strdup("leak.c");
	char *id = strdup("abcdef"), *exe = strdup("/opt/leaky");

	(void)state;
	f[0] = (struct frame){
	    .addr = 0x10, .symbol = sym, .module = mod, .build_id = id, .file = file, .line = 3};
	f[1] = (struct frame){.addr = 0x20, .symbol = NULL, .module = NULL, .build_id = ""};
	st = stack_of(exe, f, 2, 64, 1.0);
	check_eq(exitlog__add(log, exitlog__begin_proc(log), &st), 0);
	memset(sym, 'X', strlen(sym));
	memset(mod, 'X', strlen(mod));
	memset(file, 'X', strlen(file));
	memset(id, 'X', strlen(id));
	memset(exe, 'X', strlen(exe));
	free(sym);
	free(mod);
	free(file);
	free(id);
	free(exe);
	check_eq(exitlog__export(log, SNAPSHOT_SORT_GROWTH, 10, 1.0, &ex, &nr, &omitted), 0);
	exitlog__free(log);
	check_eq(nr, 1);
	check_eq(omitted, 0);
	assert_string_equal(ex[0].exe, "/opt/leaky");
	assert_string_equal(ex[0].frames[0].symbol, "leaky_fn");
	assert_string_equal(ex[0].frames[0].module, "libleak.so");
	assert_string_equal(ex[0].frames[0].file, "leak.c");
	assert_string_equal(ex[0].frames[0].build_id, "abcdef");
	check_eq(ex[0].frames[0].line, 3);
	assert_null(ex[0].frames[1].symbol);
	assert_null(ex[0].frames[1].file);
	assert_string_equal(ex[0].frames[1].build_id, "");
	free(ex[0].frames);
	free(ex);
}

/* The tally in a snapshot: the report's section and loss line, JSON's array, pprof's profile. */
static void test_rendered(void **state)
{
	struct exitlog *log = exitlog__new(10, 10, &trend_defaults);
	struct snapshot *snap = make_snapshot();
	struct frame leak[3];
	struct exitlog_stack st;
	char *text, id[17], want[128];
	size_t len, i;

	(void)state;
	leak_frames(leak, 0x1000);
	for (i = 0; i < 8; i++) {
		st = stack_of("/srv/prefork", leak, 3, 20000, (double)i);
		check_eq(exitlog__add(log, exitlog__begin_proc(log), &st), 0);
		exitlog__end_interval(log);
	}
	check_eq(exitlog__export(log, SNAPSHOT_SORT_BYTES, 100, 9.5, &snap->exited,
				 &snap->nr_exited, &snap->nr_exited_omitted),
		 0);
	snap->exited_procs = exitlog__procs(log);
	snap->losses.exited_stacks_evicted = 3;
	text = render_report(snap, 10);
	assert_non_null(strstr(text, "Left at exit by exited processes (8 processes so far)"));
	assert_non_null(strstr(text,
			       "exited #1 156.2 KiB (160000 B) in 2496 allocations, 8 processes of "
			       "/srv/prefork (last prefork, 2.5 s ago)\n"
			       "    growth +19.5 KiB/s over exits GROWING\n"
			       "        malloc+0x10 (libc.so.6)\n"
			       "        remember_session+0x11 (prefork) prefork.c:10\n"));
	assert_non_null(strstr(text, "lost to the left-at-exit tally: 3 entries evicted"));
	free(text);
	text = render_with(json__render, snap, &len);
	snprintf(want, sizeof(want),
		 "\"exited_processes\":8,\"exited_not_exported\":0,\"exited\":[{\"exe\":"
		 "\"/srv/prefork\",\"comm\":\"prefork\",\"kind\":\"malloc\",\"stack_id\":\"%s\"",
		 stackid__format(stackid__hash(KIND_MALLOC, leak, 3), id));
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "\"left_bytes\":160000,\"left_allocs\":2496,\"processes\":8"));
	assert_non_null(strstr(text, "\"growing\":true,\"last_exit_age_s\":2.500"));
	assert_non_null(strstr(text, "\"exited_stacks_evicted\":3,\"exited_stacks_cut\":0"));
	free(text);
	text = render_with(pprof__write_exited, snap, &len);
	assert_true(len > 20 && (unsigned char)text[0] == 0x1f && (unsigned char)text[1] == 0x8b);
	free(text);
	snapshot__free(snap);
	exitlog__free(log);
}

static void test_bad_params(void **state)
{
	(void)state;
	assert_null(exitlog__new(0, 8, &trend_defaults));
	assert_null(exitlog__new(8, 1, &trend_defaults));
	assert_null(exitlog__new(8, TREND_MAX_WINDOW + 1, &trend_defaults));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_across_pids), cmocka_unit_test(test_exes_apart),
	    cmocka_unit_test(test_cap_evicts),	      cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_deep_copies),	      cmocka_unit_test(test_rendered),
	    cmocka_unit_test(test_bad_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
