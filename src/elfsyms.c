// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "elfsyms.h"
#include "hmap.h"

/* Caps what a hostile file can make us allocate. */
#define MAX_SYMBOLS	    (8u << 20)
#define MAX_SEGMENTS	    256
#define MAX_BUILD_ID	    64
/* MiniDebugInfo is a small symbol table; a bigger one is not what it claims. */
#define MAX_MINIDEBUG_BYTES (64u << 20)
#define MAX_DEBUGLINK	    255
/*
 * Names are copied once per string-table entry (not per symbol), cut at
 * MAX_NAME_LEN bytes; a file whose names need more than MAX_NAME_BYTES in
 * all is refused (-EFBIG).
 */
#define MAX_NAME_LEN	    ELF_SYMS_MAX_NAME_LEN
#define MAX_NAME_BYTES	    (64u << 20)

struct sym {
	uint64_t vaddr;
	uint64_t size;
	uint32_t name; /* offset in elf_syms.names */
	unsigned char bind;
	bool ifunc;
};

struct segment {
	uint64_t offset;
	uint64_t vaddr;
	uint64_t filesz;
};

struct elf_syms {
	struct sym *syms; /* sorted by vaddr, best-ranked alias first */
	size_t nr_syms;
	char *names; /* every symbol's name, NUL-terminated, once per string-table entry */
	size_t names_len, names_cap;
	struct segment segs[MAX_SEGMENTS];
	size_t nr_segs;
	char build_id[2 * MAX_BUILD_ID + 1];
	char debuglink[MAX_DEBUGLINK + 1]; /* "" when there is no .gnu_debuglink */
	uint32_t debuglink_crc;
	bool minidebuginfo; /* symbols merged from .gnu_debugdata */
	uint64_t r_debug;   /* the dynamic loader's _r_debug object, 0 if none */
};

static int read_segments(Elf *elf, struct elf_syms *syms)
{
	size_t nr_phdrs, i;
	GElf_Phdr phdr;

	if (elf_getphdrnum(elf, &nr_phdrs))
		return -EINVAL;
	for (i = 0; i < nr_phdrs && syms->nr_segs < MAX_SEGMENTS; i++) {
		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_LOAD)
			continue;
		syms->segs[syms->nr_segs].offset = phdr.p_offset;
		syms->segs[syms->nr_segs].vaddr = phdr.p_vaddr;
		syms->segs[syms->nr_segs].filesz = phdr.p_filesz;
		syms->nr_segs++;
	}
	return 0;
}

static void read_build_id(Elf_Data *data, struct elf_syms *syms)
{
	size_t offset = 0, name_off, desc_off, i;
	static const char hex[] = "0123456789abcdef";
	const unsigned char *desc;
	GElf_Nhdr nhdr;

	while ((offset = gelf_getnote(data, offset, &nhdr, &name_off, &desc_off)) > 0) {
		if (nhdr.n_type != NT_GNU_BUILD_ID || nhdr.n_namesz != 4 ||
		    memcmp((char *)data->d_buf + name_off, "GNU", 4) || nhdr.n_descsz == 0 ||
		    nhdr.n_descsz > MAX_BUILD_ID)
			continue;
		desc = (const unsigned char *)data->d_buf + desc_off;
		for (i = 0; i < nhdr.n_descsz; i++) {
			syms->build_id[2 * i] = hex[desc[i] >> 4];
			syms->build_id[2 * i + 1] = hex[desc[i] & 15];
		}
		syms->build_id[2 * nhdr.n_descsz] = '\0';
		return;
	}
}

/* Where one symbol table's names went in syms->names: st_name -> offset + 1. */
struct name_index {
	struct hmap offsets;
};

/* The length of name once cut at MAX_NAME_LEN, never in the middle of a UTF-8 sequence. */
static size_t cut_name_len(const char *name)
{
	size_t len = strnlen(name, MAX_NAME_LEN + 1);

	if (len <= MAX_NAME_LEN)
		return len;
	len = MAX_NAME_LEN;
	while (len > 0 && ((unsigned char)name[len] & 0xc0) == 0x80)
		len--;
	return len;
}

