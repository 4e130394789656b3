/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Readable names for C++ and Rust (legacy and v0) symbols, via libiberty. */
#ifndef MEMLEAKD_DEMANGLE_H
#define MEMLEAKD_DEMANGLE_H

/* The demangled name (malloc'd, caller frees), or NULL when it is not mangled. */
char *demangle(const char *symbol);

#endif
