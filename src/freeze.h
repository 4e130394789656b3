/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stopping every thread of a process for a scan, and letting them go:
 * PTRACE_SEIZE and PTRACE_INTERRUPT on each thread (new ones are caught
 * by scanning /proc/PID/task until a pass finds none), so their registers
 * can be read. A process already stopped (SIGSTOP, memleakd's exit hold)
 * stays stopped after freeze__thaw; a running one runs on. If memleakd
 * dies meanwhile, the kernel detaches and the threads run on.
 *
 * All calls for one frozen process must come from the same thread (ptrace
 * is per tracer thread).
 */
#ifndef MEMLEAKD_FREEZE_H
#define MEMLEAKD_FREEZE_H

#include <stddef.h>
#include <stdint.h>

/* General registers of one thread, as PTRACE_GETREGSET NT_PRSTATUS gives them. */
#define FREEZE_MAX_REGS 64

struct frozen_thread {
	int tid;
	uint64_t sp; /* its stack pointer */
	uint64_t regs[FREEZE_MAX_REGS];
	size_t nr_regs;
	/*
	 * The signal it was about to take when it stopped (a
	 * signal-delivery-stop), handed back by freeze__thaw; 0: none.
	 */
	int pending_sig;
};

struct frozen {
	int pid;
	struct frozen_thread *threads;
	size_t nr_threads;
	uint64_t frozen_at_ns; /* CLOCK_MONOTONIC when the last thread stopped */
};

/*
 * Stops every thread of pid within timeout_ms (a thread in an
 * uninterruptible sleep may not stop in time). 0 and *out; else -errno
 * with the cause and fix in why, and nothing left attached:
 * -ESRCH the process is gone, -EPERM another tracer (gdb, strace) holds a
 * thread or ptrace is forbidden (kernel.yama.ptrace_scope = 3),
 * -ETIMEDOUT a thread did not stop.
 */
int freeze__process(int pid, int timeout_ms, struct frozen **out, char *why, size_t why_len);
/* Detaches every thread (they go on, or stay group-stopped) and frees f. Accepts NULL. */
void freeze__thaw(struct frozen *f);
/*
 * A thread that did not stop in time (-ETIMEDOUT) cannot be detached while
 * it runs: it stays seized, and stops when it leaves its sleep. This lets
 * go of every such thread that has stopped (or exited) by now; each
 * freeze__process and freeze__thaw call does it too. Call it from the
 * thread that called freeze__process, now and then, until it returns 0.
 * Returns how many threads are still waiting to be let go.
 */
size_t freeze__release_stragglers(void);

#endif
