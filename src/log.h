/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Diagnostics on stderr; reports are the only thing on stdout. Every line is
 * made safe for a terminal (src/textsafe.h): control characters, C1, bidi
 * overrides and invalid UTF-8 in a message (comm, paths and symbol names
 * come from the targets) become '?', and a newline only ends the line.
 */
#ifndef MEMLEAKD_LOG_H
#define MEMLEAKD_LOG_H

#include <stdarg.h>

#define LOG_QUIET  0
#define LOG_INFO   1 /* -v */
#define LOG_DEBUG  2 /* -vv */
#define LOG_LIBBPF 3 /* -vvv: libbpf's debug output and the verifier log */

void log__set_level(int level);
int log__level(void);

/* "memleakd: error: ..." */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "memleakd: warning: ..." */
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "memleakd: ..." at every verbosity: what is traced, what exited */
void p_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "memleakd: ..." when -v */
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "memleakd: debug: ..." when -vv */
void p_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libbpf's messages (already filtered by level): "memleakd: libbpf: " per line. */
void p_libbpf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
