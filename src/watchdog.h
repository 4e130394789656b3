/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MEMLEAKD_WATCHDOG_H
#define MEMLEAKD_WATCHDOG_H

#include <stddef.h>

/*
 * The watchdog: a child process that outlives memleakd for one purpose.
 * BPF holds processes (SIGSTOP at fork, at exec and at the loader's hook)
 * until memleakd has read them; if memleakd is SIGKILLed or crashes,
 * nobody would continue them. The watchdog keeps a descriptor of the map
 * of held processes and one end of a socket pair whose other end only
 * memleakd holds: at end of file (memleakd exited, however it did) it
 * calls release(held_fd), which continues every process still in the map,
 * and exits. After a normal stop (a byte comes first) at once; after a
 * death, once memleakd is gone entirely (its pidfd polls readable), for
 * its probe links close one by one at its exit and can stop a process
 * again until then. It closes every other descriptor at once (memleakd's
 * probe links must die with memleakd, and a reader of its stdout must see
 * EOF), and ignores the terminal's signals, so a Ctrl-C meant for
 * memleakd leaves it watching.
 */
struct watchdog;

/* Continues every process held in the map held_fd; returns how many. */
typedef size_t (*watchdog_release_fn)(int held_fd);

/* Forks the watchdog. 0 or -errno. */
int watchdog__start(int held_fd, watchdog_release_fn release, struct watchdog **out);

/* memleakd leaves normally, having continued what it held: the watchdog finds nothing and exits.
 * NULL ok. */
void watchdog__stop(struct watchdog *w);

#endif
