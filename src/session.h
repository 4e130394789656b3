/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One tracing run: check the environment, attach to the targets, drain
 * events into the allocation table, and at each interval build a snapshot
 * and render it (report on stdout, folded file).
 */
#ifndef MEMLEAKD_SESSION_H
#define MEMLEAKD_SESSION_H

#include "opts.h"
#include "outcome.h"

/*
 * Runs until Ctrl-C/SIGTERM, -d expiry or the targets' exit. 0, or -errno
 * with the failing stage in outcome->fault; command mode's verdict is in
 * outcome either way.
 */
int session__run(const struct opts *opts, struct outcome *outcome);

#endif
