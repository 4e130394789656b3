/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How big the ring buffer must be: what every CPU can produce between two
 * drains, at the fastest a uprobe allows, with room to spare.
 */
#ifndef MEMLEAKD_SIZING_H
#define MEMLEAKD_SIZING_H

#include <stddef.h>

#define RINGBUF_MIN_BYTES ((size_t)4 << 20)
#define RINGBUF_MAX_BYTES ((size_t)256 << 20)

/*
 * Bytes (a power of two in [RINGBUF_MIN_BYTES, RINGBUF_MAX_BYTES]) holding
 * drain_ms of records from nr_cpus CPUs each trapping every trap_ns, twice
 * over: the BPF side forces a wakeup at half full.
 */
size_t sizing__ringbuf_bytes(unsigned int nr_cpus, unsigned int drain_ms, unsigned int trap_ns,
			     size_t record_bytes);

#endif
