// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "cfi.h"
#include "elffile.h"
#include "hmap.h"
#include "log.h"
#include "unwinder.h"

struct unwind_module {
	dev_t dev;
	uint64_t inode;
	struct cfi_table *table; /* NULL: no table, frame-pointer fallback */
	uint32_t row_start;
	uint32_t row_count;
};

struct unwinder {
	struct elf_files *files;     /* the run's ELF files, or own_files */
	struct elf_files *own_files; /* made on first use when none was given */
	struct unwind_module *modules;
	size_t nr_modules, modules_cap;
	struct hmap module_index;   /* (dev, inode) -> index in modules (size_t) */
	struct ml_unwind_row *rows; /* mirror of the BPF array, all modules */
	size_t nr_rows, rows_cap;
	size_t flushed; /* rows already handed out by take_new_rows */
	size_t capacity;
	bool warned_full;
	/* PIDs told they map too many files: maps are re-read every 0.5 s, say it once. */
	struct hmap warned_many_maps;
	/* Mapping lists seen (two hashes of nr and maps) -> their gen (uint32_t). */
	struct hmap generations;
	uint32_t last_gen;
	uint64_t generations_forgotten; /* times the map reached UNWINDER_MAX_GENERATIONS */
};

struct unwinder *unwinder__new(void)
{
	struct unwinder *u = calloc(1, sizeof(struct unwinder));

	if (!u)
		return NULL;
	hmap__init(&u->warned_many_maps, 0);
	hmap__init(&u->module_index, sizeof(size_t));
	hmap__init(&u->generations, sizeof(uint32_t));
	return u;
}

void unwinder__destroy(struct unwinder *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->nr_modules; i++)
		cfi_table__free(u->modules[i].table);
	free(u->modules);
	free(u->rows);
	hmap__free(&u->warned_many_maps);
	hmap__free(&u->module_index);
	hmap__free(&u->generations);
	elf_files__free(u->own_files);
	free(u);
}

void unwinder__use_files(struct unwinder *u, struct elf_files *files)
{
	u->files = files;
}

void unwinder__set_capacity(struct unwinder *u, size_t max_rows)
{
	u->capacity = max_rows;
}

static struct hmap_key module_key(const struct mapping *m)
{
	return (struct hmap_key){.a = (uint64_t)m->dev, .b = m->inode};
}

/* Per mapping of every refreshed process: by device and inode, not a walk over every module. */
static struct unwind_module *find_module(struct unwinder *u, const struct mapping *m)
{
	const size_t *i = hmap__get(&u->module_index, module_key(m));

	return i ? &u->modules[*i] : NULL;
}

static bool has_room(struct unwinder *u, size_t nr, const char *path)
{
	if (!u->capacity || u->nr_rows + nr <= u->capacity)
		return true;
	if (!u->warned_full)
		p_warn("the unwind table is full (%zu rows): frames in '%s' and later modules "
		       "use frame pointers; raise --unwind-rows",
		       u->capacity, path);
	u->warned_full = true;
	return false;
}

static int append_rows(struct unwinder *u, struct unwind_module *mod, const char *path)
{
	const struct ml_unwind_row *rows = cfi_table__rows(mod->table);
	size_t nr = cfi_table__nr_rows(mod->table);

	if (nr > UINT32_MAX - u->nr_rows || !has_room(u, nr, path))
		return -E2BIG;
	if (ARRAY_RESERVE(u->rows, u->rows_cap, u->nr_rows + nr, 65536))
		return -ENOMEM;
	memcpy(u->rows + u->nr_rows, rows, nr * sizeof(*rows));
	mod->row_start = (uint32_t)u->nr_rows;
	mod->row_count = (uint32_t)nr;
	u->nr_rows += nr;
	return 0;
}

static void load_table(struct unwinder *u, struct unwind_module *mod, int pid,
		       const struct mapping *m)
{
	struct elf_file *f;
	int err = -ENOMEM;

	if (!u->files)
		u->files = u->own_files = elf_files__new();
	f = u->files ? elf_files__get(u->files, pid, m, &err) : NULL;
	if (!f) {
		p_debug("no unwind table for '%s' of pid %d: %s", m->path, pid, strerror(-err));
		return;
	}
	err = cfi_table__build(f->fd, &mod->table);
	if (!err)
		err = append_rows(u, mod, m->path);
	if (err) {
		p_debug("no unwind table for '%s': %s", m->path, strerror(-err));
		cfi_table__free(mod->table);
		mod->table = NULL;
		mod->row_count = 0;
		return;
	}
	p_debug("unwind table for '%s': %zu rows (%zu without CFI, %zu unsupported)", m->path,
		cfi_table__stats(mod->table)->rows, cfi_table__stats(mod->table)->no_cfi,
		cfi_table__stats(mod->table)->unsupported);
}

static struct unwind_module *module_for(struct unwinder *u, int pid, const struct mapping *m)
{
	struct unwind_module *mod = find_module(u, m);
	size_t *index;
	bool fresh;