/* The offset of st_name's name in syms->names, copied on first use. */
static int intern_name(struct elf_syms *syms, struct name_index *index, uint32_t st_name,
		       const char *name, uint32_t *offset)
{
	size_t len = cut_name_len(name);
	uint64_t *slot;
	bool fresh;

	slot = hmap__put(&index->offsets, (struct hmap_key){.a = st_name}, &fresh);
	if (!slot)
		return -ENOMEM;
	if (!fresh) {
		*offset = (uint32_t)(*slot - 1);
		return 0;
	}
	if (syms->names_len + len + 1 > MAX_NAME_BYTES) {
		hmap__del(&index->offsets, (struct hmap_key){.a = st_name});
		return -EFBIG;
	}
	if (ARRAY_RESERVE(syms->names, syms->names_cap, syms->names_len + len + 1, 65536)) {
		hmap__del(&index->offsets, (struct hmap_key){.a = st_name});
		return -ENOMEM;
	}
	memcpy(syms->names + syms->names_len, name, len);
	syms->names[syms->names_len + len] = '\0';
	*offset = (uint32_t)syms->names_len;
	*slot = syms->names_len + 1;
	syms->names_len += len + 1;
	return 0;
}

static int add_symbol(struct elf_syms *syms, size_t *cap, const GElf_Sym *sym, uint32_t name)
{
	if (syms->nr_syms >= MAX_SYMBOLS)
		return -E2BIG;
	if (ARRAY_RESERVE(syms->syms, *cap, syms->nr_syms + 1, 1024))
		return -ENOMEM;
	syms->syms[syms->nr_syms].name = name;
	syms->syms[syms->nr_syms].vaddr = sym->st_value;
	syms->syms[syms->nr_syms].size = sym->st_size;
	syms->syms[syms->nr_syms].bind = GELF_ST_BIND(sym->st_info);
	syms->syms[syms->nr_syms].ifunc = GELF_ST_TYPE(sym->st_info) == STT_GNU_IFUNC;
	syms->nr_syms++;
	return 0;
}

/* name without a symbol version (.symtab spells them "name@VER" and "name@@VER"). */
static bool is_named(const char *name, const char *want)
{
	size_t len = strlen(want);

	return !strncmp(name, want, len) && (name[len] == '\0' || name[len] == '@');
}

