/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Go processes: the wiring between a target whose executable is Go and the
 * Go modules. A Go executable among a process's mappings gets its file
 * analysed (gobin), probes on goroutine births and deaths (never a return
 * probe), a census of its goroutines at attach and every few intervals
 * (gocensus, gotrack) and its runtime's heap profile read each interval
 * (goheap) into the allocation table as KIND_GO_HEAP stacks. Reads the
 * targets' memory; touches BPF only through tracer__attach_go.
 */
#ifndef MEMLEAKD_GOLANG_H
#define MEMLEAKD_GOLANG_H

#include <linux/types.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "allocs.h"
#include "gobin.h"
#include "gosite.h"
#include "memleak.h"
#include "procmaps.h"
#include "snapshot.h"
#include "ustacks.h"

struct golang;
struct tracer;

struct golang_opts {
	unsigned int census_every; /* a census every this many intervals (>= 1) */
	bool no_probes;		   /* census only (--go-probes=off) */
	int64_t heap_sampling;	   /* > 0: write this MemProfileRate where profiling is off */
};

/* What the caller does to hand the ring buffer's waiting records over (before and after a census).
 */
typedef void (*golang_drain_fn)(void *ctx);

struct golang *golang__new(const struct golang_opts *opts, struct allocs *allocs);
void golang__free(struct golang *g);

/* Whether maps hold a Go executable (memleakd traces it without malloc). */
bool golang__maps_go(struct golang *g, int pid, const struct procmaps *maps);
/*
 * pid's mappings were read (attach, exec, fork): a Go executable among them
 * is analysed once and, when the tracer is loaded, probed (filtered to
 * attach_pid; < 0: pid). Failures are said once and never fatal. 1 when
 * pid runs Go, 0 when not.
 */
int golang__probe(struct golang *g, struct tracer *tracer, int pid, const char *comm,
		  const struct procmaps *maps, int attach_pid);
/* A GO_CREATE or GO_EXIT record. */
void golang__on_event(struct golang *g, const struct ml_event *e);
/* Censuses due now (the first after attach). */
void golang__poll(struct golang *g, golang_drain_fn drain, void *ctx);
/* Once per interval, before the history is recorded: heap profiles, censuses every N. */
void golang__interval(struct golang *g, golang_drain_fn drain, void *ctx);
/* pid exited or exec'd: its Go state goes (its table entries are the caller's). */
void golang__forget(struct golang *g, int pid);

/* snapshot_opts.go_site. */
const struct go_site *golang__site(void *golang, uint32_t pid, int32_t stack_id);
/* pid's Go facts for the report, or NULL when pid does not run Go. */
const struct snapshot_go *golang__info(const struct golang *g, int pid);
/* The stacks it made (heap buckets, census creation PCs). */
struct ustacks *golang__stacks(struct golang *g);
/* Adds the goroutine losses to l. */
void golang__losses(const struct golang *g, struct user_losses *l);

#endif
