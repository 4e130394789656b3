// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the reachability engine (src/reach.c) costs itself, without the
 * target: a synthetic heap of packed blocks read through a memcpy reader,
 * so what is left is the scan (lookups, windows, the lost/indirect graph)
 * and the number of reads a real scan would turn into process_vm_readv
 * calls. Three heaps: all reachable (a random tree under a global), all
 * lost (the tree's root dropped) and a tenth of the subtrees dropped.
 *
 * gcc -O2 -std=c11 -D_GNU_SOURCE -Isrc -o build/bench/reach_bench \
 *     tools/bench/reach_bench.c src/reach.c src/procmem.c
 * usage: reach_bench [BLOCKS [HEAP_MIB]]      (default 1000000 blocks, 256 MiB)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procmem.h"
#include "reach.h"

/* The heap and globals live in this process at their own addresses, so the second reader
 * can be process_vm_readv on ourselves: what a real scan pays per read. */
#define HEAP_BASE ((uint64_t)(uintptr_t)img->heap)
#define GLOBALS	  ((uint64_t)(uintptr_t)img->globals)

struct image {
	uint8_t *heap;
	uint64_t heap_len;
	uint64_t globals[512];
	uint64_t reads;
	struct procmem procmem; /* pid 0: memcpy */
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct image *img = ctx;

	img->reads++;
	if (img->procmem.pid)
		return procmem__read(&img->procmem, addr, buf, len);
	if (addr >= HEAP_BASE && addr - HEAP_BASE <= img->heap_len &&
	    len <= img->heap_len - (addr - HEAP_BASE)) {
		memcpy(buf, img->heap + (addr - HEAP_BASE), len);
		return 0;
	}
	if (addr >= GLOBALS && addr - GLOBALS <= sizeof(img->globals) &&
	    len <= sizeof(img->globals) - (addr - GLOBALS)) {
		memcpy(buf, (uint8_t *)img->globals + (addr - GLOBALS), len);
		return 0;
	}
	return -EFAULT;
}

static void put64(struct image *img, uint64_t addr, uint64_t value)
{
	memcpy(img->heap + (addr - HEAP_BASE), &value, sizeof(value));
}

/* A random earlier block; near: among the near blocks before i (0: any). */
static size_t pick_parent(size_t i, size_t near)
{
	if (!near || near >= i)
		return next_random() % i;
	return i - 1 - next_random() % near;
}

/*
 * Packs nr blocks of random sizes (16-byte aligned, malloc's 16-byte header
 * between them) into heap_len bytes, fills them with small numbers and
 * links block i under a random earlier block (its parent): a tree.
 */
static void build_heap(struct image *img, struct reach_block *blocks, size_t nr, uint64_t **parents,
		       size_t near)
{
	uint64_t mean = img->heap_len / nr, addr = HEAP_BASE + 16, w;
	uint32_t *used;
	size_t i;

	*parents = malloc(nr * sizeof(**parents));
	for (i = 0; i < nr; i++) {
		uint64_t size = 16 + (next_random() % (2 * mean - 32)) / 16 * 16 - 16;

		if (addr + size + 16 > HEAP_BASE + img->heap_len)
			size = 0;
		blocks[i] = (struct reach_block){.addr = addr, .size = size};
		for (w = 0; w + 8 <= size; w += 8)
			put64(img, addr + w, next_random() % 100000);
		addr += (size ? size : 16) + 16;
	}
	/* A tree: block i hangs from a random earlier block with a word free. */
	used = calloc(nr, sizeof(*used));
	for (i = 1; i < nr; i++) {
		size_t parent = pick_parent(i, near);
		uint64_t slot;

		while (used[parent] >= blocks[parent].size / 8)
			parent = pick_parent(i, near);
		slot = blocks[parent].addr + 8 * used[parent]++;
		put64(img, slot, blocks[i].addr);
		(*parents)[i] = slot;
	}
	free(used);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(const char *name, struct image *img, struct reach_block *blocks, size_t nr)
{
	struct reach_region root = {GLOBALS, GLOBALS + sizeof(img->globals), ROOT_GLOBALS};
	const char *reader = img->procmem.pid ? "readv" : "memcpy";
	struct reach_stats st;
	double t;
	size_t i;
	int err;

	for (i = 0; i < nr; i++)
		blocks[i].cls = REACH_UNSCANNED;
	img->reads = 0;
	t = now_s();
	err = reach__classify(blocks, nr, &root, 1, NULL, 0, image_read, img, NULL, &st);
	t = now_s() - t;
	if (err) {
		fprintf(stderr, "reach__classify: %s\n", strerror(-err));
		exit(1);
	}
	printf("%-10s %-6s %7.3f s  %6.1f ns/block  %6.2f ms/MiB  reads %" PRIu64
	       " (%.1f KiB each)  "
	       "reachable %" PRIu64 " indirect %" PRIu64 " lost %" PRIu64 "\n",
	       name, reader, t, t * 1e9 / (double)nr, t * 1e3 / ((double)img->heap_len / 1048576),
	       img->reads, (double)st.bytes_read / (double)img->reads / 1024,
	       st.count[REACH_REACHABLE], st.count[REACH_INDIRECT], st.count[REACH_LOST]);
}

static void run_heap(struct image *img, struct reach_block *blocks, size_t nr,
		     const uint64_t *parents)
{
	size_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		img->procmem.pid = pass ? getpid() : 0;
		img->globals[7] = blocks[0].addr;
		run("reachable", img, blocks, nr);
		img->globals[7] = 0;
		run("all lost", img, blocks, nr);
	}
	/* A tenth of the subtrees dropped: their roots lost, the rest indirect. */
	img->globals[7] = blocks[0].addr;
	for (i = 1; i < nr; i += 10)
		put64(img, parents[i], 0);
	for (pass = 0; pass < 2; pass++) {
		img->procmem.pid = pass ? getpid() : 0;
		run("10% lost", img, blocks, nr);
	}
}

int main(int argc, char **argv)
{
	size_t nr = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 0) : 256;
	struct image img = {.heap_len = mib << 20};
	struct reach_block *blocks;
	uint64_t *parents;
	size_t near;

	img.heap = calloc(1, img.heap_len);
	blocks = calloc(nr, sizeof(*blocks));
	if (!img.heap || !blocks || nr < 2 || img.heap_len / nr < 64) {
		fprintf(stderr,
			"usage: reach_bench [BLOCKS [HEAP_MIB]] (at least 64 bytes a block)\n");
		return 2;
	}
	/* Parents anywhere (the worst case for locality), then among the 64 blocks before. */
	for (near = 0; near <= 64; near += 64) {
		memset(img.heap, 0, img.heap_len);
		build_heap(&img, blocks, nr, &parents, near);
		printf("%zu blocks in %" PRIu64 " MiB, parents %s\n", nr, mib,
		       near ? "among the 64 blocks before" : "anywhere");
		run_heap(&img, blocks, nr, parents);
		free(parents);
	}
	free(blocks);
	free(img.heap);
	return 0;
}