static int read_symtab(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr, struct elf_syms *syms,
		       size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	struct name_index index;
	size_t count, i;
	const char *name;
	uint32_t name_off;
	GElf_Sym sym;
	int type, err = 0;

	if (!data || shdr->sh_entsize == 0)
		return 0;
	hmap__init(&index.offsets, sizeof(uint64_t));
	count = data->d_size / shdr->sh_entsize;
	for (i = 0; i < count && !err; i++) {
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
			continue;
		name = elf_strptr(elf, shdr->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		/* The one data symbol kept: where the loader says its link map is complete. */
		if (type == STT_OBJECT && is_named(name, "_r_debug"))
			syms->r_debug = sym.st_value;
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		err = intern_name(syms, &index, sym.st_name, name, &name_off);
		if (!err)
			err = add_symbol(syms, cap, &sym, name_off);
	}
	hmap__free(&index.offsets);
	return err;
}

/* Global beats weak beats local; then the name without leading underscores. */
static int sym_rank(const struct sym *s, const char *names)
{
	int rank = s->bind == STB_GLOBAL ? 0 : s->bind == STB_WEAK ? 2 : 4;

	return rank + (names[s->name] == '_');
}

static int compare_syms(const void *a, const void *b, void *names_arg)
{
	const struct sym *x = a, *y = b;
	const char *names = names_arg;
	int rank_x, rank_y;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	rank_x = sym_rank(x, names);
	rank_y = sym_rank(y, names);
	if (rank_x != rank_y)
		return rank_x - rank_y;
	return strcmp(names + x->name, names + y->name);
}

static void sort_symbols(struct elf_syms *syms)
{
	if (syms->nr_syms)
		qsort_r(syms->syms, syms->nr_syms, sizeof(*syms->syms), compare_syms, syms->names);
}

/* A versioned name ("name@VER", "name@@VER") as the version pass sorts them. */
struct versioned {
	const char *name;
	size_t base_len; /* bytes before the '@' */
	uint64_t vaddr;
	uint32_t name_off;
	bool hidden; /* "@VER": a non-default version, kept for old binaries */
};

/* Where a symbol version starts in name ('@'), or 0 when it has none. */
static size_t version_at(const char *name)
{
	const char *at = strchr(name, '@');
	const char *version = at && at[1] == '@' ? at + 2 : at ? at + 1 : NULL;

	return at && at != name && *version ? (size_t)(at - name) : 0;
}

static int compare_versioned(const void *a, const void *b)
{
	const struct versioned *x = a, *y = b;
	size_t common = x->base_len < y->base_len ? x->base_len : y->base_len;
	int diff = memcmp(x->name, y->name, common);

	if (diff)
		return diff;
	if (x->base_len != y->base_len)
		return x->base_len < y->base_len ? -1 : 1;
	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	return 0;
}

static bool same_base(const struct versioned *x, const struct versioned *y)
{
	return x->base_len == y->base_len && !memcmp(x->name, y->name, x->base_len);
}

/* Collects the symbols whose names carry a version. */
static int collect_versioned(const struct elf_syms *syms, struct versioned **out, size_t *nr_out)
{
	struct versioned *list = NULL;
	size_t nr = 0, cap = 0, i, at;
	const char *name;

	for (i = 0; i < syms->nr_syms; i++) {
		name = syms->names + syms->syms[i].name;
		at = version_at(name);
		if (!at)
			continue;
		if (ARRAY_RESERVE(list, cap, nr + 1, 256)) {
			free(list);
			return -ENOMEM;
		}
		list[nr].name = name;
		list[nr].base_len = at;
		list[nr].vaddr = syms->syms[i].vaddr;
		list[nr].name_off = syms->syms[i].name;
		list[nr].hidden = name[at + 1] != '@';
		nr++;
	}
	*out = list;
	*nr_out = nr;
	return 0;
}

/*
 * Names as gdb and perf print them: .symtab spells versioned symbols
 * "name@@VER" (the default) and "name@VER" (older ones); the version is cut,
 * except from an older version whose name another symbol at another address
 * also has (libc's memcpy@GLIBC_2.2.5 beside memcpy@@GLIBC_2.14).
 */
static void strip_versions(struct elf_syms *syms)
{
	struct versioned *list = NULL;
	size_t nr, i, j, k;
	bool clash;

	if (collect_versioned(syms, &list, &nr) || !nr) {
		free(list);
		return;
	}
	qsort(list, nr, sizeof(*list), compare_versioned);
	for (i = 0; i < nr; i = j) {
		clash = false;
		for (j = i + 1; j < nr && same_base(&list[i], &list[j]); j++)
			clash |= list[j].vaddr != list[i].vaddr;
		for (k = i; k < j; k++)
			if (!clash || !list[k].hidden)
				syms->names[list[k].name_off + list[k].base_len] = '\0';
	}
	free(list);
}

/* .gnu_debuglink: a file name (no directories), padding, then a CRC-32 of the debug file. */
static void read_debuglink(Elf_Data *data, struct elf_syms *syms)
{
	const char *name = data->d_buf;
	size_t len, crc_at;

	if (!name || data->d_size < 8)
		return;
	len = strnlen(name, data->d_size);
	crc_at = (len + 4) & ~(size_t)3;
	if (len == 0 || len > MAX_DEBUGLINK || crc_at + 4 > data->d_size ||
	    memchr(name, '/', len) || !strcmp(name, ".") || !strcmp(name, ".."))
		return;
	memcpy(syms->debuglink, name, len);
	syms->debuglink[len] = '\0';
	memcpy(&syms->debuglink_crc, (const char *)data->d_buf + crc_at, 4);
}

/* xz-decompresses in into a malloc'd buffer of at most MAX_MINIDEBUG_BYTES. */
static int unxz(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	size_t cap = in_len * 4 + 4096;
	uint8_t *buf = NULL, *bigger;
	lzma_ret ret;

	if (lzma_stream_decoder(&strm, MAX_MINIDEBUG_BYTES, 0) != LZMA_OK)
		return -ENOMEM;
	strm.next_in = in;
	strm.avail_in = in_len;
	do {
		if (!buf || strm.avail_out == 0) {
			if (buf)
				cap *= 2;
			if (cap > MAX_MINIDEBUG_BYTES)
				cap = MAX_MINIDEBUG_BYTES;
			bigger = buf && strm.total_out >= cap ? NULL : realloc(buf, cap);
			if (!bigger) {
				ret = LZMA_MEM_ERROR;
				break;
			}
			buf = bigger;
			strm.next_out = buf + strm.total_out;
			strm.avail_out = cap - strm.total_out;
		}
		ret = lzma_code(&strm, LZMA_FINISH);
	} while (ret == LZMA_OK);
	*out_len = strm.total_out;
	lzma_end(&strm);
	if (ret != LZMA_STREAM_END) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	return 0;
}

/* MiniDebugInfo: an xz-compressed ELF in .gnu_debugdata whose .symtab adds local functions. */
static void read_minidebuginfo(Elf_Data *data, struct elf_syms *syms, size_t *cap)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	uint8_t *image;
	size_t len;
	Elf *inner;

	if (!data->d_buf || unxz(data->d_buf, data->d_size, &image, &len))
		return;
	inner = elf_memory((char *)image, len);
	if (inner && elf_kind(inner) == ELF_K_ELF) {
		while ((scn = elf_nextscn(inner, scn)) != NULL)
			if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_SYMTAB &&
			    read_symtab(inner, scn, &shdr, syms, cap) == 0)
				syms->minidebuginfo = true;
	}
	elf_end(inner);
	free(image);
}

