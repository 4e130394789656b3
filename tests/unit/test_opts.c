// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Command-line parsing (src/opts.h). Every rejected input is checked for the
 * return code and for a message that names what was wrong: the message is
 * the only thing a user sees, so "invalid" without the value is a bug too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "exitcodes.h"
#include "opts.h"
#include "outcome.h"

#define MAX_ARGS 200

/* err must contain needle; the message says what it was and what was expected. */
#define check_contains(err, needle)                                                                \
	do {                                                                                       \
		if (!strstr((err), (needle)))                                                      \
			fail_msg("error message \"%s\" does not mention \"%s\"", (err), (needle)); \
	} while (0)

struct parsed {
	struct opts o;
	char err[256];
	int ret;
	/* argv must outlive the opts: folded_path points into it. */
	char *argv[MAX_ARGS + 2];
	int argc;
};

/* Runs opts__parse on "memleakd" followed by args (a NULL-terminated list). */
static void parse_args(struct parsed *p, const char *const *args)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->argv[p->argc++] = (char *)"memleakd";
	for (i = 0; args[i]; i++) {
		assert_true(p->argc < MAX_ARGS);
		p->argv[p->argc++] = (char *)args[i];
	}
	p->argv[p->argc] = NULL;
	/* A sentinel, so a success that leaves err untouched would still be noticed. */
	strcpy(p->err, "sentinel");
	p->ret = opts__parse(p->argc, p->argv, &p->o, p->err, sizeof(p->err));
}

#define PARSE(p, ...) parse_args((p), (const char *const[]){__VA_ARGS__, NULL})

static void expect_ok(const struct parsed *p)
{
	if (p->ret != OPTS_RUN)
		fail_msg("opts__parse returned %d, want OPTS_RUN; message: \"%s\"", p->ret, p->err);
	check_eq(p->err[0], '\0');
}

static void expect_invalid(const struct parsed *p, const char *needle)
{
	if (p->ret != -EINVAL)
		fail_msg("opts__parse returned %d, want -EINVAL (expected a message naming \"%s\")",
			 p->ret, needle);
	check_contains(p->err, needle);
}

/* --- accepted input -------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "1234");
	expect_ok(&p);
	check_eq(p.o.nr_pids, 1);
	check_eq(p.o.pids[0], 1234);
	/* Every other field must be the documented default. */
	assert_true(p.o.interval_s == 5.0);
	assert_true(p.o.duration_s == 0.0);
	check_eq(p.o.top, 10);
	check_u64(p.o.min_size, 0);
	check_u64(p.o.max_size, UINT64_MAX);
	assert_null(p.o.folded_path);
	check_eq(p.o.stack_slots, 16384);
	check_eq(p.o.verbosity, 0);
	/* The gate is off; when on, one lost block fails with status 10. */
	check_eq(p.o.fail_on_leaks, 0);
	check_eq(p.o.fail_gate, GATE_LOST);
	check_u64(p.o.fail_bytes, 0);
	check_eq(p.o.error_exitcode, EXIT_LEAKS);
	check_eq(p.o.nr_suppression_files, 0);
	assert_true(p.o.scan_s == 0);
	check_eq(p.o.no_exit_scan, 0);
	check_u64(p.o.scan_max_bytes, 4ULL << 30);
	/* And opts_defaults is what they come from. */
	assert_true(opts_defaults.interval_s == 5.0);
	check_eq(opts_defaults.top, 10);
	check_eq(opts_defaults.nr_pids, 0);
}

static void test_every_short_option(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "1", "-i", "2.5", "-d", "10", "-n", "3", "--min-size", "16", "--max-size",
	      "1M", "--folded", "out.folded", "--stack-slots", "2048", "-vv");
	expect_ok(&p);
	check_eq(p.o.nr_pids, 1);
	check_eq(p.o.pids[0], 1);
	assert_true(p.o.interval_s == 2.5);
	assert_true(p.o.duration_s == 10.0);
	check_eq(p.o.top, 3);
	check_u64(p.o.min_size, 16);
	check_u64(p.o.max_size, 1u << 20);
	assert_non_null(p.o.folded_path);
	assert_string_equal(p.o.folded_path, "out.folded");
	check_eq(p.o.stack_slots, 2048);
	check_eq(p.o.verbosity, 2);
}

