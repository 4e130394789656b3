/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Suppression files in LeakSanitizer's format, so a project's lsan.supp
 * works unchanged: one "leak:PATTERN" per line; a line whose first
 * character after blanks is '#' is a comment ('#' later on a line is part
 * of the pattern, as in LSan); blank lines, spaces and tabs around a line
 * and a trailing '\r' are ignored. A stack is suppressed when a pattern
 * matches the module, the function name or the source file of any of its
 * frames, as LSan matches them: a substring match, where '*' matches any
 * run of characters, a leading '^' anchors at the start and '$' at the end
 * (with LSan's quirks: see suppfile__template_match). Pure logic.
 */
#ifndef MEMLEAKD_SUPPFILE_H
#define MEMLEAKD_SUPPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct suppfile;

/*
 * Parses the text of a suppression file (path names it in errors). 0 and
 * *out; -EINVAL with "FILE:LINE: cause, fix" in err for a line that is not
 * "leak:PATTERN" (LSan refuses those too), an empty pattern (LSan would
 * suppress every leak: "leak:*" says so on purpose), a NUL byte (LSan
 * ignores the rest of the file), or more than SUPPFILE_MAX_PATTERNS
 * patterns; -EFBIG past SUPPFILE_MAX_BYTES; -ENOMEM.
 */
#define SUPPFILE_MAX_PATTERNS 4096
#define SUPPFILE_MAX_BYTES    (4u << 20)
int suppfile__parse(const char *path, const char *text, size_t len, struct suppfile **out,
		    char *err, size_t err_len);
/*
 * Reads and parses a file (at most SUPPFILE_MAX_BYTES; a regular file: a
 * FIFO or a device is refused without blocking): as suppfile__parse, or
 * -errno with err naming the path and the cause.
 */
int suppfile__load(const char *path, struct suppfile **out, char *err, size_t err_len);
/* Merges src's patterns into dst (several --suppressions): 0 or -ENOMEM/-EINVAL (too many). */
int suppfile__merge(struct suppfile *dst, const struct suppfile *src);
size_t suppfile__count(const struct suppfile *s);

/*
 * LSan's template match of one pattern against a text, quirks included: a
 * NULL or empty text never matches; each run of characters between '*'s
 * is found at its first occurrence (no backtracking: linear time), so
 * "foo$" does not match "foofoo" and "a*b$" does not match "abab"; '$'
 * ends the pattern wherever it is ("site$x" matches "leak_site"); "*$",
 * "^", "*" and "" match any non-empty text, "$" none.
 */
bool suppfile__template_match(const char *pattern, const char *text);

/*
 * The first pattern ("leak:" stripped) that matches one frame, or NULL.
 * As LSan: every pattern is tried on module first, then on function, then
 * on file, so with several matching patterns the hit goes to the same one
 * as in LSan. Each may be NULL. function: demangled with its arguments
 * ("ns::Foo::bar(int)"), LSan never matches a mangled name. file: the
 * source path as DWARF gives it (LSan's is absolute: "^t.c" matches
 * nothing). module: LSan matches the mapped file's full path, so pass the
 * path (a basename would let "^libfoo" match where LSan does not). LSan's
 * path is the one the loader opened (/lib/x86_64-linux-gnu/libc.so.6 on
 * Debian), /proc/PID/maps may show another (/usr/lib/...): only a pattern
 * anchored at such a directory sees the difference. LSan's innermost
 * frame is its own interceptor ("__interceptor_malloc", "operator
 * new(unsigned long)" in liblsan.so.0): give the allocator's entry frame
 * with module NULL and skip the allocator's inner frames, or
 * "leak:libstdc++" would suppress every new, which LSan does not. Call
 * it for each frame from the innermost and stop at the first match: that
 * is LSan's order.
 */
const char *suppfile__match_frame(const struct suppfile *s, const char *function, const char *file,
				  const char *module);
/*
 * Hits per pattern, for the summary LSan prints ("Suppressions used:").
 * pattern is one suppfile__match_frame returned (or text equal to one: the
 * first such pattern counts it); unknown patterns are ignored.
 * suppfile__count_hit adds one hit; suppfile__add_hits adds blocks hits
 * and their bytes, LSan's "count" and "bytes" columns.
 */
void suppfile__count_hit(struct suppfile *s, const char *pattern);
void suppfile__add_hits(struct suppfile *s, const char *pattern, size_t blocks, uint64_t bytes);
/* Calls fn for each pattern with its hit count, in file order. */
void suppfile__each(const struct suppfile *s,
		    void (*fn)(void *ctx, const char *pattern, size_t hits), void *ctx);
/* As LSan's summary: fn for each pattern with hits, in file order, with hits and bytes. */
void suppfile__each_used(const struct suppfile *s,
			 void (*fn)(void *ctx, const char *pattern, size_t hits, uint64_t bytes),
			 void *ctx);
void suppfile__free(struct suppfile *s);

#endif
