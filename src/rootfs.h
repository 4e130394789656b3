/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Files as a traced process sees them: a path it names is resolved inside
 * its root directory (/proc/PID/root), symlinks included — an absolute
 * symlink planted in a container stays in the container — and opened only
 * when it is a regular file, so no device, FIFO or socket is ever opened.
 */
#ifndef MEMLEAKD_ROOTFS_H
#define MEMLEAKD_ROOTFS_H

#include <sys/stat.h>

/* An O_PATH fd of pid's root directory (pid <= 0: ours, "/"), or -errno. */
int rootfs__open_root(int pid);
/*
 * Opens path (absolute or not, always taken from root_fd) read-only, every
 * component resolved inside root_fd (RESOLVE_IN_ROOT, no /proc magic
 * links). The file is looked at through an O_PATH fd first and reopened
 * only when it is a regular file. An fd (with *st of the file) or -errno:
 * -EINVAL when it is not a regular file.
 */
int rootfs__open_file(int root_fd, const char *path, struct stat *st);

#endif
