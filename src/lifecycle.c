// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lifecycle.h"
#include "log.h"
#include "proc.h"
#include "procmaps.h"
#include "provider.h"

struct lifecycle {
	struct lifecycle_opts opts;
	struct lifecycle_tables tables;
	struct tracer *tracer; /* NULL until loaded */
	struct target_list targets;
	/* Read once: files that are not providers (or probed for all already), not loaders. */
	struct file_set *skip_files;
	struct file_set *not_loaders;
	struct ml_unwind_proc *unwind_proc; /* scratch for one target's mappings */
	uint64_t attach_failures;
};

struct lifecycle *lifecycle__new(const struct lifecycle_opts *opts,
				 const struct lifecycle_tables *tables)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));

	if (!lc)
		return NULL;
	lc->opts = *opts;
	lc->tables = *tables;
	lc->skip_files = file_set__new();
	lc->not_loaders = file_set__new();
	lc->unwind_proc = malloc(sizeof(*lc->unwind_proc));
	if (!lc->skip_files || !lc->not_loaders || !lc->unwind_proc) {
		lifecycle__destroy(lc, false);
		return NULL;
	}
	return lc;
}

void lifecycle__set_tracer(struct lifecycle *lc, struct tracer *tracer)
{
	lc->tracer = tracer;
}

void lifecycle__destroy(struct lifecycle *lc, bool resume_held)
{
	size_t i;

	if (!lc)
		return;
	for (i = 0; i < lc->targets.nr; i++) {
		if (lc->targets.list[i]->pidfd >= 0)
			close(lc->targets.list[i]->pidfd);
		if (resume_held && !lc->targets.list[i]->exited)
			kill(lc->targets.list[i]->pid, SIGCONT);
	}
	targets__free(&lc->targets);
	file_set__free(lc->skip_files);
	file_set__free(lc->not_loaders);
	free(lc->unwind_proc);
	free(lc);
}

struct target_list *lifecycle__targets(struct lifecycle *lc)
{
	return &lc->targets;
}

struct elf_files *lifecycle__files(struct lifecycle *lc)
{
	return lc->tables.files;
}

uint64_t lifecycle__attach_failures(const struct lifecycle *lc)
{
	return lc->attach_failures;
}

bool lifecycle__pids_alive(const struct lifecycle *lc)
{
	size_t i;

	for (i = 0; i < lc->targets.nr; i++)
		if (lc->targets.list[i]->role == ROLE_PID && !lc->targets.list[i]->exited)
			return true;
	return false;
}

/* SIGCONT for a process stopped at exec by the BPF side; harmless when it is not stopped. */
static void resume(int pid)
{
	if (kill(pid, SIGCONT) && errno != ESRCH)
		p_warn("cannot resume pid %d: %s; run 'kill -CONT %d'", pid, strerror(errno), pid);
}

/* --- one reading of the maps, everything that depends on it ---------------- */

int lifecycle__attach_pid(const struct lifecycle *lc, int pid)
{
	return lc->opts.shared_probes ? -1 : pid;
}

/*
 * Probes every allocator the process maps now, and the dynamic loader's
 * hook so libraries it maps next are seen too. Files already probed are
 * skipped. Failures are counted and shown, never fatal: the process runs on.
 */
static void probe_new_files(struct lifecycle *lc, struct target *t, const struct procmaps *maps,
			    bool want_loader)
{
	struct providers *provs = NULL;
	struct loader_hook hook;
	char why[512];
	size_t i;
	int err, attach_pid = lifecycle__attach_pid(lc, t->pid);

	err = providers__from_maps(lc->tables.files, t->pid, maps, lc->skip_files, &provs);
	for (i = 0; !err && i < provs->nr; i++) {
		err = tracer__attach_provider(lc->tracer, attach_pid, &provs->list[i], why,
					      sizeof(why));
		if (err < 0) {
			lc->attach_failures++;
			p_warn("pid %d (%s): %s", t->pid, t->comm, why);
		} else if (err == 0) {
			p_info("pid %d (%s): probing %s", t->pid, t->comm, provs->list[i].path);
		}
		/* Probed for every process: never read again. */
		if (err >= 0 && lc->opts.shared_probes)
			file_set__add(lc->skip_files, provs->list[i].dev, provs->list[i].inode);
		err = 0;
	}
	if (want_loader &&
	    !providers__find_loader(lc->tables.files, t->pid, maps, lc->not_loaders, &hook) &&
	    tracer__attach_loader(lc->tracer, attach_pid, hook.attach_path, hook.dev, hook.inode,
				  hook.offset, hook.to_state) < 0) {
		lc->attach_failures++;
		p_warn("pid %d (%s): cannot probe its dynamic loader: %s; libraries it loads may "
		       "be missed",
		       t->pid, t->comm, strerror(errno));
	}
	providers__free(provs);
}

