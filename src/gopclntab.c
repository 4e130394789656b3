// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Go 1.18+ .gopclntab reader. Layouts from the Go runtime's own sources
 * (runtime/symtab.go, runtime/runtime2.go, runtime/symtabinl.go of 1.19 and
 * 1.23):
 *
 *   pcHeader: magic u32, pad u8 u8, minLC u8, ptrSize u8, then eight
 *   uintptrs: nfunc, nfiles, textStart, funcnameOffset, cuOffset,
 *   filetabOffset, pctabOffset, pclnOffset (offsets from the header).
 *
 *   functab at pclnOffset: nfunc+1 pairs {entryoff u32, funcoff u32}; the
 *   last pair's entryoff is the end of the text. funcoff counts from
 *   pclnOffset and leads to a _func:
 *     entryOff u32, nameOff i32, args i32, deferreturn u32, pcsp u32,
 *     pcfile u32, pcln u32, npcdata u32, cuOffset u32,
 *     [startLine i32: magic 0xfffffff1 only], funcID u8, flag u8, pad u8,
 *     nfuncdata u8, pcdata u32[npcdata], funcdata u32[nfuncdata].
 *
 *   pc-value tables (in pctab): pairs of uvarints, the value delta
 *   zig-zag coded, the pc delta times the quantum (1 on amd64); a zero
 *   value delta after the first pair ends the table; the value starts at -1.
 *
 *   The inline tree (funcdata 3) is an offset from moduledata.gofunc (the
 *   go:func.* area, in .rodata); entries are
 *     0xfffffff0 (1.18/1.19): parent i16, funcID u8, pad, file i32, line i32,
 *                             nameOff i32, parentPc i32          (20 bytes)
 *     0xfffffff1 (1.20+):     funcID u8, pad[3], nameOff i32, parentPc i32,
 *                             startLine i32                      (16 bytes)
 *   and pcdata 2 at a pc says which entry covers it (-1: none). As the
 *   runtime does since 1.21 (inlineUnwinder), an inlined frame's caller is
 *   found at entry + parentPc, whose pcfile/pcln give the call site: one
 *   walk for both layouts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "gopclntab.h"

#define MAGIC_GO118 0xfffffff0u
#define MAGIC_GO120 0xfffffff1u
#define HEADER_SIZE (8 + 8 * 8)

#define PCDATA_INLTREE_INDEX	   2
#define FUNCDATA_INLTREE	   3
#define NO_FUNCDATA		   0xffffffffu
#define INLINE_ENTRY_SIZE_1_18	   20
#define INLINE_ENTRY_SIZE_1_20	   16
/* Inlined frames followed from one pc before giving up on a looping tree. */
#define MAX_INLINE_DEPTH	   64
/* moduledata words: pcHeader first; gofunc is word 38 (1.18/1.19), 40 (1.20+: covctrs). */
#define MODULEDATA_TEXT_WORD	   22
#define MODULEDATA_NOPTRDATA_WORD  24
#define MODULEDATA_GOFUNC_WORD_118 38
#define MODULEDATA_GOFUNC_WORD_120 40

/* A byte range of the table: [start, end). */
struct region {
	size_t start, end;
};

struct gopclntab {
	uint8_t *data;
	size_t size;
	uint32_t magic;
	size_t nfunc;
	uint64_t text_start;
	struct region funcnames, cutab, filetab, pctab, functab;
	size_t func_header_size; /* 40 (1.18/1.19) or 44 (1.20+) */
	size_t funcid_offset;	 /* 36 or 40 */
	uint8_t *gofunc;	 /* the go:func.* area, or NULL: no inline frames */
	size_t gofunc_size;
};

