// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "memleak.skel.h"
#include "tracer.h"

/* The init PID namespace's inode number (PROC_PID_INIT_INO in the kernel). */
#define INIT_PID_NS_INO 0xEFFFFFFCULL

struct drain_ctx {
	tracer_event_fn on_event;
	void *ctx;
};

struct cached_stack {
	uint32_t nr;
	uint64_t ips[];
};

struct tracer {
	struct memleak_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nr_links, links_cap;
	struct cached_stack **stacks; /* by stack id; ids are never reused */
	unsigned int stack_slots;
	int nr_cpus;
	struct drain_ctx drain;
};

/*
 * The attach table: one row per allocator entry point. A row's return probe
 * takes the stack; rows whose function the provider lacks are skipped unless
 * required.
 */
struct probe_spec {
	enum alloc_fn fn;
	const char *entry_prog;
	int has_return;
	int required;
};

static const struct probe_spec probe_table[] = {
    {FN_MALLOC, "malloc_enter", 1, 1},
    {FN_CALLOC, "calloc_enter", 1, 0},
    {FN_REALLOC, "realloc_enter", 1, 0},
    {FN_REALLOCARRAY, "reallocarray_enter", 1, 0},
    {FN_POSIX_MEMALIGN, "posix_memalign_enter", 1, 0},
    {FN_ALIGNED_ALLOC, "memalign_enter", 1, 0},
    {FN_MEMALIGN, "memalign_enter", 1, 0},
    {FN_VALLOC, "valloc_enter", 1, 0},
    {FN_PVALLOC, "valloc_enter", 1, 0},
    {FN_FREE, "free_enter", 0, 1},
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && log__level() < LOG_LIBBPF)
		return 0;
	if (level == LIBBPF_INFO && log__level() < LOG_DEBUG)
		return 0;
	if (level == LIBBPF_WARN && log__level() < LOG_INFO)
		return 0; /* failures reach the user as one line from the caller */
	fputs("memleakd: libbpf: ", stderr);
	return vfprintf(stderr, fmt, args);
}

static int dispatch_record(void *ctx, void *data, size_t size)
{
	const struct drain_ctx *d = ctx;

	if (size >= sizeof(struct ml_event))
		d->on_event(d->ctx, data);
	return 0;
}

static void set_pidns(struct memleak_bpf *skel)
{
	struct stat st;

	/* Events must carry PIDs as memleakd sees them, not the init namespace's. */
	if (stat("/proc/self/ns/pid", &st) || st.st_ino == INIT_PID_NS_INO)
		return;
	skel->rodata->pidns_dev = st.st_dev;
	skel->rodata->pidns_ino = st.st_ino;
}

static int configure(struct tracer *t, const struct tracer_opts *opts)
{
	struct memleak_bpf *skel = t->skel;
	int err;

	skel->rodata->min_size = opts->min_size;
	skel->rodata->max_size = opts->max_size;
	skel->rodata->wakeup_bytes = opts->ringbuf_bytes / 2;
	set_pidns(skel);
	err = bpf_map__set_max_entries(skel->maps.stacks, opts->stack_slots);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.events, (__u32)opts->ringbuf_bytes);
	return err;
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
	t->stacks = calloc(opts->stack_slots, sizeof(*t->stacks));
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
	if (err)
		goto fail;
	t->drain.on_event = opts->on_event;
	t->drain.ctx = opts->ctx;
	t->rb =
	    ring_buffer__new(bpf_map__fd(t->skel->maps.events), dispatch_record, &t->drain, NULL);
	if (!t->rb) {
		err = -errno;
		goto fail;
	}
	/* The exit tracepoint now; uprobes come per target in tracer__attach. */
	t->skel->links.process_exit = bpf_program__attach(t->skel->progs.process_exit);
	if (!t->skel->links.process_exit) {
		err = -errno;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tracer__destroy(t);
	return err;
}

static int keep_link(struct tracer *t, struct bpf_link *link)
{
	struct bpf_link **bigger;

	if (t->nr_links == t->links_cap) {
		size_t cap = t->links_cap ? t->links_cap * 2 : 32;

		bigger = realloc(t->links, cap * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		t->links = bigger;
		t->links_cap = cap;
	}
	t->links[t->nr_links++] = link;
	return 0;
}

static int attach_one(struct tracer *t, int pid, const struct provider *prov, const char *prog_name,
		      uint64_t offset, int retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uopts, .retprobe = retprobe);
	struct bpf_program *prog;
	struct bpf_link *link;
	int err;

	prog =
	    bpf_object__find_program_by_name(t->skel->obj, retprobe ? "alloc_return" : prog_name);
	if (!prog)
		return -ENOENT;
	/* pid goes to perf_event_open: other processes never take the trap. */
	link =
	    bpf_program__attach_uprobe_opts(prog, pid, prov->attach_path, (size_t)offset, &uopts);
	if (!link)
		return -errno;
	err = keep_link(t, link);
	if (err)
		bpf_link__destroy(link);
	return err;
}