/*
 * Builds unwind tables for the modules in maps and, once the tracer is
 * loaded, hands new rows and the mapping list to the BPF walker. 0 or -errno.
 */
static int load_unwind(struct lifecycle *lc, struct target *t, const struct procmaps *maps)
{
	const struct ml_unwind_row *rows;
	uint32_t first;
	size_t nr;
	int err;

	err = unwinder__add_process(lc->tables.unwinder, t->pid, maps, lc->unwind_proc);
	if (err || !lc->tracer)
		return err;
	rows = unwinder__take_new_rows(lc->tables.unwinder, &first, &nr);
	err = tracer__load_rows(lc->tracer, rows, first, nr);
	if (err ||
	    (t->unwind_sent && !memcmp(t->unwind_sent, lc->unwind_proc, sizeof(*t->unwind_sent))))
		return err;
	err = tracer__set_unwind_proc(lc->tracer, t->pid, lc->unwind_proc);
	if (!err && !t->unwind_sent)
		t->unwind_sent = malloc(sizeof(*t->unwind_sent));
	if (!err && t->unwind_sent)
		memcpy(t->unwind_sent, lc->unwind_proc, sizeof(*t->unwind_sent));
	return err;
}

static void update_unwind(struct lifecycle *lc, struct target *t, const struct procmaps *maps)
{
	int err = load_unwind(lc, t, maps);

	if (err && !t->unwind_warned)
		p_warn("pid %d (%s): cannot load its unwind tables: %s; its stacks may end early",
		       t->pid, t->comm, strerror(-err));
	t->unwind_warned |= err != 0;
}

void lifecycle__maps_changed(struct lifecycle *lc, struct target *t, unsigned int what)
{
	struct procmaps *maps;
	int err;

	if (!lc->tables.unwinder)
		what &= ~MAPS_UNWIND;
	err = what ? procmaps__read(t->pid, &maps) : -ENOENT;
	if (err && err != -ENOENT && err != -ESRCH && (what & MAPS_PROBES)) {
		/* Alive but unreadable (EMFILE, ENOMEM): a new image left unprobed is a loss. */
		lc->attach_failures++;
		p_warn("pid %d (%s): cannot read its maps: %s; its new image is not probed", t->pid,
		       t->comm, strerror(-err));
	}
	if (err)
		return; /* gone already: its EXIT record follows */
	if ((what & MAPS_PROBES) && lc->tracer)
		probe_new_files(lc, t, maps, what & MAPS_LOADER);
	if (what & MAPS_UNWIND)
		update_unwind(lc, t, maps);
	if (what & MAPS_SYMBOLS)
		symbolizer__update(lc->tables.symbolizer, t->pid, maps); /* takes maps */
	else
		procmaps__free(maps);
}

void lifecycle__refresh(struct lifecycle *lc, unsigned int what)
{
	size_t i;

	for (i = 0; i < lc->targets.nr; i++)
		if (!lc->targets.list[i]->exited)
			lifecycle__maps_changed(lc, lc->targets.list[i], what);
}

void lifecycle__prebuild_own_tables(struct lifecycle *lc)
{
	struct procmaps *own, shared = {0};
	const char *base;
	size_t i;

	if (!lc->tables.unwinder || procmaps__read(getpid(), &own))
		return;
	shared.maps = calloc(own->nr ? own->nr : 1, sizeof(*shared.maps));
	for (i = 0; shared.maps && i < own->nr; i++) {
		base = strrchr(own->maps[i].path, '/');
		base = base ? base + 1 : own->maps[i].path;
		if (own->maps[i].exec &&
		    (!strncmp(base, "libc.so", 7) || !strncmp(base, "ld-linux", 8)))
			shared.maps[shared.nr++] = own->maps[i];
	}
	if (shared.nr)
		unwinder__add_process(lc->tables.unwinder, getpid(), &shared, lc->unwind_proc);
	free(shared.maps);
	procmaps__free(own);
}

/* --- births, images and deaths ---------------------------------------------- */

static void forget_process(struct lifecycle *lc, int pid)
{
	allocs__drop_pid(lc->tables.allocs, (uint32_t)pid);
	history__drop_pid(lc->tables.history, (uint32_t)pid);
	symbolizer__forget(lc->tables.symbolizer, pid);
	tracer__forget_pid(lc->tracer, pid);
}

struct target *lifecycle__note_process(struct lifecycle *lc, int pid, enum target_role role)
{
	struct target *t = targets__find(&lc->targets, pid);

