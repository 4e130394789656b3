// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugsize.h"
#include "hmap.h"
#include "srcinfo.h"

/* DWARF one file may bring into memory; a larger file gives no lines. */
#define MAX_DEBUG_BYTES	  (1ULL << 30)
/*
 * libdw finds scopes recursively, a stack frame per level of DIE nesting
 * (60 000 levels overflow 8 MiB): a unit nested deeper gets no inlines.
 */
#define MAX_SCOPE_DEPTH	  512
#define TOO_DEEP	  (MAX_SCOPE_DEPTH + 1)
/* DIEs one unit's check may visit, and imported units it may follow, before it gives up. */
#define MAX_CHECK_DIES	  (8u << 20)
#define MAX_IMPORT_LEVELS 8

/* unit_checks values: a unit's nesting, or that it is being walked (an import cycle). */
#define DEPTH_BUSY (-1)
enum check_kind { CHECK_DEPTH, CHECK_ORIGINS };

struct srcinfo {
	Elf *elf;
	Dwarf *dwarf; /* every DWARF section read into memory: no fd, no mapping */
	/* (unit offset, check_kind) -> int: the nesting depth found, or DEPTH_BUSY */
	struct hmap unit_checks;
};

/*
 * libdw takes strings in .debug_str and .debug_line_str (DW_FORM_strp,
 * DW_AT_comp_dir) at their offset and runs strlen on them: in a section
 * read into memory, one without a final NUL is read past its end.
 */
static bool strings_terminated(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t shstrndx;
	const char *name;
	Elf_Data *data;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) ||
		    !(name = elf_strptr(elf, shstrndx, shdr.sh_name)) ||
		    !(strstr(name, "debug_str") || strstr(name, "debug_line_str")) ||
		    strstr(name, "offsets"))
			continue;
		data = elf_getdata(scn, NULL); /* read (and decompressed) by dwarf_begin_elf */
		if (data && data->d_buf && data->d_size &&
		    ((const char *)data->d_buf)[data->d_size - 1] != '\0')
			return false;
	}
	return true;
}

struct srcinfo *srcinfo__open(int fd)
{
	struct srcinfo *si;
	uint64_t bytes;
	Dwarf *dwarf;
	Elf *elf;

	elf_version(EV_CURRENT);
	/* Read, not mapped: a target truncating the file cannot raise SIGBUS here. */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return NULL;
	if (elf_kind(elf) != ELF_K_ELF || debugsize__of(elf, &bytes) || bytes == 0 ||
	    bytes > MAX_DEBUG_BYTES || !(dwarf = dwarf_begin_elf(elf, DWARF_C_READ, NULL))) {
		elf_end(elf);
		return NULL;
	}
	si = strings_terminated(elf) ? calloc(1, sizeof(*si)) : NULL;
	if (!si) {
		dwarf_end(dwarf);
		elf_end(elf);
		return NULL;
	}
	/* dwarf_begin_elf has read every DWARF section: the file is no longer needed. */
	elf_cntl(elf, ELF_C_FDDONE);
	close(fd);
	si->elf = elf;
	si->dwarf = dwarf;
	hmap__init(&si->unit_checks, sizeof(int));
	return si;
}

void srcinfo__close(struct srcinfo *si)
{
	if (!si)
		return;
	dwarf_end(si->dwarf);
	elf_end(si->elf);
	hmap__free(&si->unit_checks);
	free(si);
}

static int unit_depth(struct srcinfo *si, Dwarf_Die *unit, unsigned imports_left);

/* The nesting an imported unit adds at the DW_TAG_imported_unit that imports it. */
static int import_depth(struct srcinfo *si, Dwarf_Die *die, unsigned imports_left)
{
	Dwarf_Attribute attr;
	Dwarf_Die unit;

	if (!dwarf_formref_die(dwarf_attr(die, DW_AT_import, &attr), &unit))
		return 0; /* libdw cannot follow it either */
	if (!imports_left)
		return TOO_DEEP;
	return unit_depth(si, &unit, imports_left - 1);
}

