// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * LeakSanitizer's suppression files (src/suppfile.h). The rules were
 * checked against gcc 12.2's liblsan0: tests/unit/test_suppfile.c says
 * what each experiment showed next to the test that encodes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suppfile.h"

#define SUPP_TYPE_LEAK "leak"
#define UTF8_BOM       "\xef\xbb\xbf"
/* How much of a bad line an error message quotes. */
#define QUOTE_MAX      48

struct supp_pattern {
	char *text; /* after "leak:", never empty */
	size_t hits;
	uint64_t bytes;
};

struct suppfile {
	struct supp_pattern *patterns;
	size_t nr;
	size_t cap;
};

/* ---- matching ------------------------------------------------------------ */

/* Length of the literal run at p: up to the next '*', '$' or the end. */
static size_t literal_len(const char *p)
{
	return strcspn(p, "*$");
}

bool suppfile__template_match(const char *pattern, const char *text)
{
	bool anchored = false, after_star = false;
	const char *pos = text, *hit;
	size_t n;

	if (!text || !*text)
		return false;
	if (!pattern)
		return true;
	if (*pattern == '^') {
		anchored = true;
		pattern++;
	}
	while (*pattern) {
		if (*pattern == '*') {
			anchored = false;
			after_star = true;
			pattern++;
			continue;
		}
		if (*pattern == '$')
			return !*pos || after_star;
		n = literal_len(pattern);
		hit = memmem(pos, strlen(pos), pattern, n);
		if (!hit || (anchored && hit != pos))
			return false;
		pos = hit + n;
		pattern += n;
		anchored = false;
		after_star = false;
	}
	return true;
}

static const char *first_match(const struct suppfile *s, const char *text)
{
	size_t i;

	if (!text || !*text)
		return NULL;
	for (i = 0; i < s->nr; i++)
		if (suppfile__template_match(s->patterns[i].text, text))
			return s->patterns[i].text;
	return NULL;
}

const char *suppfile__match_frame(const struct suppfile *s, const char *function, const char *file,
				  const char *module)
{
	const char *hit;

	if (!s)
		return NULL;
	hit = first_match(s, module);
	if (!hit)
		hit = first_match(s, function);
	if (!hit)
		hit = first_match(s, file);
	return hit;
}

/* ---- patterns and hits --------------------------------------------------- */

static int add_pattern(struct suppfile *s, const char *text, size_t len)
{
	struct supp_pattern *grown;
	char *copy;
	size_t cap;

	if (s->nr >= SUPPFILE_MAX_PATTERNS)
		return -EINVAL;
	if (s->nr == s->cap) {
		cap = s->cap ? s->cap * 2 : 16;
		if (cap > SUPPFILE_MAX_PATTERNS)
			cap = SUPPFILE_MAX_PATTERNS;
		grown = realloc(s->patterns, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->patterns = grown;
		s->cap = cap;
	}
	copy = strndup(text, len);
	if (!copy)
		return -ENOMEM;
	s->patterns[s->nr++] = (struct supp_pattern){.text = copy};
	return 0;
}

size_t suppfile__count(const struct suppfile *s)
{
	return s ? s->nr : 0;
}

int suppfile__merge(struct suppfile *dst, const struct suppfile *src)
{
	size_t i;
	int err;

	if (!src)
		return 0;
	if (dst->nr + src->nr > SUPPFILE_MAX_PATTERNS)
		return -EINVAL;
	for (i = 0; i < src->nr; i++) {
		err = add_pattern(dst, src->patterns[i].text, strlen(src->patterns[i].text));
		if (err)
			return err;
	}
	return 0;
}

/* The entry pattern names: the same pointer, else the first with equal text. */
static struct supp_pattern *find_pattern(struct suppfile *s, const char *pattern)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (s->patterns[i].text == pattern)
			return &s->patterns[i];
	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->patterns[i].text, pattern))
			return &s->patterns[i];
	return NULL;
}

void suppfile__add_hits(struct suppfile *s, const char *pattern, size_t blocks, uint64_t bytes)
{
	struct supp_pattern *p;

	if (!s || !pattern)
		return;
	p = find_pattern(s, pattern);
	if (!p)
		return;
	p->hits = blocks > SIZE_MAX - p->hits ? SIZE_MAX : p->hits + blocks;
	p->bytes = bytes > UINT64_MAX - p->bytes ? UINT64_MAX : p->bytes + bytes;
}

