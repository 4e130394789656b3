// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A Go executable, read once with libelf (ELF_C_READ: read, never mapped,
 * so a target truncating its file cannot raise SIGBUS here) and libdw.
 * Facts and their verification: /work/shared/research/go-runtime.md
 * sections 2.1 (probe sites), 3.3/3.4 (globals) and 4 (g offsets).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugsize.h"
#include "gobin.h"
#include "goelf.h"

/* Caps what a hostile file can make us read or allocate. */
#define MAX_SEGMENTS	    64
#define MAX_BUILDINFO_BYTES (1u << 20)
#define MAX_FUNC_BYTES	    (64u << 10)
#define MAX_VERSION_BYTES   256
#define MAX_SYMBOLS	    (8u << 20)
#define MAX_DEBUG_BYTES	    (1ULL << 30)
/* Top-level DIEs the search for runtime.g may visit. */
#define MAX_DWARF_DIES	    (4u << 20)
/* A runtime.g bigger than this is not one (Go 1.23: 432 bytes). */
#define MAX_G_SIZE	    4096
#define MAX_TYPEDEFS	    8

#define BUILDINFO_MAGIC	    "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define BUILDINFO_HDR	    32
#define FLAG_BIG_ENDIAN	    0x1
#define FLAG_VERSION_INLINE 0x2

/* Go versions whose runtime.g the table knows; others need DWARF. */
#define MIN_MINOR 18
#define MAX_MINOR 23

struct load_seg {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags;
};

/* The file being read. */
struct gofile {
	int fd;
	Elf *elf;
	GElf_Ehdr ehdr;
	size_t shstrndx;
	struct load_seg segs[MAX_SEGMENTS];
	size_t nr_segs;
	bool has_interp;
};

/* --- pure pieces ------------------------------------------------------------ */

static uint64_t read_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A run of decimal digits at *p (at most 4), advancing *p. 0 or -EINVAL. */
static int parse_number(const char **p, int *out)
{
	int n = 0, digits = 0;

	while (**p >= '0' && **p <= '9') {
		if (++digits > 4)
			return -EINVAL;
		n = n * 10 + (**p - '0');
		(*p)++;
	}
	if (!digits)
		return -EINVAL;
	*out = n;
	return 0;
}

int gobin__parse_version(const char *version, int *major, int *minor, int *patch)
{
	const char *p = version;
	int ma, mi, pa = 0;

	*major = *minor = *patch = 0;
	if (strncmp(p, "go", 2))
		return -EINVAL;
	p += 2;
	if (parse_number(&p, &ma) || *p++ != '.' || parse_number(&p, &mi))
		return -EINVAL;
	if (*p == '.' && (p++, parse_number(&p, &pa)))
		return -EINVAL;
	*major = ma;
	*minor = mi;
	*patch = pa;
	return 0;
}

/* A uvarint at data[*pos..size): 0 or -EINVAL. */
static int read_uvarint(const uint8_t *data, size_t size, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift;

	for (shift = 0; shift < 64 && *pos < size; shift += 7) {
		uint8_t b = data[(*pos)++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EINVAL;
}

/* Copies a version string: printable, cut at the first blank. 0 or -EINVAL. */
static int copy_version(const uint8_t *s, size_t n, char *version, size_t len)
{
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < n && i + 1 < len && s[i] != ' '; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e)
			return -EINVAL;
		version[i] = (char)s[i];
	}
	version[i] = '\0';
	return i ? 0 : -EINVAL;
}

int gobin__buildinfo_version(const uint8_t *data, size_t size, char *version, size_t len,
			     uint64_t *string_ptr, int *ptr_size)
{
	size_t pos = BUILDINFO_HDR;
	uint64_t n;
	int psize, flags;

	if (size < BUILDINFO_HDR || memcmp(data, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN))
		return -EINVAL;
	psize = data[14];
	flags = data[15];
	if (psize != 4 && psize != 8)
		return -EINVAL;
	if (flags & FLAG_VERSION_INLINE) {
		if (read_uvarint(data, size, &pos, &n) || n == 0 || n > MAX_VERSION_BYTES ||
		    n > size - pos)
			return -EINVAL;
		return copy_version(data + pos, (size_t)n, version, len);
	}
	if (flags & FLAG_BIG_ENDIAN)
		return -EINVAL; /* not an x86 binary */
	/* Go < 1.18: a pointer to runtime.buildVersion, a string header. */
	*string_ptr = read_le(data + 16, psize);
	*ptr_size = psize;
	return -EAGAIN;
}