/* The next DIE in a depth-first walk below path[0..*depth): child, sibling or an ancestor's
 * sibling. */
static bool walk_next(Dwarf_Die *path, int *depth, bool descend)
{
	Dwarf_Die next;
	int r;

	if (descend && dwarf_haschildren(&path[*depth - 1]) > 0 &&
	    dwarf_child(&path[*depth - 1], &next) == 0) {
		path[(*depth)++] = next;
		return true;
	}
	while (*depth > 0) {
		r = dwarf_siblingof(&path[*depth - 1], &next);
		if (r == 0) {
			path[*depth - 1] = next;
			return true;
		}
		if (r < 0)
			return false;
		(*depth)--;
	}
	return false;
}

/*
 * How deep the DIEs below root nest, walked iteratively (libdw's own walk
 * recurses), imported units counted where they are imported; TOO_DEEP as
 * soon as it is over MAX_SCOPE_DEPTH, malformed or too big to tell.
 */
static int tree_depth(struct srcinfo *si, Dwarf_Die *root, unsigned imports_left)
{
	Dwarf_Die *path = malloc((TOO_DEEP + 1) * sizeof(*path));
	int depth = 1, deepest = 0;
	size_t visited = 0;
	bool more;

	if (!path)
		return TOO_DEEP;
	if (dwarf_child(root, &path[0]) != 0) {
		free(path);
		return 0;
	}
	do {
		if (depth > deepest)
			deepest = depth;
		if (dwarf_tag(&path[depth - 1]) == DW_TAG_imported_unit) {
			int below = import_depth(si, &path[depth - 1], imports_left);

			if (depth + below > deepest)
				deepest = depth + below;
		}
		if (deepest >= TOO_DEEP || ++visited > MAX_CHECK_DIES)
			break;
		more = walk_next(path, &depth, depth < TOO_DEEP);
		if (!more && depth > 0)
			deepest = TOO_DEEP; /* a DIE libdw could not step over */
	} while (more);
	free(path);
	return deepest >= TOO_DEEP || visited > MAX_CHECK_DIES ? TOO_DEEP : deepest;
}

/* A unit's nesting, walked once. */
static int unit_depth(struct srcinfo *si, Dwarf_Die *unit, unsigned imports_left)
{
	struct hmap_key key = {dwarf_dieoffset(unit), CHECK_DEPTH};
	int *known = hmap__get(&si->unit_checks, key), depth;
	bool fresh;

	if (known)
		return *known == DEPTH_BUSY ? TOO_DEEP : *known;
	known = hmap__put(&si->unit_checks, key, &fresh);
	if (!known)
		return TOO_DEEP;
	*known = DEPTH_BUSY;
	depth = tree_depth(si, unit, imports_left);
	known = hmap__get(&si->unit_checks, key); /* the map may have grown meanwhile */
	if (known)
		*known = depth;
	return depth;
}

/*
 * The deepest unit holding an abstract origin of the inlined functions in
 * cu: dwarf_getscopes walks that unit too, to find the origin's scopes.
 */
static int origins_depth(struct srcinfo *si, Dwarf_Die *cu)
{
	Dwarf_Die *path = malloc((TOO_DEEP + 1) * sizeof(*path)), origin, origin_cu;
	Dwarf_Attribute attr;
	int depth = 1, deepest = 0, below;
	size_t visited = 0;

	if (!path)
		return TOO_DEEP;
	if (dwarf_child(cu, &path[0]) != 0) {
		free(path);
		return 0;
	}
	do {
		Dwarf_Die *die = &path[depth - 1];

		if (dwarf_tag(die) == DW_TAG_inlined_subroutine &&
		    dwarf_formref_die(dwarf_attr(die, DW_AT_abstract_origin, &attr), &origin) &&
		    dwarf_diecu(&origin, &origin_cu, NULL, NULL) &&
		    dwarf_dieoffset(&origin_cu) != dwarf_dieoffset(cu)) {
			below = unit_depth(si, &origin_cu, MAX_IMPORT_LEVELS);
			if (below > deepest)
				deepest = below;
		}
		if (deepest >= TOO_DEEP || ++visited > MAX_CHECK_DIES) {
			deepest = TOO_DEEP;
			break;
		}
	} while (walk_next(path, &depth, depth < TOO_DEEP));
	free(path);
	return deepest;
}

