// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulated.h"
#include "hmap.h"
#include "log.h"

/* valgrind's tools (and their comm, cut at 15 bytes, starts with "TOOL-"). */
static const char *const valgrind_tools[] = {
    "memcheck", "helgrind", "drd",  "massif",  "cachegrind", "callgrind",
    "dhat",	"lackey",   "none", "exp-bbv", "exp-dhat",   "getoff",
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* name starts with a valgrind tool's name and a dash. */
static bool valgrind_tool_prefix(const char *name)
{
	size_t i, n;

	for (i = 0; i < sizeof(valgrind_tools) / sizeof(valgrind_tools[0]); i++) {
		n = strlen(valgrind_tools[i]);
		if (!strncmp(name, valgrind_tools[i], n) && name[n] == '-')
			return true;
	}
	return false;
}

static enum emulator classify_exe(const char *exe)
{
	const char *base = base_name(exe);

	/* A deleted executable's link ends with " (deleted)": still its name. */
	if (valgrind_tool_prefix(base) &&
	    (ends_with(base, "-linux") || ends_with(base, "-linux (deleted)") ||
	     strstr(exe, "/valgrind/")))
		return EMULATOR_VALGRIND;
	if (!strncmp(base, "qemu-", 5) && strncmp(base, "qemu-system-", 12) &&
	    strncmp(base, "qemu-img", 8) && strncmp(base, "qemu-nbd", 8))
		return EMULATOR_QEMU_USER;
	return EMULATOR_NONE;
}

enum emulator emulated__classify(const char *exe, const char *comm)
{
	enum emulator e = exe && *exe ? classify_exe(exe) : EMULATOR_NONE;

	if (e != EMULATOR_NONE)
		return e;
	/* No exe link (another user's, a kernel thread): the tool's comm, "memcheck-amd64-". */
	if (comm && valgrind_tool_prefix(comm) && strchr(strchr(comm, '-') + 1, '-'))
		return EMULATOR_VALGRIND;
	return EMULATOR_NONE;
}

const char *emulator__name(enum emulator e)
{
	switch (e) {
	case EMULATOR_VALGRIND:
		return "valgrind";
	case EMULATOR_QEMU_USER:
		return "qemu-user";
	default:
		return "none";
	}
}

struct emulated_watch {
	char *proc_root;
	struct hmap warned; /* pid, no value */
};

struct emulated_watch *emulated_watch__new(const char *proc_root)
{
	struct emulated_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->proc_root = strdup(proc_root);
	if (!w->proc_root) {
		free(w);
		return NULL;
	}
	hmap__init(&w->warned, 0);
	return w;
}

void emulated_watch__free(struct emulated_watch *w)
{
	if (!w)
		return;
	hmap__free(&w->warned);
	free(w->proc_root);
	free(w);
}

/* proc_root/PID/comm into comm[len] (newline cut, control bytes made '?'); "" when unreadable. */
static void read_comm(const struct emulated_watch *w, int pid, char *comm, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = -1;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/comm", w->proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		n = read(fd, comm, len - 1);
		close(fd);
	}
	comm[n > 0 ? n : 0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	for (i = 0; comm[i]; i++)
		if ((unsigned char)comm[i] < 0x20 || (unsigned char)comm[i] >= 0x7f)
			comm[i] = '?';
}

static enum emulator read_emulator(const struct emulated_watch *w, int pid, char *comm,
				   size_t comm_len)
{
	char path[PATH_MAX], exe[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/exe", w->proc_root, pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	read_comm(w, pid, comm, comm_len);
	return emulated__classify(exe, comm);
}

enum emulator emulated_watch__of(const struct emulated_watch *w, int pid)
{
	char comm[32];

	return read_emulator(w, pid, comm, sizeof(comm));
}

static void warn(int pid, const char *comm, enum emulator e)
{
	p_warn("pid %d (%s) runs under %s: it dies of SIGTRAP if it runs a function memleakd "
	       "probes (malloc, free, the loader's hook) while the probes are on whole files (-f, "
	       "system-wide); trace with -p PID without -f to leave other processes alone",
	       pid, comm, emulator__name(e));
}

/* Warns about pid the first time it is seen emulated; true when it was new. */
static bool check_pid(struct emulated_watch *w, int pid)
{
	struct hmap_key key = {.a = (uint64_t)pid};
	enum emulator e;
	char comm[32];
	bool fresh;

	if (hmap__get(&w->warned, key))
		return false;
	e = read_emulator(w, pid, comm, sizeof(comm));
	if (e == EMULATOR_NONE || !hmap__put(&w->warned, key, &fresh))
		return false;
	warn(pid, comm, e);
	return true;
}

size_t emulated_watch__scan(struct emulated_watch *w)
{
	DIR *dir = opendir(w->proc_root);
	struct dirent *d;
	size_t found = 0;
	char *end;
	long pid;

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		pid = strtol(d->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX || pid == getpid())
			continue;
		found += check_pid(w, (int)pid);
	}
	closedir(dir);
	return found;
}
