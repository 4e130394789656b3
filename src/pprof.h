/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A snapshot as a gzip-compressed pprof profile (profile.proto, encoded
 * with protobuf-c): sample types inuse_space, inuse_objects, alloc_space,
 * alloc_objects; one sample per stack with pid and comm labels; mappings
 * with build IDs; locations with inlined lines; functions with files.
 */
#ifndef MEMLEAKD_PPROF_H
#define MEMLEAKD_PPROF_H

#include <stdio.h>

#include "snapshot.h"

/* Writes the gzipped profile to out; 0 or -errno. */
int pprof__write(FILE *out, const struct snapshot *snap);

#endif
