// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "cfi.h"
#include "cfi_scan.h"
#include "debugsize.h"

/* x86-64 DWARF register numbers. */
#define DW_REG_RBP 6
#define DW_REG_RSP 7
#define DW_REG_RA  16

/* Caps what a hostile file can make us allocate or loop over. */
#define MAX_ROWS	(16u << 20)
#define MAX_LOOKUPS	(16u << 20)
/*
 * A hostile file (huge segments, endless FDE programs) must not stall the
 * daemon: the clock is read at every lookup, and cfi_scan bounds what one
 * lookup costs.
 */
#define MAX_BUILD_NS	(2000000000ULL)
/* .debug_frame comes with the file's whole DWARF, which libdw reads into memory. */
#define MAX_DEBUG_BYTES (256ULL << 20)
/*
 * Step through code no FDE covers: by 16 bytes (function alignment) at
 * first, doubling every GAP_PATIENCE misses up to GAP_STEP_MAX, so a huge
 * gap costs a few thousand lookups, not millions.
 */
#define GAP_STEP	16
#define GAP_STEP_MAX	4096
#define GAP_PATIENCE	64

#define MAX_EXEC_SEGMENTS 16

struct exec_segment {
	uint64_t offset, vaddr, filesz;
};

struct cfi_table {
	struct ml_unwind_row *rows;
	size_t nr, cap;
	struct cfi_stats stats;
	struct exec_segment segs[MAX_EXEC_SEGMENTS];
	size_t nr_segs;
	uint64_t started_ns;
};

static int push_row(struct cfi_table *t, const struct ml_unwind_row *row)
{
	struct ml_unwind_row *last = t->nr ? &t->rows[t->nr - 1] : NULL;

	if (last && last->pc == row->pc) {
		*last = *row; /* a later range starting at the same pc wins */
		return 0;
	}
	if (last && last->cfa_kind == row->cfa_kind && last->cfa_off == row->cfa_off &&
	    last->rbp_off == row->rbp_off && last->plt_lit == row->plt_lit)
		return 0;
	if (t->nr == MAX_ROWS)
		return -E2BIG;
	if (ARRAY_RESERVE(t->rows, t->cap, t->nr + 1, 4096))
		return -ENOMEM;
	t->rows[t->nr++] = *row;
	return 0;
}

static bool fits_s16(int64_t value)
{
	return value >= INT16_MIN && value <= INT16_MAX;
}

/*
 * The x86-64 PLT expression binutils emits:
 *   rsp + off + ((rip & 15) >= lit ? 8 : 0)
 * as DW_OP_breg7 off; breg16 0; lit15; and; litN; ge; lit3; shl; plus.
 */
static bool decode_plt_cfa(const Dwarf_Op *ops, size_t nops, struct ml_unwind_row *row)
{
	static const uint8_t shape[] = {DW_OP_breg7, DW_OP_breg16, DW_OP_lit15, DW_OP_and, 0,
					DW_OP_ge,    DW_OP_lit3,   DW_OP_shl,	DW_OP_plus};
	size_t i;

	if (nops != sizeof(shape))
		return false;
	for (i = 0; i < nops; i++)
		if (i != 4 && ops[i].atom != shape[i])
			return false;
	if (ops[1].number != 0 || ops[4].atom < DW_OP_lit0 || ops[4].atom > DW_OP_lit31 ||
	    !fits_s16((int64_t)ops[0].number))
		return false;
	row->cfa_kind = ML_CFA_PLT;
	row->cfa_off = (int16_t)(int64_t)ops[0].number;
	row->plt_lit = (uint8_t)(ops[4].atom - DW_OP_lit0);
	return true;
}

static bool decode_cfa(Dwarf_Frame *frame, struct ml_unwind_row *row)
{
	Dwarf_Op *ops;
	size_t nops;
	int64_t off;

	if (dwarf_frame_cfa(frame, &ops, &nops) || nops == 0)
		return false;
	if (nops == 1 && ops[0].atom == DW_OP_bregx) {
		off = (int64_t)ops[0].number2;
		if (!fits_s16(off) || (ops[0].number != DW_REG_RSP && ops[0].number != DW_REG_RBP))
			return false;
		row->cfa_kind = ops[0].number == DW_REG_RSP ? ML_CFA_RSP : ML_CFA_RBP;
		row->cfa_off = (int16_t)off;
		return true;
	}
	return decode_plt_cfa(ops, nops, row);
}

/* A register saved at CFA + offset: libdw's "call_frame_cfa; plus_uconst N". */
static bool saved_at_cfa(const Dwarf_Op *ops, size_t nops, int64_t *offset)
{
	if (nops == 1 && ops[0].atom == DW_OP_call_frame_cfa) {
		*offset = 0;
		return true;
	}
	if (nops == 2 && ops[0].atom == DW_OP_call_frame_cfa && ops[1].atom == DW_OP_plus_uconst) {
		*offset = (int64_t)ops[1].number;
		return true;
	}
	return false;
}

