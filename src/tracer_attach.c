// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracer's probes: the attach table, one link per probe, files probed per pid. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <gelf.h>
#include <libelf.h>

#include "array.h"
#include "goprobe.h"
#include "link_closer.h"
#include "log.h"
#include "memleak.skel.h"
#include "tracer.h"
#include "tracer_priv.h"
#include "uprobe_multi.h"

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

bool tracer__per_point_program(const char *prog_name)
{
	size_t fn;

	for (fn = 0; fn < FN_COUNT; fn++)
		if (entry_progs[fn] && !strcmp(entry_progs[fn], prog_name))
			return true;
	return false;
}

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

static int keep_pid_link(struct tracer *t, int pid, int fd)
{
	if (ARRAY_RESERVE(t->pid_links, t->pid_links_cap, t->nr_pid_links + 1, 64)) {
		link_closer__close(t->closer, fd);
		return -ENOMEM;
	}
	t->pid_links[t->nr_pid_links++] = (struct pid_link){pid, fd};
	return 0;
}

/*
 * One uprobe_multi link: prog_name at offsets[0..nr) of file, run as kind
 * says, for pid only (-1: every process). 0 or -errno.
 */
static int attach_multi(struct tracer *t, int pid, const char *file, const char *prog_name,
			const uint64_t *offsets, const uint64_t *cookies, size_t nr,
			enum uprobe_multi_kind kind)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(t->skel->obj, prog_name);
	int fd;

	if (!prog || bpf_program__fd(prog) < 0)
		return -ENOENT;
	fd = uprobe_multi__attach(bpf_program__fd(prog), file, offsets, cookies, nr, kind,
				  pid < 0 ? 0 : pid);
	return fd < 0 ? fd : keep_pid_link(t, pid, fd);
}

/* What alloc_enter does at each entry point (its cookie), for per-process probes. */
static const uint64_t entry_kinds[FN_COUNT] = {
    [FN_MALLOC] = ML_ENTRY_MALLOC,
    [FN_CALLOC] = ML_ENTRY_CALLOC,
    [FN_REALLOC] = ML_ENTRY_REALLOC,
    [FN_REALLOCARRAY] = ML_ENTRY_REALLOCARRAY,
    [FN_POSIX_MEMALIGN] = ML_ENTRY_POSIX_MEMALIGN,
    [FN_ALIGNED_ALLOC] = ML_ENTRY_MEMALIGN,
    [FN_MEMALIGN] = ML_ENTRY_MEMALIGN,
    [FN_VALLOC] = ML_ENTRY_VALLOC,
    [FN_PVALLOC] = ML_ENTRY_VALLOC,
    [FN_NEW] = ML_ENTRY_MALLOC,
    [FN_NEW_ARRAY] = ML_ENTRY_MALLOC,
    [FN_NEW_NOTHROW] = ML_ENTRY_MALLOC,
    [FN_NEW_ARRAY_NOTHROW] = ML_ENTRY_MALLOC,
    [FN_NEW_ALIGNED] = ML_ENTRY_MALLOC,
    [FN_NEW_ARRAY_ALIGNED] = ML_ENTRY_MALLOC,
    [FN_DELETE] = ML_ENTRY_FREE,
    [FN_DELETE_ARRAY] = ML_ENTRY_FREE,
    [FN_DELETE_SIZED] = ML_ENTRY_FREE,
    [FN_DELETE_ARRAY_SIZED] = ML_ENTRY_FREE,
    [FN_DELETE_ALIGNED] = ML_ENTRY_FREE,
    [FN_DELETE_ARRAY_ALIGNED] = ML_ENTRY_FREE,
    [FN_DELETE_SIZED_ALIGNED] = ML_ENTRY_FREE,
    [FN_DELETE_ARRAY_SIZED_ALIGNED] = ML_ENTRY_FREE,
    [FN_FREE] = ML_ENTRY_FREE,
    [FN_MMAP] = ML_ENTRY_MMAP,
    [FN_MUNMAP] = ML_ENTRY_MUNMAP,
};

/*
 * Every entry point of a file as one uprobe session (alloc_session, the
 * cookie saying which function): the return runs the same program unless
 * its entry said to skip it. A return probe sits on the function's first
 * instruction; an allocating function's entry site may sit past a flag
 * compare only (probesite.c): the stack pointer is the same there, so the
 * session's return is the return probe's. On failure, *failed is a point.
 */
