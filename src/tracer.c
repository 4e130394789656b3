// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "array.h"
#include "link_closer.h"
#include "log.h"
#include "memleak.skel.h"
#include "sample.h"
#include "tracer.h"
#include "tracer_priv.h"
#include "uprobe_multi.h"

/* Sampled live blocks the kernel remembers (their frees are the only ones sent). */
#define SAMPLED_MAX (1u << 20)

/*
 * Distinct stacks remembered here, as a multiple of the kernel map's slots
 * (dwarf_stacks, in both unwind modes). Stacks holding no memory are pruned
 * from the kernel map (their frames stay cached here), so the map serves
 * many more stacks.
 */
#define DWARF_IDS_PER_SLOT 8

/*
 * Threads closing per-process links at once: their grace periods overlap
 * (one close ~50 ms, 50 at once ~70 ms). A tree of 200 fork+execs leaves
 * ~2200 links: 32 threads close them in ~4 s, 128 in ~1 s.
 */
#define CLOSER_THREADS 128

/* The init PID namespace's inode number (PROC_PID_INIT_INO in the kernel). */
#define INIT_PID_NS_INO 0xEFFFFFFCULL

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && log__level() < LOG_LIBBPF)
		return 0;
	if (level == LIBBPF_INFO && log__level() < LOG_DEBUG)
		return 0;
	if (level == LIBBPF_WARN && log__level() < LOG_INFO)
		return 0; /* failures reach the user as one line from the caller */
	p_libbpf(fmt, args);
	return 0;
}

static size_t key_slot(const struct key_index *x, uint64_t key)
{
	size_t slot = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (x->cap - 1);

	while (x->keys[slot] && x->keys[slot] != key)
		slot = (slot + 1) & (x->cap - 1);
	return slot;
}

static int key_index_init(struct key_index *x, unsigned int max_ids)
{
	x->cap = 16;
	while (x->cap < (size_t)max_ids * 2)
		x->cap *= 2;
	x->keys = calloc(x->cap, sizeof(*x->keys));
	x->ids = calloc(x->cap, sizeof(*x->ids));
	x->by_id = calloc(max_ids, sizeof(*x->by_id));
	return x->keys && x->ids && x->by_id ? 0 : -ENOMEM;
}

static void key_index_free(struct key_index *x)
{
	free(x->keys);
	free(x->ids);
	free(x->by_id);
}

/* The dense id of a stack key; -ENOSPC past max_ids (the map holds no more). */
static int32_t intern_key(struct key_index *x, unsigned int max_ids, uint64_t key)
{
	size_t slot = key_slot(x, key);

	if (x->keys[slot])
		return (int32_t)x->ids[slot];
	if (x->nr >= max_ids)
		return -ENOSPC;
	x->keys[slot] = key;
	x->ids[slot] = (uint32_t)x->nr;
	x->by_id[x->nr] = key;
	return (int32_t)x->nr++;
}

/* A drain's budget is spent: libbpf stops there, the record just handled consumed. */
#define DRAIN_BUDGET_SPENT (-EAGAIN)

static int dispatch_record(void *ctx, void *data, size_t size)
{
	struct drain_ctx *d = ctx;
	struct ml_event event;

	if (size < sizeof(struct ml_event))
		return 0;
	if (!d->index || !((struct ml_event *)data)->stack_key) {
		d->on_event(d->ctx, data);
	} else {
		memcpy(&event, data, sizeof(event));
		event.stack_id = intern_key(d->index, d->max_ids, event.stack_key);
		d->on_event(d->ctx, &event);
	}
	return --d->left ? 0 : DRAIN_BUDGET_SPENT;
}

/* Nesting depth of memleakd's PID namespace: the NSpid line lists one PID per level. */
static __u32 pidns_level(void)
{
	char line[256];
	__u32 level = 0;
	FILE *f = fopen("/proc/self/status", "re");
	char *p;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		for (p = strtok(line + 6, " \t\n"); p; p = strtok(NULL, " \t\n"))
			level++;
		break;
	}
	fclose(f);
	return level ? level - 1 : 0;
}

static void set_pidns(struct memleak_bpf *skel)
{
	struct stat st;

	/* Events must carry PIDs as memleakd sees them, not the init namespace's. */
	if (stat("/proc/self/ns/pid", &st) || st.st_ino == INIT_PID_NS_INO)
		return;
	skel->rodata->pidns_dev = st.st_dev;
	skel->rodata->pidns_ino = st.st_ino;
	skel->rodata->pidns_level = pidns_level();
}

