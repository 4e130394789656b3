// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for gopclntab: a Go binary's .gopclntab, which the
 * traced process's file supplies. The input is the table; its last eighth
 * (up to 4 KiB) is also handed over as the go:func.* area the inline trees
 * live in. Every query must stay inside what it was given.
 *
 * make fuzz; build/fuzz/fuzz_gopclntab -max_total_time=60 CORPUS_DIR
 * (seeds: objcopy -O binary --only-section=.gopclntab GO_BINARY seed)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gopclntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WALK   4096
#define MAX_FRAMES 8

static volatile size_t string_bytes;

static void *copy_of(const uint8_t *data, size_t size)
{
	void *copy = malloc(size ? size : 1);

	if (copy)
		memcpy(copy, data, size);
	return copy;
}

/* Walks the functions in address order, querying each as the symbolizer would. */
static void query_all(const struct gopclntab *t)
{
	struct goframe frames[MAX_FRAMES];
	uint64_t pc = gopclntab__text_start(t);
	struct gofunc f;
	int32_t delta;
	size_t i, n, j;

	for (i = 0; i < MAX_WALK; i++) {
		if (gopclntab__lookup(t, pc, &f)) {
			pc += 16;
			continue;
		}
		if (!f.name || pc < f.entry || pc >= f.end)
			abort();
		n = gopclntab__frames(t, f.entry + (f.end - f.entry) / 2, frames, MAX_FRAMES);
		if (n < 1 || n > MAX_FRAMES)
			abort();
		/* Reading the strings to their end is the check (ASan). */
		for (j = 0; j < n; j++)
			string_bytes += (frames[j].function ? strlen(frames[j].function) : 0) +
					(frames[j].file ? strlen(frames[j].file) : 0);
		(void)gopclntab__sp_delta(t, f.end - 1, &delta);
		pc = f.end;
	}
	(void)gopclntab__find(t, "main.main", &f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t area_size = size / 8 < 4096 ? size / 8 : 4096;
	struct gopclntab *t;
	void *table = copy_of(data, size), *area;

	if (!table || gopclntab__open(table, size, &t))
		return 0;
	area = copy_of(data + size - area_size, area_size);
	if (area)
		gopclntab__set_gofunc(t, area, area_size);
	query_all(t);
	gopclntab__free(t);
	return 0;
}
