/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where to put an entry uprobe. The kernel emulates a few x86 instructions
 * (push reg, nop, ...) at ~0.7 us a hit and single-steps the rest out of line
 * at ~10 us. glibc's free starts with "test %rdi,%rdi; je" (single-stepped)
 * and reaches "push %rbp" right after: probing there skips only free(NULL),
 * which memleakd ignores anyway, with %rdi unchanged. Anything not matched
 * exactly keeps the function's first instruction.
 */
#ifndef MEMLEAKD_PROBESITE_H
#define MEMLEAKD_PROBESITE_H

#include <stddef.h>
#include <stdint.h>

/* How many leading bytes of a function the choice looks at. */
#define PROBESITE_CODE_BYTES 16

struct probe_site {
	uint64_t skip;	 /* bytes from the function's start to the probed instruction */
	const char *why; /* one line for -v */
};

/*
 * Chooses the site for an entry probe, given the function's first len bytes.
 * null_arg_ignored: the call does nothing memleakd records when its first
 * argument is NULL (free), so a path taken only then may be skipped.
 */
struct probe_site probesite__choose(const uint8_t *code, size_t len, int null_arg_ignored);

#endif