static int read_sections(Elf *elf, struct elf_syms *syms)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t cap = 0, strndx;
	const char *name;
	Elf_Data *data;
	int err;

	if (elf_getshdrstrndx(elf, &strndx))
		strndx = 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM) {
			err = read_symtab(elf, scn, &shdr, syms, &cap);
			if (err)
				return err;
			continue;
		}
		if (shdr.sh_type == SHT_NOBITS || !(data = elf_getdata(scn, NULL)))
			continue;
		name = strndx ? elf_strptr(elf, strndx, shdr.sh_name) : NULL;
		if (shdr.sh_type == SHT_NOTE && !syms->build_id[0])
			read_build_id(data, syms);
		else if (name && !strcmp(name, ".gnu_debuglink"))
			read_debuglink(data, syms);
		else if (name && !strcmp(name, ".gnu_debugdata"))
			read_minidebuginfo(data, syms, &cap);
	}
	strip_versions(syms);
	sort_symbols(syms);
	return 0;
}

struct elf_syms *elf_syms__load_fd(int fd)
{
	struct elf_syms *syms;
	Elf *elf;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		errno = ENOEXEC;
		return NULL;
	}
	syms = calloc(1, sizeof(*syms));
	if (!syms) {
		elf_end(elf);
		errno = ENOMEM;
		return NULL;
	}
	err = read_segments(elf, syms);
	if (!err)
		err = read_sections(elf, syms);
	elf_end(elf);
	if (err) {
		elf_syms__free(syms);
		errno = -err;
		return NULL;
	}
	return syms;
}

struct elf_syms *elf_syms__load(const char *path)
{
	struct elf_syms *syms;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	syms = elf_syms__load_fd(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return syms;
}

void elf_syms__free(struct elf_syms *syms)
{
	if (!syms)
		return;
	free(syms->names);
	free(syms->syms);
	free(syms);
}

int elf_syms__lookup(const struct elf_syms *syms, uint64_t vaddr, const char **name,
		     uint64_t *offset)
{
	size_t lo = 0, hi = syms->nr_syms, mid;
	const struct sym *s;

	/* The last symbol starting at or below vaddr. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (syms->syms[mid].vaddr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	lo--;
	/* Aliases share an address; the sort put the best-ranked name first. */
	while (lo > 0 && syms->syms[lo - 1].vaddr == syms->syms[lo].vaddr)
		lo--;
	s = &syms->syms[lo];
	/* A sized symbol must contain vaddr; an unsized one runs to the next. */
	if (s->size && vaddr - s->vaddr >= s->size)
		return -ENOENT;
	*name = syms->names + s->name;
	*offset = vaddr - s->vaddr;
	return 0;
}

int elf_syms__find(const struct elf_syms *syms, const char *name, struct elf_sym_info *info)
{
	size_t i;

	/* Linear: used a dozen times per attach, never on a hot path. */
	for (i = 0; i < syms->nr_syms; i++) {
		if (strcmp(syms->names + syms->syms[i].name, name))
			continue;
		info->name = syms->names + syms->syms[i].name;
		info->vaddr = syms->syms[i].vaddr;
		info->size = syms->syms[i].size;
		info->ifunc = syms->syms[i].ifunc;
		return 0;
	}
	return -ENOENT;
}

uint64_t elf_syms__r_debug(const struct elf_syms *syms)
{
	return syms->r_debug;
}

int elf_syms__vaddr_to_offset(const struct elf_syms *syms, uint64_t vaddr, uint64_t *offset)
{
	size_t i;

	for (i = 0; i < syms->nr_segs; i++) {
		const struct segment *seg = &syms->segs[i];

		if (vaddr >= seg->vaddr && vaddr - seg->vaddr < seg->filesz) {
			*offset = vaddr - seg->vaddr + seg->offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_syms__offset_to_vaddr(const struct elf_syms *syms, uint64_t offset, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < syms->nr_segs; i++) {
		const struct segment *seg = &syms->segs[i];

		if (offset >= seg->offset && offset - seg->offset < seg->filesz) {
			*vaddr = offset - seg->offset + seg->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

const char *elf_syms__debuglink(const struct elf_syms *syms, uint32_t *crc)
{
	*crc = syms->debuglink_crc;
	return syms->debuglink[0] ? syms->debuglink : NULL;
}

bool elf_syms__has_minidebuginfo(const struct elf_syms *syms)
{
	return syms->minidebuginfo;
}

size_t elf_syms__count(const struct elf_syms *syms)
{
	return syms->nr_syms;
}

size_t elf_syms__name_bytes(const struct elf_syms *syms)
{
	return syms->names_len;
}

const char *elf_syms__build_id(const struct elf_syms *syms)
{
	return syms->build_id;
}
