// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for reach__classify: the target's memory is what the
 * traced process wrote, so every word may be anything. The input chooses
 * the blocks (any sizes and gaps, unaligned, up to the end of the address
 * space), a byte limit, registers, and the memory image the roots and
 * blocks are read from. Nothing may crash, and the verdicts must add up.
 *
 * make fuzz; build/fuzz/fuzz_reach -max_total_time=60 CORPUS_DIR
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reach.h"

#define MAX_BLOCKS 256

struct image {
	uint64_t base;
	const uint8_t *bytes;
	size_t len;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct image *img = ctx;

	if (len > 64 * 1024)
		abort(); /* reach.h: reads of at most 64 KiB */
	if (addr < img->base || addr - img->base > img->len || len > img->len - (addr - img->base))
		return -EFAULT;
	memcpy(buf, img->bytes + (addr - img->base), len);
	return 0;
}

static uint64_t take(const uint8_t **data, size_t *size, size_t n)
{
	uint64_t value = 0;

	while (n-- && *size) {
		value = value << 8 | **data;
		(*data)++;
		(*size)--;
	}
	return value;
}

static void check_verdicts(const struct reach_block *blocks, size_t nr,
			   const struct reach_stats *st)
{
	uint64_t count = 0, from = 0;
	size_t i;
	int c;

	for (i = 0; i < nr; i++) {
		if (blocks[i].cls >= NR_REACH_CLASSES)
			abort();
		if (st->truncated &&
		    (blocks[i].cls == REACH_LOST || blocks[i].cls == REACH_INDIRECT))
			abort(); /* a partial scan calls nothing lost */
		if (!st->truncated && blocks[i].cls == REACH_UNSCANNED)
			abort();
	}
	for (c = 0; c < NR_REACH_CLASSES; c++)
		count += st->count[c];
	for (c = 0; c < NR_ROOT_KINDS; c++)
		from += st->reached_from[c];
	if (count != nr || from != st->count[REACH_REACHABLE])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reach_block *blocks;
	struct reach_region roots[2];
	struct reach_limits limits = {0};
	struct reach_stats stats;
	uint64_t regs[2], addr;
	struct image img;
	size_t nr, i;

	nr = take(&data, &size, 1) % MAX_BLOCKS;
	limits.max_bytes = take(&data, &size, 2) * 16;
	regs[0] = take(&data, &size, 8);
	regs[1] = take(&data, &size, 8);
	addr = take(&data, &size, 8);
	blocks = calloc(nr ? nr : 1, sizeof(*blocks));
	if (!blocks)
		return 0;
	/* Sorted and not overlapping, as reach.h asks: each block after the last one's end. */
	for (i = 0; i < nr; i++) {
		uint64_t gap = take(&data, &size, 1), len = take(&data, &size, 2);

		if (addr > UINT64_MAX - gap)
			break;
		blocks[i].addr = addr + gap;
		blocks[i].size = len == 0xffff ? 200 * 1024 : len; /* a large block now and then */
		if (blocks[i].addr > UINT64_MAX - (blocks[i].size ? blocks[i].size : 1))
			break;
		addr = blocks[i].addr + (blocks[i].size ? blocks[i].size : 1);
	}
	nr = i;
	/* The rest is memory where blocks may live: its first half and its last eighth (and beyond)
	 * roots. */
	img.base = nr ? blocks[0].addr & ~(uint64_t)0xfff : 0x1000;
	img.bytes = data;
	img.len = size;
	roots[0] = (struct reach_region){img.base, img.base + size / 2, ROOT_GLOBALS};
	roots[1] =
	    (struct reach_region){img.base + size - size / 8, img.base + size + 64, ROOT_STACK};
	if (reach__classify(blocks, nr, roots, 2, regs, 2, image_read, &img, &limits, &stats) == 0)
		check_verdicts(blocks, nr, &stats);
	free(blocks);
	return 0;
}
