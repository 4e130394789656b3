// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for procmaps__parse: /proc/PID/maps text, whose paths the
 * traced process chooses (a file name may hold newlines, spaces, " (deleted)").
 * Any input may be refused; none may crash, and what is accepted is sorted.
 *
 * make fuzz; build/fuzz/fuzz_procmaps -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, no NUL: ASan sees any read past len. */
	char *text = malloc(size ? size : 1);
	struct procmaps *pm, *copy;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	if (procmaps__parse(text, size, &pm)) {
		free(text);
		return 0;
	}
	free(text);
	for (i = 0; i < pm->nr; i++) {
		if (i && pm->maps[i].start < pm->maps[i - 1].end)
			abort(); /* procmaps.h: address-sorted */
		procmaps__find(pm, pm->maps[i].start);
		mapping__is_file(&pm->maps[i]);
	}
	procmaps__find(pm, 0x400000);
	if (procmaps__dup(pm, &copy) == 0)
		procmaps__free(copy);
	procmaps__free(pm);
	return 0;
}
