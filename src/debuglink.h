/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The separate debug file a module names in .gnu_debuglink, searched where
 * gdb searches — next to the module, in its .debug/ directory, and under
 * the debug directory plus the module's directory — every candidate inside
 * the target's root (see rootfs.h), and accepted only when its CRC-32
 * matches. The name, the module's directory and the CRC are the target's:
 * the files read are bounded in size and in time.
 */
#ifndef MEMLEAKD_DEBUGLINK_H
#define MEMLEAKD_DEBUGLINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Debug files larger than this are not read (their CRC is not even computed). */
#define DEBUGLINK_MAX_SIZE	(4ull << 30)
/* The CRC of one candidate stops after this long. */
#define DEBUGLINK_CRC_BUDGET_MS 5000

struct debuglink_query {
	const char *module_path; /* as the target sees it: absolute */
	dev_t module_dev;	 /* the module itself, never its own debug file */
	uint64_t module_inode;
	const char *name; /* the .gnu_debuglink name (no '/') */
	uint32_t crc;
	const char *debug_dir; /* e.g. /usr/lib/debug, inside the root too */
};

/*
 * The first candidate that is a regular file of at most DEBUGLINK_MAX_SIZE
 * bytes whose CRC matches, resolved inside root_fd: a read-only fd, its
 * path (relative to the root) in found. Else -errno: why the last
 * candidate present was refused (-ESTALE: another CRC, -EFBIG: too big,
 * -ETIMEDOUT, -EINVAL: not a regular file), -ENOENT when there was none.
 */
int debuglink__open(int root_fd, const struct debuglink_query *q, char *found, size_t found_len);
/*
 * CRC-32 of fd's file from its start, as .gnu_debuglink records it: 0,
 * -EFBIG past max_bytes, -ETIMEDOUT past budget_ms, or -errno.
 */
int debuglink__crc32(int fd, uint64_t max_bytes, unsigned int budget_ms, uint32_t *crc);

#endif
