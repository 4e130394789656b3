// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "emulated.h"
#include "golang.h"
#include "log.h"
#include "proc.h"
#include "procmaps.h"

/* How long a target between exec and its loader's mapping of libc is waited for. */
#define READY_WAIT_MS	  2000
#define READY_STEP_MAX_MS 100

/*
 * Whether pid's image is set up: its auxiliary vector, which exec writes
 * once it has mapped the program and its loader, names the program
 * headers. A new address space holds zeros until then, so maps read in
 * between show the program without its loader (or nothing yet).
 */
static bool image_set_up(int pid)
{
	uint64_t auxv[2 * 64];
	char path[64];
	ssize_t len;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* gone or not ours to read: nothing to wait for */
	len = read(fd, auxv, sizeof(auxv));
	close(fd);
	for (i = 0; len > 0 && i + 1 < (size_t)len / sizeof(auxv[0]); i += 2)
		if (auxv[i] == AT_PHDR)
			return true;
	return len < 0;
}

/*
 * Whether pid may map an allocator soon: alive, running (one stopped, as
 * memleakd holds it at exec, maps nothing until resumed), and either in
 * the middle of an exec (its maps unreadable: err, or its image not set up
 * yet) or a dynamically linked image whose loader has not mapped libc yet.
 */
static bool still_loading(struct elf_files *files, int pid, int pidfd, int err)
{
	struct loader_hook hook;
	struct procmaps *maps;
	bool set_up;

	if (proc__gone(pid, pidfd) || proc__stopped(pid))
		return false;
	if (err)
		return err == -ENOENT || err == -ESRCH;
	/* Before the maps: once set up, its loader (if it has one) is in them. */
	set_up = image_set_up(pid);
	if (procmaps__read(pid, &maps))
		return true; /* alive, maps unreadable: mid-exec */
	err = providers__find_loader(files, pid, maps, NULL, &hook);
	procmaps__free(maps);
	/* -ESRCH: a mapping went away while it was read, the old image's: mid-exec. */
	if (!err || err == -ESRCH)
		return true;
	/* No loader mapped: a static image, or an exec that had not mapped it yet. */
	return !set_up;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/*
 * pid's allocators, waited for (with a bounded backoff, READY_WAIT_MS in
 * all) while it is exec'ing or its loader has not mapped libc yet. 0 (nr
 * may be 0: nothing defines malloc, or it stopped before its loader did),
 * or -errno (-ENOENT/-ESRCH: gone).
 */
static int find_ready_providers(struct elf_files *files, int pid, int pidfd, struct providers **out)
{
	unsigned int waited = 0, step = 2;
	int err;

	for (;;) {
		*out = NULL;
		err = providers__find(files, pid, out);
		if (!err && (*out)->nr)
			return 0;
		if (waited >= READY_WAIT_MS || !still_loading(files, pid, pidfd, err))
			return err;
		providers__free(*out);
		sleep_ms(step);
		waited += step;
		step = step * 2 > READY_STEP_MAX_MS ? READY_STEP_MAX_MS : step * 2;
	}
}

/* valgrind and qemu-user run the probes' breakpoints as the program's own. */
static void warn_if_emulated(const struct target *t)
{
	struct emulated_watch *w = emulated_watch__new("/proc");
	enum emulator e = w ? emulated_watch__of(w, t->pid) : EMULATOR_NONE;

	emulated_watch__free(w);
	if (e != EMULATOR_NONE)
		p_warn("pid %d (%s) runs under %s: it dies of SIGTRAP at its first call to a "
		       "function memleakd probes; use the emulator's own leak checker for it",
		       t->pid, t->comm, emulator__name(e));
}

/* Whether pid's executable is Go: traced without any malloc provider. */
static bool runs_go(struct lifecycle *lc, int pid)
{
	struct procmaps *maps;
	bool go;

	if (procmaps__read(pid, &maps))
		return false;
	go = golang__maps_go(lifecycle__golang(lc), pid, maps);
	procmaps__free(maps);
	return go;
}

/* Opens a -p target and finds its allocator. 0 or -errno. */
static int prepare_target(struct lifecycle *lc, struct target *t, struct providers **provs,
			  enum fault *why)
{
	struct elf_files *files = lifecycle__files(lc);
	int pid = t->pid, err;

	t->pidfd = proc__open_pidfd(pid);
	if (t->pidfd < 0 && t->pidfd != PROC_NO_PIDFD) {
		p_err("no process with PID %d: %s; check the PID with 'ps -p %d'", pid,
		      strerror(-t->pidfd), pid);
		err = t->pidfd;
		t->pidfd = -1;
		*why = FAULT_TARGET;
		return err;
	}
	proc__read_comm(pid, t->comm, sizeof(t->comm));
	proc__read_exe(pid, t->exe, sizeof(t->exe));
	warn_if_emulated(t);
	err = find_ready_providers(files, pid, t->pidfd, provs);
	if (err) {
		p_err("cannot read the memory map of pid %d (%s): %s", pid, t->comm,
		      strerror(-err));
		*why = err == -ENOENT || err == -ESRCH ? FAULT_TARGET : FAULT_PERMISSION;
		return err;
	}
	if ((*provs)->nr == 0 && !runs_go(lc, pid)) {
		p_err("pid %d (%s) maps no object that defines malloc: nothing to trace "
		      "(a static binary without malloc, or a custom allocator under other names)",
		      pid, t->comm);
		*why = FAULT_TARGET;
		return -ENOENT;
	}
	return 0;
}

int attach__prepare_pids(struct lifecycle *lc, const int *pids, int nr_pids,
			 struct providers ***provs, enum fault *why)
{
	struct target *t;
	int i, err;

	*provs = calloc((size_t)nr_pids + 1, sizeof(**provs));
	if (!*provs) {
		*why = FAULT_RUN;
		return -ENOMEM;
	}
	for (i = 0; i < nr_pids; i++) {
		t = targets__add(lifecycle__targets(lc), pids[i], ROLE_PID);
		if (!t) {
			*why = FAULT_RUN;
			return -ENOMEM;
		}
		err = prepare_target(lc, t, &(*provs)[i], why);
		if (err)
			return err;
	}
	return 0;
}

void attach__free_providers(struct providers **provs, int nr_pids)
{
	int i;

	for (i = 0; provs && i < nr_pids; i++)
		providers__free(provs[i]);
	free(provs);
}

static int note_if_mapped(void *ctx, int pid)
{
	struct lifecycle *lc = ctx;

	/* Kernel threads map nothing; an empty maps file is how they show. */
	if (!proc__alive(pid) || !proc__maps_anything(pid))
		return 0;
	return lifecycle__note_process(lc, pid, ROLE_SEEN) ? 0 : -ENOMEM;
}

int attach__prepare_all(struct lifecycle *lc, enum fault *why)
{
	int err = proc__for_each_pid(note_if_mapped, lc);

	if (err == -ENOMEM) {
		*why = FAULT_RUN;
		return err;
	}
	if (err) {
		p_err("cannot list /proc: %s; mount procfs", strerror(-err));
		*why = FAULT_PERMISSION;
		return err;
	}
	p_info("system-wide: %zu processes with file mappings", lifecycle__targets(lc)->nr);
	return 0;
}

/* One line through p_note, which keeps comm and paths from driving the terminal. */
static void describe_target(const struct target *t, const struct providers *provs)
{
	char *paths = NULL;
	size_t len = 0, i;
	FILE *list;

	if (!provs->nr) {
		if (proc__stopped(t->pid))
			p_note("tracing pid %d (%s) from its next image: it is exec'ing", t->pid,
			       t->comm);
		return; /* else a Go program: golang.c says how it is traced */
	}
	list = open_memstream(&paths, &len);
	for (i = 0; list && i < provs->nr; i++)
		fprintf(list, "%s %s", i ? "," : "", provs->list[i].path);
	if (list)
		fclose(list);
	p_note("tracing pid %d (%s) through%s", t->pid, t->comm, paths ? paths : "");
	free(paths);
}

/*
 * Once pid is among the kernel's targets its execs are held and announced,
 * so what it maps from now on is seen: its allocators are read again, for
 * it may have exec'd (or exited) since attach__prepare_pids read them.
 * 0 with *provs current (nr 0: held at exec, its EXEC record attaches the
 * new image), 1 when it is gone, or -errno.
 */
static int refresh_providers(struct lifecycle *lc, struct target *t, struct providers **provs)
{
	struct providers *now = NULL;
	int err = find_ready_providers(lifecycle__files(lc), t->pid, t->pidfd, &now);

	if ((err == -ENOENT || err == -ESRCH) && proc__gone(t->pid, t->pidfd)) {
		p_note("pid %d (%s) exited before it could be traced", t->pid, t->comm);
		lifecycle__mark_exited(lc, t);
		return 1;
	}
	if (err)
		return err;
	if (!now->nr && !proc__stopped(t->pid) && !runs_go(lc, t->pid)) {
		providers__free(now);
		return -ENOENT; /* nothing defines malloc after all */
	}
	providers__free(*provs);
	*provs = now;
	proc__read_comm(t->pid, t->comm, sizeof(t->comm));
	proc__read_exe(t->pid, t->exe, sizeof(t->exe));
	return 0;
}

int attach__pids(struct lifecycle *lc, struct tracer *tracer, struct providers **provs,
		 enum fault *why)
{
	struct target_list *targets = lifecycle__targets(lc);
	int attach_pid, err;
	char why_text[512];
	size_t i, j;

	for (i = 0; i < targets->nr; i++) {
		struct target *t = targets->list[i];

		err = tracer__add_target(tracer, t->pid);
		if (err)
			snprintf(why_text, sizeof(why_text),
				 "cannot add it to the kernel's targets: %s", strerror(-err));
		if (!err) {
			err = refresh_providers(lc, t, &provs[i]);
			if (err == 1)
				continue;
			if (err == -ENOENT)
				snprintf(why_text, sizeof(why_text),
					 "maps no object that defines malloc any more");
			else if (err)
				snprintf(why_text, sizeof(why_text),
					 "cannot read its memory map: %s", strerror(-err));
		}
		/* Tables first: the first allocation already walks them. */
		lifecycle__maps_changed(lc, t, MAPS_UNWIND | MAPS_SYMBOLS);
		attach_pid = lifecycle__attach_pid(lc, t->pid);
		for (j = 0; !err && j < provs[i]->nr; j++)
			err = tracer__attach_provider(tracer, attach_pid, &provs[i]->list[j],
						      why_text, sizeof(why_text));
		if (err < 0) {
			p_err("pid %d (%s): %s", t->pid, t->comm, why_text);
			*why = err == -ENOENT || err == -ESRCH ? FAULT_TARGET : FAULT_RUN;
			return err;
		}
		describe_target(t, provs[i]);
		/*
		 * The loader's hook: a library it loads later is read before it
		 * runs. Only when the kernel filters by pid: on the whole file
		 * (-f) every process's loader would trap, an emulated one die.
		 */
		if (attach_pid >= 0)
			lifecycle__maps_changed(lc, t, MAPS_PROBES | MAPS_LOADER);
	}
	return 0;
}

void attach__everything(struct lifecycle *lc)
{
	struct target_list *targets = lifecycle__targets(lc);
	size_t i;

	for (i = 0; i < targets->nr; i++)
		lifecycle__maps_changed(lc, targets->list[i], MAPS_ALL);
	fprintf(stderr, "memleakd: tracing every process (system-wide): %zu now\n", targets->nr);
}
