// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <gelf.h>
#include <string.h>

#include "debugsize.h"

/*
 * DWARF compresses 3-10 times; a section claiming more than this is a
 * decompression bomb (1 KB of zlib can claim a gigabyte).
 */
#define MAX_RATIO 32
#define SLACK	  (1u << 20)

/* A GNU .zdebug_* section starts with "ZLIB" and its size, 8 bytes big-endian. */
static uint64_t zdebug_size(Elf_Scn *scn)
{
	Elf_Data *raw = elf_rawdata(scn, NULL);
	const unsigned char *p;
	uint64_t size = 0;
	int i;

	if (!raw || !raw->d_buf || raw->d_size < 12 || memcmp(raw->d_buf, "ZLIB", 4))
		return 0; /* libdw cannot decompress it either */
	p = (const unsigned char *)raw->d_buf + 4;
	for (i = 0; i < 8; i++)
		size = size << 8 | p[i];
	return size;
}

/* Its size once uncompressed; -E2BIG for a bomb. */
static int section_size(Elf_Scn *scn, const GElf_Shdr *shdr, const char *name, uint64_t *size)
{
	GElf_Chdr chdr;

	*size = 0;
	if (shdr->sh_type == SHT_NOBITS)
		return 0;
	if (shdr->sh_flags & SHF_COMPRESSED)
		*size = gelf_getchdr(scn, &chdr) ? chdr.ch_size : 0;
	else if (!strncmp(name, ".zdebug", 7))
		*size = zdebug_size(scn);
	else
		*size = shdr->sh_size;
	if (*size / MAX_RATIO > shdr->sh_size + SLACK)
		return -E2BIG;
	return 0;
}

int debugsize__of(Elf *elf, uint64_t *bytes)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t shstrndx;
	uint64_t size;

	*bytes = 0;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			return -EINVAL;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!name || (strncmp(name, ".debug", 6) && strncmp(name, ".zdebug", 7)))
			continue;
		if (section_size(scn, &shdr, name, &size))
			return -E2BIG;
		if (*bytes + size < *bytes)
			return -EINVAL;
		*bytes += size;
	}
	return 0;
}
