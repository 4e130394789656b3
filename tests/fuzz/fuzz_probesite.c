// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for probesite__choose: the first bytes of a function in
 * a file the traced process maps. The chosen site must lie inside the bytes
 * it was given, and come with its reason.
 *
 * make fuzz; build/fuzz/fuzz_probesite -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probesite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *code;
	struct probe_site site;

	if (size < 1)
		return 0;
	/* The first byte picks the mode; the rest, copied to its exact size, is the code. */
	code = malloc(size - 1 ? size - 1 : 1);
	if (!code)
		return 0;
	memcpy(code, data + 1, size - 1);
	site = probesite__choose(code, size - 1, data[0] & 1);
	if (!site.why || (size > 1 && site.skip >= size - 1) || (size == 1 && site.skip))
		abort();
	free(code);
	return 0;
}
