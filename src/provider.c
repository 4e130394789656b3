// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsyms.h"
#include "hmap.h"
#include "log.h"
#include "provider.h"

const char *const alloc_fn_names[FN_COUNT] = {
    [FN_MALLOC] = "malloc",
    [FN_CALLOC] = "calloc",
    [FN_REALLOC] = "realloc",
    [FN_REALLOCARRAY] = "reallocarray",
    [FN_POSIX_MEMALIGN] = "posix_memalign",
    [FN_ALIGNED_ALLOC] = "aligned_alloc",
    [FN_MEMALIGN] = "memalign",
    [FN_VALLOC] = "valloc",
    [FN_PVALLOC] = "pvalloc",
    [FN_NEW] = "_Znwm",
    [FN_NEW_ARRAY] = "_Znam",
    [FN_NEW_NOTHROW] = "_ZnwmRKSt9nothrow_t",
    [FN_NEW_ARRAY_NOTHROW] = "_ZnamRKSt9nothrow_t",
    [FN_NEW_ALIGNED] = "_ZnwmSt11align_val_t",
    [FN_NEW_ARRAY_ALIGNED] = "_ZnamSt11align_val_t",
    [FN_DELETE] = "_ZdlPv",
    [FN_DELETE_ARRAY] = "_ZdaPv",
    [FN_DELETE_SIZED] = "_ZdlPvm",
    [FN_DELETE_ARRAY_SIZED] = "_ZdaPvm",
    [FN_DELETE_ALIGNED] = "_ZdlPvSt11align_val_t",
    [FN_DELETE_ARRAY_ALIGNED] = "_ZdaPvSt11align_val_t",
    [FN_DELETE_SIZED_ALIGNED] = "_ZdlPvmSt11align_val_t",
    [FN_DELETE_ARRAY_SIZED_ALIGNED] = "_ZdaPvmSt11align_val_t",
    [FN_FREE] = "free",
    [FN_MMAP] = "mmap",
    [FN_MUNMAP] = "munmap",
};

/* True when an earlier entry point has the same address (glibc: memalign = aligned_alloc). */
static bool is_alias(const struct provider *prov, int fn)
{
	int i;

	for (i = 0; i < fn; i++)
		if (prov->offsets[i] == prov->offsets[fn])
			return true;
	return false;
}

size_t provider__probe_points(const struct provider *prov, int with_mmap, struct probe_point *out)
{
	size_t nr = 0;
	int fn;

	for (fn = 0; fn < FN_COUNT; fn++) {
		if ((fn == FN_MMAP || fn == FN_MUNMAP) && !with_mmap)
			continue;
		if (prov->offsets[fn] == PROVIDER_NO_OFFSET || is_alias(prov, fn))
			continue;
		/* The entry probe may sit past the first instruction; the return probe cannot. */
		out[nr++] = (struct probe_point){fn, prov->sites[fn], 0};
		/* Everything but free, the deletes and munmap returns a block. */
		if (!alloc_fn_frees(fn) && fn != FN_MUNMAP)
			out[nr++] = (struct probe_point){fn, prov->offsets[fn], 1};
	}
	return nr;
}

static bool seen(const struct providers *p, const struct mapping *m)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		if (p->list[i].dev == m->dev && p->list[i].inode == m->inode)
			return true;
	return false;
}

/* The cheapest safe entry-probe site of fn, from the code at its file offset. */
static void choose_site(int fd, struct provider *prov, int fn)
{
	uint8_t code[PROBESITE_CODE_BYTES];
	struct probe_site site = {0, "entry: code unreadable"};
	ssize_t n;

	n = pread(fd, code, sizeof(code), (off_t)prov->offsets[fn]);
	if (n > 0)
		site = probesite__choose(code, (size_t)n, alloc_fn_frees(fn));
	prov->sites[fn] = prov->offsets[fn] + site.skip;
	prov->site_why[fn] = site.why;
}

/* The file offset of each entry point that syms defines; false without malloc. */
static bool find_entry_points(int fd, const struct elf_syms *syms, struct provider *prov)
{
	struct elf_sym_info info;
	int fn;

	for (fn = 0; fn < FN_COUNT; fn++) {
		prov->offsets[fn] = PROVIDER_NO_OFFSET;
		if (elf_syms__find(syms, alloc_fn_names[fn], &info))
			continue;
		if (info.ifunc) {
			/* The symbol is a resolver that runs once; probing it catches nothing. */
			prov->ifunc_skipped++;
			continue;
		}
		if (elf_syms__vaddr_to_offset(syms, info.vaddr, &prov->offsets[fn]))
			prov->offsets[fn] = PROVIDER_NO_OFFSET;
		else
			choose_site(fd, prov, fn);
	}
	/* A static program that never frees links in malloc alone (musl: no free). */
	return prov->offsets[FN_MALLOC] != PROVIDER_NO_OFFSET;
}

