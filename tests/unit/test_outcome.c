// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How a run ended (src/outcome.c): command mode's verdict — the leak gate
 * first, then the command's own failure —, the line that says it, and the
 * exit status (valgrind's --error-exitcode and LSan's exitcode: leaks give
 * the leak code, otherwise the command's own status passes through).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "checks.h"
#include "exitcodes.h"
#include "outcome.h"

/* Wait statuses as waitpid reports them. */
#define EXITED(code)  (((code)&0xff) << 8)
#define SIGNALED(sig) ((sig)&0x7f)

/* Blocks of one class: bytes and count. */
struct blocks {
	uint64_t bytes;
	uint64_t count;
};

/* What a scan made of the blocks left at exit, outside suppressed stacks. */
struct tally {
	struct blocks lost, indirect, reachable, unscanned;
};

static struct leak_tally leak_tally(const struct tally *t)
{
	struct leak_tally out;

	memset(&out, 0, sizeof(out));
	out.bytes[REACH_LOST] = t->lost.bytes;
	out.count[REACH_LOST] = t->lost.count;
	out.bytes[REACH_INDIRECT] = t->indirect.bytes;
	out.count[REACH_INDIRECT] = t->indirect.count;
	out.bytes[REACH_REACHABLE] = t->reachable.bytes;
	out.count[REACH_REACHABLE] = t->reachable.count;
	out.bytes[REACH_UNSCANNED] = t->unscanned.bytes;
	out.count[REACH_UNSCANNED] = t->unscanned.count;
	return out;
}

/* A command that ended with status, under --fail-on-leaks (defaults) with tally t. */
static struct outcome command_ran(int status, const struct tally *t)
{
	struct outcome o;

	memset(&o, 0, sizeof(o));
	o.command_mode = true;
	o.command_done = true;
	o.command_status = status;
	o.leaks = leak_tally(t);
	o.fail_on_leaks = true;
	o.gate = GATE_LOST;
	o.fail_bytes = 0;
	o.error_exitcode = EXIT_LEAKS;
	return o;
}

static void test_wait_status_macros(void **state)
{
	(void)state;
	assert_true(WIFEXITED(EXITED(3)) && WEXITSTATUS(EXITED(3)) == 3);
	assert_true(WIFSIGNALED(SIGNALED(11)) && WTERMSIG(SIGNALED(11)) == 11);
}

#define NOTHING                                                                                    \
	{                                                                                          \
		{0, 0}, {0, 0}, {0, 0},                                                            \
		{                                                                                  \
			0, 0                                                                       \
		}                                                                                  \
	}
#define LOST(bytes, count)                                                                         \
	{                                                                                          \
		{bytes, count}, {0, 0}, {0, 0},                                                    \
		{                                                                                  \
			0, 0                                                                       \
		}                                                                                  \
	}
#define INDIRECT(bytes, count)                                                                     \
	{                                                                                          \
		{0, 0}, {bytes, count}, {0, 0},                                                    \
		{                                                                                  \
			0, 0                                                                       \
		}                                                                                  \
	}
#define REACHABLE(bytes, count)                                                                    \
	{                                                                                          \
		{0, 0}, {0, 0}, {bytes, count},                                                    \
		{                                                                                  \
			0, 0                                                                       \
		}                                                                                  \
	}
#define UNSCANNED(bytes, count)                                                                    \
	{                                                                                          \
		{0, 0}, {0, 0}, {0, 0},                                                            \
		{                                                                                  \
			bytes, count                                                               \
		}                                                                                  \
	}

#define GATE_OFF (-1) /* no --fail-on-leaks */

struct gate_case {
	const char *what;
	int gate; /* enum fail_gate, or GATE_OFF */
	uint64_t fail_bytes;
	int error_exitcode;
	int status; /* wait status */
	struct tally tally;
	enum verdict verdict;
	int exit_status;
};

static const struct gate_case gate_cases[] = {
    /* The default gate: definitely + indirectly lost, and what no scan classified. */
    {"lost, exit 0", GATE_LOST, 0, 10, EXITED(0), LOST(96, 3), VERDICT_LEAKS, 10},
    {"a lost 0-byte block", GATE_LOST, 0, 10, EXITED(0), LOST(0, 1), VERDICT_LEAKS, 10},
    {"indirect only", GATE_LOST, 0, 10, EXITED(0), INDIRECT(64, 2), VERDICT_LEAKS, 10},
    {"unscanned: conservatively lost", GATE_LOST, 0, 10, EXITED(0), UNSCANNED(8, 1), VERDICT_LEAKS,
     10},
    {"reachable only", GATE_LOST, 0, 10, EXITED(0), REACHABLE(23293, 40), VERDICT_CLEAN, 0},
    {"nothing left", GATE_LOST, 0, 10, EXITED(0), NOTHING, VERDICT_CLEAN, 0},
    /* The command's failure no longer hides its leaks, nor its status when clean. */
    {"exit 7, lost", GATE_LOST, 0, 10, EXITED(7), LOST(1000, 1), VERDICT_LEAKS, 10},
    {"exit 7, reachable", GATE_LOST, 0, 10, EXITED(7), REACHABLE(1000, 1), VERDICT_COMMAND_FAILED,
     7},
    {"exit 77 (skipped) passes", GATE_LOST, 0, 10, EXITED(77), NOTHING, VERDICT_COMMAND_FAILED, 77},
    {"exit 255", GATE_LOST, 0, 10, EXITED(255), NOTHING, VERDICT_COMMAND_FAILED, 255},
    {"SIGSEGV: 128+11", GATE_LOST, 0, 10, SIGNALED(11), REACHABLE(5, 1), VERDICT_COMMAND_FAILED,
     139},
    {"SIGKILL, lost", GATE_LOST, 0, 10, SIGNALED(9), LOST(1, 1), VERDICT_LEAKS, 10},
    {"SIGTERM core bit", GATE_LOST, 0, 10, SIGNALED(15) | 0x80, NOTHING, VERDICT_COMMAND_FAILED,
     143},
    /* Killed by a signal: no _exit, no scan; its unclassified blocks are no verdict (LSan). */
    {"SIGTERM, unscanned", GATE_LOST, 0, 10, SIGNALED(15), UNSCANNED(1390, 42),
     VERDICT_COMMAND_FAILED, 143},
    {"SIGTERM, unscanned, =reachable", GATE_REACHABLE, 0, 10, SIGNALED(15), UNSCANNED(1390, 42),
     VERDICT_LEAKS, 10},
    /* =BYTES: the counted bytes, not the blocks. */
    {"=4096, 4095 lost", GATE_LOST, 4096, 10, EXITED(0), LOST(4095, 10), VERDICT_CLEAN, 0},
    {"=4096, 4096 lost", GATE_LOST, 4096, 10, EXITED(0), LOST(4096, 1), VERDICT_LEAKS, 10},
    {"=4096, lost+indirect+unscanned",
     GATE_LOST,
     4096,
     10,
     EXITED(0),
     {{2000, 2}, {1000, 1}, {0, 0}, {1096, 3}},
     VERDICT_LEAKS,
     10},
    {"=4096, reachable does not count",
     GATE_LOST,
     4096,
     10,
     EXITED(0),
     {{100, 1}, {0, 0}, {1 << 20, 9}, {0, 0}},
     VERDICT_CLEAN,
     0},
    {"=1, a 0-byte lost block", GATE_LOST, 1, 10, EXITED(3), LOST(0, 1), VERDICT_COMMAND_FAILED, 3},
    /* =reachable: every block not freed, as memleakd <= 0.13. */
    {"=reachable, reachable", GATE_REACHABLE, 0, 10, EXITED(0), REACHABLE(35289, 12), VERDICT_LEAKS,
     10},
    {"=reachable, a 0-byte block", GATE_REACHABLE, 0, 10, EXITED(0), REACHABLE(0, 1), VERDICT_LEAKS,
     10},
    {"=reachable, nothing", GATE_REACHABLE, 0, 10, EXITED(4), NOTHING, VERDICT_COMMAND_FAILED, 4},
    {"=reachable at 4096", GATE_REACHABLE, 4096, 10, EXITED(0), REACHABLE(4000, 1), VERDICT_CLEAN,
     0},
    /* No gate: leaks are reported, never failed; the status is the command's. */
    {"no gate, lost", GATE_OFF, 0, 10, EXITED(0), LOST(1 << 20, 5), VERDICT_CLEAN, 0},
    {"no gate, exit 3", GATE_OFF, 0, 10, EXITED(3), LOST(1 << 20, 5), VERDICT_COMMAND_FAILED, 3},
    /* --error-exitcode: N when leaks are found; 0 keeps the command's status even then. */
    {"--error-exitcode 42", GATE_LOST, 0, 42, EXITED(0), LOST(1, 1), VERDICT_LEAKS, 42},
    {"--error-exitcode 42, exit 7", GATE_LOST, 0, 42, EXITED(7), LOST(1, 1), VERDICT_LEAKS, 42},
    {"--error-exitcode 42, clean", GATE_LOST, 0, 42, EXITED(0), REACHABLE(1, 1), VERDICT_CLEAN, 0},
    {"--error-exitcode 255", GATE_LOST, 0, 255, EXITED(0), LOST(1, 1), VERDICT_LEAKS, 255},
    {"--error-exitcode 0", GATE_LOST, 0, 0, EXITED(0), LOST(1, 1), VERDICT_LEAKS, 0},
    {"--error-exitcode 0, exit 7", GATE_LOST, 0, 0, EXITED(7), LOST(1, 1), VERDICT_LEAKS, 7},
    {"--error-exitcode 0, SIGABRT", GATE_LOST, 0, 0, SIGNALED(6), LOST(1, 1), VERDICT_LEAKS, 134},
};

static void test_gate_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(gate_cases) / sizeof(gate_cases[0]); i++) {
		const struct gate_case *c = &gate_cases[i];
		struct outcome o = command_ran(c->status, &c->tally);
		enum verdict verdict;
		int status;

		o.fail_on_leaks = c->gate != GATE_OFF;
		o.gate = c->gate == GATE_OFF ? GATE_LOST : (enum fail_gate)c->gate;
		o.fail_bytes = c->fail_bytes;
		o.error_exitcode = c->error_exitcode;
		verdict = outcome__verdict(&o);
		status = outcome__exit_status(&o);
		if (verdict != c->verdict)
			fail_msg("%s: verdict %d, want %d", c->what, verdict, c->verdict);
		if (status != c->exit_status)
			fail_msg("%s: exit status %d, want %d", c->what, status, c->exit_status);
	}
}