static void test_every_long_option(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "--pid=7", "--interval=0.1", "--duration", "0.5", "--top=100000", "--min-size=4k",
	      "--max-size=1G", "--folded=/tmp/x y.folded", "--stack-slots=4194304", "--verbose",
	      "--verbose", "-v");
	expect_ok(&p);
	check_eq(p.o.pids[0], 7);
	assert_true(p.o.interval_s == 0.1);
	assert_true(p.o.duration_s == 0.5);
	check_eq(p.o.top, 100000);
	check_u64(p.o.min_size, 4096);
	check_u64(p.o.max_size, 1u << 30);
	assert_string_equal(p.o.folded_path, "/tmp/x y.folded");
	check_eq(p.o.stack_slots, 4194304);
	check_eq(p.o.verbosity, 3);

	/* Attached short values. */
	PARSE(&p, "-p42", "-n7", "-vvv");
	expect_ok(&p);
	check_eq(p.o.pids[0], 42);
	check_eq(p.o.top, 7);
	check_eq(p.o.verbosity, 3);
}

static void test_boundaries_accepted(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "2147483647", "-i", "86400", "-d", "2678400", "-n", "1", "--stack-slots",
	      "1024");
	expect_ok(&p);
	check_eq(p.o.pids[0], 2147483647);
	assert_true(p.o.interval_s == 86400);
	assert_true(p.o.duration_s == 2678400);
	check_eq(p.o.top, 1);
	check_eq(p.o.stack_slots, 1024);
	/* Equal sizes filter to exactly one size: allowed. */
	PARSE(&p, "-p", "1", "--min-size", "64", "--max-size", "64");
	expect_ok(&p);
	/* Duration equal to the interval: one report. */
	PARSE(&p, "-p", "1", "-i", "2", "-d", "2");
	expect_ok(&p);
}

static void test_repeated_pids(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "5", "-p", "6", "--pid", "7");
	expect_ok(&p);
	check_eq(p.o.nr_pids, 3);
	check_eq(p.o.pids[0], 5);
	check_eq(p.o.pids[1], 6);
	check_eq(p.o.pids[2], 7);

	/* -p 5 -p 5 traces it once. */
	PARSE(&p, "-p", "5", "-p", "6", "-p", "5", "-p", "6");
	expect_ok(&p);
	check_eq(p.o.nr_pids, 2);
	check_eq(p.o.pids[0], 5);
	check_eq(p.o.pids[1], 6);
}

static void test_pid_limit(void **state)
{
	static char numbers[OPTS_MAX_PIDS + 1][16];
	const char *args[2 * (OPTS_MAX_PIDS + 1) + 3];
	struct parsed p;
	int i, n = 0;

	(void)state;
	for (i = 0; i < OPTS_MAX_PIDS; i++) {
		snprintf(numbers[i], sizeof(numbers[i]), "%d", 100 + i);
		args[n++] = "-p";
		args[n++] = numbers[i];
	}
	/* A repeat of a pid already listed is no new target: still within the limit. */
	args[n++] = "-p";
	args[n++] = "100";
	args[n] = NULL;
	parse_args(&p, args);
	expect_ok(&p);
	check_eq(p.o.nr_pids, OPTS_MAX_PIDS);
	check_eq(p.o.pids[OPTS_MAX_PIDS - 1], 100 + OPTS_MAX_PIDS - 1);

	/* One more distinct pid is refused with the limit in the message. */
	snprintf(numbers[OPTS_MAX_PIDS], sizeof(numbers[0]), "%d", 99999);
	args[n - 1] = numbers[OPTS_MAX_PIDS];
	parse_args(&p, args);
	expect_invalid(&p, "64");
}

static void test_reparse_resets_state(void **state)
{
	struct parsed p;

	(void)state;
	/* A failure mid-argv must not leave getopt state that breaks the next parse. */
	PARSE(&p, "-p", "1", "-vx", "-n", "3");
	assert_int_equal(p.ret, -EINVAL);
	PARSE(&p, "-n", "4", "-p", "2");
	expect_ok(&p);
	check_eq(p.o.top, 4);
	check_eq(p.o.pids[0], 2);
	/* Nothing from an earlier parse leaks in (-n 4 above, not here). */
	PARSE(&p, "-p", "3");
	expect_ok(&p);
	check_eq(p.o.top, 10);
	check_eq(p.o.nr_pids, 1);
}