int gobin__find_call(const uint8_t *code, size_t len, uint64_t vaddr, uint64_t target,
		     size_t *offset)
{
	size_t i;

	for (i = 0; i + 5 <= len; i++) {
		int32_t rel;

		if (code[i] != 0xe8)
			continue;
		rel = (int32_t)(uint32_t)read_le(code + i + 1, 4);
		if (vaddr + i + 5 + (uint64_t)(int64_t)rel == target) {
			*offset = i;
			return 0;
		}
	}
	return -ENOENT;
}

static bool is_rex_w(uint8_t b)
{
	return b >= 0x48 && b <= 0x4f;
}

int gobin__rip_load(const uint8_t *code, size_t len, uint64_t vaddr, bool wide, unsigned index,
		    uint64_t *addr)
{
	size_t i;

	/* 8B at i, modrm at i + 1, disp32 at i + 2: the next instruction at i + 6. */
	for (i = 1; i + 6 <= len; i++) {
		int32_t disp;

		if (code[i] != 0x8b || (code[i + 1] & 0xc7) != 0x05)
			continue;
		if (wide != is_rex_w(code[i - 1]) || code[i - 1] == 0x66)
			continue;
		if (index--)
			continue;
		disp = (int32_t)(uint32_t)read_le(code + i + 2, 4);
		*addr = vaddr + i + 6 + (uint64_t)(int64_t)disp;
		return 0;
	}
	return -ENOENT;
}

/* --- the per-version table of runtime.g (research note, section 4) -------- */

/* g.stack and g.sched (a gobuf at 56: sp 0, pc 8, bp 48) have not moved in 1.18-1.23. */
#define G_STACK_SCHED .stack_lo = 0, .stack_hi = 8, .sched_sp = 56, .sched_pc = 64, .sched_bp = 104

static const struct {
	int minor;
	struct go_g_offsets g;
} g_table[] = {
    /* 1.19.8: DWARF, and test_gobin checks it on every 1.19 toolchain found. */
    {19,
     {.goid = 152,
      .gopc = 296,
      .startpc = 312,
      .atomicstatus = 144,
      .waitsince = 168,
      .waitreason = 176,
      G_STACK_SCHED,
      .size = 392}},
    /* Not measured: inferred from 1.19 and g.labels' offset (note, section 4). */
    {20,
     {.goid = 152,
      .gopc = 296,
      .startpc = 312,
      .atomicstatus = 144,
      .waitsince = 168,
      .waitreason = 176,
      G_STACK_SCHED,
      .size = 392}},
    /* 1.21.13, 1.22.12: DWARF in the research note. */
    {21,
     {.goid = 152,
      .gopc = 280,
      .startpc = 296,
      .atomicstatus = 144,
      .waitsince = 168,
      .waitreason = 176,
      G_STACK_SCHED,
      .size = 408}},
    {22,
     {.goid = 152,
      .gopc = 280,
      .startpc = 296,
      .atomicstatus = 144,
      .waitsince = 168,
      .waitreason = 176,
      G_STACK_SCHED,
      .size = 424}},
    /* 1.23.5: g.syscallbp moved everything from atomicstatus on; checked like 1.19. */
    {23,
     {.goid = 160,
      .gopc = 288,
      .startpc = 304,
      .atomicstatus = 152,
      .waitsince = 176,
      .waitreason = 184,
      G_STACK_SCHED,
      .size = 432}},
};

int gobin__table_offsets(int major, int minor, struct go_g_offsets *out)
{
	size_t i;

	if (major != 1)
		return -ENOTSUP;
	for (i = 0; i < sizeof(g_table) / sizeof(g_table[0]); i++) {
		if (g_table[i].minor == minor) {
			*out = g_table[i].g;
			return 0;
		}
	}
	return -ENOTSUP;
}

/* --- reading the file ------------------------------------------------------- */