/* memleakd's own faults keep their codes, leaks or not; outside command mode: 0. */
static void test_faults_and_modes(void **state)
{
	static const struct {
		enum fault fault;
		int status;
	} faults[] = {
	    {FAULT_RUN, EXIT_FAILURE_RUN}, {FAULT_PERMISSION, EXIT_PERMISSION},
	    {FAULT_KERNEL, EXIT_KERNEL},   {FAULT_TARGET, EXIT_TARGET},
	    {FAULT_OUTPUT, EXIT_OUTPUT},
	};
	const struct tally lost = LOST(1000, 1);
	struct outcome o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		o = command_ran(EXITED(7), &lost);
		o.fault = faults[i].fault;
		check_eq(outcome__verdict(&o), VERDICT_NONE);
		check_eq(outcome__exit_status(&o), faults[i].status);
	}
	/* -p or system-wide: no verdict, 0 even with lost blocks. */
	o = command_ran(EXITED(7), &lost);
	o.command_mode = false;
	check_eq(outcome__verdict(&o), VERDICT_NONE);
	check_eq(outcome__exit_status(&o), EXIT_OK);
	/* memleakd stopped first (-d, a second Ctrl-C): no verdict, EXIT_NOT_ENDED. */
	o = command_ran(EXITED(0), &lost);
	o.command_done = false;
	check_eq(outcome__verdict(&o), VERDICT_NOT_ENDED);
	check_eq(outcome__exit_status(&o), EXIT_NOT_ENDED);
	check_eq(EXIT_NOT_ENDED, 11);
	check_eq(EXIT_LEAKS, 10);
}

