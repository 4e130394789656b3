/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Suppression files in LeakSanitizer's format, so a project's lsan.supp
 * works unchanged: one "leak:PATTERN" per line, '#' starts a comment,
 * blank lines and surrounding spaces are ignored. A stack is suppressed
 * when a pattern matches the function name, the source file or the module
 * of any of its frames, as LSan matches them: a substring match, where '*'
 * matches any run of characters, a leading '^' anchors at the start and a
 * trailing '$' at the end. Pure logic.
 */
#ifndef MEMLEAKD_SUPPFILE_H
#define MEMLEAKD_SUPPFILE_H

#include <stdbool.h>
#include <stddef.h>

struct suppfile;

/*
 * Parses the text of a suppression file (path names it in errors). 0 and
 * *out; -EINVAL with "FILE:LINE: cause, fix" in err for a line that is not
 * "leak:PATTERN" (LSan refuses those too), an empty pattern, or more than
 * SUPPFILE_MAX_PATTERNS patterns; -ENOMEM.
 */
#define SUPPFILE_MAX_PATTERNS 4096
int suppfile__parse(const char *path, const char *text, size_t len, struct suppfile **out,
		    char *err, size_t err_len);
/* Reads and parses a file (at most 4 MiB): as suppfile__parse, or -errno with err set. */
int suppfile__load(const char *path, struct suppfile **out, char *err, size_t err_len);
/* Merges src's patterns into dst (several --suppressions): 0 or -ENOMEM/-EINVAL (too many). */
int suppfile__merge(struct suppfile *dst, const struct suppfile *src);
size_t suppfile__count(const struct suppfile *s);

/* LSan's template match of one pattern against a text (see above). */
bool suppfile__template_match(const char *pattern, const char *text);

/*
 * The first pattern ("leak:" stripped) that matches function, file or
 * module (each may be NULL), or NULL. module is matched as given (a path
 * or a basename: LSan matches the module's full path, so "libfoo.so"
 * matches either).
 */
const char *suppfile__match_frame(const struct suppfile *s, const char *function, const char *file,
				  const char *module);
/* Hits per pattern, for the summary LSan prints ("Suppressions used:"). */
void suppfile__count_hit(struct suppfile *s, const char *pattern);
/* Calls fn for each pattern with its hit count, in file order. */
void suppfile__each(const struct suppfile *s,
		    void (*fn)(void *ctx, const char *pattern, size_t hits), void *ctx);
void suppfile__free(struct suppfile *s);

#endif