static int read_segments(struct gofile *f)
{
	size_t nr, i;
	GElf_Phdr phdr;

	if (elf_getphdrnum(f->elf, &nr))
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (!gelf_getphdr(f->elf, (int)i, &phdr))
			return -EINVAL;
		if (phdr.p_type == PT_INTERP)
			f->has_interp = true;
		if (phdr.p_type != PT_LOAD || f->nr_segs == MAX_SEGMENTS)
			continue;
		if (phdr.p_filesz > phdr.p_memsz || phdr.p_vaddr + phdr.p_memsz < phdr.p_vaddr ||
		    phdr.p_offset + phdr.p_filesz < phdr.p_offset)
			return -EINVAL;
		f->segs[f->nr_segs++] = (struct load_seg){.vaddr = phdr.p_vaddr,
							  .memsz = phdr.p_memsz,
							  .offset = phdr.p_offset,
							  .filesz = phdr.p_filesz,
							  .flags = phdr.p_flags};
	}
	return 0;
}

static void gofile__close(struct gofile *f)
{
	elf_end(f->elf);
	f->elf = NULL;
}

/* 0, -ENOEXEC (not a 64-bit ELF file), -EINVAL. */
static int gofile__open(int fd, struct gofile *f)
{
	*f = (struct gofile){.fd = fd};
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	f->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || gelf_getclass(f->elf) != ELFCLASS64 ||
	    !gelf_getehdr(f->elf, &f->ehdr)) {
		gofile__close(f);
		return -ENOEXEC;
	}
	if (elf_getshdrstrndx(f->elf, &f->shstrndx) || read_segments(f)) {
		gofile__close(f);
		return -EINVAL;
	}
	return 0;
}

/* The section named name, its header in *shdr; NULL when absent. */
static Elf_Scn *find_section(const struct gofile *f, const char *name, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	const char *sname;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, shdr))
			continue;
		sname = elf_strptr(f->elf, f->shstrndx, shdr->sh_name);
		if (sname && !strcmp(sname, name))
			return scn;
	}
	return NULL;
}

static bool has_section(const struct gofile *f, const char *name)
{
	GElf_Shdr shdr;

	return find_section(f, name, &shdr) != NULL;
}

/* A section's bytes as libelf read them, at most max: NULL when unreadable or too big. */
static Elf_Data *section_data(Elf_Scn *scn, const GElf_Shdr *shdr, size_t max)
{
	Elf_Data *data;

	if (shdr->sh_type == SHT_NOBITS || shdr->sh_size == 0 || shdr->sh_size > max ||
	    (shdr->sh_flags & SHF_COMPRESSED))
		return NULL;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || data->d_size != shdr->sh_size)
		return NULL;
	return data;
}

/* The file-backed segment holding [vaddr, vaddr + len). */
static const struct load_seg *segment_of(const struct gofile *f, uint64_t vaddr, uint64_t len)
{
	size_t i;

	for (i = 0; i < f->nr_segs; i++) {
		const struct load_seg *s = &f->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->filesz &&
		    len <= s->filesz - (vaddr - s->vaddr))
			return s;
	}
	return NULL;
}

/* len bytes at link-time address vaddr, from the file. 0, -ENOENT (not in the file), -EIO. */
static int read_vaddr(const struct gofile *f, uint64_t vaddr, void *buf, size_t len)
{
	const struct load_seg *s = segment_of(f, vaddr, len);
	ssize_t n;

	if (!s)
		return -ENOENT;
	n = pread(f->fd, buf, len, (off_t)(s->offset + (vaddr - s->vaddr)));
	return n == (ssize_t)len ? 0 : -EIO;
}

/* --- is it Go? -------------------------------------------------------------- */

static bool go_sections(const struct gofile *f)
{
	return has_section(f, ".go.buildinfo") || has_section(f, ".gopclntab") ||
	       has_section(f, ".data.rel.ro.gopclntab");
}

int gobin__is_go(int fd)
{
	struct gofile f;
	int err = gofile__open(fd, &f);

	if (err)
		return err == -ENOEXEC ? 0 : err;
	err = go_sections(&f);
	gofile__close(&f);
	return err;
}

/* --- version ---------------------------------------------------------------- */

/* Go < 1.18: the version is a string header elsewhere in the file. */
static int read_pointed_version(const struct gofile *f, uint64_t header, int psize,
				struct go_binary *gb)
{
	uint8_t hdr[16], text[MAX_VERSION_BYTES];
	uint64_t ptr, len;

