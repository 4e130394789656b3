// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "goelf.h"

struct go_sections {
	GElf_Shdr table, noptrdata, rodata;
	bool has_table, has_noptrdata, has_rodata;
};

/* size bytes at file offset off into a malloc'd buffer. */
static int read_bytes(int fd, uint64_t off, uint64_t size, uint64_t cap, void **out)
{
	uint8_t *buf;
	size_t done = 0;
	struct stat st;
	ssize_t got;

	*out = NULL;
	if (size > cap)
		return -EFBIG;
	if (fstat(fd, &st))
		return -errno;
	/* A section past the file's end is malformed: no buffer for it. */
	if (off > (uint64_t)st.st_size || size > (uint64_t)st.st_size - off)
		return -EINVAL;
	buf = malloc(size ? size : 1);
	if (!buf)
		return -ENOMEM;
	while (done < size) {
		got = pread(fd, buf + done, size - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			free(buf);
			return got < 0 ? -errno : -EIO; /* a short file */
		}
		done += (size_t)got;
	}
	*out = buf;
	return 0;
}

/* The named sections, by their exact names. */
static int find_sections(Elf *elf, struct go_sections *secs)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t strndx;
	const char *name;

	if (elf_getshdrstrndx(elf, &strndx))
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(elf, strndx, shdr.sh_name);
		if (!name)
			continue;
		if (!secs->has_table &&
		    (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab"))) {
			secs->table = shdr;
			secs->has_table = true;
		} else if (!secs->has_noptrdata && !strcmp(name, ".noptrdata")) {
			secs->noptrdata = shdr;
			secs->has_noptrdata = true;
		} else if (!secs->has_rodata && !strcmp(name, ".rodata")) {
			secs->rodata = shdr;
			secs->has_rodata = true;
		}
	}
	return secs->has_table ? 0 : -ENOENT;
}

/* The allocated section holding vaddr; false when none does. */
static bool section_holding(Elf *elf, uint64_t vaddr, GElf_Shdr *out)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_PROGBITS ||
		    !(shdr.sh_flags & SHF_ALLOC))
			continue;
		if (vaddr >= shdr.sh_addr && vaddr - shdr.sh_addr < shdr.sh_size) {
			*out = shdr;
			return true;
		}
	}
	return false;
}

/* Gives t the go:func.* area when moduledata is found; no area is no error. */
static void attach_gofunc(Elf *elf, int fd, const struct go_sections *secs, struct gopclntab *t)
{
	void *noptrdata, *area;
	uint64_t gofunc;
	GElf_Shdr holder;
	int err;

	if (!secs->has_noptrdata ||
	    read_bytes(fd, secs->noptrdata.sh_offset, secs->noptrdata.sh_size, GOELF_MAX_NOPTRDATA,
		       &noptrdata))
		return;
	err = gopclntab__find_gofunc(t, secs->table.sh_addr, noptrdata, secs->noptrdata.sh_size,
				     secs->noptrdata.sh_addr, secs->rodata.sh_addr, &gofunc);
	free(noptrdata);
	if (err || !section_holding(elf, gofunc, &holder))
		return;
	if (read_bytes(fd, holder.sh_offset + (gofunc - holder.sh_addr),
		       holder.sh_size - (gofunc - holder.sh_addr), GOELF_MAX_GOFUNC, &area))
		return;
	gopclntab__set_gofunc(t, area, holder.sh_size - (gofunc - holder.sh_addr));
}

int goelf__load_fd(int fd, struct gopclntab **out)
{
	struct go_sections secs = {0};
	struct gopclntab *t;
	void *table;
	Elf *elf;
	int err;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64) {
		elf_end(elf);
		return -ENOENT;
	}
	err = find_sections(elf, &secs);
	if (!err)
		err = read_bytes(fd, secs.table.sh_offset, secs.table.sh_size, GOELF_MAX_PCLNTAB,
				 &table);
	if (!err)
		err = gopclntab__open(table, secs.table.sh_size, &t);
	if (!err) {
		attach_gofunc(elf, fd, &secs, t);
		*out = t;
	}
	elf_end(elf);
	return err;
}