/* A decoded _func, its variable arrays still in the table. */
struct func_rec {
	uint64_t entry, end;
	size_t off; /* of the record in data */
	uint32_t name_off, pcsp, pcfile, pcln, npcdata, cu_offset;
	uint8_t funcid, nfuncdata;
};

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* *out = the u32 at r.start + off, when it lies inside r. */
static bool region_u32(const struct gopclntab *t, struct region r, uint64_t off, uint32_t *out)
{
	if (off > r.end - r.start || r.end - r.start - off < 4)
		return false;
	*out = get_u32(t->data + r.start + off);
	return true;
}

/* A NUL-terminated string at r.start + off, inside r; NULL otherwise. */
static const char *region_str(const struct gopclntab *t, struct region r, uint64_t off)
{
	const char *s;

	if (off >= r.end - r.start)
		return NULL;
	s = (const char *)t->data + r.start + off;
	if (!memchr(s, '\0', r.end - r.start - off))
		return NULL;
	return s;
}

/* A region from start to the nearest other table start after it (or the end). */
static struct region region_at(size_t start, const size_t *starts, size_t nr, size_t size)
{
	struct region r = {.start = start, .end = size};
	size_t i;

	for (i = 0; i < nr; i++)
		if (starts[i] > start && starts[i] < r.end)
			r.end = starts[i];
	return r;
}

static int parse_header(struct gopclntab *t)
{
	const uint8_t *h = t->data;
	uint64_t offs[5];
	size_t starts[5], i, slots;

	if (t->size < HEADER_SIZE)
		return -EINVAL;
	t->magic = get_u32(h);
	if (t->magic != MAGIC_GO118 && t->magic != MAGIC_GO120)
		return -EINVAL;
	if (h[4] || h[5] || h[6] != 1 || h[7] != 8)
		return -EINVAL;
	t->nfunc = get_u64(h + 8);
	/* h + 16, nfiles: the cutab entries name the files; the count adds no check. */
	t->text_start = get_u64(h + 24);
	for (i = 0; i < 5; i++) {
		offs[i] = get_u64(h + 32 + 8 * i);
		if (offs[i] < HEADER_SIZE || offs[i] > t->size)
			return -EINVAL;
		starts[i] = (size_t)offs[i];
	}
	t->funcnames = region_at(starts[0], starts, 5, t->size);
	t->cutab = region_at(starts[1], starts, 5, t->size);
	t->filetab = region_at(starts[2], starts, 5, t->size);
	t->pctab = region_at(starts[3], starts, 5, t->size);
	t->functab = (struct region){.start = starts[4], .end = t->size};
	slots = (t->functab.end - t->functab.start) / 8;
	if (t->nfunc == 0 || slots < 1 || t->nfunc > slots - 1)
		return -EINVAL;
	t->func_header_size = t->magic == MAGIC_GO118 ? 40 : 44;
	t->funcid_offset = t->magic == MAGIC_GO118 ? 36 : 40;
	return 0;
}

/* The functab must be sorted for the binary search; checked once. */
static int check_functab(const struct gopclntab *t)
{
	const uint8_t *ft = t->data + t->functab.start;
	uint32_t prev = 0, cur;
	size_t i;

	for (i = 0; i <= t->nfunc; i++) {
		cur = get_u32(ft + 8 * i);
		if (cur < prev)
			return -EINVAL;
		prev = cur;
	}
	return 0;
}

int gopclntab__open(void *data, size_t size, struct gopclntab **out)
{
	struct gopclntab *t;
	int err;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		free(data);
		return -ENOMEM;
	}
	t->data = data;
	t->size = size;
	err = parse_header(t);
	if (!err)
		err = check_functab(t);
	if (err) {
		gopclntab__free(t);
		return err;
	}
	*out = t;
	return 0;
}

void gopclntab__free(struct gopclntab *t)
{
	if (!t)
		return;
	free(t->data);
	free(t->gofunc);
	free(t);
}

uint32_t gopclntab__magic(const struct gopclntab *t)
{
	return t->magic;
}

uint64_t gopclntab__text_start(const struct gopclntab *t)
{
	return t->text_start;
}

