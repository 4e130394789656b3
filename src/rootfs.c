// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootfs.h"

int rootfs__open_root(int pid)
{
	char path[64];
	int fd;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/root", pid);
	else
		snprintf(path, sizeof(path), "/");
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* An O_PATH fd of path inside root_fd: nothing is opened for reading yet. */
static int open_path_in_root(int root_fd, const char *path)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

int rootfs__open_file(int root_fd, const char *path, struct stat *st)
{
	char proc_path[64];
	int path_fd, fd;

	path_fd = open_path_in_root(root_fd, path);
	if (path_fd < 0)
		return path_fd;
	if (fstat(path_fd, st)) {
		fd = -errno;
		close(path_fd);
		return fd;
	}
	if (!S_ISREG(st->st_mode)) {
		close(path_fd);
		return -EINVAL;
	}
	/* The very inode the O_PATH fd holds: a rename meanwhile cannot swap in a FIFO. */
	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", path_fd);
	fd = open(proc_path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	close(path_fd);
	return fd;
}
