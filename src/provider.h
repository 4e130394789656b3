/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Finds the objects that provide a process's allocator: every executable
 * file it maps that defines malloc (libc, a statically linked
 * executable, a preloaded jemalloc/tcmalloc), with the file offset of each
 * allocator entry point.
 */
#ifndef MEMLEAKD_PROVIDER_H
#define MEMLEAKD_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "elffile.h"
#include "probesite.h"
#include "procmaps.h"

enum alloc_fn {
	FN_MALLOC,
	FN_CALLOC,
	FN_REALLOC,
	FN_REALLOCARRAY,
	FN_POSIX_MEMALIGN,
	FN_ALIGNED_ALLOC,
	FN_MEMALIGN,
	FN_VALLOC,
	FN_PVALLOC,
	/* C++ operator new and delete, probed only in a malloc provider: jemalloc
	 * and tcmalloc inline their fast path there. */
	FN_NEW,
	FN_NEW_ARRAY,
	FN_NEW_NOTHROW,
	FN_NEW_ARRAY_NOTHROW,
	FN_NEW_ALIGNED, /* size first, alignment second: like malloc for the probe */
	FN_NEW_ARRAY_ALIGNED,
	FN_DELETE,
	FN_DELETE_ARRAY,
	FN_DELETE_SIZED,
	FN_DELETE_ARRAY_SIZED,
	FN_DELETE_ALIGNED, /* pointer first: like free for the probe */
	FN_DELETE_ARRAY_ALIGNED,
	FN_DELETE_SIZED_ALIGNED,
	FN_DELETE_ARRAY_SIZED_ALIGNED,
	FN_FREE,
	FN_MMAP, /* --mmap only */
	FN_MUNMAP,
	FN_COUNT
};

extern const char *const alloc_fn_names[FN_COUNT];

/* True for the entry points that release a block (free and the deletes). */
static inline int alloc_fn_frees(int fn)
{
	return fn >= FN_DELETE && fn <= FN_FREE;
}

#define PROVIDER_NO_OFFSET UINT64_MAX

struct provider {
	/*
	 * /proc/self/fd/N of fd below: the probes go on the very file read,
	 * whatever the target maps at that address by then.
	 */
	char attach_path[ATTACH_PATH_MAX];
	int fd;	    /* the file read, checked to be (dev, inode); providers__free closes it */
	char *path; /* as the target sees it, for messages */
	dev_t dev;
	uint64_t inode;
	uint64_t offsets[FN_COUNT]; /* file offsets, PROVIDER_NO_OFFSET when absent */
	uint64_t sites[FN_COUNT];   /* where the entry probe goes (probesite.h): offset + skip */
	const char *site_why[FN_COUNT];
	unsigned int ifunc_skipped; /* entry points that are IFUNC resolvers (not probed) */
};

struct providers {
	struct provider *list;
	size_t nr;
};

/* One uprobe of a provider's attach plan. */
struct probe_point {
	enum alloc_fn fn;
	uint64_t offset; /* file offset of the probed instruction */
	int retprobe;	 /* the return probe, on the function's first instruction */
};

/* Most points one provider yields: an entry and a return probe per entry point. */
#define PROBE_POINTS_MAX (2 * FN_COUNT)

/*
 * The uprobes that trace prov, in attach order (memleakd's tracer and
 * tools/bench/floor walk the same plan): for each entry point prov defines
 * (mmap and munmap only with with_mmap), the entry probe at its chosen site,
 * then, for those returning a block, the return probe. An entry point at
 * the address of an earlier one (glibc: memalign = aligned_alloc) is left
 * out. Fills out[PROBE_POINTS_MAX]; returns the number of points.
 */
size_t provider__probe_points(const struct provider *prov, int with_mmap, struct probe_point *out);

/*
 * Files by device and inode, so that each is read once: the ones known not
 * to be a provider (or not a loader), or already probed.
 */
struct file_set;

struct file_set *file_set__new(void);
void file_set__free(struct file_set *set);
bool file_set__has(const struct file_set *set, dev_t dev, uint64_t inode);
/* 0 or -ENOMEM. */
int file_set__add(struct file_set *set, dev_t dev, uint64_t inode);

/*
 * Scans /proc/PID/maps. 0 with nr == 0 when nothing defines malloc;
 * -ENOENT/-ESRCH when the process is gone; -errno otherwise. Files are read
 * through files, the run's ELF cache (NULL: a private one, for this call).
 */
int providers__find(struct elf_files *files, int pid, struct providers **out);
/*
 * Same, on maps already read; files are opened through /proc/PID/. Files
 * in skip (may be NULL) are not read; files found not to be providers are
 * added to it.
 */
int providers__from_maps(struct elf_files *files, int pid, const struct procmaps *maps,
			 struct file_set *skip, struct providers **out);
void providers__free(struct providers *p);

/* The dynamic loader a process maps: where its debugger hook is. */
struct loader_hook {
	/*
	 * /proc/self/fd/N of the file read, held open by the files cache: valid
	 * while that cache lives ("" when providers__find_loader had none).
	 */
	char attach_path[ATTACH_PATH_MAX];
	dev_t dev;
	uint64_t inode;
	uint64_t offset;  /* file offset of _dl_debug_state */
	int64_t to_state; /* _r_debug.r_state - _dl_debug_state, 0 if unknown */
};

/*
 * Finds the mapped file defining _dl_debug_state: 0, -ENOENT (static),
 * -errno. Files in not_loaders (may be NULL) are skipped, and files read
 * that are not a loader are added to it.
 */
int providers__find_loader(struct elf_files *files, int pid, const struct procmaps *maps,
			   struct file_set *not_loaders, struct loader_hook *out);
/*
 * Finds the mapped file defining _exit (libc, or a static executable):
 * out's to_state is 0. 0, -ENOENT (none), -errno. Files in not_exits (may
 * be NULL) are skipped, and files read that do not define it are added.
 */
int providers__find_exit(struct elf_files *files, int pid, const struct procmaps *maps,
			 struct file_set *not_exits, struct loader_hook *out);

#endif
