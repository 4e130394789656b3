// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "allocs.h"
#include "command.h"
#include "exitcodes.h"
#include "flamegraph.h"
#include "folded.h"
#include "history.h"
#include "json.h"
#include "log.h"
#include "outfile.h"
#include "pprof.h"
#include "privs.h"
#include "provider.h"
#include "report.h"
#include "sample.h"
#include "sizing.h"
#include "session.h"
#include "snapshot.h"
#include "symbolize.h"
#include "targets.h"
#include "tracer.h"
#include "unwinder.h"

#define DRAIN_PERIOD_MS	    20 /* records wait at most this long in the ring buffer */
/*
 * The fastest a uprobe fires: an emulated instruction's trap, on bare metal
 * (~0.7 us a hit, DESIGN.md). The ring buffer holds what every CPU makes at
 * that rate between two drains.
 */
#define FASTEST_TRAP_NS	    700
#define RECORD_BYTES	    (sizeof(struct ml_event) + 8) /* with the ring buffer's header */
#define MAX_EXPORTED_STACKS 20000			  /* stacks symbolized per snapshot */
#define SYSFS_BTF	    "/sys/kernel/btf/vmlinux"
#define NO_PIDFD	    (-2)       /* target alive, but pidfd_open is missing: poll it */
#define UNWIND_ROWS_SPARE   (1u << 20) /* rows left for libraries loaded later */
#define UNWIND_ROWS_MAX	    (1u << 26)
#define UNWIND_REFRESH_S    0.5 /* a dlopen'ed library gets its table this fast */

