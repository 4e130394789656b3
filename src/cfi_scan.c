// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cfi_scan.h"

/* A read position inside one entry; any read past end marks it bad. */
struct cursor {
	const uint8_t *p, *end;
	bool big_endian;
	bool bad;
};

static uint64_t read_fixed(struct cursor *c, size_t n)
{
	uint64_t value = 0;
	size_t i;

	if ((size_t)(c->end - c->p) < n) {
		c->bad = true;
		c->p = c->end;
		return 0;
	}
	for (i = 0; i < n; i++) {
		size_t byte = c->big_endian ? i : n - 1 - i;

		value = (value << 8) | c->p[byte];
	}
	c->p += n;
	return value;
}

/* ULEB128 or SLEB128: only its length matters here, but at most 10 bytes. */
static uint64_t read_leb(struct cursor *c)
{
	uint64_t value = 0;
	unsigned shift = 0;

	while (c->p < c->end && shift < 70) {
		uint8_t byte = *c->p++;

		if (shift < 64)
			value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return value;
		shift += 7;
	}
	c->bad = true;
	c->p = c->end;
	return 0;
}

static void skip(struct cursor *c, uint64_t n)
{
	if ((uint64_t)(c->end - c->p) < n) {
		c->bad = true;
		c->p = c->end;
		return;
	}
	c->p += n;
}

/* An encoded pointer (DW_EH_PE_*) as libdw reads it: skipped; false when unsupported. */
static bool skip_encoded(struct cursor *c, uint8_t encoding, unsigned addr_size)
{
	if (encoding == DW_EH_PE_omit)
		return true;
	switch (encoding & 0x0f) {
	case DW_EH_PE_absptr:
		skip(c, addr_size);
		return true;
	case DW_EH_PE_uleb128:
	case DW_EH_PE_sleb128:
		read_leb(c);
		return true;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		skip(c, 2);
		return true;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		skip(c, 4);
		return true;
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		skip(c, 8);
		return true;
	default:
		return false;
	}
}

/* What an FDE needs from its CIE. */
struct cie_info {
	uint8_t fde_encoding;
	bool sized_augmentation; /* "z": FDEs carry an augmentation length */
};

static bool starts_row(uint8_t op)
{
	return (op & 0xc0) == DW_CFA_advance_loc ||
	       (op >= DW_CFA_set_loc && op <= DW_CFA_advance_loc4) ||
	       op == DW_CFA_MIPS_advance_loc8;
}

/*
 * One CFA instruction stream, as libdw's interpreter steps through it:
 * -E2BIG when it is too long or nests remember_state too deep. libdw stops
 * at an opcode it does not know or a restore_state with nothing to
 * restore, and so does the scan. *work grows by the bytes libdw runs to
 * build the table's rows from it: one lookup per row, each from the start.
 */
static int scan_program(const uint8_t *start, const uint8_t *end, const struct cie_info *cie,
			const struct cfi_scan_input *in, uint64_t *work)
{
	struct cursor c = {.p = start, .end = end, .big_endian = in->big_endian};
	unsigned depth = 0;

	if (end - start > CFI_SCAN_MAX_PROGRAM)
		return -E2BIG;
	/* Each row is one lookup, which runs the program up to that row. */
	while (c.p < c.end && !c.bad) {
		uint8_t op = *c.p++;

		if (starts_row(op))
			*work += (uint64_t)(c.p - start);
		switch (op & 0xc0) {
		case DW_CFA_advance_loc:
		case DW_CFA_restore:
			continue;
		case DW_CFA_offset:
			read_leb(&c);
			continue;
		}
		switch (op) {
		case DW_CFA_nop:
		case DW_CFA_GNU_window_save:
			break;
		case DW_CFA_set_loc:
			if (!skip_encoded(&c, cie->fde_encoding, in->addr_size))
				return 0;
			break;
		case DW_CFA_advance_loc1:
			skip(&c, 1);
			break;
		case DW_CFA_advance_loc2:
			skip(&c, 2);
			break;
		case DW_CFA_advance_loc4:
			skip(&c, 4);
			break;
		case DW_CFA_MIPS_advance_loc8:
			skip(&c, 8);
			break;
		case DW_CFA_restore_extended:
		case DW_CFA_undefined:
		case DW_CFA_same_value:
		case DW_CFA_def_cfa_register:
		case DW_CFA_def_cfa_offset:
		case DW_CFA_def_cfa_offset_sf:
		case DW_CFA_GNU_args_size:
			read_leb(&c);
			break;
		case DW_CFA_offset_extended:
		case DW_CFA_register:
		case DW_CFA_def_cfa:
		case DW_CFA_offset_extended_sf:
		case DW_CFA_def_cfa_sf:
		case DW_CFA_val_offset:
		case DW_CFA_val_offset_sf:
		case DW_CFA_GNU_negative_offset_extended:
			read_leb(&c);
			read_leb(&c);
			break;
		case DW_CFA_def_cfa_expression:
			skip(&c, read_leb(&c));
			break;
		case DW_CFA_expression:
		case DW_CFA_val_expression:
			read_leb(&c);
			skip(&c, read_leb(&c));
			break;
		case DW_CFA_remember_state:
			if (++depth > CFI_SCAN_MAX_DEPTH)
				return -E2BIG;
			break;
		case DW_CFA_restore_state:
			if (depth == 0)
				return 0;
			depth--;
			break;
		default:
			return 0; /* libdw refuses the opcode and stops there */
		}
	}
	*work += (uint64_t)(end - start);
	return 0;
}