/* True when libdw may walk the scopes of cu without running out of stack; checked once a unit. */
static bool scopes_safe(struct srcinfo *si, Dwarf_Die *cu)
{
	struct hmap_key key = {dwarf_dieoffset(cu), CHECK_ORIGINS};
	int *known, depth;
	bool fresh;

	if (unit_depth(si, cu, MAX_IMPORT_LEVELS) > MAX_SCOPE_DEPTH)
		return false;
	known = hmap__get(&si->unit_checks, key);
	if (known)
		return *known <= MAX_SCOPE_DEPTH;
	depth = origins_depth(si, cu);
	known = hmap__put(&si->unit_checks, key, &fresh);
	if (known)
		*known = depth;
	return depth <= MAX_SCOPE_DEPTH;
}

/* The file an inlined call was made from: DW_AT_call_file indexes the CU's files. */
static const char *call_file(Dwarf_Die *cu, Dwarf_Die *inlined, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word index, value;
	Dwarf_Files *files;
	size_t nr_files;

	*line = 0;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &value) == 0)
		*line = value > 0x7fffffff ? 0 : (int)value;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &index) ||
	    dwarf_getsrcfiles(cu, &files, &nr_files) || index >= nr_files)
		return NULL;
	return dwarf_filesrc(files, index, NULL, NULL);
}

static void line_of(Dwarf_Die *cu, uint64_t vaddr, struct src_loc *loc)
{
	Dwarf_Line *line = dwarf_getsrc_die(cu, vaddr);
	int lineno = 0;

	loc->file = NULL;
	loc->line = 0;
	if (!line)
		return;
	loc->file = dwarf_linesrc(line, NULL, NULL);
	if (dwarf_lineno(line, &lineno) == 0 && lineno > 0)
		loc->line = lineno;
}

size_t srcinfo__lookup(struct srcinfo *si, uint64_t vaddr, struct src_loc *out, size_t max)
{
	Dwarf_Die cu, *scopes = NULL, *chain = NULL;
	const char *file;
	int nr_scopes, i, line;
	size_t n = 0;

	if (!si || !max || !dwarf_addrdie(si->dwarf, vaddr, &cu))
		return 0;
	line_of(&cu, vaddr, &out[0]);
	out[0].function = NULL;
	out[0].inlined = 0;
	n = 1;
	/* Too deep for libdw: file:line only, the symbol table names the function. */
	if (!scopes_safe(si, &cu))
		return n;
	/*
	 * dwarf_getscopes continues from an inlined function into its abstract
	 * definition; the concrete chain of callers comes from the DIE tree.
	 */
	nr_scopes = dwarf_getscopes(&cu, vaddr, &scopes);
	if (nr_scopes > 0)
		nr_scopes = dwarf_getscopes_die(&scopes[0], &chain);
	free(scopes);
	scopes = chain;
	/*
	 * Scopes run innermost first. Each inlined_subroutine names the function
	 * of the current location and says where its caller called it.
	 */
	for (i = 0; i < nr_scopes && n < max; i++) {
		int tag = dwarf_tag(&scopes[i]);

		if (tag == DW_TAG_subprogram) {
			out[n - 1].function = dwarf_diename(&scopes[i]);
			break;
		}
		if (tag != DW_TAG_inlined_subroutine)
			continue;
		out[n - 1].function = dwarf_diename(&scopes[i]);
		out[n - 1].inlined = 1;
		file = call_file(&cu, &scopes[i], &line);
		out[n].function = NULL;
		out[n].file = file;
		out[n].line = line;
		out[n].inlined = 0;
		n++;
	}
	free(scopes);
	return n;
}