struct session {
	const struct opts *opts;
	struct allocs *allocs;
	struct symbolizer *symbolizer;
	struct tracer *tracer;
	struct unwinder *unwinder;	    /* NULL with --unwind fp */
	struct history *history;	    /* outstanding bytes per stack per interval */
	FILE *json;			    /* --json stream, or NULL */
	struct ml_unwind_proc *unwind_proc; /* scratch for one target's mappings */
	struct target_list targets;
	/* Read once: files that are not providers (or probed for all already), not loaders. */
	struct file_set *skip_files;
	struct file_set *not_loaders;
	struct providers **initial_provs; /* per -p target, until attached */
	struct command *command;	  /* command mode, or NULL */
	sigset_t ignored_at_start;	  /* given back to the command */
	int command_status;		  /* wait status once command_done */
	bool command_done;
	/*
	 * Probes go on whole files (attach pid -1) and BPF picks the processes:
	 * command mode, -f and system-wide. Otherwise the kernel filters by pid.
	 */
	bool shared_probes;
	bool keep_exited; /* command mode: what an exited process held is its leak */
	int epoll_fd;
	int timer_fd;
	struct timespec started;
	double unwind_refreshed_s; /* seconds_since(started) of the last unwind refresh */
	unsigned int seq;
	uint64_t table_failures;  /* allocations the table could not keep (out of memory) */
	uint64_t attach_failures; /* new images whose allocator could not be probed */
	uint64_t leaked_bytes;	  /* final report: outstanding outside suppressed stacks */
	int output_error;	  /* first failure writing an output */
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t forward_signal; /* command mode: a signal for the command */

static void on_stop_signal(int signo)
{
	(void)signo;
	stop_requested = 1;
}

/*
 * Command mode: the command decides when the run ends. Ctrl-C reaches it
 * directly (same process group); SIGTERM and SIGHUP sent to memleakd are
 * passed on to it. memleakd reports when it exits.
 */
static void on_command_signal(int signo)
{
	if (signo == SIGTERM || signo == SIGHUP)
		forward_signal = signo;
}

/* A second Ctrl-C gets the default action (SA_RESETHAND): a stuck exit can be forced. */
static int install_signals(bool command_mode)
{
	struct sigaction sa = {.sa_handler = on_stop_signal, .sa_flags = SA_RESETHAND};
	struct sigaction ignore = {.sa_handler = SIG_IGN};

	if (command_mode)
		sa = (struct sigaction){.sa_handler = on_command_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL) || sigaction(SIGPIPE, &ignore, NULL))
		return -errno;
	if (command_mode && sigaction(SIGQUIT, &sa, NULL))
		return -errno;
	return 0;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* SIGCONT for a process stopped at exec by the BPF side; harmless when it is not stopped. */
static void resume(int pid)
{
	if (kill(pid, SIGCONT) && errno != ESRCH)
		p_warn("cannot resume pid %d: %s; run 'kill -CONT %d'", pid, strerror(errno), pid);
}

static void forget_process(struct session *s, int pid)
{
	allocs__drop_pid(s->allocs, (uint32_t)pid);
	history__drop_pid(s->history, (uint32_t)pid);
	if (s->opts->trace_mmap) {
		allocs__drop_pid(s->allocs, (uint32_t)pid | ALLOCS_MMAP_BIT);
		history__drop_pid(s->history, (uint32_t)pid | ALLOCS_MMAP_BIT);
	}
	symbolizer__forget(s->symbolizer, pid);
	tracer__forget_pid(s->tracer, pid);
}

/* The run is over when these have exited: the command, or every -p target. */
static bool run_finished(const struct session *s)
{
	size_t i;

	if (s->opts->system_wide)
		return false;
	if (s->command)
		return s->command_done;
	for (i = 0; i < s->targets.nr; i++)
		if (s->targets.list[i]->role == ROLE_PID && !s->targets.list[i]->exited)
			return false;
	return true;
}

static void mark_exited(struct session *s, struct target *t)
{
	if (t->exited)
		return;
	t->exited = true;
	s->targets.nr_exited++;
	tracer__remove_target(s->tracer, t->pid);
	if (s->keep_exited || (t->role == ROLE_PID && run_finished(s))) {
		/* The final report shows what it held at exit: its leaks. */
		p_info("pid %d (%s) exited", t->pid, t->comm);
		return;
	}
	/* A dead process must not look like a leak of the living. */
	if (t->role != ROLE_SEEN)
		fprintf(stderr, "memleakd: pid %d (%s) exited; its allocations are dropped\n",
			t->pid, t->comm);
	forget_process(s, t->pid);
	if (t->role == ROLE_SEEN || t->role == ROLE_CHILD)
		targets__remove(&s->targets, t->pid);
}

/* --- one interval's output ------------------------------------------------ */

static bool comm_wanted(void *ctx, uint32_t pid);
static struct target *note_process(struct session *s, int pid, enum target_role role);

/* System-wide: a process whose records came before any fork or exec record names it. */
static void note_unknown_processes(struct session *s)
{
	size_t nr, i;
	const struct stack_stats *all = allocs__stacks(s->allocs, &nr);
	int pid;

	for (i = 0; i < nr; i++) {
		pid = (int)(all[i].pid & ~ALLOCS_MMAP_BIT);
		if (all[i].outstanding_count && !targets__find(&s->targets, pid))
			note_process(s, pid, ROLE_SEEN);
	}
}

static int fill_snapshot_meta(struct session *s, struct snapshot *snap, bool final)
{
	size_t i;

	snap->elapsed_s = seconds_since(&s->started);
	snap->wall_time_s = (uint64_t)time(NULL);
	snap->seq = ++s->seq;
	snap->final = final;
	snap->unwind_mode = s->unwinder ? "dwarf" : "fp";
	snap->sample_bytes = s->opts->sample_bytes;
	snap->attach_failures = s->attach_failures;
	snap->interval_s = s->opts->interval_s;
	snap->window = s->opts->window;
	if (tracer__counters(s->tracer, snap->counters))
		p_warn("cannot read the BPF loss counters: %s", strerror(errno));
	snap->procs = calloc(s->targets.nr ? s->targets.nr : 1, sizeof(*snap->procs));
	if (!snap->procs)
		return -ENOMEM;
	for (i = 0; i < s->targets.nr; i++) {
		const struct target *t = s->targets.list[i];
		struct snapshot_proc *p = &snap->procs[snap->nr_procs];

		if (s->opts->nr_comms && !comm_wanted(s, (uint32_t)t->pid))
			continue;
		p->pid = t->pid;
		memcpy(p->comm, t->comm, sizeof(p->comm));
		p->exited = t->exited;
		snap->nr_procs++;
	}
	snapshot__sum_procs(snap, s->allocs);
	return 0;
}

typedef int (*render_fn)(FILE *out, const struct snapshot *snap);

/* Renders into a temporary file and renames it over path: readers never see half. */
static int write_atomic(const char *path, render_fn render, const struct snapshot *snap)
{
	struct outfile *f = outfile__begin(path);
	int err;

	if (!f)
		return -errno;
	err = render(outfile__stream(f), snap);
	if (err) {
		outfile__abort(f);
		return err;
	}
	return outfile__commit(f);
}

/*
 * Builds unwind tables for the modules pid maps and, once the tracer is
 * loaded, hands new rows and the mapping list to the BPF walker. A target
 * that cannot be read keeps its last list. 0 or -errno.
 */
static int update_unwind(struct session *s, struct target *t)
{
	struct procmaps *maps;
	const struct ml_unwind_row *rows;
	uint32_t first;
	size_t nr;
	int err;

	if (!s->unwinder)
		return 0;
	err = procmaps__read(t->pid, &maps);
	if (err)
		return err;
	err = unwinder__add_process(s->unwinder, t->pid, maps, s->unwind_proc);
	procmaps__free(maps);
	if (err || !s->tracer)
		return err;
	rows = unwinder__take_new_rows(s->unwinder, &first, &nr);
	err = tracer__load_rows(s->tracer, rows, first, nr);
	if (err ||
	    (t->unwind_sent && !memcmp(t->unwind_sent, s->unwind_proc, sizeof(*t->unwind_sent))))
		goto out;
	err = tracer__set_unwind_proc(s->tracer, t->pid, s->unwind_proc);
	if (!err && !t->unwind_sent)
		t->unwind_sent = malloc(sizeof(*t->unwind_sent));
	if (!err && t->unwind_sent)
		memcpy(t->unwind_sent, s->unwind_proc, sizeof(*t->unwind_sent));
out:
	if (err && !t->unwind_warned)
		p_warn("pid %d (%s): cannot load its unwind tables: %s; its stacks may end early",
		       t->pid, t->comm, strerror(-err));
	t->unwind_warned |= err != 0;
	return err;
}

/* Mappings change (dlopen): every UNWIND_REFRESH_S, new modules get their tables. */
static void refresh_unwind(struct session *s)
{
	double now = seconds_since(&s->started);
	size_t i;

	if (!s->unwinder || now - s->unwind_refreshed_s < UNWIND_REFRESH_S)
		return;
	s->unwind_refreshed_s = now;
	for (i = 0; i < s->targets.nr; i++)
		if (!s->targets.list[i]->exited)
			update_unwind(s, s->targets.list[i]);
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* One value per stack per interval; the final report adds none (its interval is partial). */
static void record_history(struct session *s)
{
	size_t nr, i;
	const struct stack_stats *all = allocs__stacks(s->allocs, &nr);

	for (i = 0; i < nr; i++)
		if (history__record(s->history, all[i].pid, all[i].stack_id,
				    all[i].outstanding_bytes)) {
			p_warn("out of memory: growth history incomplete");
			return;
		}
}

static bool use_color(void)
{
	const char *no_color = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

static void write_outputs(struct session *s, const struct snapshot *snap)
{
	const struct opts *o = s->opts;
	int err;

	const struct {
		const char *path;
		render_fn render;
	} files[] = {
	    {o->folded_path, folded__render},
	    {o->pprof_path, pprof__write},
	    {o->svg_path, flamegraph__render},
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!files[i].path)
			continue;
		err = write_atomic(files[i].path, files[i].render, snap);
		if (err && !s->output_error) {
			p_err("cannot write '%s': %s", files[i].path, strerror(-err));
			s->output_error = err;
		}
	}
	if (s->json) {
		err = json__render(s->json, snap);
		if (err && !s->output_error) {
			p_err("cannot write --json '%s': %s", o->json_path, strerror(-err));
			s->output_error = err;
		}
	}
}

/* Stacks holding no memory leave the kernel's stack map (frames cached here). */
static void prune_stacks(struct session *s)
{
	size_t nr, i, max_id = 0;
	const struct stack_stats *all = allocs__stacks(s->allocs, &nr);
	bool *in_use;

	for (i = 0; i < nr; i++)
		if (all[i].stack_id >= 0 && (size_t)all[i].stack_id + 1 > max_id)
			max_id = (size_t)all[i].stack_id + 1;
	in_use = calloc(max_id ? max_id : 1, sizeof(*in_use));
	if (!in_use)
		return;
	for (i = 0; i < nr; i++)
		if (all[i].stack_id >= 0 && all[i].outstanding_count)
			in_use[all[i].stack_id] = true;
	if (tracer__prune_stacks(s->tracer, in_use, max_id) > 0)
		p_debug("%llu stacks pruned from the kernel's stack map so far",
			(unsigned long long)tracer__pruned_stacks(s->tracer));
	free(in_use);
}

/*
 * Allocations glibc makes once per process and keeps until exit on
 * purpose (valgrind calls them "still reachable"): not leaks.
 */
static const char *const default_suppressions[] = {
    "_IO_file_doallocate",  /* the buffer of stdout, stderr or a FILE never closed */
    "_dl_non_dynamic_init", /* static glibc: the loader's own tables */
    "_dl_init",		    /* constructors of shared libraries (libstdc++'s EH pool) */
    "call_init",
};

#define NR_DEFAULT_SUPPRESSIONS (sizeof(default_suppressions) / sizeof(default_suppressions[0]))

/* --comm: whether pid's name is one of those asked for. */
static bool comm_wanted(void *ctx, uint32_t pid)
{
	const struct session *s = ctx;
	const struct target *t = targets__find(&s->targets, (int)(pid & ~ALLOCS_MMAP_BIT));
	int i;

	for (i = 0; t && i < s->opts->nr_comms; i++)
		if (!strcmp(t->comm, s->opts->comms[i]))
			return true;
	return false;
}

/* What the processes still hold outside suppressed stacks: at exit, their leaks. */
static uint64_t unsuppressed_bytes(const struct snapshot *snap)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < snap->nr_procs; i++)
		total += snap->procs[i].outstanding_bytes - snap->procs[i].suppressed_bytes;
	return total;
}