/*
 * Test only: MEMLEAKD_TEST_DROP_RECORDS=exit,fork,exec,ready makes the BPF
 * side lose those lifecycle records as if its ring buffers were full, so the
 * tests reach the paths that recover from it.
 */
static __u32 test_drop_records(void)
{
	static const char *const names[] = {[ML_EV_EXIT] = "exit",
					    [ML_EV_FORK] = "fork",
					    [ML_EV_EXEC] = "exec",
					    [ML_EV_READY] = "ready"};
	const char *list = getenv("MEMLEAKD_TEST_DROP_RECORDS");
	__u32 mask = 0, type;

	for (type = ML_EV_EXIT; list && type <= ML_EV_READY; type++)
		if (strstr(list, names[type]))
			mask |= 1u << type;
	if (mask)
		p_warn("MEMLEAKD_TEST_DROP_RECORDS=%s: lifecycle records are dropped (tests only)",
		       list);
	return mask;
}

/* Whether the running kernel has the kfunc name (its BTF says so). */
static bool kernel_has_kfunc(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool found;

	if (!vmlinux)
		return false;
	found = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) >= 0;
	btf__free(vmlinux);
	return found;
}

/*
 * Test only: MEMLEAKD_TEST_PERF_PROBES=1 takes the path of kernels without
 * uprobe_multi links (one perf-event uprobe per probe point), and
 * MEMLEAKD_TEST_NO_SESSION=1 that of kernels without uprobe sessions, so
 * both stay tested on a kernel that has them.
 */
static bool test_env(const char *name, const char *what)
{
	if (!getenv(name))
		return false;
	p_warn("%s: %s (tests only)", name, what);
	return true;
}

/*
 * uprobe_multi links where the kernel has them (6.6): one link per program
 * and file, for one pid (the kernel filters) or for every process (pid 0).
 * Detaching then waits one grace period per link, and the closer's threads
 * close all links at once, so it takes one. Elsewhere one perf-event uprobe
 * per probe point, detached one grace period each. With --sample-bytes on a
 * kernel with uprobe sessions (6.12), entry and return are one session.
 */
static void choose_links(struct tracer *t, const struct tracer_opts *opts)
{
	t->use_multi = !test_env("MEMLEAKD_TEST_PERF_PROBES", "one perf-event uprobe per probe") &&
		       uprobe_multi__supported();
	t->use_session = t->use_multi && opts->sample_bytes &&
			 !test_env("MEMLEAKD_TEST_NO_SESSION", "no uprobe sessions") &&
			 uprobe_multi__session_supported();
	if (!t->use_multi) {
		p_info(
		    "probes: one perf-event uprobe per probe point (this kernel lacks "
		    "uprobe_multi links, Linux >= 6.6): detaching waits a grace period per probe");
		return;
	}
	p_info("probes: uprobe_multi links, one per program and file (detached at once)%s",
	       !opts->sample_bytes ? ""
	       : t->use_session
		   ? "; --sample-bytes: uprobe sessions (an unsampled call takes no return probe)"
		   : "; --sample-bytes: entry and return probes (uprobe sessions need Linux >= "
		     "6.12)");
}

/*
 * Which programs load, and for which links: before load, as a program
 * loaded for uprobe_multi links cannot be attached through perf events. Go
 * probes stay perf-event uprobes (tracer__attach_go: a few per Go process).
 * uprobe_multi links run every entry point through alloc_enter (or
 * alloc_session); the per-function programs serve perf-event probes only.
 */
static int set_program_types(struct tracer *t)
{
	struct bpf_program *prog;
	const char *sec, *name;
	bool load;
	int err;

	bpf_object__for_each_program(prog, t->skel->obj)
	{
		sec = bpf_program__section_name(prog);
		name = bpf_program__name(prog);
		if ((strcmp(sec, "uprobe") && strcmp(sec, "uretprobe")) || !strncmp(name, "go_", 3))
			continue;
		if (!strcmp(name, "alloc_session"))
			load = t->use_session;
		else if (!strcmp(name, "alloc_return"))
			load = !t->use_session;
		else if (!strcmp(name, "alloc_enter"))
			load = t->use_multi && !t->use_session;
		else
			load = !t->use_multi || !tracer__per_point_program(name);
		err = bpf_program__set_autoload(prog, load);
		if (!err && load && t->use_multi)
			err = bpf_program__set_expected_attach_type(
			    prog, !strcmp(name, "alloc_session") ? UPROBE_SESSION_ATTACH_TYPE
								 : UPROBE_MULTI_ATTACH_TYPE);
		if (err)
			return err;
	}
	return 0;
}