static int attach_points_session(struct tracer *t, int pid, const char *file,
				 const struct probe_point *points, size_t nr, size_t *failed)
{
	uint64_t offsets[PROBE_POINTS_MAX], cookies[PROBE_POINTS_MAX];
	size_t i, n = 0;

	*failed = 0;
	for (i = 0; i < nr; i++)
		if (!points[i].retprobe) {
			offsets[n] = points[i].offset;
			cookies[n++] = entry_kinds[points[i].fn];
			*failed = i;
		}
	return n ? attach_multi(t, pid, file, "alloc_session", offsets, cookies, n,
				UPROBE_MULTI_SESSION)
		 : 0;
}

/*
 * uprobe_multi links: two per file, every entry probe in one (alloc_enter,
 * the cookie saying which function) and, last, every return probe in the
 * other; or one session. On failure, *failed is a point of the link that
 * failed.
 */
static int attach_points_multi(struct tracer *t, int pid, const char *file,
			       const struct probe_point *points, size_t nr, size_t *failed)
{
	uint64_t offsets[PROBE_POINTS_MAX], cookies[PROBE_POINTS_MAX];
	size_t i, n;
	int pass, err;

	if (t->use_session)
		return attach_points_session(t, pid, file, points, nr, failed);
	for (pass = 0; pass < 2; pass++) {
		*failed = 0;
		for (n = 0, i = 0; i < nr; i++)
			if (points[i].retprobe == pass) {
				offsets[n] = points[i].offset;
				cookies[n++] = entry_kinds[points[i].fn];
				*failed = i;
			}
		err = n ? attach_multi(t, pid, file, pass ? "alloc_return" : "alloc_enter", offsets,
				       pass ? NULL : cookies, n,
				       pass ? UPROBE_MULTI_RETURN : UPROBE_MULTI_ENTRY)
			: 0;
		if (err)
			return err;
	}
	return 0;
}

/* File-wide or per-pid perf-event probes, one per point. */
static int attach_points_perf(struct tracer *t, int pid, const char *file,
			      const struct probe_point *points, size_t nr, size_t *failed)
{
	size_t i;
	int err;

	for (i = 0; i < nr; i++) {
		err = attach_one(t, pid, file, entry_progs[points[i].fn], points[i].offset,
				 points[i].retprobe, 0);
		if (err) {
			*failed = i;
			return err;
		}
	}
	return 0;
}

/* Whether prov's file was probed already, for any process. */
static bool file_probed_before(const struct tracer *t, const struct provider *prov)
{
	size_t i;

	for (i = 0; i < t->nr_files; i++)
		if (t->files[i].dev == prov->dev && t->files[i].inode == prov->inode &&
		    t->files[i].loader == PROBED_ALLOCATOR)
			return true;
	return false;
}

/*
 * Never a return probe on Go code: a uretprobe swaps a return address on
 * the stack, and the Go runtime, which walks and moves goroutine stacks,
 * kills the process at the first one it meets. -ENOTSUP for a Go file.
 */
static int refuse_go_file(const struct provider *prov, char *err_msg, size_t err_len)
{
	int go = gobin__is_go(prov->fd);

	if (go < 0) {
		snprintf(err_msg, err_len, "cannot read '%s' to rule out Go code: %s", prov->path,
			 strerror(-go));
		return go;
	}
	if (go) {
		snprintf(err_msg, err_len,
			 "'%s' is a Go executable: no allocator probes on it (return probes kill "
			 "Go programs)",
			 prov->path);
		return -ENOTSUP;
	}
	return 0;
}