	if (t && t->exited) {
		/* The PID was reused (command mode keeps the dead): this is a new process. */
		t->exited = false;
		lc->targets.nr_exited--;
		proc__read_comm(pid, t->comm, sizeof(t->comm));
	}
	if (t)
		return t;
	t = targets__add(&lc->targets, pid, role);
	if (!t) {
		p_warn("out of memory: pid %d is not tracked", pid);
		return NULL;
	}
	proc__read_comm(pid, t->comm, sizeof(t->comm));
	return t;
}

void lifecycle__note_unknown(struct lifecycle *lc)
{
	size_t nr, i;
	const struct stack_stats *all = allocs__stacks(lc->tables.allocs, &nr);
	int pid;

	for (i = 0; i < nr; i++) {
		pid = (int)all[i].pid;
		if (all[i].outstanding_count && !targets__find(&lc->targets, pid))
			lifecycle__note_process(lc, pid, ROLE_SEEN);
	}
}

void lifecycle__mark_exited(struct lifecycle *lc, struct target *t)
{
	if (t->exited)
		return;
	t->exited = true;
	lc->targets.nr_exited++;
	tracer__remove_target(lc->tracer, t->pid);
	if (lc->opts.keep_exited || (t->role == ROLE_PID && !lifecycle__pids_alive(lc))) {
		/* The final report shows what it held at exit: its leaks. */
		p_info("pid %d (%s) exited", t->pid, t->comm);
		return;
	}
	/* A dead process must not look like a leak of the living. */
	if (t->role != ROLE_SEEN)
		fprintf(stderr, "memleakd: pid %d (%s) exited; its allocations are dropped\n",
			t->pid, t->comm);
	forget_process(lc, t->pid);
	if (t->role == ROLE_SEEN || t->role == ROLE_CHILD)
		targets__remove(&lc->targets, t->pid);
}

void lifecycle__poll_liveness(struct lifecycle *lc)
{
	size_t i;

	for (i = 0; i < lc->targets.nr; i++) {
		struct target *t = lc->targets.list[i];

		if (t->pidfd != PROC_NO_PIDFD || t->exited || proc__alive(t->pid))
			continue;
		tracer__drain(lc->tracer);
		lifecycle__mark_exited(lc, t);
	}
}

static void on_fork(struct lifecycle *lc, int parent, int child)
{
	const struct target *from;
	struct target *t;

	/* Its allocations so far are the parent's copies; it starts with a clean slate. */
	t = lifecycle__note_process(lc, child, lc->opts.system_wide ? ROLE_SEEN : ROLE_CHILD);
	if (!t)
		return;
	p_debug("pid %d forked pid %d", parent, child);
	/* fork copies the name: right even when the child is gone before /proc says it. */
	from = targets__find(&lc->targets, parent);
	if (from && from != t)
		memcpy(t->comm, from->comm, sizeof(t->comm));
	/* Its parent's maps until its own can be read: it may be gone by then. */
	symbolizer__inherit(lc->tables.symbolizer, parent, child);
	lifecycle__maps_changed(lc, t, MAPS_UNWIND | MAPS_SYMBOLS);
}

/* The process is stopped (unless system-wide) until we resume it. */
static void on_exec(struct lifecycle *lc, int pid)
{
	struct target *t = targets__find(&lc->targets, pid);

	if (!t && lc->opts.system_wide)
		t = lifecycle__note_process(lc, pid, ROLE_SEEN);
	if (!t) {
		resume(pid);
		return;
	}
	/* The old image's memory is gone with it. */
	forget_process(lc, pid);
	free(t->unwind_sent);
	t->unwind_sent = NULL;
	proc__read_comm(pid, t->comm, sizeof(t->comm));
	p_info("pid %d exec'd %s", pid, t->comm);
	lifecycle__maps_changed(lc, t, MAPS_ALL);
	if (!lc->opts.system_wide)
		resume(pid);
}

/* The loader mapped the new image's libraries; stopped like on_exec. */
static void on_libraries_ready(struct lifecycle *lc, int pid)
{
	struct target *t = targets__find(&lc->targets, pid);

	if (t)
		lifecycle__maps_changed(lc, t, MAPS_PROBES | MAPS_UNWIND | MAPS_SYMBOLS);
	if (!lc->opts.system_wide)
		resume(pid);
}

void lifecycle__on_event(struct lifecycle *lc, const struct ml_event *e)
{
	struct target *t;

	switch (e->type) {
	case ML_EV_EXIT:
		t = targets__find(&lc->targets, (int)e->pid);
		if (t)
			lifecycle__mark_exited(lc, t);
		else if (lc->opts.system_wide)
			forget_process(lc, (int)e->pid);
		break;
	case ML_EV_FORK:
		on_fork(lc, (int)e->pid, (int)e->addr);
		break;
	case ML_EV_EXEC:
		on_exec(lc, (int)e->pid);
		break;
	case ML_EV_READY:
		on_libraries_ready(lc, (int)e->pid);
		break;
	default:
		break;
	}
}
