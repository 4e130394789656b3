// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "debuglink.h"
#include "demangle.h"
#include "elffile.h"
#include "elfsyms.h"
#include "gopclntab.h"
#include "hmap.h"
#include "log.h"
#include "rootfs.h"
#include "srcinfo.h"
#include "symbolize.h"

struct module {
	dev_t dev;
	uint64_t inode;
	char *name;		     /* basename of the path it was first seen under */
	const struct elf_syms *syms; /* the file cache's; NULL when it could not be read */
	struct elf_syms *debug_syms; /* full symbols from the build-id debug file, or NULL */
	struct srcinfo *src;	     /* DWARF lines and inlines (debug file or module), or NULL */
	const struct gopclntab *go;  /* the file cache's Go table (wins for Go text), or NULL */
};

struct proc_maps {
	int pid;
	struct procmaps *maps;
};

/* A demangled name, kept by the address of the raw name (names never move). */
struct demangled {
	char *readable; /* NULL: not mangled, shown raw */
};

struct symbolizer {
	struct elf_files *files;     /* the run's ELF files, or own_files */
	struct elf_files *own_files; /* made on first use when none was given */
	char *debug_dir;	     /* NULL: DEFAULT_DEBUG_DIR */
	bool demangle;
	struct hmap names; /* raw name's address -> struct demangled */
	struct module *modules;
	size_t nr_modules, modules_cap;
	struct hmap module_index; /* (dev, inode) -> index in modules (size_t) */
	struct proc_maps *procs;
	size_t nr_procs, procs_cap;
	struct hmap proc_index; /* pid -> index in procs (size_t) */
};

#define DEFAULT_DEBUG_DIR "/usr/lib/debug"

struct symbolizer *symbolizer__new(void)
{
	struct symbolizer *s = calloc(1, sizeof(struct symbolizer));

	if (!s)
		return NULL;
	s->demangle = true;
	hmap__init(&s->names, sizeof(struct demangled));
	hmap__init(&s->module_index, sizeof(size_t));
	hmap__init(&s->proc_index, sizeof(size_t));
	return s;
}

void symbolizer__use_files(struct symbolizer *s, struct elf_files *files)
{
	s->files = files;
}

void symbolizer__set_demangle(struct symbolizer *s, bool on)
{
	s->demangle = on;
}

/* The name to show for raw: demangled once, then from the cache. */
static const char *readable_name(struct symbolizer *s, const char *raw)
{
	struct demangled *name;
	bool fresh;

	if (!s->demangle || raw[0] != '_' || (raw[1] != 'Z' && raw[1] != 'R'))
		return raw;
	name = hmap__put(&s->names, (struct hmap_key){.a = (uintptr_t)raw}, &fresh);
	if (!name)
		return raw;
	if (fresh)
		name->readable = demangle(raw);
	return name->readable ? name->readable : raw;
}

int symbolizer__set_debug_dir(struct symbolizer *s, const char *dir)
{
	char *copy = strdup(dir);

	if (!copy)
		return -ENOMEM;
	free(s->debug_dir);
	s->debug_dir = copy;
	return 0;
}

void symbolizer__destroy(struct symbolizer *s)
{
	struct demangled *name;
	size_t i, iter;

	if (!s)
		return;
	for (i = 0; i < s->nr_modules; i++) {
		elf_syms__free(s->modules[i].debug_syms);
		srcinfo__close(s->modules[i].src);
		free(s->modules[i].name);
	}
	for (i = 0; i < s->nr_procs; i++)
		procmaps__free(s->procs[i].maps);
	iter = 0;
	while ((name = hmap__next(&s->names, &iter, NULL)))
		free(name->readable);
	hmap__free(&s->names);
	hmap__free(&s->module_index);
	hmap__free(&s->proc_index);
	free(s->modules);
	free(s->procs);
	free(s->debug_dir);
	elf_files__free(s->own_files);
	free(s);
}

static struct hmap_key pid_key(int pid)
{
	return (struct hmap_key){.a = (uint32_t)pid};
}

/* Per frame: by pid, not a walk over every process. */
static struct proc_maps *find_proc(struct symbolizer *s, int pid)
{
	const size_t *i = hmap__get(&s->proc_index, pid_key(pid));

	return i ? &s->procs[*i] : NULL;
}

int symbolizer__set_maps(struct symbolizer *s, int pid, struct procmaps *maps)
{
	struct proc_maps *p = find_proc(s, pid);
	size_t *index;
	bool fresh;

	if (p) {
		procmaps__free(p->maps);
		p->maps = maps;
		return 0;
	}
	if (ARRAY_RESERVE(s->procs, s->procs_cap, s->nr_procs + 1, 8) ||
	    !(index = hmap__put(&s->proc_index, pid_key(pid), &fresh))) {
		procmaps__free(maps);
		return -ENOMEM;
	}
	*index = s->nr_procs;
	s->procs[s->nr_procs].pid = pid;
	s->procs[s->nr_procs].maps = maps;
	s->nr_procs++;
	return 0;
}

