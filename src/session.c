// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "allocs.h"
#include "assemble.h"
#include "attach.h"
#include "emulated.h"
#include "exittally.h"
#include "golang.h"
#include "command.h"
#include "history.h"
#include "lifecycle.h"
#include "log.h"
#include "memview.h"
#include "outputs.h"
#include "preflight.h"
#include "sample.h"
#include "scan.h"
#include "session.h"
#include "signals.h"
#include "sizing.h"
#include "snapshot.h"
#include "symbolize.h"
#include "tracer.h"
#include "watchdog.h"
#include "unwinder.h"

#define DRAIN_PERIOD_MS	  20 /* records wait at most this long in the ring buffer */
/*
 * The fastest a uprobe fires: an emulated instruction's trap, on bare metal
 * (~0.7 us a hit, DESIGN.md). The ring buffer holds what every CPU makes at
 * that rate between two drains.
 */
#define FASTEST_TRAP_NS	  700
#define RECORD_BYTES	  (sizeof(struct ml_event) + 8) /* with the ring buffer's header */
#define UNWIND_ROWS_SPARE (1u << 20)			/* rows left for libraries loaded later */
#define UNWIND_REFRESH_S  0.5  /* a dlopen'ed library gets its table this fast */
#define TREE_GRACE_MS	  1500 /* command mode, at exit: SIGTERM, then SIGKILL after this */

struct session {
	const struct opts *opts;
	struct outcome *outcome;
	struct allocs *allocs;
	struct symbolizer *symbolizer;
	struct tracer *tracer;
	struct unwinder *unwinder; /* NULL with --unwind fp */
	struct history *history;   /* outstanding bytes per stack per interval */
	struct memview *memview;   /* anonymous memory against tracked, per process */
	struct elf_files *files;   /* every ELF file the targets map, opened once */
	struct lifecycle *lifecycle;
	struct golang *golang;	   /* Go processes: goroutines and the runtime's heap */
	struct scanner *scanner;   /* reachability scans: at exit, --scan */
	struct suppfile *suppfile; /* --suppressions files, merged; NULL when none */
	struct outputs *outputs;
	struct providers **initial_provs; /* per -p target, until attached */
	struct command *command;	  /* command mode, or NULL */
	struct watchdog *watchdog;	  /* continues held processes if we die; NULL system-wide */
	struct command_user user;	  /* --user: who the command runs as */
	struct emulated_watch *emulated;  /* -f, system-wide: processes file-wide probes kill */
	struct exittally *exittally;	  /* what exited processes left: the "left at exit" tally */
	sigset_t ignored_at_start;	  /* given back to the command */
	int epoll_fd;
	int timer_fd;
	struct timespec started;
	double unwind_refreshed_s; /* seconds_since(started) of the last unwind refresh */
	unsigned int seq;
	struct user_losses losses; /* table failures, stack ids past the cap */
};

