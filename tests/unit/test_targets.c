// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The process list (src/targets.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "targets.h"

static void test_targets_list(void **state)
{
	struct target_list l = {0};
	struct target *first, *again;
	int pid;

	(void)state;
	first = targets__add(&l, 100, ROLE_PID);
	assert_non_null(first);
	check_eq(first->pidfd, -1);
	assert_string_equal(first->comm, "?");
	/* Adding a known pid returns its entry. */
	check_eq(targets__add(&l, 100, ROLE_CHILD) == first, 1);
	check_eq(first->role, ROLE_PID);
	/* Entries keep their address while the list grows past its capacity. */
	for (pid = 101; pid < 200; pid++)
		assert_non_null(targets__add(&l, pid, ROLE_SEEN));
	check_eq(l.nr, 100);
	check_eq(targets__find(&l, 100) == first, 1);
	again = targets__find(&l, 150);
	assert_non_null(again);
	check_eq(again->role, ROLE_SEEN);
	/* Removing an exited entry keeps the exited count right. */
	again->exited = true;
	l.nr_exited++;
	targets__remove(&l, 150);
	assert_null(targets__find(&l, 150));
	check_eq(l.nr, 99);
	check_eq(l.nr_exited, 0);
	targets__remove(&l, 9999); /* unknown: nothing happens */
	check_eq(l.nr, 99);
	check_eq(targets__find(&l, 199)->pid, 199);
	targets__free(&l);
	check_eq(l.nr, 0);
	targets__free(&l);
}

#define MODEL_IDS 4000

/* Every id finds its model entry, and every listed entry is found under its own pid. */
static void check_model(const struct target_list *l, struct target *const *model)
{
	size_t i, nr = 0;
	int id;

	for (id = 0; id < MODEL_IDS; id++) {
		check_eq(targets__find(l, id) == model[id], 1);
		nr += model[id] != NULL;
	}
	check_eq(l->nr, nr);
	for (i = 0; i < l->nr; i++)
		check_eq(targets__find(l, l->list[i]->pid) == l->list[i], 1);
}

/* Random adds, removes and renames against a plain array of what each id holds. */
static void test_index_follows_changes(void **state)
{
	struct target *model[MODEL_IDS] = {0}, *t;
	struct target_list l = {0};
	uint64_t rng = 12;
	int step, id, to, err;

	(void)state;
	for (step = 0; step < 20000; step++) {
		id = (int)(rng_next(&rng) % MODEL_IDS);
		switch (rng_next(&rng) % 3) {
		case 0:
			t = targets__add(&l, id, ROLE_SEEN);
			assert_non_null(t);
			if (model[id])
				check_eq(t == model[id], 1);
			model[id] = t;
			check_eq(t->pid, id);
			break;
		case 1:
			targets__remove(&l, id);
			model[id] = NULL;
			break;
		default:
			if (!model[id])
				break;
			to = (int)(rng_next(&rng) % MODEL_IDS);
			err = targets__rename(&l, model[id], to);
			if (to == id || model[to]) {
				check_eq(err, -EEXIST);
				check_eq(model[id]->pid, id);
				break;
			}
			check_eq(err, 0);
			check_eq(model[id]->pid, to);
			model[to] = model[id];
			model[id] = NULL;
		}
		if (step % 97 == 0)
			check_model(&l, model);
	}
	check_model(&l, model);
	/* An entry of another list is not renamed. */
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->pid = 5;
	check_eq(targets__rename(&l, t, 6), -ENOENT);
	free(t);
	targets__free(&l);
	check_eq(l.nr, 0);
	assert_null(targets__find(&l, 1));
	/* A freed list is an empty one, ready for use. */
	assert_non_null(targets__add(&l, 1, ROLE_PID));
	targets__free(&l);
}

/*
 * A fork bomb under -f: every record looks its pid up. 200000 processes
 * take well under a second with an index; a linear search takes minutes
 * (the alarm ends the test long before).
 */
static void test_many_targets(void **state)
{
	struct target_list l = {0};
	int pid, round;

	(void)state;
	alarm(60);
	for (pid = 1; pid <= 200000; pid++)
		assert_non_null(targets__add(&l, pid, ROLE_CHILD));
	for (round = 0; round < 3; round++)
		for (pid = 1; pid <= 200000; pid++)
			check_eq(targets__find(&l, pid)->pid, pid);
	for (pid = 1; pid <= 200000; pid += 2)
		targets__remove(&l, pid);
	check_eq(l.nr, 100000);
	for (pid = 1; pid <= 200000; pid++)
		check_eq(targets__find(&l, pid) != NULL, pid % 2 == 0);
	alarm(0);
	targets__free(&l);
}

static const char maps_v1[] = "00400000-00401000 r-xp 00000000 08:01 10 /usr/bin/a\n"
			      "00401000-00402000 rw-p 00001000 08:01 10 /usr/bin/a\n"
			      "01000000-01021000 rw-p 00000000 00:00 0 [heap]\n"
			      "7f0000000000-7f0000001000 r-xp 00000000 08:01 20 /lib/libc.so.6\n";

/* The same text but a grown heap: no executable line changed. */
static const char maps_heap_grew[] =
    "00400000-00401000 r-xp 00000000 08:01 10 /usr/bin/a\n"
    "00401000-00402000 rw-p 00001000 08:01 10 /usr/bin/a\n"
    "01000000-01042000 rw-p 00000000 00:00 0 [heap]\n"
    "7f0000000000-7f0000001000 r-xp 00000000 08:01 20 /lib/libc.so.6\n";

