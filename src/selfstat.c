// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "selfstat.h"

/* The next space-separated field as a number; advances *p. */
static int next_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v;
	char *end;

	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || (*end && *end != ' ' && *end != '\n'))
		return -EINVAL;
	*out = v;
	*p = end;
	return 0;
}

/* Skips one space-separated field (a number or a word such as the state). */
static int skip_field(const char **p)
{
	const char *s = *p;

	while (*s == ' ')
		s++;
	if (!*s || *s == '\n')
		return -EINVAL;
	while (*s && *s != ' ' && *s != '\n')
		s++;
	*p = s;
	return 0;
}

int selfstat__parse_stat(const char *text, struct selfstat_raw *out)
{
	const char *p = strrchr(text, ')');
	uint64_t v;
	int field;

	memset(out, 0, sizeof(*out));
	if (!p || !strchr(text, '('))
		return -EINVAL;
	p++;
	/* Field 3 (state) is a letter; 4 on are numbers (some negative: skipped, never read). */
	for (field = 3; field <= 24; field++) {
		if (field == 14 || field == 15 || field == 22 || field == 24) {
			if (next_u64(&p, &v))
				return -EINVAL;
			if (field == 14)
				out->utime = v;
			else if (field == 15)
				out->stime = v;
			else if (field == 22)
				out->starttime = v;
			else
				out->rss_pages = v;
		} else if (skip_field(&p)) {
			return -EINVAL;
		}
	}
	return 0;
}

int selfstat__parse_statm(const char *text, uint64_t *rss_pages)
{
	const char *p = text;
	uint64_t size;

	if (next_u64(&p, &size) || next_u64(&p, rss_pages))
		return -EINVAL;
	return 0;
}

int selfstat__parse_btime(const char *text, uint64_t *btime)
{
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, "btime ", 6)) {
			const char *p = line + 6;

			return next_u64(&p, btime);
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -EINVAL;
}

void selfstat__convert(const struct selfstat_raw *raw, uint64_t rss_pages, uint64_t btime,
		       long ticks_per_s, long page_size, struct snapshot_self *out)
{
	double hz = ticks_per_s > 0 ? (double)ticks_per_s : 100.0;

	out->cpu_s = (double)(raw->utime + raw->stime) / hz;
	out->rss_bytes = rss_pages * (uint64_t)(page_size > 0 ? page_size : 4096);
	out->start_time_s = btime ? (double)btime + (double)raw->starttime / hz : 0;
}

/* Reads a small /proc file whole into buf (NUL-terminated). 0 or -errno. */
static int read_small(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return err;
}

/* /proc/stat's btime, read line by line (its intr line can be long). 0 when unknown. */
static uint64_t read_btime(void)
{
	FILE *f = fopen("/proc/stat", "re");
	char *line = NULL;
	size_t cap = 0;
	uint64_t btime = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0)
		if (!strncmp(line, "btime ", 6)) {
			if (selfstat__parse_btime(line, &btime))
				btime = 0;
			break;
		}
	free(line);
	fclose(f);
	return btime;
}

int selfstat__read(struct snapshot_self *out)
{
	char buf[1024];
	struct selfstat_raw raw;
	uint64_t rss_pages;
	int err;

	memset(out, 0, sizeof(*out));
	err = read_small("/proc/self/stat", buf, sizeof(buf));
	if (!err)
		err = selfstat__parse_stat(buf, &raw);
	if (err)
		return err;
	rss_pages = raw.rss_pages;
	if (!read_small("/proc/self/statm", buf, sizeof(buf)))
		selfstat__parse_statm(buf, &rss_pages);
	selfstat__convert(&raw, rss_pages, read_btime(), sysconf(_SC_CLK_TCK),
			  sysconf(_SC_PAGESIZE), out);
	return 0;
}