	if (mod)
		return mod;
	if (ARRAY_RESERVE(u->modules, u->modules_cap, u->nr_modules + 1, 32))
		return NULL;
	index = hmap__put(&u->module_index, module_key(m), &fresh);
	if (!index)
		return NULL;
	*index = u->nr_modules;
	mod = &u->modules[u->nr_modules++];
	memset(mod, 0, sizeof(*mod));
	mod->dev = m->dev;
	mod->inode = m->inode;
	load_table(u, mod, pid, m);
	return mod;
}

static void fill_map(const struct unwind_module *mod, const struct mapping *m,
		     struct ml_unwind_map *out)
{
	uint64_t vaddr;

	out->start = m->start;
	out->end = m->end;
	out->bias = 0;
	out->row_start = 0;
	out->row_count = 0;
	/* pc - bias = vaddr, with pc = start + (offset - pgoff) */
	if (!mod || !mod->table || cfi_table__offset_to_vaddr(mod->table, m->pgoff, &vaddr))
		return;
	out->bias = m->start - vaddr;
	out->row_start = mod->row_start;
	out->row_count = mod->row_count;
}

/* Once per pid (a reused PID stays quiet: the warning is about a rare shape, not state). */
static void warn_many_maps(struct unwinder *u, int pid)
{
	bool fresh = false;

	if (!hmap__put(&u->warned_many_maps, (struct hmap_key){.a = (uint64_t)pid}, &fresh) ||
	    !fresh)
		return;
	p_warn("pid %d maps more than %d executable files: frames in the rest use frame pointers",
	       pid, ML_MAX_UNWIND_MAPS);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Two independent 64-bit hashes of the list's words: nr, then each mapping's fields. */
static struct hmap_key list_key(const struct ml_unwind_proc *proc)
{
	struct hmap_key key = {.a = 0xcbf29ce484222325ULL, .b = mix64(proc->nr)};
	const struct ml_unwind_map *m;
	uint64_t words[4];
	size_t i, k;

	key.a = (key.a ^ proc->nr) * 0x100000001b3ULL;
	for (i = 0; i < proc->nr; i++) {
		m = &proc->maps[i];
		words[0] = m->start;
		words[1] = m->end;
		words[2] = m->bias;
		words[3] = (uint64_t)m->row_start << 32 | m->row_count;
		for (k = 0; k < 4; k++) {
			key.a = (key.a ^ words[k]) * 0x100000001b3ULL;
			key.b = mix64(key.b ^ words[k]) + 0x9e3779b97f4a7c15ULL;
		}
	}
	return key;
}

/*
 * The list's gen: the one an equal list got before (the 0.5 s refresh that
 * finds nothing new changes nothing, a fork's child keeps its parent's
 * cache), else the next. 0 (uncached) when out of memory.
 */
static uint32_t generation_of(struct unwinder *u, const struct ml_unwind_proc *proc)
{
	bool fresh = false;
	uint32_t *gen;

	/*
	 * Every exec'd image has a list of its own (ASLR): system-wide, one entry
	 * per process ever seen. Past the cap the lists are forgotten, never their
	 * numbers: a list seen again gets a new gen, which costs the walker's
	 * cache misses, never a stale rule.
	 */
	if (u->generations.nr >= UNWINDER_MAX_GENERATIONS) {
		hmap__free(&u->generations);
		hmap__init(&u->generations, sizeof(uint32_t));
		u->generations_forgotten++;
	}
	gen = hmap__put(&u->generations, list_key(proc), &fresh);

	if (!gen || (fresh && u->last_gen == UINT32_MAX))
		return 0;
	if (fresh)
		*gen = ++u->last_gen;
	return *gen;
}

int unwinder__add_process(struct unwinder *u, int pid, const struct procmaps *maps,
			  struct ml_unwind_proc *proc)
{
	size_t i;

	memset(proc, 0, sizeof(*proc));
	for (i = 0; i < maps->nr; i++) {
		const struct mapping *m = &maps->maps[i];

		if (!m->exec || !mapping__is_file(m))
			continue;
		if (proc->nr == ML_MAX_UNWIND_MAPS) {
			warn_many_maps(u, pid);
			break;
		}
		if (proc->nr && m->start < proc->maps[proc->nr - 1].end)
			return -EINVAL; /* /proc/PID/maps is sorted; anything else is corrupt */
		fill_map(module_for(u, pid, m), m, &proc->maps[proc->nr]);
		proc->nr++;
	}
	proc->gen = generation_of(u, proc);
	return 0;
}

size_t unwinder__nr_rows(const struct unwinder *u)
{
	return u->nr_rows;
}

const struct ml_unwind_row *unwinder__take_new_rows(struct unwinder *u, uint32_t *first, size_t *nr)
{
	const struct ml_unwind_row *rows = u->rows + u->flushed;

	*first = (uint32_t)u->flushed;
	*nr = u->nr_rows - u->flushed;
	u->flushed = u->nr_rows;
	return *nr ? rows : NULL;
}

void unwinder__module_counts(const struct unwinder *u, size_t *with_table, size_t *without)
{
	size_t i;

	*with_table = 0;
	*without = 0;
	for (i = 0; i < u->nr_modules; i++) {
		if (u->modules[i].table)
			(*with_table)++;
		else
			(*without)++;
	}
}
