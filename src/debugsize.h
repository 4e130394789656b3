/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What libdw's dwarf_begin_elf will read into memory from an ELF file
 * opened with ELF_C_READ: every .debug_* / .zdebug_* section, uncompressed.
 * Read before handing the file to libdw, so a hostile or huge file is
 * refused instead of read (or decompressed) whole.
 */
#ifndef MEMLEAKD_DEBUGSIZE_H
#define MEMLEAKD_DEBUGSIZE_H

#include <libelf.h>
#include <stdint.h>

/*
 * 0 with the total in *bytes; -E2BIG when a compressed section claims more
 * than 32 times its size (a decompression bomb), -EINVAL when the sections
 * cannot be read.
 */
int debugsize__of(Elf *elf, uint64_t *bytes);

#endif
