// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for memview__parse_rollup and memview__parse_status:
 * /proc/PID/smaps_rollup and /proc/PID/status text (the target chooses its
 * comm, on status's Name: line). Any input may be refused; none may crash,
 * and a refused one leaves the reading all zero.
 *
 * make fuzz; build/fuzz/fuzz_memview -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int err, const struct memview_reading *r)
{
	static const struct memview_reading zero;

	if (err && memcmp(r, &zero, sizeof(zero)))
		abort(); /* memview.h: on error *out is all zero */
	if (!err && r->rss_bytes % 1024)
		abort(); /* sizes are in kB */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, no NUL: ASan sees any read past len. */
	char *text = malloc(size ? size : 1);
	struct memview_reading r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	check(memview__parse_rollup(text, size, &r), &r);
	check(memview__parse_status(text, size, &r), &r);
	free(text);
	return 0;
}
