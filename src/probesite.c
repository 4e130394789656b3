// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "probesite.h"

/* "push %reg" (50+r) or "push %r8..r15" (41 50+r): the kernel emulates both. */
static size_t push_len(const uint8_t *code, size_t len)
{
	if (len >= 1 && code[0] >= 0x50 && code[0] <= 0x57)
		return 1;
	if (len >= 2 && code[0] == 0x41 && code[1] >= 0x50 && code[1] <= 0x57)
		return 2;
	return 0;
}

/* "test %rdi,%rdi" then "je" forward past a push (<= 2 bytes): their length, or 0. */
static size_t null_check_len(const uint8_t *code, size_t len)
{
	int32_t rel;

	if (len < 5 || code[0] != 0x48 || code[1] != 0x85 || code[2] != 0xff)
		return 0;
	if (code[3] == 0x74 && (int8_t)code[4] > 2)
		return 5; /* je rel8, forward */
	if (len >= 9 && code[3] == 0x0f && code[4] == 0x84) {
		rel = (int32_t)((uint32_t)code[5] | (uint32_t)code[6] << 8 |
				(uint32_t)code[7] << 16 | (uint32_t)code[8] << 24);
		if (rel > 2)
			return 9; /* je rel32, forward */
	}
	return 0;
}

/*
 * cmpb $imm8, disp32(%rip) (80 3d d32 ib): glibc's "is malloc initialised"
 * test at the top of posix_memalign, valloc and pvalloc. It writes the
 * flags only and falls through: every call reaches the next instruction.
 */
static size_t flag_compare_len(const uint8_t *code, size_t len)
{
	return len >= 7 && code[0] == 0x80 && code[1] == 0x3d ? 7 : 0;
}

struct probe_site probesite__choose(const uint8_t *code, size_t len, int null_arg_ignored)
{
	struct probe_site site = {0, "entry: first instruction not known to be emulated"};
	size_t check;

	if (push_len(code, len)) {
		site.why = "entry: first instruction (push) is emulated";
		return site;
	}
	check = flag_compare_len(code, len);
	if (check && push_len(code + check, len - check)) {
		site.skip = check;
		site.why =
		    "after a flag compare (no branch, no register written): push is emulated";
		return site;
	}
	check = null_arg_ignored ? null_check_len(code, len) : 0;
	/* Only the NULL path jumps away, forward, past the push we probe. */
	if (check && push_len(code + check, len - check)) {
		site.skip = check;
		site.why = "after the NULL check: push is emulated, %rdi unchanged";
	}
	return site;
}