static int attach_provider(struct tracer *t, int pid, const struct provider *prov, char *err_msg,
			   size_t err_len)
{
	struct probe_point points[PROBE_POINTS_MAX];
	size_t nr, i;
	int err;

	/* Checked once a file: one probed before (for any process) passed. */
	if (!file_probed_before(t, prov)) {
		err = refuse_go_file(prov, err_msg, err_len);
		if (err)
			return err;
	}
	if (prov->offsets[FN_MALLOC] == PROVIDER_NO_OFFSET) {
		snprintf(err_msg, err_len, "'%s' has no malloc", prov->path);
		return -ENOENT;
	}
	nr = provider__probe_points(prov, t->trace_mmap, points);
	err = t->use_multi ? attach_points_multi(t, pid, prov->attach_path, points, nr, &i)
			   : attach_points_perf(t, pid, prov->attach_path, points, nr, &i);
	if (err) {
		snprintf(err_msg, err_len, "cannot attach to %s in '%s' (offset 0x%llx): %s",
			 alloc_fn_names[points[i].fn], prov->path,
			 (unsigned long long)prov->offsets[points[i].fn], strerror(-err));
		return err;
	}
	/* Per-process probes: a file's sites are listed while no process has it probed, not at
	 * every fork. */
	for (i = 0; i < nr && !(t->per_process && file_probed_before(t, prov)); i++) {
		const struct probe_point *pt = &points[i];

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

/* Detaches the per-process links made since first (a failed attach). */
static void drop_pid_links_from(struct tracer *t, size_t first)
{
	while (t->nr_pid_links > first)
		link_closer__close(t->closer, t->pid_links[--t->nr_pid_links].fd);
}

int tracer__attach_provider(struct tracer *t, int attach_pid, const struct provider *prov,
			    char *err_msg, size_t err_len)
{
	size_t first_pid_link = t->nr_pid_links;
	size_t first_link = t->nr_links;
	int err;

	err_msg[0] = '\0';
	if (file_attached(t, attach_pid, prov->dev, prov->inode, PROBED_ALLOCATOR))
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
		err = remember_file(t, attach_pid, prov->dev, prov->inode, PROBED_ALLOCATOR);
	if (err) {
		if (!err_msg[0])
			snprintf(err_msg, err_len, "cannot attach to '%s': %s", prov->path,
				 strerror(-err));
		while (t->nr_links > first_link)
			bpf_link__destroy(t->links[--t->nr_links]);
		drop_pid_links_from(t, first_pid_link);
	}
	return err;
}

/* One probe at offset of file running prog_name, remembered as probed for `kind`. */
static int attach_hook(struct tracer *t, int attach_pid, const char *file, dev_t dev,
		       uint64_t inode, uint64_t offset, uint64_t cookie, const char *prog_name,
		       int kind)
{
	size_t first_link = t->nr_links, first_pid_link = t->nr_pid_links;
	int err;

	if (file_attached(t, attach_pid, dev, inode, kind))
		return 1;
	/* file is memleakd's own descriptor (/proc/self/fd/N): it must be (dev, inode) throughout.
	 */
	if (!attach_path__is(file, dev, inode))
		return -ESTALE;
	if (t->use_multi)
		err = attach_multi(t, attach_pid, file, prog_name, &offset, &cookie, 1,
				   UPROBE_MULTI_ENTRY);
	else
		err = attach_one(t, attach_pid, file, prog_name, offset, 0, cookie);
	if (!err && !attach_path__is(file, dev, inode))
		err = -ESTALE;
	if (!err)
		err = remember_file(t, attach_pid, dev, inode, kind);
	while (err && t->nr_links > first_link)
		bpf_link__destroy(t->links[--t->nr_links]);
	if (err)
		drop_pid_links_from(t, first_pid_link);
	return err;
}

int tracer__attach_loader(struct tracer *t, int attach_pid, const char *file, dev_t dev,
			  uint64_t inode, uint64_t offset, int64_t to_state)
{
	return attach_hook(t, attach_pid, file, dev, inode, offset, (uint64_t)to_state,
			   "dl_debug_state", PROBED_LOADER);
}

int tracer__attach_exit(struct tracer *t, int attach_pid, const char *file, dev_t dev,
			uint64_t inode, uint64_t offset, uint64_t exit_offset)
{
	int err;

	/* exit() first: a thread on its way out is noted before _exit holds it. */
	if (exit_offset) {
		err = attach_hook(t, attach_pid, file, dev, inode, exit_offset, 0, "exit_enter",
				  PROBED_EXIT_CALL);
		if (err < 0)
			return err;
	}
	return attach_hook(t, attach_pid, file, dev, inode, offset, 0, "exit_hold", PROBED_EXIT);
}

/* Detaches the Go probes made since first (a failed attach). */
static void drop_go_links_from(struct tracer *t, size_t first)
{
	while (t->nr_go_links > first)
		bpf_link__destroy(t->go_links[--t->nr_go_links].link);
}

/* One Go site: a plain uprobe (never a return probe), the pid filter in perf_event_open. */
static int attach_go_site(struct tracer *t, int pid, const char *file,
			  const struct go_probe_site *site, const struct go_g_offsets *off)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uopts, .retprobe = false,
		    .bpf_cookie = goprobe__cookie(site, off));
	struct bpf_program *prog;
	struct bpf_link *link;

	prog = bpf_object__find_program_by_name(t->skel->obj, goprobe__program(site));
	if (!prog)
		return -ENOENT;
	if (ARRAY_RESERVE(t->go_links, t->go_links_cap, t->nr_go_links + 1, 16))
		return -ENOMEM;
	link = bpf_program__attach_uprobe_opts(prog, pid, file, (size_t)site->file_offset, &uopts);
	if (!link)
		return -errno;
	t->go_links[t->nr_go_links++] = (struct go_link){pid, link};
	return 0;
}