	if (read_vaddr(f, header, hdr, 2 * (size_t)psize))
		return -EINVAL;
	ptr = read_le(hdr, psize);
	len = read_le(hdr + psize, psize);
	if (len == 0 || len > sizeof(text) || read_vaddr(f, ptr, text, (size_t)len))
		return -EINVAL;
	return copy_version(text, (size_t)len, gb->version, sizeof(gb->version));
}

static void read_version(const struct gofile *f, struct go_binary *gb)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(f, ".go.buildinfo", &shdr);
	Elf_Data *data = scn ? section_data(scn, &shdr, MAX_BUILDINFO_BYTES) : NULL;
	uint64_t header = 0;
	int psize = 8, err;

	if (!data)
		return;
	err = gobin__buildinfo_version(data->d_buf, data->d_size, gb->version, sizeof(gb->version),
				       &header, &psize);
	if (err == -EAGAIN)
		err = read_pointed_version(f, header, psize, gb);
	if (err || gobin__parse_version(gb->version, &gb->major, &gb->minor, &gb->patch))
		gb->major = gb->minor = gb->patch = 0;
	if (err)
		gb->version[0] = '\0';
}

/* --- runtime.g from DWARF ----------------------------------------------------- */

/*
 * libdw runs strlen on strings at their offset in .debug_str and
 * .debug_line_str: a section without a final NUL is read past its end.
 */
static bool dwarf_strings_terminated(const struct gofile *f)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	const char *name;
	Elf_Data *data;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) ||
		    !(name = elf_strptr(f->elf, f->shstrndx, shdr.sh_name)) ||
		    !(strstr(name, "debug_str") || strstr(name, "debug_line_str")) ||
		    strstr(name, "offsets"))
			continue;
		data = elf_getdata(scn, NULL); /* read (and decompressed) by dwarf_begin_elf */
		if (data && data->d_buf && data->d_size &&
		    ((const char *)data->d_buf)[data->d_size - 1] != '\0')
			return false;
	}
	return true;
}

/* The constant DW_AT_data_member_location of member named name in struct die. 0 or -ENOENT. */
static int member_offset(Dwarf_Die *die, const char *name, uint32_t *offset, Dwarf_Die *type)
{
	Dwarf_Attribute attr;
	Dwarf_Word value;
	Dwarf_Die child;
	const char *cname;

	if (dwarf_child(die, &child) != 0)
		return -ENOENT;
	do {
		if (dwarf_tag(&child) != DW_TAG_member || !(cname = dwarf_diename(&child)) ||
		    strcmp(cname, name))
			continue;
		if (!dwarf_attr(&child, DW_AT_data_member_location, &attr) ||
		    dwarf_formudata(&attr, &value) || value >= MAX_G_SIZE)
			return -ENOENT;
		if (type && !dwarf_formref_die(dwarf_attr(&child, DW_AT_type, &attr), type))
			return -ENOENT;
		*offset = (uint32_t)value;
		return 0;
	} while (dwarf_siblingof(&child, &child) == 0);
	return -ENOENT;
}

/* The struct a type names through typedefs (Go: runtime.stack -> struct runtime.stack). */
static int peel_typedefs(Dwarf_Die *type)
{
	Dwarf_Attribute attr;
	int depth;

	for (depth = 0; depth < MAX_TYPEDEFS && dwarf_tag(type) == DW_TAG_typedef; depth++)
		if (!dwarf_formref_die(dwarf_attr(type, DW_AT_type, &attr), type))
			return -ENOENT;
	return dwarf_tag(type) == DW_TAG_structure_type ? 0 : -ENOENT;
}

/* Offset of outer.inner: the member outer of g, then inner in its (struct) type. */
static int nested_offset(Dwarf_Die *g, const char *outer, const char *inner, uint32_t *offset)
{
	Dwarf_Die type;
	uint32_t base, off;

	if (member_offset(g, outer, &base, &type) || peel_typedefs(&type) ||
	    member_offset(&type, inner, &off, NULL))
		return -ENOENT;
	*offset = base + off;
	return 0;
}

