/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Byte-based sampling, the userspace half (bpf/sample.bpf.c draws the
 * samples): the exponential step table the kernel draws from, and the
 * unbiased estimate a sampled block stands for. Pure.
 */
#ifndef MEMLEAKD_SAMPLE_H
#define MEMLEAKD_SAMPLE_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "memleak.h"

/* Fills steps[ML_SAMPLE_QUANTILES] with quantiles of Exp(mean): -mean * ln(1 - (i + 0.5) / n). */
void sample__steps(uint64_t mean, uint64_t *steps);

/*
 * The bytes a sampled block of size stands for: size / (1 - exp(-size / mean)),
 * so sums of estimates are unbiased whatever the sizes. size itself when mean is 0.
 */
uint64_t sample__estimate(uint64_t size, uint64_t mean);

#endif
