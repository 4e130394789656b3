// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elffile.h"
#include "goelf.h"
#include "hmap.h"

struct elf_files {
	struct hmap by_file; /* (dev, inode) -> struct elf_file * (entries never move) */
};

struct elf_files *elf_files__new(void)
{
	struct elf_files *files = calloc(1, sizeof(*files));

	if (files)
		hmap__init(&files->by_file, sizeof(struct elf_file *));
	return files;
}

void elf_files__free(struct elf_files *files)
{
	struct elf_file **f;
	size_t iter = 0;

	if (!files)
		return;
	while ((f = hmap__next(&files->by_file, &iter, NULL))) {
		close((*f)->fd);
		elf_syms__free((*f)->syms);
		gopclntab__free((*f)->go);
		free(*f);
	}
	hmap__free(&files->by_file);
	free(files);
}

static int open_mapped(int pid, const struct mapping *m)
{
	int fd;

	if (pid > 0)
		return mapping__open(pid, m);
	fd = open(m->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static bool stat_is(const struct stat *st, dev_t dev, uint64_t inode)
{
	return S_ISREG(st->st_mode) && st->st_dev == dev && (uint64_t)st->st_ino == inode;
}

/* The file m names, opened once and checked to be it. An fd or -errno. */
static int open_checked(int pid, const struct mapping *m)
{
	struct stat st;
	int fd = open_mapped(pid, m);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || !stat_is(&st, m->dev, m->inode)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int attach_path__build(int fd, dev_t dev, uint64_t inode, char *path, size_t len)
{
	struct stat st;

	if (fd < 0)
		return -EBADF;
	if (fstat(fd, &st))
		return -errno;
	if (!stat_is(&st, dev, inode))
		return -ESTALE;
	if ((size_t)snprintf(path, len, "/proc/self/fd/%d", fd) >= len)
		return -ENAMETOOLONG;
	return 0;
}

bool attach_path__is(const char *path, dev_t dev, uint64_t inode)
{
	struct stat st;

	return !stat(path, &st) && stat_is(&st, dev, inode);
}

struct elf_file *elf_files__get(struct elf_files *files, int pid, const struct mapping *m, int *err)
{
	struct hmap_key key = {.a = (uint64_t)m->dev, .b = m->inode};
	struct elf_file **slot = hmap__get(&files->by_file, key), *f;
	bool fresh;
	int fd;

	if (slot)
		return *slot;
	fd = open_checked(pid, m);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	slot = f ? hmap__put(&files->by_file, key, &fresh) : NULL;
	if (!slot) {
		free(f);
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	*f = (struct elf_file){.dev = m->dev, .inode = m->inode, .fd = fd};
	*slot = f;
	return f;
}

const struct elf_syms *elf_file__syms(struct elf_file *f)
{
	if (!f->syms_tried) {
		f->syms_tried = true;
		f->syms = elf_syms__load_fd(f->fd);
		f->syms_err = f->syms ? 0 : -(errno ? errno : EINVAL);
	}
	return f->syms;
}

const struct gopclntab *elf_file__gopclntab(struct elf_file *f)
{
	if (!f->go_tried) {
		f->go_tried = true;
		f->go_err = goelf__load_fd(f->fd, &f->go);
	}
	return f->go;
}

size_t elf_files__nr(const struct elf_files *files)
{
	return hmap__nr(&files->by_file);
}