/* Whether each field, read at its offset with its width, lies inside the g. */
static bool g_offsets_fit(const struct go_g_offsets *o)
{
	const uint32_t fields[][2] = {
	    {o->goid, 8},      {o->gopc, 8},	   {o->startpc, 8},  {o->atomicstatus, 4},
	    {o->waitsince, 8}, {o->waitreason, 1}, {o->stack_lo, 8}, {o->stack_hi, 8},
	    {o->sched_sp, 8},  {o->sched_pc, 8},   {o->sched_bp, 8},
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i][0] + fields[i][1] > o->size)
			return false;
	return true;
}

static int g_offsets_of(Dwarf_Die *g, struct go_g_offsets *out)
{
	struct go_g_offsets o = {0};
	const struct {
		const char *outer, *inner; /* inner: NULL for a member of g itself */
		uint32_t *offset;
	} members[] = {
	    {"goid", NULL, &o.goid},	       {"gopc", NULL, &o.gopc},
	    {"startpc", NULL, &o.startpc},     {"atomicstatus", NULL, &o.atomicstatus},
	    {"waitsince", NULL, &o.waitsince}, {"waitreason", NULL, &o.waitreason},
	    {"stack", "lo", &o.stack_lo},      {"stack", "hi", &o.stack_hi},
	    {"sched", "sp", &o.sched_sp},      {"sched", "pc", &o.sched_pc},
	    {"sched", "bp", &o.sched_bp},
	};
	int size = dwarf_bytesize(g);
	size_t i;

	if (size <= 0 || size > MAX_G_SIZE)
		return -EINVAL;
	o.size = (uint32_t)size;
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		int err =
		    members[i].inner
			? nested_offset(g, members[i].outer, members[i].inner, members[i].offset)
			: member_offset(g, members[i].outer, members[i].offset, NULL);

		if (err)
			return err;
	}
	if (!g_offsets_fit(&o))
		return -EINVAL;
	*out = o;
	return 0;
}

/* The DIE of struct runtime.g among the units' top-level DIEs. 0 or -ENOENT. */
static int find_g_die(Dwarf *dw, Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize, visited = 0;
	Dwarf_Die unit, die;
	const char *name;

	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		if (dwarf_offdie(dw, off + hsize, &unit) && dwarf_child(&unit, &die) == 0) {
			do {
				if (++visited > MAX_DWARF_DIES)
					return -ENOENT;
				if (dwarf_tag(&die) == DW_TAG_structure_type &&
				    (name = dwarf_diename(&die)) && !strcmp(name, "runtime.g") &&
				    dwarf_child(&die, &(Dwarf_Die){0}) == 0) {
					*out = die;
					return 0;
				}
			} while (dwarf_siblingof(&die, &die) == 0);
		}
		off = next;
	}
	return -ENOENT;
}

static void read_dwarf_g(const struct gofile *f, struct go_binary *gb)
{
	uint64_t bytes;
	Dwarf_Die g;
	Dwarf *dw;

	gb->has_dwarf = has_section(f, ".debug_info") || has_section(f, ".zdebug_info");
	if (!gb->has_dwarf || debugsize__of(f->elf, &bytes) || bytes == 0 ||
	    bytes > MAX_DEBUG_BYTES)
		return;
	dw = dwarf_begin_elf(f->elf, DWARF_C_READ, NULL);
	if (!dw)
		return;
	if (dwarf_strings_terminated(f) && !find_g_die(dw, &g) && !g_offsets_of(&g, &gb->g))
		gb->g_from_dwarf = true;
	dwarf_end(dw);
}

/* --- probe sites ---------------------------------------------------------------- */

/* A function's bytes: malloc'd in *code (free it), its length in *len. */
static int function_code(const struct gofile *f, const struct gofunc *fn, uint8_t **code,
			 size_t *len)
{
	size_t n;
	int err;

	if (fn->end <= fn->entry || fn->end - fn->entry > MAX_FUNC_BYTES)
		return -EINVAL;
	n = (size_t)(fn->end - fn->entry);
	*code = malloc(n);
	if (!*code)
		return -ENOMEM;
	err = read_vaddr(f, fn->entry, *code, n);
	if (err) {
		free(*code);
		*code = NULL;
		return err;
	}
	*len = n;
	return 0;
}

