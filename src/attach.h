/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Start-up: find the processes to trace (the -p PIDs, or every process
 * system-wide), check that each can be traced, and attach to them once the
 * BPF side is loaded. Failures return -errno with the stage in *why; the
 * message naming cause and fix is printed here.
 */
#ifndef MEMLEAKD_ATTACH_H
#define MEMLEAKD_ATTACH_H

#include "lifecycle.h"
#include "outcome.h"
#include "provider.h"

/*
 * Every PID exists and maps an allocator, before anything is loaded: the
 * targets are added to lc and their providers returned in *provs (one per
 * PID, in order; attach__free_providers frees them). 0 or -errno.
 */
int attach__prepare_pids(struct lifecycle *lc, const int *pids, int nr_pids,
			 struct providers ***provs, enum fault *why);
void attach__free_providers(struct providers **provs, int nr_pids);
/* System-wide: every process now running that maps files. 0 or -errno. */
int attach__prepare_all(struct lifecycle *lc, enum fault *why);

/* Attaches the targets prepared by attach__prepare_pids. 0 or -errno. */
int attach__pids(struct lifecycle *lc, struct tracer *tracer, struct providers **provs,
		 enum fault *why);
/* System-wide: probes what every known process maps; failures are counted. */
void attach__everything(struct lifecycle *lc);

#endif
