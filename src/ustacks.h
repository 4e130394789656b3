/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stacks made in userspace (a Go heap bucket's PCs, a goroutine's creation
 * PC read by the census), interned under ids of their own: USTACK_ID_BASE
 * and above, never a BPF stack map's id. Frames are return addresses,
 * leaf first, like a captured stack. Pure logic.
 */
#ifndef MEMLEAKD_USTACKS_H
#define MEMLEAKD_USTACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USTACK_ID_BASE	 0x40000000
#define USTACK_MAX_DEPTH 127 /* longer stacks are cut (like the kernel's) */
#define USTACK_MAX_IDS	 1000000

struct ustacks;

struct ustacks *ustacks__new(void);
void ustacks__free(struct ustacks *s);

/* The id of pcs[0..nr) (the same pcs always get the same id), or -ENOMEM/-ENOSPC. */
int32_t ustacks__intern(struct ustacks *s, const uint64_t *pcs, size_t nr);

/* Whether stack_id is one of ours (>= USTACK_ID_BASE). */
static inline bool ustacks__owns(int32_t stack_id)
{
	return stack_id >= USTACK_ID_BASE;
}

/* snapshot's stack_reader_fn: the frames of id, leaf first. Count, or -ENOENT. */
int ustacks__read(void *ustacks, int32_t stack_id, uint64_t *ips, size_t max_ips);

/* Stacks interned. */
size_t ustacks__count(const struct ustacks *s);

#endif