/* The executable segment's file offset of vaddr. 0 or -ENOENT. */
static int text_file_offset(const struct gofile *f, uint64_t vaddr, uint64_t *offset)
{
	const struct load_seg *s = segment_of(f, vaddr, 1);

	if (!s || !(s->flags & PF_X))
		return -ENOENT;
	*offset = s->offset + (vaddr - s->vaddr);
	return 0;
}

struct site_spec {
	const char *caller, *callee;
	bool after_call; /* the instruction after the CALL (its return address) */
	int reg, role;
};

/* Finds spec's site and appends it. 0, -ENOENT (caller, callee or the CALL missing). */
static int add_site(const struct gofile *f, struct go_binary *gb, const struct site_spec *spec)
{
	struct gofunc caller, callee;
	struct go_probe_site *site;
	uint8_t *code;
	size_t len, at;
	uint64_t vaddr, offset;
	int err;

	if (gb->nr_sites == GO_MAX_SITES || gopclntab__find(gb->pcln, spec->caller, &caller) ||
	    gopclntab__find(gb->pcln, spec->callee, &callee))
		return -ENOENT;
	err = function_code(f, &caller, &code, &len);
	if (err)
		return err;
	err = gobin__find_call(code, len, caller.entry, callee.entry, &at);
	free(code);
	if (err)
		return err;
	vaddr = caller.entry + at + (spec->after_call ? 5 : 0);
	if (vaddr >= caller.end || text_file_offset(f, vaddr, &offset))
		return -ENOENT;
	site = &gb->sites[gb->nr_sites];
	*site = (struct go_probe_site){.vaddr = vaddr,
				       .file_offset = offset,
				       .reg = spec->reg,
				       .role = spec->role,
				       .where = gb->where_text[gb->nr_sites]};
	snprintf(gb->where_text[gb->nr_sites], sizeof(gb->where_text[0]), "%s+%#llx (%sCALL %s)",
		 spec->caller, (unsigned long long)(vaddr - caller.entry),
		 spec->after_call ? "after " : "", spec->callee);
	gb->nr_sites++;
	return 0;
}

static bool has_function(const struct go_binary *gb, const char *name)
{
	struct gofunc fn;

	return gopclntab__find(gb->pcln, name, &fn) == 0;
}

static void find_sites(const struct gofile *f, struct go_binary *gb)
{
	static const struct site_spec create = {"runtime.newproc.func1", "runtime.runqput", false,
						GO_REG_RBX, GO_SITE_CREATE};
	static const struct site_spec coro = {"runtime.newcoro.func1", "runtime.newproc1", true,
					      GO_REG_RAX, GO_SITE_CREATE};
	static const struct site_spec gdestroy = {"runtime.gdestroy", "runtime.casgstatus", false,
						  GO_REG_RAX, GO_SITE_EXIT};
	static const struct site_spec goexit0 = {"runtime.goexit0", "runtime.casgstatus", false,
						 GO_REG_RAX, GO_SITE_EXIT};
	const struct site_spec *exit = has_function(gb, "runtime.gdestroy") ? &gdestroy : &goexit0;

	if (add_site(f, gb, &create))
		gb->probes_off = "no 'CALL runtime.runqput' found in runtime.newproc.func1";
	else if (add_site(f, gb, exit))
		gb->probes_off = exit == &gdestroy
				     ? "no 'CALL runtime.casgstatus' found in runtime.gdestroy"
				     : "no 'CALL runtime.casgstatus' found in runtime.goexit0";
	/* Coroutines exist only where the linker kept newcoro (Go >= 1.22, iter.Pull). */
	else if (has_function(gb, coro.caller) && add_site(f, gb, &coro))
		gb->probes_off = "no 'CALL runtime.newproc1' found in runtime.newcoro.func1";
	if (gb->probes_off)
		gb->nr_sites = 0;
}

/* --- runtime globals ------------------------------------------------------------- */

/* Whether [addr, addr + size) lies in .data, .noptrdata, .bss or .noptrbss. */
static bool in_data_section(const struct gofile *f, uint64_t addr, uint64_t size)
{
	static const char *const names[] = {".data", ".noptrdata", ".bss", ".noptrbss"};
	GElf_Shdr shdr;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (find_section(f, names[i], &shdr) && (shdr.sh_flags & SHF_WRITE) &&
		    addr >= shdr.sh_addr && addr - shdr.sh_addr <= shdr.sh_size &&
		    size <= shdr.sh_size - (addr - shdr.sh_addr))
			return true;
	}
	return false;
}