enum reg_rule { REG_SAME, REG_UNDEFINED, REG_AT_CFA, REG_OTHER };

static enum reg_rule decode_register(Dwarf_Frame *frame, int regno, int64_t *offset)
{
	Dwarf_Op ops_mem[3], *ops;
	size_t nops;

	if (dwarf_frame_register(frame, regno, ops_mem, &ops, &nops))
		return REG_OTHER;
	if (nops == 0)
		return ops ? REG_UNDEFINED : REG_SAME;
	return saved_at_cfa(ops, nops, offset) ? REG_AT_CFA : REG_OTHER;
}

/* One libdw frame state as a row; rows the walker cannot follow say so. */
static void frame_to_row(Dwarf_Frame *frame, struct ml_unwind_row *row)
{
	int64_t ra_off = 0, rbp_off = 0;
	enum reg_rule ra = decode_register(frame, DW_REG_RA, &ra_off);
	enum reg_rule rbp;

	if (ra == REG_UNDEFINED) {
		row->cfa_kind = ML_CFA_END;
		return;
	}
	/* The walker reads the return address at CFA - 8, as every x86-64 call leaves it. */
	if (ra != REG_AT_CFA || ra_off != -8 || !decode_cfa(frame, row)) {
		row->cfa_kind = ML_CFA_UNSUPPORTED;
		return;
	}
	rbp = decode_register(frame, DW_REG_RBP, &rbp_off);
	if (rbp == REG_AT_CFA && rbp_off != 0 && fits_s16(rbp_off))
		row->rbp_off = (int16_t)rbp_off;
	else if (rbp == REG_AT_CFA || rbp == REG_OTHER)
		row->cfa_kind = ML_CFA_UNSUPPORTED;
	/* same value or undefined: rbp passes through unchanged */
}

static void count_row(struct cfi_table *t, const struct ml_unwind_row *row)
{
	if (row->cfa_kind == ML_CFA_NONE)
		t->stats.no_cfi++;
	else if (row->cfa_kind == ML_CFA_UNSUPPORTED)
		t->stats.unsupported++;
}

/* .eh_frame first; .debug_frame covers code built without unwind tables. */
struct cfi_sources {
	Dwarf_CFI *eh_frame;
	Dwarf_CFI *debug_frame;
};

static int frame_at(struct cfi_table *t, const struct cfi_sources *src, uint64_t addr,
		    Dwarf_Frame **frame)
{
	*frame = NULL;
	if (src->eh_frame && dwarf_cfi_addrframe(src->eh_frame, addr, frame) == 0)
		return 0;
	free(*frame);
	*frame = NULL;
	if (src->debug_frame && dwarf_cfi_addrframe(src->debug_frame, addr, frame) == 0) {
		t->stats.debug_frame = 1;
		return 0;
	}
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* -E2BIG or -ETIMEDOUT once a file has cost too much; checked at every lookup. */
static int over_budget(struct cfi_table *t, size_t lookups)
{
	if (lookups > MAX_LOOKUPS)
		return -E2BIG;
	if (now_ns() - t->started_ns > MAX_BUILD_NS)
		return -ETIMEDOUT;
	return 0;
}

/* Rows for [start, end) of one executable segment. */
static int add_segment(struct cfi_table *t, const struct cfi_sources *cfi, uint64_t start,
		       uint64_t end, size_t *lookups)
{
	uint64_t addr = start, row_start, row_end, step = GAP_STEP;
	size_t misses = 0;
	bool in_gap = false;
	int err = 0;

	while (addr < end && !err) {
		struct ml_unwind_row row = {0};
		Dwarf_Frame *frame = NULL;
		bool signal;

		err = over_budget(t, ++*lookups);
		if (err)
			return err;
		if (frame_at(t, cfi, addr, &frame) ||
		    dwarf_frame_info(frame, &row_start, &row_end, &signal) < 0 || row_end <= addr) {
			free(frame);
			if (!in_gap) {
				row.pc = (uint32_t)addr;
				count_row(t, &row);
				err = push_row(t, &row);
			}
			in_gap = true;
			if (++misses % GAP_PATIENCE == 0 && step < GAP_STEP_MAX)
				step *= 2;
			addr = (addr + step) & ~(uint64_t)(GAP_STEP - 1);
			continue;
		}
		misses = 0;
		step = GAP_STEP;
		/* Leaving a gap: the FDE may begin a few bytes before the step landed. */
		row.pc = (uint32_t)addr;
		if (in_gap && row_start < addr && t->nr && row_start > t->rows[t->nr - 1].pc)
			row.pc = (uint32_t)row_start;
		in_gap = false;
		if (signal)
			row.cfa_kind = ML_CFA_UNSUPPORTED;
		else
			frame_to_row(frame, &row);
		free(frame);
		count_row(t, &row);
		err = push_row(t, &row);
		addr = row_end;
	}
	if (!err && !in_gap) {
		struct ml_unwind_row past_end = {.pc = (uint32_t)end};

		err = push_row(t, &past_end);
	}
	return err;
}

static int add_segments(struct cfi_table *t, Elf *elf, const struct cfi_sources *cfi)
{
	size_t nr_phdrs, i, lookups = 0;
	GElf_Phdr phdr;
	int err = 0;

	if (elf_getphdrnum(elf, &nr_phdrs))
		return -EINVAL;
	for (i = 0; i < nr_phdrs && !err; i++) {
		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_LOAD ||
		    !(phdr.p_flags & PF_X) || phdr.p_memsz == 0)
			continue;
		if (phdr.p_vaddr + phdr.p_memsz < phdr.p_vaddr ||
		    phdr.p_vaddr + phdr.p_memsz > UINT32_MAX)
			return -E2BIG;
		if ((t->nr && phdr.p_vaddr < t->rows[t->nr - 1].pc) ||
		    t->nr_segs == MAX_EXEC_SEGMENTS)
			return -EINVAL; /* overlapping, unsorted or too many segments */
		t->segs[t->nr_segs].offset = phdr.p_offset;
		t->segs[t->nr_segs].vaddr = phdr.p_vaddr;
		t->segs[t->nr_segs].filesz = phdr.p_filesz;
		t->nr_segs++;
		err = add_segment(t, cfi, phdr.p_vaddr, phdr.p_vaddr + phdr.p_memsz, &lookups);
	}
	return err;
}

