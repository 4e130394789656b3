/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One ELF file's function symbols and load segments, read with libelf.
 * The file is untrusted (memleakd reads other users' binaries as root):
 * anything malformed yields an error or fewer symbols, never a crash.
 */
#ifndef MEMLEAKD_ELFSYMS_H
#define MEMLEAKD_ELFSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_syms;

/* Longer symbol names are cut (at a UTF-8 boundary); the file's names share 64 MiB at most. */
#define ELF_SYMS_MAX_NAME_LEN 4096

struct elf_sym_info {
	const char *name;
	uint64_t vaddr; /* st_value */
	uint64_t size;
	bool ifunc; /* STT_GNU_IFUNC: the value is a resolver, not the function */
};

/*
 * Reads the ELF behind fd (the fd stays the caller's; the file is read, not
 * mapped, so a target truncating it cannot SIGBUS us). NULL with errno set:
 * EFBIG when its function names need more than 64 MiB.
 */
struct elf_syms *elf_syms__load_fd(int fd);
/* Opens path and loads it. NULL with errno set. */
struct elf_syms *elf_syms__load(const char *path);
void elf_syms__free(struct elf_syms *syms);

/* The function containing vaddr: its name and vaddr - start. -ENOENT if none. */
int elf_syms__lookup(const struct elf_syms *syms, uint64_t vaddr, const char **name,
		     uint64_t *offset);
/* A defined function symbol by exact name. -ENOENT if none. */
int elf_syms__find(const struct elf_syms *syms, const char *name, struct elf_sym_info *info);
/* File offset <-> virtual address through the PT_LOAD segments. -ENOENT if outside. */
int elf_syms__vaddr_to_offset(const struct elf_syms *syms, uint64_t vaddr, uint64_t *offset);
int elf_syms__offset_to_vaddr(const struct elf_syms *syms, uint64_t offset, uint64_t *vaddr);
size_t elf_syms__count(const struct elf_syms *syms);
/* Bytes held for names (each string-table entry once, cut at ELF_SYMS_MAX_NAME_LEN). */
size_t elf_syms__name_bytes(const struct elf_syms *syms);
/* The vaddr of the dynamic loader's _r_debug (struct r_debug), or 0. */
uint64_t elf_syms__r_debug(const struct elf_syms *syms);
/* The .gnu_debuglink file name (no '/') and its CRC-32, or NULL. */
const char *elf_syms__debuglink(const struct elf_syms *syms, uint32_t *crc);
/* True when .gnu_debugdata (MiniDebugInfo) added symbols. */
bool elf_syms__has_minidebuginfo(const struct elf_syms *syms);
/* The GNU build ID as lowercase hex, or "" when the file has none. */
const char *elf_syms__build_id(const struct elf_syms *syms);

#endif