/* An entry's extent, as dwarf_next_cfi reads it. */
struct entry {
	uint64_t offset;    /* of its length field */
	uint64_t id_offset; /* of its CIE id / CIE pointer */
	uint64_t end;	    /* one past its last byte */
	unsigned id_size;   /* 4, or 8 for 64-bit DWARF */
};

/* 1: an entry; 0: the end (terminator or too little left); -EINVAL. */
static int next_entry(const struct cfi_scan_input *in, uint64_t offset, struct entry *e)
{
	struct cursor c = {.p = in->frame + offset,
			   .end = in->frame + in->frame_size,
			   .big_endian = in->big_endian};
	uint64_t length;

	if (offset + 4 >= in->frame_size)
		return 0;
	length = read_fixed(&c, 4);
	e->id_size = 4;
	if (length == 0xffffffff) {
		length = read_fixed(&c, 8);
		e->id_size = 8;
	} else if (length >= 0xfffffff0) {
		return -EINVAL;
	}
	if (c.bad)
		return -EINVAL;
	if (length == 0)
		return 0;
	if ((uint64_t)(c.end - c.p) < length || length < e->id_size + 1)
		return -EINVAL;
	e->offset = offset;
	e->id_offset = (uint64_t)(c.p - in->frame);
	e->end = e->id_offset + length;
	return 1;
}

static bool is_cie_id(const struct cfi_scan_input *in, const struct entry *e, uint64_t id)
{
	if (in->eh_frame)
		return id == 0;
	return e->id_size == 4 ? id == 0xffffffffu : id == UINT64_MAX;
}

/* The CIE's header, as dwarf_next_cfi and libdw's CIE reader parse it. */
static int parse_cie(const struct cfi_scan_input *in, const struct entry *e, struct cie_info *cie,
		     const uint8_t **program)
{
	struct cursor c = {.p = in->frame + e->id_offset + e->id_size,
			   .end = in->frame + e->end,
			   .big_endian = in->big_endian};
	const char *aug, *ap;
	const uint8_t *aug_end = NULL, *nul;
	uint8_t version = (uint8_t)read_fixed(&c, 1);

	cie->fde_encoding = DW_EH_PE_absptr;
	cie->sized_augmentation = false;
	if (c.bad || (version != 1 && (version < 3 || version > 4)))
		return -EINVAL;
	nul = memchr(c.p, '\0', (size_t)(c.end - c.p));
	if (!nul)
		return -EINVAL;
	aug = (const char *)c.p;
	c.p = nul + 1;
	if (version >= 4) {
		if (read_fixed(&c, 1) != in->addr_size || read_fixed(&c, 1) != 0)
			return -EINVAL; /* libdw refuses these CIEs */
	}
	ap = aug;
	if (ap[0] == 'e' && ap[1] == 'h') {
		ap += 2;
		skip(&c, in->addr_size);
	}
	read_leb(&c); /* code alignment */
	read_leb(&c); /* data alignment */
	if (version >= 3)
		read_leb(&c);
	else
		skip(&c, 1); /* return address register */
	if (*ap == 'z') {
		uint64_t size = read_leb(&c);

		cie->sized_augmentation = true;
		ap++;
		if (c.bad || (uint64_t)(c.end - c.p) < size)
			return -EINVAL;
		aug_end = c.p + size;
		for (; *ap && !c.bad; ap++) {
			if (*ap == 'L') {
				skip(&c, 1);
			} else if (*ap == 'R') {
				cie->fde_encoding = (uint8_t)read_fixed(&c, 1);
			} else if (*ap == 'P') {
				uint8_t encoding = (uint8_t)read_fixed(&c, 1);

				if (!skip_encoded(&c, encoding, in->addr_size))
					return -EINVAL;
			} else if (*ap != 'S' && *ap != 'B') {
				break;
			}
		}
		if (c.bad || c.p > aug_end)
			return -EINVAL;
		c.p = aug_end;
	}
	if (c.bad)
		return -EINVAL;
	*program = c.p;
	return 0;
}