static int emit_snapshot(struct session *s, bool final)
{
	struct report_opts ropts = {.top = s->opts->top, .color = use_color()};
	const char *suppress[OPTS_MAX_SUPPRESS + NR_DEFAULT_SUPPRESSIONS];
	struct snapshot_opts sopts = {
	    .max_stacks = MAX_EXPORTED_STACKS,
	    .sort = s->opts->sort,
	    .history = s->history,
	    .now_ns = monotonic_ns(),
	    .read_stack = tracer__read_stack,
	    .reader_ctx = s->tracer,
	    .symbolizer = s->symbolizer,
	    .keep_pid = s->opts->nr_comms ? comm_wanted : NULL,
	    .keep_ctx = s,
	    .min_bytes = s->opts->min_bytes,
	    .suppress = suppress,
	};
	struct snapshot *snap = NULL;
	size_t i;
	int err;

	for (i = 0; i < (size_t)s->opts->nr_suppress; i++)
		suppress[sopts.nr_suppress++] = s->opts->suppress[i];
	for (i = 0; !s->opts->no_default_suppress && i < NR_DEFAULT_SUPPRESSIONS; i++)
		suppress[sopts.nr_suppress++] = default_suppressions[i];

	if (!final)
		record_history(s);
	if (s->opts->system_wide)
		note_unknown_processes(s);
	/* New libraries (dlopen) appear in maps; an exited process keeps its last maps. */
	for (i = 0; i < s->targets.nr; i++) {
		if (s->targets.list[i]->exited)
			continue;
		symbolizer__refresh(s->symbolizer, s->targets.list[i]->pid);
	}
	err = snapshot__build(s->allocs, &sopts, &snap);
	if (!err)
		err = fill_snapshot_meta(s, snap, final);
	if (err) {
		snapshot__free(snap);
		p_err("cannot build the report: %s", strerror(-err));
		return err;
	}
	if (s->table_failures)
		p_warn("%llu allocations could not be recorded (out of memory)",
		       (unsigned long long)s->table_failures);
	/* With --json -, stdout carries JSON lines only. */
	if (!(s->json == stdout) && report__render(stdout, snap, &ropts))
		stop_requested = 1; /* stdout is gone (closed pipe): nobody is reading */
	write_outputs(s, snap);
	s->leaked_bytes = unsuppressed_bytes(snap);
	snapshot__free(snap);
	if (!final)
		prune_stacks(s);
	return 0;
}

