// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "elffile.h"
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

struct elf_file *elf_files__get(struct elf_files *files, int pid, const struct mapping *m, int *err)
{
	struct hmap_key key = {.a = (uint64_t)m->dev, .b = m->inode};
	struct elf_file **slot = hmap__get(&files->by_file, key), *f;
	bool fresh;
	int fd;

	if (slot)
		return *slot;
	fd = open_mapped(pid, m);
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

size_t elf_files__nr(const struct elf_files *files)
{
	return hmap__nr(&files->by_file);
}