/* Records why the run stops early; returns err for the caller to pass up. */
static int fail(struct session *s, enum fault why, int err)
{
	s->outcome->fault = why;
	s->outcome->err = err;
	return err;
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* The run is over when these have exited: the command, or every -p target. */
static bool run_finished(const struct session *s)
{
	if (s->opts->system_wide)
		return false;
	if (s->command)
		return s->outcome->command_done;
	return !lifecycle__pids_alive(s->lifecycle);
}

/* --- one interval's output ------------------------------------------------ */

/* golang_drain_fn: the records waiting now, handed over before and after a census. */
static void drain_records(void *ctx)
{
	struct session *s = ctx;

	tracer__drain(s->tracer);
}

static int emit_snapshot(struct session *s, bool final)
{
	const struct run_tables run = {s->opts,	      s->allocs,   s->history,
				       s->symbolizer, s->tracer,   s->lifecycle,
				       s->golang,     s->suppfile, exittally__log(s->exittally),
				       s->memview};
	struct snapshot_meta meta = {
	    .elapsed_s = seconds_since(&s->started),
	    .wall_time_s = (uint64_t)time(NULL),
	    .seq = ++s->seq,
	    .final = final,
	    .unwind_mode = s->unwinder ? "dwarf" : "fp",
	    .sample_bytes = s->opts->sample_bytes,
	    .attach_failures = lifecycle__attach_failures(s->lifecycle),
	    .interval_s = s->opts->interval_s,
	    .window = s->opts->window,
	    .losses = s->losses,
	};
	struct snapshot *snap;
	int err;

	/* Go processes: the heap profile and, every few intervals, a census. */
	golang__interval(s->golang, drain_records, s);
	golang__losses(s->golang, &meta.losses);
	if (!final)
		assemble__record_history(&run);
	if (s->opts->system_wide)
		lifecycle__note_unknown(s->lifecycle);
	/* New libraries (dlopen) appear in maps; an exited process keeps its last maps. */
	lifecycle__refresh(s->lifecycle, MAPS_SYMBOLS);
	err = assemble__snapshot(&run, &meta, &snap);
	if (err) {
		snapshot__free(snap);
		p_err("cannot build the report: %s", strerror(-err));
		return err;
	}
	if (s->losses.table_failures)
		p_warn("%llu allocations could not be recorded (out of memory)",
		       (unsigned long long)s->losses.table_failures);
	if (outputs__write(s->outputs, snap) == -EPIPE)
		signals__request_stop(); /* stdout is gone (closed pipe): nobody is reading */
	s->outcome->leaked_bytes = snapshot__leaked_bytes(snap);
	snapshot__leak_tally(snap, &s->outcome->leaks);
	snapshot__free(snap);
	if (!final)
		assemble__prune_stacks(&run);
	return 0;
}

/* Mappings change (dlopen): every UNWIND_REFRESH_S, new modules get their tables. */
static void refresh_unwind(struct session *s)
{
	double now = seconds_since(&s->started);
	/* System-wide there is no loader hook: allocators a process maps are found here. */
	unsigned int what =
	    (s->unwinder ? MAPS_UNWIND : 0) | (s->opts->system_wide ? MAPS_PROBES : 0);

	if (!what || now - s->unwind_refreshed_s < UNWIND_REFRESH_S)
		return;
	s->unwind_refreshed_s = now;
	lifecycle__refresh(s->lifecycle, what);
}

/* --- events ----------------------------------------------------------------- */

static void on_event(void *ctx, const struct ml_event *e)
{
	struct session *s = ctx;
	uint64_t size;

	switch (e->type) {
	case ML_EV_ALLOC:
	case ML_EV_MMAP:
		size = sample__estimate(e->size, s->opts->sample_bytes);
		if (allocs__record_alloc(s->allocs, e->pid,
					 e->type == ML_EV_MMAP ? KIND_MMAP : KIND_MALLOC, e->addr,
					 size, e->stack_id, e->ts_ns) == -ENOMEM)
			s->losses.table_failures++;
		s->losses.stack_ids_full += e->stack_id == -ENOSPC;
		break;
	case ML_EV_FREE:
		allocs__record_free(s->allocs, e->pid, KIND_MALLOC, e->addr);
		break;
	case ML_EV_MUNMAP:
		/* free() unmapping its own chunks lands here too: only traced regions count. */
		allocs__release_if_live(s->allocs, e->pid, KIND_MMAP, e->addr);
		break;
	case ML_EV_GO_CREATE:
		s->losses.stack_ids_full += e->stack_id == -ENOSPC;
		golang__on_event(s->golang, e);
		break;
	case ML_EV_GO_EXIT:
		golang__on_event(s->golang, e);
		break;
	default:
		lifecycle__on_event(s->lifecycle, e);
		break;
	}
}

/* --- start-up -------------------------------------------------------------- */

static size_t unwind_rows_for(const struct session *s)
{
	size_t rows = s->opts->unwind_rows;

	if (!rows) {
		rows = unwinder__nr_rows(s->unwinder) + UNWIND_ROWS_SPARE;
		if (rows > ML_MAX_UNWIND_ROWS)
			rows = ML_MAX_UNWIND_ROWS;
	}
	return rows;
}

/* Whether allocation records were lost so far: then a scan cannot know every block. */
static bool records_lost(void *ctx)
{
	struct session *s = ctx;
	uint64_t counters[ML_CNT_MAX];

	if (!s->tracer || tracer__counters(s->tracer, counters))
		return true;
	return counters[ML_CNT_RB_DROPS] || counters[ML_CNT_STASH_MISS] ||
	       counters[ML_CNT_STASH_FULL] || counters[ML_CNT_SAMPLE_FULL] ||
	       s->losses.table_failures;
}

/* Exit scans: the command and the children -f follows stop in _exit for one. */
static bool holds_exits(const struct opts *o)
{
	return (o->command || o->follow) && !o->system_wide && !o->no_exit_scan;
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
	    .filter_targets = s->opts->follow || s->opts->system_wide,
	    .system_wide = s->opts->system_wide,
	    .follow_forks = s->opts->follow,
	    .stop_on_exec = !s->opts->system_wide,
	    .hold_exits = holds_exits(s->opts),
	    .trace_mmap = s->opts->trace_mmap,
	    .on_event = on_event,
	    .ctx = s,
	};
	int err;

	if (s->unwinder) {
		topts.unwind_rows = unwind_rows_for(s);
		unwinder__set_capacity(s->unwinder, topts.unwind_rows);
		p_info("unwind tables: %zu rows for the targets, room for %zu",
		       unwinder__nr_rows(s->unwinder), topts.unwind_rows);
	}
	p_info("ring buffer: %zu MiB", topts.ringbuf_bytes >> 20);
	err = tracer__open(&topts, &s->tracer);
	if (!err) {
		lifecycle__set_tracer(s->lifecycle, s->tracer);
		exittally__set_tracer(s->exittally, s->tracer);
		return 0;
	}
	if (err == -EPERM || err == -EACCES) {
		p_err("the kernel refused to load BPF programs: %s; run as root (CAP_BPF and "
		      "CAP_PERFMON), and check kernel.unprivileged_bpf_disabled and lockdown",
		      strerror(-err));
		return fail(s, FAULT_PERMISSION, err);
	}
	p_err("cannot load the BPF programs: %s; memleakd needs Linux >= 5.17 with BTF, ring "
	      "buffers and BTF tracepoints (run with -vvv for the verifier log)",
	      strerror(-err));
	return fail(s, FAULT_KERNEL, err);
}

