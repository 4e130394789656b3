/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Command mode: the command runs as memleakd's child, held before exec
 * until the probes are ready, with memleakd's stdin, stdout, stderr and
 * process group, so it behaves as if it ran alone.
 */
#ifndef MEMLEAKD_COMMAND_H
#define MEMLEAKD_COMMAND_H

#include <signal.h>
#include <stddef.h>

struct command;

/*
 * Forks the child, which waits before exec. The signals memleakd handles
 * itself (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE) are given back to the
 * child as memleakd found them: ignored when in ignored, default otherwise.
 * 0 or -errno.
 */
int command__spawn(char *const argv[], const sigset_t *ignored, struct command **out);
/* The signals of that list ignored now (call before changing them). */
void command__ignored_signals(sigset_t *ignored);
int command__pid(const struct command *c);
/*
 * Lets the child exec argv. 0 once exec succeeded; -errno when it failed
 * (not found, not executable), with the reason in err.
 */
int command__release(struct command *c, char *err, size_t err_len);
/* Reaps the child without blocking: 1 when it exited (status set), 0 if running. */
int command__reap(struct command *c, int *wait_status);
/* "exited with status 3", "killed by signal 11 (Segmentation fault)". */
const char *command__describe(int wait_status, char *buf, size_t len);
/* Frees c; a child not yet released is killed and reaped. Accepts NULL. */
void command__free(struct command *c);

#endif