static int attach_go_sites(struct tracer *t, int pid, const char *file,
			   const struct go_probe_site *sites, size_t nr,
			   const struct go_g_offsets *off, char *err_msg, size_t err_len)
{
	size_t n, i;
	int err;

	/*
	 * Exit sites first: once a birth can be seen, so can the death. The
	 * other order would let a goroutine born in between die unseen and
	 * look leaked; this one only lets a goroutine born just before die
	 * unseen at birth, which the census accounts for.
	 */
	for (n = 0; n < 2 * nr; n++) {
		i = n % nr;
		if ((sites[i].role == GO_SITE_EXIT) != (n < nr))
			continue;
		err = attach_go_site(t, pid, file, &sites[i], off);
		if (err) {
			snprintf(err_msg, err_len, "cannot probe %s (offset 0x%llx): %s",
				 sites[i].where ? sites[i].where : "a Go runtime site",
				 (unsigned long long)sites[i].file_offset, strerror(-err));
			return err;
		}
	}
	return 0;
}

int tracer__attach_go(struct tracer *t, int attach_pid, const char *file, dev_t dev, uint64_t inode,
		      const struct go_probe_site *sites, size_t nr_sites,
		      const struct go_g_offsets *off, char *err_msg, size_t err_len)
{
	size_t first = t->nr_go_links;
	const char *why;
	int err;

	err_msg[0] = '\0';
	if (file_attached(t, attach_pid, dev, inode, PROBED_GO))
		return 1;
	why = goprobe__check(sites, nr_sites, off);
	if (why) {
		snprintf(err_msg, err_len, "%s", why);
		return -EINVAL;
	}
	/* file is memleakd's own descriptor (/proc/self/fd/N): it must be (dev, inode) throughout.
	 */
	if (!attach_path__is(file, dev, inode)) {
		snprintf(err_msg, err_len, "the Go executable changed before it was probed");
		return -ESTALE;
	}
	err = attach_go_sites(t, attach_pid, file, sites, nr_sites, off, err_msg, err_len);
	if (!err && !attach_path__is(file, dev, inode)) {
		snprintf(err_msg, err_len, "the Go executable changed while it was probed");
		err = -ESTALE;
	}
	if (!err)
		err = remember_file(t, attach_pid, dev, inode, PROBED_GO);
	if (err) {
		if (!err_msg[0])
			snprintf(err_msg, err_len, "cannot probe goroutines: %s", strerror(-err));
		drop_go_links_from(t, first);
	}
	return err;
}

/* Detaches pid's Go probes, last attached first (births before deaths); a grace period each. */
static void detach_go_pid(struct tracer *t, int pid)
{
	size_t i, kept = 0;

	for (i = t->nr_go_links; i-- > 0;)
		if (t->go_links[i].pid == pid)
			bpf_link__destroy(t->go_links[i].link);
	for (i = 0; i < t->nr_go_links; i++)
		if (t->go_links[i].pid != pid)
			t->go_links[kept++] = t->go_links[i];
	t->nr_go_links = kept;
}

/* Forgets the files pid has probed: all of them, or only what probed Go. */
static void forget_files_of(struct tracer *t, int pid, bool only_go)
{
	size_t i, kept = 0;

	for (i = 0; i < t->nr_files; i++)
		if (t->files[i].pid != pid || (only_go && t->files[i].loader != PROBED_GO))
			t->files[kept++] = t->files[i];
	t->nr_files = kept;
}

size_t tracer__nr_links(const struct tracer *t)
{
	return t->nr_links + t->nr_pid_links + t->nr_go_links;
}

bool tracer__per_process(const struct tracer *t)
{
	return t && t->per_process;
}

void tracer__detach_pid(struct tracer *t, int pid)
{
	size_t i, kept = 0;

	if (!t)
		return;
	detach_go_pid(t, pid);
	if (!t->use_multi) {
		forget_files_of(t, pid, true);
		return;
	}
	for (i = 0; i < t->nr_pid_links; i++)
		if (t->pid_links[i].pid == pid)
			link_closer__close(t->closer, t->pid_links[i].fd);
		else
			t->pid_links[kept++] = t->pid_links[i];
	t->nr_pid_links = kept;
	forget_files_of(t, pid, false);
}

void tracer__detach_go(struct tracer *t)
{
	if (t)
		drop_go_links_from(t, 0);
}
