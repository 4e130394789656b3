// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Drives memleakd's tracer alone on a running Go program: attaches the
 * goroutine probes (tracer__attach_go) at the sites given, prints every
 * GO_CREATE/GO_EXIT record for a while, then the creation stacks' raw
 * frames, the loss counters, and what detaching did. tools/gotrace_probe.sh
 * builds Go fixtures, finds the sites with objdump and checks the output.
 *
 * usage: gotrace_probe -p PID -f FILE -G GOID_OFF -P GOPC_OFF
 *                      -c OFF:REG... -e OFF:REG... [-s SECONDS] [-d] [-g]
 *   -c / -e   a creation / exit site: file offset (hex ok) and ax or bx
 *   -d        DWARF stack walker instead of frame pointers
 *   -g        also check that tracer__attach_provider refuses FILE (Go)
 *   -F        -f's per-process mode (uprobe_multi links for allocators)
 *   -v        more diagnostics (-vvv: libbpf's and the verifier's)
 * Output (stdout), one record a line:
 *   create TS GOID GOPC TID STACK_ID | exit TS GOID TID
 *   stack ID IP... | counter SLOT VALUE | key VALUE
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "elffile.h"
#include "log.h"
#include "provider.h"
#include "tracer.h"

#define MAX_STACK_IDS 65536

struct run {
	unsigned char seen_stack[MAX_STACK_IDS];
	unsigned long long creates, exits, others;
};

static void on_event(void *ctx, const struct ml_event *e)
{
	struct run *r = ctx;

	if (e->type == ML_EV_GO_CREATE) {
		r->creates++;
		printf("create %llu %llu 0x%llx %u %d\n", (unsigned long long)e->ts_ns,
		       (unsigned long long)e->addr, (unsigned long long)e->size, e->tid,
		       e->stack_id);
		if (e->stack_id >= 0 && e->stack_id < MAX_STACK_IDS)
			r->seen_stack[e->stack_id] = 1;
	} else if (e->type == ML_EV_GO_EXIT) {
		r->exits++;
		printf("exit %llu %llu %u\n", (unsigned long long)e->ts_ns,
		       (unsigned long long)e->addr, e->tid);
	} else {
		r->others++;
	}
}