static char *parse_capturing_stdout(struct parsed *p, const char *const *args);

/*
 * --help returns in the middle of "-hv", leaving getopt pointing at the 'v'
 * of an argv that is gone: the next parse must start from scratch, not pick
 * up that -v.
 */
static void test_reparse_after_exit_mid_group(void **state)
{
	struct parsed p;

	(void)state;
	free(parse_capturing_stdout(&p, (const char *const[]){"-p", "1", "-hvvv", NULL}));
	check_eq(p.ret, OPTS_EXIT);
	PARSE(&p, "-p", "2");
	expect_ok(&p);
	check_eq(p.o.verbosity, 0);
	check_eq(p.o.pids[0], 2);
}

/* Runs a parse with stdout redirected to a temporary file; returns what was printed. */
static char *parse_capturing_stdout(struct parsed *p, const char *const *args)
{
	FILE *capture = tmpfile();
	int saved = dup(STDOUT_FILENO);
	char *text = calloc(1, 65536);
	size_t n;

	assert_non_null(capture);
	assert_true(saved >= 0);
	assert_non_null(text);
	fflush(stdout);
	assert_true(dup2(fileno(capture), STDOUT_FILENO) >= 0);
	parse_args(p, args);
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(capture);
	n = fread(text, 1, 65535, capture);
	text[n] = '\0';
	fclose(capture);
	return text;
}

static void test_help_and_version(void **state)
{
	struct parsed p;
	char *out;

	(void)state;
	/* --help needs no -p and wins over later garbage. */
	out = parse_capturing_stdout(&p, (const char *const[]){"--help", "--bogus", NULL});
	check_eq(p.ret, OPTS_EXIT);
	check_contains(out, "Usage: memleakd");
	check_contains(out, "--folded");
	check_contains(out, "--stack-slots");
	check_contains(out, "--fail-on-leaks[=BYTES|reachable]");
	check_contains(out, "--error-exitcode N");
	check_contains(out, "--suppressions FILE");
	check_contains(out, "--scan SECONDS");
	check_contains(out, "--no-exit-scan");
	check_contains(out, "--scan-max-bytes BYTES");
	free(out);

	out = parse_capturing_stdout(&p, (const char *const[]){"-p", "1", "-h", NULL});
	check_eq(p.ret, OPTS_EXIT);
	check_contains(out, "Usage: memleakd");
	free(out);

	out = parse_capturing_stdout(&p, (const char *const[]){"--version", NULL});
	check_eq(p.ret, OPTS_EXIT);
	check_contains(out, "memleakd ");
	free(out);
}

/* --- rejected input -------------------------------------------------------- */

struct bad_value {
	const char *option;
	const char *value;
};

static void test_bad_numbers(void **state)
{
	static const struct bad_value cases[] = {
	    {"-p", "abc"},
	    {"-p", "-5"},
	    {"-p", "0"},
	    {"-p", "1e99"},
	    {"-p", ""},
	    {"-p", "2147483648"},
	    {"-p", "12x"},
	    {"-p", "+5"},
	    {"-i", "abc"},
	    {"-i", "-5"},
	    {"-i", "0"},
	    {"-i", "1e99"},
	    {"-i", ""},
	    {"-i", "nan"},
	    {"-i", "inf"},
	    {"-i", "0.05"},
	    {"-i", "86401"},
	    {"-i", "5s"},
	    {"-d", "abc"},
	    {"-d", "-5"},
	    {"-d", "0"},
	    {"-d", "1e99"},
	    {"-d", ""},
	    {"-d", "2678401"},
	    {"-n", "abc"},
	    {"-n", "-5"},
	    {"-n", "0"},
	    {"-n", "1e99"},
	    {"-n", ""},
	    {"-n", "100001"},
	    {"-n", "2.5"},
	    {"--min-size", "abc"},
	    {"--min-size", "-5"},
	    {"--min-size", "1e99"},
	    {"--min-size", ""},
	    {"--min-size", "4x"},
	    {"--max-size", "abc"},
	    {"--max-size", "-5"},
	    {"--max-size", "1e99"},
	    {"--max-size", ""},
	    {"--max-size", "1.5M"},
	    {"--stack-slots", "abc"},
	    {"--stack-slots", "-5"},
	    {"--stack-slots", "0"},
	    {"--stack-slots", "1e99"},
	    {"--stack-slots", ""},
	    {"--stack-slots", "1023"},
	    {"--stack-slots", "4194305"},
	};
	char quoted[64];
	struct parsed p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The bad option goes last but -p comes first, so -p is never what is missing. */
		if (!strcmp(cases[i].option, "-p"))
			PARSE(&p, cases[i].option, cases[i].value);
		else
			PARSE(&p, "-p", "1", cases[i].option, cases[i].value);
		snprintf(quoted, sizeof(quoted), "'%s'", cases[i].value);
		if (p.ret != -EINVAL)
			fail_msg("%s '%s': returned %d, want -EINVAL", cases[i].option,
				 cases[i].value, p.ret);
		if (!strstr(p.err, quoted))
			fail_msg("%s '%s': message \"%s\" does not quote the value",
				 cases[i].option, cases[i].value, p.err);
	}
}