/* True when an earlier row already probes the same address (glibc: memalign = aligned_alloc). */
static int is_alias(const struct provider *prov, size_t row)
{
	size_t i;

	for (i = 0; i < row; i++)
		if (prov->offsets[probe_table[i].fn] == prov->offsets[probe_table[row].fn])
			return 1;
	return 0;
}

static int attach_provider(struct tracer *t, int pid, const struct provider *prov, char *err_msg,
			   size_t err_len)
{
	size_t row;
	int err;

	for (row = 0; row < sizeof(probe_table) / sizeof(probe_table[0]); row++) {
		const struct probe_spec *spec = &probe_table[row];
		uint64_t offset = prov->offsets[spec->fn];

		if (offset == PROVIDER_NO_OFFSET || is_alias(prov, row)) {
			if (offset == PROVIDER_NO_OFFSET && spec->required) {
				snprintf(err_msg, err_len, "'%s' has no %s", prov->path,
					 alloc_fn_names[spec->fn]);
				return -ENOENT;
			}
			continue;
		}
		/* The entry probe may sit past the first instruction; the return probe cannot. */
		err = attach_one(t, pid, prov, spec->entry_prog, prov->sites[spec->fn], 0);
		if (!err && spec->has_return)
			err = attach_one(t, pid, prov, spec->entry_prog, offset, 1);
		if (err) {
			snprintf(err_msg, err_len,
				 "cannot attach to %s in '%s' (offset 0x%llx): %s",
				 alloc_fn_names[spec->fn], prov->path, (unsigned long long)offset,
				 strerror(-err));
			return err;
		}
		p_info("pid %d: %s probed at %s+0x%llx (%s)", pid, alloc_fn_names[spec->fn],
		       prov->path, (unsigned long long)prov->sites[spec->fn],
		       prov->site_why[spec->fn]);
	}
	return 0;
}

int tracer__attach(struct tracer *t, int pid, const struct providers *provs, char *err_msg,
		   size_t err_len)
{
	size_t first_link = t->nr_links, i;
	__u32 key = (__u32)pid;
	__u8 one = 1;
	int err = 0;

	err_msg[0] = '\0';
	if (bpf_map__update_elem(t->skel->maps.targets, &key, sizeof(key), &one, sizeof(one),
				 BPF_ANY)) {
		err = -errno;
		snprintf(err_msg, err_len, "cannot register pid %d: %s", pid, strerror(-err));
		return err;
	}
	for (i = 0; i < provs->nr && !err; i++)
		err = attach_provider(t, pid, &provs->list[i], err_msg, err_len);
	if (err) {
		while (t->nr_links > first_link)
			bpf_link__destroy(t->links[--t->nr_links]);
		bpf_map__delete_elem(t->skel->maps.targets, &key, sizeof(key), 0);
	}
	return err;
}

size_t tracer__nr_links(const struct tracer *t)
{
	return t->nr_links;
}

int tracer__epoll_fd(const struct tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int tracer__drain(struct tracer *t)
{
	return ring_buffer__consume(t->rb);
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
	}
	return 0;
}

int tracer__read_stack(void *tracer, int32_t stack_id, uint64_t *ips, size_t max_ips)
{
	struct tracer *t = tracer;
	__u64 raw[ML_MAX_STACK_DEPTH] = {0};
	struct cached_stack *cached;
	uint32_t nr = 0, i;

	if (stack_id < 0 || (unsigned int)stack_id >= t->stack_slots)
		return -EINVAL;
	cached = t->stacks[stack_id];
	if (!cached) {
		if (bpf_map__lookup_elem(t->skel->maps.stacks, &stack_id, sizeof(stack_id), raw,
					 sizeof(raw), 0))
			return -errno;
		while (nr < ML_MAX_STACK_DEPTH && raw[nr])
			nr++;
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

void tracer__destroy(struct tracer *t)
{
	unsigned int i;

	if (!t)
		return;
	while (t->nr_links)
		bpf_link__destroy(t->links[--t->nr_links]);
	free(t->links);
	ring_buffer__free(t->rb);
	memleak_bpf__destroy(t->skel);
	if (t->stacks)
		for (i = 0; i < t->stack_slots; i++)
			free(t->stacks[i]);
	free(t->stacks);
	free(t);
}
