/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMLEAKD_UNITS_H
#define MEMLEAKD_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define HUMAN_BYTES_LEN 16

/* "512 B", "1.5 KiB", "12.0 MiB": powers of 1024, one decimal above bytes. */
const char *format_bytes(uint64_t bytes, char buf[HUMAN_BYTES_LEN]);

#define HUMAN_COUNT_LEN 28 /* UINT64_MAX with separators: 26 characters */

/* "1,204": thousands separated by commas, whatever the locale. */
const char *format_count(uint64_t count, char buf[HUMAN_COUNT_LEN]);

#endif
