/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A self-contained SVG flame graph of outstanding bytes: one box per frame,
 * root (the process) at the bottom, width proportional to bytes. Frames on
 * stacks flagged growing are drawn in a colour of their own and their hover
 * titles give bytes, share and growth rate. No scripts, no external files.
 */
#ifndef MEMLEAKD_FLAMEGRAPH_H
#define MEMLEAKD_FLAMEGRAPH_H

#include <stdio.h>

#include "snapshot.h"

/* Writes the SVG document; 0 or -errno. */
int flamegraph__render(FILE *out, const struct snapshot *snap);

#endif
