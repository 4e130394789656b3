/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How a run ended, as the session reports it: the stage that failed (with
 * -errno), or, in command mode, what the command did and whether it
 * leaked. outcome__exit_status turns it into the exit status (exitcodes.h).
 */
#ifndef MEMLEAKD_OUTCOME_H
#define MEMLEAKD_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot.h"

/* What failed; the message naming cause and fix was printed where it happened. */
enum fault {
	FAULT_NONE,	  /* ran and reported */
	FAULT_RUN,	  /* unexpected failure (out of memory, BPF attach, event loop) */
	FAULT_PERMISSION, /* privileges, or /proc unreadable */
	FAULT_KERNEL,	  /* no BTF, the BPF object refused */
	FAULT_TARGET,	  /* PID gone, nothing to trace, the command cannot start */
	FAULT_OUTPUT,	  /* an output file cannot be written */
	FAULT_USAGE,	  /* an option's file is unusable (--suppressions) */
};

enum verdict {
	VERDICT_NONE,		/* not command mode, or a fault */
	VERDICT_CLEAN,		/* the command succeeded, under the leak gate */
	VERDICT_LEAKS,		/* --fail-on-leaks: the gate was reached */
	VERDICT_COMMAND_FAILED, /* non-zero status or a signal */
	VERDICT_NOT_ENDED,	/* memleakd stopped before the command exited */
};

/* What --fail-on-leaks counts (opts.fail_gate). */
enum fail_gate {
	GATE_LOST,	/* definitely + indirectly lost blocks, and blocks no scan classified */
	GATE_REACHABLE, /* =reachable: every block not freed at exit (memleakd <= 0.13) */
};

struct outcome {
	enum fault fault;
	int err; /* -errno behind the fault, 0 when none */
	/* Command mode: */
	bool command_mode;
	bool command_done;
	int command_status;	 /* wait status once command_done */
	uint64_t leaked_bytes;	 /* outstanding at exit outside suppressed stacks */
	struct leak_tally leaks; /* the same by class (snapshot__leak_tally of the last report) */
	bool fail_on_leaks;
	enum fail_gate gate;
	/*
	 * The gate is reached when the blocks it counts are >= 1 block, or,
	 * with --fail-on-leaks=BYTES (fail_bytes > 0), >= fail_bytes bytes.
	 */
	uint64_t fail_bytes;
	int error_exitcode; /* --error-exitcode N: the status when the gate is reached (10) */
};

/*
 * The leak gate first (VERDICT_LEAKS whatever the command did), then the
 * command's own failure (VERDICT_COMMAND_FAILED: under the gate).
 */
enum verdict outcome__verdict(const struct outcome *o);
/*
 * The exit status (exitcodes.h): a fault's code; the gate reached:
 * error_exitcode (0: the command's status); otherwise the command's own
 * status (N, or 128+N for signal N); EXIT_NOT_ENDED when memleakd stopped
 * first; EXIT_OK when not command mode.
 */
int outcome__exit_status(const struct outcome *o);
/* Command mode: the verdict in one line ("memleakd: LEAKS: ..."); nothing otherwise. */
void outcome__say_verdict(const struct outcome *o, FILE *out);

#endif
