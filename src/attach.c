// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "log.h"
#include "proc.h"

/* Opens a -p target and finds its allocator. 0 or -errno. */
static int prepare_target(struct elf_files *files, struct target *t, struct providers **provs,
			  enum fault *why)
{
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
	err = providers__find(files, pid, provs);
	if (err) {
		p_err("cannot read the memory map of pid %d (%s): %s", pid, t->comm,
		      strerror(-err));
		*why = err == -ENOENT || err == -ESRCH ? FAULT_TARGET : FAULT_PERMISSION;
		return err;
	}
	if ((*provs)->nr == 0) {
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
		err = prepare_target(lifecycle__files(lc), t, &(*provs)[i], why);
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
	FILE *list = open_memstream(&paths, &len);

	for (i = 0; list && i < provs->nr; i++)
		fprintf(list, "%s %s", i ? "," : "", provs->list[i].path);
	if (list)
		fclose(list);
	p_note("tracing pid %d (%s) through%s", t->pid, t->comm, paths ? paths : "");
	free(paths);
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

		/* Tables first: the first allocation already walks them. */
		lifecycle__maps_changed(lc, t, MAPS_UNWIND | MAPS_SYMBOLS);
		attach_pid = lifecycle__attach_pid(lc, t->pid);
		err = tracer__add_target(tracer, t->pid);
		if (err)
			snprintf(why_text, sizeof(why_text),
				 "cannot add it to the kernel's targets: %s", strerror(-err));
		for (j = 0; !err && j < provs[i]->nr; j++)
			err = tracer__attach_provider(tracer, attach_pid, &provs[i]->list[j],
						      why_text, sizeof(why_text));
		if (err < 0) {
			p_err("pid %d (%s): %s", t->pid, t->comm, why_text);
			*why = err == -ENOENT || err == -ESRCH ? FAULT_TARGET : FAULT_RUN;
			return err;
		}
		describe_target(t, provs[i]);
		/* The loader's hook: a library it loads later is read before it runs. */
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
