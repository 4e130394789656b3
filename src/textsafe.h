/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Text from the traced processes (comm, paths, symbol names) made safe to
 * show. They may carry any byte but NUL: escape sequences that drive a
 * terminal, C1 controls (raw or UTF-8 encoded: U+009B is CSI), bidi
 * overrides that reorder what is shown, and invalid UTF-8 that breaks SVG
 * and JSON consumers. Pure: no I/O, no state.
 */
#ifndef MEMLEAKD_TEXTSAFE_H
#define MEMLEAKD_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one unit of text is, for a renderer to decide what to write. */
enum text_class {
	TEXT_PLAIN,   /* a well-formed UTF-8 character that is safe to show as it is */
	TEXT_CONTROL, /* C0, DEL, C1 or a bidi override / isolate: well-formed but unsafe */
	TEXT_INVALID, /* one byte that does not start a well-formed UTF-8 character */
};

/* The UTF-8 encoding of U+FFFD, what an invalid byte becomes in files. */
#define TEXTSAFE_REPLACEMENT "\xef\xbf\xbd"

/*
 * Decodes the unit at s (not at its terminating NUL): a well-formed UTF-8
 * character (no overlongs, surrogates or code points past U+10FFFF), or one
 * byte that is not part of one. Sets *cp (for an invalid byte, the byte) and
 * *cls; returns the unit's length in bytes, 1 to 4. Never reads past a NUL.
 */
size_t textsafe__next(const char *s, uint32_t *cp, enum text_class *cls);

/* C0 (U+0000-U+001F), DEL, C1 (U+0080-U+009F), U+202A-U+202E, U+2066-U+2069. */
bool textsafe__is_control(uint32_t cp);

/*
 * For a terminal: copies text into buf (len >= 1 bytes), each control
 * character and each invalid byte replaced with '?', cut at a character
 * boundary when buf is too small; always NUL-terminated. buf may be text
 * (the result is never longer than the input). Returns buf.
 */
char *textsafe__terminal(const char *text, char *buf, size_t len);

/*
 * For files that must be valid UTF-8 (SVG, folded): like textsafe__terminal,
 * but an invalid byte becomes U+FFFD (3 bytes), so the result may be longer
 * than text; buf must not be text. Returns buf.
 */
char *textsafe__utf8(const char *text, char *buf, size_t len);

#endif