size_t gopclntab__nr_funcs(const struct gopclntab *t)
{
	return t->nfunc;
}

/* Function i of the functab, decoded and bounds-checked. */
static bool func_at(const struct gopclntab *t, size_t i, struct func_rec *f)
{
	size_t room = t->functab.end - t->functab.start;
	const uint8_t *ft, *p;
	uint32_t funcoff;

	if (i >= t->nfunc)
		return false;
	ft = t->data + t->functab.start + 8 * i;
	funcoff = get_u32(ft + 4);
	if (funcoff > room || room - funcoff < t->func_header_size)
		return false;
	f->off = t->functab.start + funcoff;
	p = t->data + f->off;
	/* The record names its own entry: a functab pointing elsewhere is corrupt. */
	if (get_u32(p) != get_u32(ft))
		return false;
	f->entry = t->text_start + get_u32(ft);
	f->end = t->text_start + get_u32(ft + 8);
	f->name_off = get_u32(p + 4);
	f->pcsp = get_u32(p + 16);
	f->pcfile = get_u32(p + 20);
	f->pcln = get_u32(p + 24);
	f->npcdata = get_u32(p + 28);
	f->cu_offset = get_u32(p + 32);
	f->funcid = p[t->funcid_offset];
	f->nfuncdata = p[t->funcid_offset + 3];
	if (f->npcdata > (room - funcoff - t->func_header_size) / 4 ||
	    f->nfuncdata > (room - funcoff - t->func_header_size) / 4 - f->npcdata)
		return false;
	return true;
}

static void fill_gofunc(const struct gopclntab *t, const struct func_rec *f, struct gofunc *out)
{
	out->entry = f->entry;
	out->end = f->end;
	out->name = region_str(t, t->funcnames, f->name_off);
	out->funcid = f->funcid;
}

