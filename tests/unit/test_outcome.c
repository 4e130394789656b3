// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How a run ended (src/outcome.c): command mode's verdict — the command's
 * own failure first, then the leak gate — and the line that says it.
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
#include "outcome.h"

/* Wait statuses as waitpid reports them. */
#define EXITED(code)  (((code)&0xff) << 8)
#define SIGNALED(sig) ((sig)&0x7f)

static struct outcome command_ran(int status, uint64_t leaked)
{
	return (struct outcome){.command_mode = true,
				.command_done = true,
				.command_status = status,
				.leaked_bytes = leaked,
				.fail_on_leaks = true,
				.fail_bytes = 1};
}

static void test_verdicts(void **state)
{
	struct outcome o;

	(void)state;
	assert_true(WIFEXITED(EXITED(3)) && WEXITSTATUS(EXITED(3)) == 3);
	assert_true(WIFSIGNALED(SIGNALED(11)));

	o = command_ran(EXITED(0), 0);
	check_eq(outcome__verdict(&o), VERDICT_CLEAN);
	o = command_ran(EXITED(0), 1);
	check_eq(outcome__verdict(&o), VERDICT_LEAKS);
	o.fail_bytes = 2; /* under the gate */
	check_eq(outcome__verdict(&o), VERDICT_CLEAN);
	o = command_ran(EXITED(0), 1 << 20);
	o.fail_on_leaks = false; /* no gate: leaks are reported, not failed */
	check_eq(outcome__verdict(&o), VERDICT_CLEAN);
	/* The command's failure wins over its leaks. */
	o = command_ran(EXITED(3), 1 << 20);
	check_eq(outcome__verdict(&o), VERDICT_COMMAND_FAILED);
	o = command_ran(SIGNALED(11), 0);
	check_eq(outcome__verdict(&o), VERDICT_COMMAND_FAILED);
	o.command_done = false;
	check_eq(outcome__verdict(&o), VERDICT_NOT_ENDED);
	/* A fault, or not command mode: no verdict at all. */
	o = command_ran(EXITED(0), 1);
	o.fault = FAULT_OUTPUT;
	check_eq(outcome__verdict(&o), VERDICT_NONE);
	o = (struct outcome){.leaked_bytes = 100, .fail_on_leaks = true, .fail_bytes = 1};
	check_eq(outcome__verdict(&o), VERDICT_NONE);
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

static void test_verdict_lines(void **state)
{
	struct outcome o;
	char *text;

	(void)state;
	o = command_ran(EXITED(0), 4096);
	o.fail_bytes = 100;
	text = said(&o);
	assert_string_equal(
	    text, "memleakd: LEAKS: 4096 bytes not freed at exit (--fail-on-leaks=100)\n");
	free(text);
	o.fail_on_leaks = false;
	text = said(&o);
	assert_string_equal(
	    text, "memleakd: the command exited with status 0; 4096 bytes not freed at exit\n");
	free(text);
	o = command_ran(EXITED(3), 0);
	text = said(&o);
	assert_string_equal(text, "memleakd: the command exited with status 3\n");
	free(text);
	o.command_done = false;
	text = said(&o);
	assert_string_equal(text, "memleakd: stopped before the command ended; no leak verdict\n");
	free(text);
	o.command_mode = false;
	text = said(&o);
	assert_string_equal(text, "");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdicts),
	    cmocka_unit_test(test_verdict_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