void suppfile__count_hit(struct suppfile *s, const char *pattern)
{
	suppfile__add_hits(s, pattern, 1, 0);
}

void suppfile__each(const struct suppfile *s,
		    void (*fn)(void *ctx, const char *pattern, size_t hits), void *ctx)
{
	size_t i;

	for (i = 0; s && i < s->nr; i++)
		fn(ctx, s->patterns[i].text, s->patterns[i].hits);
}

void suppfile__each_used(const struct suppfile *s,
			 void (*fn)(void *ctx, const char *pattern, size_t hits, uint64_t bytes),
			 void *ctx)
{
	size_t i;

	for (i = 0; s && i < s->nr; i++)
		if (s->patterns[i].hits)
			fn(ctx, s->patterns[i].text, s->patterns[i].hits, s->patterns[i].bytes);
}

void suppfile__free(struct suppfile *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nr; i++)
		free(s->patterns[i].text);
	free(s->patterns);
	free(s);
}

/* ---- parsing ------------------------------------------------------------- */

/* One line of the file: [start, start + len), without its '\n'. */
struct supp_line {
	const char *path;
	size_t number; /* from 1 */
	const char *start;
	size_t len;
};

/* The start of the line, printable ASCII only, cut with "..." when long. */
static void quote_line(const struct supp_line *l, char *buf, size_t buf_len)
{
	size_t i, n = l->len < QUOTE_MAX ? l->len : QUOTE_MAX;
	size_t room = buf_len > 4 ? buf_len - 4 : 0;

	if (n > room)
		n = room;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l->start[i];

		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < l->len && buf_len >= 4) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	if (buf_len)
		buf[n] = '\0';
}

static int line_error(const struct supp_line *l, char *err, size_t err_len, const char *cause)
{
	char quoted[QUOTE_MAX + 4];

	quote_line(l, quoted, sizeof(quoted));
	snprintf(err, err_len, "%s:%zu: '%s': %s", l->path, l->number, quoted, cause);
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The line without the blanks LSan strips: ' ' and '\t' before, ' ', '\t', '\r' after. */
static void trim_line(struct supp_line *l)
{
	while (l->len && is_blank(*l->start)) {
		l->start++;
		l->len--;
	}
	while (l->len && (is_blank(l->start[l->len - 1]) || l->start[l->len - 1] == '\r'))
		l->len--;
}

/* Whether [start, start + len) are all spaces and tabs. */
static bool all_blank(const char *start, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_blank(start[i]))
			return false;
	return true;
}

/* The cause a line is not "leak:PATTERN", with what to write instead. */
static const char *why_not_leak(const struct supp_line *l)
{
	const char *colon = memchr(l->start, ':', l->len);
	size_t type_len = colon ? (size_t)(colon - l->start) : 0;
	const size_t leak_len = strlen(SUPP_TYPE_LEAK);

	if (l->len >= 3 && !memcmp(l->start, UTF8_BOM, 3))
		return "a UTF-8 byte order mark; LSan refuses such a file, save it without one";
	if (!colon)
		return "no 'leak:' before the pattern; LSan refuses such a file, write "
		       "leak:PATTERN";
	if (type_len == leak_len && !strncasecmp(l->start, SUPP_TYPE_LEAK, type_len))
		return "the type is case-sensitive; LSan refuses such a file, write leak:PATTERN";
	if (type_len > leak_len && !memcmp(l->start, SUPP_TYPE_LEAK, leak_len) &&
	    all_blank(l->start + leak_len, type_len - leak_len))
		return "blank before ':'; LSan refuses such a file, write leak:PATTERN";
	return "not a leak suppression (LeakSanitizer knows only 'leak:'; other types are "
	       "ASan's, TSan's or UBSan's); LSan refuses such a file, remove the line";
}

