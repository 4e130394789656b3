/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Readable names for C++ and Rust (legacy and v0) symbols, via libiberty. */
#ifndef MEMLEAKD_DEMANGLE_H
#define MEMLEAKD_DEMANGLE_H

/* Longer mangled names are not demangled (shown raw). */
#define DEMANGLE_MAX_MANGLED_LEN   1024
/* A name whose demangled form would be longer is shown raw; the work stops there. */
#define DEMANGLE_MAX_DEMANGLED_LEN (16 * 1024)

/*
 * The demangled name (malloc'd, caller frees), or NULL when it is not
 * mangled or is refused by the bounds above (the caller shows it raw).
 */
char *demangle(const char *symbol);

#endif