enum global_id { G_ALLGS, G_MBUCKETS, G_MPROFCYCLE, G_MEMPROFILERATE, G_DISABLE, NR_GLOBALS };

static const struct {
	const char *symbol;
	uint64_t size;	     /* bytes that must lie in the data section */
	const char *in_func; /* stripped: the function that loads it */
	bool wide;	     /* ... with a 64-bit mov, else 32-bit */
	unsigned index;	     /* ... the index-th such load */
} global_specs[NR_GLOBALS] = {
    [G_ALLGS] = {"runtime.allgs", 24, "runtime.forEachG", true, 0},
    [G_MBUCKETS] = {"runtime.mbuckets", 8, "runtime.mProf_FlushLocked", true, 0},
    [G_MPROFCYCLE] = {"runtime.mProfCycle", 4, "runtime.mProf_Flush", false, 0},
    /* The first 64-bit load in profilealloc is runtime.mcache0. */
    [G_MEMPROFILERATE] = {"runtime.MemProfileRate", 8, "runtime.profilealloc", true, 1},
    [G_DISABLE] = {"runtime.disableMemoryProfiling", 1, NULL, false, 0},
};

/* Addresses of the globals in .symtab (0 each when absent). */
static void symtab_globals(const struct gofile *f, struct go_binary *gb, uint64_t *addrs)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	size_t i, nr, k;
	GElf_Sym sym;
	const char *name;

	while ((scn = elf_nextscn(f->elf, scn)))
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_SYMTAB)
			break;
	if (!scn || !shdr.sh_entsize || !(data = elf_getdata(scn, NULL)))
		return;
	nr = data->d_size / shdr.sh_entsize;
	gb->has_symtab = nr > 1;
	for (i = 1; i < nr && i < MAX_SYMBOLS; i++) {
		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
		    !(name = elf_strptr(f->elf, shdr.sh_link, sym.st_name)) ||
		    strncmp(name, "runtime.", 8))
			continue;
		for (k = 0; k < NR_GLOBALS; k++)
			if (!strcmp(name, global_specs[k].symbol))
				addrs[k] = sym.st_value;
	}
}

/* A global's address from the stripped-binary heuristics (note, section 3.3); 0 if none. */
static uint64_t heuristic_global(const struct gofile *f, const struct go_binary *gb,
				 enum global_id id)
{
	struct gofunc fn;
	uint8_t *code;
	uint64_t addr = 0;
	size_t len;

	if (!gb->pcln || !global_specs[id].in_func || f->ehdr.e_machine != EM_X86_64 ||
	    gopclntab__find(gb->pcln, global_specs[id].in_func, &fn) ||
	    function_code(f, &fn, &code, &len))
		return 0;
	if (gobin__rip_load(code, len, fn.entry, global_specs[id].wide, global_specs[id].index,
			    &addr))
		addr = 0;
	free(code);
	return addr;
}

/*
 * Whether the linker turned heap profiling off. With .symtab: the byte of
 * disableMemoryProfiling (1 in .data when set, else it lies in
 * .noptrbss: 0). Stripped: the linker sets it exactly when
 * runtime.MemProfile (1.23: runtime.memProfileInternal) is unreachable,
 * i.e. absent from the pclntab. MemProfileRate's value in the file says
 * nothing: 0 in .noptrbss (1.19) or 524288 in .noptrdata (1.23) with and
 * without runtime/pprof; the runtime zeroes it at init.
 */
static bool memory_profiling_disabled(const struct gofile *f, const struct go_binary *gb,
				      uint64_t disable_addr)
{
	uint8_t byte;

	if (disable_addr && in_data_section(f, disable_addr, 1)) {
		if (read_vaddr(f, disable_addr, &byte, 1))
			return false; /* in .noptrbss: zero */
		return byte != 0;
	}
	return gb->pcln && !has_function(gb, "runtime.MemProfile") &&
	       !has_function(gb, "runtime.memProfileInternal");
}

