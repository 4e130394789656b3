/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Unwind tables for traced processes: one table per module (by device and
 * inode), concatenated into the row array the BPF walker searches, and per
 * process the list of executable mappings pointing into it. No BPF here:
 * the tracer copies new rows and process entries into its maps.
 */
#ifndef MEMLEAKD_UNWINDER_H
#define MEMLEAKD_UNWINDER_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "elffile.h"
#include "memleak.h"
#include "procmaps.h"

/* Mapping lists remembered for their generation numbers (about 64 bytes each). */
#define UNWINDER_MAX_GENERATIONS 65536

struct unwinder;

struct unwinder *unwinder__new(void);
void unwinder__destroy(struct unwinder *u);
/*
 * Reads ELF files through the run's cache (shared with the provider search
 * and the symbolizer), which must outlive u. Without it, u keeps its own.
 */
void unwinder__use_files(struct unwinder *u, struct elf_files *files);

/*
 * Most rows the BPF map holds; modules that no longer fit get no table
 * (their frames fall back to the frame pointer). 0: no limit yet.
 */
void unwinder__set_capacity(struct unwinder *u, size_t max_rows);

/*
 * Fills proc with pid's executable file mappings (maps as read from
 * /proc/PID/maps), building tables for modules not seen before. Modules
 * that cannot be opened or carry no CFI get row_count 0. proc->gen names
 * the list: the same for an equal list (of any pid), a new one otherwise,
 * never reused by u (the BPF walker caches rules by gen and pc). 0 or -errno.
 */
int unwinder__add_process(struct unwinder *u, int pid, const struct procmaps *maps,
			  struct ml_unwind_proc *proc);

/* Rows assigned so far (the next free index). */
size_t unwinder__nr_rows(const struct unwinder *u);

/*
 * Rows added since the last call, to copy to index *first of the BPF map;
 * NULL with *nr 0 when there are none.
 */
const struct ml_unwind_row *unwinder__take_new_rows(struct unwinder *u, uint32_t *first,
						    size_t *nr);

/* Modules with a table / without one (no CFI, unreadable, no room). */
void unwinder__module_counts(const struct unwinder *u, size_t *with_table, size_t *without);

#endif