/*
 * Before anything can be held, and before command mode makes us a child
 * subreaper: a process left stopped by a SIGKILLed memleakd is continued.
 */
static void start_watchdog(struct session *s)
{
	int err;

	if (s->opts->system_wide)
		return; /* nothing is held system-wide */
	err = watchdog__start(tracer__held_fd(s->tracer), tracer__release_held_fd, &s->watchdog);
	if (err)
		p_warn("cannot start the watchdog process: %s; if memleakd is killed, a process it "
		       "holds at exec stays stopped (kill -CONT PID)",
		       strerror(-err));
}

/* Command mode: the child exists, held before exec; its exec stops it for us. */
static int start_command(struct session *s)
{
	struct target *t;
	char why[512];
	int err;

	err = command__spawn(s->opts->command, &s->ignored_at_start,
			     s->opts->user ? &s->user : NULL, &s->command);
	if (err) {
		p_err("cannot start the command: %s", strerror(-err));
		return fail(s, FAULT_RUN, err);
	}
	t = lifecycle__note_process(s->lifecycle, command__pid(s->command), ROLE_COMMAND);
	err = t ? tracer__add_target(s->tracer, t->pid) : -ENOMEM;
	if (err) {
		p_err("cannot register the command's pid: %s", strerror(-err));
		return fail(s, FAULT_RUN, err);
	}
	snprintf(t->comm, sizeof(t->comm), "%.16s", s->opts->command[0]);
	t->traced_from_exec = true; /* held before exec until the probes are on */
	err = command__release(s->command, why, sizeof(why));
	if (err) {
		p_err("%s", why);
		s->outcome->command_done =
		    command__reap(s->command, &s->outcome->command_status) == 1;
		return fail(s, FAULT_TARGET, err);
	}
	return 0;
}

static int attach_targets(struct session *s)
{
	enum fault why = FAULT_RUN;
	int err = 0;

	if (s->opts->system_wide)
		attach__everything(s->lifecycle);
	else if (s->opts->command)
		return start_command(s);
	else
		err = attach__pids(s->lifecycle, s->tracer, s->initial_provs, &why);
	if (err)
		return fail(s, why, err);
	p_info("%zu probes attached", tracer__nr_links(s->tracer));
	return 0;
}

