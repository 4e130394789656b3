// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "golang.h"
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
	struct file_set *not_exits; /* files read that define no _exit */
	exiting_fn on_exiting;
	void *exiting_ctx;
	exited_fn on_exited;
	void *exited_ctx;
	struct ml_unwind_proc *unwind_proc; /* scratch for one target's mappings */
	uint64_t attach_failures;
	int watch_fd;			/* epoll set of the targets' pidfds */
	size_t nr_pidfds, pidfd_budget; /* opened here; past the budget, targets are polled */
	uint64_t polled_ns;		/* when targets without a pidfd were last polled */
	bool test_ignore_ready; /* MEMLEAKD_TEST_IGNORE_READY: tests of the hold sweep only */
};

/* Targets without a pidfd are polled this often (one /proc read each). */
#define POLL_PERIOD_NS 250000000ULL

/* Ids of dead processes whose PID was reused: above any PID (PID_MAX_LIMIT). */
#define DEAD_ID_STEP (1 << 22)

/* A process held (fork, exec, loader hook) longer than this is continued by the sweep. */
#define HOLD_MAX_NS 1000000000ULL

struct lifecycle *lifecycle__new(const struct lifecycle_opts *opts,
				 const struct lifecycle_tables *tables)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));
	struct rlimit fds;

	if (!lc)
		return NULL;
	lc->opts = *opts;
	/* Test only: READY records go unhandled, so the sweep has holds to end. */
	lc->test_ignore_ready = getenv("MEMLEAKD_TEST_IGNORE_READY") != NULL;
	lc->tables = *tables;
	lc->watch_fd = epoll_create1(EPOLL_CLOEXEC);
	/* Half the fd limit at most (system-wide: one per process); the rest is for files. */
	lc->pidfd_budget = getrlimit(RLIMIT_NOFILE, &fds) ? 512 : (size_t)(fds.rlim_cur / 2);
	lc->skip_files = file_set__new();
	lc->not_loaders = file_set__new();
	lc->not_exits = file_set__new();
	lc->unwind_proc = malloc(sizeof(*lc->unwind_proc));
	if (!lc->skip_files || !lc->not_loaders || !lc->not_exits || !lc->unwind_proc ||
	    lc->watch_fd < 0) {
		lifecycle__destroy(lc);
		return NULL;
	}
	return lc;
}

void lifecycle__set_tracer(struct lifecycle *lc, struct tracer *tracer)
{
	lc->tracer = tracer;
}

void lifecycle__destroy(struct lifecycle *lc)
{
	size_t i;

	if (!lc)
		return;
	for (i = 0; i < lc->targets.nr; i++)
		if (lc->targets.list[i]->pidfd >= 0)
			close(lc->targets.list[i]->pidfd);
	if (lc->watch_fd >= 0)
		close(lc->watch_fd);
	targets__free(&lc->targets);
	file_set__free(lc->skip_files);
	file_set__free(lc->not_loaders);
	file_set__free(lc->not_exits);
	free(lc->unwind_proc);
	free(lc);
}

struct target_list *lifecycle__targets(struct lifecycle *lc)
{
	return &lc->targets;
}

