// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>

#include "sizing.h"

size_t sizing__ringbuf_bytes(unsigned int nr_cpus, unsigned int drain_ms, unsigned int trap_ns,
			     size_t record_bytes)
{
	uint64_t per_cpu, need, size = RINGBUF_MIN_BYTES;

	if (!nr_cpus || !trap_ns)
		return RINGBUF_MAX_BYTES;
	/* Records one CPU makes in one drain period, at one record per trap. */
	per_cpu = (uint64_t)drain_ms * 1000000u / trap_ns;
	need = 2 * (uint64_t)nr_cpus * per_cpu * record_bytes;
	while (size < need && size < RINGBUF_MAX_BYTES)
		size *= 2;
	return (size_t)size;
}
