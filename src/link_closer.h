/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Closes BPF link fds off the caller's thread. Closing a uprobe link waits
 * for an RCU grace period (~50 ms on 6.18); closes that wait at the same
 * time share it (50 links in ~70 ms), so a pool of threads closes them
 * concurrently and the drain loop never waits.
 */
#ifndef MEMLEAKD_LINK_CLOSER_H
#define MEMLEAKD_LINK_CLOSER_H

#include <stddef.h>

struct link_closer;

/* A pool of up to nr_threads closers, started on demand. NULL when out of memory. */
struct link_closer *link_closer__new(unsigned int nr_threads);
/* Queues fd to be closed; closes it here when no thread can take it. */
void link_closer__close(struct link_closer *c, int fd);
/* Waits until every queued fd is closed. */
void link_closer__wait(struct link_closer *c);
/* Fds queued or being closed now. */
size_t link_closer__pending(struct link_closer *c);
/* Waits, stops the threads and frees c; accepts NULL. */
void link_closer__free(struct link_closer *c);

#endif
