/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Source locations from DWARF (libdw): file:line of an address, and the
 * chain of functions inlined at it. Pure: an ELF file in, locations out;
 * the file is untrusted input (a malformed one yields no location).
 */
#ifndef MEMLEAKD_SRCINFO_H
#define MEMLEAKD_SRCINFO_H

#include <stddef.h>
#include <stdint.h>

struct srcinfo;

/* One source frame; strings live as long as the srcinfo. */
struct src_loc {
	const char *function; /* NULL: take the symbol table's name */
	const char *file;     /* NULL when the line table does not cover the address */
	int line;
	int inlined; /* 1: inlined into the next location's function */
};

/*
 * Reads the DWARF of the ELF file at fd into memory (never mapped: a file
 * truncated later cannot fault) and closes fd. NULL, fd left open for the
 * caller, when it has none or more than 1 GiB of it.
 */
struct srcinfo *srcinfo__open(int fd);
/*
 * Locations at vaddr, innermost first: each function inlined there, then
 * the function that contains it. Returns the count (0 = nothing known).
 * A unit whose DIEs nest over 512 deep (libdw would recurse off the stack)
 * gives file:line only, with function NULL.
 */
size_t srcinfo__lookup(struct srcinfo *si, uint64_t vaddr, struct src_loc *out, size_t max);
void srcinfo__close(struct srcinfo *si);

#endif