/* Index of the function holding pc, or -1. */
static ssize_t func_index(const struct gopclntab *t, uint64_t pc)
{
	const uint8_t *ft = t->data + t->functab.start;
	uint64_t off;
	size_t lo = 0, hi = t->nfunc, mid;

	if (pc < t->text_start || pc - t->text_start > UINT32_MAX)
		return -1;
	off = pc - t->text_start;
	if (off >= get_u32(ft + 8 * t->nfunc))
		return -1;
	/* The last entry with entryoff <= off. */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (get_u32(ft + 8 * mid) <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (get_u32(ft + 8 * lo) > off)
		return -1;
	return (ssize_t)lo;
}

static int lookup_rec(const struct gopclntab *t, uint64_t pc, struct func_rec *f)
{
	ssize_t i = func_index(t, pc);

	if (i < 0 || !func_at(t, (size_t)i, f) || pc >= f->end)
		return -ENOENT;
	return 0;
}

int gopclntab__lookup(const struct gopclntab *t, uint64_t pc, struct gofunc *out)
{
	struct func_rec f;
	int err = lookup_rec(t, pc, &f);

	if (err)
		return err;
	fill_gofunc(t, &f, out);
	return out->name ? 0 : -ENOENT;
}

int gopclntab__find(const struct gopclntab *t, const char *name, struct gofunc *out)
{
	struct func_rec f;
	const char *fname;
	bool found = false;
	size_t i;

	for (i = 0; i < t->nfunc; i++) {
		if (!func_at(t, i, &f))
			continue;
		fname = region_str(t, t->funcnames, f.name_off);
		if (!fname || strcmp(fname, name))
			continue;
		if (found && f.funcid != GO_FUNCID_NORMAL)
			continue;
		fill_gofunc(t, &f, out);
		found = true;
		if (f.funcid == GO_FUNCID_NORMAL)
			break;
	}
	return found ? 0 : -ENOENT;
}

/* One uvarint at *pos inside r (at most 5 bytes, 32 bits). */
static bool read_uvarint(const struct gopclntab *t, struct region r, size_t *pos, uint32_t *out)
{
	uint32_t v = 0;
	unsigned int shift;
	uint8_t b;

	for (shift = 0; shift < 35; shift += 7) {
		if (*pos >= r.end)
			return false;
		b = t->data[(*pos)++];
		v |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/*
 * The value of the pc-value table at pctab + table_off for pc in f, as the
 * runtime's pcvalue: false when the table is absent, malformed or ends
 * before pc. Each step consumes at least a byte, so the walk is bounded.
 */
static bool pcvalue(const struct gopclntab *t, const struct func_rec *f, uint32_t table_off,
		    uint64_t pc, int32_t *out)
{
	struct region r = t->pctab;
	size_t pos;
	uint64_t cur = f->entry;
	uint32_t val = (uint32_t)-1, uvdelta, pcdelta;
	bool first = true;

	if (!table_off || table_off >= r.end - r.start)
		return false;
	pos = r.start + table_off;
	for (;;) {
		if (!read_uvarint(t, r, &pos, &uvdelta))
			return false;
		if (!uvdelta && !first)
			return false;
		first = false;
		val += -(uvdelta & 1) ^ (uvdelta >> 1);
		if (!read_uvarint(t, r, &pos, &pcdelta))
			return false;
		cur += pcdelta; /* quantum 1 on amd64 */
		if (pc < cur) {
			*out = (int32_t)val;
			return true;
		}
		if (cur >= f->end)
			return false;
	}
}

static const char *file_name(const struct gopclntab *t, const struct func_rec *f, uint64_t pc)
{
	int32_t fileno;
	uint32_t fileoff;

	if (!pcvalue(t, f, f->pcfile, pc, &fileno) || fileno < 0)
		return NULL;
	if (!region_u32(t, t->cutab, 4 * ((uint64_t)f->cu_offset + (uint32_t)fileno), &fileoff) ||
	    fileoff == NO_FUNCDATA)
		return NULL;
	return region_str(t, t->filetab, fileoff);
}

static void source_position(const struct gopclntab *t, const struct func_rec *f, uint64_t pc,
			    struct goframe *out)
{
	int32_t line;

	out->file = file_name(t, f, pc);
	out->line = pcvalue(t, f, f->pcln, pc, &line) && line > 0 ? line : 0;
}

/* Entry i of f's u32 arrays (pcdata, then funcdata); func_at checked they fit. */
static uint32_t func_u32(const struct gopclntab *t, const struct func_rec *f, size_t i)
{
	return get_u32(t->data + f->off + t->func_header_size + 4 * i);
}

static bool pcdata_table(const struct gopclntab *t, const struct func_rec *f, uint32_t i,
			 uint32_t *out)
{
	if (i >= f->npcdata)
		return false;
	*out = func_u32(t, f, i);
	return true;
}

static bool funcdata_off(const struct gopclntab *t, const struct func_rec *f, uint32_t i,
			 uint32_t *out)
{
	if (i >= f->nfuncdata)
		return false;
	*out = func_u32(t, f, f->npcdata + i);
	return *out != NO_FUNCDATA;
}

/* One inline tree entry: the inlined function's name and its parentPc. */
struct inline_entry {
	const char *name;
	int32_t parent_pc;
};

static bool inline_entry(const struct gopclntab *t, uint32_t tree_off, int32_t index,
			 struct inline_entry *e)
{
	size_t entry_size =
	    t->magic == MAGIC_GO118 ? INLINE_ENTRY_SIZE_1_18 : INLINE_ENTRY_SIZE_1_20;
	size_t name_at = t->magic == MAGIC_GO118 ? 12 : 4;
	uint64_t off = (uint64_t)tree_off + (uint64_t)index * entry_size;
	const uint8_t *p;

	if (!t->gofunc || index < 0 || off > t->gofunc_size || t->gofunc_size - off < entry_size)
		return false;
	p = t->gofunc + off;
	e->name = region_str(t, t->funcnames, get_u32(p + name_at));
	e->parent_pc = (int32_t)get_u32(p + name_at + 4);
	return e->name != NULL;
}

/* Inlined code whose callers cannot all be named: the outer function, no line. */
static size_t outer_only(const char *outer_name, struct goframe *out)
{
	out[0] = (struct goframe){.function = outer_name};
	return 1;
}

size_t gopclntab__frames(const struct gopclntab *t, uint64_t pc, struct goframe *out, size_t max)
{
	struct func_rec f;
	struct inline_entry e;
	uint32_t index_table = 0, tree_off = 0;
	bool has_index, has_tree;
	int32_t index;
	size_t n = 0, depth;
	const char *outer_name;

	if (!max || lookup_rec(t, pc, &f))
		return 0;
	outer_name = region_str(t, t->funcnames, f.name_off);
	if (!outer_name)
		return 0;
	has_index = pcdata_table(t, &f, PCDATA_INLTREE_INDEX, &index_table);
	has_tree = funcdata_off(t, &f, FUNCDATA_INLTREE, &tree_off);
	for (depth = 0;; depth++) {
		if (!has_index || !pcvalue(t, &f, index_table, pc, &index) || index < 0)
			break;
		if (!has_tree || depth == MAX_INLINE_DEPTH || n + 1 >= max ||
		    !inline_entry(t, tree_off, index, &e) || e.parent_pc < 0 ||
		    (uint64_t)e.parent_pc >= f.end - f.entry)
			return outer_only(outer_name, out);
		out[n] = (struct goframe){.function = e.name, .inlined = true};
		source_position(t, &f, pc, &out[n]);
		n++;
		pc = f.entry + (uint32_t)e.parent_pc;
	}
	out[n] = (struct goframe){.function = outer_name};
	source_position(t, &f, pc, &out[n]);
	return n + 1;
}

void gopclntab__set_gofunc(struct gopclntab *t, void *data, size_t size)
{
	free(t->gofunc);
	t->gofunc = data;
	t->gofunc_size = data ? size : 0;
}

int gopclntab__find_gofunc(const struct gopclntab *t, uint64_t table_vaddr, const void *data,
			   size_t size, uint64_t data_vaddr, uint64_t rodata_vaddr,
			   uint64_t *gofunc)
{
	size_t word =
	    t->magic == MAGIC_GO118 ? MODULEDATA_GOFUNC_WORD_118 : MODULEDATA_GOFUNC_WORD_120;
	size_t need = 8 * (word + 1), off;
	const uint8_t *p;
	uint64_t funcnametab = table_vaddr + t->funcnames.start;

	if (size < need)
		return -ENOENT;
	/* moduledata is 8-byte aligned; data_vaddr tells where the words fall. */
	for (off = (8 - data_vaddr % 8) % 8; off <= size - need; off += 8) {
		p = (const uint8_t *)data + off;
		if (get_u64(p) != table_vaddr || get_u64(p + 8) != funcnametab ||
		    get_u64(p + 8 * MODULEDATA_TEXT_WORD) != t->text_start ||
		    get_u64(p + 8 * MODULEDATA_NOPTRDATA_WORD) != data_vaddr)
			continue;
		/* rodata, the word before gofunc: the layout is the one we know. */
		if (get_u64(p + 8 * (word - 1)) != rodata_vaddr ||
		    get_u64(p + 8 * word) < rodata_vaddr)
			continue;
		*gofunc = get_u64(p + 8 * word);
		return 0;
	}
	return -ENOENT;
}

int gopclntab__sp_delta(const struct gopclntab *t, uint64_t pc, int32_t *delta)
{
	struct func_rec f;

	if (lookup_rec(t, pc, &f) || !pcvalue(t, &f, f.pcsp, pc, delta))
		return -ENOENT;
	return 0;
}