int symbolizer__inherit(struct symbolizer *s, int parent, int child)
{
	struct proc_maps *p = find_proc(s, parent);
	struct procmaps *copy;
	int err;

	if (!p)
		return -ENOENT;
	err = procmaps__dup(p->maps, &copy);
	return err ? err : symbolizer__set_maps(s, child, copy);
}

void symbolizer__forget(struct symbolizer *s, int pid)
{
	struct proc_maps *p = find_proc(s, pid);

	if (!p)
		return;
	procmaps__free(p->maps);
	hmap__del(&s->proc_index, pid_key(pid));
	/* The last entry takes its place. */
	*p = s->procs[--s->nr_procs];
	if (p != &s->procs[s->nr_procs])
		*(size_t *)hmap__get(&s->proc_index, pid_key(p->pid)) = (size_t)(p - s->procs);
}

static struct hmap_key module_key(dev_t dev, uint64_t inode)
{
	return (struct hmap_key){.a = (uint64_t)dev, .b = inode};
}

/* Per frame: by device and inode, not a walk over every module. */
static struct module *find_module(struct symbolizer *s, dev_t dev, uint64_t inode)
{
	const size_t *i = hmap__get(&s->module_index, module_key(dev, inode));

	return i ? &s->modules[*i] : NULL;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Opens a debug file memleakd chose (the debug directory's): read-only, regular, never blocking. */
static int open_regular(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Symbols from a debug file at fd, kept only when it has some. */
static struct elf_syms *load_debug_syms(int fd)
{
	struct elf_syms *debug = elf_syms__load_fd(fd);

	if (debug && !elf_syms__count(debug)) {
		elf_syms__free(debug);
		return NULL;
	}
	return debug;
}

/*
 * The separate debug file of a module, found by build ID (Debian's -dbg
 * packages) under the debug directory, on memleakd's side. It keeps the
 * program headers but not the bytes, so addresses are still translated
 * with the module's own segments; only its symbol table is used. The file
 * is untrusted like any other ELF file. Its fd goes to *fd_out (the
 * caller's to close; srcinfo reads the same file).
 */
static struct elf_syms *load_debug_file(const struct symbolizer *s, const char *build_id,
					int *fd_out)
{
	const char *dir = s->debug_dir ? s->debug_dir : DEFAULT_DEBUG_DIR;
	struct elf_syms *debug;
	char path[PATH_MAX];
	int fd;

	if (strlen(build_id) < 4)
		return NULL;
	if (snprintf(path, PATH_MAX, "%s/.build-id/%.2s/%s.debug", dir, build_id, build_id + 2) >=
	    PATH_MAX)
		return NULL;
	fd = open_regular(path);
	if (fd < 0)
		return NULL;
	debug = load_debug_syms(fd);
	if (debug && strcmp(elf_syms__build_id(debug), build_id)) {
		elf_syms__free(debug);
		debug = NULL;
	}
	if (!debug) {
		close(fd);
		return NULL;
	}
	p_debug("symbols of build ID %s from '%s'", build_id, path);
	*fd_out = fd;
	return debug;
}

/*
 * The debug file the module names in .gnu_debuglink (see debuglink.h),
 * looked up inside the target's root (ours for pid <= 0). Its fd goes to
 * *fd_out, the caller's to close.
 */
static struct elf_syms *load_debuglink(const struct symbolizer *s, int pid, const struct mapping *m,
				       const struct elf_syms *syms, int *fd_out)
{
	struct debuglink_query q = {
	    .module_path = m->path,
	    .module_dev = m->dev,
	    .module_inode = m->inode,
	    .debug_dir = s->debug_dir ? s->debug_dir : DEFAULT_DEBUG_DIR,
	};
	struct elf_syms *debug;
	char found[PATH_MAX];
	int root_fd, fd;

	q.name = elf_syms__debuglink(syms, &q.crc);
	if (!q.name)
		return NULL;
	root_fd = rootfs__open_root(pid);
	if (root_fd < 0)
		return NULL;
	fd = debuglink__open(root_fd, &q, found, sizeof(found));
	close(root_fd);
	if (fd < 0)
		return NULL;
	debug = load_debug_syms(fd);
	if (!debug) {
		close(fd);
		return NULL;
	}
	p_debug("symbols of '%s' from its debuglink '%s'", m->path, found);
	*fd_out = fd;
	return debug;
}

/*
 * Lines and inlines from the debug file when there is one (debug_fd, taken:
 * the file already checked, never opened again by name), else from the
 * module.
 */
static struct srcinfo *open_srcinfo(int debug_fd, int module_fd)
{
	struct srcinfo *src = NULL;
	int fd;

	if (debug_fd >= 0) {
		src = srcinfo__open(debug_fd);
		if (src)
			return src;
		close(debug_fd);
	}
	fd = fcntl(module_fd, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0 && !(src = srcinfo__open(fd)))
		close(fd);
	return src;
}

static struct module *load_module(struct symbolizer *s, int pid, const struct mapping *m)
{
	struct module *mod = find_module(s, m->dev, m->inode);
	struct elf_file *f;
	int err = 0, debug_fd = -1;
	size_t *index;
	bool fresh;

	if (mod)
		return mod;
	if (ARRAY_RESERVE(s->modules, s->modules_cap, s->nr_modules + 1, 32))
		return NULL;
	index = hmap__put(&s->module_index, module_key(m->dev, m->inode), &fresh);
	if (!index)
		return NULL;
	*index = s->nr_modules;
	mod = &s->modules[s->nr_modules];
	mod->name = strdup(basename_of(m->path));
	if (!mod->name) {
		hmap__del(&s->module_index, module_key(m->dev, m->inode));
		return NULL;
	}
	mod->dev = m->dev;
	mod->inode = m->inode;
	mod->syms = NULL;
	mod->debug_syms = NULL;
	mod->src = NULL;
	mod->go = NULL;
	if (!s->files)
		s->files = s->own_files = elf_files__new();
	f = s->files ? elf_files__get(s->files, pid, m, &err) : NULL;
	if (f) {
		mod->syms = elf_file__syms(f);
		if (!mod->syms)
			p_debug("no symbols from '%s': %s", m->path, strerror(-f->syms_err));
		else
			mod->debug_syms =
			    load_debug_file(s, elf_syms__build_id(mod->syms), &debug_fd);
		if (mod->syms && !mod->debug_syms)
			mod->debug_syms = load_debuglink(s, pid, m, mod->syms, &debug_fd);
		mod->src = open_srcinfo(debug_fd, f->fd);
		mod->go = elf_file__gopclntab(f);
		if (!mod->go && f->go_err != -ENOENT)
			p_debug("no Go function table from '%s': %s", m->path,
				strerror(-f->go_err));
	} else {
		p_debug("cannot open '%s' of pid %d: %s", m->path, pid,
			strerror(s->files ? -err : ENOMEM));
	}
	s->nr_modules++;
	return mod;
}

int symbolizer__refresh(struct symbolizer *s, int pid)
{
	struct procmaps *maps;
	int err;

	err = procmaps__read(pid, &maps);
	if (err)
		return err; /* gone: keep what we had */
	return symbolizer__update(s, pid, maps);
}

int symbolizer__update(struct symbolizer *s, int pid, struct procmaps *maps)
{
	size_t i;

	if (maps->nr == 0) {
		/* A zombie's maps read empty: it is gone too. */
		procmaps__free(maps);
		return -ESRCH;
	}
	for (i = 0; i < maps->nr; i++)
		if (maps->maps[i].exec && mapping__is_file(&maps->maps[i]))
			load_module(s, pid, &maps->maps[i]);
	return symbolizer__set_maps(s, pid, maps);
}

/* The symbol-table frame of addr; *mod and *vaddr are set when the module is known. */
static void resolve_symbol(struct symbolizer *s, int pid, uint64_t addr, int is_return,
			   struct frame *out, struct module **mod_out, uint64_t *vaddr_out)
{
	struct proc_maps *p = find_proc(s, pid);
	uint64_t lookup = is_return && addr ? addr - 1 : addr, file_off, vaddr, sym_off;
	const struct mapping *m;
	struct module *mod;
	struct gofunc go_func;
	const char *name;

	*mod_out = NULL;
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->offset = addr;
	out->build_id = "";
	m = p ? procmaps__find(p->maps, lookup) : NULL;
	if (!m)
		return;
	file_off = addr - m->start + m->pgoff;
	out->offset = file_off;
	out->map_start = m->start;
	out->map_limit = m->end;
	out->map_offset = m->pgoff;
	out->module = m->path[0] ? basename_of(m->path) : NULL;
	if (!out->module)
		out->offset = addr;
	if (!mapping__is_file(m))
		return;
	mod = load_module(s, p->pid, m);
	if (!mod || !mod->syms)
		return;
	out->module = mod->name;
	out->build_id = elf_syms__build_id(mod->syms);
	if (elf_syms__offset_to_vaddr(mod->syms, lookup - m->start + m->pgoff, &vaddr))
		return;
	*mod_out = mod;
	*vaddr_out = vaddr;
	/* Go text: the pclntab names it, also stripped; C code of a cgo binary is not in it. */
	if (mod->go && !gopclntab__lookup(mod->go, vaddr, &go_func)) {
		out->symbol = go_func.name;
		out->offset = vaddr - go_func.entry + (addr - lookup);
		return;
	}
	/* The debug file's table is a superset (local functions too): ask it first. */
	if ((!mod->debug_syms || elf_syms__lookup(mod->debug_syms, vaddr, &name, &sym_off)) &&
	    elf_syms__lookup(mod->syms, vaddr, &name, &sym_off))
		return;
	out->symbol = readable_name(s, name);
	/* Show the offset of the address itself, not of the byte before it. */
	out->offset = sym_off + (addr - lookup);
}

void symbolizer__resolve(struct symbolizer *s, int pid, uint64_t addr, int is_return,
			 struct frame *out)
{
	struct module *mod;
	uint64_t vaddr;

	resolve_symbol(s, pid, addr, is_return, out, &mod, &vaddr);
}

/*
 * out[0] (the symbol's frame) expanded through the Go table: inlined
 * functions first, then the function with its file:line. 0 when vaddr is
 * no Go function or the table has no line for it.
 */
static size_t go_frames(const struct gopclntab *go, uint64_t vaddr, struct frame *out, size_t max)
{
	struct goframe frames[SYMBOLIZER_MAX_INLINE];
	size_t nr, i;

	nr = gopclntab__frames(go, vaddr, frames,
			       max < SYMBOLIZER_MAX_INLINE ? max : SYMBOLIZER_MAX_INLINE);
	/* No line for it: C code an internal link put in the table; DWARF may know. */
	if (!nr || (nr == 1 && !frames[0].file))
		return 0;
	out[nr - 1] = out[0];
	for (i = 0; i < nr; i++) {
		if (i + 1 < nr) {
			out[i] = out[nr - 1];
			out[i].offset = 0;
			out[i].inlined = 1;
		}
		out[i].symbol = frames[i].function;
		out[i].file = frames[i].file;
		out[i].line = frames[i].line;
	}
	return nr;
}

size_t symbolizer__resolve_frames(struct symbolizer *s, int pid, uint64_t addr, int is_return,
				  struct frame *out, size_t max)
{
	struct src_loc locs[SYMBOLIZER_MAX_INLINE];
	struct module *mod;
	uint64_t vaddr = 0;
	size_t nr, i;

	if (!max)
		return 0;
	resolve_symbol(s, pid, addr, is_return, &out[0], &mod, &vaddr);
	if (mod && mod->go && (nr = go_frames(mod->go, vaddr, out, max)))
		return nr;
	if (!mod || !mod->src)
		return 1;
	nr = srcinfo__lookup(mod->src, vaddr, locs,
			     max < SYMBOLIZER_MAX_INLINE ? max : SYMBOLIZER_MAX_INLINE);
	if (!nr)
		return 1;
	/* The outermost location is the symbol's own function; inlined ones come first. */
	out[nr - 1] = out[0];
	out[nr - 1].file = locs[nr - 1].file;
	out[nr - 1].line = locs[nr - 1].line;
	for (i = 0; i + 1 < nr; i++) {
		out[i] = out[nr - 1];
		out[i].symbol = locs[i].function ? readable_name(s, locs[i].function) : NULL;
		out[i].file = locs[i].file;
		out[i].line = locs[i].line;
		out[i].inlined = 1;
		out[i].offset = 0;
	}
	return nr;
}

const char *frame__format(const struct frame *f, int style, char *buf, size_t len)
{
	int used;

	if (style == FRAME_FULL && f->inlined) {
		used = snprintf(buf, len, "%s (inlined)", f->symbol ? f->symbol : "?");
		if (f->file && used >= 0 && (size_t)used < len)
			snprintf(buf + used, len - (size_t)used, " %s:%d", f->file, f->line);
		return buf;
	}
	if (f->symbol && style == FRAME_NAME)
		snprintf(buf, len, "%s", f->symbol);
	else if (f->symbol)
		snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", f->symbol, f->offset,
			 f->module ? f->module : "?");
	else if (f->module && style == FRAME_FULL && f->build_id && f->build_id[0])
		/* Enough to symbolize later, elsewhere: file offset and build ID. */
		snprintf(buf, len, "%s+0x%" PRIx64 " (build-id %s)", f->module, f->offset,
			 f->build_id);
	else if (f->module)
		snprintf(buf, len, "%s+0x%" PRIx64, f->module, f->offset);
	else if (style == FRAME_NAME)
		snprintf(buf, len, "[unknown]");
	else
		snprintf(buf, len, "0x%" PRIx64, f->addr);
	used = (int)strlen(buf);
	if (style == FRAME_FULL && f->file && (size_t)used + 1 < len)
		snprintf(buf + used, len - (size_t)used, " %s:%d", f->file, f->line);
	return buf;
}