struct golang *lifecycle__golang(struct lifecycle *lc)
{
	return lc->tables.golang;
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

/* SIGCONT to pid, through its pidfd when the target has one (the PID may be reused). */
static void send_cont(struct lifecycle *lc, int pid)
{
	const struct target *t = targets__find(&lc->targets, pid);
	int err;

	if (t && t->pidfd >= 0)
		err = (int)syscall(SYS_pidfd_send_signal, t->pidfd, SIGCONT, NULL, 0);
	else
		err = kill(pid, SIGCONT);
	if (err && errno != ESRCH)
		p_warn("cannot resume pid %d: %s; run 'kill -CONT %d'", pid, strerror(errno), pid);
}

/*
 * The EXEC/READY record (ts_ns held_ns) of pid was handled: continue pid if
 * BPF stopped it for that record. A process stopped by anyone else stays so.
 */
static void resume(struct lifecycle *lc, int pid, uint64_t held_ns)
{
	if (lc->tracer && tracer__take_hold(lc->tracer, pid, held_ns))
		send_cont(lc, pid);
}

void lifecycle__resume(struct lifecycle *lc, int pid, uint64_t held_ns)
{
	resume(lc, pid, held_ns);
}

void lifecycle__set_exiting_handler(struct lifecycle *lc, exiting_fn fn, void *ctx)
{
	lc->on_exiting = fn;
	lc->exiting_ctx = ctx;
}

void lifecycle__set_exited_handler(struct lifecycle *lc, exited_fn fn, void *ctx)
{
	lc->on_exited = fn;
	lc->exited_ctx = ctx;
}

/* The exited handler sees the process while its blocks and maps are still known. */
static void tell_exited(struct lifecycle *lc, int pid, const char *comm, const char *exe, bool kept)
{
	if (lc->on_exited)
		lc->on_exited(lc->exited_ctx, pid, comm, exe, kept);
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

void lifecycle__sweep_holds(struct lifecycle *lc)
{
	uint64_t now = monotonic_ns();
	int pids[64];
	size_t nr, i;

	if (now < HOLD_MAX_NS || !lc->tracer)
		return;
	/* A record sent while the loop was busy (a long report) is handled, not swept. */
	tracer__drain(lc->tracer);
	nr = tracer__take_old_holds(lc->tracer, now - HOLD_MAX_NS, pids, 64);
	for (i = 0; i < nr; i++) {
		send_cont(lc, pids[i]);
		tracer__count(lc->tracer, ML_CNT_HOLD_EXPIRED);
		p_warn("pid %d: held (at fork, exec or the loader's hook) for more than 1 s "
		       "without memleakd handling it: "
		       "continued; its first allocations may be missed",
		       pids[i]);
	}
}

void lifecycle__release_holds(struct lifecycle *lc)
{
	int pids[64];
	size_t nr, i;

	if (!lc || !lc->tracer)
		return;
	do {
		nr = tracer__take_old_holds(lc->tracer, UINT64_MAX, pids, 64);
		for (i = 0; i < nr; i++)
			send_cont(lc, pids[i]);
	} while (nr == 64);
}

/* --- one reading of the maps, everything that depends on it ---------------- */

int lifecycle__attach_pid(const struct lifecycle *lc, int pid)
{
	/* -f on a kernel with uprobe_multi links: per process after all. */
	if (tracer__per_process(lc->tracer))
		return pid;
	return lc->opts.shared_probes ? -1 : pid;
}

/* The _exit hold for the exit scan: a process without one exits unscanned (said, not fatal). */
static void probe_exit(struct lifecycle *lc, struct target *t, const struct procmaps *maps,
		       int attach_pid)
{
	struct loader_hook hook;
	int err;

	err = providers__find_exit(lc->tables.files, t->pid, maps, lc->not_exits, &hook);
	if (!err)
		err = tracer__attach_exit(lc->tracer, attach_pid, hook.attach_path, hook.dev,
					  hook.inode, hook.offset, hook.exit_offset);
	if (err < 0 && err != -ENOENT && err != -ESRCH) {
		lc->attach_failures++;
		p_warn("pid %d (%s): cannot probe _exit: %s; it will exit unscanned (its blocks "
		       "not freed at exit count as leaks)",
		       t->pid, t->comm, strerror(-err));
	}
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
		if (err >= 0 && attach_pid < 0)
			file_set__add(lc->skip_files, provs->list[i].dev, provs->list[i].inode);
		err = 0;
	}
	err = 0;
	if (want_loader &&
	    !providers__find_loader(lc->tables.files, t->pid, maps, lc->not_loaders, &hook))
		err = tracer__attach_loader(lc->tracer, attach_pid, hook.attach_path, hook.dev,
					    hook.inode, hook.offset, hook.to_state);
	if (err < 0) {
		lc->attach_failures++;
		p_warn("pid %d (%s): cannot probe its dynamic loader: %s; libraries it loads may "
		       "be missed",
		       t->pid, t->comm, strerror(-err));
	}
	if (lc->opts.hold_exits)
		probe_exit(lc, t, maps, attach_pid);
	providers__free(provs);
	/* A Go executable: goroutine probes (never a return probe), census, heap profile. */
	golang__probe(lc->tables.golang, lc->tracer, t->pid, t->comm, maps, attach_pid);
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

/* 0 when the walker has t's entry for maps (or there is no walker yet), else -errno. */
static int update_unwind(struct lifecycle *lc, struct target *t, const struct procmaps *maps)
{
	int err = load_unwind(lc, t, maps);

	if (err && !t->unwind_warned)
		p_warn("pid %d (%s): cannot load its unwind tables: %s; its stacks may end early",
		       t->pid, t->comm, strerror(-err));
	t->unwind_warned |= err != 0;
	return err;
}

/* /proc/PID/maps as text: 0, -ENOENT (no such process) or -errno. */
static int read_maps_text(int pid, char **text, size_t *len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	return read_proc_file(path, text, len);
}

/*
 * Of what, the parts text may change: the walker's entry when the
 * executable lines differ from those it was made from, the symbolizer's
 * maps when any line does (their addresses resolve to heap, stack, ...).
 */
static unsigned int changed_parts(const struct target *t, unsigned int what, const char *text,
				  size_t len)
{
	if ((what & MAPS_UNWIND) && maps_text__same(&t->unwind_seen, text, len, true))
		what &= ~MAPS_UNWIND;
	if ((what & MAPS_SYMBOLS) && maps_text__same(&t->symbols_seen, text, len, false))
		what &= ~MAPS_SYMBOLS;
	if ((what & MAPS_PROBES) && maps_text__same(&t->probes_seen, text, len, true))
		what &= ~MAPS_PROBES;
	return what;
}

/* The texts t's tables came from are no longer what they hold (a new image, an exit). */
static void forget_maps_text(struct target *t)
{
	maps_text__forget(&t->unwind_seen);
	maps_text__forget(&t->symbols_seen);
	maps_text__forget(&t->probes_seen);
}

/*
 * Reads t's maps once and updates what `what` names; with only_changes,
 * what the text changes since the last update (nothing: not even parsed).
 */
static void update_from_maps(struct lifecycle *lc, struct target *t, unsigned int what,
			     bool only_changes)
{
	struct procmaps *maps = NULL;
	char *text = NULL;
	size_t len = 0;
	int err;

	if (!lc->tables.unwinder)
		what &= ~MAPS_UNWIND;
	/*
	 * System-wide, a hook on every process's loader would trap in all of
	 * them, and kill any run under valgrind (which executes the int3 as
	 * its program's own): new images are read by the periodic refresh.
	 */
	if (lc->opts.system_wide)
		what &= ~MAPS_LOADER;
	err = what ? read_maps_text(t->pid, &text, &len) : -ENOENT;
	if (!err && only_changes && !(what = changed_parts(t, what, text, len))) {
		free(text);
		return;
	}
	if (!err)
		err = procmaps__parse(text, len, &maps);
	if (err && err != -ENOENT && err != -ESRCH && (what & MAPS_PROBES)) {
		/* Alive but unreadable (EMFILE, ENOMEM): a new image left unprobed is a loss. */
		lc->attach_failures++;
		p_warn("pid %d (%s): cannot read its maps: %s; its new image is not probed", t->pid,
		       t->comm, strerror(-err));
	}
	if (err) {
		free(text);
		return; /* gone already: its EXIT record follows */
	}
	if ((what & MAPS_PROBES) && lc->tracer) {
		probe_new_files(lc, t, maps, what & MAPS_LOADER);
		maps_text__note(&t->probes_seen, text, len, true);
	}
	/* Noted once the walker has the entry: before the tracer loads, it does not. */
	if ((what & MAPS_UNWIND) && !update_unwind(lc, t, maps) && lc->tracer)
		maps_text__note(&t->unwind_seen, text, len, true);
	if (!(what & MAPS_SYMBOLS))
		procmaps__free(maps);
	else if (!symbolizer__update(lc->tables.symbolizer, t->pid, maps)) /* takes maps */
		maps_text__note(&t->symbols_seen, text, len, false);
	free(text);
}

void lifecycle__maps_changed(struct lifecycle *lc, struct target *t, unsigned int what)
{
	update_from_maps(lc, t, what, false);
}

void lifecycle__refresh(struct lifecycle *lc, unsigned int what)
{
	size_t i;

	/* Every live target every 0.5 s (system-wide: every process): most maps are as they were.
	 */
	for (i = 0; i < lc->targets.nr; i++)
		if (!lc->targets.list[i]->exited)
			update_from_maps(lc, lc->targets.list[i], what, true);
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
	golang__forget(lc->tables.golang, pid);
}

/* /proc/PID/stat's text (the caller frees it), or NULL when there is no such process. */
static char *read_stat(int pid)
{
	char path[64], *text;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return read_proc_file(path, &text, &len) ? NULL : text;
}

/* Notes t's start time, so a process that takes its PID later is not taken for it. */
static void note_start_time(struct target *t)
{
	char *stat = read_stat(t->pid), state;

	if (stat && targets__parse_stat(stat, &state, &t->start_time))
		t->start_time = 0;
	free(stat);
}

/* What the watch set hands back for a pidfd: the pid it was opened for, and the fd. */
static uint64_t watch_tag(int pid, int pidfd)
{
	return (uint64_t)(uint32_t)pid << 32 | (uint32_t)pidfd;
}

/* Puts t's pidfd in the watch set; a target without one is polled instead. */
static void watch(struct lifecycle *lc, struct target *t)
{
	struct epoll_event ev = {.events = EPOLLIN};

	if (!t->start_time)
		note_start_time(t);
	if (t->pidfd < 0)
		return;
	ev.data.u64 = watch_tag(t->pid, t->pidfd);
	if (epoll_ctl(lc->watch_fd, EPOLL_CTL_ADD, t->pidfd, &ev) && errno != EEXIST)
		p_debug("pid %d: cannot watch its pidfd: %s", t->pid, strerror(errno));
}

/* A pidfd and a start time for a new target: its exit is seen even without its EXIT record. */
static void open_watch(struct lifecycle *lc, struct target *t)
{
	if (t->pidfd == -1 && lc->nr_pidfds < lc->pidfd_budget) {
		/*
		 * System-wide, most processes noted at exec or fork are short-lived and
		 * many are gone already: 8 ms of retries each stalled the drain for
		 * good under a shell loop (no report for minutes). One try; a
		 * process without a pidfd is polled.
		 */
		t->pidfd = proc__open_pidfd_tries(t->pid, lc->opts.system_wide ? 1 : 5);
		if (t->pidfd < 0 && t->pidfd != PROC_NO_PIDFD)
			t->pidfd = -1; /* gone already, or out of fds: polled */
		lc->nr_pidfds += t->pidfd >= 0;
	}
	watch(lc, t);
}

static void close_pidfd(struct lifecycle *lc, struct target *t)
{
	if (t->pidfd >= 0) {
		close(t->pidfd); /* leaves the watch set with it */
		if (lc->nr_pidfds)
			lc->nr_pidfds--;
	}
	t->pidfd = -1;
}

int lifecycle__watch_fd(const struct lifecycle *lc)
{
	return lc->watch_fd;
}

void lifecycle__watch_targets(struct lifecycle *lc)
{
	size_t i;

	for (i = 0; i < lc->targets.nr; i++)
		if (!lc->targets.list[i]->exited)
			watch(lc, lc->targets.list[i]);
}

static void exited_without_record(struct lifecycle *lc, struct target *t);
static bool pidfd_readable(int pidfd);

/* Whether the process t names is gone (its PID may be another's already). */
static bool process_gone(const struct target *t)
{
	char *stat;
	bool gone;

	if (t->pidfd >= 0)
		return pidfd_readable(t->pidfd);
	stat = read_stat(t->pid);
	gone = targets__gone(t, stat);
	free(stat);
	return gone;
}

/*
 * Command mode keeps the dead: when a new process takes the PID of one, the
 * dead one's blocks, maps and entry move to an id no PID has, pid +
 * n * DEAD_ID_STEP, so the new process neither revives nor erases them.
 * False when out of memory (the two then share the PID's entry).
 */
static bool retire_dead(struct lifecycle *lc, struct target *t)
{
	int pid = t->pid, dead = pid;

	while (dead <= INT_MAX - DEAD_ID_STEP && targets__find(&lc->targets, dead + DEAD_ID_STEP))
		dead += DEAD_ID_STEP;
	dead = dead <= INT_MAX - DEAD_ID_STEP ? dead + DEAD_ID_STEP : -1;
	if (dead < 0 || targets__rename(&lc->targets, t, dead) ||
	    allocs__rename_pid(lc->tables.allocs, (uint32_t)pid, (uint32_t)dead)) {
		if (t->pid != pid)
			targets__rename(&lc->targets, t, pid); /* frees nothing: cannot fail */
		p_warn("pid %d (%s) exited and its PID was reused: out of memory, its blocks are "
		       "merged with the new process's",
		       pid, t->comm);
		return false;
	}
	symbolizer__inherit(lc->tables.symbolizer, pid, dead);
	symbolizer__forget(lc->tables.symbolizer, pid);
	history__drop_pid(lc->tables.history, (uint32_t)pid);
	p_info("pid %d (%s) exited and its PID was reused: listed as pid %d from now on", pid,
	       t->comm, dead);
	return true;
}

/*
 * pid's entry, for a process that is alive now: one left by a process that
 * is gone is marked exited (its EXIT record was lost) and, kept, retired.
 * NULL when there is none (or only the merged one: see retire_dead).
 */
static struct target *live_entry(struct lifecycle *lc, int pid)
{
	struct target *t = targets__find(&lc->targets, pid);

	if (t && !t->exited && process_gone(t))
		exited_without_record(lc, t);
	t = targets__find(&lc->targets, pid); /* marked exited, it may be gone */
	if (t && t->exited && retire_dead(lc, t))
		return NULL;
	if (t && t->exited) {
		t->exited = false;
		lc->targets.nr_exited--;
		proc__read_comm(pid, t->comm, sizeof(t->comm));
		proc__read_exe(pid, t->exe, sizeof(t->exe));
		open_watch(lc, t);
	}
	return t;
}

struct target *lifecycle__note_process(struct lifecycle *lc, int pid, enum target_role role)
{
	struct target *t = live_entry(lc, pid);

	if (t)
		return t;
	t = targets__add(&lc->targets, pid, role);
	if (!t) {
		p_warn("out of memory: pid %d is not tracked", pid);
		return NULL;
	}
	proc__read_comm(pid, t->comm, sizeof(t->comm));
	proc__read_exe(pid, t->exe, sizeof(t->exe));
	open_watch(lc, t);
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
	close_pidfd(lc, t);
	forget_maps_text(t);
	/* Its own probes (per-process probes), before its PID can be another's. */
	tracer__detach_pid(lc->tracer, t->pid);
	/* Not tracer__remove_target: BPF did at the exit; the PID may be a new target's by now. */
	if (lc->opts.keep_exited || (t->role == ROLE_PID && !lifecycle__pids_alive(lc))) {
		/* The final report shows what it held at exit: its leaks. */
		p_info("pid %d (%s) exited", t->pid, t->comm);
		/*
		 * The command and the last -p target are the report's own subject;
		 * children -f follows go to the tally too, where recycled workers add up.
		 */
		if (t->role == ROLE_CHILD)
			tell_exited(lc, t->pid, t->comm, t->exe, true);
		return;
	}
	tell_exited(lc, t->pid, t->comm, t->exe, false);
	/* A dead process must not look like a leak of the living. */
	if (t->role != ROLE_SEEN)
		p_note("pid %d (%s) exited; its allocations are dropped", t->pid, t->comm);
	forget_process(lc, t->pid);
	if (t->role == ROLE_SEEN || t->role == ROLE_CHILD)
		targets__remove(&lc->targets, t->pid);
}

/*
 * t is gone and its records are drained: when its EXIT record did not mark
 * it exited, that record was lost. Counted, and t marked exited now.
 */
static void exited_without_record(struct lifecycle *lc, struct target *t)
{
	if (t->exited)
		return;
	tracer__count(lc->tracer, ML_CNT_EXIT_LOST);
	p_info("pid %d (%s) exited; its exit record was lost", t->pid, t->comm);
	lifecycle__mark_exited(lc, t);
}

static bool pidfd_readable(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* The target a watch tag names, while it still has that pidfd. */
static struct target *find_by_tag(const struct lifecycle *lc, uint64_t tag)
{
	struct target *t = targets__find(&lc->targets, (int)(uint32_t)(tag >> 32));

	return t && watch_tag(t->pid, t->pidfd) == tag ? t : NULL;
}

void lifecycle__reap(struct lifecycle *lc)
{
	struct epoll_event ready[16];
	struct target *t;
	int n, i;

	n = epoll_wait(lc->watch_fd, ready, 16, 0);
	if (n <= 0)
		return;
	/* Their EXIT records (and last allocations) were queued before the pidfds woke. */
	tracer__drain(lc->tracer);
	for (i = 0; i < n; i++) {
		/* The drain may have closed it, and a new pidfd taken its number. */
		t = find_by_tag(lc, ready[i].data.u64);
		if (t && pidfd_readable(t->pidfd))
			exited_without_record(lc, t);
	}
}

void lifecycle__poll_liveness(struct lifecycle *lc)
{
	uint64_t now = monotonic_ns();
	struct target *t;
	char *stat;
	size_t i;
	int pid;

	if (now - lc->polled_ns < POLL_PERIOD_NS)
		return;
	lc->polled_ns = now;
	for (i = 0; i < lc->targets.nr; i++) {
		t = lc->targets.list[i];
		if (t->pidfd >= 0 || t->exited)
			continue;
		pid = t->pid;
		stat = read_stat(pid);
		if (targets__gone(t, stat)) {
			tracer__drain(lc->tracer);
			/* The drain may have removed it: look again. */
			t = targets__find(&lc->targets, pid);
			if (t && t->pidfd < 0)
				exited_without_record(lc, t);
		}
		free(stat);
	}
}

/*
 * A child of a target. With per-process probes it is held at fork until
 * its own probes are on, attached here from its maps (its parent's).
 */
static void on_fork(struct lifecycle *lc, int parent, int child, uint64_t held_ns)
{
	unsigned int what = MAPS_UNWIND | MAPS_SYMBOLS;
	const struct target *from;
	struct target *t;

	/* Its allocations so far are the parent's copies; it starts with a clean slate. */
	t = lifecycle__note_process(lc, child, lc->opts.system_wide ? ROLE_SEEN : ROLE_CHILD);
	if (!t) {
		resume(lc, child, held_ns);
		return;
	}
	p_debug("pid %d forked pid %d", parent, child);
	/* fork copies the name: right even when the child is gone before /proc says it. */
	from = targets__find(&lc->targets, parent);
	if (from && from != t)
		memcpy(t->comm, from->comm, sizeof(t->comm));
	/* Its parent's maps until its own can be read: it may be gone by then. */
	symbolizer__inherit(lc->tables.symbolizer, parent, child);
	if (lifecycle__attach_pid(lc, child) >= 0 && !lc->opts.system_wide)
		what = MAPS_ALL;
	lifecycle__maps_changed(lc, t, what);
	resume(lc, child, held_ns);
}

/* The process may be held (not system-wide) until we resume it. */
static void on_exec(struct lifecycle *lc, int pid, uint64_t held_ns)
{
	struct target *t = targets__find(&lc->targets, pid);

	/* The entry of a process gone before this one took its PID (its FORK record lost). */
	if (t && (t->exited || process_gone(t)))
		t = lifecycle__note_process(lc, pid, lc->opts.system_wide ? ROLE_SEEN : ROLE_CHILD);
	if (!t && lc->opts.system_wide)
		t = lifecycle__note_process(lc, pid, ROLE_SEEN);
	if (!t) {
		resume(lc, pid, held_ns);
		return;
	}
	/* The old image's memory is gone with it (its story goes to the tally); the new one's is
	 * traced from its start. */
	tell_exited(lc, pid, t->comm, t->exe, false);
	forget_process(lc, pid);
	t->traced_from_exec = true;
	free(t->unwind_sent);
	t->unwind_sent = NULL;
	forget_maps_text(t);
	proc__read_comm(pid, t->comm, sizeof(t->comm));
	proc__read_exe(pid, t->exe, sizeof(t->exe));
	p_info("pid %d exec'd %s", pid, t->comm);
	lifecycle__maps_changed(lc, t, MAPS_ALL);
	resume(lc, pid, held_ns);
}

/* The loader mapped the new image's libraries; held like on_exec. */
static void on_libraries_ready(struct lifecycle *lc, int pid, uint64_t held_ns)
{
	struct target *t = targets__find(&lc->targets, pid);

	if (t)
		lifecycle__maps_changed(lc, t, MAPS_PROBES | MAPS_UNWIND | MAPS_SYMBOLS);
	resume(lc, pid, held_ns);
}

void lifecycle__on_event(struct lifecycle *lc, const struct ml_event *e)
{
	struct target *t;

	if (e->type == ML_EV_READY && lc->test_ignore_ready)
		return;
	switch (e->type) {
	case ML_EV_EXIT:
		t = targets__find(&lc->targets, (int)e->pid);
		if (t)
			lifecycle__mark_exited(lc, t);
		else if (lc->opts.system_wide) {
			tell_exited(lc, (int)e->pid, "?", "", false);
			forget_process(lc, (int)e->pid);
		}
		break;
	case ML_EV_FORK:
		on_fork(lc, (int)e->pid, (int)e->addr, e->ts_ns);
		break;
	case ML_EV_EXEC:
		on_exec(lc, (int)e->pid, e->ts_ns);
		break;
	case ML_EV_READY:
		on_libraries_ready(lc, (int)e->pid, e->ts_ns);
		break;
	case ML_EV_EXITING:
		if (lc->on_exiting)
			lc->on_exiting(lc->exiting_ctx, (int)e->pid, (int)e->tid, (int)e->addr,
				       e->size, e->ts_ns);
		else
			resume(lc, (int)e->pid, e->ts_ns);
		break;
	default:
		break;
	}
}
