// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The cost floor of tracing a process with memleakd: the uprobes memleakd
 * would put on its allocators, at the same sites (provider.c finds the
 * files and entry points, probesite.c the instructions, and
 * provider__probe_points() the plan memleakd's tracer walks too), filtered
 * to the pid in the kernel like memleakd -p, running empty programs
 * (floor.bpf.c). What the target pays is the traps alone.
 *
 * usage: floor -p PID   (root; prints "floor: ready" on stderr once every
 *                        probe is on, detaches on SIGINT or SIGTERM)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "provider.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int attach(struct floor_bpf *skel, int pid, const struct provider *prov,
		  struct bpf_link **links, size_t *nr_links)
{
	struct probe_point points[PROBE_POINTS_MAX];
	struct bpf_link *link;
	size_t nr, i;

	nr = provider__probe_points(prov, 0, points);
	for (i = 0; i < nr; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uopts, .retprobe = points[i].retprobe);

		link = bpf_program__attach_uprobe_opts(
		    points[i].retprobe ? skel->progs.floor_return : skel->progs.floor_enter, pid,
		    prov->attach_path, (size_t)points[i].offset, &uopts);
		if (!link) {
			fprintf(stderr, "floor: cannot attach to %s in '%s': %s\n",
				alloc_fn_names[points[i].fn], prov->path, strerror(errno));
			return -1;
		}
		links[(*nr_links)++] = link;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct bpf_link **links = NULL;
	struct providers *provs = NULL;
	struct floor_bpf *skel = NULL;
	size_t nr_links = 0, i;
	int pid, err, status = 1;

	if (argc != 3 || strcmp(argv[1], "-p") || (pid = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: floor -p PID\n");
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = providers__find(NULL, pid, &provs);
	if (err || !provs->nr) {
		fprintf(stderr, "floor: no allocator found in pid %d: %s\n", pid,
			err ? strerror(-err) : "nothing defines malloc");
		goto out;
	}
	skel = floor_bpf__open_and_load();
	links = calloc(provs->nr * PROBE_POINTS_MAX, sizeof(*links));
	if (!skel || !links) {
		fprintf(stderr, "floor: cannot load the BPF object: %s (root needed)\n",
			strerror(errno));
		goto out;
	}
	for (i = 0; i < provs->nr; i++)
		if (attach(skel, pid, &provs->list[i], links, &nr_links))
			goto out;
	fprintf(stderr, "floor: ready, %zu probes in pid %d\n", nr_links, pid);
	while (!stop)
		pause();
	status = 0;
out:
	while (nr_links)
		bpf_link__destroy(links[--nr_links]);
	free(links);
	floor_bpf__destroy(skel);
	providers__free(provs);
	return status;
}
