// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "textsafe.h"

/* The one piece of process-wide state outside main: how chatty to be. */
static int log_level = LOG_QUIET;

void log__set_level(int level)
{
	log_level = level;
}

int log__level(void)
{
	return log_level;
}

/*
 * Prints msg (modified in place) as "memleakd: PREFIX..." lines. Messages
 * carry comm, paths and symbol names chosen by the targets, so every line is
 * made safe for a terminal (textsafe__terminal): a newline is only ever the
 * line end. One trailing newline is the line end; with split_lines (libbpf's
 * multi-line logs) each inner newline starts a new prefixed line, otherwise
 * it is replaced like any control character.
 */
static void print_lines(const char *prefix, char *msg, bool split_lines)
{
	char *line = msg, *end;
	size_t len;

	do {
		end = split_lines ? strchr(line, '\n') : NULL;
		if (end) {
			*end = '\0';
		} else {
			len = strlen(line);
			if (len && line[len - 1] == '\n')
				line[len - 1] = '\0';
		}
		textsafe__terminal(line, line, strlen(line) + 1);
		fprintf(stderr, "memleakd: %s%s\n", prefix, line);
		line = end ? end + 1 : NULL;
	} while (line && *line);
}

static void vprint(const char *prefix, bool split_lines, const char *fmt, va_list ap)
{
	char small[1024], *msg = small;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0)
		small[0] = '\0';
	/* Long paths: the whole message; out of memory, the first 1023 bytes. */
	else if ((size_t)n >= sizeof(small) && (msg = malloc((size_t)n + 1)))
		vsnprintf(msg, (size_t)n + 1, fmt, again);
	else
		msg = small;
	va_end(again);
	print_lines(prefix, msg, split_lines);
	if (msg != small)
		free(msg);
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("error: ", false, fmt, ap);
	va_end(ap);
}

void p_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("warning: ", false, fmt, ap);
	va_end(ap);
}

void p_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("", false, fmt, ap);
	va_end(ap);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_INFO)
		return;
	va_start(ap, fmt);
	vprint("", false, fmt, ap);
	va_end(ap);
}

void p_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vprint("debug: ", false, fmt, ap);
	va_end(ap);
}

void p_libbpf(const char *fmt, va_list ap)
{
	vprint("libbpf: ", true, fmt, ap);
}