/*
 * -f: probes per process when the kernel has uprobe_multi links (6.6) and
 * can stop a forked child before it runs (bpf_send_signal_task, 6.13);
 * otherwise on whole files, as before.
 */
static void choose_per_process(struct tracer *t, const struct tracer_opts *opts)
{
	if (!opts->follow_forks || opts->system_wide)
		return;
	if (test_env("MEMLEAKD_TEST_FILE_WIDE", "-f probes whole files"))
		return;
	if (!t->use_multi || !kernel_has_kfunc("bpf_send_signal_task")) {
		p_info("-f: probes on whole files: this kernel lacks uprobe_multi links or "
		       "bpf_send_signal_task (Linux >= 6.13 has both); every process mapping a "
		       "probed file takes its traps");
		return;
	}
	t->per_process = 1;
	t->skel->rodata->hold_forks = true;
	p_info("-f: probes per traced process (uprobe_multi links); children held at fork "
	       "until probed: other processes never trap");
}

static int choose_probes(struct tracer *t, const struct tracer_opts *opts)
{
	int err;

	choose_links(t, opts);
	choose_per_process(t, opts);
	err = set_program_types(t);
	if (err)
		return err;
	if (t->use_multi) {
		t->closer = link_closer__new(CLOSER_THREADS);
		if (!t->closer)
			return -ENOMEM;
	}
	/*
	 * Per-process probes: the kernel runs a program only for the pid its
	 * link (or Go probe) names, so the programs need not look the caller
	 * up in the targets map. File-wide probes (system-wide, -f without
	 * them) still do.
	 */
	t->skel->rodata->filter_targets = opts->filter_targets && !t->per_process;
	t->skel->rodata->sample_at_entry = t->use_session != 0;
	return 0;
}

static int configure(struct tracer *t, const struct tracer_opts *opts)
{
	struct memleak_bpf *skel = t->skel;
	int err;

	skel->rodata->min_size = opts->min_size;
	skel->rodata->max_size = opts->max_size;
	skel->rodata->wakeup_bytes = opts->ringbuf_bytes / 2;
	set_pidns(skel);
	skel->rodata->walk_cfi = opts->unwind_dwarf != 0;
	skel->rodata->filter_targets = opts->filter_targets != 0;
	skel->rodata->system_wide = opts->system_wide != 0;
	skel->rodata->follow_forks = opts->follow_forks != 0;
	skel->rodata->stop_on_exec = opts->stop_on_exec != 0;
	skel->rodata->hold_exits = opts->hold_exits != 0;
	skel->rodata->self_pid = (__u32)getpid();
	skel->rodata->sample_bytes = opts->sample_bytes;
	skel->rodata->test_drop_records = test_drop_records();
	/* After filter_targets: per-process probes need no filter in BPF. */
	err = choose_probes(t, opts);
	if (err)
		return err;
	/* The sampled live blocks, so the others' frees stay in the kernel. */
	err = bpf_map__set_max_entries(skel->maps.sampled, opts->sample_bytes ? SAMPLED_MAX : 1);
	if (err)
		return err;
	/* Both modes store their stacks in dwarf_stacks; only dwarf mode has rows. */
	err = bpf_map__set_max_entries(skel->maps.dwarf_stacks, opts->stack_slots);
	if (!err)
		err = bpf_map__set_max_entries(
		    skel->maps.unwind_rows,
		    opts->unwind_dwarf && opts->unwind_rows ? (__u32)opts->unwind_rows : 1);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.events, (__u32)opts->ringbuf_bytes);
	return err;
}

static int load_sample_steps(struct tracer *t, uint64_t mean)
{
	uint64_t steps[ML_SAMPLE_QUANTILES];
	__u32 i;

	sample__steps(mean, steps);
	for (i = 0; i < ML_SAMPLE_QUANTILES; i++)
		if (bpf_map__update_elem(t->skel->maps.sample_steps, &i, sizeof(i), &steps[i],
					 sizeof(steps[i]), BPF_ANY))
			return -errno;
	return 0;
}