/* The verdict line outcome__say_verdict writes for o. */
static char *said(const struct outcome *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	outcome__say_verdict(o, out);
	fclose(out);
	return text;
}

static void expect_said(const struct outcome *o, const char *want)
{
	char *text = said(o);

	if (strcmp(text, want)) {
		fprintf(stderr, "said: %swant: %s", text, want);
		free(text);
		fail_msg("verdict line differs");
	}
	free(text);
}

static void test_leak_lines(void **state)
{
	const struct tally lost_indirect = {{96, 3}, {64, 2}, {23293, 40}, {0, 0}};
	const struct tally zero_byte = LOST(0, 1);
	const struct tally all = {{2000, 2}, {1000, 1}, {1000, 1}, {1048576, 1}};
	struct outcome o;

	(void)state;
	/* Only the counted classes, in blocks too; reachable is not named under the default gate.
	 */
	o = command_ran(EXITED(0), &lost_indirect);
	expect_said(&o,
		    "memleakd: LEAKS: 96 bytes definitely lost in 3 blocks, 64 bytes indirectly "
		    "lost in 2 blocks (--fail-on-leaks); the command exited with status 0\n");
	o = command_ran(EXITED(7), &zero_byte);
	expect_said(&o, "memleakd: LEAKS: 0 bytes definitely lost in 1 block (--fail-on-leaks); "
			"the command exited with status 7\n");
	/* Blocks no scan classified are counted, and the line says so. */
	o = command_ran(EXITED(3), &all);
	o.fail_bytes = 4096;
	expect_said(&o, "memleakd: LEAKS: 2,000 bytes definitely lost in 2 blocks, 1,000 bytes "
			"indirectly lost in 1 block, 1,048,576 bytes in 1 block no scan "
			"classified (counted as lost) (--fail-on-leaks=4096); the command exited "
			"with status 3\n");
	/* Killed by a signal, it never reached _exit: those are no verdict, its lost ones are. */
	o = command_ran(SIGNALED(11), &all);
	o.fail_bytes = 4096;
	expect_said(&o,
		    "memleakd: under the gate: 2,000 bytes definitely lost in 2 blocks, "
		    "1,000 bytes indirectly lost in 1 block, 1,048,576 bytes in 1 block no "
		    "scan classified (not counted: the command died of a signal), 1,000 bytes "
		    "still reachable in 1 block (not leaks) at exit (--fail-on-leaks=4096); the "
		    "command was killed by signal 11 (Segmentation fault)\n");
	/* =reachable counts and names every class. */
	o = command_ran(EXITED(0), &all);
	o.gate = GATE_REACHABLE;
	expect_said(&o, "memleakd: LEAKS: 2,000 bytes definitely lost in 2 blocks, 1,000 bytes "
			"indirectly lost in 1 block, 1,048,576 bytes in 1 block no scan "
			"classified, 1,000 bytes still reachable in 1 block "
			"(--fail-on-leaks=reachable); the command exited with status 0\n");
}

