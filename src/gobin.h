/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What memleakd needs to know of a Go executable, read from its file once:
 * the Go version (.go.buildinfo), the symbol table (.gopclntab, kept in
 * stripped binaries), where to probe goroutine births and deaths (call
 * sites the kernel emulates, found per binary, never hard-coded), the
 * runtime globals the census and the heap reader read, and the offsets of
 * runtime.g's fields (from DWARF when present, else a per-version table).
 * The file is untrusted: everything is validated, and a binary memleakd
 * cannot handle says why in gobin->unsupported.
 */
#ifndef MEMLEAKD_GOBIN_H
#define MEMLEAKD_GOBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gopclntab.h"

/* Offsets in runtime.g (amd64), and its size. */
struct go_g_offsets {
	uint32_t goid, gopc, startpc, atomicstatus, waitsince, waitreason;
	uint32_t stack_lo, stack_hi;	       /* g.stack.lo, g.stack.hi */
	uint32_t sched_sp, sched_pc, sched_bp; /* g.sched.{sp,pc,bp} */
	uint32_t size;			       /* sizeof(runtime.g) */
};

/* Which register holds the g at a probe site (x86-64 ABIInternal). */
#define GO_REG_RAX 0
#define GO_REG_RBX 1

#define GO_SITE_CREATE 0 /* a goroutine was made: the g is runnable, its goid set */
#define GO_SITE_EXIT   1 /* a goroutine is dying: its fields still say who it was */

struct go_probe_site {
	uint64_t vaddr;	      /* link-time address of the probed instruction */
	uint64_t file_offset; /* where uprobes take it */
	int reg;	      /* GO_REG_* */
	int role;	      /* GO_SITE_* */
	/* "runtime.newproc.func1+0x40 (CALL runtime.runqput)": in the go_binary's where_text */
	const char *where;
};

#define GO_MAX_SITES 8

/* Link-time addresses of runtime globals; 0 when not found. */
struct go_globals {
	uint64_t allgs;		 /* runtime.allgs: a []*g (ptr, len, cap) */
	uint64_t mbuckets;	 /* runtime.mbuckets: *bucket, newest first */
	uint64_t mprofcycle;	 /* runtime.mProfCycle: uint32, cycle<<1 | flushed */
	uint64_t memprofilerate; /* runtime.MemProfileRate: int */
	bool from_symtab;	 /* else found by the stripped-binary heuristics */
};

struct go_binary {
	char version[32];	 /* "go1.19.8"; "" when unknown */
	int major, minor, patch; /* 1, 19, 8; 0s when unknown */
	bool has_symtab, has_dwarf;
	bool pie;		 /* ET_DYN */
	bool cgo;		 /* links libc (DT_NEEDED libc, or a PT_INTERP in a non-PIE) */
	bool profiling_disabled; /* runtime.disableMemoryProfiling set by the linker (when known) */
	struct go_g_offsets g;
	bool g_from_dwarf;
	struct go_probe_site sites[GO_MAX_SITES];
	size_t nr_sites;
	struct go_globals globals;
	struct gopclntab *pcln; /* owned */
	/*
	 * Why goroutines cannot be traced here (NULL: they can): static text.
	 * globals and profiling_disabled are filled in all the same (the heap
	 * reader does not need runtime.g).
	 */
	const char *unsupported;
	/*
	 * Why there are no probe sites although goroutines can be counted
	 * (census only): static text; NULL when sites[] is complete.
	 */
	const char *probes_off;
	/* What sites[i].where points to: a go_binary is not to be copied. */
	char where_text[GO_MAX_SITES][96];
};

/*
 * Whether fd (an ELF file) is a Go executable: 1 yes, 0 no, -errno. Cheap:
 * section names and the build info only.
 */
int gobin__is_go(int fd);
/*
 * Reads everything above from fd. 0 (gb->unsupported may still be set: a
 * Go binary of a version or layout memleakd cannot read), -ENOEXEC (not a
 * Go executable), -EINVAL (malformed), -ENOMEM.
 */
int gobin__analyze(int fd, struct go_binary **out);
void gobin__free(struct go_binary *gb);

/* The per-version table's offsets for major.minor: 0, or -ENOTSUP (no entry). */
int gobin__table_offsets(int major, int minor, struct go_g_offsets *out);

/* --- the pure pieces, for tests ------------------------------------------ */

/* "go1.19.8" -> 1, 19, 8 ("go1.20" -> patch 0; "go1.21rc2" -> 1, 21, 0). 0 or -EINVAL. */
int gobin__parse_version(const char *version, int *major, int *minor, int *patch);
/*
 * The Go version in a .go.buildinfo section's bytes (size of them): 0 with
 * version copied (cut at the first blank, at most len - 1 bytes); -EAGAIN
 * for the pointer format of Go < 1.18, *string_ptr then being the address
 * of the version's string header (ptr, len; little-endian, *ptr_size
 * bytes each); -EINVAL when malformed.
 */
int gobin__buildinfo_version(const uint8_t *data, size_t size, char *version, size_t len,
			     uint64_t *string_ptr, int *ptr_size);
/*
 * The offset in code (len bytes at link-time address vaddr) of the first
 * `CALL rel32` (E8) whose target is target: 0 or -ENOENT.
 */
int gobin__find_call(const uint8_t *code, size_t len, uint64_t vaddr, uint64_t target,
		     size_t *offset);
/*
 * The address the index-th (0: first) RIP-relative `mov disp32(%rip), reg`
 * in code loads from: 64-bit (REX.W 8B, mod 00 rm 101) when wide, else
 * 32-bit (8B without REX.W or 66). 0 or -ENOENT.
 */
int gobin__rip_load(const uint8_t *code, size_t len, uint64_t vaddr, bool wide, unsigned index,
		    uint64_t *addr);

#endif