static void test_missing_pid(void **state)
{
	struct parsed p;

	(void)state;
	/* Neither -p nor a command: every process. */
	PARSE(&p, "-i", "2");
	check_eq(p.ret, OPTS_RUN);
	check_eq(p.o.system_wide, 1);
	parse_args(&p, (const char *const[]){NULL});
	check_eq(p.ret, OPTS_RUN);
	check_eq(p.o.system_wide, 1);
}

static void test_min_larger_than_max(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "1", "--min-size", "2k", "--max-size", "1k");
	expect_invalid(&p, "--min-size");
	check_contains(p.err, "--max-size");
	/* Order on the command line does not matter: checked after all options. */
	PARSE(&p, "-p", "1", "--max-size", "1", "--min-size", "2");
	expect_invalid(&p, "--min-size");
}

static void test_duration_shorter_than_interval(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "1", "-i", "5", "-d", "2");
	expect_invalid(&p, "2.0s");
	check_contains(p.err, "5.0s");
	/* Against the default interval (5 s) too. */
	PARSE(&p, "-p", "1", "-d", "1");
	expect_invalid(&p, "1.0s");
	check_contains(p.err, "5.0s");
}

static void test_unknown_option(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "1", "--bogus");
	expect_invalid(&p, "--bogus");
	PARSE(&p, "-p", "1", "-x");
	expect_invalid(&p, "-x");
	check_contains(p.err, "unknown");
	PARSE(&p, "-p", "1", "--no-such-option=5");
	expect_invalid(&p, "--no-such-option");
}

/*
 * "--verbose=3": the option exists but takes no value. getopt reports it
 * with optopt = 'v', so the message must not claim that -v is unknown: it
 * has to name what the user typed.
 */
static void test_long_option_given_a_value(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "1", "--verbose=3");
	expect_invalid(&p, "--verbose");
	PARSE(&p, "-p", "1", "--help=yes");
	expect_invalid(&p, "--help");
}

static void test_missing_value(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p");
	expect_invalid(&p, "-p");
	check_contains(p.err, "needs a value");
	PARSE(&p, "-p", "1", "-i");
	expect_invalid(&p, "-i");
	check_contains(p.err, "needs a value");
	PARSE(&p, "-p", "1", "--folded");
	expect_invalid(&p, "--folded");
	PARSE(&p, "-p", "1", "--folded", "");
	expect_invalid(&p, "--folded");
}

static void test_command_mode(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-i", "1", "--fail-on-leaks", "--", "ls", "-l");
	check_eq(p.ret, OPTS_RUN);
	assert_true(p.o.command != NULL);
	assert_string_equal(p.o.command[0], "ls");
	assert_string_equal(p.o.command[1], "-l");
	assert_true(p.o.command[2] == NULL);
	check_eq(p.o.fail_on_leaks, 1);
	check_eq(p.o.fail_gate, GATE_LOST);
	check_u64(p.o.fail_bytes, 0);
	check_eq(p.o.error_exitcode, EXIT_LEAKS);
	check_eq(p.o.system_wide, 0);
	/* Options after the command belong to it. */
	PARSE(&p, "--", "prog", "-p", "1");
	check_eq(p.ret, OPTS_RUN);
	check_eq(p.o.nr_pids, 0);
	PARSE(&p, "--fail-on-leaks=4k", "-f", "--", "sh");
	expect_ok(&p);
	check_eq(p.o.fail_bytes, 4096);
	check_eq(p.o.fail_gate, GATE_LOST);
	check_eq(p.o.follow, 1);
	PARSE(&p, "-p", "1", "--", "ls", "-l");
	expect_invalid(&p, "cannot be combined");
	/* A stray word is not command mode: the message names it. */
	PARSE(&p, "-p", "1", "ls");
	expect_invalid(&p, "'ls'");
}