/* The targets known before load: -p PIDs, or every process; the command comes later. */
static int prepare_targets(struct session *s)
{
	enum fault why = FAULT_RUN;
	int err = 0;

	if (s->opts->system_wide)
		err = attach__prepare_all(s->lifecycle, &why);
	else if (!s->opts->command)
		err = attach__prepare_pids(s->lifecycle, s->opts->pids, s->opts->nr_pids,
					   &s->initial_provs, &why);
	return err ? fail(s, why, err) : 0;
}

static int new_tables(struct session *s)
{
	struct trend_params tparams = trend_defaults;
	struct lifecycle_opts lopts = {
	    .shared_probes = s->opts->follow || s->opts->system_wide,
	    .keep_exited = s->opts->command != NULL,
	    .hold_exits = holds_exits(s->opts),
	    .system_wide = s->opts->system_wide,
	};
	struct scanner_opts scan_opts = {
	    .max_bytes = s->opts->scan_max_bytes,
	    .every_s = s->opts->scan_s,
	    .partial_tracking =
		s->opts->sample_bytes || s->opts->min_size || s->opts->max_size != UINT64_MAX,
	    .records_lost = records_lost,
	    .records_ctx = s,
	};
	struct golang_opts gopts = {
	    .census_every = s->opts->go_census_every,
	    .no_probes = s->opts->go_no_probes,
	    .heap_sampling = s->opts->go_heap_sampling,
	};
	struct lifecycle_tables tables;

	tparams.interval_s = s->opts->interval_s;
	tparams.min_rate = s->opts->min_growth;
	s->files = elf_files__new();
	s->allocs = allocs__new();
	s->symbolizer = symbolizer__new();
	s->history = history__new(s->opts->window, &tparams);
	if (s->history)
		history__set_min_rate(s->history, KIND_GOROUTINE, s->opts->go_min_growth);
	s->memview = memview__new(s->opts->window, &tparams);
	if (!s->memview)
		p_warn("cannot keep the untracked memory's trend: %s", strerror(errno));
	if (s->opts->unwind != UNWIND_FP)
		s->unwinder = unwinder__new();
	s->golang = s->allocs ? golang__new(&gopts, s->allocs) : NULL;
	tables = (struct lifecycle_tables){s->files,	  s->allocs,   s->history,
					   s->symbolizer, s->unwinder, s->golang};
	if (s->files && s->allocs && s->symbolizer && s->history && s->golang &&
	    (s->unwinder || s->opts->unwind == UNWIND_FP))
		s->lifecycle = lifecycle__new(&lopts, &tables);
	if (s->lifecycle)
		s->scanner = scanner__new(&scan_opts, s->allocs, s->lifecycle, drain_records, s);
	if (s->scanner)
		s->exittally = exittally__new(&(struct run_tables){.opts = s->opts,
								   .allocs = s->allocs,
								   .symbolizer = s->symbolizer,
								   .lifecycle = s->lifecycle,
								   .suppfile = s->suppfile});
	if (!s->lifecycle || !s->scanner || !s->exittally) {
		p_err("out of memory");
		return fail(s, FAULT_RUN, -ENOMEM);
	}
	lifecycle__set_exiting_handler(s->lifecycle, scanner__on_exiting, s->scanner);
	lifecycle__set_exited_handler(s->lifecycle, exittally__on_exited, s->exittally);
	symbolizer__use_files(s->symbolizer, s->files);
	if (s->unwinder)
		unwinder__use_files(s->unwinder, s->files);
	symbolizer__set_demangle(s->symbolizer, s->opts->demangle);
	return 0;
}

static int setup_waits(struct session *s)
{
	struct itimerspec every = {0};
	struct epoll_event ev = {.events = EPOLLIN};
	int fds[3], err = 0;
	size_t i;

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
	fds[0] = s->timer_fd;
	fds[1] = tracer__epoll_fd(s->tracer);
	/* The targets' pidfds, in a set of their own. */
	fds[2] = lifecycle__watch_fd(s->lifecycle);
	lifecycle__watch_targets(s->lifecycle);
	for (i = 0; !err && i < 3; i++) {
		ev.data.fd = fds[i];
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			err = -errno;
	}
	return err;
}