static void test_no_leak_lines(void **state)
{
	const struct tally reachable = REACHABLE(23293, 40);
	const struct tally nothing = NOTHING;
	const struct tally under = {{1, 1}, {0, 0}, {100, 2}, {0, 0}};
	struct outcome o;

	(void)state;
	o = command_ran(EXITED(7), &reachable);
	expect_said(&o, "memleakd: no leaks: 23,293 bytes still reachable in 40 blocks (not leaks) "
			"at exit; the command exited with status 7\n");
	o = command_ran(EXITED(0), &nothing);
	expect_said(&o, "memleakd: no leaks: 0 bytes not freed at exit; the command exited with "
			"status 0\n");
	/* Under a byte threshold: what was found, and the threshold it stayed under. */
	o = command_ran(EXITED(0), &under);
	o.fail_bytes = 4096;
	expect_said(&o, "memleakd: under the gate: 1 byte definitely lost in 1 block, 100 bytes "
			"still reachable in 2 blocks (not leaks) at exit (--fail-on-leaks=4096); "
			"the command exited with status 0\n");
	/* No gate: the classes as found, no judgement. */
	o = command_ran(EXITED(3), &under);
	o.fail_on_leaks = false;
	expect_said(&o, "memleakd: 1 byte definitely lost in 1 block, 100 bytes still reachable in "
			"2 blocks at exit; the command exited with status 3\n");
	o.command_done = false;
	expect_said(&o, "memleakd: stopped before the command ended; no leak verdict\n");
	o.command_mode = false;
	expect_said(&o, "");
	o = command_ran(EXITED(0), &under);
	o.fault = FAULT_OUTPUT;
	expect_said(&o, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wait_status_macros), cmocka_unit_test(test_gate_table),
	    cmocka_unit_test(test_faults_and_modes),   cmocka_unit_test(test_leak_lines),
	    cmocka_unit_test(test_no_leak_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
