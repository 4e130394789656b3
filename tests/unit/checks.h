/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Assertions shared by the unit tests: each names the expression, what it expected and what it got.
 */
#ifndef MEMLEAKD_TEST_CHECKS_H
#define MEMLEAKD_TEST_CHECKS_H

#include <stdint.h>
#include <string.h>

/* xorshift64*: deterministic, so a failing run can be replayed exactly. */
static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Like assert_int_equal, but names the expression and prints decimal. */
#define check_eq(got, want)                                                                        \
	do {                                                                                       \
		long long got_ = (long long)(got), want_ = (long long)(want);                      \
		if (got_ != want_)                                                                 \
			fail_msg("%s: got %lld, want %lld", #got, got_, want_);                    \
	} while (0)

#define check_hex(got, want)                                                                       \
	do {                                                                                       \
		unsigned long long got_ = (got), want_ = (want);                                   \
		if (got_ != want_)                                                                 \
			fail_msg("%s: got %#llx, want %#llx", #got, got_, want_);                  \
	} while (0)

#define check_not_contains(text, needle)                                                           \
	do {                                                                                       \
		if (strstr((text), (needle)))                                                      \
			fail_msg("\"%s\" unexpectedly found in:\n%s", (needle), (text));           \
	} while (0)

#define check_u64(got, want)                                                                       \
	do {                                                                                       \
		unsigned long long got_ = (got), want_ = (want);                                   \
		if (got_ != want_)                                                                 \
			fail_msg("%s: got %llu, want %llu", #got, got_, want_);                    \
	} while (0)

#endif