/* --fail-on-leaks[=BYTES|reachable] and --error-exitcode: the leak gate. */
static void test_leak_gate(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "--fail-on-leaks=reachable", "--", "ls");
	expect_ok(&p);
	check_eq(p.o.fail_on_leaks, 1);
	check_eq(p.o.fail_gate, GATE_REACHABLE);
	check_u64(p.o.fail_bytes, 0);
	/* The last one wins: =reachable then a plain gate is the default gate again. */
	PARSE(&p, "--fail-on-leaks=reachable", "--fail-on-leaks=1M", "--", "ls");
	expect_ok(&p);
	check_eq(p.o.fail_gate, GATE_LOST);
	check_u64(p.o.fail_bytes, 1 << 20);
	PARSE(&p, "--fail-on-leaks=4k", "--fail-on-leaks", "--", "ls");
	expect_ok(&p);
	check_u64(p.o.fail_bytes, 0);
	/* =0 would read as "off": refused, with what to give instead. */
	PARSE(&p, "--fail-on-leaks=0", "--", "ls");
	expect_invalid(&p, "--fail-on-leaks '0'");
	check_contains(p.err, "'reachable'");
	PARSE(&p, "--fail-on-leaks=lost", "--", "ls");
	expect_invalid(&p, "--fail-on-leaks 'lost'");
	PARSE(&p, "--fail-on-leaks=", "--", "ls");
	expect_invalid(&p, "--fail-on-leaks ''");
	PARSE(&p, "--fail-on-leaks", "-p", "1");
	expect_invalid(&p, "--fail-on-leaks needs a command");
	PARSE(&p, "--fail-on-leaks=reachable");
	expect_invalid(&p, "--fail-on-leaks needs a command");

	/* --error-exitcode N: 0..255, both spellings; alone it turns the gate on (as LSan). */
	PARSE(&p, "--error-exitcode", "42", "--", "ls");
	expect_ok(&p);
	check_eq(p.o.error_exitcode, 42);
	check_eq(p.o.fail_on_leaks, 1);
	check_eq(p.o.fail_gate, GATE_LOST);
	PARSE(&p, "--fail-on-leaks=reachable", "--error-exitcode=0", "--", "ls");
	expect_ok(&p);
	check_eq(p.o.error_exitcode, 0);
	check_eq(p.o.fail_gate, GATE_REACHABLE);
	PARSE(&p, "--error-exitcode", "255", "--", "ls");
	expect_ok(&p);
	check_eq(p.o.error_exitcode, 255);
	PARSE(&p, "--error-exitcode", "256", "--", "ls");
	expect_invalid(&p, "--error-exitcode '256': give a status from 0 to 255");
	PARSE(&p, "--error-exitcode", "-1", "--", "ls");
	expect_invalid(&p, "--error-exitcode '-1'");
	PARSE(&p, "--error-exitcode", "1x", "--", "ls");
	expect_invalid(&p, "--error-exitcode '1x'");
	PARSE(&p, "--error-exitcode", "", "--", "ls");
	expect_invalid(&p, "--error-exitcode ''");
	/* Without a command the message names the option given, and the fix. */
	PARSE(&p, "-p", "1", "--error-exitcode", "3");
	expect_invalid(&p, "--error-exitcode needs a command");
	check_contains(p.err, "'memleakd --error-exitcode -- COMMAND'");
	PARSE(&p, "--error-exitcode", "3");
	expect_invalid(&p, "--error-exitcode needs a command");
}

