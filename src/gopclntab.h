/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Go's .gopclntab (Go 1.18+: magic 0xfffffff0 / 0xfffffff1), which stripped
 * binaries keep: pc -> function, file:line and inlined frames; function by
 * name. The table is untrusted input: every offset is bounds-checked, a
 * malformed table is refused (-EINVAL) or a lookup fails (-ENOENT), never
 * read out of bounds. Pure logic, no ELF: callers hand it the bytes.
 */
#ifndef MEMLEAKD_GOPCLNTAB_H
#define MEMLEAKD_GOPCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gopclntab;

/* funcID values worth knowing (runtime/abi): 0 is an ordinary function. */
#define GO_FUNCID_NORMAL 0

struct gofunc {
	uint64_t entry;	  /* link-time address */
	uint64_t end;	  /* first address past the function */
	const char *name; /* valid while the table lives */
	uint8_t funcid;
};

struct goframe {
	const char *function; /* NULL when unknown */
	const char *file;     /* NULL when unknown */
	int line;	      /* 0 when unknown */
	bool inlined;	      /* inlined into the next (outer) frame */
};

/*
 * Parses a table; takes ownership of data (malloc'd, size bytes), freed by
 * gopclntab__free also on failure. 0, -EINVAL (not a supported table:
 * magic, pointer size 8, bounds), -ENOMEM.
 */
int gopclntab__open(void *data, size_t size, struct gopclntab **out);
void gopclntab__free(struct gopclntab *t);

/* The magic (0xfffffff0 for Go 1.18/1.19, 0xfffffff1 for 1.20+). */
uint32_t gopclntab__magic(const struct gopclntab *t);
/* runtime.text: the link-time address the table's offsets count from. */
uint64_t gopclntab__text_start(const struct gopclntab *t);
size_t gopclntab__nr_funcs(const struct gopclntab *t);

/* The function holding link-time address pc. 0 or -ENOENT. */
int gopclntab__lookup(const struct gopclntab *t, uint64_t pc, struct gofunc *out);
/*
 * The function named name; among several (the ABI0 wrapper and the real
 * function share a name), the one with funcID 0. 0 or -ENOENT.
 */
int gopclntab__find(const struct gopclntab *t, const char *name, struct gofunc *out);
/*
 * Source frames at link-time address pc, innermost first: the functions
 * inlined there (inlined = true), then the function itself with its
 * file:line. At least 1 when pc is in a function (0 otherwise), at most max.
 */
size_t gopclntab__frames(const struct gopclntab *t, uint64_t pc, struct goframe *out, size_t max);
/*
 * The stack pointer's offset from its value at entry at pc (the pcsp
 * table): 0 at entry and at a RET. 0 or -ENOENT.
 */
int gopclntab__sp_delta(const struct gopclntab *t, uint64_t pc, int32_t *delta);

/*
 * The go:func.* area the inline trees live in (moduledata.gofunc up to the
 * end of its section): size bytes, malloc'd, owned by t from now on (NULL:
 * none). Without it, a pc in inlined code yields only the outer function,
 * without a line (never a wrong frame).
 */
void gopclntab__set_gofunc(struct gopclntab *t, void *data, size_t size);
/*
 * moduledata.gofunc, found without symbols: data is the whole .noptrdata
 * section (size bytes at link-time address data_vaddr), table_vaddr the
 * link-time address of this table, rodata_vaddr that of .rodata.
 * moduledata is the 8-byte-aligned spot whose words point at the table and
 * its funcnametab, whose text is text_start, whose noptrdata is
 * data_vaddr and whose rodata is rodata_vaddr; gofunc is the next word
 * (word 38 in Go 1.18/1.19, 40 in 1.20+, after covctrs). A layout we do not
 * know is not matched. 0 or -ENOENT.
 */
int gopclntab__find_gofunc(const struct gopclntab *t, uint64_t table_vaddr, const void *data,
			   size_t size, uint64_t data_vaddr, uint64_t rodata_vaddr,
			   uint64_t *gofunc);

#endif