/* The .eh_frame (and .eh_frame_hdr) dwarf_getcfi_elf picks: the first pair, else the last. */
struct eh_frame_sections {
	Elf_Scn *frame, *hdr;
	GElf_Shdr frame_shdr, hdr_shdr;
};

static void find_eh_frame(Elf *elf, struct eh_frame_sections *eh)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t shstrndx;
	const char *name;

	memset(eh, 0, sizeof(*eh));
	if (elf_getshdrstrndx(elf, &shstrndx) || shstrndx == 0)
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS ||
		    !(name = elf_strptr(elf, shstrndx, shdr.sh_name)))
			continue;
		if (!strcmp(name, ".eh_frame_hdr")) {
			eh->hdr = scn;
			eh->hdr_shdr = shdr;
		} else if (!strcmp(name, ".eh_frame")) {
			eh->frame = scn;
			eh->frame_shdr = shdr;
		} else {
			continue;
		}
		if (eh->frame && eh->hdr)
			return;
	}
	eh->hdr = NULL;
}

static void scan_input_init(Elf *elf, struct cfi_scan_input *in)
{
	const char *ident = elf_getident(elf, NULL);

	memset(in, 0, sizeof(*in));
	in->big_endian = ident && ident[EI_DATA] == ELFDATA2MSB;
	in->addr_size = ident && ident[EI_CLASS] == ELFCLASS32 ? 4 : 8;
}

/*
 * libdw's .eh_frame CFI, once cfi_scan has checked what libdw will read.
 * Without an .eh_frame section libdw would follow PT_GNU_EH_FRAME to the
 * end of the file, unchecked: no .eh_frame CFI then. 0, -E2BIG, -EINVAL.
 */
static int open_eh_frame(Elf *elf, Dwarf_CFI **cfi)
{
	struct eh_frame_sections eh;
	struct cfi_scan_input in;
	Elf_Data *frame, *hdr = NULL;
	int err;

	*cfi = NULL;
	find_eh_frame(elf, &eh);
	if (!eh.frame)
		return 0;
	frame = elf_rawdata(eh.frame, NULL);
	if (eh.hdr)
		hdr = elf_rawdata(eh.hdr, NULL);
	if (!frame || !frame->d_buf)
		return 0;
	scan_input_init(elf, &in);
	in.frame = frame->d_buf;
	in.frame_size = frame->d_size;
	in.frame_vaddr = eh.frame_shdr.sh_addr;
	in.eh_frame = true;
	if (hdr && hdr->d_buf) {
		in.hdr = hdr->d_buf;
		in.hdr_size = hdr->d_size;
		in.hdr_vaddr = eh.hdr_shdr.sh_addr;
	}
	err = cfi_scan__check(&in);
	if (err)
		return err;
	*cfi = dwarf_getcfi_elf(elf);
	return 0;
}

