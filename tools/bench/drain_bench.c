// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How many records the daemon drains on one core: a BPF program
 * (producer.bpf.c's bench_produce, run with BPF_PROG_TEST_RUN on another
 * thread) writes ALLOC/FREE pairs into memleakd's own ring buffer with the
 * real wakeup policy; this thread drains them the way the daemon does
 * (epoll with a 20 ms timeout, tracer__drain, allocs table). Reports the
 * rate drained, the drops, and this thread's CPU time, at a paced rate and
 * flat out.
 *
 * usage: drain_bench [SECONDS [RATE...]]   (root; RATE in events/s, 0 = flat out)
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "allocs.h"
#include "bench.h"
#include "producer.skel.h"
#include "sizing.h"
#include "tracer.h"

#define DRAIN_MS 20

struct consumer {
	struct allocs *allocs;
	uint64_t records;
};

struct producer {
	struct producer_bpf *skel;
	double rate; /* events/s; 0: flat out */
	double seconds;
	atomic_bool stop;
	uint64_t produced;
	int error;
};

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_event(void *ctx, const struct ml_event *e)
{
	struct consumer *c = ctx;

	c->records++;
	if (e->type == ML_EV_ALLOC)
		allocs__record_alloc(c->allocs, e->pid, KIND_MALLOC, e->addr, e->size, e->stack_id,
				     e->ts_ns);
	else if (e->type == ML_EV_FREE)
		allocs__record_free(c->allocs, e->pid, KIND_MALLOC, e->addr);
}

static void *produce(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct producer *p = arg;
	double start = now_s(CLOCK_MONOTONIC), due;

	while (!atomic_load(&p->stop)) {
		if (p->rate > 0) {
			/* Paced: the next batch is due when the rate says so. */
			due = start + (double)(p->produced + BENCH_BATCH) / p->rate;
			while (now_s(CLOCK_MONOTONIC) < due && !atomic_load(&p->stop))
				usleep(200);
		}
		if (bpf_prog_test_run_opts(bpf_program__fd(p->skel->progs.bench_produce), &run)) {
			p->error = -errno;
			break;
		}
		p->produced += BENCH_BATCH;
	}
	return NULL;
}

static int run(double seconds, double rate)
{
	struct consumer c = {.allocs = allocs__new()};
	struct tracer_opts topts = {
	    .stack_slots = 1024,
	    .ringbuf_bytes = sizing__ringbuf_bytes((unsigned int)sysconf(_SC_NPROCESSORS_ONLN),
						   DRAIN_MS, 700, sizeof(struct ml_event) + 8),
	    .on_event = on_event,
	    .ctx = &c,
	};
	struct producer p = {.rate = rate, .seconds = seconds};
	struct tracer *tracer;
	struct epoll_event ev = {.events = EPOLLIN}, got;
	double t0, cpu0, wall, cpu;
	pthread_t thread;
	int epfd, err;

	err = tracer__open(&topts, &tracer);
	if (err) {
		fprintf(stderr, "drain_bench: cannot load the BPF object: %s (root needed)\n",
			strerror(-err));
		return 1;
	}
	/*
	 * The producer is a BPF object of its own, kept out of memleakd's, but
	 * it must write into the buffer the tracer drains: its ring buffer map
	 * is replaced by the tracer's before load. The tracer gives the map's
	 * fd and nothing else, so the bench cannot reach into its skeleton.
	 */
	p.skel = producer_bpf__open();
	err = p.skel ? 0 : -errno;
	if (!err)
		err = bpf_map__reuse_fd(p.skel->maps.events, tracer__ringbuf_fd(tracer));
	if (!err) {
		p.skel->rodata->wakeup_bytes = topts.ringbuf_bytes / 2;
		err = producer_bpf__load(p.skel);
	}
	if (err) {
		fprintf(stderr, "drain_bench: cannot load the producer: %s\n", strerror(-err));
		producer_bpf__destroy(p.skel);
		tracer__destroy(tracer);
		return 1;
	}
	epfd = epoll_create1(0);
	ev.data.fd = tracer__epoll_fd(tracer);
	epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	t0 = now_s(CLOCK_MONOTONIC);
	cpu0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	pthread_create(&thread, NULL, produce, &p);
	while (now_s(CLOCK_MONOTONIC) - t0 < seconds) {
		epoll_wait(epfd, &got, 1, DRAIN_MS);
		tracer__drain(tracer);
	}
	atomic_store(&p.stop, true);
	pthread_join(thread, NULL);
	tracer__drain(tracer);
	wall = now_s(CLOCK_MONOTONIC) - t0;
	cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	printf("%-10s %12.0f %12.0f %10" PRIu64 " %9.0f%% %14.0f %8zu\n",
	       rate > 0 ? "paced" : "flat out", (double)p.produced / wall, (double)c.records / wall,
	       (uint64_t)p.skel->bss->drops, 100.0 * cpu / wall,
	       cpu > 0 ? (double)c.records / cpu : 0, topts.ringbuf_bytes >> 20);
	if (p.error)
		fprintf(stderr, "drain_bench: producer failed: %s\n", strerror(-p.error));
	close(epfd);
	producer_bpf__destroy(p.skel);
	tracer__destroy(tracer);
	allocs__destroy(c.allocs);
	return p.error ? 1 : 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	int i, failed = 0;

	printf("%-10s %12s %12s %10s %10s %14s %8s\n", "producer", "made/s", "drained/s", "drops",
	       "drain CPU", "per CPU-second", "ring MiB");
	if (argc <= 2) {
		failed |= run(seconds, 2e6);
		failed |= run(seconds, 0);
	}
	for (i = 2; i < argc; i++)
		failed |= run(seconds, atof(argv[i]));
	return failed;
}
