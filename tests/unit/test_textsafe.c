// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sanitiser for text from the targets (src/textsafe.h): UTF-8 decoded
 * strictly, controls that drive a terminal (C0, DEL, C1 raw or encoded,
 * bidi overrides) and invalid bytes replaced, cuts at character boundaries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"
#include "snapshot_fixture.h"

#include "textsafe.h"

static void expect_unit(const char *s, size_t want_len, uint32_t want_cp, enum text_class want_cls)
{
	enum text_class cls;
	uint32_t cp;
	size_t len = textsafe__next(s, &cp, &cls);

	if (len != want_len || cp != want_cp || cls != want_cls)
		fail_msg("unit at \"%s\": got len %zu cp U+%04X class %d, want len %zu cp U+%04X "
			 "class %d",
			 s, len, cp, cls, want_len, want_cp, want_cls);
}

static void test_decode(void **state)
{
	(void)state;
	expect_unit("a", 1, 'a', TEXT_PLAIN);
	expect_unit("\xc3\xa9", 2, 0xe9, TEXT_PLAIN);		  /* é */
	expect_unit("\xe2\x82\xac", 3, 0x20ac, TEXT_PLAIN);	  /* € */
	expect_unit("\xf0\x9f\x98\x80", 4, 0x1f600, TEXT_PLAIN);  /* an emoji */
	expect_unit("\xf4\x8f\xbf\xbf", 4, 0x10ffff, TEXT_PLAIN); /* the last code point */
	expect_unit("\x1b[2J", 1, 0x1b, TEXT_CONTROL);		  /* ESC */
	expect_unit("\x7f", 1, 0x7f, TEXT_CONTROL);		  /* DEL */
	expect_unit("\xc2\x9b"
		    "2J",
		    2, 0x9b, TEXT_CONTROL);		      /* CSI, UTF-8 encoded */
	expect_unit("\xc2\x80", 2, 0x80, TEXT_CONTROL);	      /* first C1 */
	expect_unit("\xc2\xa0", 2, 0xa0, TEXT_PLAIN);	      /* just past C1 */
	expect_unit("\xe2\x80\xae", 3, 0x202e, TEXT_CONTROL); /* RLO */
	expect_unit("\xe2\x80\xaa", 3, 0x202a, TEXT_CONTROL); /* LRE */
	expect_unit("\xe2\x81\xa6", 3, 0x2066, TEXT_CONTROL); /* LRI */
	expect_unit("\xe2\x81\xa9", 3, 0x2069, TEXT_CONTROL); /* PDI */
	expect_unit("\xe2\x81\xaa", 3, 0x206a, TEXT_PLAIN);   /* past the isolates */
	expect_unit("\x9b", 1, 0x9b, TEXT_INVALID);	      /* raw C1 */
	expect_unit("\xff\xfe", 1, 0xff, TEXT_INVALID);
	expect_unit("\xc3(", 1, 0xc3, TEXT_INVALID);		    /* lead without continuation */
	expect_unit("\xc3", 1, 0xc3, TEXT_INVALID);		    /* cut before the NUL */
	expect_unit("\xe2\x82", 1, 0xe2, TEXT_INVALID);		    /* cut mid-character */
	expect_unit("\xc0\xaf", 1, 0xc0, TEXT_INVALID);		    /* overlong '/' */
	expect_unit("\xe0\x80\xaf", 1, 0xe0, TEXT_INVALID);	    /* overlong, 3 bytes */
	expect_unit("\xf0\x80\x80\xaf", 1, 0xf0, TEXT_INVALID);	    /* overlong, 4 bytes */
	expect_unit("\xed\xa0\x80", 1, 0xed, TEXT_INVALID);	    /* a surrogate */
	expect_unit("\xf4\x90\x80\x80", 1, 0xf4, TEXT_INVALID);	    /* past U+10FFFF */
	expect_unit("\xf8\x88\x80\x80\x80", 1, 0xf8, TEXT_INVALID); /* 5-byte form */
}

static void test_terminal(void **state)
{
	char buf[64], small[6];

	(void)state;
	check_str(textsafe__terminal("plain text", buf, sizeof(buf)), "plain text");
	check_str(textsafe__terminal("caf\xc3\xa9 \xe5\x90\x8d", buf, sizeof(buf)),
		  "caf\xc3\xa9 \xe5\x90\x8d");
	/* The audit's two comms: OSC + clear screen, and UTF-8 encoded CSI. */
	check_str(textsafe__terminal("\x1b]2;PWN\a\x1b[2J", buf, sizeof(buf)), "?]2;PWN?"
									       "?[2J");
	check_str(textsafe__terminal("\xc2\x9b"
				     "2J\xc2\x9b"
				     "31mX",
				     buf, sizeof(buf)),
		  "?2J?31mX");
	check_str(textsafe__terminal("a\nb\tc\x7f"
				     "d",
				     buf, sizeof(buf)),
		  "a?b?c?d");
	check_str(textsafe__terminal("x\xe2\x80\xaey", buf, sizeof(buf)), "x?y");
	/* One '?' per invalid byte, raw C1 included. */
	check_str(textsafe__terminal("\xff\xfe\xc3(\x9b", buf, sizeof(buf)), "??"
									     "?(?");
	/* Cut at a character boundary: "ab" and the 3-byte € would need 6 bytes with the NUL. */
	check_str(textsafe__terminal("ab\xe2\x82\xac", small, 5), "ab");
	check_str(textsafe__terminal("ab\xe2\x82\xac", small, 6), "ab\xe2\x82\xac");
	check_str(textsafe__terminal("abc", small, 1), "");
}

static void test_terminal_in_place(void **state)
{
	char text[] = "\x1b[31mred\xc2\x9b\xe2\x80\xae\xff ok \xc3\xa9";

	(void)state;
	check_str(textsafe__terminal(text, text, sizeof(text)), "?[31mred??? ok \xc3\xa9");
}

static void test_utf8(void **state)
{
	char buf[64];

	(void)state;
	/* Invalid bytes become U+FFFD; controls '?'; valid text is untouched. */
	check_str(textsafe__utf8("x\xff\xfe\xc3(y", buf, sizeof(buf)),
		  "x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(y");
	check_str(textsafe__utf8("a\x1b"
				 "b\xc2\x9b"
				 "c\xc3\xa9",
				 buf, sizeof(buf)),
		  "a?b?c\xc3\xa9");
	/* A replacement that does not fit is left out whole. */
	check_str(textsafe__utf8("ab\xff", buf, 5), "ab");
	check_str(textsafe__utf8("ab\xff", buf, 6), "ab\xef\xbf\xbd");
}

/* Whatever the input bytes, the output is valid UTF-8 with no control character. */
static void test_random_bytes(void **state)
{
	uint64_t seed = 0x5eed;
	char text[64], out[200];
	enum text_class cls;
	size_t i, round;
	uint32_t cp;
	const char *p;

	(void)state;
	for (round = 0; round < 20000; round++) {
		for (i = 0; i + 1 < sizeof(text); i++)
			text[i] = (char)(rng_next(&seed) % 255 + 1);
		text[sizeof(text) - 1] = '\0';
		for (p = round % 2 ? textsafe__utf8(text, out, sizeof(out))
				   : textsafe__terminal(text, out, sizeof(out));
		     *p; p += textsafe__next(p, &cp, &cls))
			if (textsafe__next(p, &cp, &cls) && cls != TEXT_PLAIN)
				fail_msg("round %zu: class %d (U+%04X) at byte %td of the output",
					 round, cls, cp, p - out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_terminal),
	    cmocka_unit_test(test_terminal_in_place),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