/* --user: looked up before anything loads; an unknown user ends the run there. */
static int find_user(struct session *s)
{
	int err;

	if (!s->opts->user)
		return 0;
	err = command__find_user(s->opts->user, &s->user);
	if (err == -ENOENT)
		p_err("no user '%s' (--user): give a user name or uid that 'getent passwd' lists",
		      s->opts->user);
	else if (err)
		p_err("cannot look up user '%s' (--user): %s", s->opts->user, strerror(-err));
	return err ? fail(s, FAULT_TARGET, err) : 0;
}

/* Probes on whole files trap in every process mapping them: say which ones that kills. */
static void watch_emulated(struct session *s)
{
	if ((!s->opts->follow && !s->opts->system_wide) || tracer__per_process(s->tracer))
		return;
	s->emulated = emulated_watch__new("/proc");
	if (s->emulated)
		emulated_watch__scan(s->emulated);
}

/* --suppressions: every file read now, so a bad one stops the run before anything starts. */
static int load_suppressions(struct session *s)
{
	struct suppfile *one;
	char why[512];
	int i, err;

	for (i = 0; i < s->opts->nr_suppression_files; i++) {
		err = suppfile__load(s->opts->suppression_files[i], &one, why, sizeof(why));
		if (err) {
			p_err("%s", why);
			return fail(s, FAULT_USAGE, err);
		}
		if (!s->suppfile) {
			s->suppfile = one;
			continue;
		}
		err = suppfile__merge(s->suppfile, one);
		suppfile__free(one);
		if (err) {
			p_err("%s: cannot use its suppressions: %s", s->opts->suppression_files[i],
			      strerror(-err));
			return fail(s, FAULT_USAGE, err);
		}
	}
	return 0;
}

static int start(struct session *s)
{
	enum fault why;
	int err;

	err = find_user(s);
	if (!err)
		err = load_suppressions(s);
	if (err)
		return err;
	err = preflight__check(&why);
	if (err)
		return fail(s, why, err);
	err = outputs__check(s->opts);
	if (err)
		return fail(s, FAULT_OUTPUT, err);
	command__ignored_signals(&s->ignored_at_start);
	err = signals__install(s->opts->command != NULL);
	if (err) {
		p_err("cannot install signal handlers: %s", strerror(-err));
		return fail(s, FAULT_RUN, err);
	}
	err = new_tables(s);
	if (!err)
		err = prepare_targets(s);
	if (err)
		return err;
	err = outputs__open(s->opts, &s->outputs);
	if (err)
		return fail(s, FAULT_OUTPUT, err);
	/* Tables for the targets' modules, built before load to size the row array. */
	if (s->opts->follow || s->opts->system_wide)
		lifecycle__prebuild_own_tables(s->lifecycle);
	lifecycle__refresh(s->lifecycle, MAPS_UNWIND);
	err = open_tracer(s);
	if (err)
		return err;
	start_watchdog(s);
	err = setup_waits(s);
	if (err) {
		p_err("cannot set up the event loop: %s", strerror(-err));
		return fail(s, FAULT_RUN, err);
	}
	err = attach_targets(s);
	if (!err)
		watch_emulated(s);
	return err;
}

/* --- the loop -------------------------------------------------------------- */

