// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for everything that reads a target's ELF files: symbol
 * tables, build IDs, debuglinks, MiniDebugInfo (elfsyms.c), .eh_frame unwind
 * tables (cfi.c), DWARF lines and inlines (srcinfo.c) and Go's .gopclntab
 * (goelf.c, gopclntab.c). Files of other
 * users' processes are untrusted: any input may yield nothing, none may crash.
 *
 * make fuzz; build/fuzz/fuzz_elf -max_total_time=60 CORPUS_DIR
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cfi.h"
#include "elfsyms.h"
#include "goelf.h"
#include "srcinfo.h"

static int memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	return fd;
}

static void probe_symbols(int fd)
{
	struct elf_syms *syms = elf_syms__load_fd(fd);
	struct elf_sym_info info;
	const char *name;
	uint64_t off, vaddr;
	uint32_t crc;

	if (!syms)
		return;
	elf_syms__find(syms, "malloc", &info);
	elf_syms__lookup(syms, 0x1000, &name, &off);
	elf_syms__vaddr_to_offset(syms, 0x1000, &off);
	elf_syms__offset_to_vaddr(syms, 0x1000, &vaddr);
	elf_syms__debuglink(syms, &crc);
	elf_syms__free(syms);
}

static void probe_cfi(int fd)
{
	struct cfi_table *t = NULL;
	uint64_t vaddr;

	if (cfi_table__build(fd, &t))
		return;
	cfi_table__find(t, 0x1000);
	cfi_table__offset_to_vaddr(t, 0x1000, &vaddr);
	cfi_table__free(t);
}

static void probe_lines(int fd)
{
	struct src_loc locs[8];
	struct srcinfo *si;
	int copy = dup(fd);
	uint64_t vaddr;

	if (copy < 0)
		return;
	si = srcinfo__open(copy);
	if (!si) {
		close(copy);
		return;
	}
	for (vaddr = 0; vaddr < 0x4000; vaddr += 0x101)
		srcinfo__lookup(si, vaddr, locs, 8);
	srcinfo__close(si);
}

static void probe_go(int fd)
{
	struct goframe frames[8];
	struct gopclntab *t;
	struct gofunc f;
	uint64_t pc;

	if (goelf__load_fd(fd, &t))
		return;
	for (pc = gopclntab__text_start(t); pc < gopclntab__text_start(t) + 0x4000; pc += 0x101)
		gopclntab__frames(t, pc, frames, 8);
	gopclntab__find(t, "main.main", &f);
	gopclntab__free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_with(data, size);

	if (fd < 0)
		return 0;
	probe_symbols(fd);
	probe_cfi(fd);
	probe_lines(fd);
	probe_go(fd);
	close(fd);
	return 0;
}
