// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>

#include "units.h"

const char *format_bytes(uint64_t bytes, char buf[HUMAN_BYTES_LEN])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double value = (double)bytes;
	size_t unit = 0;

	if (bytes < 1024) {
		snprintf(buf, HUMAN_BYTES_LEN, "%u B", (unsigned int)bytes);
		return buf;
	}
	value /= 1024;
	/* 1023.96 would print as "1024.0": move up a unit first. */
	while (value >= 1023.95 && unit + 1 < sizeof(units) / sizeof(units[0])) {
		value /= 1024;
		unit++;
	}
	snprintf(buf, HUMAN_BYTES_LEN, "%.1f %s", value, units[unit]);
	return buf;
}

const char *format_count(uint64_t count, char buf[HUMAN_COUNT_LEN])
{
	char digits[21];
	size_t n = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, count), i, used = 0;

	for (i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[used++] = ',';
		buf[used++] = digits[i];
	}
	buf[used] = '\0';
	return buf;
}
