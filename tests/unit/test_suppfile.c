// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * LeakSanitizer suppression files (src/suppfile.h). Every rule below was
 * checked with gcc 12.2 / liblsan0 12.2.0-14+deb12u1 on 2026-12-02, by
 * building leakers with -fsanitize=leak and running them with
 * LSAN_OPTIONS=suppressions=FILE:print_suppressions=1. The leakers:
 *   t.c  (-> /tmp/lsanD/t_main): leak_site(), foofoo(), abab() each leak a
 *        block from main(); foo_alloc() in /tmp/lsanD/libfoo.so (foo.c)
 *        leaks one too.
 *   x.cc (-> /tmp/lsanD/x_main): ns::Foo::bar(int) leaks a block.
 * LSan's report for leak_site's block, the frames a pattern is tried on:
 *   #0 __interceptor_malloc ../../../../src/libsanitizer/lsan/lsan_interceptors.cpp:75
 *   #1 leak_site /tmp/lsanD/t.c:4
 *   #2 main /tmp/lsanD/t.c:7
 *   #3 __libc_start_call_main ../sysdeps/nptl/libc_start_call_main.h:58
 * The same names came out with llvm-symbolizer, addr2line and LSan's own
 * symbolizer (external_symbolizer_path=/nonexistent).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"

#include "suppfile.h"

#define check_contains(text, needle)                                                               \
	do {                                                                                       \
		if (!strstr((text), (needle)))                                                     \
			fail_msg("\"%s\" not found in:\n%s", (needle), (text));                    \
	} while (0)

/* The frames of the leakers above, as memleakd would give them. */
#define T_MAIN	 "/tmp/lsanD/t_main"
#define T_SRC	 "/tmp/lsanD/t.c"
#define LIBFOO	 "/tmp/lsanD/libfoo.so"
#define LIBC	 "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBC_SRC "../sysdeps/nptl/libc_start_call_main.h"

static void expect_match(const char *pattern, const char *text, bool want)
{
	if (suppfile__template_match(pattern, text) != want)
		fail_msg("pattern \"%s\" on \"%s\": got %s, want %s", pattern,
			 text ? text : "(null)", want ? "no match" : "a match",
			 want ? "a match" : "no match");
}

/* Parses text (NUL-terminated) or fails the test with the error. */
static struct suppfile *parse_ok(const char *text)
{
	struct suppfile *s = NULL;
	char err[256] = "";
	int ret = suppfile__parse("t.supp", text, strlen(text), &s, err, sizeof(err));

	if (ret || !s)
		fail_msg("parsing \"%s\": %d (%s)", text, ret, err);
	return s;
}

/* Parses text and expects -EINVAL with an error that contains want. */
static void parse_fails(const char *text, size_t len, const char *want)
{
	struct suppfile *s = (struct suppfile *)1;
	char err[256] = "";
	int ret = suppfile__parse("t.supp", text, len, &s, err, sizeof(err));

	if (!ret)
		suppfile__free(s);
	if (ret != -EINVAL)
		fail_msg("parsing \"%s\": got %d, want -EINVAL", text, ret);
	if (s)
		fail_msg("parsing \"%s\" failed but set *out", text);
	if (!strstr(err, want))
		fail_msg("parsing \"%s\": error \"%s\" lacks \"%s\"", text, err, want);
}

/* The pattern one file's patterns give a frame, "" for none. */
static const char *frame_hit(const char *file_text, const char *function, const char *file,
			     const char *module, char *buf, size_t len)
{
	struct suppfile *s = parse_ok(file_text);
	const char *hit = suppfile__match_frame(s, function, file, module);

	snprintf(buf, len, "%s", hit ? hit : "");
	suppfile__free(s);
	return buf;
}

