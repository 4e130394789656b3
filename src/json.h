/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One JSON object per snapshot, on one line (JSON lines). The field names
 * are documented in the README and kept stable.
 */
#ifndef MEMLEAKD_JSON_H
#define MEMLEAKD_JSON_H

#include <stdio.h>

#include "snapshot.h"

/* Writes snap as one line; 0 or -EIO. */
int json__render(FILE *out, const struct snapshot *snap);

#endif