/* --- start-up -------------------------------------------------------------- */

static int check_output(const char *option, const char *path)
{
	int err;

	if (!path)
		return 0;
	err = outfile__check_writable(path);
	if (err)
		p_err("cannot write %s file '%s': %s; choose a writable path", option, path,
		      strerror(-err));
	return err;
}

static int check_environment(const struct opts *o)
{
	char missing[128];

	if (privs__check(missing, sizeof(missing))) {
		p_err("missing privileges (%s): run as root, e.g. 'sudo memleakd -p PID'", missing);
		return EXIT_PERMISSION;
	}
	if (access(SYSFS_BTF, R_OK)) {
		p_err("no kernel BTF at '%s': %s; boot a kernel built with CONFIG_DEBUG_INFO_BTF=y",
		      SYSFS_BTF, strerror(errno));
		return EXIT_KERNEL;
	}
	if (check_output("--folded", o->folded_path) || check_output("--pprof", o->pprof_path) ||
	    check_output("--svg", o->svg_path))
		return EXIT_OUTPUT;
	return EXIT_OK;
}

/* Appended to, never truncated; a symlink planted at the path is refused. */
static FILE *open_json(const char *path)
{
	int fd;
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
}

static void read_comm(int pid, char comm[SNAPSHOT_COMM_LEN])
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(comm, SNAPSHOT_COMM_LEN, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, SNAPSHOT_COMM_LEN - 1);
	close(fd);
	if (n <= 0) {
		snprintf(comm, SNAPSHOT_COMM_LEN, "?");
		return;
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

/* Kernel threads have an empty maps file: nothing to probe there. */
static bool process_maps_files(int pid)
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

/* Alive and not a zombie, for kernels or tools without pidfd_open. */
static bool process_alive(int pid)
{
	char path[64], *text, *close_paren;
	size_t len;
	bool alive;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_proc_file(path, &text, &len))
		return false;
	/* "pid (comm) S ...": comm may hold spaces and parentheses; the last ')' ends it. */
	close_paren = strrchr(text, ')');
	alive =
	    close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
	free(text);
	return alive;
}

/* Opens a -p target and finds its allocator; an EXIT_* code. */
static int prepare_target(struct target *t, int pid, struct providers **provs)
{
	int err;

	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* Without pidfd_open (valgrind, old kernels) liveness is polled instead. */
	if (t->pidfd < 0 && errno == ENOSYS)
		t->pidfd = process_alive(pid) ? NO_PIDFD : -1;
	if (t->pidfd == -1) {
		p_err("no process with PID %d: %s; check the PID with 'ps -p %d'", pid,
		      strerror(errno == ENOSYS ? ESRCH : errno), pid);
		return EXIT_TARGET;
	}
	read_comm(pid, t->comm);
	err = providers__find(pid, provs);
	if (err) {
		p_err("cannot read the memory map of pid %d (%s): %s", pid, t->comm,
		      strerror(-err));
		return err == -ENOENT || err == -ESRCH ? EXIT_TARGET : EXIT_PERMISSION;
	}
	if ((*provs)->nr == 0) {
		p_err("pid %d (%s) maps no object that defines malloc: nothing to trace "
		      "(a static binary without malloc, or a custom allocator under other names)",
		      pid, t->comm);
		return EXIT_TARGET;
	}
	return EXIT_OK;
}

/* --- lifecycle: fork, exec, the loader's hook ------------------------------ */

static int attach_pid_for(const struct session *s, int pid)
{
	return s->shared_probes ? -1 : pid;
}

/*
 * Probes every allocator the process maps now, and the dynamic loader's
 * hook so libraries it maps next are seen too. Files already probed are
 * skipped. Failures are counted and shown, never fatal: the process runs on.
 */
static void attach_new_files(struct session *s, struct target *t, bool want_loader)
{
	struct providers *provs = NULL;
	struct loader_hook hook;
	struct procmaps *maps;
	char why[512];
	size_t i;
	int err, attach_pid = attach_pid_for(s, t->pid);

	if (procmaps__read(t->pid, &maps))
		return; /* gone already: its EXIT record follows */
	err = providers__from_maps(t->pid, maps, s->skip_files, &provs);
	for (i = 0; !err && i < provs->nr; i++) {
		err = tracer__attach_provider(s->tracer, attach_pid, &provs->list[i], why,
					      sizeof(why));
		if (err < 0) {
			s->attach_failures++;
			p_warn("pid %d (%s): %s", t->pid, t->comm, why);
		} else if (err == 0) {
			p_info("pid %d (%s): probing %s", t->pid, t->comm, provs->list[i].path);
		}
		/* Probed for every process: never read again. */
		if (err >= 0 && s->shared_probes)
			file_set__add(s->skip_files, provs->list[i].dev, provs->list[i].inode);
		err = 0;
	}
	if (want_loader && !providers__find_loader(t->pid, maps, s->not_loaders, &hook) &&
	    tracer__attach_loader(s->tracer, attach_pid, hook.attach_path, hook.dev, hook.inode,
				  hook.offset, hook.to_state) < 0) {
		s->attach_failures++;
		p_warn("pid %d (%s): cannot probe its dynamic loader: %s; libraries it loads may "
		       "be missed",
		       t->pid, t->comm, strerror(errno));
	}
	providers__free(provs);
	procmaps__free(maps);
	update_unwind(s, t);
	symbolizer__refresh(s->symbolizer, t->pid);
}

