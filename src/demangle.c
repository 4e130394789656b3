// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <libiberty/demangle.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

/*
 * Symbol names are untrusted, and a few hundred bytes of substitutions can
 * ask libiberty for an output that doubles with each parameter (audit
 * finding 5). The bounds: the input length; the number of substitution and
 * template-parameter references (real names stay well below: at most 44 in
 * libstdc++, LLVM and Boost); and above all the output, which stops the
 * demangler as soon as it passes MAX_DEMANGLED_LEN, so the work done is in
 * proportion to what is printed.
 */
#define MAX_MANGLED_LEN	  DEMANGLE_MAX_MANGLED_LEN
#define MAX_REFERENCES	  128
#define MAX_DEMANGLED_LEN DEMANGLE_MAX_DEMANGLED_LEN
#define DEMANGLE_OPTIONS  (DMGL_PARAMS | DMGL_ANSI)

struct demangled_text {
	char text[MAX_DEMANGLED_LEN];
	size_t len;
	jmp_buf too_long; /* where append() goes when the budget is spent */
};

/*
 * libiberty's callback for each piece of output. The callback forms keep
 * their working memory on the stack (they are meant for places where
 * malloc is not allowed), so leaving them with longjmp frees everything.
 */
static void append(const char *piece, size_t len, void *opaque)
{
	struct demangled_text *out = opaque;

	if (!len)
		return; /* the Rust demangler passes (NULL, 0) pieces */
	if (len > MAX_DEMANGLED_LEN - out->len)
		longjmp(out->too_long, 1);
	memcpy(out->text + out->len, piece, len);
	out->len += len;
}

/* S_, S<seq-id>_, T_, T<n>_: each may copy a whole earlier part of the name. */
static size_t count_references(const char *symbol)
{
	size_t refs = 0;
	const char *p, *q;

	for (p = symbol; *p; p++) {
		if (*p != 'S' && *p != 'T')
			continue;
		for (q = p + 1; (*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z'); q++)
			;
		refs += *q == '_';
	}
	return refs;
}

/* As cplus_demangle with DMGL_AUTO: Rust (legacy and v0) first, then Itanium C++. */
static bool demangle_bounded(const char *symbol, struct demangled_text *out)
{
	out->len = 0;
	if (setjmp(out->too_long))
		return false;
	if (rust_demangle_callback(symbol, DEMANGLE_OPTIONS, append, out))
		return true;
	out->len = 0;
	return cplus_demangle_v3_callback(symbol, DEMANGLE_OPTIONS, append, out) != 0;
}

char *demangle(const char *symbol)
{
	struct demangled_text *out;
	char *readable = NULL;

	/* Itanium C++ (and Rust legacy) names start with _Z, Rust v0 with _R. */
	if (!symbol || symbol[0] != '_' || (symbol[1] != 'Z' && symbol[1] != 'R') ||
	    strnlen(symbol, MAX_MANGLED_LEN + 1) > MAX_MANGLED_LEN ||
	    count_references(symbol) > MAX_REFERENCES)
		return NULL;
	out = malloc(sizeof(*out));
	if (!out)
		return NULL;
	if (demangle_bounded(symbol, out) && out->len)
		readable = strndup(out->text, out->len);
	free(out);
	return readable;
}
