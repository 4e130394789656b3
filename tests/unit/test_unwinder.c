// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-process unwind table assembly (src/unwinder.h) on this test binary's
 * own mappings, and its capacity limits.
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

#include "procmaps.h"
#include "unwinder.h"

/* This very process: its mappings point into the concatenated rows correctly. */
static void test_unwinder_self(void **state)
{
	struct ml_unwind_proc *proc = calloc(1, sizeof(*proc));
	struct unwinder *u = unwinder__new();
	struct procmaps *maps = NULL;
	const struct ml_unwind_row *rows, *row;
	uint64_t pc = (uint64_t)(uintptr_t)&test_unwinder_self;
	size_t nr, with, without, i;
	uint32_t first, k;

	(void)state;
	assert_non_null(proc);
	assert_non_null(u);
	check_eq(procmaps__read(getpid(), &maps), 0);
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	assert_true(proc->nr >= 2); /* this binary and libc at least */
	for (i = 1; i < proc->nr; i++)
		assert_true(proc->maps[i].start >= proc->maps[i - 1].end);

	rows = unwinder__take_new_rows(u, &first, &nr);
	check_eq(first, 0);
	check_eq(nr, unwinder__nr_rows(u));
	assert_non_null(rows);
	for (i = 0; i < proc->nr && !(pc >= proc->maps[i].start && pc < proc->maps[i].end); i++)
		;
	assert_true(i < proc->nr);
	assert_true(proc->maps[i].row_count > 0);
	/* The same search as the BPF walker, on the mirror: a function entry is CFA = rsp + 8. */
	row = NULL;
	for (k = proc->maps[i].row_start; k < proc->maps[i].row_start + proc->maps[i].row_count;
	     k++)
		if (rows[k].pc <= pc - proc->maps[i].bias)
			row = &rows[k];
	assert_non_null(row);
	check_eq(row->cfa_kind, ML_CFA_RSP);
	check_eq(row->cfa_off, 8);

	/* A second look at the same process adds no rows and nothing new to copy. */
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	assert_null(unwinder__take_new_rows(u, &first, &nr));
	check_eq(nr, 0);
	unwinder__module_counts(u, &with, &without);
	assert_true(with >= 2);
	procmaps__free(maps);
	unwinder__destroy(u);
	free(proc);
}

/* A full row array: later modules get no table (frame-pointer fallback), no failure. */
static void test_unwinder_capacity(void **state)
{
	struct ml_unwind_proc *proc = calloc(1, sizeof(*proc));
	struct unwinder *u = unwinder__new();
	struct procmaps *maps = NULL;
	size_t with, without, i;

	(void)state;
	assert_non_null(proc);
	unwinder__set_capacity(u, 16);
	check_eq(procmaps__read(getpid(), &maps), 0);
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	check_eq(unwinder__nr_rows(u), 0);
	unwinder__module_counts(u, &with, &without);
	check_eq(with, 0);
	assert_true(without >= 2);
	for (i = 0; i < proc->nr; i++)
		check_eq(proc->maps[i].row_count, 0);
	procmaps__free(maps);
	unwinder__destroy(u);
	unwinder__destroy(NULL);
	free(proc);
}

#define MANY_MAPS	 250 /* processes */
#define MODULES_PER_MAPS 200
#define REFRESHES	 80

/* MODULES_PER_MAPS executable mappings of files no one else maps (inodes first + i). */
static struct procmaps *maps_of_modules(unsigned int first, unsigned int dev_minor)
{
	size_t cap = MODULES_PER_MAPS * 96, used = 0;
	char *text = malloc(cap);
	struct procmaps *maps = NULL;
	unsigned int i;

	assert_non_null(text);
	for (i = 0; i < MODULES_PER_MAPS; i++)
		used += (size_t)snprintf(
		    text + used, cap - used, "%x-%x r-xp 00000000 08:%02x %u /nonexistent/u%u\n",
		    0x10000 * (i + 1), 0x10000 * (i + 1) + 0x1000, dev_minor, first + i, first + i);
	check_eq(procmaps__parse(text, used, &maps), 0);
	free(text);
	return maps;
}

/*
 * The maps of every process are looked at again every 0.5 s: each mapping
 * finds its module by (device, inode) at once. Walking every module for
 * each mapping takes minutes here (the alarm ends the test). One module
 * per (device, inode), whatever its path.
 */
