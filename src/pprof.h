/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A snapshot as gzip-compressed pprof profiles (profile.proto, encoded with
 * protobuf-c), one per family of kinds:
 *  - memory (malloc, mmap): sample types inuse_space, inuse_objects,
 *    alloc_space, alloc_objects; when a reachability scan ran, then
 *    lost_space, lost_objects, indirect_space, indirect_objects,
 *    reachable_space, reachable_objects (the blocks of each class at the
 *    last scan; inuse_space stays the default);
 *  - goroutines: goroutine/count, live goroutines by creation stack, like
 *    Go's own goroutine profile;
 *  - the Go heap: alloc_objects, alloc_space, inuse_objects, inuse_space
 *    (in that order, like runtime/pprof), period = the MemProfileRate;
 *  - what exited processes left at exit (their "left at exit" tally).
 * One sample per stack with pid, comm and kind labels; mappings with build
 * IDs; locations with inlined lines; functions with files.
 */
#ifndef MEMLEAKD_PPROF_H
#define MEMLEAKD_PPROF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot.h"

/* Writes the gzipped memory profile (malloc and mmap stacks) to out; 0 or -errno. */
int pprof__write(FILE *out, const struct snapshot *snap);
/* The goroutine profile (KIND_GOROUTINE stacks); 0 or -errno. */
int pprof__write_goroutines(FILE *out, const struct snapshot *snap);
/* The Go heap profile (KIND_GO_HEAP stacks); 0 or -errno. */
int pprof__write_go_heap(FILE *out, const struct snapshot *snap);

/*
 * The "left at exit" tally (snap->exited): sample types left_space and
 * left_objects, one sample per entry with exe, comm, kind, stack_id,
 * growing and processes labels; 0 or -errno.
 */
int pprof__write_exited(FILE *out, const struct snapshot *snap);

/* The heap profiling rate of the first process with go-heap stacks; 0 when unknown. */
int64_t pprof__go_heap_rate(const struct snapshot *snap);
/* Whether the snapshot shows stacks of kind (the side profiles are written only then). */
bool pprof__has_kind(const struct snapshot *snap, enum alloc_kind kind);
/*
 * Where the profile of kind goes beside path: "X.goroutine.pb.gz" for
 * "X.pb.gz", else "PATH.goroutine". 0 or -ENAMETOOLONG.
 */
int pprof__side_path(const char *path, const char *kind, char *buf, size_t len);

#endif
