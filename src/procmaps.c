// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "array.h"
#include "procmaps.h"
#include "rootfs.h"

static int parse_line(const char *line, size_t len, struct mapping *m)
{
	unsigned long long start, end, pgoff, inode;
	unsigned int major, minor;
	char perms[5];
	int consumed = 0;
	const char *path;
	size_t path_len;
	static const char deleted_suffix[] = " (deleted)";
	char copy[512];

	/* The fixed fields fit easily; copy them so sscanf stops at the line end. */
	memcpy(copy, line, len < sizeof(copy) ? len : sizeof(copy) - 1);
	copy[len < sizeof(copy) ? len : sizeof(copy) - 1] = '\0';
	if (sscanf(copy, "%llx-%llx %4s %llx %x:%x %llu%n", &start, &end, perms, &pgoff, &major,
		   &minor, &inode, &consumed) != 7)
		return -EINVAL;
	if (end <= start || strlen(perms) != 4)
		return -EINVAL;

	path = line + consumed;
	path_len = (size_t)(line + strnlen(line, len) - path);
	while (path_len && (*path == ' ' || *path == '\t')) {
		path++;
		path_len--;
	}
	m->deleted = false;
	if (path_len >= sizeof(deleted_suffix) - 1 &&
	    !memcmp(path + path_len - (sizeof(deleted_suffix) - 1), deleted_suffix,
		    sizeof(deleted_suffix) - 1)) {
		m->deleted = true;
		path_len -= sizeof(deleted_suffix) - 1;
	}
	m->path = strndup(path, path_len);
	if (!m->path)
		return -ENOMEM;
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	m->dev = makedev(major, minor);
	m->inode = inode;
	m->exec = perms[2] == 'x';
	m->readable = perms[0] == 'r';
	m->writable = perms[1] == 'w';
	m->shared = perms[3] == 's';
	return 0;
}

int procmaps__parse(const char *text, size_t len, struct procmaps **out)
{
	struct procmaps *pm;
	const char *line = text, *text_end = text + len, *nl;
	size_t cap = 0;
	int err = 0;

	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	while (line < text_end) {
		nl = memchr(line, '\n', (size_t)(text_end - line));
		if (!nl)
			nl = text_end;
		if (nl > line) {
			err = ARRAY_RESERVE(pm->maps, cap, pm->nr + 1, 64);
			if (err)
				break;
			err = parse_line(line, (size_t)(nl - line), &pm->maps[pm->nr]);
			if (err)
				break;
			/* The kernel prints maps sorted; anything else is not a maps file. */
			if (pm->nr && pm->maps[pm->nr].start < pm->maps[pm->nr - 1].end) {
				free(pm->maps[pm->nr].path);
				err = -EINVAL;
				break;
			}
			pm->nr++;
		}
		line = nl + 1;
	}
	if (err) {
		procmaps__free(pm);
		return err;
	}
	*out = pm;
	return 0;
}

int procmaps__read(int pid, struct procmaps **out)
{
	char path[64];
	char *text;
	size_t len;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	err = read_proc_file(path, &text, &len);
	if (err)
		return err;
	err = procmaps__parse(text, len, out);
	free(text);
	return err;
}

const struct mapping *procmaps__find(const struct procmaps *pm, uint64_t addr)
{
	size_t lo = 0, hi, mid;

	if (!pm)
		return NULL;
	hi = pm->nr;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (addr < pm->maps[mid].start)
			hi = mid;
		else if (addr >= pm->maps[mid].end)
			lo = mid + 1;
		else
			return &pm->maps[mid];
	}
	return NULL;
}

bool mapping__is_file(const struct mapping *m)
{
	return m->inode != 0 && m->path[0] == '/';
}

/*
 * Opens the very file the process maps: /proc/PID/map_files is exact (and
 * works for deleted files). When the mapping is gone from there (unmapped
 * since maps was read), its path is resolved inside the process's root
 * (never through a symlink out of it, never a device or FIFO) and accepted
 * only when its device and inode are the ones in maps.
 */
int mapping__open(int pid, const struct mapping *m)
{
	char path[128];
	struct stat st;
	int fd, root_fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, m->start,
		 m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	root_fd = rootfs__open_root(pid);
	if (root_fd < 0)
		return root_fd;
	fd = rootfs__open_file(root_fd, m->path, &st);
	close(root_fd);
	if (fd < 0)
		return fd;
	if (st.st_dev != m->dev || st.st_ino != m->inode) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int procmaps__dup(const struct procmaps *pm, struct procmaps **out)
{
	struct procmaps *copy = calloc(1, sizeof(*copy));
	size_t i;

	if (!copy)
		return -ENOMEM;
	copy->maps = calloc(pm->nr ? pm->nr : 1, sizeof(*copy->maps));
	for (i = 0; copy->maps && i < pm->nr; i++, copy->nr++) {
		copy->maps[i] = pm->maps[i];
		copy->maps[i].path = strdup(pm->maps[i].path);
		if (!copy->maps[i].path)
			break;
	}
	if (!copy->maps || copy->nr < pm->nr) {
		procmaps__free(copy);
		return -ENOMEM;
	}
	*out = copy;
	return 0;
}

void procmaps__free(struct procmaps *pm)
{
	size_t i;

	if (!pm)
		return;
	for (i = 0; i < pm->nr; i++)
		free(pm->maps[i].path);
	free(pm->maps);
	free(pm);
}