static int parse_line(struct suppfile *s, const struct supp_line *raw, char *err, size_t err_len)
{
	const size_t prefix_len = strlen(SUPP_TYPE_LEAK ":");
	struct supp_line l = *raw;
	int ret;

	if (memchr(l.start, '\0', l.len))
		return line_error(&l, err, err_len,
				  "a NUL byte (LSan ignores the rest of the file); remove it");
	trim_line(&l);
	if (!l.len || *l.start == '#')
		return 0;
	if (l.len < prefix_len || memcmp(l.start, SUPP_TYPE_LEAK ":", prefix_len))
		return line_error(&l, err, err_len, why_not_leak(&l));
	if (l.len == prefix_len)
		return line_error(&l, err, err_len,
				  "an empty pattern (LSan would suppress every leak); write "
				  "leak:* if that is meant, or remove the line");
	ret = add_pattern(s, l.start + prefix_len, l.len - prefix_len);
	if (ret == -EINVAL) {
		snprintf(err, err_len, "%s:%zu: more than %d patterns; join some with '*'", l.path,
			 l.number, SUPPFILE_MAX_PATTERNS);
	} else if (ret) {
		snprintf(err, err_len, "%s:%zu: %s", l.path, l.number, strerror(-ret));
	}
	return ret;
}

int suppfile__parse(const char *path, const char *text, size_t len, struct suppfile **out,
		    char *err, size_t err_len)
{
	struct supp_line line = {.path = path ? path : "(suppressions)"};
	const char *end, *nl;
	struct suppfile *s;
	int ret = 0;

	*out = NULL;
	if (!text) {
		text = "";
		len = 0;
	}
	end = text + len;
	if (len > SUPPFILE_MAX_BYTES) {
		snprintf(err, err_len, "'%s': larger than %u MiB; is it a suppression file?",
			 line.path, SUPPFILE_MAX_BYTES >> 20);
		return -EFBIG;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "'%s': %s", line.path, strerror(ENOMEM));
		return -ENOMEM;
	}
	while (text < end && !ret) {
		nl = memchr(text, '\n', (size_t)(end - text));
		line.number++;
		line.start = text;
		line.len = (size_t)((nl ? nl : end) - text);
		ret = parse_line(s, &line, err, err_len);
		text = nl ? nl + 1 : end;
	}
	if (ret) {
		suppfile__free(s);
		return ret;
	}
	*out = s;
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

/* Reads all of fd, at most max bytes (-EFBIG past them), into *buf (malloc'ed) and *len. */
static int read_all(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = 64 << 10, n = 0;
	char *data = malloc(cap), *grown;
	ssize_t got;

	if (!data)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(data);
				return -EFBIG;
			}
			cap = cap * 2 > max ? max + 1 : cap * 2;
			grown = realloc(data, cap);
			if (!grown) {
				free(data);
				return -ENOMEM;
			}
			data = grown;
		}
		got = read(fd, data + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int ret = -errno;

			free(data);
			return ret;
		}
		if (!got)
			break;
		n += (size_t)got;
		if (n > max) {
			free(data);
			return -EFBIG;
		}
	}
	*buf = data;
	*len = n;
	return 0;
}

/* Opens path for reading if it is a regular file, without blocking on a FIFO. */
static int open_regular(const char *path, char *err, size_t err_len)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "cannot open suppression file '%s': %s", path,
			 strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, err_len, "cannot stat suppression file '%s': %s", path,
			 strerror(-ret));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		snprintf(err, err_len,
			 "suppression file '%s' is %s, not a regular file; give the path of an "
			 "lsan.supp file",
			 path, S_ISDIR(st.st_mode) ? "a directory" : "a FIFO, socket or device");
		close(fd);
		return ret;
	}
	if ((uint64_t)st.st_size > SUPPFILE_MAX_BYTES) {
		snprintf(err, err_len,
			 "suppression file '%s' is larger than %u MiB; is it a suppression file?",
			 path, SUPPFILE_MAX_BYTES >> 20);
		close(fd);
		return -EFBIG;
	}
	return fd;
}

int suppfile__load(const char *path, struct suppfile **out, char *err, size_t err_len)
{
	char *text = NULL;
	size_t len = 0;
	int fd, ret;

	*out = NULL;
	fd = open_regular(path, err, err_len);
	if (fd < 0)
		return fd;
	ret = read_all(fd, SUPPFILE_MAX_BYTES, &text, &len);
	close(fd);
	if (ret == -EFBIG) {
		snprintf(err, err_len,
			 "suppression file '%s' grew past %u MiB while read; is it a suppression "
			 "file?",
			 path, SUPPFILE_MAX_BYTES >> 20);
		return ret;
	}
	if (ret) {
		snprintf(err, err_len, "cannot read suppression file '%s': %s", path,
			 strerror(-ret));
		return ret;
	}
	ret = suppfile__parse(path, text, len, out, err, err_len);
	free(text);
	return ret;
}