int tracer__open(const struct tracer_opts *opts, struct tracer **out)
{
	struct tracer *t;
	int err;

	libbpf_set_print(libbpf_print);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->stack_slots = opts->stack_slots;
	t->unwind_dwarf = opts->unwind_dwarf;
	t->trace_mmap = opts->trace_mmap;
	t->sample_bytes = opts->sample_bytes;
	t->max_ids = opts->stack_slots * DWARF_IDS_PER_SLOT;
	t->stacks = calloc(t->max_ids, sizeof(*t->stacks));
	if (key_index_init(&t->index, t->max_ids)) {
		err = -ENOMEM;
		goto fail;
	}
	t->nr_cpus = libbpf_num_possible_cpus();
	if (!t->stacks || t->nr_cpus <= 0) {
		err = t->nr_cpus <= 0 ? t->nr_cpus : -ENOMEM;
		goto fail;
	}
	t->skel = memleak_bpf__open();
	if (!t->skel) {
		err = -errno;
		goto fail;
	}
	err = configure(t, opts);
	if (err)
		goto fail;
	err = memleak_bpf__load(t->skel);
	if (!err && opts->sample_bytes)
		err = load_sample_steps(t, opts->sample_bytes);
	if (err)
		goto fail;
	t->drain.on_event = opts->on_event;
	t->drain.ctx = opts->ctx;
	t->drain.index = &t->index;
	t->drain.max_ids = t->max_ids;
	t->drain.budget = 2 * (opts->ringbuf_bytes + ML_LIFE_RINGBUF_BYTES) /
			  (sizeof(struct ml_event) + BPF_RINGBUF_HDR_SZ);
	t->rb =
	    ring_buffer__new(bpf_map__fd(t->skel->maps.events), dispatch_record, &t->drain, NULL);
	if (!t->rb) {
		err = -errno;
		goto fail;
	}
	/* Drained after "events": a lifecycle record there only when "events" was full. */
	err = ring_buffer__add(t->rb, bpf_map__fd(t->skel->maps.life_events), dispatch_record,
			       &t->drain);
	if (err)
		goto fail;
	/* The lifecycle tracepoints now; uprobes come per target and file. */
	t->skel->links.process_exit = bpf_program__attach(t->skel->progs.process_exit);
	t->skel->links.process_fork = bpf_program__attach(t->skel->progs.process_fork);
	t->skel->links.process_exec = bpf_program__attach(t->skel->progs.process_exec);
	if (!t->skel->links.process_exit || !t->skel->links.process_fork ||
	    !t->skel->links.process_exec) {
		err = -errno;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tracer__destroy(t);
	return err;
}

int tracer__add_target(struct tracer *t, int pid)
{
	__u32 key = (__u32)pid;
	__u8 one = 1;

	if (bpf_map__update_elem(t->skel->maps.targets, &key, sizeof(key), &one, sizeof(one),
				 BPF_ANY))
		return -errno;
	return 0;
}

void tracer__remove_target(struct tracer *t, int pid)
{
	__u32 key = (__u32)pid;

	bpf_map__delete_elem(t->skel->maps.targets, &key, sizeof(key), 0);
}

int tracer__load_rows(struct tracer *t, const struct ml_unwind_row *rows, uint32_t first, size_t nr)
{
	LIBBPF_OPTS(bpf_map_batch_opts, batch);
	__u32 *keys, count;
	size_t done = 0, i;
	int err = 0;

	if (!t->unwind_dwarf || !nr)
		return 0;
	keys = malloc(nr * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < nr; i++)
		keys[i] = first + (__u32)i;
	while (done < nr && !err) {
		count = (__u32)(nr - done);
		if (bpf_map_update_batch(bpf_map__fd(t->skel->maps.unwind_rows), keys + done,
					 rows + done, &count, &batch))
			err = -errno;
		done += count;
	}
	free(keys);
	return err;
}

int tracer__set_unwind_proc(struct tracer *t, int pid, const struct ml_unwind_proc *proc)
{
	__u32 key = (__u32)pid;

	if (!t->unwind_dwarf)
		return 0;
	if (bpf_map__update_elem(t->skel->maps.unwind_procs, &key, sizeof(key), proc, sizeof(*proc),
				 BPF_ANY))
		return -errno;
	return 0;
}

/* Deletes every sampled-block key of pid; keys are collected first, as deleting moves the walk. */
static void forget_sampled(struct tracer *t, __u32 pid)
{
	struct ml_sampled_key key, next, *doomed = NULL;
	int fd = bpf_map__fd(t->skel->maps.sampled);
	size_t nr = 0, cap = 0, i;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key.tgid != pid)
			continue;
		if (ARRAY_RESERVE(doomed, cap, nr + 1, 1024))
			break;
		doomed[nr++] = key;
	}
	for (i = 0; i < nr; i++)
		bpf_map_delete_elem(fd, &doomed[i]);
	free(doomed);
}

