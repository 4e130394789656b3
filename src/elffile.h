/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ELF files traced processes map, one entry per (device, inode): each
 * is opened once, through the mapping of the first process seen with it,
 * and its symbol table is read once, for whoever asks first — the
 * allocator search (provider), the symbolizer or the unwinder. The open
 * fd pins the inode, so a (device, inode) key cannot come back as another
 * file while the entry lives. Files are untrusted: reading them is elfsyms'
 * and cfi's business, both bounded.
 */
#ifndef MEMLEAKD_ELFFILE_H
#define MEMLEAKD_ELFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "elfsyms.h"
#include "gopclntab.h"
#include "procmaps.h"

struct elf_files;

struct elf_file {
	dev_t dev;
	uint64_t inode;
	int fd;		       /* read-only; the cache's to close */
	struct elf_syms *syms; /* read on the first elf_file__syms() */
	int syms_err;	       /* -errno when they could not be read */
	bool syms_tried;
	struct gopclntab *go; /* Go's .gopclntab, read on the first elf_file__gopclntab() */
	int go_err;	      /* -ENOENT: not a Go binary */
	bool go_tried;
};

struct elf_files *elf_files__new(void);
/* Closes every file; accepts NULL. */
void elf_files__free(struct elf_files *files);

/*
 * The file pid maps at m (pid <= 0: m->path, for tests), opened on first
 * sight: NULL with *err = -errno when it cannot be opened now (not
 * remembered: another process mapping it may succeed), -ENOMEM included.
 * The fd opened must be the regular file m names (fstat'ed device and
 * inode equal to m's): a target that maps another file over m meanwhile
 * gets -ESTALE, so an entry's key is always the identity of its fd.
 */
struct elf_file *elf_files__get(struct elf_files *files, int pid, const struct mapping *m,
				int *err);
/* Its symbols and load segments, read once; NULL when unreadable (f->syms_err). */
const struct elf_syms *elf_file__syms(struct elf_file *f);
/*
 * Its Go function table (goelf.h), read once; NULL when it has none (not a
 * Go binary) or it is unreadable (f->go_err).
 */
const struct gopclntab *elf_file__gopclntab(struct elf_file *f);
/* Files opened so far. */
size_t elf_files__nr(const struct elf_files *files);

/* Room for "/proc/self/fd/N". */
#define ATTACH_PATH_MAX 32

/*
 * The path a probe on the file behind fd is attached through:
 * /proc/self/fd/N, memleakd's own descriptor, which the kernel resolves to
 * the file fd holds; never a path a target can re-point (its map_files
 * entry, its root). Refuses (-ESTALE) unless fd is a regular file with
 * device dev and inode inode. 0 or -errno.
 */
int attach_path__build(int fd, dev_t dev, uint64_t inode, char *path, size_t len);
/* Whether path, links followed, is the regular file (dev, inode) now. */
bool attach_path__is(const char *path, dev_t dev, uint64_t inode);

#endif
