/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output files replaced atomically: written to a fresh temporary file in the
 * same directory (O_EXCL, never following a planted link), then renamed over
 * the target, so a reader never sees half a file.
 */
#ifndef MEMLEAKD_OUTFILE_H
#define MEMLEAKD_OUTFILE_H

#include <stdio.h>

struct outfile;

/* Starts a new version of path. NULL with errno set. */
struct outfile *outfile__begin(const char *path);
FILE *outfile__stream(struct outfile *f);
/* Flushes, syncs and renames into place. 0 or -errno; f is freed either way. */
int outfile__commit(struct outfile *f);
/* Removes the temporary file; accepts NULL. */
void outfile__abort(struct outfile *f);

/* Checks up front that path can be written (creates and removes a temp file). */
int outfile__check_writable(const char *path);

#endif