static void test_unwinder_many_modules(void **state)
{
	struct ml_unwind_proc *proc = calloc(1, sizeof(*proc));
	struct unwinder *u = unwinder__new();
	struct procmaps *maps[MANY_MAPS], *other_dev;
	size_t with, without;
	int round, i;

	(void)state;
	assert_non_null(proc);
	assert_non_null(u);
	for (i = 0; i < MANY_MAPS; i++)
		maps[i] = maps_of_modules((unsigned int)i * MODULES_PER_MAPS + 1, 1);
	alarm(60);
	for (round = 0; round < REFRESHES; round++)
		for (i = 0; i < MANY_MAPS; i++) {
			check_eq(unwinder__add_process(u, 5000000 + i, maps[i], proc), 0);
			check_eq(proc->nr, MODULES_PER_MAPS);
		}
	alarm(0);
	unwinder__module_counts(u, &with, &without);
	check_eq(with + without, MANY_MAPS * MODULES_PER_MAPS);
	/* The same inodes on another device are other files. */
	other_dev = maps_of_modules(1, 2);
	check_eq(unwinder__add_process(u, 5000000, other_dev, proc), 0);
	unwinder__module_counts(u, &with, &without);
	check_eq(with + without, (MANY_MAPS + 1) * MODULES_PER_MAPS);
	procmaps__free(other_dev);
	for (i = 0; i < MANY_MAPS; i++)
		procmaps__free(maps[i]);
	unwinder__destroy(u);
	free(proc);
}

/* Lines of stderr that mention needle while add_process runs rounds times per pid. */
static size_t warnings_for(struct unwinder *u, const struct procmaps *maps, const int *pids,
			   size_t nr_pids, size_t rounds, const char *needle)
{
	struct ml_unwind_proc *proc = calloc(1, sizeof(*proc));
	FILE *captured = tmpfile();
	int saved_fd = dup(STDERR_FILENO);
	size_t i, j, count = 0;
	char line[512];

	assert_non_null(proc);
	assert_non_null(captured);
	assert_true(saved_fd >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(captured), STDERR_FILENO) >= 0);
	for (i = 0; i < rounds; i++)
		for (j = 0; j < nr_pids; j++)
			unwinder__add_process(u, pids[j], maps, proc);
	fflush(stderr);
	assert_true(dup2(saved_fd, STDERR_FILENO) >= 0);
	close(saved_fd);
	rewind(captured);
	while (fgets(line, sizeof(line), captured))
		count += strstr(line, needle) != NULL;
	fclose(captured);
	free(proc);
	return count;
}

/*
 * More executable files than the BPF map holds: the warning comes once per
 * process, not at every maps refresh (every 0.5 s for the life of the process).
 */
static void test_unwinder_too_many_maps_warned_once(void **state)
{
	struct procmaps maps = {.nr = ML_MAX_UNWIND_MAPS + 44};
	struct unwinder *u = unwinder__new();
	const int pids[] = {999999, 999998};
	size_t i;

	(void)state;
	assert_non_null(u);
	maps.maps = calloc(maps.nr, sizeof(*maps.maps));
	assert_non_null(maps.maps);
	for (i = 0; i < maps.nr; i++) /* one file mapped many times; nobody can open it */
		maps.maps[i] = (struct mapping){.start = 0x10000 * (i + 1),
						.end = 0x10000 * (i + 1) + 0x1000,
						.inode = 12345,
						.exec = true,
						.path = "/nonexistent/libmany.so"};
	check_eq(warnings_for(u, &maps, pids, 1, 10, "maps more than"), 1);
	check_eq(warnings_for(u, &maps, pids, 2, 10, "maps more than"), 1); /* the second pid */
	free(maps.maps);
	unwinder__destroy(u);
}

/* The index of the first executable file mapping in maps from index from on, or maps->nr. */
static size_t next_exec_file(const struct procmaps *maps, size_t from)
{
	while (from < maps->nr && !(maps->maps[from].exec && maps->maps[from].inode))
		from++;
	return from;
}

/*
 * gen names a mapping list for the walker's per-PC cache: the same list
 * (any pid, any refresh) keeps its gen; a mapping dropped (dlclose) or
 * another file at the same address (dlopen after dlclose) gets a new one,
 * and an old list seen again its old one.
 */
