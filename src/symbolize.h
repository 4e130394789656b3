/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Addresses of a process -> (module, offset) -> function symbol. ELF files
 * are cached by (device, inode); each process's last readable maps are kept,
 * so stacks of a process that already exited still resolve.
 */
#ifndef MEMLEAKD_SYMBOLIZE_H
#define MEMLEAKD_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elffile.h"
#include "procmaps.h"

struct symbolizer;

struct frame {
	uint64_t addr;
	const char *symbol;   /* NULL when unknown */
	uint64_t offset;      /* from the symbol, or the file offset when symbol is NULL */
	const char *module;   /* basename of the mapped file, or NULL when unmapped */
	const char *build_id; /* "" when unknown */
	const char *file;     /* source file from DWARF, or NULL */
	int line;
	int inlined; /* 1: inlined into the next frame's function (no address of its own) */
	uint64_t map_start, map_limit, map_offset; /* the mapping holding addr; 0 when none */
};

/* Most source frames one address expands to (inlined functions + 1). */
#define SYMBOLIZER_MAX_INLINE 8

struct symbolizer *symbolizer__new(void);
/*
 * Where separate debug files live (default /usr/lib/debug): a module with a
 * GNU build ID gets its full symbol table from .build-id/xx/rest.debug
 * there (memleakd's own directory), when present and carrying the same
 * build ID. A module naming a .gnu_debuglink file has it looked up next to
 * itself, in its .debug/ directory, then under this directory plus its own
 * directory, all three inside the target's root (debuglink.h). 0 or -ENOMEM.
 */
int symbolizer__set_debug_dir(struct symbolizer *s, const char *dir);
/*
 * Reads ELF files through the run's cache (the provider search and the
 * unwinder share it), which must outlive s. Without it, s keeps its own.
 */
void symbolizer__use_files(struct symbolizer *s, struct elf_files *files);
/* Demangle C++ and Rust names (on by default). */
void symbolizer__set_demangle(struct symbolizer *s, bool on);
void symbolizer__destroy(struct symbolizer *s);

/*
 * Re-reads /proc/PID/maps and loads the symbols of every executable mapping,
 * so they stay available after the process exits. Keeps the previous maps
 * when the process is gone. 0 or -errno.
 */
int symbolizer__refresh(struct symbolizer *s, int pid);
/* The same from maps already read (takes ownership); -ESRCH when they are empty. */
int symbolizer__update(struct symbolizer *s, int pid, struct procmaps *maps);
/* Installs maps for pid (takes ownership); used by refresh and by tests. */
int symbolizer__set_maps(struct symbolizer *s, int pid, struct procmaps *maps);
/*
 * A forked child maps what its parent maps: gives child a copy of the
 * parent's last maps (a child that exits before its maps can be read still
 * resolves). 0, -ENOENT when the parent has none, -ENOMEM.
 */
int symbolizer__inherit(struct symbolizer *s, int parent, int child);
void symbolizer__forget(struct symbolizer *s, int pid);

/*
 * Resolves one address. A return address (every frame of a captured stack)
 * is looked up at addr - 1, so a call at the very end of a function still
 * names that function. Strings in *out stay valid until the next refresh,
 * set_maps or forget of that pid.
 */
void symbolizer__resolve(struct symbolizer *s, int pid, uint64_t addr, int is_return,
			 struct frame *out);

/*
 * addr as source frames, innermost first: functions DWARF says are inlined
 * there, then the symbol's own frame with file:line. At least 1, at most max.
 */
size_t symbolizer__resolve_frames(struct symbolizer *s, int pid, uint64_t addr, int is_return,
				  struct frame *out, size_t max);

#define FRAME_FULL 0 /* "leak_inner+0x1a (app)"; unknown: "app+0x1234" or "0x7f..." */
#define FRAME_NAME 1 /* "leak_inner"; unknown: "app+0x1234" or "[unknown]" */

/* Formats one frame into buf; returns buf. */
const char *frame__format(const struct frame *f, int style, char *buf, size_t len);

#endif
