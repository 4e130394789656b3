/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A census of a Go process's goroutines, read from its memory (the
 * runtime's allgs list) without stopping it: every live g's goid, creation
 * PC, state, wait reason and wait start, and on demand the stack a parked
 * goroutine is blocked in (a frame-pointer walk from g.sched). Reads are
 * unlocked and the memory is untrusted: counts and walks are bounded, a g
 * that reads as garbage is skipped and counted. Pure logic: memory comes
 * through a mem_read_fn.
 */
#ifndef MEMLEAKD_GOCENSUS_H
#define MEMLEAKD_GOCENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin.h"
#include "procmem.h"

/* Goroutine states (runtime/runtime2.go), _Gscan (0x1000) masked off. */
#define GO_GIDLE     0
#define GO_GRUNNABLE 1
#define GO_GRUNNING  2
#define GO_GSYSCALL  3
#define GO_GWAITING  4
#define GO_GDEAD     6

struct go_g {
	uint64_t g; /* its address */
	uint64_t goid;
	uint64_t gopc;	    /* return address of the go statement's call (runtime address) */
	uint64_t startpc;   /* the function it runs */
	uint32_t status;    /* GO_G*, scan bit masked */
	uint8_t waitreason; /* for GO_GWAITING */
	int64_t waitsince;  /* CLOCK_MONOTONIC ns when the GC first saw it blocked; 0: unknown */
	uint64_t sched_pc, sched_sp, sched_bp;
	uint64_t stack_lo, stack_hi;
	bool system;	   /* runtime.NumGoroutine does not count it */
	bool runtime_made; /* its go statement is the runtime's (the main goroutine's) */
};

/* runtime address -> whether it is in a runtime.* function other than runtime.main. */
typedef bool (*go_is_system_fn)(void *ctx, uint64_t startpc);

struct go_census_opts {
	uint64_t allgs; /* runtime address of runtime.allgs */
	const struct go_g_offsets *off;
	mem_read_fn read;
	void *read_ctx;
	go_is_system_fn is_system;
	void *system_ctx;
	size_t max_gs; /* gs read at most (0: 1,000,000); the rest counted in nr_skipped */
};

struct go_census {
	struct go_g *gs; /* live goroutines only (not idle, not dead), in allgs order */
	size_t nr;
	size_t nr_user, nr_system; /* nr_user is runtime.NumGoroutine() */
	size_t nr_allgs;	   /* allgs length read */
	size_t nr_unreadable;	   /* gs that could not be read or made no sense */
	size_t nr_skipped;	   /* past max_gs */
	uint64_t bytes_read;
	uint64_t duration_ns; /* wall time the census took */
};

/* Takes a census. 0 (c filled; free with gocensus__free), -EFAULT (allgs unreadable), -ENOMEM. */
int gocensus__take(const struct go_census_opts *opts, struct go_census *c);
void gocensus__free(struct go_census *c);

/*
 * The stack g is parked in, leaf first (sched.pc, then return addresses by
 * the frame-pointer chain, kept inside [stack_lo, stack_hi)). Count (0 when
 * g is not parked or unreadable), at most max.
 */
size_t gocensus__blocked_stack(const struct go_census_opts *opts, const struct go_g *g,
			       uint64_t *pcs, size_t max);

/* "chan receive", "select", "sleep" ... for Go major.minor; NULL when unknown. */
const char *gocensus__wait_reason(int major, int minor, uint8_t reason);

#endif
