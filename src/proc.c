// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* Caps what one untrusted file can make us hold. */
#define PROC_FILE_MAX (64u << 20)

int read_proc_file(const char *path, char **text, size_t *len)
{
	size_t cap = 16384, used = 0;
	char *buf, *bigger;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (cap - used < 4096) {
			if (cap >= PROC_FILE_MAX) {
				err = -EFBIG;
				break;
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

void proc__read_comm(int pid, char *comm, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(comm, len, "?");
		return;
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

void proc__read_exe(int pid, char *exe, size_t len)
{
	static const char deleted[] = " (deleted)";
	char path[64];
	ssize_t n;
	size_t end;

	if (!len)
		return;
	exe[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, len - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	end = (size_t)n;
	if (end > sizeof(deleted) - 1 && !strcmp(exe + end - (sizeof(deleted) - 1), deleted))
		exe[end - (sizeof(deleted) - 1)] = '\0';
}

bool proc__maps_anything(int pid)
{
	char path[64], *text;
	size_t len;
	bool mapped;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (read_proc_file(path, &text, &len))
		return false;
	mapped = len > 0;
	free(text);
	return mapped;
}

char proc__stat_state(const char *stat_text)
{
	/* The last ')' ends comm. */
	const char *close_paren = strrchr(stat_text, ')');

	return close_paren && close_paren[1] == ' ' ? close_paren[2] : '\0';
}

/* pid's state letter, '\0' when it cannot be read (gone). */
static char read_state(int pid)
{
	char path[64], *text, state;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_proc_file(path, &text, &len))
		return '\0';
	state = proc__stat_state(text);
	free(text);
	return state;
}

bool proc__alive(int pid)
{
	char state = read_state(pid);

	return state && state != 'Z' && state != 'X';
}

bool proc__stopped(int pid)
{
	char state = read_state(pid);

	return state == 'T' || state == 't';
}

/* pidfd_open was seen failing (ESRCH) on a just-forked, live process: tried a few times. */
#define PIDFD_TRIES 5

int proc__open_pidfd(int pid)
{
	return proc__open_pidfd_tries(pid, PIDFD_TRIES);
}

int proc__open_pidfd_tries(int pid, int max_tries)
{
	struct timespec pause = {0, 2000000};
	int fd = -1, tries;

	for (tries = 0; tries < max_tries && fd < 0; tries++) {
		if (tries)
			nanosleep(&pause, NULL);
		fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd < 0 && errno != ESRCH)
			break;
	}
	if (fd >= 0)
		return fd;
	if (errno == ENOSYS)
		return proc__alive(pid) ? PROC_NO_PIDFD : -ESRCH;
	return -errno;
}

bool proc__gone(int pid, int pidfd)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	if (pidfd >= 0)
		return poll(&pfd, 1, 0) > 0;
	return !proc__alive(pid);
}

int proc__for_each_pid(int (*fn)(void *ctx, int pid), void *ctx)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	char *end;
	long pid;
	int ret = 0;

	if (!proc)
		return -errno;
	while (!ret && (d = readdir(proc))) {
		pid = strtol(d->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX || pid == getpid())
			continue;
		ret = fn(ctx, (int)pid);
	}
	closedir(proc);
	return ret;
}
