// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for goheap__read: the input is a Go process's memory as
 * the reader sees it (the target controls all of it). At 0x10000: the
 * globals (mbuckets, mProfCycle, MemProfileRate at +0, +8, +16), then
 * whatever the fuzzer builds; everything else is unmapped. Two reads, the
 * second through the cache after the head pointer moved. Nothing may crash
 * or read out of bounds; the buckets returned must be well formed.
 *
 * make fuzz; build/fuzz/fuzz_goheap -max_total_time=60 CORPUS_DIR
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goheap.h"

#define IMAGE_BASE 0x10000ull

struct image {
	const uint8_t *bytes;
	size_t size;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct image *im = ctx;

	if (addr < IMAGE_BASE || addr - IMAGE_BASE > im->size ||
	    len > im->size - (addr - IMAGE_BASE))
		return -EFAULT;
	memcpy(buf, im->bytes + (addr - IMAGE_BASE), len);
	return 0;
}

static void check_profile(const struct goheap_profile *p)
{
	size_t i;

	if (p->nr_buckets > GOHEAP_MAX_BUCKETS || (p->nr_buckets && !p->rate))
		abort();
	for (i = 0; i < p->nr_buckets; i++) {
		const struct goheap_bucket *b = &p->buckets[i];
		volatile uint64_t last;

		if (!b->nr_pcs || b->nr_pcs > 1024)
			abort();
		last = b->pcs[b->nr_pcs - 1]; /* ASan: the PCs are all there */
		(void)last;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct goheap_globals g = {.mbuckets = IMAGE_BASE,
					 .mprofcycle = IMAGE_BASE + 8,
					 .memprofilerate = IMAGE_BASE + 16};
	uint8_t *copy = malloc(size ? size : 1);
	struct image im = {.bytes = copy, .size = size};
	struct goheap_profile p;
	struct goheap *h = goheap__new();

	if (!copy || !h)
		goto out;
	memcpy(copy, data, size);
	if (goheap__read(h, &g, image_read, &im, &p) == 0)
		check_profile(&p);
	if (size >= 8)
		copy[0] ^= 0x30; /* another head: a push, or a list the cache does not know */
	if (goheap__read(h, &g, image_read, &im, &p) == 0)
		check_profile(&p);
out:
	goheap__free(h);
	free(copy);
	return 0;
}