void tracer__forget_pid(struct tracer *t, int pid)
{
	__u32 key = (__u32)pid;

	if (t->sample_bytes)
		forget_sampled(t, key);
	if (t->unwind_dwarf)
		bpf_map__delete_elem(t->skel->maps.unwind_procs, &key, sizeof(key), 0);
}

int tracer__prune_stacks(struct tracer *t, const bool *in_use, size_t nr_in_use)
{
	int fd = bpf_map__fd(t->skel->maps.dwarf_stacks);
	__u64 key, next, *doomed;
	size_t nr = 0, total = 0, i, slot;
	uint64_t ips[1];
	void *prev = NULL;
	uint32_t id;

	/* Fewer stacks ever seen than half the slots: the map cannot be half full. */
	if (t->index.nr < t->stack_slots / 2)
		return 0;
	doomed = malloc(t->stack_slots * sizeof(*doomed));
	if (!doomed)
		return -ENOMEM;
	while (total < t->stack_slots && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		total++;
		slot = key_slot(&t->index, key);
		if (!t->index.keys[slot])
			continue; /* its record has not been drained yet */
		id = t->index.ids[slot];
		if (id < nr_in_use && in_use[id])
			continue;
		/* Frames cached first: a report may still name this stack. */
		if (tracer__read_stack(t, (int32_t)id, ips, 1) < 0)
			continue;
		doomed[nr++] = key;
	}
	/* Half full at most after a prune: only bother past that. */
	if (total < t->stack_slots / 2)
		nr = 0;
	for (i = 0; i < nr; i++)
		bpf_map_delete_elem(fd, &doomed[i]);
	t->pruned += nr;
	free(doomed);
	return (int)nr;
}

uint64_t tracer__pruned_stacks(const struct tracer *t)
{
	return t->pruned;
}

int tracer__epoll_fd(const struct tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int tracer__drain(struct tracer *t)
{
	int n;

	t->drain.left = t->drain.budget;
	n = ring_buffer__consume(t->rb);
	return n == DRAIN_BUDGET_SPENT ? (int)t->drain.budget : n;
}

int tracer__counters(const struct tracer *t, uint64_t counters[ML_CNT_MAX])
{
	__u64 per_cpu[t->nr_cpus];
	__u32 slot;
	int cpu;

	for (slot = 0; slot < ML_CNT_MAX; slot++) {
		counters[slot] = 0;
		/* Defined before the kernel writes it: valgrind cannot see into bpf(2). */
		memset(per_cpu, 0, sizeof(per_cpu));
		if (bpf_map__lookup_elem(t->skel->maps.counters, &slot, sizeof(slot), per_cpu,
					 sizeof(per_cpu), 0))
			return -errno;
		for (cpu = 0; cpu < t->nr_cpus; cpu++)
			counters[slot] += per_cpu[cpu];
		counters[slot] += t->daemon_counts[slot];
	}
	return 0;
}

void tracer__count(struct tracer *t, unsigned int slot)
{
	if (t && slot < ML_CNT_MAX)
		t->daemon_counts[slot]++;
}

bool tracer__take_hold(struct tracer *t, int pid, uint64_t held_ns)
{
	int fd = bpf_map__fd(t->skel->maps.held);
	__u32 key = (__u32)pid;
	__u64 since;

	if (bpf_map_lookup_elem(fd, &key, &since) || (held_ns && since != held_ns))
		return false;
	/* The entry goes first: only one caller continues the process. */
	return bpf_map_delete_elem(fd, &key) == 0;
}

int tracer__held_fd(const struct tracer *t)
{
	return t ? bpf_map__fd(t->skel->maps.held) : -1;
}

size_t tracer__release_held_fd(int held_fd)
{
	__u32 key;
	size_t nr = 0;

	/* Delete first, then continue: the map shrinks until it is empty. */
	while (bpf_map_get_next_key(held_fd, NULL, &key) == 0) {
		if (bpf_map_delete_elem(held_fd, &key))
			break;
		if (kill((pid_t)key, SIGCONT) == 0)
			nr++;
	}
	return nr;
}

size_t tracer__take_old_holds(struct tracer *t, uint64_t before_ns, int *pids, size_t max)
{
	int fd = bpf_map__fd(t->skel->maps.held);
	__u32 key, next;
	size_t nr = 0, i;
	void *prev = NULL;
	__u64 since;

	/* Keys first: deleting while walking restarts the walk. */
	while (nr < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &since) && since < before_ns)
			pids[nr++] = (int)key;
	}
	for (i = 0; i < nr;)
		if (tracer__take_hold(t, pids[i], 0))
			i++;
		else
			pids[i] = pids[--nr];
	return nr;
}

