/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The glue between the lifecycle and the "left at exit" tally (exitlog.h):
 * when a traced process exits, while its blocks and maps are still known,
 * each of its malloc and mmap stacks holding memory is symbolized and what
 * it holds added to the tally of its executable. Not pure: reads the BPF
 * stack map through the tracer.
 */
#ifndef MEMLEAKD_EXITTALLY_H
#define MEMLEAKD_EXITTALLY_H

#include <stdbool.h>

#include "assemble.h"
#include "exitlog.h"

struct exittally;

/*
 * Reads what run names (opts, allocs, symbolizer, lifecycle, suppfile),
 * the tracer once exittally__set_tracer gives it. NULL when out of memory
 * or the options are out of range.
 */
struct exittally *exittally__new(const struct run_tables *run);
void exittally__set_tracer(struct exittally *et, struct tracer *tracer);
void exittally__free(struct exittally *et);
/* The tally, for the snapshot (run_tables.exited). */
struct exitlog *exittally__log(struct exittally *et);
/* exited_fn (lifecycle__set_exited_handler): ctx is the exittally. */
void exittally__on_exited(void *ctx, int pid, const char *comm, const char *exe, bool kept);

#endif