/* Command mode: the command's exit ends the run once its last records are in. */
static void poll_command(struct session *s)
{
	struct outcome *o = s->outcome;
	struct target *t;
	int signo;

	if (s->command && !o->command_done && (signo = signals__take_forward()))
		kill(command__pid(s->command), signo);
	if (!s->command || o->command_done || !command__reap(s->command, &o->command_status))
		return;
	tracer__drain(s->tracer);
	t = targets__find(lifecycle__targets(s->lifecycle), command__pid(s->command));
	if (t)
		lifecycle__mark_exited(s->lifecycle, t);
	o->command_done = true;
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

	while (!signals__stop_requested() && !run_finished(s)) {
		if (s->opts->duration_s > 0 && seconds_since(&s->started) >= s->opts->duration_s)
			break;
		n = epoll_wait(s->epoll_fd, events, 16, wait_timeout_ms(s));
		if (n < 0 && errno != EINTR) {
			p_err("waiting for events failed: %s", strerror(errno));
			break;
		}
		tracer__drain(s->tracer);
		scanner__run_exits(s->scanner);
		scanner__run_live(s->scanner, monotonic_ns(), false);
		golang__poll(s->golang, drain_records, s);
		for (i = 0; i < n; i++) {
			if (events[i].data.fd == s->timer_fd) {
				if (read(s->timer_fd, &expirations, sizeof(expirations)) > 0)
					emit_snapshot(s, false);
				if (s->emulated)
					emulated_watch__scan(s->emulated);
			} else if (events[i].data.fd == lifecycle__watch_fd(s->lifecycle)) {
				lifecycle__reap(s->lifecycle);
			}
		}
		lifecycle__poll_liveness(s->lifecycle);
		scanner__run_exits(s->scanner);
		lifecycle__sweep_holds(s->lifecycle);
		poll_command(s);
		refresh_unwind(s);
		if (outputs__error(s->outputs))
			break;
	}
}

/*
 * Command mode: nothing the command started may run on untraced once we
 * leave (-d expiry, a signal, or the command exited leaving children).
 */
static void end_command_tree(struct session *s)
{
	size_t nr, nr_killed;

	if (!s->command)
		return;
	nr = command__end_tree(s->command, TREE_GRACE_MS, &nr_killed);
	if (nr)
		fprintf(stderr,
			"memleakd: ended %zu processes of the command still running at exit "
			"(SIGTERM; %zu needed SIGKILL after %.1f s)\n",
			nr, nr_killed, TREE_GRACE_MS / 1000.0);
}

static void cleanup(struct session *s)
{
	/* Nobody waits in _exit for a scan any more. */
	scanner__release(s->scanner);
	end_command_tree(s);
	/* Detach first: nothing of ours stays in the target once we stop reading. */
	tracer__detach(s->tracer);
	/* One BPF stopped at exec while we were leaving must not stay stopped; no other. */
	lifecycle__release_holds(s->lifecycle);
	watchdog__stop(s->watchdog);
	tracer__destroy(s->tracer);
	lifecycle__destroy(s->lifecycle);
	exittally__free(s->exittally);
	golang__free(s->golang);
	emulated_watch__free(s->emulated);
	scanner__free(s->scanner);
	suppfile__free(s->suppfile);
	attach__free_providers(s->initial_provs, s->opts->nr_pids);
	command__free(s->command);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	symbolizer__destroy(s->symbolizer);
	unwinder__destroy(s->unwinder);
	history__destroy(s->history);
	memview__destroy(s->memview);
	outputs__close(s->outputs);
	allocs__destroy(s->allocs);
	elf_files__free(s->files); /* after everything that reads through it */
}

int session__run(const struct opts *opts, struct outcome *outcome)
{
	struct session s = {.opts = opts, .outcome = outcome, .epoll_fd = -1, .timer_fd = -1};
	int err;

	*outcome = (struct outcome){
	    .command_mode = opts->command != NULL,
	    .fail_on_leaks = opts->fail_on_leaks,
	    .gate = (enum fail_gate)opts->fail_gate,
	    .fail_bytes = opts->fail_bytes,
	    .error_exitcode = opts->error_exitcode,
	};
	clock_gettime(CLOCK_MONOTONIC, &s.started);
	err = start(&s);
	if (!err) {
		clock_gettime(CLOCK_MONOTONIC, &s.started);
		if (!opts->command)
			fprintf(stderr, "memleakd: ready: report every %.1f s%s; Ctrl-C to stop\n",
				opts->interval_s, opts->duration_s > 0 ? " for the duration" : "");
		run_loop(&s);
		tracer__drain(s.tracer);
		scanner__run_exits(s.scanner);
		/* --scan: the final report says what is unreachable now, not a while ago. */
		scanner__run_live(s.scanner, monotonic_ns(), true);
		poll_command(&s);
		emit_snapshot(&s, true);
		err = outputs__error(s.outputs);
		if (err)
			fail(&s, FAULT_OUTPUT, err);
		outcome__say_verdict(outcome, stderr);
	}
	cleanup(&s);
	return err;
}
