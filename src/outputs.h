/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where each snapshot goes: the report on stdout, --folded, --pprof and
 * --svg files replaced atomically, and the --json stream. Only renders
 * what it is given; it never reads the live tables.
 */
#ifndef MEMLEAKD_OUTPUTS_H
#define MEMLEAKD_OUTPUTS_H

#include "opts.h"
#include "snapshot.h"

struct outputs;

/* Checks that every output file can be written. 0 or -errno, cause and fix printed. */
int outputs__check(const struct opts *opts);
/*
 * Opens --json, appended to. Only a regular file with one link, owned by
 * the effective user, is used (created when missing): a symlink, FIFO,
 * device, or another user's file planted at the path is refused without
 * blocking. 0 or -errno, the cause and fix printed.
 */
int outputs__open(const struct opts *opts, struct outputs **out);
/*
 * Renders snap to every output. 0; -EPIPE when stdout is gone (a closed
 * pipe: nobody reads the report); -errno of the first file that failed
 * (printed once, kept in outputs__error).
 */
int outputs__write(struct outputs *outs, const struct snapshot *snap);
/* The first error writing a file, or 0. */
int outputs__error(const struct outputs *outs);
/* Accepts NULL. */
void outputs__close(struct outputs *outs);

#endif