static void find_globals(const struct gofile *f, struct go_binary *gb)
{
	uint64_t addrs[NR_GLOBALS] = {0};
	uint64_t *dest[] = {&gb->globals.allgs, &gb->globals.mbuckets, &gb->globals.mprofcycle,
			    &gb->globals.memprofilerate};
	bool all_symtab = true;
	int k;

	symtab_globals(f, gb, addrs);
	for (k = 0; k < G_DISABLE; k++) {
		if (!addrs[k] || !in_data_section(f, addrs[k], global_specs[k].size)) {
			all_symtab = false;
			addrs[k] = heuristic_global(f, gb, (enum global_id)k);
		}
		if (addrs[k] && in_data_section(f, addrs[k], global_specs[k].size))
			*dest[k] = addrs[k];
	}
	gb->globals.from_symtab = all_symtab;
	gb->profiling_disabled = memory_profiling_disabled(f, gb, addrs[G_DISABLE]);
}

/* --- the rest ---------------------------------------------------------------------- */

/* Whether a DT_NEEDED entry names libc. */
static bool needs_libc(const struct gofile *f)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(f, ".dynamic", &shdr);
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
	const char *name;
	GElf_Dyn dyn;
	size_t i;

	if (!data || shdr.sh_type != SHT_DYNAMIC || !shdr.sh_entsize)
		return false;
	for (i = 0; i < data->d_size / shdr.sh_entsize && i < 4096; i++) {
		if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag == DT_NEEDED &&
		    (name = elf_strptr(f->elf, shdr.sh_link, dyn.d_un.d_val)) &&
		    !strncmp(name, "libc.", 5))
			return true;
	}
	return false;
}

/* The g offsets and why not. */
static void choose_g_offsets(const struct gofile *f, struct go_binary *gb)
{
	bool known = gb->major == 1 && gb->minor >= MIN_MINOR && gb->minor <= MAX_MINOR;

	read_dwarf_g(f, gb);
	if (gb->g_from_dwarf)
		return;
	if (!gb->version[0])
		gb->unsupported =
		    "unknown Go version (no .go.buildinfo) and no DWARF for runtime.g";
	else if (!known)
		gb->unsupported =
		    gb->major == 1 && gb->minor < MIN_MINOR
			? "Go older than 1.18 is not supported"
			: "Go version newer than 1.23 without DWARF: runtime.g layout unknown";
	else if (gobin__table_offsets(gb->major, gb->minor, &gb->g))
		gb->unsupported = "no runtime.g offsets for this Go version (build it without -w, "
				  "DWARF gives them)";
}

static int analyze(const struct gofile *f, struct go_binary *gb)
{
	int err;

	gb->pie = f->ehdr.e_type == ET_DYN;
	gb->cgo = needs_libc(f) || (f->has_interp && !gb->pie);
	read_version(f, gb);
	/* gopclntab's own loader: it also finds the inline trees (go:func.*). */
	err = goelf__load_fd(f->fd, &gb->pcln);
	if (err == -ENOMEM)
		return err;
	if (err == -ENOENT)
		gb->unsupported = "no .gopclntab section";
	else if (err == -EFBIG)
		gb->unsupported = ".gopclntab too big";
	else if (err)
		gb->unsupported = "unreadable or unsupported .gopclntab (Go older than 1.18?)";
	if (f->ehdr.e_machine != EM_X86_64 && !gb->unsupported)
		gb->unsupported = "Go goroutine tracing supports x86-64 binaries only";
	if (!gb->unsupported)
		choose_g_offsets(f, gb);
	find_globals(f, gb);
	if (!gb->unsupported)
		find_sites(f, gb);
	return 0;
}

int gobin__analyze(int fd, struct go_binary **out)
{
	struct go_binary *gb;
	struct gofile f;
	int err;

	*out = NULL;
	err = gofile__open(fd, &f);
	if (err)
		return err;
	if (!go_sections(&f)) {
		gofile__close(&f);
		return -ENOEXEC;
	}
	gb = calloc(1, sizeof(*gb));
	err = gb ? analyze(&f, gb) : -ENOMEM;
	gofile__close(&f);
	if (err) {
		gobin__free(gb);
		return err;
	}
	*out = gb;
	return 0;
}

void gobin__free(struct go_binary *gb)
{
	if (!gb)
		return;
	if (gb->pcln)
		gopclntab__free(gb->pcln);
	free(gb);
}
