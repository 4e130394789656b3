/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading another process's memory: the one reader the Go census and heap
 * reader use in the daemon (tests pass their own over a synthetic image).
 */
#ifndef MEMLEAKD_PROCMEM_H
#define MEMLEAKD_PROCMEM_H

#include <stddef.h>
#include <stdint.h>

/* Reads len bytes at addr of the reader's process into buf: 0 or -errno (-EFAULT: unmapped). */
typedef int (*mem_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);
/* Writes len bytes at addr: 0 or -errno. */
typedef int (*mem_write_fn)(void *ctx, uint64_t addr, const void *buf, size_t len);

struct procmem {
	int pid;
	uint64_t bytes_read; /* since creation, for cost reports */
	uint64_t reads;	     /* calls */
};

/* mem_read_fn over process_vm_readv: ctx is a struct procmem. */
int procmem__read(void *procmem, uint64_t addr, void *buf, size_t len);
/* mem_write_fn over /proc/PID/mem (opt-in writes only). */
int procmem__write(void *procmem, uint64_t addr, const void *buf, size_t len);

#endif