/* --suppressions FILE: repeatable, kept as given (the session reads the files). */
static void test_suppression_files(void **state)
{
	static char names[OPTS_MAX_SUPPRESS + 1][24];
	const char *args[2 * (OPTS_MAX_SUPPRESS + 1) + 1];
	struct parsed p;
	int i, n = 0;

	(void)state;
	PARSE(&p, "--suppressions", "lsan.supp", "--suppressions=/etc/other.supp", "-p", "1");
	expect_ok(&p);
	check_eq(p.o.nr_suppression_files, 2);
	assert_string_equal(p.o.suppression_files[0], "lsan.supp");
	assert_string_equal(p.o.suppression_files[1], "/etc/other.supp");
	/* Apart from --suppress FUNC. */
	check_eq(p.o.nr_suppress, 0);
	PARSE(&p, "--suppressions", "", "--", "ls");
	expect_invalid(&p, "empty --suppressions");
	PARSE(&p, "-p", "1", "--suppressions");
	expect_invalid(&p, "--suppressions");
	for (i = 0; i <= OPTS_MAX_SUPPRESS; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d.supp", i);
		args[n++] = "--suppressions";
		args[n++] = names[i];
	}
	args[n - 2] = NULL; /* OPTS_MAX_SUPPRESS files: all kept */
	parse_args(&p, args);
	expect_ok(&p);
	check_eq(p.o.nr_suppression_files, OPTS_MAX_SUPPRESS);
	assert_string_equal(p.o.suppression_files[OPTS_MAX_SUPPRESS - 1], "f31.supp");
	args[n - 2] = "--suppressions";
	args[n] = NULL; /* one more: refused with the limit */
	parse_args(&p, args);
	expect_invalid(&p, "too many --suppressions files: at most 32");
}

/* --scan, --no-exit-scan, --scan-max-bytes. */
static void test_scan_options(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "-p", "1", "--scan", "30", "--scan-max-bytes", "256M");
	expect_ok(&p);
	assert_true(p.o.scan_s == 30);
	check_u64(p.o.scan_max_bytes, 256 << 20);
	/* System-wide, and a command's processes too. */
	PARSE(&p, "--scan=0.1");
	expect_ok(&p);
	assert_true(p.o.scan_s == 0.1);
	PARSE(&p, "--scan", "86400", "--fail-on-leaks", "--", "ls");
	expect_ok(&p);
	assert_true(p.o.scan_s == 86400);
	PARSE(&p, "--scan", "0", "-p", "1");
	expect_invalid(&p, "--scan '0': give seconds between 0.1 and 86400");
	PARSE(&p, "--scan", "0.09", "-p", "1");
	expect_invalid(&p, "--scan '0.09'");
	PARSE(&p, "--scan", "-5", "-p", "1");
	expect_invalid(&p, "--scan '-5'");
	PARSE(&p, "--scan", "nan", "-p", "1");
	expect_invalid(&p, "--scan 'nan'");
	PARSE(&p, "--scan", "86401", "-p", "1");
	expect_invalid(&p, "--scan '86401'");
	PARSE(&p, "--scan", "5s", "-p", "1");
	expect_invalid(&p, "--scan '5s'");

	PARSE(&p, "--no-exit-scan", "--fail-on-leaks", "--", "ls");
	expect_ok(&p);
	check_eq(p.o.no_exit_scan, 1);
	PARSE(&p, "--scan-max-bytes", "1M", "--", "ls");
	expect_ok(&p);
	check_u64(p.o.scan_max_bytes, 1 << 20);
	PARSE(&p, "--scan-max-bytes", "1023k", "--", "ls");
	expect_invalid(&p, "--scan-max-bytes '1023k': give bytes of at least 1M");
	PARSE(&p, "--scan-max-bytes", "lots", "--", "ls");
	expect_invalid(&p, "--scan-max-bytes 'lots'");
	/* A bound on scans when none will run: the message says what to drop or add. */
	PARSE(&p, "--no-exit-scan", "--scan-max-bytes", "8G", "--", "ls");
	expect_invalid(&p, "--scan-max-bytes bounds scans");
	check_contains(p.err, "add --scan SECONDS");
	/* Even given as the default value: it was given. */
	PARSE(&p, "--scan-max-bytes", "4G", "--no-exit-scan", "-p", "1");
	expect_invalid(&p, "--no-exit-scan without --scan");
	PARSE(&p, "--no-exit-scan", "--scan", "10", "--scan-max-bytes", "8G", "-p", "1");
	expect_ok(&p);
}

