/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Exit statuses; documented in README.md ("Exit codes"). Only main() uses them. */
#ifndef MEMLEAKD_EXITCODES_H
#define MEMLEAKD_EXITCODES_H

#define EXIT_OK		    0  /* ran and reported */
#define EXIT_FAILURE_RUN    1  /* unexpected failure while running (BPF load, attach, I/O) */
#define EXIT_USAGE	    2  /* bad or conflicting options */
#define EXIT_PERMISSION	    3  /* not root / missing CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE */
#define EXIT_KERNEL	    4  /* no kernel BTF or a needed kernel feature is missing */
#define EXIT_TARGET	    5  /* PID does not exist, or no allocator symbol in the target */
#define EXIT_OUTPUT	    6  /* an output file cannot be written */
#define EXIT_LEAKS	    10 /* command mode, --fail-on-leaks: the command leaked */
#define EXIT_COMMAND_FAILED 11 /* command mode: the command failed (status or signal) */

#endif