static void test_unwinder_generations(void **state)
{
	struct ml_unwind_proc *proc = calloc(1, sizeof(*proc));
	struct unwinder *u = unwinder__new();
	struct procmaps *maps = NULL, *fewer = NULL, *swapped = NULL;
	size_t first, second;
	uint32_t gen, dropped;

	(void)state;
	assert_non_null(proc);
	assert_non_null(u);
	check_eq(procmaps__read(getpid(), &maps), 0);
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	gen = proc->gen;
	assert_true(gen != 0);
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	check_eq(proc->gen, gen);
	check_eq(unwinder__add_process(u, 4000001, maps, proc), 0); /* a forked child */
	check_eq(proc->gen, gen);

	first = next_exec_file(maps, 0);
	second = next_exec_file(maps, first + 1);
	assert_true(second < maps->nr);
	/* The first executable file unmapped: */
	check_eq(procmaps__dup(maps, &fewer), 0);
	fewer->maps[first].exec = false;
	check_eq(unwinder__add_process(u, getpid(), fewer, proc), 0);
	assert_true(proc->gen != 0);
	assert_true(proc->gen != gen);
	dropped = proc->gen;
	/* Another file where it was, same addresses: */
	check_eq(procmaps__dup(maps, &swapped), 0);
	swapped->maps[first].dev = maps->maps[second].dev;
	swapped->maps[first].inode = maps->maps[second].inode;
	swapped->maps[first].pgoff = maps->maps[second].pgoff;
	check_eq(unwinder__add_process(u, getpid(), swapped, proc), 0);
	assert_true(proc->gen != gen);
	assert_true(proc->gen != dropped);
	check_eq(unwinder__add_process(u, getpid(), fewer, proc), 0);
	check_eq(proc->gen, dropped);
	/* And back: the old list's gen. */
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	check_eq(proc->gen, gen);
	procmaps__free(swapped);
	procmaps__free(fewer);
	procmaps__free(maps);
	unwinder__destroy(u);
	free(proc);
}

/*
 * System-wide, every image has a list of its own: past
 * UNWINDER_MAX_GENERATIONS lists the map is forgotten (bounded memory),
 * and a list seen before gets a new gen, never one already handed out.
 */
static void test_unwinder_generations_bounded(void **state)
{
	struct ml_unwind_proc *proc = calloc(1, sizeof(*proc));
	struct unwinder *u = unwinder__new();
	struct procmaps *maps = NULL, *moved = NULL;
	uint32_t first_gen, last_gen = 0;
	size_t k, i;

	(void)state;
	assert_non_null(proc);
	assert_non_null(u);
	check_eq(procmaps__read(getpid(), &maps), 0);
	check_eq(procmaps__dup(maps, &moved), 0);
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	first_gen = proc->gen;
	for (k = 1; k <= UNWINDER_MAX_GENERATIONS; k++) {
		/* The same files one page further each time, as ASLR places them. */
		for (i = 0; i < moved->nr; i++) {
			moved->maps[i].start = maps->maps[i].start + (k << 12);
			moved->maps[i].end = maps->maps[i].end + (k << 12);
		}
		check_eq(unwinder__add_process(u, (int)(4000000 + k), moved, proc), 0);
		assert_true(proc->gen > first_gen);
		assert_true(proc->gen > last_gen);
		last_gen = proc->gen;
	}
	/* The first list again: forgotten past the cap, so a new number. */
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	assert_true(proc->gen != first_gen);
	assert_true(proc->gen > last_gen);
	last_gen = proc->gen;
	/* And remembered again from then on. */
	check_eq(unwinder__add_process(u, getpid(), maps, proc), 0);
	check_eq(proc->gen, last_gen);
	procmaps__free(moved);
	procmaps__free(maps);
	unwinder__destroy(u);
	free(proc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unwinder_self),
	    cmocka_unit_test(test_unwinder_capacity),
	    cmocka_unit_test(test_unwinder_many_modules),
	    cmocka_unit_test(test_unwinder_too_many_maps_warned_once),
	    cmocka_unit_test(test_unwinder_generations),
	    cmocka_unit_test(test_unwinder_generations_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
