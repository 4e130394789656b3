// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracer's probes: the attach table, one link per probe, files probed per pid. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "array.h"
#include "log.h"
#include "memleak.skel.h"
#include "tracer.h"
#include "tracer_priv.h"

/*
 * The attach table: the program each allocator entry point's entry probe
 * runs (provider__probe_points() says where the probes go); every return
 * probe runs alloc_return, which takes the stack.
 */
static const char *const entry_progs[FN_COUNT] = {
    [FN_MALLOC] = "malloc_enter",
    [FN_CALLOC] = "calloc_enter",
    [FN_REALLOC] = "realloc_enter",
    [FN_REALLOCARRAY] = "reallocarray_enter",
    [FN_POSIX_MEMALIGN] = "posix_memalign_enter",
    [FN_ALIGNED_ALLOC] = "memalign_enter",
    [FN_MEMALIGN] = "memalign_enter",
    [FN_VALLOC] = "valloc_enter",
    [FN_PVALLOC] = "valloc_enter",
    [FN_NEW] = "malloc_enter",
    [FN_NEW_ARRAY] = "malloc_enter",
    [FN_NEW_NOTHROW] = "malloc_enter",
    [FN_NEW_ARRAY_NOTHROW] = "malloc_enter",
    [FN_NEW_ALIGNED] = "malloc_enter",
    [FN_NEW_ARRAY_ALIGNED] = "malloc_enter",
    [FN_DELETE] = "free_enter",
    [FN_DELETE_ARRAY] = "free_enter",
    [FN_DELETE_SIZED] = "free_enter",
    [FN_DELETE_ARRAY_SIZED] = "free_enter",
    [FN_DELETE_ALIGNED] = "free_enter",
    [FN_DELETE_ARRAY_ALIGNED] = "free_enter",
    [FN_DELETE_SIZED_ALIGNED] = "free_enter",
    [FN_DELETE_ARRAY_SIZED_ALIGNED] = "free_enter",
    [FN_FREE] = "free_enter",
    [FN_MMAP] = "mmap_enter",
    [FN_MUNMAP] = "munmap_enter",
};

static int keep_link(struct tracer *t, struct bpf_link *link)
{
	if (ARRAY_RESERVE(t->links, t->links_cap, t->nr_links + 1, 32))
		return -ENOMEM;
	t->links[t->nr_links++] = link;
	return 0;
}

static int attach_one(struct tracer *t, int pid, const char *file, const char *prog_name,
		      uint64_t offset, int retprobe, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uopts, .retprobe = retprobe, .bpf_cookie = cookie);
	struct bpf_program *prog;
	struct bpf_link *link;
	int err;

	prog =
	    bpf_object__find_program_by_name(t->skel->obj, retprobe ? "alloc_return" : prog_name);
	if (!prog)
		return -ENOENT;
	/* pid goes to perf_event_open: other processes never take the trap. */
	link = bpf_program__attach_uprobe_opts(prog, pid, file, (size_t)offset, &uopts);
	if (!link)
		return -errno;
	err = keep_link(t, link);
	if (err)
		bpf_link__destroy(link);
	return err;
}

static int attach_provider(struct tracer *t, int pid, const struct provider *prov, char *err_msg,
			   size_t err_len)
{
	struct probe_point points[PROBE_POINTS_MAX];
	size_t nr, i;
	int err;

	if (prov->offsets[FN_MALLOC] == PROVIDER_NO_OFFSET) {
		snprintf(err_msg, err_len, "'%s' has no malloc", prov->path);
		return -ENOENT;
	}
	nr = provider__probe_points(prov, t->trace_mmap, points);
	for (i = 0; i < nr; i++) {
		const struct probe_point *pt = &points[i];

		err = attach_one(t, pid, prov->attach_path, entry_progs[pt->fn], pt->offset,
				 pt->retprobe, 0);
		if (err) {
			snprintf(err_msg, err_len,
				 "cannot attach to %s in '%s' (offset 0x%llx): %s",
				 alloc_fn_names[pt->fn], prov->path,
				 (unsigned long long)prov->offsets[pt->fn], strerror(-err));
			return err;
		}
		if (!pt->retprobe)
			p_info("%s%.0d: %s probed at %s+0x%llx (%s)",
			       pid < 0 ? "every process" : "pid ", pid < 0 ? 0 : pid,
			       alloc_fn_names[pt->fn], prov->path, (unsigned long long)pt->offset,
			       prov->site_why[pt->fn]);
	}
	return 0;
}

static bool file_attached(const struct tracer *t, int pid, dev_t dev, uint64_t inode, int loader)
{
	size_t i;

	for (i = 0; i < t->nr_files; i++)
		if (t->files[i].pid == pid && t->files[i].dev == dev &&
		    t->files[i].inode == inode && t->files[i].loader == loader)
			return true;
	return false;
}

static int remember_file(struct tracer *t, int pid, dev_t dev, uint64_t inode, int loader)
{
	if (ARRAY_RESERVE(t->files, t->files_cap, t->nr_files + 1, 16))
		return -ENOMEM;
	t->files[t->nr_files++] = (struct attached_file){pid, dev, inode, loader};
	return 0;
}

int tracer__attach_provider(struct tracer *t, int attach_pid, const struct provider *prov,
			    char *err_msg, size_t err_len)
{
	size_t first_link = t->nr_links;
	int err;

	err_msg[0] = '\0';
	if (file_attached(t, attach_pid, prov->dev, prov->inode, 0))
		return 1;
	err = attach_provider(t, attach_pid, prov, err_msg, err_len);
	/* The probes went on the file read, through memleakd's own descriptor: check it still is.
	 */
	if (!err && !attach_path__is(prov->attach_path, prov->dev, prov->inode)) {
		snprintf(err_msg, err_len, "'%s' changed while it was probed: not traced",
			 prov->path);
		err = -ESTALE;
	}
	if (!err)
		err = remember_file(t, attach_pid, prov->dev, prov->inode, 0);
	if (err) {
		if (!err_msg[0])
			snprintf(err_msg, err_len, "cannot attach to '%s': %s", prov->path,
				 strerror(-err));
		while (t->nr_links > first_link)
			bpf_link__destroy(t->links[--t->nr_links]);
	}
	return err;
}

int tracer__attach_loader(struct tracer *t, int attach_pid, const char *file, dev_t dev,
			  uint64_t inode, uint64_t offset, int64_t to_state)
{
	size_t first_link = t->nr_links;
	int err;

	if (file_attached(t, attach_pid, dev, inode, 1))
		return 1;
	/* file is memleakd's own descriptor (/proc/self/fd/N): it must be (dev, inode) throughout.
	 */
	if (!attach_path__is(file, dev, inode))
		return -ESTALE;
	err = attach_one(t, attach_pid, file, "dl_debug_state", offset, 0, (uint64_t)to_state);
	if (!err && !attach_path__is(file, dev, inode))
		err = -ESTALE;
	if (!err)
		err = remember_file(t, attach_pid, dev, inode, 1);
	while (err && t->nr_links > first_link)
		bpf_link__destroy(t->links[--t->nr_links]);
	return err;
}

size_t tracer__nr_links(const struct tracer *t)
{
	return t->nr_links;
}
