// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <unistd.h>

#include "srcinfo.h"

struct srcinfo {
	Dwarf *dwarf;
	int fd;
};

struct srcinfo *srcinfo__open(int fd)
{
	struct srcinfo *si;
	Dwarf *dwarf = dwarf_begin(fd, DWARF_C_READ);

	if (!dwarf)
		return NULL;
	si = calloc(1, sizeof(*si));
	if (!si) {
		dwarf_end(dwarf);
		return NULL;
	}
	si->dwarf = dwarf;
	si->fd = fd;
	return si;
}

void srcinfo__close(struct srcinfo *si)
{
	if (!si)
		return;
	dwarf_end(si->dwarf);
	close(si->fd);
	free(si);
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
