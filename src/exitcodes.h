/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exit statuses; documented in README.md ("Exit codes"). outcome.c maps an
 * outcome to one (main() returns it). In command mode the command's own
 * status passes through (N, 128+N for signal N) unless the leak gate is
 * reached (--error-exitcode, EXIT_LEAKS by default) or memleakd faults.
 */
#ifndef MEMLEAKD_EXITCODES_H
#define MEMLEAKD_EXITCODES_H

#define EXIT_OK		 0  /* ran and reported */
#define EXIT_FAILURE_RUN 1  /* unexpected failure while running (BPF load, attach, I/O) */
#define EXIT_USAGE	 2  /* bad or conflicting options */
#define EXIT_PERMISSION	 3  /* not root / missing CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE */
#define EXIT_KERNEL	 4  /* no kernel BTF or a needed kernel feature is missing */
#define EXIT_TARGET	 5  /* PID does not exist, or no allocator symbol in the target */
#define EXIT_OUTPUT	 6  /* an output file cannot be written */
#define EXIT_LEAKS	 10 /* --fail-on-leaks: the gate was reached (--error-exitcode's default) */
#define EXIT_NOT_ENDED	 11 /* command mode: memleakd stopped before the command ended */

#endif