struct file_set {
	struct hmap files; /* (dev, inode), no value */
};

struct file_set *file_set__new(void)
{
	struct file_set *set = calloc(1, sizeof(*set));

	if (set)
		hmap__init(&set->files, 0);
	return set;
}

void file_set__free(struct file_set *set)
{
	if (!set)
		return;
	hmap__free(&set->files);
	free(set);
}

static struct hmap_key file_key(dev_t dev, uint64_t inode)
{
	return (struct hmap_key){.a = (uint64_t)dev, .b = inode};
}

bool file_set__has(const struct file_set *set, dev_t dev, uint64_t inode)
{
	return set && inode && hmap__get(&set->files, file_key(dev, inode));
}

int file_set__add(struct file_set *set, dev_t dev, uint64_t inode)
{
	bool fresh;

	if (!inode)
		return 0;
	return hmap__put(&set->files, file_key(dev, inode), &fresh) ? 0 : -ENOMEM;
}

/*
 * The file pid maps at m, from the run's cache: NULL when the mapping is
 * gone, or replaced by another file since maps was read (*err = 0), or
 * with *err = -errno.
 */
static struct elf_file *mapped_file(struct elf_files *files, int pid, const struct mapping *m,
				    int *err)
{
	char map_path[80];
	struct elf_file *f;

	/*
	 * The mapping must be there now (a mapping gone meanwhile is not a
	 * provider), even when the file is cached; the cache checks the fd it
	 * opens is m's device and inode.
	 */
	*err = 0;
	snprintf(map_path, sizeof(map_path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
		 m->start, m->end);
	f = access(map_path, F_OK) ? NULL : elf_files__get(files, pid, m, err);
	if (!f && !*err)
		*err = -errno;
	if (f)
		return f;
	p_debug("cannot open '%s' (%s) of pid %d: %s", map_path, m->path, pid, strerror(-*err));
	if (*err == -ENOENT || *err == -ESTALE)
		*err = 0;
	return NULL;
}

/* prov holds its own descriptor of f, and the path the probes are attached through. */
static int hold_file(struct provider *prov, const struct elf_file *f)
{
	int err;

	prov->fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (prov->fd < 0)
		return -errno;
	err = attach_path__build(prov->fd, f->dev, f->inode, prov->attach_path,
				 sizeof(prov->attach_path));
	if (err) {
		close(prov->fd);
		prov->fd = -1;
	}
	prov->dev = f->dev;
	prov->inode = f->inode;
	return err;
}

static int add_provider(struct providers *p, struct elf_files *files, int pid,
			const struct mapping *m, struct file_set *skip)
{
	struct provider prov = {.fd = -1}, *bigger;
	const struct elf_syms *syms;
	struct elf_file *f;
	int err;

	f = mapped_file(files, pid, m, &err);
	if (!f)
		return err;
	syms = elf_file__syms(f);
	if (!syms)
		return 0; /* not an ELF file we can read: not a provider */
	if (!find_entry_points(f->fd, syms, &prov))
		/* Never a provider, whoever maps it: not read again. */
		return skip ? file_set__add(skip, f->dev, f->inode) : 0;
	err = hold_file(&prov, f);
	if (err)
		return err;
	prov.path = strdup(m->path);
	bigger = prov.path ? realloc(p->list, (p->nr + 1) * sizeof(*bigger)) : NULL;
	if (!bigger) {
		free(prov.path);
		close(prov.fd);
		return -ENOMEM;
	}
	p->list = bigger;
	p->list[p->nr++] = prov;
	return 0;
}

int providers__from_maps(struct elf_files *files, int pid, const struct procmaps *maps,
			 struct file_set *skip, struct providers **out)
{
	struct elf_files *own = files ? NULL : elf_files__new();
	struct providers *p = calloc(1, sizeof(*p));
	size_t i;
	int err = 0;

	if (!p || (!files && !own)) {
		free(p);
		elf_files__free(own);
		return -ENOMEM;
	}
	for (i = 0; i < maps->nr && !err; i++) {
		const struct mapping *m = &maps->maps[i];

		if (!m->exec || !mapping__is_file(m) || seen(p, m) ||
		    file_set__has(skip, m->dev, m->inode))
			continue;
		err = add_provider(p, files ? files : own, pid, m, skip);
	}
	elf_files__free(own);
	if (err) {
		providers__free(p);
		return err;
	}
	*out = p;
	return 0;
}

int providers__find(struct elf_files *files, int pid, struct providers **out)
{
	struct procmaps *maps;
	int err;

	err = procmaps__read(pid, &maps);
	if (err)
		return err;
	err = providers__from_maps(files, pid, maps, NULL, out);
	procmaps__free(maps);
	return err;
}

void providers__free(struct providers *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr; i++) {
		free(p->list[i].path);
		if (p->list[i].fd >= 0)
			close(p->list[i].fd);
	}
	free(p->list);
	free(p);
}

