// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "procmem.h"

int procmem__read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct procmem *pm = ctx;
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
	ssize_t got;

	pm->reads++;
	got = process_vm_readv(pm->pid, &local, 1, &remote, 1, 0);
	if (got < 0)
		return -errno;
	pm->bytes_read += (uint64_t)got;
	return (size_t)got == len ? 0 : -EFAULT;
}

int procmem__write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct procmem *pm = ctx;
	char path[64];
	ssize_t put;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/mem", pm->pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	put = pwrite(fd, buf, len, (off_t)addr);
	if (put < 0)
		err = -errno;
	else if ((size_t)put != len)
		err = -EFAULT;
	close(fd);
	return err;
}