/* A process to trace from now on; system-wide, any process not yet known. */
static struct target *note_process(struct session *s, int pid, enum target_role role)
{
	struct target *t = targets__find(&s->targets, pid);

	if (t && t->exited) {
		/* The PID was reused (command mode keeps the dead): this is a new process. */
		t->exited = false;
		s->targets.nr_exited--;
		read_comm(pid, t->comm);
	}
	if (t)
		return t;
	t = targets__add(&s->targets, pid, role);
	if (!t) {
		p_warn("out of memory: pid %d is not tracked", pid);
		return NULL;
	}
	read_comm(pid, t->comm);
	return t;
}

static void on_fork(struct session *s, int parent, int child)
{
	struct target *t;

	/* Its allocations so far are the parent's copies; it starts with a clean slate. */
	t = note_process(s, child, s->opts->system_wide ? ROLE_SEEN : ROLE_CHILD);
	if (!t)
		return;
	p_debug("pid %d forked pid %d", parent, child);
	update_unwind(s, t);
	symbolizer__refresh(s->symbolizer, child);
}

/* The process is stopped (unless system-wide) until we resume it. */
static void on_exec(struct session *s, int pid)
{
	struct target *t = targets__find(&s->targets, pid);

	if (!t && s->opts->system_wide)
		t = note_process(s, pid, ROLE_SEEN);
	if (!t) {
		resume(pid);
		return;
	}
	/* The old image's memory is gone with it. */
	forget_process(s, pid);
	free(t->unwind_sent);
	t->unwind_sent = NULL;
	read_comm(pid, t->comm);
	p_info("pid %d exec'd %s", pid, t->comm);
	attach_new_files(s, t, true);
	if (!s->opts->system_wide)
		resume(pid);
}

/* The loader mapped the new image's libraries; stopped like on_exec. */
static void on_libraries_ready(struct session *s, int pid)
{
	struct target *t = targets__find(&s->targets, pid);

	if (t)
		attach_new_files(s, t, false);
	if (!s->opts->system_wide)
		resume(pid);
}

static void on_event(void *ctx, const struct ml_event *e)
{
	struct session *s = ctx;
	struct target *t;

	switch (e->type) {
	case ML_EV_ALLOC:
		if (allocs__record_alloc(s->allocs, e->pid, e->addr,
					 sample__estimate(e->size, s->opts->sample_bytes),
					 e->stack_id, e->ts_ns) == -ENOMEM)
			s->table_failures++;
		break;
	case ML_EV_FREE:
		allocs__record_free(s->allocs, e->pid, e->addr);
		break;
	case ML_EV_MMAP:
		if (allocs__record_alloc(s->allocs, e->pid | ALLOCS_MMAP_BIT, e->addr,
					 sample__estimate(e->size, s->opts->sample_bytes),
					 e->stack_id, e->ts_ns) == -ENOMEM)
			s->table_failures++;
		break;
	case ML_EV_MUNMAP:
		/* free() unmapping its own chunks lands here too: only traced regions count. */
		allocs__release_if_live(s->allocs, e->pid | ALLOCS_MMAP_BIT, e->addr);
		break;
	case ML_EV_EXIT:
		t = targets__find(&s->targets, (int)e->pid);
		if (t)
			mark_exited(s, t);
		else if (s->opts->system_wide)
			forget_process(s, (int)e->pid);
		break;
	case ML_EV_FORK:
		on_fork(s, (int)e->pid, (int)e->addr);
		break;
	case ML_EV_EXEC:
		on_exec(s, (int)e->pid);
		break;
	case ML_EV_READY:
		on_libraries_ready(s, (int)e->pid);
		break;
	default:
		break;
	}
}