/* r_state's place in glibc's struct r_debug: int r_version, then two pointers. */
#define R_DEBUG_STATE_OFFSET 24

/* The hook symbol `name` of m's file: its offset and the file to attach to. -ENOENT: none. */
static int hook_from_mapping(struct elf_files *files, int pid, const struct mapping *m,
			     const char *name, struct loader_hook *out,
			     const struct elf_syms **syms_out, uint64_t *vaddr)
{
	struct elf_sym_info hook;
	const struct elf_syms *syms;
	struct elf_file *f;
	int err;

	f = mapped_file(files, pid, m, &err);
	if (!f) /* unmapped or replaced meanwhile, or gone */
		return err ? err : -ESRCH;
	syms = elf_file__syms(f);
	if (!syms || elf_syms__find(syms, name, &hook) || hook.ifunc ||
	    elf_syms__vaddr_to_offset(syms, hook.vaddr, &out->offset))
		return -ENOENT;
	err =
	    attach_path__build(f->fd, f->dev, f->inode, out->attach_path, sizeof(out->attach_path));
	if (err)
		return err;
	out->to_state = 0;
	out->exit_offset = 0;
	out->dev = f->dev;
	out->inode = f->inode;
	*syms_out = syms;
	*vaddr = hook.vaddr;
	return 0;
}

static int loader_from_mapping(struct elf_files *files, int pid, const struct mapping *m,
			       struct loader_hook *out)
{
	const struct elf_syms *syms;
	uint64_t r_debug, vaddr;
	int err;

	err = hook_from_mapping(files, pid, m, "_dl_debug_state", out, &syms, &vaddr);
	if (err)
		return err;
	r_debug = elf_syms__r_debug(syms);
	out->to_state = r_debug ? (int64_t)(r_debug + R_DEBUG_STATE_OFFSET) - (int64_t)vaddr : 0;
	return 0;
}

static int exit_from_mapping(struct elf_files *files, int pid, const struct mapping *m,
			     struct loader_hook *out)
{
	struct elf_sym_info exit_sym;
	const struct elf_syms *syms;
	uint64_t vaddr;
	int err;

	/* glibc's _exit is its _Exit; musl's exit() calls _Exit, which its _exit calls too. */
	err = hook_from_mapping(files, pid, m, "_Exit", out, &syms, &vaddr);
	if (err == -ENOENT)
		err = hook_from_mapping(files, pid, m, "_exit", out, &syms, &vaddr);
	if (err)
		return err;
	if (elf_syms__find(syms, "exit", &exit_sym) || exit_sym.ifunc ||
	    elf_syms__vaddr_to_offset(syms, exit_sym.vaddr, &out->exit_offset))
		out->exit_offset = 0;
	return 0;
}

typedef int (*hook_finder_fn)(struct elf_files *files, int pid, const struct mapping *m,
			      struct loader_hook *out);

/* The first executable file mapping find_in accepts; those it refuses join `refused`. */
static int find_hook(struct elf_files *files, int pid, const struct procmaps *maps,
		     struct file_set *refused, hook_finder_fn find_in, struct loader_hook *out)
{
	struct elf_files *own = files ? NULL : elf_files__new();
	size_t i;
	int err = -ENOENT;

	if (!files && !own)
		return -ENOMEM;
	for (i = 0; i < maps->nr; i++) {
		const struct mapping *m = &maps->maps[i];

		if (!m->exec || !mapping__is_file(m) || file_set__has(refused, m->dev, m->inode))
			continue;
		err = find_in(files ? files : own, pid, m, out);
		if (err != -ENOENT)
			break;
		if (refused && file_set__add(refused, m->dev, m->inode)) {
			err = -ENOMEM;
			break;
		}
	}
	if (own)
		out->attach_path[0] = '\0'; /* its descriptor is closed with own */
	elf_files__free(own);
	return err;
}

int providers__find_loader(struct elf_files *files, int pid, const struct procmaps *maps,
			   struct file_set *not_loaders, struct loader_hook *out)
{
	return find_hook(files, pid, maps, not_loaders, loader_from_mapping, out);
}

int providers__find_exit(struct elf_files *files, int pid, const struct procmaps *maps,
			 struct file_set *not_exits, struct loader_hook *out)
{
	return find_hook(files, pid, maps, not_exits, exit_from_mapping, out);
}
