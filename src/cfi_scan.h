/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A bounded pre-scan of call frame information (.eh_frame, .debug_frame),
 * run before libdw sees it. libdw re-runs an FDE's instructions from their
 * start at every lookup and allocates a frame per DW_CFA_remember_state, so
 * one long or deeply nested FDE makes every lookup as costly as the file.
 * The scan walks every CIE and FDE the way libdw reads them, skips each
 * instruction's operands and refuses a section with an entry over the
 * limits below, or one whose entries libdw could reach other than through
 * the walk (a CIE pointer or an .eh_frame_hdr entry that is not an entry's
 * start). Pure: bytes in, a verdict out.
 */
#ifndef MEMLEAKD_CFI_SCAN_H
#define MEMLEAKD_CFI_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bytes of instructions one CIE or FDE may hold: compilers emit tens, the
 * longest in Debian 12's /usr (gcc's cc1, valgrind) about 23 KiB.
 */
#define CFI_SCAN_MAX_PROGRAM (64u << 10)
/* DW_CFA_remember_state nesting one program may reach (compilers use 1). */
#define CFI_SCAN_MAX_DEPTH   16
/*
 * Instruction bytes libdw may run to build one section's table: a lookup
 * per row, each running its FDE from the start (sum over rows of the row's
 * offset in its program).
 */
#define CFI_SCAN_MAX_WORK    (512ull << 20)

struct cfi_scan_input {
	const uint8_t *frame; /* the section's bytes */
	size_t frame_size;
	uint64_t frame_vaddr; /* .eh_frame's sh_addr */
	bool eh_frame;	      /* .eh_frame's layout, else .debug_frame's */
	bool big_endian;
	unsigned addr_size; /* 4 or 8, from the ELF class */
	/* .eh_frame_hdr, whose search table libdw follows; NULL when none. */
	const uint8_t *hdr;
	size_t hdr_size;
	uint64_t hdr_vaddr;
};

/*
 * 0 when libdw may interpret the section; -E2BIG when an entry is over the
 * limits; -EINVAL when it is malformed in a way the scan cannot vouch for;
 * -ENOMEM.
 */
int cfi_scan__check(const struct cfi_scan_input *in);

#endif