/* The next section after scn libdw could take for .debug_frame (.debug_frame, .zdebug_frame). */
static Elf_Scn *next_debug_frame(Elf *elf, size_t shstrndx, Elf_Scn *scn)
{
	GElf_Shdr shdr;
	const char *name;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &shdr) && (name = elf_strptr(elf, shstrndx, shdr.sh_name)) &&
		    strstr(name, "debug_frame"))
			return scn;
	return NULL;
}

/* Every .debug_frame section, as dwarf_begin_elf read (and decompressed) it, checked. */
static int check_debug_frame(Elf *elf, size_t shstrndx)
{
	struct cfi_scan_input in;
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	int err;

	while ((scn = next_debug_frame(elf, shstrndx, scn))) {
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		scan_input_init(elf, &in);
		in.frame = data->d_buf;
		in.frame_size = data->d_size;
		err = cfi_scan__check(&in);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Whether the file is a Go executable (it has Go's own function table). Go
 * switches stacks (systemstack, morestack) where its .debug_frame says
 * nothing of the switch, and walks its own stacks by frame pointers: Go
 * text is walked the same way, so its .debug_frame is not used.
 */
static bool is_go_file(Elf *elf, size_t shstrndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	const char *name;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &shdr) && (name = elf_strptr(elf, shstrndx, shdr.sh_name)) &&
		    (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab")))
			return true;
	return false;
}

/*
 * libdw's .debug_frame CFI, once checked. dwarf_begin_elf reads the whole
 * DWARF into memory: only for a file that has a .debug_frame, with at most
 * MAX_DEBUG_BYTES of DWARF.
 */
static int open_debug_frame(Elf *elf, Dwarf **dwarf, Dwarf_CFI **cfi)
{
	size_t shstrndx;
	uint64_t bytes;
	int err;

	*dwarf = NULL;
	*cfi = NULL;
	if (elf_getshdrstrndx(elf, &shstrndx) || !next_debug_frame(elf, shstrndx, NULL) ||
	    is_go_file(elf, shstrndx) || debugsize__of(elf, &bytes) || bytes > MAX_DEBUG_BYTES)
		return 0;
	*dwarf = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!*dwarf)
		return 0;
	err = check_debug_frame(elf, shstrndx);
	if (err)
		return err;
	*cfi = dwarf_getcfi(*dwarf);
	return 0;
}

int cfi_table__build(int fd, struct cfi_table **out)
{
	struct cfi_sources cfi = {0};
	struct cfi_table *t;
	Dwarf *dwarf = NULL;
	Elf *elf;
	int err;

	elf_version(EV_CURRENT);
	/* Read, not mapped: a file truncated under us is a read error, not SIGBUS. */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		err = -ENOMEM;
		goto out;
	}
	if (elf_kind(elf) != ELF_K_ELF) {
		err = -EINVAL;
		goto out;
	}
	t->started_ns = now_ns();
	err = open_eh_frame(elf, &cfi.eh_frame);
	/* Code built with -fno-asynchronous-unwind-tables -g has only .debug_frame. */
	if (!err)
		err = open_debug_frame(elf, &dwarf, &cfi.debug_frame);
	if (err)
		goto out;
	if (!cfi.eh_frame && !cfi.debug_frame) {
		err = -ENODATA;
		goto out;
	}
	err = add_segments(t, elf, &cfi);
	t->stats.rows = t->nr;
out:
	if (cfi.eh_frame)
		dwarf_cfi_end(cfi.eh_frame);
	dwarf_end(dwarf); /* owns the .debug_frame CFI */
	elf_end(elf);
	if (err) {
		cfi_table__free(t);
		return err;
	}
	*out = t;
	return 0;
}

const struct ml_unwind_row *cfi_table__rows(const struct cfi_table *t)
{
	return t->rows;
}

size_t cfi_table__nr_rows(const struct cfi_table *t)
{
	return t->nr;
}

const struct cfi_stats *cfi_table__stats(const struct cfi_table *t)
{
	return &t->stats;
}

const struct ml_unwind_row *cfi_table__find(const struct cfi_table *t, uint64_t vaddr)
{
	size_t lo = 0, hi = t->nr, mid;

	/* The last row whose pc <= vaddr: the same search as the BPF walker's. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->rows[mid].pc <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->rows[lo - 1] : NULL;
}

int cfi_table__offset_to_vaddr(const struct cfi_table *t, uint64_t offset, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < t->nr_segs; i++) {
		if (offset >= t->segs[i].offset && offset - t->segs[i].offset < t->segs[i].filesz) {
			*vaddr = offset - t->segs[i].offset + t->segs[i].vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

void cfi_table__free(struct cfi_table *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}