/* --metrics [ADDR:]PORT: numeric hosts only, loopback by default; the fleet caps. */
static void test_fleet_options(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "--metrics", "9464");
	expect_ok(&p);
	assert_string_equal(p.o.metrics_host, "127.0.0.1");
	check_eq(p.o.metrics_port, 9464);
	check_eq(p.o.metrics_top, 20);
	check_eq(p.o.exited_max_stacks, 2000);
	PARSE(&p, "--metrics", ":1");
	expect_ok(&p);
	assert_string_equal(p.o.metrics_host, "127.0.0.1");
	check_eq(p.o.metrics_port, 1);
	PARSE(&p, "--metrics", "0.0.0.0:65535", "--metrics-top", "1000");
	expect_ok(&p);
	assert_string_equal(p.o.metrics_host, "0.0.0.0");
	check_eq(p.o.metrics_port, 65535);
	check_eq(p.o.metrics_top, 1000);
	PARSE(&p, "--metrics", "[::1]:9464", "--max-exited-stacks", "1");
	expect_ok(&p);
	assert_string_equal(p.o.metrics_host, "::1");
	check_eq(p.o.exited_max_stacks, 1);
	PARSE(&p, "--metrics", "[::]:80");
	expect_ok(&p);
	assert_string_equal(p.o.metrics_host, "::");
	PARSE(&p, "--metrics", "localhost:9464");
	expect_invalid(&p, "--metrics 'localhost:9464': give [ADDR:]PORT with a numeric address");
	PARSE(&p, "--metrics", "::1:9464");
	expect_invalid(&p, "--metrics '::1:9464'");
	PARSE(&p, "--metrics", "0");
	expect_invalid(&p, "--metrics '0'");
	PARSE(&p, "--metrics", "65536");
	expect_invalid(&p, "--metrics '65536'");
	PARSE(&p, "--metrics", "127.0.0.1:");
	expect_invalid(&p, "--metrics '127.0.0.1:'");
	PARSE(&p, "--metrics", "[]:9464");
	expect_invalid(&p, "--metrics '[]:9464'");
	PARSE(&p, "--metrics-top", "0");
	expect_invalid(&p, "--metrics-top '0': give a number of stacks from 1 to 1000");
	PARSE(&p, "--metrics-top", "1001");
	expect_invalid(&p, "--metrics-top '1001'");
	PARSE(&p, "--max-exited-stacks", "0");
	expect_invalid(&p, "--max-exited-stacks '0'");
}

/* --user: kept as given (looked up at start); only with a command. */
static void test_user(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "--", "ls");
	assert_null(p.o.user);
	PARSE(&p, "--user", "nobody", "-f", "--", "make", "check");
	expect_ok(&p);
	assert_string_equal(p.o.user, "nobody");
	PARSE(&p, "--user=1000", "--", "id");
	expect_ok(&p);
	assert_string_equal(p.o.user, "1000");
	PARSE(&p, "--user", "nobody", "-p", "1");
	expect_invalid(&p, "--user");
	PARSE(&p, "--user", "nobody");
	expect_invalid(&p, "give one");
	PARSE(&p, "--user", "", "--", "id");
	expect_invalid(&p, "empty --user");
	PARSE(&p, "--user");
	expect_invalid(&p, "'--user'");
}

static void test_system_wide(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "--comm", "nginx", "--comm", "redis-server", "--min-bytes", "1M");
	check_eq(p.ret, OPTS_RUN);
	check_eq(p.o.system_wide, 1);
	check_eq(p.o.nr_comms, 2);
	assert_string_equal(p.o.comms[1], "redis-server");
	check_eq(p.o.min_bytes, 1 << 20);
	PARSE(&p, "--comm", "a-name-longer-than-15");
	expect_invalid(&p, "1 to 15 characters");
	PARSE(&p, "-f");
	expect_invalid(&p, "-f follows");
	PARSE(&p, "--ringbuf", "64M");
	check_eq(p.o.ringbuf_bytes, 64 << 20);
	PARSE(&p, "--ringbuf", "3M");
	expect_invalid(&p, "--ringbuf '3M': give a power of two");
	PARSE(&p, "--ringbuf", "512k");
	expect_invalid(&p, "--ringbuf '512k'");
	PARSE(&p, "-p", "3", "-f", "--suppress", "g_cache_*");
	check_eq(p.o.follow, 1);
	check_eq(p.o.nr_suppress, 1);
	check_eq(p.o.system_wide, 0);
}

/* --- byte sizes ------------------------------------------------------------- */

struct bytes_case {
	const char *text;
	int ret;
	uint64_t bytes;
};