static int parse_site(const char *arg, int role, struct go_probe_site *site)
{
	char *end;

	site->file_offset = strtoull(arg, &end, 0);
	if (*end != ':')
		return -1;
	if (!strcmp(end + 1, "ax"))
		site->reg = GO_REG_RAX;
	else if (!strcmp(end + 1, "bx"))
		site->reg = GO_REG_RBX;
	else
		return -1;
	site->role = role;
	site->where = role == GO_SITE_CREATE ? "creation site" : "exit site";
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void drain_for(struct tracer *t, double seconds)
{
	struct pollfd pfd = {.fd = tracer__epoll_fd(t), .events = POLLIN};
	double end = now_s() + seconds;

	while (now_s() < end) {
		poll(&pfd, 1, 100);
		tracer__drain(t);
	}
	tracer__drain(t);
}

static void print_stacks(struct tracer *t, const struct run *r)
{
	uint64_t ips[ML_MAX_STACK_DEPTH];
	int id, nr, i;

	for (id = 0; id < MAX_STACK_IDS; id++) {
		if (!r->seen_stack[id])
			continue;
		nr = tracer__read_stack(t, id, ips, ML_MAX_STACK_DEPTH);
		printf("stack %d", id);
		for (i = 0; i < nr; i++)
			printf(" 0x%llx", (unsigned long long)ips[i]);
		printf("\n");
	}
}

/* tracer__attach_provider on the Go file itself, as if it had a malloc: must be refused. */
static void check_guard(struct tracer *t, int pid, int fd, const struct stat *st, const char *file)
{
	static struct provider prov;
	char err[256] = "";
	size_t links = tracer__nr_links(t);
	int rc, i;

	prov.fd = fd;
	prov.path = (char *)file;
	prov.dev = st->st_dev;
	prov.inode = st->st_ino;
	for (i = 0; i < FN_COUNT; i++)
		prov.offsets[i] = prov.sites[i] = PROVIDER_NO_OFFSET;
	prov.offsets[FN_MALLOC] = prov.sites[FN_MALLOC] = 0x1000;
	prov.site_why[FN_MALLOC] = "test";
	if (attach_path__build(fd, st->st_dev, st->st_ino, prov.attach_path,
			       sizeof(prov.attach_path)))
		return;
	rc = tracer__attach_provider(t, pid, &prov, err, sizeof(err));
	printf("key guard_rc %d\nkey guard_links_added %zu\n", rc, tracer__nr_links(t) - links);
	fprintf(stderr, "gotrace_probe: attach_provider on the Go file: %d (%s)\n", rc, err);
}

struct args {
	int pid, dwarf, guard, follow;
	const char *file;
	double seconds;
	struct go_g_offsets off;
	struct go_probe_site sites[GO_MAX_SITES + 1];
	size_t nr_sites;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	int opt;

	a->seconds = 5;
	while ((opt = getopt(argc, argv, "p:f:G:P:c:e:s:dgvF")) != -1) {
		switch (opt) {
		case 'v':
			log__set_level(log__level() + 1);
			break;
		case 'p':
			a->pid = atoi(optarg);
			break;
		case 'f':
			a->file = optarg;
			break;
		case 'G':
			a->off.goid = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'P':
			a->off.gopc = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'c':
		case 'e':
			if (a->nr_sites > GO_MAX_SITES ||
			    parse_site(optarg, opt == 'c' ? GO_SITE_CREATE : GO_SITE_EXIT,
				       &a->sites[a->nr_sites++]))
				return -1;
			break;
		case 's':
			a->seconds = atof(optarg);
			break;
		case 'd':
			a->dwarf = 1;
			break;
		case 'g':
			a->guard = 1;
			break;
		case 'F':
			a->follow = 1;
			break;
		default:
			return -1;
		}
	}
	return a->pid > 0 && a->file ? 0 : -1;
}

static void print_counters(struct tracer *t)
{
	uint64_t counters[ML_CNT_MAX];
	int i;

	if (tracer__counters(t, counters))
		return;
	for (i = 0; i < ML_CNT_MAX; i++)
		printf("counter %d %llu\n", i, (unsigned long long)counters[i]);
}

static int trace(struct tracer *t, const struct args *a, int fd, const struct stat *st,
		 struct run *r)
{
	char path[ATTACH_PATH_MAX], err[256] = "";
	unsigned long long before;
	int rc;

	rc = attach_path__build(fd, st->st_dev, st->st_ino, path, sizeof(path));
	if (!rc)
		rc = tracer__add_target(t, a->pid);
	if (!rc)
		rc = tracer__attach_go(t, a->pid, path, st->st_dev, st->st_ino, a->sites,
				       a->nr_sites, &a->off, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "gotrace_probe: %s (%s)\n", err, strerror(-rc));
		return 1;
	}
	printf("key links %zu\n", tracer__nr_links(t));
	printf("key reattach_rc %d\n",
	       tracer__attach_go(t, a->pid, path, st->st_dev, st->st_ino, a->sites, a->nr_sites,
				 &a->off, err, sizeof(err)));
	/* Refusals: a file that is not (dev, inode), a plan with births only. */
	printf("key stale_rc %d\n",
	       tracer__attach_go(t, a->pid, path, st->st_dev, st->st_ino + 1, a->sites, a->nr_sites,
				 &a->off, err, sizeof(err)));
	printf("key births_only_rc %d\n",
	       tracer__attach_go(t, a->pid + 1, path, st->st_dev, st->st_ino, a->sites, 1, &a->off,
				 err, sizeof(err)));
	printf("key links_after_refusals %zu\n", tracer__nr_links(t));
	if (a->guard)
		check_guard(t, a->pid, fd, st, a->file);
	fprintf(stderr, "gotrace_probe: ready\n");
	printf("key attach_real %.0f\nkey attach_mono %.0f\n", real_ns(), now_s() * 1e9);
	fflush(stdout);
	drain_for(t, a->seconds);
	printf("key detach_real %.0f\nkey detach_mono %.0f\n", real_ns(), now_s() * 1e9);
	tracer__detach_pid(t, a->pid);
	printf("key links_after_detach %zu\n", tracer__nr_links(t));
	tracer__drain(t); /* records sent before the probes went */
	before = r->creates + r->exits;
	drain_for(t, 0.5);
	printf("key records_after_detach %llu\n", r->creates + r->exits - before);
	printf("key creates %llu\nkey exits %llu\nkey others %llu\n", r->creates, r->exits,
	       r->others);
	print_stacks(t, r);
	print_counters(t);
	return 0;
}

int main(int argc, char **argv)
{
	static struct run r;
	struct tracer_opts opts = {
	    .max_size = ~0ULL,
	    .stack_slots = 16384,
	    .ringbuf_bytes = 8u << 20,
	    .unwind_rows = 1,
	    .on_event = on_event,
	    .ctx = &r,
	};
	struct args a = {0};
	struct tracer *t;
	struct stat st;
	int fd, rc;

	if (parse_args(argc, argv, &a)) {
		fprintf(stderr, "usage: gotrace_probe -p PID -f FILE -G GOID_OFF -P GOPC_OFF "
				"-c OFF:ax|bx... -e OFF:ax|bx... [-s SECONDS] [-d] [-g]\n");
		return 2;
	}
	opts.unwind_dwarf = a.dwarf;
	opts.follow_forks = a.follow;
	fd = open(a.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		perror(a.file);
		return 1;
	}
	rc = tracer__open(&opts, &t);
	if (rc) {
		fprintf(stderr, "gotrace_probe: cannot load the BPF object: %s\n", strerror(-rc));
		return 1;
	}
	rc = trace(t, &a, fd, &st, &r);
	tracer__destroy(t);
	close(fd);
	return rc;
}
