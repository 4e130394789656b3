/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A Go executable's goroutine probe plan, checked and turned into what the
 * tracer attaches: per site, the BPF program (go_create, go_exit) and the
 * cookie that tells it which register holds the g and where the g's goid
 * and gopc are (ML_GO_COOKIE, memleak.h). Pure: no libbpf.
 */
#ifndef MEMLEAKD_GOPROBE_H
#define MEMLEAKD_GOPROBE_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "gobin.h"
#include "memleak.h"

/* Largest g field offset a cookie carries. */
#define GOPROBE_MAX_FIELD_OFFSET 0xfff8u

/*
 * Why sites[0..nr) with off cannot be probed (static text), or NULL: at
 * most GO_MAX_SITES sites, each of a known role and register; at least one
 * creation and one exit site (births without deaths only grow); goid and
 * gopc inside the g and 8-byte aligned.
 */
const char *goprobe__check(const struct go_probe_site *sites, size_t nr,
			   const struct go_g_offsets *off);
/* The cookie of a site goprobe__check accepted. */
uint64_t goprobe__cookie(const struct go_probe_site *site, const struct go_g_offsets *off);
/* The program a site goprobe__check accepted runs: "go_create" or "go_exit". */
const char *goprobe__program(const struct go_probe_site *site);

#endif
