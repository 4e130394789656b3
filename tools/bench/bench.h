/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the drain bench's BPF producer and its userspace side both know. */
#ifndef MEMLEAKD_BENCH_H
#define MEMLEAKD_BENCH_H

/* Records one run of the synthetic producer writes (an ALLOC/FREE pair per two). */
#define BENCH_BATCH 4096

#endif
