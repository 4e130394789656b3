/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * memleakd's own CPU time, resident memory and start time, for the
 * standard process_* metrics: parsed from /proc/self/stat, /proc/self/statm
 * and /proc/stat's btime. The parsers are pure; selfstat__read reads.
 */
#ifndef MEMLEAKD_SELFSTAT_H
#define MEMLEAKD_SELFSTAT_H

#include <stdint.h>

#include "snapshot.h"

/* The fields of /proc/PID/stat the metrics need, in clock ticks and pages. */
struct selfstat_raw {
	uint64_t utime, stime; /* fields 14 and 15 */
	uint64_t starttime;    /* field 22: since boot */
	uint64_t rss_pages;    /* field 24 */
};

/*
 * Parses a /proc/PID/stat line. The comm (field 2) may hold spaces and
 * parentheses: the fields start after its last ')'. 0 or -EINVAL.
 */
int selfstat__parse_stat(const char *text, struct selfstat_raw *out);
/* The resident pages of a /proc/PID/statm line (its second field). 0 or -EINVAL. */
int selfstat__parse_statm(const char *text, uint64_t *rss_pages);
/* The "btime N" line of /proc/stat: boot time, Unix seconds. 0 or -EINVAL. */
int selfstat__parse_btime(const char *text, uint64_t *btime);
/* From the raw fields: CPU seconds, RSS bytes, start as Unix time. */
void selfstat__convert(const struct selfstat_raw *raw, uint64_t rss_pages, uint64_t btime,
		       long ticks_per_s, long page_size, struct snapshot_self *out);

/* Reads this process's figures. 0 or -errno (*out zeroed where unknown). */
int selfstat__read(struct snapshot_self *out);

#endif
