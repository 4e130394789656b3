// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Diagnostics (src/log.h): every line on stderr is safe for a terminal,
 * whatever comm, paths or symbol names a message carries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"
#include "snapshot_fixture.h"

#include "log.h"

/* stderr goes to a temporary file between capture_begin and capture_end. */
struct capture {
	FILE *file;
	int saved_fd;
};

static void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->file = tmpfile();
	assert_non_null(c->file);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

/* What was written to stderr; the caller frees it. */
static char *capture_end(struct capture *c)
{
	char *text;
	long len;

	fflush(stderr);
	assert_true(dup2(c->saved_fd, STDERR_FILENO) >= 0);
	close(c->saved_fd);
	len = ftell(c->file);
	assert_true(len >= 0);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	rewind(c->file);
	check_eq(fread(text, 1, (size_t)len, c->file), len);
	fclose(c->file);
	return text;
}

static void test_log_hostile_arguments(void **state)
{
	struct capture c;
	char *text;

	(void)state;
	log__set_level(LOG_DEBUG);
	capture_begin(&c);
	p_note("tracing pid %d (%s) through %s", 7, "\x1b]2;PWN\a\x1b[2J", "/lib/x\xc2\x9b.so");
	p_err("pid %d (%s): cannot attach", 8,
	      "\xc2\x9b"
	      "2J\xe2\x80\xae");
	p_warn("symbol '%s'", "bad\xff\xfe\xc3(");
	p_info("pid %d (%s) exited", 9, "fake\nmemleakd: ready");
	p_debug("module '%s'", "caf\xc3\xa9\x7f");
	text = capture_end(&c);
	log__set_level(LOG_QUIET);
	check_str(text, "memleakd: tracing pid 7 (?]2;PWN?"
			"?[2J) through /lib/x?.so\n"
			"memleakd: error: pid 8 (?2J?): cannot attach\n"
			"memleakd: warning: symbol 'bad??"
			"?('\n"
			"memleakd: pid 9 (fake?memleakd: ready) exited\n"
			"memleakd: debug: module 'caf\xc3\xa9?'\n");
	free(text);
}

/* A message longer than the stack buffer is printed whole, still sanitised. */
static void test_log_long_message(void **state)
{
	struct capture c;
	char path[3000], *text, *want;

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	path[2000] = '\x1b';
	capture_begin(&c);
	p_warn("cannot read '%s'", path);
	text = capture_end(&c);
	path[2000] = '?';
	assert_true(asprintf(&want, "memleakd: warning: cannot read '%s'\n", path) > 0);
	check_str(text, want);
	free(want);
	free(text);
}

static void call_libbpf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	p_libbpf(fmt, ap);
	va_end(ap);
}

/* libbpf's own newlines end lines (its verifier log has many); each line is prefixed. */
static void test_log_libbpf_lines(void **state)
{
	struct capture c;
	char *text;

	(void)state;
	capture_begin(&c);
	call_libbpf("elf: cannot open '%s'\n", "/x\x1b[2J");
	call_libbpf("-- BEGIN --\n%s-- END --\n", "0: r1 = 0\n1: exit\n");
	text = capture_end(&c);
	check_str(text, "memleakd: libbpf: elf: cannot open '/x?[2J'\n"
			"memleakd: libbpf: -- BEGIN --\n"
			"memleakd: libbpf: 0: r1 = 0\n"
			"memleakd: libbpf: 1: exit\n"
			"memleakd: libbpf: -- END --\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_hostile_arguments),
	    cmocka_unit_test(test_log_long_message),
	    cmocka_unit_test(test_log_libbpf_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
