/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One tracing run: check the environment, attach to the targets, drain
 * events into the allocation table, and at each interval build a snapshot
 * and render it (report on stdout, folded file). Returns an exit code.
 */
#ifndef MEMLEAKD_SESSION_H
#define MEMLEAKD_SESSION_H

#include "opts.h"

/* Runs until Ctrl-C/SIGTERM, -d expiry or the targets' exit; an EXIT_* code. */
int session__run(const struct opts *opts);

#endif