#define check_frame(file_text, function, file, module, want)                                       \
	do {                                                                                       \
		char buf_[256];                                                                    \
		const char *got_ =                                                                 \
		    frame_hit(file_text, function, file, module, buf_, sizeof(buf_));              \
		if (strcmp(got_, want))                                                            \
			fail_msg("\"%s\" on frame (%s, %s, %s): got \"%s\", want \"%s\"",          \
				 file_text, #function, #file, #module, got_, want);                \
	} while (0)

/*
 * LSan: "leak:ak_si" suppressed leak_site's block (a substring of the
 * function name); "leak:LEAK_SITE" suppressed nothing (case-sensitive).
 */
static void test_substring(void **state)
{
	(void)state;
	expect_match("ak_si", "leak_site", true);
	expect_match("leak_site", "leak_site", true);
	expect_match("LEAK_SITE", "leak_site", false);
	expect_match("leak_sites", "leak_site", false);
	expect_match("x", "leak_site", false);
}

/*
 * LSan: "l*k_s" and "**ab**" suppressed leak_site's and abab's blocks;
 * "leak:*" suppressed all four.
 */
static void test_wildcards(void **state)
{
	(void)state;
	expect_match("l*k_s", "leak_site", true);
	expect_match("**ab**", "abab", true);
	expect_match("*", "leak_site", true);
	expect_match("s*l", "leak_site", false); /* order counts */
	expect_match("le*ka", "leak_site", false);
	expect_match("*site*", "leak_site", true);
}

/*
 * LSan: "^leak" suppressed leak_site, "^eak" nothing; "site$" leak_site,
 * "sit$" nothing; "^abab$" abab; "^*ab" abab (a '*' lifts the anchor).
 */
static void test_anchors(void **state)
{
	(void)state;
	expect_match("^leak", "leak_site", true);
	expect_match("^eak", "leak_site", false);
	expect_match("site$", "leak_site", true);
	expect_match("sit$", "leak_site", false);
	expect_match("^abab$", "abab", true);
	expect_match("^abab$", "xabab", false);
	expect_match("^*ab", "abab", true);
	expect_match("^*ab", "xxab", true);
	expect_match("^a*b$", "axxb", true);
}

/*
 * LSan finds each literal run at its first occurrence and never
 * backtracks: "foo$" did not suppress foofoo, nor "^foo$"; "a*b$" and
 * "ab$" did not suppress abab; "fo*$" suppressed foofoo and foo_alloc
 * ("*$" matches any rest). '$' ends the pattern: "leak_site$x" suppressed
 * leak_site, "foo$foo" not foofoo. "leak:^" and an empty "leak:"
 * suppressed all four blocks, "leak:$" none.
 */
static void test_lsan_quirks(void **state)
{
	(void)state;
	expect_match("foo$", "foofoo", false);
	expect_match("^foo$", "foofoo", false);
	expect_match("a*b$", "abab", false);
	expect_match("ab$", "abab", false);
	expect_match("fo*$", "foofoo", true);
	expect_match("fo*$", "foo_alloc", true);
	expect_match("leak_site$x", "leak_site", true);
	expect_match("foo$foo", "foofoo", false);
	expect_match("^", "leak_site", true);
	expect_match("", "leak_site", true);
	expect_match("$", "leak_site", false);
	expect_match("^$", "leak_site", false);
}

/* An empty or missing name never matches, not even "*" (LSan's TemplateMatch). */
static void test_empty_text(void **state)
{
	(void)state;
	expect_match("*", "", false);
	expect_match("*", NULL, false);
	expect_match("", "", false);
	check_frame("leak:*\n", "", "", NULL, "");
	check_frame("leak:*\n", NULL, NULL, NULL, "");
	check_frame("leak:*\n", NULL, NULL, "x", "*");
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * A backtracking matcher takes O(n^k) steps for k stars on these: 1 MiB
 * names, patterns with five and 64 stars, must each take a moment.
 */
static void test_pathological(void **state)
{
	const size_t n = 1 << 20;
	char *name = malloc(n + 2), many[256] = "";
	struct timespec t0;
	double took;
	int i;

	(void)state;
	assert_non_null(name);
	memset(name, 'a', n);
	name[n] = '\0';
	for (i = 0; i < 64; i++)
		strcat(many, "*a");
	strcat(many, "*b");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_match("*a*a*a*a*a*b", name, false);
	expect_match("a*a*a*a*a*b$", name, false);
	expect_match(many, name, false);
	expect_match("^a*a*a*a*a*aab", name, false);
	name[n] = 'b';
	name[n + 1] = '\0';
	expect_match("*a*a*a*a*a*b", name, true);
	expect_match(many, name, true);
	expect_match("a*a*a*a*a*b$", name, true);
	took = seconds_since(&t0);
	if (took > 1.0)
		fail_msg("pathological patterns took %.3f s", took);
	free(name);
}

/*
 * LSan matches the function name, the source file and the module of a
 * frame. "leak:t.c" and "leak:/tmp/lsanD/t.c" suppressed all four blocks
 * (main is in t.c, also under foo_alloc); "leak:^t.c" none: the file is
 * DWARF's absolute path. "leak:foo.c" suppressed foo_alloc's.
 */
static void test_frame_function_and_file(void **state)
{
	(void)state;
	check_frame("leak:leak_site\n", "leak_site", T_SRC, T_MAIN, "leak_site");
	check_frame("leak:t.c\n", "main", T_SRC, T_MAIN, "t.c");
	check_frame("leak:/tmp/lsanD/t.c\n", "main", T_SRC, T_MAIN, "/tmp/lsanD/t.c");
	check_frame("leak:^t.c\n", "main", T_SRC, T_MAIN, "");
	check_frame("leak:foo.c\n", "foo_alloc", "/tmp/lsanD/foo.c", LIBFOO, "foo.c");
	check_frame("leak:foo.c\n", "leak_site", T_SRC, T_MAIN, "");
	/* "leak:libc_start_call_main.h" suppressed all: a relative DWARF path. */
	check_frame("leak:libc_start_call_main.h\n", "__libc_start_call_main", LIBC_SRC, LIBC,
		    "libc_start_call_main.h");
}

/*
 * LSan matches the module's full path: "leak:libfoo.so", "*libfoo*" and
 * "^/tmp/lsanD/libfoo.so$" suppressed foo_alloc's block, "^libfoo" did
 * not; "leak:t_main" and "^/tmp/lsanD/t_main$" suppressed all four (the
 * executable is the module of main). memleakd must pass the path.
 * LSan's module path is the one the loader opened: for libc
 * "/lib/x86_64-linux-gnu/libc.so.6" (stack_trace_format %m), and
 * "^/lib/x86_64-linux-gnu/libc.so.6" suppressed all four blocks,
 * "^/usr/lib/x86_64-linux-gnu/libc.so.6" (what /proc/PID/maps shows on
 * merged /usr) none: such anchored patterns are matched against the path
 * memleakd is given.
 */
static void test_frame_module(void **state)
{
	(void)state;
	check_frame("leak:libfoo.so\n", "foo_alloc", NULL, LIBFOO, "libfoo.so");
	check_frame("leak:*libfoo*\n", "foo_alloc", NULL, LIBFOO, "*libfoo*");
	check_frame("leak:^/tmp/lsanD/libfoo.so$\n", "foo_alloc", NULL, LIBFOO,
		    "^/tmp/lsanD/libfoo.so$");
	check_frame("leak:^libfoo\n", "foo_alloc", NULL, LIBFOO, "");
	check_frame("leak:t_main\n", "main", T_SRC, T_MAIN, "t_main");
	check_frame("leak:^/tmp/lsanD/t_main$\n", "main", T_SRC, T_MAIN, "^/tmp/lsanD/t_main$");
	/* "leak:libc.so" suppressed all: every stack ends in libc's start code. */
	check_frame("leak:libc.so\n", "__libc_start_call_main", LIBC_SRC, LIBC, "libc.so");
	/* LSan's top frame is its malloc interceptor: "leak:malloc" suppressed all. */
	check_frame("leak:malloc\n", "__interceptor_malloc", NULL,
		    "/usr/lib/x86_64-linux-gnu/liblsan.so.0", "malloc");
}

/*
 * Every frame LSan recorded counts: "leak:__libc_start_call_main" (the
 * last frame shown) suppressed all four blocks. LSan records at most
 * malloc_context_size frames (30): "leak:outer_frame" did not suppress a
 * block allocated 42 frames below outer_frame, and did with
 * malloc_context_size=60 or 12 frames below. memleakd's stacks may be
 * deeper: a pattern that matches only a frame past the 30th suppresses
 * there and not in LSan.
 *
 * Which pattern gets the hit. LSan tries every pattern on the module,
 * then every one on the function, then on the file: with "leak:t.c"
 * before "leak:leak_site" leak_site's block counted for leak_site;
 * "leak:leak_site" before "leak:t_main" and "leak:t.c" before
 * "leak:t_main" counted every block for t_main; "leak:malloc" before
 * "leak:liblsan" counted them for liblsan. Among patterns matching the
 * same name, the first in the file: "leak:leak" before "leak:leak_site"
 * counted for leak.
 */
static void test_frame_order(void **state)
{
	(void)state;
	check_frame("leak:t.c\nleak:leak_site\n", "leak_site", T_SRC, T_MAIN, "leak_site");
	check_frame("leak:leak_site\nleak:t.c\n", "leak_site", T_SRC, T_MAIN, "leak_site");
	check_frame("leak:leak_site\nleak:t_main\n", "leak_site", T_SRC, T_MAIN, "t_main");
	check_frame("leak:t.c\nleak:t_main\n", "leak_site", T_SRC, T_MAIN, "t_main");
	check_frame("leak:malloc\nleak:liblsan\n", "__interceptor_malloc", NULL,
		    "/usr/lib/x86_64-linux-gnu/liblsan.so.0", "liblsan");
	check_frame("leak:leak\nleak:leak_site\n", "leak_site", T_SRC, T_MAIN, "leak");
	check_frame("leak:abab\n", "leak_site", T_SRC, T_MAIN, "");
	assert_null(suppfile__match_frame(NULL, "leak_site", T_SRC, T_MAIN));
}

/*
 * C++: LSan matches the demangled name with its arguments. On
 * ns::Foo::bar(int) "leak:ns::Foo::bar", "Foo::bar(int)", "bar(int)$",
 * "^ns::" and "(int)" suppressed the block; "bar$" and the mangled
 * "_ZN2ns3Foo3barEi" did not.
 */
static void test_cxx_names(void **state)
{
	const char *bar = "ns::Foo::bar(int)";

	(void)state;
	expect_match("ns::Foo::bar", bar, true);
	expect_match("Foo::bar(int)", bar, true);
	expect_match("bar(int)$", bar, true);
	expect_match("^ns::", bar, true);
	expect_match("(int)", bar, true);
	expect_match("bar$", bar, false);
	expect_match("_ZN2ns3Foo3barEi", bar, false);
	check_frame("leak:ns::Foo::bar\n", bar, "/tmp/lsanD/x.cc", "/tmp/lsanD/x_main",
		    "ns::Foo::bar");
}

/*
 * C++ allocations (n.cc: new_site() does new int[4], str_site() a new
 * std::string(100, 'x')). LSan's innermost frame is its interceptor,
 * "operator new(unsigned long)" or "operator new[](unsigned long)" in
 * liblsan.so.0: "leak:operator new" suppressed all three blocks. The
 * string's buffer came from
 * "std::__cxx11::basic_string<char, ...>::_M_construct(unsigned long, char)"
 * in libstdc++.so.6 (no file: "<null>" in the report, never matched):
 * "leak:libstdc++" and "leak:std::__cxx11::basic_string" suppressed that
 * block only, not the plain new's, because LSan never sees libstdc++'s
 * operator new. memleakd's stacks hold the allocator's own frames (malloc
 * in libc, operator new in libstdc++): the caller must not match those
 * by module, or "leak:libstdc++" would suppress every new. LSan's fast
 * unwinder also stopped at libstdc++ (no frame pointers): that block's
 * stack had two frames, so "leak:str_site" did not suppress it.
 */
static void test_cxx_allocator_frames(void **state)
{
	const char *construct = "std::__cxx11::basic_string<char, std::char_traits<char>, "
				"std::allocator<char> >::_M_construct(unsigned long, char)";

	(void)state;
	check_frame("leak:operator new\n", "operator new(unsigned long)", NULL, NULL,
		    "operator new");
	check_frame("leak:operator new\n", "operator new[](unsigned long)", NULL, NULL,
		    "operator new");
	check_frame("leak:libstdc++\n", construct, NULL, "/lib/x86_64-linux-gnu/libstdc++.so.6",
		    "libstdc++");
	check_frame("leak:std::__cxx11::basic_string\n", construct, NULL, NULL,
		    "std::__cxx11::basic_string");
	check_frame("leak:null\n", construct, NULL, NULL, "");
}

/*
 * The format. LSan: spaces and tabs before "leak:" and after the pattern
 * are ignored, so is a '\r' before '\n' (CRLF files work); a '#' after
 * blanks starts a comment, a '#' later is part of the pattern ("leak:
 * leak_site # c" suppressed nothing); so is a blank after ':' ("leak:
 * leak_site" suppressed nothing) and quotes ("leak:\"leak_site\"" and
 * "leak:'abab'" suppressed nothing); blank lines and a last line without
 * '\n' are fine; '\v' and '\f' are not blanks ("leak:leak_site\v"
 * suppressed nothing); a lone '\r' does not end a line.
 */
static void test_format(void **state)
{
	struct suppfile *s;

	(void)state;
	check_frame("  \tleak:leak_site  \t\n", "leak_site", NULL, NULL, "leak_site");
	check_frame("leak:leak_site\r\n", "leak_site", NULL, NULL, "leak_site");
	check_frame("leak:x\r\nleak:abab\r\n", "abab", NULL, NULL, "abab");
	check_frame("# c\nleak:abab\n", "abab", NULL, NULL, "abab");
	check_frame("  # c\nleak:abab\n", "abab", NULL, NULL, "abab");
	check_frame("\t#leak:abab\n", "abab", NULL, NULL, "");
	check_frame("leak:leak_site # c\n", "leak_site", NULL, NULL, "");
	check_frame("leak:leak_site # c\n", "leak_site # c", NULL, NULL, "leak_site # c");
	check_frame("leak: leak_site\n", "leak_site", NULL, NULL, "");
	check_frame("leak:\"leak_site\"\n", "leak_site", NULL, NULL, "");
	check_frame("leak:'abab'\n", "abab", NULL, NULL, "");
	check_frame("leak:leak_site\v\n", "leak_site", NULL, NULL, "");
	check_frame("leak:leak_site\f\n", "leak_site", NULL, NULL, "");
	check_frame("leak:leak_site\rleak:abab\n", "abab", NULL, NULL, "");
	check_frame("\n\n   \n\t\nleak:abab", "abab", NULL, NULL, "abab");
	check_frame("leak:std::map<int, int>::insert\n", "std::map<int, int>::insert(int)", NULL,
		    NULL, "std::map<int, int>::insert");

	s = parse_ok("# only comments\n\n  \r\n");
	check_eq(suppfile__count(s), 0);
	assert_null(suppfile__match_frame(s, "leak_site", T_SRC, T_MAIN));
	suppfile__free(s);
	s = parse_ok("");
	check_eq(suppfile__count(s), 0);
	suppfile__free(s);
	s = parse_ok("leak:a\nleak:a\n# c\nleak:b");
	check_eq(suppfile__count(s), 3); /* LSan keeps duplicates too */
	suppfile__free(s);
}

/*
 * LSan refused these files with "LeakSanitizer: failed to parse
 * suppressions" (and exited 23), even when the other lines were good
 * ("leak:abab\nbogus" suppressed nothing): "leak :x", "Leak:x", a line
 * without ':', an unknown type ("foo:bar"), ASan's types
 * ("interceptor_via_fun:x"), a line starting with '\v', a UTF-8 byte
 * order mark (before "leak:" or before a '#' on a later line). An empty
 * "leak:" suppressed every block in LSan: memleakd refuses it, "leak:*"
 * says that on purpose. A NUL byte ended the file for LSan ("leak:a\0
 * leak:abab" did not suppress abab): memleakd refuses it.
 */
static void test_errors(void **state)
{
	static const char nul[] = "leak:leak_site\n\0leak:abab\n";

	(void)state;
	parse_fails("leak :leak_site\n", 16, "t.supp:1: 'leak :leak_site': blank before ':'");
	parse_fails("Leak:leak_site\n", 15, "t.supp:1: 'Leak:leak_site': the type is case");
	parse_fails("leak_site\n", 10, "t.supp:1: 'leak_site': no 'leak:' before the pattern");
	parse_fails("# c\nfoo:bar\n", 12, "t.supp:2: 'foo:bar': not a leak suppression");
	parse_fails("interceptor_via_fun:x", 21, "not a leak suppression");
	parse_fails("\vleak:abab\n", 11, "t.supp:1: '?leak:abab'");
	parse_fails("leak:abab\nbogus\n", 16, "t.supp:2: 'bogus'");
	parse_fails("leak  :x\n", 9, "t.supp:1: 'leak  :x': blank before ':'");
	parse_fails("leakx :x\n", 9, "not a leak suppression");
	parse_fails("\xef\xbb\xbfleak:abab\n", 13,
		    "t.supp:1: '???leak:abab': a UTF-8 byte order mark");
	parse_fails("leak:abab\n\xef\xbb\xbf# c\n", 16,
		    "t.supp:2: '???# c': a UTF-8 byte order mark");
	parse_fails("leak:\n", 6, "t.supp:1: 'leak:': an empty pattern");
	parse_fails("leak:  \t\r\n", 10, "an empty pattern");
	parse_fails("leak:a\r\nleak:\r\n", 15, "t.supp:2: 'leak:': an empty pattern");
	parse_fails(nul, sizeof(nul) - 1, "t.supp:2: '?leak:abab': a NUL byte");
	parse_fails("lea\x1b[2Jk:b\n", 11, "'lea?[2Jk:b'"); /* no escapes reach a terminal */
}

/* Lines of any length: kept whole as patterns, cut in messages. */
static void test_long_lines(void **state)
{
	const size_t n = 200000;
	char *text = malloc(n + 8), *name = malloc(n + 1), err[256] = "";
	struct suppfile *s = NULL;

	(void)state;
	assert_non_null(text);
	assert_non_null(name);
	memset(name, 'x', n);
	name[n] = '\0';
	memcpy(text, "leak:", 5);
	memcpy(text + 5, name, n);
	memcpy(text + 5 + n, "$\n", 3);
	s = parse_ok(text);
	check_eq(suppfile__count(s), 1);
	assert_non_null(suppfile__match_frame(s, name, NULL, NULL));
	name[n - 1] = 'y';
	assert_null(suppfile__match_frame(s, name, NULL, NULL));
	suppfile__free(s);

	text[4] = ';';
	s = (struct suppfile *)1;
	check_eq(suppfile__parse("t.supp", text, n + 7, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	check_contains(err, "t.supp:1: 'leak;xxxxxxxx");
	check_contains(err, "xxx...': no 'leak:'");
	if (strlen(err) > 200)
		fail_msg("error quotes too much: %zu bytes", strlen(err));
	free(text);
	free(name);
}

/* SUPPFILE_MAX_PATTERNS patterns load, one more is refused; SUPPFILE_MAX_BYTES likewise. */
static void test_limits(void **state)
{
	size_t i, len = SUPPFILE_MAX_BYTES + 1;
	char *text = malloc(len), err[256] = "", *p;
	struct suppfile *s = NULL;

	(void)state;
	assert_non_null(text);
	for (i = 0, p = text; i < SUPPFILE_MAX_PATTERNS; i++)
		p += sprintf(p, "leak:f%zu\n", i);
	s = parse_ok(text);
	check_eq(suppfile__count(s), SUPPFILE_MAX_PATTERNS);
	assert_non_null(suppfile__match_frame(s, "f4095", NULL, NULL));
	suppfile__free(s);

	strcpy(p, "# fine\nleak:one_too_many\n");
	parse_fails(text, strlen(text), "t.supp:4098: more than 4096 patterns");

	memset(text, '#', len);
	check_eq(suppfile__parse("t.supp", text, len - 1, &s, err, sizeof(err)), 0);
	check_eq(suppfile__count(s), 0);
	suppfile__free(s);
	check_eq(suppfile__parse("t.supp", text, len, &s, err, sizeof(err)), -EFBIG);
	assert_null(s);
	check_contains(err, "'t.supp': larger than 4 MiB");
	free(text);
}

/* Several --suppressions: file order kept, each file's own pointers stay valid. */
static void test_merge(void **state)
{
	struct suppfile *a = parse_ok("leak:leak\n"), *b = parse_ok("leak:leak_site\nleak:abab\n");
	const char *hit;
	size_t i;

	(void)state;
	check_eq(suppfile__merge(a, b), 0);
	check_eq(suppfile__count(a), 3);
	check_eq(suppfile__count(b), 2);
	hit = suppfile__match_frame(a, "abab", NULL, NULL);
	assert_string_equal(hit, "abab");
	assert_true(hit != suppfile__match_frame(b, "abab", NULL, NULL));
	assert_string_equal(suppfile__match_frame(a, "leak_site", NULL, NULL), "leak");
	check_eq(suppfile__merge(a, NULL), 0);
	suppfile__free(b);
	assert_string_equal(suppfile__match_frame(a, "leak_site", NULL, NULL), "leak");

	b = parse_ok("");
	for (i = 0; i < SUPPFILE_MAX_PATTERNS - 1; i++)
		check_eq(suppfile__merge(b, a), i < (SUPPFILE_MAX_PATTERNS - 1) / 3 ? 0 : -EINVAL);
	check_eq(suppfile__count(b), (SUPPFILE_MAX_PATTERNS - 1) / 3 * 3);
	suppfile__free(b);
	suppfile__free(a);
}

struct hit_log {
	char text[512];
};

static void log_hits(void *ctx, const char *pattern, size_t hits)
{
	struct hit_log *log = ctx;
	size_t used = strlen(log->text);

	snprintf(log->text + used, sizeof(log->text) - used, "%s=%zu;", pattern, hits);
}

static void log_used(void *ctx, const char *pattern, size_t hits, uint64_t bytes)
{
	struct hit_log *log = ctx;
	size_t used = strlen(log->text);

	snprintf(log->text + used, sizeof(log->text) - used, "%s=%zu/%llu;", pattern, hits,
		 (unsigned long long)bytes);
}

/*
 * LSan's summary ("Suppressions used:", count, bytes, template) lists the
 * patterns that suppressed something, in file order, a duplicate's hits
 * on the first: "leak:abab\nleak:abab" printed "1 3 abab" once.
 */
static void test_hits(void **state)
{
	struct suppfile *s = parse_ok("leak:t.c\nleak:leak_site\nleak:abab\nleak:abab\n");
	struct hit_log log = {""};
	const char *hit;
	char copy[32];

	(void)state;
	hit = suppfile__match_frame(s, "leak_site", T_SRC, T_MAIN);
	suppfile__count_hit(s, hit);
	suppfile__add_hits(s, hit, 2, 14);
	suppfile__add_hits(s, suppfile__match_frame(s, "main", T_SRC, T_MAIN), 3, 19);
	strcpy(copy, "abab");
	suppfile__count_hit(s, copy); /* equal text: the first "abab" */
	suppfile__count_hit(s, "nowhere");
	suppfile__count_hit(s, NULL);
	suppfile__count_hit(NULL, "abab");
	suppfile__each(s, log_hits, &log);
	assert_string_equal(log.text, "t.c=3;leak_site=3;abab=1;abab=0;");
	log.text[0] = '\0';
	suppfile__each_used(s, log_used, &log);
	assert_string_equal(log.text, "t.c=3/19;leak_site=3/14;abab=1/0;");

	/* by the pointer match_frame gives: the first "abab" again */
	suppfile__count_hit(s, suppfile__match_frame(s, "abab", NULL, NULL));
	log.text[0] = '\0';
	suppfile__each(s, log_hits, &log);
	assert_string_equal(log.text, "t.c=3;leak_site=3;abab=2;abab=0;");
	suppfile__add_hits(s, "t.c", SIZE_MAX, UINT64_MAX);
	log.text[0] = '\0';
	suppfile__each_used(s, log_used, &log);
	check_contains(log.text, "t.c=18446744073709551615/18446744073709551615;");
	suppfile__each(NULL, log_hits, &log);
	suppfile__free(s);
	suppfile__free(NULL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	check_eq(fclose(f), 0);
}

/* Reading: regular files only, never blocking on a FIFO, errors that name the path. */
static void test_load(void **state)
{
	char dir[] = "/tmp/test_suppfile.XXXXXX", path[64], err[512] = "";
	struct suppfile *s = (struct suppfile *)1;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lsan.supp", dir);
	write_file(path, "# ours\nleak:leak_site\r\nleak:libfoo.so\n");
	check_eq(suppfile__load(path, &s, err, sizeof(err)), 0);
	check_eq(suppfile__count(s), 2);
	assert_string_equal(suppfile__match_frame(s, "foo_alloc", NULL, LIBFOO), "libfoo.so");
	suppfile__free(s);

	write_file(path, "leak:a\nleak :b\n");
	check_eq(suppfile__load(path, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	check_contains(err, "/lsan.supp:2: 'leak :b': blank before ':'");

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	check_eq(ftruncate(fd, SUPPFILE_MAX_BYTES + 1), 0);
	close(fd);
	check_eq(suppfile__load(path, &s, err, sizeof(err)), -EFBIG);
	check_contains(err, "/lsan.supp' is larger than 4 MiB");
	check_eq(unlink(path), 0);

	check_eq(suppfile__load(path, &s, err, sizeof(err)), -ENOENT);
	check_contains(err, "cannot open suppression file '/tmp/test_suppfile.");
	check_contains(err, "/lsan.supp': No such file or directory");

	check_eq(suppfile__load(dir, &s, err, sizeof(err)), -EISDIR);
	check_contains(err, "is a directory, not a regular file");

	check_eq(mkfifo(path, 0600), 0);
	alarm(10); /* no writer: a blocking open would hang, SIGALRM ends the test instead */
	check_eq(suppfile__load(path, &s, err, sizeof(err)), -EINVAL);
	alarm(0);
	check_contains(err, "is a FIFO, socket or device, not a regular file");
	check_eq(unlink(path), 0);

	check_eq(suppfile__load("/dev/null", &s, err, sizeof(err)), -EINVAL);
	check_contains(err, "'/dev/null' is a FIFO, socket or device");
	assert_null(s);
	check_eq(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_substring),
	    cmocka_unit_test(test_wildcards),
	    cmocka_unit_test(test_anchors),
	    cmocka_unit_test(test_lsan_quirks),
	    cmocka_unit_test(test_empty_text),
	    cmocka_unit_test(test_pathological),
	    cmocka_unit_test(test_frame_function_and_file),
	    cmocka_unit_test(test_frame_module),
	    cmocka_unit_test(test_frame_order),
	    cmocka_unit_test(test_cxx_names),
	    cmocka_unit_test(test_cxx_allocator_frames),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_hits),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