/* The frames of stack_id from dwarf_stacks (both unwind modes); 0 or -1 with errno. */
static int read_raw_stack(struct tracer *t, int32_t stack_id, __u64 raw[ML_MAX_STACK_DEPTH],
			  uint32_t *nr)
{
	struct ml_stack walked;
	uint64_t key;

	*nr = 0;
	if ((size_t)stack_id >= t->index.nr) {
		errno = ENOENT;
		return -1;
	}
	key = t->index.by_id[stack_id];
	memset(&walked, 0, sizeof(walked));
	if (bpf_map__lookup_elem(t->skel->maps.dwarf_stacks, &key, sizeof(key), &walked,
				 sizeof(walked), 0))
		return -1;
	*nr = walked.nr < ML_MAX_STACK_DEPTH ? (uint32_t)walked.nr : ML_MAX_STACK_DEPTH;
	memcpy(raw, walked.ips, *nr * sizeof(raw[0]));
	return 0;
}

int tracer__read_stack(void *tracer, int32_t stack_id, uint64_t *ips, size_t max_ips)
{
	struct tracer *t = tracer;
	__u64 raw[ML_MAX_STACK_DEPTH] = {0};
	struct cached_stack *cached;
	uint32_t nr = 0, i;

	if (stack_id < 0 || (unsigned int)stack_id >= t->max_ids)
		return -EINVAL;
	cached = t->stacks[stack_id];
	if (!cached) {
		if (read_raw_stack(t, stack_id, raw, &nr))
			return -errno;
		cached = malloc(sizeof(*cached) + nr * sizeof(cached->ips[0]));
		if (!cached)
			return -ENOMEM;
		cached->nr = nr;
		memcpy(cached->ips, raw, nr * sizeof(cached->ips[0]));
		t->stacks[stack_id] = cached;
	}
	for (i = 0; i < cached->nr && i < max_ips; i++)
		ips[i] = cached->ips[i];
	return (int)i;
}

int tracer__ringbuf_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.events);
}

void tracer__detach(struct tracer *t)
{
	if (!t)
		return;
	/*
	 * uprobe_multi links first, closed at once by the closer's threads (50
	 * in ~70 ms): their grace periods overlap, and with whatever comes next.
	 */
	while (t->nr_pid_links)
		link_closer__close(t->closer, t->pid_links[--t->nr_pid_links].fd);
	/*
	 * Perf-event probes one by one: each removal waits for a grace period
	 * (~50-100 ms here), 1-2 s for 20 probes, and threads help little (the
	 * kernel serializes most of it) while their stacks would come from a
	 * probed mmap.
	 */
	while (t->nr_links)
		bpf_link__destroy(t->links[--t->nr_links]);
	tracer__detach_go(t);
	link_closer__wait(t->closer);
	if (t->skel)
		memleak_bpf__detach(t->skel);
}

void tracer__destroy(struct tracer *t)
{
	unsigned int i;

	if (!t)
		return;
	tracer__detach(t);
	free(t->links);
	free(t->pid_links);
	free(t->go_links);
	link_closer__free(t->closer);
	free(t->files);
	ring_buffer__free(t->rb);
	memleak_bpf__destroy(t->skel);
	if (t->stacks)
		for (i = 0; i < t->max_ids; i++)
			free(t->stacks[i]);
	free(t->stacks);
	key_index_free(&t->index);
	free(t);
}
