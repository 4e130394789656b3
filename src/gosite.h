/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the last census said of the goroutines of one creation site (one
 * goroutine-kind stack): what they wait for, for how long, and where they
 * are blocked. Renderers read it from snapshot_stack.go_site.
 */
#ifndef MEMLEAKD_GOSITE_H
#define MEMLEAKD_GOSITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GO_SITE_MAX_STATES 4

struct go_site_state {
	const char *state; /* "chan receive", "select", "runnable", "running", "syscall" (static) */
	uint64_t count;
};

struct go_site {
	bool before_attach; /* its goroutines were born before memleakd attached: no creation stack
			     */
	uint64_t start_pc;  /* the function its goroutines run (runtime address) */
	struct go_site_state states[GO_SITE_MAX_STATES]; /* most common first */
	size_t nr_states;
	double max_blocked_s;	  /* longest "blocked since" among them (waitsince); 0: unknown */
	uint64_t stack_bytes;	  /* goroutine stack memory they pin (sum of hi - lo) */
	int32_t blocked_stack_id; /* a ustacks id: where one of the longest-blocked is parked; <0:
				     none */
	uint64_t created;	  /* births seen since attach */
	uint64_t exited;	  /* deaths seen since attach */
	double census_age_s;	  /* how old the census these come from is */
};

#endif
