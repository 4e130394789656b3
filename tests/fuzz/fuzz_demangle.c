// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for demangle(): symbol names read from files the traced
 * processes map (C++, Rust legacy and v0 manglings, through libiberty).
 * Audit finding 5: some 400-byte names made libiberty run for hours; run
 * with -timeout=5 -max_len=4096 (the longest name demangle() accepts).
 *
 * make fuzz; build/fuzz/fuzz_demangle -max_total_time=60 -timeout=5 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1);

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	free(demangle(name));
	free(name);
	return 0;
}