/* A library mapped (dlopen) between the heap and libc. */
static const char maps_dlopen[] =
    "00400000-00401000 r-xp 00000000 08:01 10 /usr/bin/a\n"
    "00401000-00402000 rw-p 00001000 08:01 10 /usr/bin/a\n"
    "01000000-01021000 rw-p 00000000 00:00 0 [heap]\n"
    "7e0000000000-7e0000001000 r-xp 00000000 08:01 30 /lib/libx.so\n"
    "7f0000000000-7f0000001000 r-xp 00000000 08:01 20 /lib/libc.so.6\n";

static bool same_text(const struct maps_text *seen, const char *text, bool exec_only)
{
	return maps_text__same(seen, text, strlen(text), exec_only);
}

/*
 * The refresh skips a process whose maps say what they said last time: the
 * whole text for the symbolizer, the executable lines for the walker. A
 * heap that grows changes the first only; a new library, a text cut short,
 * a last line without its newline change both.
 */
static void test_maps_text(void **state)
{
	struct maps_text whole = {0}, exec = {0};

	(void)state;
	/* Nothing noted: never the same, not even for an empty text. */
	assert_false(same_text(&whole, "", false));
	assert_false(same_text(&exec, "", true));
	maps_text__note(&whole, maps_v1, strlen(maps_v1), false);
	maps_text__note(&exec, maps_v1, strlen(maps_v1), true);
	assert_true(same_text(&whole, maps_v1, false));
	assert_true(same_text(&exec, maps_v1, true));
	/* The two rw-p lines are not kept. */
	check_eq(exec.len, strlen(maps_v1) - 52 - 47);
	assert_false(same_text(&whole, maps_heap_grew, false));
	assert_true(same_text(&exec, maps_heap_grew, true));
	assert_false(same_text(&whole, maps_dlopen, false));
	assert_false(same_text(&exec, maps_dlopen, true));
	/* Cut short (one executable line gone), or the last newline missing. */
	assert_false(
	    same_text(&exec, "00400000-00401000 r-xp 00000000 08:01 10 /usr/bin/a\n", true));
	assert_false(same_text(&exec,
			       "00400000-00401000 r-xp 00000000 08:01 10 /usr/bin/a\n"
			       "7f0000000000-7f0000001000 r-xp 00000000 08:01 20 /lib/libc.so.6",
			       true));
	assert_false(same_text(&exec, "", true));
	/* A line without permissions counts as executable: never skipped over. */
	assert_false(same_text(&exec,
			       "00400000-00401000 r-xp 00000000 08:01 10 /usr/bin/a\n"
			       "garbage\n"
			       "7f0000000000-7f0000001000 r-xp 00000000 08:01 20 /lib/libc.so.6\n",
			       true));
	/* Noting again replaces; forgetting makes nothing the same. */
	maps_text__note(&exec, maps_dlopen, strlen(maps_dlopen), true);
	assert_true(same_text(&exec, maps_dlopen, true));
	assert_false(same_text(&exec, maps_v1, true));
	maps_text__forget(&exec);
	assert_false(same_text(&exec, maps_dlopen, true));
	/* An empty text (a zombie's maps) noted is the same as an empty text only. */
	maps_text__note(&whole, "", 0, false);
	assert_true(same_text(&whole, "", false));
	assert_false(same_text(&whole, maps_v1, false));
	maps_text__forget(&whole);
	maps_text__forget(&whole);
}

/* A /proc/PID/stat line whose name holds spaces and parentheses. */
static const char stat_line[] =
    "4242 (a) b (c) S 1 4242 4242 0 -1 4194304 125 0 0 0 0 0 0 0 20 0 1 0 759652 3133440 383 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

static void test_parse_stat(void **state)
{
	uint64_t start_time = 0;
	char st = 0;

	(void)state;
	check_eq(targets__parse_stat(stat_line, &st, &start_time), 0);
	check_eq(st, 'S');
	check_eq(start_time, 759652);
	/* The start time as the last field, then cut short, then no name at all. */
	check_eq(targets__parse_stat("1 (x) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99", &st,
				     &start_time),
		 0);
	check_eq(st, 'Z');
	check_eq(start_time, 99);
	check_eq(targets__parse_stat("1 (x) S 1 2 3", &st, &start_time), -EINVAL);
	check_eq(targets__parse_stat("1 x S 1 2 3", &st, &start_time), -EINVAL);
	check_eq(targets__parse_stat("1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x", &st,
				     &start_time),
		 -EINVAL);
}

/* The liveness sweep's verdict for a target without a pidfd. */
static void test_gone(void **state)
{
	struct target t = {.pid = 4242, .start_time = 759652};
	char zombie[sizeof(stat_line)];

	(void)state;
	check_eq(targets__gone(&t, stat_line), false);
	/* No such PID, or /proc unreadable. */
	check_eq(targets__gone(&t, NULL), true);
	/* Exited, not reaped yet. */
	memcpy(zombie, stat_line, sizeof(zombie));
	*strstr(zombie, ") S ") = '\0';
	strcpy(zombie + strlen(zombie),
	       ") Z 1 4242 4242 0 -1 4194304 125 0 0 0 0 0 0 0 20 0 1 0 759652 1");
	check_eq(targets__gone(&t, zombie), true);
	/* Another process took the PID: another start time. */
	t.start_time = 759651;
	check_eq(targets__gone(&t, stat_line), true);
	/* Start time unknown: a live process with the PID counts as the target. */
	t.start_time = 0;
	check_eq(targets__gone(&t, stat_line), false);
	check_eq(targets__gone(&t, "garbage"), true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targets_list), cmocka_unit_test(test_index_follows_changes),
	    cmocka_unit_test(test_many_targets), cmocka_unit_test(test_maps_text),
	    cmocka_unit_test(test_parse_stat),	 cmocka_unit_test(test_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