static int open_tracer(struct session *s)
{
	struct tracer_opts topts = {
	    .min_size = s->opts->min_size,
	    .max_size = s->opts->max_size,
	    .stack_slots = s->opts->stack_slots,
	    .ringbuf_bytes =
		s->opts->ringbuf_bytes
		    ? s->opts->ringbuf_bytes
		    : sizing__ringbuf_bytes((unsigned int)sysconf(_SC_NPROCESSORS_ONLN),
					    DRAIN_PERIOD_MS, FASTEST_TRAP_NS, RECORD_BYTES),
	    .unwind_dwarf = s->unwinder != NULL,
	    .sample_bytes = s->opts->sample_bytes,
	    .unwind_rows = s->opts->unwind_rows,
	    .filter_targets = s->shared_probes,
	    .system_wide = s->opts->system_wide,
	    .follow_forks = s->opts->follow,
	    .stop_on_exec = !s->opts->system_wide,
	    .trace_mmap = s->opts->trace_mmap,
	    .on_event = on_event,
	    .ctx = s,
	};
	int err;

	if (s->unwinder && !topts.unwind_rows) {
		topts.unwind_rows = unwinder__nr_rows(s->unwinder) + UNWIND_ROWS_SPARE;
		if (topts.unwind_rows > UNWIND_ROWS_MAX)
			topts.unwind_rows = UNWIND_ROWS_MAX;
	}
	if (s->unwinder) {
		unwinder__set_capacity(s->unwinder, topts.unwind_rows);
		p_info("unwind tables: %zu rows for the targets, room for %zu",
		       unwinder__nr_rows(s->unwinder), topts.unwind_rows);
	}
	p_info("ring buffer: %zu MiB", topts.ringbuf_bytes >> 20);
	err = tracer__open(&topts, &s->tracer);
	if (!err)
		return EXIT_OK;
	if (err == -EPERM || err == -EACCES) {
		p_err("the kernel refused to load BPF programs: %s; run as root (CAP_BPF and "
		      "CAP_PERFMON), and check kernel.unprivileged_bpf_disabled and lockdown",
		      strerror(-err));
		return EXIT_PERMISSION;
	}
	p_err("cannot load the BPF programs: %s; memleakd needs Linux >= 5.17 with BTF, ring "
	      "buffers and BTF tracepoints (run with -vvv for the verifier log)",
	      strerror(-err));
	return EXIT_KERNEL;
}

static void describe_target(const struct target *t, const struct providers *provs)
{
	size_t i;

	fprintf(stderr, "memleakd: tracing pid %d (%s) through", t->pid, t->comm);
	for (i = 0; i < provs->nr; i++)
		fprintf(stderr, "%s %s", i ? "," : "", provs->list[i].path);
	fputc('\n', stderr);
}

/* Every -p PID exists and has an allocator, before anything is loaded. */
static int prepare_pids(struct session *s)
{
	int i, code;

	s->initial_provs = calloc((size_t)s->opts->nr_pids + 1, sizeof(*s->initial_provs));
	if (!s->initial_provs)
		return EXIT_FAILURE_RUN;
	for (i = 0; i < s->opts->nr_pids; i++) {
		struct target *t = targets__add(&s->targets, s->opts->pids[i], ROLE_PID);

		if (!t)
			return EXIT_FAILURE_RUN;
		code = prepare_target(t, t->pid, &s->initial_provs[i]);
		if (code != EXIT_OK)
			return code;
	}
	return EXIT_OK;
}

/* System-wide: every process now running that maps a malloc provider. */
static int prepare_all_processes(struct session *s)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	char *end;
	long pid;

	if (!proc) {
		p_err("cannot list /proc: %s; mount procfs", strerror(errno));
		return EXIT_PERMISSION;
	}
	while ((d = readdir(proc))) {
		pid = strtol(d->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX || pid == getpid())
			continue;
		/* Kernel threads map nothing; an empty maps file is how they show. */
		if (!process_alive((int)pid) || !process_maps_files((int)pid))
			continue;
		if (!note_process(s, (int)pid, ROLE_SEEN)) {
			closedir(proc);
			return EXIT_FAILURE_RUN;
		}
	}
	closedir(proc);
	p_info("system-wide: %zu processes with file mappings", s->targets.nr);
	return EXIT_OK;
}

static int attach_pids(struct session *s)
{
	char why[512];
	size_t i, j;
	int err;

	for (i = 0; i < s->targets.nr; i++) {
		struct target *t = s->targets.list[i];
		struct providers *provs = s->initial_provs[i];

		/* Tables first: the first allocation already walks them. */
		update_unwind(s, t);
		err = tracer__add_target(s->tracer, t->pid);
		for (j = 0; !err && j < provs->nr; j++)
			err = tracer__attach_provider(s->tracer, attach_pid_for(s, t->pid),
						      &provs->list[j], why, sizeof(why));
		if (err < 0) {
			p_err("pid %d (%s): %s", t->pid, t->comm, why);
			return err == -ENOENT || err == -ESRCH ? EXIT_TARGET : EXIT_FAILURE_RUN;
		}
		symbolizer__refresh(s->symbolizer, t->pid);
		describe_target(t, provs);
	}
	return EXIT_OK;
}

static int attach_everything(struct session *s)
{
	size_t i;

	for (i = 0; i < s->targets.nr; i++)
		attach_new_files(s, s->targets.list[i], true);
	fprintf(stderr, "memleakd: tracing every process (system-wide): %zu now\n", s->targets.nr);
	return EXIT_OK;
}

/* Command mode: the child exists, held before exec; its exec stops it for us. */
static int start_command(struct session *s)
{
	struct target *t;
	char why[512];
	int err;

	err = command__spawn(s->opts->command, &s->ignored_at_start, &s->command);
	if (err) {
		p_err("cannot start the command: %s", strerror(-err));
		return EXIT_FAILURE_RUN;
	}
	t = targets__add(&s->targets, command__pid(s->command), ROLE_COMMAND);
	if (!t || tracer__add_target(s->tracer, t->pid)) {
		p_err("cannot register the command's pid: %s", strerror(errno));
		return EXIT_FAILURE_RUN;
	}
	snprintf(t->comm, sizeof(t->comm), "%.16s", s->opts->command[0]);
	err = command__release(s->command, why, sizeof(why));
	if (err) {
		p_err("%s", why);
		s->command_done = command__reap(s->command, &s->command_status) == 1;
		return EXIT_TARGET;
	}
	return EXIT_OK;
}