struct scan {
	const struct cfi_scan_input *in;
	uint64_t *starts; /* every entry's offset, ascending */
	size_t nr, cap;
	uint64_t cie_offset; /* the last CIE an FDE used, parsed */
	struct cie_info cie;
	bool have_cie;
	uint64_t work; /* instruction bytes libdw would run to build the table */
};

static bool is_entry_start(const struct scan *s, uint64_t offset)
{
	size_t lo = 0, hi = s->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->starts[mid] == offset)
			return true;
		if (s->starts[mid] < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The CIE at offset, which must be an entry the walk found. */
static int cie_at(struct scan *s, uint64_t offset)
{
	struct entry e;
	const uint8_t *program;
	struct cursor c;
	int err;

	if (s->have_cie && s->cie_offset == offset)
		return 0;
	if (!is_entry_start(s, offset) || next_entry(s->in, offset, &e) != 1)
		return -EINVAL;
	c = (struct cursor){.p = s->in->frame + e.id_offset,
			    .end = s->in->frame + e.end,
			    .big_endian = s->in->big_endian};
	if (!is_cie_id(s->in, &e, read_fixed(&c, e.id_size)))
		return -EINVAL;
	err = parse_cie(s->in, &e, &s->cie, &program);
	if (err)
		return err;
	s->cie_offset = offset;
	s->have_cie = true;
	return 0;
}

static int scan_fde(struct scan *s, const struct entry *e, uint64_t id)
{
	const struct cfi_scan_input *in = s->in;
	uint64_t cie_offset = id;
	struct cursor c;
	int err;

	if (in->eh_frame) {
		/* A distance back from the pointer itself. */
		if (id > e->id_offset || e->id_offset <= e->id_size)
			return -EINVAL;
		cie_offset = e->id_offset - id;
	}
	err = cie_at(s, cie_offset);
	if (err)
		return err;
	c = (struct cursor){.p = in->frame + e->id_offset + e->id_size,
			    .end = in->frame + e->end,
			    .big_endian = in->big_endian};
	if (!skip_encoded(&c, s->cie.fde_encoding, in->addr_size) ||
	    !skip_encoded(&c, s->cie.fde_encoding & 0x0f, in->addr_size))
		return -EINVAL;
	if (s->cie.sized_augmentation)
		skip(&c, read_leb(&c));
	if (c.bad)
		return -EINVAL;
	return scan_program(c.p, c.end, &s->cie, in, &s->work);
}

static int scan_entry(struct scan *s, uint64_t offset)
{
	struct cie_info cie;
	const uint8_t *program;
	struct entry e;
	struct cursor c;
	uint64_t id;
	int err;

	if (next_entry(s->in, offset, &e) != 1)
		return -EINVAL;
	c = (struct cursor){.p = s->in->frame + e.id_offset,
			    .end = s->in->frame + e.end,
			    .big_endian = s->in->big_endian};
	id = read_fixed(&c, e.id_size);
	if (!is_cie_id(s->in, &e, id))
		return scan_fde(s, &e, id);
	err = parse_cie(s->in, &e, &cie, &program);
	if (err)
		return err;
	return scan_program(program, s->in->frame + e.end, &cie, s->in, &s->work);
}

/* Every entry dwarf_next_cfi reaches from offset 0, up to a terminator. */
static int collect_entries(struct scan *s)
{
	uint64_t offset = 0;
	struct entry e;
	int more;

	while ((more = next_entry(s->in, offset, &e)) == 1) {
		if (ARRAY_RESERVE(s->starts, s->cap, s->nr + 1, 256))
			return -ENOMEM;
		s->starts[s->nr++] = offset;
		offset = e.end;
	}
	return more;
}

static bool read_hdr_value(struct cursor *c, uint8_t encoding, uint64_t field_vaddr,
			   const struct cfi_scan_input *in, uint64_t *value)
{
	uint64_t base = 0;

	switch (encoding & 0x70) {
	case DW_EH_PE_absptr:
		break;
	case DW_EH_PE_pcrel:
		base = field_vaddr;
		break;
	case DW_EH_PE_datarel:
		base = in->hdr_vaddr;
		break;
	default:
		return false;
	}
	switch (encoding & 0x8f) {
	case DW_EH_PE_absptr:
		*value = base + read_fixed(c, in->addr_size);
		break;
	case DW_EH_PE_udata4:
		*value = base + read_fixed(c, 4);
		break;
	case DW_EH_PE_sdata4:
		*value = base + (uint64_t)(int64_t)(int32_t)(uint32_t)read_fixed(c, 4);
		break;
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		*value = base + read_fixed(c, 8);
		break;
	default:
		return false;
	}
	return !c->bad;
}

/*
 * libdw finds FDEs through .eh_frame_hdr's table when the header points at
 * this .eh_frame: every FDE it names must be an entry the walk checked.
 */
static int check_hdr(const struct scan *s)
{
	const struct cfi_scan_input *in = s->in;
	struct cursor c = {
	    .p = in->hdr, .end = in->hdr + in->hdr_size, .big_endian = in->big_endian};
	uint8_t frame_enc, count_enc, table_enc;
	uint64_t frame_vaddr, count, i, fde;

	if (in->hdr_size < 4 || read_fixed(&c, 1) != 1)
		return 0; /* libdw does not use it */
	frame_enc = (uint8_t)read_fixed(&c, 1);
	count_enc = (uint8_t)read_fixed(&c, 1);
	table_enc = (uint8_t)read_fixed(&c, 1);
	if (frame_enc == DW_EH_PE_omit)
		return 0;
	if (!read_hdr_value(&c, frame_enc, in->hdr_vaddr + (uint64_t)(c.p - in->hdr), in,
			    &frame_vaddr))
		return -EINVAL;
	if (frame_vaddr != in->frame_vaddr || count_enc == DW_EH_PE_omit ||
	    table_enc == DW_EH_PE_omit)
		return 0;
	if (!read_hdr_value(&c, count_enc, in->hdr_vaddr + (uint64_t)(c.p - in->hdr), in, &count))
		return -EINVAL;
	if (count == 0)
		return 0;
	if (table_enc != (DW_EH_PE_datarel | DW_EH_PE_sdata4) ||
	    count > (uint64_t)(c.end - c.p) / 8)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		read_fixed(&c, 4); /* the FDE's first address */
		read_hdr_value(&c, table_enc, 0, in, &fde);
		if (fde < in->frame_vaddr || !is_entry_start(s, fde - in->frame_vaddr))
			return -EINVAL;
	}
	return 0;
}

int cfi_scan__check(const struct cfi_scan_input *in)
{
	struct scan s = {.in = in};
	size_t i;
	int err;

	if (in->addr_size != 4 && in->addr_size != 8)
		return -EINVAL;
	err = collect_entries(&s);
	for (i = 0; i < s.nr && !err; i++)
		err = scan_entry(&s, s.starts[i]);
	if (!err && s.work > CFI_SCAN_MAX_WORK)
		err = -E2BIG;
	if (!err && in->eh_frame && in->hdr)
		err = check_hdr(&s);
	free(s.starts);
	return err;
}
