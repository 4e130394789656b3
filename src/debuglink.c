// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "debuglink.h"
#include "log.h"
#include "rootfs.h"

#define NR_CANDIDATES 3

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int debuglink__crc32(int fd, uint64_t max_bytes, unsigned int budget_ms, uint32_t *crc)
{
	unsigned char buf[65536];
	uLong value = crc32(0L, Z_NULL, 0);
	uint64_t start = now_ms(), total = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), (off_t)total)) > 0) {
		total += (uint64_t)n;
		if (total > max_bytes)
			return -EFBIG;
		value = crc32(value, buf, (uInt)n);
		if (now_ms() - start >= budget_ms)
			return -ETIMEDOUT;
	}
	if (n < 0)
		return -errno;
	*crc = (uint32_t)value;
	return 0;
}

/* Candidate i for q: the module's directory, its .debug/, then debug_dir + that directory. */
static int candidate_path(const struct debuglink_query *q, int i, char *path, size_t len)
{
	const char *slash = strrchr(q->module_path, '/');
	int dir_len = slash ? (int)(slash - q->module_path) : 0, used;

	if (!slash)
		return -EINVAL;
	if (i == 0)
		used = snprintf(path, len, "%.*s/%s", dir_len, q->module_path, q->name);
	else if (i == 1)
		used = snprintf(path, len, "%.*s/.debug/%s", dir_len, q->module_path, q->name);
	else
		used = snprintf(path, len, "%s%.*s/%s", q->debug_dir, dir_len, q->module_path,
				q->name);
	return used < 0 || (size_t)used >= len ? -ENAMETOOLONG : 0;
}

/* fd's file is q's debug file: not the module itself, not too big, the right CRC. */
static int check_candidate(int fd, const struct stat *st, const struct debuglink_query *q,
			   const char *path)
{
	uint32_t crc;
	int err;

	/* The module itself has the same name in its own directory: its CRC never matches. */
	if (st->st_dev == q->module_dev && st->st_ino == q->module_inode)
		return -ENOENT;
	if ((uint64_t)st->st_size > DEBUGLINK_MAX_SIZE) {
		p_info("debug file '%s' of '%s' not read: %" PRIu64 " bytes, over the %llu GiB cap",
		       path, q->module_path, (uint64_t)st->st_size, DEBUGLINK_MAX_SIZE >> 30);
		return -EFBIG;
	}
	err = debuglink__crc32(fd, DEBUGLINK_MAX_SIZE, DEBUGLINK_CRC_BUDGET_MS, &crc);
	if (err == -ETIMEDOUT)
		p_info("debug file '%s' of '%s' not used: its CRC took over %u ms", path,
		       q->module_path, DEBUGLINK_CRC_BUDGET_MS);
	else if (err == -EFBIG)
		p_info("debug file '%s' of '%s' not used: it grew past the %llu GiB cap", path,
		       q->module_path, DEBUGLINK_MAX_SIZE >> 30);
	if (!err && crc != q->crc)
		err = -ESTALE;
	return err;
}

int debuglink__open(int root_fd, const struct debuglink_query *q, char *found, size_t found_len)
{
	int i, fd, err, refused = -ENOENT;
	struct stat st;

	if (!q->name || !*q->name || strchr(q->name, '/'))
		return -EINVAL;
	for (i = 0; i < NR_CANDIDATES; i++) {
		err = candidate_path(q, i, found, found_len);
		fd = err ? err : rootfs__open_file(root_fd, found, &st);
		if (fd < 0) {
			err = fd;
		} else {
			err = check_candidate(fd, &st, q, found);
			if (!err)
				return fd;
			close(fd);
		}
		/* Why the last candidate that was there was refused. */
		if (err != -ENOENT)
			refused = err;
	}
	return refused;
}