static int attach_targets(struct session *s)
{
	int code;

	if (s->opts->system_wide)
		code = attach_everything(s);
	else if (s->opts->command)
		code = start_command(s);
	else
		code = attach_pids(s);
	if (code == EXIT_OK)
		p_info("%zu probes attached", tracer__nr_links(s->tracer));
	return code;
}

/* --- the loop -------------------------------------------------------------- */

static int watch_fd(struct session *s, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_waits(struct session *s)
{
	struct itimerspec every = {0};
	size_t i;
	int err;

	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->epoll_fd < 0 || s->timer_fd < 0)
		return -errno;
	every.it_interval.tv_sec = (time_t)s->opts->interval_s;
	every.it_interval.tv_nsec =
	    (long)((s->opts->interval_s - (double)every.it_interval.tv_sec) * 1e9);
	every.it_value = every.it_interval;
	if (timerfd_settime(s->timer_fd, 0, &every, NULL))
		return -errno;
	err = watch_fd(s, s->timer_fd);
	if (!err)
		err = watch_fd(s, tracer__epoll_fd(s->tracer));
	for (i = 0; !err && i < s->targets.nr; i++)
		if (s->targets.list[i]->pidfd >= 0)
			err = watch_fd(s, s->targets.list[i]->pidfd);
	return err;
}

/* A pidfd turned readable: the process is gone. Its EXIT record is already queued. */
static void on_pidfd(struct session *s, int fd)
{
	size_t i;

	tracer__drain(s->tracer);
	for (i = 0; i < s->targets.nr; i++) {
		if (s->targets.list[i]->pidfd != fd)
			continue;
		epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		mark_exited(s, s->targets.list[i]); /* no-op when the EXIT record did it */
		return;
	}
}

static void poll_liveness(struct session *s)
{
	size_t i;

	for (i = 0; i < s->targets.nr; i++) {
		struct target *t = s->targets.list[i];

		if (t->pidfd != NO_PIDFD || t->exited || process_alive(t->pid))
			continue;
		tracer__drain(s->tracer);
		mark_exited(s, t);
	}
}

/* Command mode: the command's exit ends the run once its last records are in. */
static void poll_command(struct session *s)
{
	struct target *t;

	if (s->command && !s->command_done && forward_signal) {
		kill(command__pid(s->command), forward_signal);
		forward_signal = 0;
	}
	if (!s->command || s->command_done || !command__reap(s->command, &s->command_status))
		return;
	tracer__drain(s->tracer);
	t = targets__find(&s->targets, command__pid(s->command));
	if (t)
		mark_exited(s, t);
	s->command_done = true;
}

static int wait_timeout_ms(const struct session *s)
{
	double left;

	if (s->opts->duration_s <= 0)
		return DRAIN_PERIOD_MS;
	left = s->opts->duration_s - seconds_since(&s->started);
	if (left <= 0)
		return 0;
	return left * 1000 < DRAIN_PERIOD_MS ? (int)(left * 1000) + 1 : DRAIN_PERIOD_MS;
}

static void run_loop(struct session *s)
{
	struct epoll_event events[16];
	uint64_t expirations;
	int n, i;

	while (!stop_requested && !run_finished(s)) {
		if (s->opts->duration_s > 0 && seconds_since(&s->started) >= s->opts->duration_s)
			break;
		n = epoll_wait(s->epoll_fd, events, 16, wait_timeout_ms(s));
		if (n < 0 && errno != EINTR) {
			p_err("waiting for events failed: %s", strerror(errno));
			break;
		}
		tracer__drain(s->tracer);
		for (i = 0; i < n; i++) {
			if (events[i].data.fd == s->timer_fd) {
				if (read(s->timer_fd, &expirations, sizeof(expirations)) > 0)
					emit_snapshot(s, false);
			} else if (events[i].data.fd != tracer__epoll_fd(s->tracer)) {
				on_pidfd(s, events[i].data.fd);
			}
		}
		poll_liveness(s);
		poll_command(s);
		refresh_unwind(s);
		if (s->output_error)
			break;
	}
}

static void cleanup(struct session *s)
{
	size_t i;

	/* Detach first: nothing of ours stays in the target once we stop reading. */
	tracer__destroy(s->tracer);
	for (i = 0; i < s->targets.nr; i++) {
		if (s->targets.list[i]->pidfd >= 0)
			close(s->targets.list[i]->pidfd);
		/* One stopped at exec while we were leaving must not stay stopped. */
		if (!s->opts->system_wide && !s->targets.list[i]->exited && s->tracer)
			kill(s->targets.list[i]->pid, SIGCONT);
		if (s->initial_provs && i < (size_t)s->opts->nr_pids)
			providers__free(s->initial_provs[i]);
	}
	free(s->initial_provs);
	targets__free(&s->targets);
	file_set__free(s->skip_files);
	file_set__free(s->not_loaders);
	command__free(s->command);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	symbolizer__destroy(s->symbolizer);
	unwinder__destroy(s->unwinder);
	history__destroy(s->history);
	if (s->json && s->json != stdout)
		fclose(s->json);
	free(s->unwind_proc);
	allocs__destroy(s->allocs);
}

