// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <libiberty/demangle.h>
#include <string.h>

#include "demangle.h"

/* Symbol names are untrusted: libiberty bounds its recursion; keep input sane too. */
#define MAX_MANGLED_LEN 4096

char *demangle(const char *symbol)
{
	/* Itanium C++ (and Rust legacy) names start with _Z, Rust v0 with _R. */
	if (!symbol || symbol[0] != '_' || (symbol[1] != 'Z' && symbol[1] != 'R') ||
	    strnlen(symbol, MAX_MANGLED_LEN + 1) > MAX_MANGLED_LEN)
		return NULL;
	return cplus_demangle(symbol, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}