static void test_parse_bytes(void **state)
{
	static const struct bytes_case cases[] = {
	    {"0", 0, 0},
	    {"1", 0, 1},
	    {"4096", 0, 4096},
	    {"4k", 0, 4096},
	    {"4K", 0, 4096},
	    {"4KiB", 0, 4096},
	    {"4kB", 0, 4096},
	    {"16M", 0, 16ULL << 20},
	    {"16m", 0, 16ULL << 20},
	    {"16MiB", 0, 16ULL << 20},
	    {"1G", 0, 1ULL << 30},
	    {"1g", 0, 1ULL << 30},
	    {"1GiB", 0, 1ULL << 30},
	    {"18446744073709551615", 0, UINT64_MAX},
	    {"17179869183G", 0, 17179869183ULL << 30},
	    /* Overflow: 2^64 bytes, before and after scaling. */
	    {"17179869184G", -EINVAL, 0},
	    {"18014398509481984k", -EINVAL, 0},
	    {"18446744073709551616", -EINVAL, 0},
	    {"99999999999999999999999", -EINVAL, 0},
	    {"", -EINVAL, 0},
	    {"abc", -EINVAL, 0},
	    {"k", -EINVAL, 0},
	    {"-5", -EINVAL, 0},
	    {"-0", -EINVAL, 0},
	    {"+5", -EINVAL, 0},
	    {"1e99", -EINVAL, 0},
	    {"1.5M", -EINVAL, 0},
	    {"4x", -EINVAL, 0},
	    {"4kk", -EINVAL, 0},
	    {"4Kib", -EINVAL, 0},
	    {"4KiBs", -EINVAL, 0},
	    {"4T", -EINVAL, 0},
	    {"4B", -EINVAL, 0},
	    {"4 k", -EINVAL, 0},
	    {"4k ", -EINVAL, 0},
	};
	uint64_t bytes;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bytes = 0xdeadbeef;
		ret = opts__parse_bytes(cases[i].text, &bytes);
		if (ret != cases[i].ret)
			fail_msg("opts__parse_bytes(\"%s\") returned %d (bytes %llu), want %d",
				 cases[i].text, ret, (unsigned long long)bytes, cases[i].ret);
		if (!ret && bytes != cases[i].bytes)
			fail_msg("opts__parse_bytes(\"%s\") = %llu, want %llu", cases[i].text,
				 (unsigned long long)bytes, (unsigned long long)cases[i].bytes);
	}
	check_eq(opts__parse_bytes(NULL, &bytes), -EINVAL);
}

/*
 * strtoull skips leading white space and then accepts a minus sign, negating
 * the result: the "no sign" check on the first character must not be
 * bypassed by a leading blank (" -5" would otherwise be 2^64 - 5 bytes).
 */
static void test_parse_bytes_negative_after_blank(void **state)
{
	static const char *const texts[] = {" -5", "\t-1", " -1k"};
	uint64_t bytes;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		bytes = 0;
		ret = opts__parse_bytes(texts[i], &bytes);
		if (ret != -EINVAL)
			fail_msg("opts__parse_bytes(\"%s\") returned %d with %llu bytes,"
				 " want -EINVAL",
				 texts[i], ret, (unsigned long long)bytes);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_every_short_option),
	    cmocka_unit_test(test_every_long_option),
	    cmocka_unit_test(test_boundaries_accepted),
	    cmocka_unit_test(test_repeated_pids),
	    cmocka_unit_test(test_pid_limit),
	    cmocka_unit_test(test_reparse_resets_state),
	    cmocka_unit_test(test_reparse_after_exit_mid_group),
	    cmocka_unit_test(test_help_and_version),
	    cmocka_unit_test(test_bad_numbers),
	    cmocka_unit_test(test_missing_pid),
	    cmocka_unit_test(test_user),
	    cmocka_unit_test(test_min_larger_than_max),
	    cmocka_unit_test(test_duration_shorter_than_interval),
	    cmocka_unit_test(test_unknown_option),
	    cmocka_unit_test(test_long_option_given_a_value),
	    cmocka_unit_test(test_missing_value),
	    cmocka_unit_test(test_command_mode),
	    cmocka_unit_test(test_leak_gate),
	    cmocka_unit_test(test_suppression_files),
	    cmocka_unit_test(test_scan_options),
	    cmocka_unit_test(test_system_wide),
	    cmocka_unit_test(test_fleet_options),
	    cmocka_unit_test(test_parse_bytes),
	    cmocka_unit_test(test_parse_bytes_negative_after_blank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
