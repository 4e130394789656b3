/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* /proc/PID/maps: parsed into address-sorted mappings. Input is untrusted. */
#ifndef MEMLEAKD_PROCMAPS_H
#define MEMLEAKD_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proc.h"

struct mapping {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff; /* file offset of start */
	dev_t dev;
	uint64_t inode;
	bool exec;
	bool readable;
	bool writable;
	bool shared;  /* 's' in the perms: MAP_SHARED */
	bool deleted; /* the path ended in " (deleted)" (stripped from path) */
	char *path;   /* as the target sees it; "" for anonymous */
};

struct procmaps {
	struct mapping *maps;
	size_t nr;
};

/* Parses the text of a maps file. 0 or -errno (-EINVAL on malformed lines). */
int procmaps__parse(const char *text, size_t len, struct procmaps **out);
/* Reads and parses /proc/PID/maps. 0, -ENOENT (no such process) or -errno. */
int procmaps__read(int pid, struct procmaps **out);
/* The mapping that contains addr, or NULL. */
const struct mapping *procmaps__find(const struct procmaps *pm, uint64_t addr);
/* True when the mapping is backed by a file (not [heap], anonymous, ...). */
bool mapping__is_file(const struct mapping *m);
/*
 * Opens the very file pid maps at m, read-only: /proc/PID/map_files first
 * (exact, works for deleted files), else the path resolved inside pid's
 * root (rootfs.h: a regular file, no symlink out) when its device and
 * inode match. An fd or -errno (-ESTALE: another file is there now).
 */
int mapping__open(int pid, const struct mapping *m);
/* A deep copy of pm. 0 or -ENOMEM. */
int procmaps__dup(const struct procmaps *pm, struct procmaps **out);
void procmaps__free(struct procmaps *pm);

#endif