/*
 * With probes on whole files, memleakd's own malloc traps too once they are
 * attached. Building unwind tables mallocs per row: do it now, before the
 * probes, for the libc and loader memleakd shares with most targets.
 */
static void prebuild_own_libc_tables(struct session *s)
{
	struct procmaps *own, shared = {0};
	const char *base;
	size_t i;

	if (procmaps__read(getpid(), &own))
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
		unwinder__add_process(s->unwinder, getpid(), &shared, s->unwind_proc);
	free(shared.maps);
	procmaps__free(own);
}

/* Tables for the targets' modules, built before load to size the row array. */
static int prepare_unwind(struct session *s)
{
	size_t i;

	if (s->opts->unwind == UNWIND_FP)
		return EXIT_OK;
	s->unwinder = unwinder__new();
	s->unwind_proc = malloc(sizeof(*s->unwind_proc));
	if (!s->unwinder || !s->unwind_proc) {
		p_err("out of memory");
		return EXIT_FAILURE_RUN;
	}
	if (s->shared_probes)
		prebuild_own_libc_tables(s);
	for (i = 0; i < s->targets.nr; i++)
		update_unwind(s, s->targets.list[i]);
	return EXIT_OK;
}

static int prepare(struct session *s)
{
	if (s->opts->system_wide)
		return prepare_all_processes(s);
	if (s->opts->command)
		return EXIT_OK; /* started once the probes can follow its exec */
	return prepare_pids(s);
}

static int start(struct session *s)
{
	struct trend_params tparams;
	int code, err;

	code = check_environment(s->opts);
	if (code != EXIT_OK)
		return code;
	command__ignored_signals(&s->ignored_at_start);
	if (install_signals(s->opts->command != NULL)) {
		p_err("cannot install signal handlers: %s", strerror(errno));
		return EXIT_FAILURE_RUN;
	}
	s->shared_probes = s->opts->follow || s->opts->system_wide;
	s->keep_exited = s->opts->command != NULL;
	code = prepare(s);
	if (code != EXIT_OK)
		return code;
	s->allocs = allocs__new();
	s->symbolizer = symbolizer__new();
	s->skip_files = file_set__new();
	s->not_loaders = file_set__new();
	if (!s->allocs || !s->symbolizer || !s->skip_files || !s->not_loaders) {
		p_err("out of memory");
		return EXIT_FAILURE_RUN;
	}
	symbolizer__set_demangle(s->symbolizer, s->opts->demangle);
	tparams = trend_defaults;
	tparams.interval_s = s->opts->interval_s;
	tparams.min_rate = s->opts->min_growth;
	s->history = history__new(s->opts->window, &tparams);
	if (!s->history) {
		p_err("cannot set up growth detection: %s", strerror(errno));
		return EXIT_FAILURE_RUN;
	}
	if (s->opts->json_path && !(s->json = open_json(s->opts->json_path))) {
		p_err("cannot open --json file '%s': %s; choose a writable path (not a symlink)",
		      s->opts->json_path, strerror(errno));
		return EXIT_OUTPUT;
	}
	code = prepare_unwind(s);
	if (code != EXIT_OK)
		return code;
	code = open_tracer(s);
	if (code != EXIT_OK)
		return code;
	err = setup_waits(s);
	if (err) {
		p_err("cannot set up the event loop: %s", strerror(-err));
		return EXIT_FAILURE_RUN;
	}
	return attach_targets(s);
}

/* Command mode's verdict: the command's own failure first, then the leak gate. */
static int command_exit_code(const struct session *s)
{
	char how[96];

	if (!s->command_done) {
		fprintf(stderr, "memleakd: stopped before the command ended; no leak verdict\n");
		return EXIT_COMMAND_FAILED;
	}
	command__describe(s->command_status, how, sizeof(how));
	if (!WIFEXITED(s->command_status) || WEXITSTATUS(s->command_status) != 0) {
		fprintf(stderr, "memleakd: the command %s\n", how);
		return EXIT_COMMAND_FAILED;
	}
	if (s->opts->fail_on_leaks && s->leaked_bytes >= s->opts->fail_bytes) {
		fprintf(stderr,
			"memleakd: LEAKS: %" PRIu64
			" bytes not freed at exit (--fail-on-leaks=%" PRIu64 ")\n",
			s->leaked_bytes, s->opts->fail_bytes);
		return EXIT_LEAKS;
	}
	fprintf(stderr, "memleakd: the command %s; %" PRIu64 " bytes not freed at exit\n", how,
		s->leaked_bytes);
	return EXIT_OK;
}

int session__run(const struct opts *opts)
{
	struct session s = {.opts = opts, .epoll_fd = -1, .timer_fd = -1};
	int code;

	clock_gettime(CLOCK_MONOTONIC, &s.started);
	code = start(&s);
	if (code == EXIT_OK) {
		clock_gettime(CLOCK_MONOTONIC, &s.started);
		if (!opts->command)
			fprintf(stderr, "memleakd: ready: report every %.1f s%s; Ctrl-C to stop\n",
				opts->interval_s, opts->duration_s > 0 ? " for the duration" : "");
		run_loop(&s);
		tracer__drain(s.tracer);
		poll_command(&s);
		emit_snapshot(&s, true);
		if (s.output_error)
			code = EXIT_OUTPUT;
		else if (opts->command)
			code = command_exit_code(&s);
	}
	cleanup(&s);
	return code;
}
